"""The kept record's own history of a merge: a version, at the merge's instant, that lists
the rows it gained (the merged record's aliases, identifiers and citations, its name as an
alias), and one at the undo's that lists them given back. Its version and ETag move with
its answer."""

import datetime

import pytest

from companies.models import Company, CompanyAlias, CompanyIdentifier, Role
from events.models import Event, PartnershipParty
from factbase.core.models import Citation, Source
from factbase.core.services import (
    UndoRefused,
    clock,
    merge_undo,
    record_merge,
    record_save,
    record_write,
)

from ..factories import ARTICLE
from .conftest import API, cite, company, save

pytestmark = pytest.mark.django_db

CITATION_QUOTE = "its assistant reached two million users"  # the merged company's


def newest_version(client, url) -> dict:
    response = client.get(f"{url}history/?limit=1")
    assert response.status_code == 200, response.content
    return response.json()["results"][0]


def rows(version) -> list[tuple]:
    """(list, old, new) of each row a version lists, a row by its id and name or quote."""

    def shown(row):
        return (
            None
            if row is None
            else (row["id"], row.get("name") or row.get("value") or row["quote"])
        )

    return sorted(
        (change["field"], shown(change["old"]), shown(change["new"]))
        for change in version["changes"]
        if change["field"] in ("aliases", "identifiers", "citations")
    )


def test_the_kept_record_lists_what_a_merge_gave_it_and_its_undo_took_back(
    world, editor_api, anon_api
):
    kept = f"{API}companies/{world.keep.pk}/"
    before = anon_api.get(kept)
    group = CompanyAlias.objects.get(name="Acme Robotics Group")  # the merged one's alias

    response = editor_api.post(
        f"{API}companies/{world.merge.pk}/merge/",
        {"into": world.keep.pk, "reason": "the same"},
        format="json",
    )
    assert response.status_code == 201, response.content
    merge_url = response.json()["url"]
    added = CompanyAlias.objects.get(name="ACME Robotics SAS")  # the merged one's name

    after = anon_api.get(kept)
    assert after.json()["version"] == before.json()["version"] + 1
    assert after["ETag"] != before["ETag"]
    version = newest_version(anon_api, kept)
    assert version["reason"] == (
        "Merge of ACME Robotics SAS (acme-robotics-sas) into Acme Robotics: the same"
    )
    assert (version["action"], version["version"]) == ("update", after.json()["version"])
    quote = Citation.objects.get(quote=CITATION_QUOTE)
    identifier = CompanyIdentifier.objects.get(value="Q4200")
    gained = [
        ("aliases", None, (added.pk, "ACME Robotics SAS")),
        ("aliases", None, (group.pk, "Acme Robotics Group")),
        ("citations", None, (quote.pk, CITATION_QUOTE)),
        ("identifiers", None, (identifier.pk, "Q4200")),
    ]
    assert rows(version) == sorted(gained)
    # Each row added in full, as a row added to a list is shown.
    alias = next(
        c for c in version["changes"] if c["field"] == "aliases" and c["new"]["id"] == group.pk
    )
    assert alias == {"field": "aliases", "old": None, "new": {"id": group.pk, "name": group.name}}

    response = editor_api.post(f"{merge_url}undo/", {"reason": "not the same"}, format="json")
    assert response.status_code == 200, response.content

    undone = anon_api.get(kept)
    assert undone.json()["version"] == after.json()["version"] + 1
    assert undone["ETag"] not in (before["ETag"], after["ETag"])
    version = newest_version(anon_api, kept)
    assert version["reason"].startswith("Undo of the merge of ACME Robotics SAS")
    # The same rows, gone back (moved to the merged record, or the alias deleted).
    assert rows(version) == sorted((field, new, old) for field, old, new in gained)
    # The merged record, restored, lists them again.
    restored = rows(newest_version(anon_api, f"{API}companies/{world.merge.pk}/"))
    assert ("aliases", None, (group.pk, "Acme Robotics Group")) in restored
    assert ("aliases", None, (added.pk, "ACME Robotics SAS")) not in restored


def test_a_row_is_listed_where_it_leaves_and_arrives_not_where_it_once_was(db, editor, anon_api):
    """A record's version lists a row of its list that moves to another record at its
    instant, and not a row that was once in its list and moves between two others then."""
    with clock.writing_at(datetime.datetime(2025, 2, 1, tzinfo=datetime.UTC)):
        once, first, second = (company(name, name.lower()) for name in ("Once", "First", "Second"))
        alias = save(CompanyAlias(company=once, name="Moving"))
    for move_to, at in ((first, "2025-03-01"), (second, "2025-03-02")):
        with clock.writing_at(datetime.datetime.fromisoformat(f"{at}T12:00:00+00:00")):
            record_write(once, fields={}, user=editor, reason="r", rows_written=True)
            alias.company = move_to
            record_save(alias, fields=["company"], user=editor, reason="moved")

    versions = anon_api.get(f"{API}companies/{once.pk}/history/").json()["results"]
    assert [v["at"][:10] for v in versions[:2]] == ["2025-03-02", "2025-03-01"]
    assert versions[0]["changes"] == []  # between first and second: not once's
    assert versions[1]["changes"] == [
        {"field": "aliases", "old": {"id": alias.pk, "name": "Moving"}, "new": None}
    ]
    # Second had no version of its own then: its only one, its creation, lists no alias.
    (created,) = anon_api.get(f"{API}companies/{second.pk}/history/").json()["results"]
    assert "aliases" not in {change["field"] for change in created["changes"]}


