"""Merges through the API: the old id and slug of a merged record answer 301 to the kept
one, the list of merges, undo, and who may do what."""

import pytest

from companies.models import Company, Person, PersonAlias
from events.models import Metric
from factbase.core.models import Merge
from factbase.core.services import record_delete, record_merge, record_write

from ..api.base import row_counts
from .conftest import API, company, person, save

pytestmark = pytest.mark.django_db

HOST = "http://testserver"


def merge_into(client, kind: str, merged, into, **body):
    return client.post(
        f"{API}{kind}/{merged}/merge/", {"into": into, "reason": "the same", **body}, format="json"
    )


@pytest.fixture
def merged(world, editor):
    """The world's duplicate company merged into the kept one."""
    return record_merge(world.keep, world.merge, user=editor, reason="the same")


def test_the_old_id_and_slug_answer_301_to_the_kept_record(world, merged, anon_api):
    kept = f"{HOST}{API}companies/{world.keep.pk}/"
    for old in (world.merge.pk, world.merge.slug):
        response = anon_api.get(f"{API}companies/{old}/")
        assert response.status_code == 301
        assert response["Location"] == kept
        assert response.json()["merged_into"] == kept
        assert anon_api.head(f"{API}companies/{old}/").status_code == 301
    response = anon_api.get(f"{API}companies/{world.merge.slug}/?fields=id,name")
    assert response["Location"] == f"{kept}?fields=id,name"
    response = anon_api.get(f"{API}companies/{world.merge.pk}/history/?limit=1")
    assert (response.status_code, response["Location"]) == (301, f"{kept}history/?limit=1")
    response = anon_api.get(kept)
    assert response.status_code == 200
    assert response.json()["id"] == world.keep.pk
    assert "ACME Robotics SAS" in [alias["name"] for alias in response.json()["aliases"]]


def test_a_write_to_the_old_id_says_where_it_went_and_writes_nothing(world, merged, editor_api):
    before = row_counts()
    for call in (
        editor_api.patch(f"{API}companies/{world.merge.pk}/", {"note": "x"}, format="json"),
        editor_api.delete(f"{API}companies/{world.merge.slug}/"),
        merge_into(editor_api, "companies", world.merge.pk, "globex"),
    ):
        assert call.status_code == 404
        assert call.json()["merged_into"] == f"{HOST}{API}companies/{world.keep.pk}/"
    assert row_counts() == before


def test_filters_by_the_old_slug_find_its_facts(world, merged, anon_api):
    moved = Metric.objects.get(company=world.keep)
    response = anon_api.get(f"{API}metrics/", {"company": world.merge.slug})
    assert response.status_code == 200
    found = [row["id"] for row in response.json()["results"]]
    assert moved.pk in found
    assert found == [
        row["id"] for row in anon_api.get(f"{API}metrics/?company=acme-robotics").json()["results"]
    ]


def test_merges_of_merges_lead_to_the_last_record(world, merged, editor, anon_api):
    last = company("Acme Holding", "acme-holding")
    second = record_merge(last, world.keep, user=editor, reason="the holding")
    response = anon_api.get(f"{API}companies/{world.merge.slug}/")
    assert response["Location"] == f"{HOST}{API}companies/{last.pk}/"

    # The first merge is undone after the one that moved its rows on, not before.
    response = _undo(editor, merged)
    assert response.status_code == 409
    (problem,) = response.json()["problems"]
    assert f"merge {second.pk}" in problem and "undo that merge first" in problem
    assert _undo(editor, second).status_code == 200
    assert _undo(editor, merged).status_code == 200
    assert anon_api.get(f"{API}companies/{world.merge.slug}/").status_code == 200


def _undo(user, merge):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client.post(f"{API}merges/{merge.pk}/undo/", {"reason": "not the same"}, format="json")


