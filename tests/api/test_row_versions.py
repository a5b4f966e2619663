"""A row that another record's answer lists (a round's investments, a person's roles, a
company's aliases) written, deleted or restored on its own is a version of that record,
as a citation is of its fact (test_citation_versions): its version and ETag move with
its answer, and a writer holding the older ETag cannot replace the list without having
seen the new row. A row written as part of that record's own write is its version
already: no second one."""

import pytest
from django.db import transaction
from django.urls import reverse

from companies.models import Person, Role
from events.models import FundingRound, Investment
from factbase.core.restore import record_restore
from factbase.core.services import (
    one_version_per_listing,
    record_delete,
    record_save,
    record_write,
)
from factbase.core.services.clock import writing_at

from ..factories import CompanyFactory, FundingRoundFactory, PersonFactory
from ..imports.helpers import csv_of, export, rows_of, run_command
from ..test_admin_forms import page_data
from .base import API

pytestmark = pytest.mark.django_db


def etag(api, path: str) -> str:
    response = api.get(f"{API}{path}/")
    assert response.status_code == 200
    return response["ETag"]


def newest_changes(api, path: str) -> list[dict]:
    response = api.get(f"{API}{path}/history/")
    assert response.status_code == 200
    return response.json()["results"][0]["changes"]


@pytest.fixture
def funding_round():
    return record_save(FundingRoundFactory.build(company=record_save(CompanyFactory.build())))


def investor():
    return record_save(CompanyFactory.build(kind="investor"))


def test_an_investment_added_on_its_own_moves_its_rounds_etag(editor_api, funding_round):
    path = f"funding-rounds/{funding_round.pk}"
    before = etag(editor_api, path)
    data = {
        "investor": investor().pk,
        "company": funding_round.company_id,
        "funding_round": funding_round.pk,
    }
    added = editor_api.post(f"{API}investments/", data, format="json")
    assert added.status_code == 201, added.json()
    assert etag(editor_api, path) != before
    (change,) = newest_changes(editor_api, path)
    assert change["field"] == "investments" and change["old"] is None
    assert change["new"]["id"] == added.json()["id"]

    # A writer that read the round before, replacing its investments with the list it
    # knew (none), is refused: the new investment is not lost.
    response = editor_api.patch(
        f"{API}{path}/", {"investments": []}, format="json", HTTP_IF_MATCH=before
    )
    assert response.status_code == 412
    assert Investment.objects.filter(pk=added.json()["id"]).exists()