def test_records_that_list_a_moved_row_get_a_version_that_lists_it(world, editor, anon_api):
    """A company merged: the partnership listing its party and the person listing a role
    at it show the kept company there now, and each gets a version saying so. A person
    merged: the fact whose citation quotes them likewise."""
    party = PartnershipParty.objects.get(company=world.merge)
    role = Role.objects.get(company=world.merge)
    deal = f"{API}partnerships/{party.partnership_id}/"
    person = f"{API}people/{role.person_id}/"
    before = {url: anon_api.get(url)["ETag"] for url in (deal, person)}

    record_merge(world.keep, world.merge, user=editor, reason="the same")

    reason = "Merge of ACME Robotics SAS (acme-robotics-sas) into Acme Robotics: the same"
    moved = {"old": world.merge.pk, "new": world.keep.pk}
    for url, name, row in ((deal, "parties", party), (person, "roles", role)):
        assert anon_api.get(url)["ETag"] != before[url]
        version = newest_version(anon_api, url)
        assert version["reason"] == reason
        assert version["changes"] == [
            {
                "field": name,
                "old": {"id": row.pk, "company": moved["old"]},
                "new": {"id": row.pk, "company": moved["new"]},
            }
        ]

    quoted = Citation.objects.get(attributed_to=world.merge_person)
    fact = f"{API}metrics/{quoted.object_id}/"
    record_merge(world.keep_person, world.merge_person, user=editor, reason="one person")
    change = newest_version(anon_api, fact)["changes"]
    assert change == [
        {
            "field": "citations",
            "old": {"id": quoted.pk, "attributed_to": world.merge_person.pk},
            "new": {"id": quoted.pk, "attributed_to": world.keep_person.pk},
        }
    ]


def test_a_kept_record_stored_against_a_rule_is_still_merged_into(db, editor):
    """The merge changes nothing of the kept record's own, so its fields are not checked:
    a company marked verified without a citation (by a write that went around the
    services, or before the rule) takes the merged one's citation."""
    source = save(
        Source(title="A", publisher="P", language="en", kind="news_article", text=ARTICLE)
    )
    keep, merge = company("Keep", "keep"), company("Merge", "merge")
    cite(merge, source)
    Company.objects.filter(pk=keep.pk).update(status="verified")

    record_merge(keep, merge, user=editor, reason="the same")

    assert Citation.objects.get().object_id == keep.pk
    assert Company.history.filter(id=keep.pk).latest("history_id").status == "verified"


def test_an_undo_that_would_leave_the_kept_record_verified_without_citations_is_refused(db, editor):
    source = save(
        Source(title="A", publisher="P", language="en", kind="news_article", text=ARTICLE)
    )
    keep, merge = company("Keep", "keep"), company("Merge", "merge")
    cite(merge, source)
    done = record_merge(keep, merge, user=editor, reason="the same")
    keep.refresh_from_db()
    keep.status = "verified"  # it has the merged one's citation now
    record_save(keep, fields=["status"], user=editor, reason="checked")

    with pytest.raises(UndoRefused, match="is verified and would keep no citation"):
        merge_undo(done, user=editor, reason="not the same")
    assert Company.objects.filter(pk=merge.pk).exists() is False


def test_a_record_the_merge_writes_anyway_gets_one_version(world, editor):
    """An event that lists the merged person and quotes them: its list's write is its
    version, with the citation's change; not a second version before it."""
    summit = Event.objects.get(title="AI summit")
    cite(summit, world.source, quote="The company also announced", attributed_to=world.merge_person)
    version = Event.objects.get(pk=summit.pk).version
    done = record_merge(world.keep_person, world.merge_person, user=editor, reason="one person")
    assert Event.objects.get(pk=summit.pk).version == version + 1
    merge_undo(done, user=editor, reason="two people")
    assert Event.objects.get(pk=summit.pk).version == version + 2


def test_a_merged_record_that_cannot_come_back_as_it_was_refuses_the_undo(db, editor):
    """Verified without a citation when merged (written around the rule): the undo is
    refused, saying why, and nothing is written."""
    keep, merge = company("Keep", "keep"), company("Merge", "merge")
    Company.objects.filter(pk=merge.pk).update(status="verified")
    done = record_merge(keep, merge, user=editor, reason="the same")

    with pytest.raises(UndoRefused, match="was verified without a citation when it was merged"):
        merge_undo(done, user=editor, reason="not the same")
    assert not Company.objects.filter(pk=merge.pk).exists()