def test_the_list_of_merges_and_one_merge(world, merged, editor, anon_api):
    person = record_merge(world.keep_person, world.merge_person, user=editor, reason="r")
    body = anon_api.get(f"{API}merges/").json()
    assert [row["id"] for row in body["results"]] == [person.pk, merged.pk]
    assert body["results"][1]["kind"] == "companies"
    assert body["results"][1]["merged"] == {
        "id": world.merge.pk,
        "url": f"{HOST}{API}companies/{world.merge.pk}/",
        "name": "ACME Robotics SAS",
        "slug": "acme-robotics-sas",
    }
    assert body["results"][1]["kept"]["slug"] == "acme-robotics"
    for query, expected in [
        ({"kind": "people"}, [person.pk]),
        ({"kind": "companies", "kept": world.keep.pk}, [merged.pk]),
        ({"kind": "people", "merged": world.merge_person.pk}, [person.pk]),
        ({"undone": "false"}, [person.pk, merged.pk]),
    ]:
        rows = anon_api.get(f"{API}merges/", query).json()["results"]
        assert [row["id"] for row in rows] == expected, query
    assert anon_api.get(f"{API}merges/", {"undone": "true"}).json()["results"] == []
    assert anon_api.get(f"{API}merges/", {"kind": "metrics"}).status_code == 400
    for bad in ({"kept_id": 1}, {"kept": "1e400"}, {"kept": "-1"}, {"undone": "maybe"}):
        assert anon_api.get(f"{API}merges/", bad).status_code == 400, bad
    one = anon_api.get(f"{API}merges/{merged.pk}/")
    assert one.status_code == 200 and one.json()["reason"] == "the same"
    for missing in ("999999", "x", "99999999999999999999999"):
        assert anon_api.get(f"{API}merges/{missing}/").status_code == 404


def test_undo_is_refused_when_a_moved_row_is_deleted_or_moved_on_since(world, merged, editor):
    metric = Metric.objects.get(company=world.keep)
    record_write(metric, fields={"company": world.other}, reason="another company's")
    before = row_counts()
    response = _undo(editor, merged)
    assert response.status_code == 409
    (problem,) = response.json()["problems"]
    assert f"Metric {metric.pk}" in problem and "no longer refers to the kept company" in problem
    assert row_counts() == before

    record_delete(Metric.objects.get(pk=metric.pk), reason="wrong")
    (problem,) = _undo(editor, merged).json()["problems"]
    assert (
        problem == f"Metric {metric.pk}, which the merge moved, is deleted since: restore it first."
    )
    assert row_counts() != before  # the delete; the undo wrote nothing
    assert Merge.objects.get().undone_at is None


def test_undo_twice_is_refused(world, merged, editor):
    assert _undo(editor, merged).status_code == 200
    response = _undo(editor, merged)
    assert response.status_code == 409
    assert "undone already" in response.json()["problems"][0]


def test_a_slug_taken_since_refuses_the_undo(world, merged, editor):
    company("Someone else", world.merge.slug)
    (problem,) = _undo(editor, merged).json()["problems"]
    assert f"The slug {world.merge.slug!r} is taken since" in problem


def test_a_merged_record_is_brought_back_by_its_undo_not_a_restore(world, merged, editor_api):
    before = row_counts()
    response = editor_api.post(f"{API}companies/{world.merge.pk}/restore/", format="json")
    assert response.status_code == 400
    assert f"merge {merged.pk}" in str(response.json())
    assert row_counts() == before


