"""Every kind of fact imports its own CSV export back unchanged: related records, lists and
child rows read as the export writes them. And lists edited in their cells: a round's
investors, an event's companies."""

import pytest

from companies.models import Company, CompanyAlias, CompanyIdentifier, Role
from events.models import Event, FundingRound
from factbase.core.services import record_save
from factbase.imports.kinds import importable_kinds
from tests.factories import CompanyAliasFactory, CompanyFactory
from tests.imports.helpers import csv_of, export, history_count, rows_of, run_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def funding_round(demo, editor_api):
    """The demo has no funding round: one with two investors, one of them the lead."""
    CompanyFactory(slug="lead-capital", name="Lead Capital", kind="investor")
    CompanyFactory(slug="other-fund", name="Other Fund", kind="investor")
    response = editor_api.post(
        "/api/v1/funding-rounds/",
        {
            "company": "mistral-ai",
            "round_type": "series_b",
            "qualifier": "exact",
            "value": "600000000",
            "currency": "EUR",
            "investments": [
                {"investor": "lead-capital", "is_lead": True},
                {
                    "investor": "other-fund",
                    "qualifier": "exact",
                    "value": "15000000",
                    "currency": "EUR",
                },
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return FundingRound.objects.get(pk=response.json()["id"])


def test_every_fact_kind_imports_its_own_export_unchanged(funding_round, client, tmp_path):
    # The demo's companies have no identifiers: one, which the export lists in a cell.
    company = Company.objects.get(slug="mistral-ai")
    record_save(CompanyIdentifier(company=company, scheme="wikidata", value="Q116800441"))
    kinds = sorted(importable_kinds())
    assert {"companies", "events", "funding-rounds", "metrics", "people"} <= set(kinds)
    for kind in kinds:
        text = export(client, kind)
        rows = rows_of(text)
        assert rows, kind
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        before = history_count()
        status, out, err = run_command(path, "--kind", kind)
        assert status == 0, (kind, err)
        assert f"(0 new, 0 update, {len(rows)} unchanged, 0 error)" in out, (kind, out)
        assert history_count() == before, kind


def test_a_rounds_investors_are_edited_in_their_cell(funding_round, client, tmp_path):
    (row,) = rows_of(export(client, "funding-rounds"))
    assert row["investments"] == "lead-capital (lead); other-fund"
    CompanyFactory(slug="new-fund", name="New Fund", kind="investor")
    row["investments"] = "other-fund (lead); new-fund"
    row["investments_investor_ids"] = ""  # the labels alone say it now
    path = tmp_path / "rounds.csv"
    path.write_text(csv_of([row]), encoding="utf-8")

    status, out, err = run_command(path, "--kind", "funding-rounds")

    assert status == 0, err
    assert "(0 new, 1 update, 0 unchanged, 0 error)" in out
    investments = {i.investor.slug: (i.is_lead, i.value) for i in funding_round.investments.all()}
    # other-fund kept its amount: the row was updated, not replaced.
    assert investments == {"other-fund": (True, 15000000), "new-fund": (False, None)}


def test_ids_win_over_labels_but_must_agree_with_them(demo, client, tmp_path):
    event = Event.objects.filter(companies__isnull=False).order_by("pk").first()
    rows = rows_of(export(client, "events", f"id={event.pk}"))
    (row,) = rows
    row["companies"] = "stellantis"
    path = tmp_path / "events.csv"
    path.write_text(csv_of([row]), encoding="utf-8")

    status, _, err = run_command(path, "--kind", "events")

    assert status == 1
    assert "line 2, column companies: Names stellantis, but companies_ids names" in err

    row["companies_ids"] = ""
    path.write_text(csv_of([row]), encoding="utf-8")
    status, _, err = run_command(path, "--kind", "events")
    assert status == 0, err
    assert list(event.companies.values_list("slug", flat=True)) == ["stellantis"]


def test_a_slug_beside_an_id_must_name_the_same_record(demo, client, tmp_path):
    rows = rows_of(export(client, "metrics", "company=mistral-ai"))
    rows[0]["company_slug"] = "stellantis"
    path = tmp_path / "metrics.csv"
    path.write_text(csv_of(rows), encoding="utf-8")
    status, _, err = run_command(path, "--kind", "metrics")
    assert status == 1
    assert (
        f"line 2, column company_slug: 'stellantis' is not company_id {rows[0]['company_id']} "
        "(mistral-ai): give one of them, or make them agree."
    ) in err


def test_a_slug_and_an_alias_of_one_record_agree(demo, client, tmp_path):
    rows = rows_of(export(client, "metrics", "company=mistral-ai"))
    row = {key: value for key, value in rows[0].items() if key != "company_id"}
    row["company"] = "Mistral"  # the alias of Mistral AI, beside its slug
    path = tmp_path / "metrics.csv"
    path.write_text(csv_of([row]), encoding="utf-8")
    status, _, err = run_command(path, "--kind", "metrics")
    assert status == 0, err

    row["company"] = "Stellantis"  # another company's name
    path.write_text(csv_of([row]), encoding="utf-8")
    status, _, err = run_command(path, "--kind", "metrics")
    assert status == 1
    assert (
        "line 2, column company: 'Stellantis' is not company_slug mistral-ai: give one of "
        "them, or make them agree."
    ) in err


def test_the_exported_citations_are_checked_not_changed(demo, client, tmp_path):
    row = next(
        row
        for row in rows_of(export(client, "metrics"))
        if len(set(row["citations_source_ids"].split(";"))) == 2
    )
    stored = row["citations_source_ids"]
    row["citations_source_ids"] = stored.split(";")[0]
    path = tmp_path / "metrics.csv"
    path.write_text(csv_of([row]), encoding="utf-8")
    status, _, err = run_command(path, "--kind", "metrics")
    assert status == 1
    assert (
        f"line 2, column citations_source_ids: The stored citations' sources are {stored}: "
        "an import does not change them."
    ) in err


def test_labels_with_the_exports_codes_import_back_unchanged(db, client, tmp_path):
    names = {"Acme; Inc. (FR)", "100% Acme", "Acme%20Inc", "Acme %3B"}
    acme = CompanyFactory(slug="acme", name="Acme")
    for name in names:
        CompanyAliasFactory(company=acme, name=name)
    text = export(client, "companies", "slug=acme")
    assert "Acme %253B" in text and "Acme%3B Inc. %28FR%29" in text
    path = tmp_path / "companies.csv"
    path.write_text(text, encoding="utf-8")

    status, out, err = run_command(path, "--kind", "companies")

    assert status == 0, err
    assert "(0 new, 0 update, 1 unchanged, 0 error)" in out
    assert set(CompanyAlias.objects.filter(company=acme).values_list("name", flat=True)) == names


def test_a_child_row_named_by_its_records_name_keeps_its_row(funding_round, client, tmp_path):
    """An investor named by the company's name (or an alias) rather than its slug is the
    stored investment, kept with its amount, not a new row in its place."""
    stored = {i.investor.slug: i.pk for i in funding_round.investments.all()}
    (row,) = rows_of(export(client, "funding-rounds"))
    row["investments"] = "Lead Capital (lead); Other Fund"
    row["investments_investor_ids"] = ""
    path = tmp_path / "rounds.csv"
    path.write_text(csv_of([row]), encoding="utf-8")
    before = history_count()

    status, out, err = run_command(path, "--kind", "funding-rounds")

    assert status == 0, err
    assert "(0 new, 0 update, 1 unchanged, 0 error)" in out
    assert history_count() == before
    kept = {i.investor.slug: (i.pk, i.value) for i in funding_round.investments.all()}
    assert kept == {
        "lead-capital": (stored["lead-capital"], None),
        "other-fund": (stored["other-fund"], 15000000),
    }


def test_a_role_named_by_its_companys_name_keeps_what_the_role_holds(demo, client, tmp_path):
    role = Role.objects.select_related("person", "company").order_by("pk").first()
    role.note, role.confidence = "From the press kit.", "high"
    record_save(role, reason="a detail the cell does not show")
    rows = rows_of(export(client, "people", f"id={role.person_id}"))
    (row,) = rows
    names = {r.company.slug: r.company.name for r in role.person.roles.all()}
    for slug, name in names.items():
        row["roles"] = row["roles"].replace(f"{slug} (", f"{name} (")
    assert role.company.name in row["roles"]
    row["roles_company_ids"] = ""
    path = tmp_path / "people.csv"
    path.write_text(csv_of([row]), encoding="utf-8")

    status, out, err = run_command(path, "--kind", "people")

    assert status == 0, err
    assert "(0 new, 0 update, 1 unchanged, 0 error)" in out
    role.refresh_from_db()
    assert (role.note, role.confidence) == ("From the press kit.", "high")