def test_an_investment_changed_or_deleted_on_its_own_is_a_version_of_its_round(
    editor_api, funding_round
):
    record_write(funding_round, fields={}, children={"investments": [{"investor": investor()}]})
    investment = funding_round.investments.get()
    path = f"funding-rounds/{funding_round.pk}"
    version = FundingRound.objects.get(pk=funding_round.pk).version

    response = editor_api.patch(
        f"{API}investments/{investment.pk}/", {"is_lead": True}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert etag(editor_api, path) == f'"{version + 1}"'
    (change,) = newest_changes(editor_api, path)
    assert change["new"] == {"id": investment.pk, "is_lead": True}

    # Written again as it stands: no version of either.
    response = editor_api.patch(
        f"{API}investments/{investment.pk}/", {"is_lead": True}, format="json"
    )
    assert response.status_code == 200
    assert etag(editor_api, path) == f'"{version + 1}"'

    assert editor_api.delete(f"{API}investments/{investment.pk}/").status_code == 204
    assert etag(editor_api, path) == f'"{version + 2}"'
    (change,) = newest_changes(editor_api, path)
    assert (change["old"]["id"], change["new"]) == (investment.pk, None)


def test_an_investment_moved_to_another_round_is_a_version_of_both(editor_api, funding_round):
    record_write(funding_round, fields={}, children={"investments": [{"investor": investor()}]})
    investment = funding_round.investments.get()
    other = record_save(FundingRoundFactory.build(company=funding_round.company))
    paths = f"funding-rounds/{funding_round.pk}", f"funding-rounds/{other.pk}"
    before = [etag(editor_api, path) for path in paths]
    response = editor_api.patch(
        f"{API}investments/{investment.pk}/", {"funding_round": other.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert [etag(editor_api, path) for path in paths] != before
    (gone,) = newest_changes(editor_api, paths[0])
    assert (gone["old"]["id"], gone["new"]) == (investment.pk, None)
    (came,) = newest_changes(editor_api, paths[1])
    assert (came["old"], came["new"]["id"]) == (None, investment.pk)


def test_an_investment_restored_on_its_own_is_a_version_of_its_round(editor_api, funding_round):
    record_write(funding_round, fields={}, children={"investments": [{"investor": investor()}]})
    investment = funding_round.investments.get()
    pk = investment.pk
    record_delete(investment)
    path = f"funding-rounds/{funding_round.pk}"
    before = etag(editor_api, path)
    response = editor_api.post(f"{API}investments/{pk}/restore/", {}, format="json")
    assert response.status_code == 201, response.json()
    assert etag(editor_api, path) == f'"{int(before.strip(chr(34))) + 1}"'
    (change,) = newest_changes(editor_api, path)
    assert (change["old"], change["new"]["id"]) == (None, pk)


def test_a_round_written_with_its_investments_is_one_version(editor_api, funding_round):
    response = editor_api.patch(
        f"{API}funding-rounds/{funding_round.pk}/",
        {"investments": [{"investor": investor().pk}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == funding_round.version + 1
    assert FundingRound.objects.get(pk=funding_round.pk).version == funding_round.version + 1


def admin_url(model, view, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_a_role_written_on_its_own_page_is_a_version_of_its_person(editor_client):
    person = record_save(PersonFactory.build())
    company = record_save(CompanyFactory.build())
    data = page_data(editor_client.get(admin_url(Role, "add")))
    data.update(person=str(person.pk), company=str(company.pk), title="CTO")
    assert editor_client.post(admin_url(Role, "add"), data).status_code == 302
    role = Role.objects.get(person=person)
    assert Person.objects.get(pk=person.pk).version == 2

    data = page_data(editor_client.get(admin_url(Role, "change", role.pk)))
    data["title"] = "Chief Technology Officer"
    assert editor_client.post(admin_url(Role, "change", role.pk), data).status_code == 302
    assert Person.objects.get(pk=person.pk).version == 3

    # Deleted, then restored on its own: two more versions of the person, each listing it
    # gone or back.
    record_delete(Role.objects.get(pk=role.pk))
    assert Person.objects.get(pk=person.pk).version == 4
    record_restore(Role, role.pk)
    assert Person.objects.get(pk=person.pk).version == 5
    assert Person.objects.get(pk=person.pk).roles.get().title == "Chief Technology Officer"


def roles_of_one_person() -> tuple[Person, list[Role]]:
    person = record_save(PersonFactory.build())
    roles = [
        record_save(Role(person=person, company=record_save(CompanyFactory.build()), title=t))
        for t in ("CEO", "Chair")
    ]
    return person, roles


def list_action(client, action: str, roles: list[Role], reason: str):
    """The roles' list action `action`, confirmed with `reason`."""
    data = {
        "action": action,
        "_selected_action": [str(role.pk) for role in roles],
        "post": "yes",
        "change_reason": reason,
    }
    return client.post(admin_url(Role, "changelist"), data)


def test_a_status_set_on_roles_from_the_list_is_one_version_of_their_person(editor_client):
    person, roles = roles_of_one_person()
    version = Person.objects.get(pk=person.pk).version
    response = list_action(editor_client, "mark_disputed", roles, "Two sources disagree")
    assert response.status_code == 302
    assert set(Role.objects.values_list("status", flat=True)) == {"disputed"}
    person = Person.objects.get(pk=person.pk)
    assert person.version == version + 1
    assert person.history.first().history_change_reason == "Marked disputed: Two sources disagree"


def test_roles_deleted_together_from_the_list_are_one_version_of_their_person(editor_client):
    person, roles = roles_of_one_person()
    version = Person.objects.get(pk=person.pk).version
    response = list_action(editor_client, "delete_selected", roles, "Entered twice")
    assert response.status_code == 302
    assert not Role.objects.exists()
    person = Person.objects.get(pk=person.pk)
    assert person.version == version + 1
    assert person.history.first().history_change_reason == "Entered twice"


# Many rows of one record written on their own in one transaction (an import, fill_usd):
# one version of the record for all of them. The test of fill_usd is in test_rates.


def round_with_investments(count: int) -> FundingRound:
    funding_round = record_save(
        FundingRoundFactory.build(company=record_save(CompanyFactory.build()))
    )
    record_write(
        funding_round,
        fields={},
        children={"investments": [{"investor": investor()} for _ in range(count)]},
    )
    return FundingRound.objects.get(pk=funding_round.pk)


def test_investments_of_one_round_imported_together_are_one_version_of_it(
    client, editor_api, tmp_path
):
    funding_round = round_with_investments(3)
    rows = rows_of(export(client, "investments", f"funding_round={funding_round.pk}"))
    assert len(rows) == 3
    for number, row in enumerate(rows, start=1):
        row["value"], row["currency"], row["qualifier"] = str(number * 1000000), "EUR", "exact"
    # And a fourth investor, new, in the same file.
    rows.append(dict(rows[0], id="", version="", investor_id=str(investor().pk)))
    for column in ("investor_name", "investor_slug", "created_at", "updated_at"):
        rows[-1][column] = ""
    path = tmp_path / "investments.csv"
    path.write_text(csv_of(rows), encoding="utf-8")

    status, out, err = run_command(path, "--kind", "investments")

    assert status == 0, (out, err)
    assert "(1 new, 3 update, 0 unchanged, 0 error)" in out
    assert FundingRound.objects.get(pk=funding_round.pk).version == funding_round.version + 1
    changes = newest_changes(editor_api, f"funding-rounds/{funding_round.pk}")
    assert len(changes) == 4  # the one version lists every row the import wrote
    assert {change["field"] for change in changes} == {"investments"}


def test_a_version_undone_with_its_rows_savepoint_is_written_again_for_the_next_row():
    funding_round = round_with_investments(2)
    first, second = funding_round.investments.order_by("pk")
    with transaction.atomic(), one_version_per_listing("default"):
        with pytest.raises(RuntimeError), transaction.atomic():
            record_write(first, fields={"is_lead": True})  # versions the round
            raise RuntimeError("refused after its write: the savepoint undoes both")
        assert FundingRound.objects.get(pk=funding_round.pk).version == funding_round.version
        record_write(second, fields={"is_lead": True})
        record_write(first, fields={"description": "second row of the round"})
    funding_round.refresh_from_db()
    assert funding_round.version == 3  # its creation, its investments, this transaction
    assert (funding_round.investments.filter(is_lead=True).get().pk) == second.pk


@pytest.mark.django_db(transaction=True)
def test_one_version_per_listing_needs_a_transaction():
    with (
        pytest.raises(RuntimeError, match="needs a transaction"),
        one_version_per_listing("default"),
    ):
        pass


def test_at_an_instant_set_around_it_each_row_versions_its_record():
    """Inside `writing_at` (the demo's past), whose instant a record may hold from an
    earlier transaction, the block does not skip: each row versions its round."""
    funding_round = round_with_investments(2)
    first, second = funding_round.investments.order_by("pk")
    past = funding_round.updated_at
    with transaction.atomic(), writing_at(past), one_version_per_listing("default"):
        record_write(first, fields={"is_lead": True})
        record_write(second, fields={"description": "second"})
    assert FundingRound.objects.get(pk=funding_round.pk).version == funding_round.version + 2