def test_a_dry_run_answers_what_the_merge_would_do(world, editor_api):
    before = row_counts()
    response = merge_into(editor_api, "people", "jane-a-roe", "jane-roe", dry_run=True)
    assert response.status_code == 200
    body = response.json()
    assert body["dry_run"] is True and body["conflicts"] == []
    assert body["kept"]["slug"] == "jane-roe" and body["merged"]["slug"] == "jane-a-roe"
    assert body["alias_added"] == "Jane A. Roe"
    moves = {move["relation"]: move["count"] for move in body["moves"]}
    assert moves == {
        "citations.attributed_to": 1,
        "citations.fact": 1,
        "events.people": 1,
        "person-aliases.person": 1,
        "roles.person": 1,
    }
    assert row_counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"into": "jane-roe"}, "reason"),
        ({"into": "jane-roe", "reason": " "}, "reason"),
        ({"into": "jane-roe", "reason": "x" * 94}, "reason"),
        ({"reason": "r"}, "into"),
        ({"into": "nobody", "reason": "r"}, "into"),
        ({"into": "acme-robotics", "reason": "r"}, "into"),  # a company's slug
        ({"into": "jane-a-roe", "reason": "r"}, "into"),  # itself
        ({"into": "Jane A. Roe", "reason": "r"}, "into"),  # itself, by name
        ({"into": "j. roe", "reason": "r"}, "into"),  # itself, by alias
        ({"into": ["jane-roe"], "reason": "r"}, "into"),
        ({"into": "jane-roe", "reason": "r", "keep": 1}, "keep"),
        ({"into": "jane-roe", "reason": "r", "dry_run": "maybe"}, "dry_run"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(world, editor_api, body, field):
    before = row_counts()
    response = editor_api.post(f"{API}people/jane-a-roe/merge/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert row_counts() == before
    assert Person.objects.filter(slug="jane-a-roe").exists()


def test_a_merge_into_itself_says_so(world, editor_api):
    response = merge_into(editor_api, "people", "jane-a-roe", "Jane A. Roe")
    assert response.json() == {
        "into": ["A record cannot be merged into itself: give another person to keep."]
    }


def test_into_names_the_record_kept_by_alias(world, editor_api):
    save(PersonAlias(person=world.keep_person, name="Janet Roe"))
    response = merge_into(editor_api, "people", "jane-a-roe", "JANET ROE")
    assert response.status_code == 201, response.content[:500]
    assert response.json()["kept"]["id"] == world.keep_person.pk
    assert not Person.objects.filter(pk=world.merge_person.pk).exists()


def test_into_a_name_of_two_records_is_a_400_naming_both(world, editor_api):
    namesake = person("Jane Roe", "jane-roe-2")
    before = row_counts()
    response = merge_into(editor_api, "people", "jane-a-roe", "jane roe")
    assert response.status_code == 400
    [message] = response.json()["into"]
    assert "more than one person" in message
    assert "Jane Roe (jane-roe)" in message and f"Jane Roe ({namesake.slug})" in message
    assert row_counts() == before


def test_into_an_old_slug_merges_into_where_it_lives(world, merged, editor_api):
    other = company("Acme Robotics Inc", "acme-robotics-inc")
    response = merge_into(editor_api, "companies", other.pk, world.merge.slug)
    assert response.status_code == 201
    assert response.json()["kept"]["id"] == world.keep.pk


def test_only_editors_merge_and_undo(world, merged, viewer_api, anon_api):
    before = row_counts()
    assert merge_into(viewer_api, "people", "jane-a-roe", "jane-roe").status_code == 403
    assert merge_into(anon_api, "people", "jane-a-roe", "jane-roe").status_code == 401
    undo = {"reason": "r"}
    assert viewer_api.post(f"{API}merges/{merged.pk}/undo/", undo, format="json").status_code == 403
    assert anon_api.post(f"{API}merges/{merged.pk}/undo/", undo, format="json").status_code == 401
    assert viewer_api.get(f"{API}merges/").status_code == 200
    assert row_counts() == before
    assert Company.objects.filter(pk=world.merge.pk).exists() is False


def test_a_page_of_merges_costs_the_same_queries_for_1_and_3(world, merged, editor, anon_api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert anon_api.get(f"{API}merges/").status_code == 200
        return len(captured)

    one = queries()
    record_merge(world.keep_person, world.merge_person, user=editor, reason="r")
    record_merge(world.keep_product, world.merge_product, user=editor, reason="r")
    assert len(anon_api.get(f"{API}merges/").json()["results"]) == 3
    assert queries() == one + 2  # the names of the people and products kept: once a kind
