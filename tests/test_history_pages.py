"""The admin's history pages through an editor's browser (the Django test client): each
version with its number and its UTC time to the second, "—" for nothing, what a creation set,
the citations' changes in their fact's history; a save that changes nothing writes no
version; the revert page shows what a revert changes, and a revert brings the rows back."""

import io
import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from companies.models import Company, CompanyAlias, Platform, Product
from events.models import FundingRound, Investment
from factbase.admin import TrackedAdmin
from factbase.core.models import Citation
from factbase.core.services import record_delete, record_write

from .factories import (
    CitationFactory,
    CompanyAliasFactory,
    CompanyFactory,
    CompanyIdentifierFactory,
    EventFactory,
    FundingRoundFactory,
    InvestmentFactory,
    MetricFactory,
    PartnershipFactory,
    ProductFactory,
    RoleFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

UTC_SECONDS = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")


class FormFields(HTMLParser):
    """The values a browser would send for the admin's change form: inputs, selects and
    text areas as the page holds them (the inlines' empty templates left out)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self.select = self.textarea = None
        self.in_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id", "").endswith("_form"):
            self.in_form = True
        if not self.in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.add(name, attrs.get("value", "on" if attrs.get("type") == "checkbox" else ""))
        elif tag == "select" and name:
            self.select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self.select and "selected" in attrs:
            self.add(self.select, attrs.get("value", ""))
        elif tag == "textarea" and name:
            self.textarea = name
            self.add(name, "")

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.in_form = False

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][-1] += data.removeprefix("\n")

    def add(self, name, value):
        self.data.setdefault(name, []).append(value)


def form_data(response) -> dict:
    parser = FormFields()
    parser.feed(response.content.decode())
    return {name: values for name, values in parser.data.items() if "__prefix__" not in name}


def url(view, *args, model=Company):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def revert(client, record, version: int, reason: str = ""):
    """Open the revert page of `record`'s `version` and confirm it as the page holds it."""
    # The version's last row (a list set after the record writes one more, of the same version).
    row = record.history.filter(version=version).exclude(history_type="-").first()
    page_url = url("simple_history", record.pk, row.history_id, model=type(record))
    page = client.get(page_url)
    assert page.status_code == 200
    data = form_data(page)
    data["change_reason"] = reason
    return page, client.post(page_url, data)


def history_rows(client, company) -> list[str]:
    """The history table's rows, as text with the tags taken out, newest first."""
    page = client.get(url("history", company.pk)).content.decode()
    start = page.index('id="change-history"')
    table = page[start : page.index("</table>", start)]
    rows = re.findall(r"<tr class=\"history-[a-z]+\">(.*?)</tr>", table, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


@pytest.fixture
def acme(editor):
    """Acme at version 1 (created by no one: a command), with one alias."""
    company = CompanyFactory.build(name="Acme", slug="acme", headquarters="")
    record_write(company, fields={}, children={"aliases": [{"name": "Acme Inc"}]})
    return company


def test_history_rows_show_version_utc_seconds_dash_and_what_a_creation_set(editor_client, acme):
    page = editor_client.get(url("change", acme.pk))
    data = form_data(page)
    data["name"] = "Acme Corp"
    data["change_reason"] = "Renamed in March"
    response = editor_client.post(url("change", acme.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]

    newest, oldest = history_rows(editor_client, acme)
    assert newest.startswith("2 ")
    assert UTC_SECONDS.search(newest)
    assert "Changed editor Renamed in March" in newest
    assert "Name: Acme → Acme Corp" in newest
    assert oldest.startswith("1 ")
    assert UTC_SECONDS.search(oldest)
    # Created by a command: no user, no reason, and the values the creation set.
    assert "Created — —" in oldest
    assert "Name: Acme" in oldest and "Kind: Technology company" in oldest
    assert "Country: France" in oldest
    assert "None" not in " ".join([newest, oldest])
    assert "Headquarters" not in oldest  # nothing set there


def test_a_citation_added_changed_and_removed_shows_in_its_facts_history(editor_client, acme):
    source = SourceFactory(title="The launch", publisher="Example News")
    prefix = "factbase-citation-content_type-object_id"
    data = form_data(editor_client.get(url("change", acme.pk)))
    data |= {
        f"{prefix}-0-source": str(source.pk),
        f"{prefix}-0-quote": "Acme Robotics said on Monday",
    }
    assert editor_client.post(url("change", acme.pk), data).status_code == 302
    citation = Citation.objects.get()

    data = form_data(editor_client.get(url("change", acme.pk)))
    data[f"{prefix}-0-quote"] = "its assistant reached two million users"
    assert editor_client.post(url("change", acme.pk), data).status_code == 302

    data = form_data(editor_client.get(url("change", acme.pk)))
    data[f"{prefix}-0-DELETE"] = "on"
    assert editor_client.post(url("change", acme.pk), data).status_code == 302
    assert not Citation.objects.exists()

    rows = history_rows(editor_client, acme)
    removed = next(row for row in rows if "Citation removed" in row)
    changed = next(row for row in rows if "Citation changed" in row)
    added = next(row for row in rows if "Citation added" in row)
    assert f"Citation {citation.pk}, v2" in removed  # its last version, as it was removed
    assert (
        "Quote: Acme Robotics said on Monday → its assistant reached two million users" in changed
    )
    assert f"Source: {source}" in added
    assert "Quote: Acme Robotics said on Monday" in added
    assert rows.index(removed) < rows.index(changed) < rows.index(added)  # newest first
    assert all(UTC_SECONDS.search(row) for row in (removed, changed, added))


def test_a_version_that_only_changed_citations_names_them(editor_client, editor_api, acme):
    source = SourceFactory(title="The launch", publisher="Example News")
    data = {"fact_type": "company", "fact_id": acme.pk, "source": source.pk, "quote": "Acme"}
    added = editor_api.post("/api/v1/citations/", data, format="json")
    assert added.status_code == 201, added.json()
    pk = added.json()["id"]
    assert editor_api.delete(f"/api/v1/citations/{pk}/").status_code == 204

    removed, version_3, added_row, version_2, created = history_rows(editor_client, acme)
    # The version of the company that lists the citation names it, rather than showing no
    # change; the citation's own entry, with what it held, comes just above it.
    assert removed.startswith(f"Citation {pk}, v1") and "Citation removed" in removed
    assert version_3.startswith("3 ") and f"Citation {pk}: removed" in version_3
    assert added_row.startswith(f"Citation {pk}, v1") and "Quote: Acme" in added_row
    assert version_2.startswith("2 ") and f"Citation {pk}: added" in version_2
    assert "→" not in version_2 + version_3


def test_the_rows_of_a_records_lists_show_in_the_version_that_wrote_them(editor_client, acme):
    first = CompanyAlias.objects.get()  # Acme Inc, the first row
    data = form_data(editor_client.get(url("change", acme.pk)))
    data |= {"aliases-TOTAL_FORMS": "2", "aliases-1-name": "Zed", "change_reason": "add alias"}
    assert editor_client.post(url("change", acme.pk), data).status_code == 302
    alias = CompanyAlias.objects.exclude(pk=first.pk).get()

    data = form_data(editor_client.get(url("change", acme.pk)))
    data |= {"aliases-1-name": "Zedd", "change_reason": "spelling"}
    assert editor_client.post(url("change", acme.pk), data).status_code == 302

    data = form_data(editor_client.get(url("change", acme.pk)))
    data |= {"aliases-1-DELETE": "on", "description": "Robots.", "change_reason": "gone"}
    assert editor_client.post(url("change", acme.pk), data).status_code == 302

    removed, renamed, added, created = history_rows(editor_client, acme)
    label = f"Company alias {alias.pk}"
    assert "Changed editor add alias" in added and f"{label}: — → name: Zed" in added
    assert f"{label}: name: Zed → name: Zedd" in renamed
    # Removed beside a change of the record's own: both in the one version.
    assert "Description: — → Robots." in removed and f"{label}: name: Zedd → —" in removed
    assert f"Company alias {first.pk}: name: Acme Inc" in created  # what the creation set
    assert "Company alias" not in " ".join([removed, renamed, added]).replace(label, "")


def test_a_save_that_changes_nothing_writes_no_version(editor_client, acme):
    data = form_data(editor_client.get(url("change", acme.pk)))
    response = editor_client.post(url("change", acme.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    acme.refresh_from_db()
    assert acme.version == 1
    assert acme.history.count() == 1
    assert CompanyAlias.history.count() == 1

    # A change to a row alone is a change: one version, after which the row is written.
    data = form_data(editor_client.get(url("change", acme.pk)))
    data["aliases-0-name"] = "Acme Incorporated"
    assert editor_client.post(url("change", acme.pk), data).status_code == 302
    acme.refresh_from_db()
    assert acme.version == 2
    assert acme.history.count() == 2
    alias = acme.aliases.get()
    assert alias.name == "Acme Incorporated"
    # One version: the record's history row and its row's, at one instant, the record's
    # written first.
    assert alias.history.first().history_date == acme.history.first().history_date
    assert alias.history.first().change_seq > acme.history.first().change_seq


def test_revert_page_shows_the_differences_and_reverting_brings_the_rows_back(
    editor_client, editor, acme
):
    old_alias = acme.aliases.get()
    version_1 = acme.history.get(version=1)
    data = form_data(editor_client.get(url("change", acme.pk)))
    data |= {
        "name": "Acme Corp",
        "aliases-0-DELETE": "on",
        "aliases-1-name": "Acme Group",
        "aliases-TOTAL_FORMS": "2",
    }
    assert editor_client.post(url("change", acme.pk), data).status_code == 302
    assert list(acme.aliases.values_list("name", flat=True)) == ["Acme Group"]
    new_alias = acme.aliases.get()

    page = editor_client.get(url("simple_history", acme.pk, version_1.history_id))
    assert page.status_code == 200
    text = " ".join(re.sub(r"<[^>]+>", " ", page.content.decode()).split())
    assert "Reverting changes what the record holds now to what this version held" in text
    assert "Name Acme Corp Acme" in text
    assert f"Company alias {old_alias.pk} — Acme Inc" in text
    assert f"Company alias {new_alias.pk} Acme Group —" in text

    data = form_data(page)
    data["change_reason"] = "The rename was a mistake"
    response = editor_client.post(url("simple_history", acme.pk, version_1.history_id), data)
    assert response.status_code == 302, response.content.decode()[:3000]

    acme = Company.objects.get(pk=acme.pk)
    assert acme.name == "Acme"
    assert acme.version == 3
    assert acme.history.first().history_change_reason.startswith("Reverted to version 1"), (
        acme.history.first().history_change_reason
    )
    # The alias of version 1 is back with its own id; the one added since is gone.
    assert list(acme.aliases.values_list("pk", "name")) == [(old_alias.pk, "Acme Inc")]
    assert not CompanyAlias.objects.filter(pk=new_alias.pk).exists()
    assert CompanyAlias.history.filter(id=old_alias.pk).first().history_user == editor


def test_a_revert_that_swaps_the_name_and_an_alias_brings_both_back(editor_client):
    company = CompanyFactory.build(name="Mistral", slug="mistral", headquarters="")
    record_write(company, fields={}, children={"aliases": [{"name": "Mistral AI"}]})
    alias = company.aliases.get()
    record_write(company, fields={"name": "Mistral AI"}, children={"aliases": []}, reason="renamed")
    # Version 1 held the alias the name is now: restored, it is checked against the name
    # the revert writes, not the one it replaces.
    page, response = revert(editor_client, company, 1, reason="the old name")
    assert response.status_code == 302, response.content.decode()[:3000]
    company = Company.objects.get(pk=company.pk)
    assert company.name == "Mistral"
    assert list(company.aliases.values_list("pk", "name")) == [(alias.pk, "Mistral AI")]


def test_revert_page_says_when_a_version_holds_what_the_record_holds(editor_client, acme):
    version_1 = acme.history.get()
    page = editor_client.get(url("simple_history", acme.pk, version_1.history_id))
    assert "reverting to it changes nothing" in page.content.decode()


def test_reverting_a_round_brings_its_investments_back(editor_client, editor):
    first, second = CompanyFactory(kind="investor"), CompanyFactory(kind="investor")
    funding_round = FundingRoundFactory.build(company=CompanyFactory())
    record_write(funding_round, fields={}, children={"investments": [{"investor": first}]})
    kept = funding_round.investments.get()
    record_write(
        funding_round,
        fields={"round_type": "series_b"},
        children={"investments": [{"investor": second, "is_lead": True}]},
        user=editor,
    )
    added = funding_round.investments.get()

    page, response = revert(editor_client, funding_round, 1)
    assert response.status_code == 302, response.content.decode()[:3000]
    text = " ".join(re.sub(r"<[^>]+>", " ", page.content.decode()).split())
    assert f"Investment {kept.pk} — " in text and f"Investment {added.pk} " in text

    funding_round = FundingRound.objects.get(pk=funding_round.pk)
    assert funding_round.round_type == "series_a"
    investment = funding_round.investments.get()
    assert (investment.pk, investment.investor_id) == (kept.pk, first.pk)
    assert investment.company_id == funding_round.company_id
    assert not Investment.objects.filter(pk=added.pk).exists()


@pytest.mark.parametrize("rename", [False, True])
def test_a_revert_that_restores_a_row_is_the_version_that_lists_it(
    editor_client, editor_api, rename
):
    """A revert that brings back a deleted alias is a version of the company, at the
    instant of the alias's restore, and lists it; alone, it still moves the version on."""
    company = CompanyFactory.build(name="Acme", slug="acme", headquarters="")
    record_write(company, fields={}, children={"aliases": [{"name": "Acme Inc"}]})
    alias = company.aliases.get()
    change = {"aliases": [], **({"name": "Acme Corp"} if rename else {})}
    response = editor_api.patch(f"/api/v1/companies/{company.pk}/", change, format="json")
    assert response.status_code == 200, response.content

    _, response = revert(editor_client, company, 1, "back")

    assert response.status_code == 302
    company.refresh_from_db()
    assert company.version == 3
    assert list(company.aliases.values_list("pk", flat=True)) == [alias.pk]
    latest = editor_api.get(f"/api/v1/companies/{company.pk}/history/").json()["results"][0]
    assert latest["reason"].startswith("Reverted to version 1")
    added = {"field": "aliases", "old": None, "new": {"id": alias.pk, "name": "Acme Inc"}}
    assert added in latest["changes"]
    restored = alias.history.order_by("-history_id").first()
    assert restored.history_type == "+"
    assert restored.history_date == company.history.order_by("-history_id").first().history_date


def test_reverting_a_product_brings_its_platform_list_back(editor_client, editor):
    product = ProductFactory.build(company=CompanyFactory())
    ios, android = Platform.objects.get(slug="ios"), Platform.objects.get(slug="android")
    record_write(product, fields={}, m2m={"platforms": [ios]})
    record_write(product, fields={}, m2m={"platforms": [android]}, user=editor)
    assert product.version == 2

    page, response = revert(editor_client, product, 1)
    text = " ".join(re.sub(r"<[^>]+>", " ", page.content.decode()).split())
    assert "Platforms Android iOS" in text  # now, then
    assert response.status_code == 302, response.content.decode()[:3000]
    product = Product.objects.get(pk=product.pk)
    assert list(product.platforms.all()) == [ios]
    assert product.version == 3


def test_a_version_naming_a_record_deleted_since_is_shown_and_its_revert_refused(
    editor_client, editor
):
    """A round entered on one company, moved to another; the first company deleted. Its
    first version names a company that is no longer there: the page shows it (it was a
    500), and a revert to it is refused, nothing written."""
    gone, kept = CompanyFactory(), CompanyFactory()
    funding_round = FundingRoundFactory.build(company=gone)
    record_write(funding_round, fields={})
    record_write(funding_round, fields={"company": kept}, user=editor)
    record_delete(gone)

    page, response = revert(editor_client, funding_round, 1)

    assert f"Revert funding round {funding_round.pk}" in page.content.decode()
    assert response.status_code == 200
    funding_round = FundingRound.objects.get(pk=funding_round.pk)
    assert (funding_round.company_id, funding_round.version) == (kept.pk, 2)


def test_a_refused_revert_says_why_in_words(editor_client, editor):
    """A version verified by a citation deleted since: refused, in words, not as a Python
    list of them."""
    company = CompanyFactory()
    source = SourceFactory()
    record_write(
        company,
        fields={"status": "verified"},
        children={"citations": [{"source": source, "quote": "Acme Robotics said on Monday"}]},
    )
    record_write(company, fields={"status": "unverified"}, children={"citations": []})

    page, response = revert(editor_client, company, 2)
    followed = editor_client.get(response["Location"]).content.decode()

    assert "Not reverted. status: A fact cannot be verified without at least one citation." in (
        followed
    )
    assert "[&#x27;" not in followed
    assert Company.objects.get(pk=company.pk).status == "unverified"


def test_a_deleted_record_is_not_reverted_but_restored(editor_client, acme):
    pk = acme.pk
    record_delete(acme)
    row = Company.history.get(id=pk, history_type="+")
    page_url = url("simple_history", pk, row.history_id)
    page = editor_client.get(page_url)
    assert "This record is deleted: restore it" in page.content.decode()
    response = editor_client.post(page_url, form_data(page), follow=True)
    assert "Not reverted: this company is deleted" in response.content.decode()
    assert not Company.objects.filter(pk=pk).exists()


def test_every_kinds_history_and_revert_pages_render(editor_client):
    """One record of each kind (its first history row written by simple-history's
    populate_history): its history page lists its versions, and its revert page shows what
    a revert would change."""
    company = CompanyFactory()
    CompanyAliasFactory(company=company)
    CompanyIdentifierFactory(company=company)
    product = ProductFactory(company=company)
    CitationFactory(fact=company)
    RoleFactory(company=company)
    PartnershipFactory()
    InvestmentFactory(company=company, funding_round=FundingRoundFactory(company=company))
    EventFactory()
    MetricFactory(company=None, product=product)
    call_command("populate_history", "--auto", stdout=io.StringIO())
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, TrackedAdmin):
            continue
        row = model.history.exclude(history_type="-").order_by("history_date").first()
        assert row is not None, f"no {model._meta.label} made above"
        page = editor_client.get(url("history", row.id, model=model))
        assert page.status_code == 200, model
        assert "Date/time (UTC)" in page.content.decode(), model
        page = editor_client.get(url("simple_history", row.id, row.history_id, model=model))
        assert page.status_code == 200, model
        content = page.content.decode()
        assert 'id="revert-changes"' in content or "changes nothing" in content, model


def test_amounts_in_the_history_have_thousands_separators_and_no_trailing_zeros(
    editor_client,
):
    from decimal import Decimal

    from events.models import Metric

    metric = MetricFactory(value=Decimal("1000000"))
    record_write(metric, fields={"value": Decimal("1250000.5")})
    page = editor_client.get(url("history", metric.pk, model=Metric)).content.decode()
    assert "1,000,000 → 1,250,000.5" in page
    assert "1000000.0000" not in page and "1250000.5000" not in page
