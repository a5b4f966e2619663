"""`GET /api/v1/<kind>/<id>/history/`: a record's versions, newest first, each with its
author, time, reason and changed fields."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from companies.models import Platform
from events.models import Event
from factbase.core.services import record_save

from ..factories import (
    CitationFactory,
    CompanyFactory,
    EventFactory,
    MetricFactory,
    ProductFactory,
    SourceFactory,
)
from .base import API

pytestmark = pytest.mark.django_db

QUOTE = "Acme Robotics said on Monday"  # in the factories' source text


def history(client, path: str, query: str = ""):
    response = client.get(f"{API}{path}/history/{'?' + query if query else ''}")
    assert response.status_code == 200, response.content[:500]
    return response.json()


def changes_of(version) -> dict:
    return {change["field"]: (change["old"], change["new"]) for change in version["changes"]}


def test_versions_newest_first_with_author_reason_and_changes(editor_api, anon_api, editor):
    response = editor_api.post(
        f"{API}companies/",
        {"name": "Acme", "slug": "acme", "kind": "technology", "country": "FR"},
        HTTP_X_CHANGE_REASON="New in the press",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    response = editor_api.patch(
        f"{API}companies/{pk}/",
        {"country": "DE", "headquarters": "Berlin"},
        HTTP_X_CHANGE_REASON="Moved",
    )
    assert response.status_code == 200, response.content

    body = history(anon_api, f"companies/{pk}")
    assert body["count"] == 2
    update, create = body["results"]
    assert update["action"] == "update"
    assert update["user"] == "editor"
    assert update["reason"] == "Moved"
    assert update["version"] == 2
    assert changes_of(update) == {"country": ("FR", "DE"), "headquarters": ("", "Berlin")}
    assert create["action"] == "create"
    assert create["reason"] == "New in the press"
    assert create["version"] == 1
    assert changes_of(create)["name"] == (None, "Acme")
    assert "headquarters" not in changes_of(create)  # empty at creation: not listed
    assert update["at"] >= create["at"]
    assert update["history_id"] > create["history_id"]

    # By slug too, with the same answer.
    assert history(anon_api, "companies/acme") == body


def test_a_deleted_record_keeps_its_history(editor_api, anon_api):
    company = record_save(CompanyFactory.build(), reason="made")
    pk = company.pk
    response = editor_api.delete(f"{API}companies/{pk}/", HTTP_X_CHANGE_REASON="Duplicate")
    assert response.status_code == 204

    body = history(anon_api, f"companies/{pk}")
    assert [v["action"] for v in body["results"]] == ["delete", "create"]
    assert body["results"][0]["user"] == "editor"
    assert body["results"][0]["reason"] == "Duplicate"
    assert body["results"][0]["changes"] == []
    # A slug names existing records only.
    assert anon_api.get(f"{API}companies/{company.slug}/history/").status_code == 404


@pytest.mark.parametrize("key", ["999999", "no-such-slug", "99999999999999999999999", "²"])
def test_unknown_record_is_404(anon_api, key):
    assert anon_api.get(f"{API}companies/{key}/history/").status_code == 404


def test_renamed_fields_and_values_as_the_api_writes_them(anon_api):
    source = record_save(SourceFactory.build(url="https://example.com/a"))
    source.url = "https://example.com/b"
    record_save(source, reason="new address")
    citation = CitationFactory(fact=CompanyFactory(), source=source)
    citation.quote = "Acme Robotics"
    record_save(citation)

    (update, _) = history(anon_api, f"sources/{source.pk}")["results"]
    assert changes_of(update) == {"source_url": ("https://example.com/a", "https://example.com/b")}
    (update,) = history(anon_api, f"citations/{citation.pk}")["results"][:1]
    assert changes_of(update)["quote"] == ("Acme Robotics said on Monday", "Acme Robotics")


def test_foreign_keys_as_ids_and_many_to_many_as_lists(editor_api, anon_api):
    old_owner, new_owner = CompanyFactory(), CompanyFactory()
    product = record_save(ProductFactory.build(company=old_owner))
    ios, web = Platform.objects.get(slug="ios"), Platform.objects.get(slug="web")
    response = editor_api.patch(
        f"{API}products/{product.pk}/",
        {"company": new_owner.pk, "platforms": [web.pk, ios.pk]},
        format="json",
    )
    assert response.status_code == 200, response.content

    versions = history(anon_api, f"products/{product.pk}")["results"]
    changed = {}
    for version in reversed(versions[:-1]):
        changed.update(changes_of(version))
    assert changed["company"] == (old_owner.pk, new_owner.pk)
    assert changed["platforms"][1] == sorted([ios.pk, web.pk])
    assert all(v["user"] == "editor" for v in versions[:-1])


def test_event_links_in_history(anon_api):
    company = CompanyFactory()
    event = record_save(EventFactory.build())
    event._history_user, event._change_reason = None, "linked"
    event.companies.add(company)
    latest = history(anon_api, f"events/{event.pk}")["results"][0]
    assert latest["reason"] == "linked"
    assert changes_of(latest) == {"companies": ([], [company.pk])}


def test_history_is_paginated(anon_api):
    company = record_save(CompanyFactory.build())
    first_name = company.name
    for n in range(4):
        company.name = f"Name {n}"
        record_save(company)
    body = history(anon_api, f"companies/{company.pk}", "limit=2")
    assert body["count"] == 5
    assert [v["version"] for v in body["results"]] == [5, 4]
    assert body["next"] is not None
    page = anon_api.get(body["next"]).json()
    assert [v["version"] for v in page["results"]] == [3, 2]
    # The previous version of a page's last row is read, even though it is on the next page.
    assert changes_of(page["results"][1]) == {"name": (first_name, "Name 0")}


def test_a_version_lists_the_rows_written_with_the_record(editor_api, anon_api):
    """A company's aliases written with it are changes of its versions: by row id, the
    fields each changed, `old` null for a row added and `new` null for one removed; the
    link to the company itself is left out."""
    response = editor_api.post(
        f"{API}companies/",
        {
            "name": "Acme",
            "slug": "acme",
            "kind": "technology",
            "country": "FR",
            "aliases": [{"name": "Acme Corp"}, {"name": "AcmeBot"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    pk, aliases = response.json()["id"], {a["name"]: a for a in response.json()["aliases"]}
    corp, caps = aliases["Acme Corp"], aliases["AcmeBot"]
    response = editor_api.patch(
        f"{API}companies/{pk}/",
        {"aliases": [{"id": corp["id"], "name": "Acme Corporation"}, {"name": "Acme SA"}]},
        format="json",
        HTTP_X_CHANGE_REASON="Aliases only",
    )
    assert response.status_code == 200, response.content
    added = next(a for a in response.json()["aliases"] if a["name"] == "Acme SA")

    update, create = history(anon_api, f"companies/{pk}")["results"]
    assert update["reason"] == "Aliases only"
    assert update["changes"] == [
        {
            "field": "aliases",
            "old": {"id": corp["id"], "name": "Acme Corp"},
            "new": {"id": corp["id"], "name": "Acme Corporation"},
        },
        {"field": "aliases", "old": {"id": caps["id"], "name": "AcmeBot"}, "new": None},
        {"field": "aliases", "old": None, "new": {"id": added["id"], "name": "Acme SA"}},
    ]
    created = [c for c in create["changes"] if c["field"] == "aliases"]
    assert sorted(created, key=lambda c: c["new"]["id"]) == created  # by row id
    assert {c["new"]["id"]: c for c in created} == {
        corp["id"]: {
            "field": "aliases",
            "old": None,
            "new": {"id": corp["id"], "name": "Acme Corp"},
        },
        caps["id"]: {"field": "aliases", "old": None, "new": {"id": caps["id"], "name": "AcmeBot"}},
    }


def test_a_fact_version_lists_its_citations_changes(editor_api, anon_api):
    metric = MetricFactory()
    citation = CitationFactory(fact=metric)
    response = editor_api.patch(
        f"{API}metrics/{metric.pk}/",
        {"citations": [{"id": citation.pk, "locator": "p. 2"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    response = editor_api.delete(f"{API}metrics/{metric.pk}/")
    assert response.status_code == 204, response.content

    deleted, update, _ = history(anon_api, f"metrics/{metric.pk}")["results"]
    assert update["changes"] == [
        {
            "field": "citations",
            "old": {"id": citation.pk, "locator": ""},
            "new": {"id": citation.pk, "locator": "p. 2"},
        }
    ]
    (removed,) = deleted["changes"]
    assert removed["field"] == "citations" and removed["new"] is None
    assert removed["old"]["id"] == citation.pk
    assert removed["old"]["locator"] == "p. 2"
    assert removed["old"]["source"] == citation.source_id
    assert "fact_id" not in removed["old"] and "fact_type" not in removed["old"]
    # A citation changed on its own is in its own history, not in a version of the fact.
    citation_versions = history(anon_api, f"citations/{citation.pk}")["results"]
    assert [v["action"] for v in citation_versions] == ["delete", "update", "create"]


def test_a_write_of_a_list_and_rows_is_one_version_listing_both(editor_api, anon_api):
    """A write that sets a many-to-many list and writes rows is one version, which shows
    both, on whatever page it is."""
    event, company, source = EventFactory(), CompanyFactory(), SourceFactory()
    response = editor_api.patch(
        f"{API}events/{event.pk}/",
        {"companies": [company.pk], "citations": [{"source": source.pk, "quote": QUOTE}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    whole = history(anon_api, f"events/{event.pk}", "limit=100")["results"]
    paged = [
        history(anon_api, f"events/{event.pk}", f"limit=1&offset={n}")["results"][0]
        for n in range(len(whole))
    ]
    assert paged == whole
    assert [(v["action"], v["version"]) for v in whole] == [("update", 2), ("create", 1)]
    assert {c["field"] for c in whole[0]["changes"]} == {"companies", "citations"}


def test_queries_do_not_grow_with_the_rows_versions_wrote(editor_api, anon_api):
    counts = []
    for versions in (3, 12):
        response = editor_api.post(
            f"{API}companies/",
            {
                "name": f"Acme {versions}",
                "slug": f"acme-{versions}",
                "kind": "technology",
                "country": "FR",
            },
            format="json",
        )
        pk = response.json()["id"]
        for n in range(versions - 1):
            response = editor_api.patch(
                f"{API}companies/{pk}/",
                {"aliases": [{"name": f"Acme {versions} alias {n}"}]},
                format="json",
            )
            assert response.status_code == 200, response.content
        body = history(anon_api, f"companies/{pk}", "limit=100")
        assert sum(len(v["changes"]) for v in body["results"][:-1]) == 2 * versions - 3
        counts.append(version_queries(anon_api, f"companies/{pk}"))
    assert counts[0] == counts[1]


def version_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        history(client, path, "limit=100")
    return len(queries)


@pytest.mark.parametrize(
    ("model_path", "build"),
    [
        ("companies", lambda: record_save(CompanyFactory.build())),
        ("events", lambda: record_save(EventFactory.build())),
    ],
)
def test_queries_do_not_grow_with_versions(anon_api, editor, model_path, build):
    counts = []
    for versions in (5, 50):
        record = build()
        company = CompanyFactory()
        for n in range(versions - 1):
            record.note = f"note {n}"
            record_save(record, user=editor if n % 2 else None, reason=f"step {n}")
            if isinstance(record, Event) and n % 10 == 0:
                record.companies.add(company)
        assert (
            len(history(anon_api, f"{model_path}/{record.pk}", "limit=100")["results"]) >= versions
        )
        counts.append(version_queries(anon_api, f"{model_path}/{record.pk}"))
    assert counts[0] == counts[1]


def test_history_in_the_schema(anon_api):
    schema = anon_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/v1/companies/{id}/history/" in schema["paths"]
    assert "/api/v1/companies/{id}/restore/" in schema["paths"]


def test_a_write_with_lists_is_one_version_holding_them(editor_api, anon_api):
    """A write that sets many-to-many lists is one version, its history row holding the
    lists as written: not a row for the record, then one for each list emptied and
    filled, each a state never stored, all of one version number."""
    acme, globex = CompanyFactory(), CompanyFactory()
    product = ProductFactory()
    body = {
        "title": "Launch",
        "kind": "launch",
        "companies": [acme.slug],
        "products": [product.slug],
        "occurred_on": "2025-02-10",
        "occurred_precision": "day",
    }
    response = editor_api.post(f"{API}events/", body, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    (created,) = history(anon_api, f"events/{pk}")["results"]
    assert (created["action"], created["version"]) == ("create", 1)
    assert changes_of(created)["companies"] == (None, [acme.pk])
    assert changes_of(created)["products"] == (None, [product.pk])

    change = {"title": "Launch, again", "companies": [globex.slug]}
    response = editor_api.patch(f"{API}events/{pk}/", change, format="json")
    assert response.status_code == 200, response.content
    versions = history(anon_api, f"events/{pk}")["results"]
    assert [(v["action"], v["version"]) for v in versions] == [("update", 2), ("create", 1)]
    assert changes_of(versions[0]) == {
        "title": ("Launch", "Launch, again"),
        "companies": ([acme.pk], [globex.pk]),
    }
    feed = anon_api.get(f"{API}changes/", {"after": "0", "kind": "events", "limit": 1000})
    assert [c["version"] for c in feed.json()["results"] if c["id"] == pk] == [1, 2]
