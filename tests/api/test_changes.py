"""`GET /api/v1/changes/`: the change log of every kind of record."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from companies.models import CompanyAlias
from factbase.core.services import record_delete, record_save
from factbase.core.services.clock import writing_at

from ..factories import (
    CitationFactory,
    CompanyFactory,
    EventFactory,
    MetricFactory,
    PersonFactory,
    SourceFactory,
)
from .base import API, csv_rows, error_paths

pytestmark = pytest.mark.django_db
CHANGES = f"{API}changes/"


def changes(client, query: str = "") -> list[dict]:
    response = client.get(f"{CHANGES}?{query}")
    assert response.status_code == 200, response.content[:500]
    return response.json()["results"]


def test_every_kind_of_write_is_in_the_log_newest_first(editor_api, anon_api, editor):
    response = editor_api.post(
        f"{API}companies/",
        {
            "name": "Acme",
            "slug": "acme",
            "kind": "technology",
            "aliases": [{"name": "Acme Robotics"}],
        },
        HTTP_X_CHANGE_REASON="From the registry",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    source = SourceFactory()
    response = editor_api.post(
        f"{API}citations/",
        {"fact_type": "company", "fact_id": pk, "source": source.pk, "quote": "Acme Robotics"},
        HTTP_X_CHANGE_REASON="Cited",
    )
    assert response.status_code == 201, response.content
    citation = response.json()["id"]
    response = editor_api.patch(
        f"{API}companies/{pk}/", {"country": "FR"}, HTTP_X_CHANGE_REASON="Country"
    )
    assert response.status_code == 200

    log = changes(anon_api, "kind=companies,citations,company-aliases")
    assert [(e["kind"], e["action"], e["reason"]) for e in log] == [
        ("companies", "update", "Country"),
        # A citation written on its own and the version of its fact that lists it.
        ("citations", "create", "Cited"),
        ("companies", "update", "Cited"),
        # A record and the rows written with it: one instant, by kind.
        ("companies", "create", "From the registry"),
        ("company-aliases", "create", "From the registry"),
    ]
    assert log[1]["at"] == log[2]["at"] and log[3]["at"] == log[4]["at"]
    assert changes(anon_api)[3]["kind"] == "sources"  # made by a factory, without a reason
    update = log[0]
    assert update["user"] == "editor"
    assert update["id"] == pk
    assert update["url"].endswith(f"/api/v1/companies/{pk}/")
    assert update["changes"] == [{"field": "country", "old": "", "new": "FR"}]
    cited = next(e for e in log if e["kind"] == "citations")
    assert cited["id"] == citation
    assert {"field": "fact_id", "old": None, "new": pk} in cited["changes"]
    alias = next(e for e in log if e["kind"] == "company-aliases")
    # A child row has no page of its own: it links to its parent's.
    assert alias["url"].endswith(f"/api/v1/companies/{pk}/")
    assert alias["id"] == CompanyAlias.objects.get().pk


def test_deletes_are_logged_with_who_and_why(editor_api, anon_api):
    company = CompanyFactory()
    CitationFactory(fact=company)
    response = editor_api.delete(f"{API}companies/{company.pk}/", HTTP_X_CHANGE_REASON="Dup")
    assert response.status_code == 204
    log = changes(anon_api, "action=delete")
    # One delete, one instant: rows of the same instant come by kind.
    assert [(e["kind"], e["user"], e["reason"]) for e in log] == [
        ("citations", "editor", "Dup"),
        ("companies", "editor", "Dup"),
    ]
    assert log[0]["at"] == log[1]["at"]


def test_filters(anon_api, editor):
    record_save(PersonFactory.build(), reason="other")
    company = record_save(CompanyFactory.build(), user=editor, reason="one")
    company.name = "Renamed"
    record_save(company, user=editor, reason="two")
    metric = record_save(MetricFactory.build(company=company), reason="three")
    record_delete(metric, user=editor, reason="four")

    def reasons(query):
        return [e["reason"] for e in changes(anon_api, query)]

    assert reasons("kind=companies") == ["two", "one"]
    assert reasons("kind=companies,metrics") == ["four", "three", "two", "one"]
    assert reasons(f"kind=companies&id={company.pk}&action=update") == ["two"]
    assert reasons("kind=people") == ["other"]
    assert reasons("user=editor") == ["four", "two", "one"]
    assert reasons("action=create,delete&kind=metrics,companies,people") == [
        "four",
        "three",
        "one",
        "other",
    ]
    future = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    assert reasons(f"since={future.replace('+00:00', 'Z')}") == []
    assert reasons("until=1969-12-31") == []  # the vocabulary is recorded at the epoch
    assert reasons("since=2000-01-01T00:00:00Z&kind=people") == ["other"]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("kind=nope", "kind"),
        ("action=edit", "action"),
        ("since=yesterday", "since"),
        ("until=2025-13-01", "until"),
        ("user=nobody", "user"),
        ("id=3", "id"),
        ("kind=companies&id=x", "id"),
        ("kind=companies,metrics&id=3", "id"),
        ("kind=companies&id=99999999999999999999999", "id"),
        ("offset=99999999999999999999999", "offset"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(anon_api, query, param):
    response = anon_api.get(f"{CHANGES}?{query}")
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {param}


def test_pages_by_limit_and_offset_without_overlap(anon_api):
    for n in range(7):
        record_save(CompanyFactory.build(), reason=f"r{n}")
    response = anon_api.get(f"{CHANGES}?limit=3&kind=companies")
    body = response.json()
    assert body["count"] is None
    seen = [e["reason"] for e in body["results"]]
    while body["next"]:
        body = anon_api.get(body["next"]).json()
        seen += [e["reason"] for e in body["results"]]
    assert seen == [f"r{n}" for n in reversed(range(7))]
    assert body["previous"] is not None


def make_changes(count: int, editor) -> None:
    company = record_save(CompanyFactory.build(), user=editor)
    event = record_save(EventFactory.build())
    source = record_save(SourceFactory.build())
    for n in range(count):
        company.note = f"n{n}"
        record_save(company, user=editor, reason=f"c{n}")
        event.note = f"n{n}"
        record_save(event, reason=f"e{n}")
        event._history_user, event._change_reason = None, "linked"
        event.companies.add(company) if n % 2 else event.companies.remove(company)
        source.title = f"t{n}"
        record_save(source, user=editor)
        record_save(CitationFactory.build(fact=company, source=source), user=editor)


def test_queries_do_not_grow_with_the_page(anon_api, editor):
    counts = []
    for count in (2, 20):
        make_changes(count, editor)
        with CaptureQueriesContext(connection) as queries:
            log = changes(anon_api, "limit=100&kind=companies,events,sources,citations")
        assert len(log) == 100 if count == 20 else len(log) >= 10
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_csv_one_row_per_change(anon_api, editor):
    whole_second = timezone.now().replace(microsecond=0) - datetime.timedelta(seconds=5)
    with writing_at(whole_second):
        company = record_save(CompanyFactory.build(), user=editor, reason="=made")
    company.name, company.country = "New", "DE"
    record_save(company, reason="changed")
    header, rows = csv_rows(anon_api.get(f"{CHANGES}?format=csv&kind=companies"))
    assert header == [
        *("kind", "id", "url", "action", "at", "user", "reason", "fields", "history_id"),
        *("version", "cursor"),
    ]
    # The same versions as the JSON's entries (the record's ETag after each change).
    entries = anon_api.get(f"{CHANGES}?kind=companies").json()["results"]
    assert [r["version"] for r in rows] == [str(e["version"]) for e in entries] == ["2", "1"]
    assert [(r["action"], r["user"], r["reason"]) for r in rows] == [
        ("update", "", "changed"),
        ("create", "editor", "'=made"),  # not run as a formula by a spreadsheet
    ]
    assert rows[0]["fields"] == "country name"
    assert rows[0]["id"] == str(company.pk)
    # Times as every CSV writes them: UTC, six digits of fraction, even when they are 0.
    assert rows[1]["at"] == whole_second.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    assert int(rows[0]["cursor"]) == int(rows[1]["cursor"]) + 1  # one after the other
    header, rows = csv_rows(anon_api.get(f"{CHANGES}?kind=companies", HTTP_ACCEPT="text/csv"))
    assert len(rows) == 2


def test_csv_is_streamed_in_chunks_with_bounded_queries(anon_api, editor, monkeypatch):
    from factbase.api.changes import ChangeLogView

    monkeypatch.setattr(ChangeLogView, "csv_chunk", 4)

    def export():
        with CaptureQueriesContext(connection) as queries:
            header, rows = csv_rows(anon_api.get(f"{CHANGES}?format=csv"))
        return len(rows), len(queries)

    make_changes(3, editor)
    rows, queries = export()
    assert rows == len(changes(anon_api, "limit=1000"))
    make_changes(9, editor)  # more than twice the rows: the queries grow by chunks, not rows
    more_rows, more_queries = export()
    assert more_rows > 2 * rows
    chunks = -(-rows // 4)
    more_chunks = -(-more_rows // 4)
    per_chunk = (more_queries - queries) / (more_chunks - chunks)
    assert per_chunk <= 10, (queries, more_queries, chunks, more_chunks)


def test_changes_in_the_schema_and_the_root(anon_api):
    schema = anon_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = {p["name"] for p in schema["paths"]["/api/v1/changes/"]["get"]["parameters"]}
    assert {"kind", "id", "user", "action", "since", "until", "limit", "offset"} <= parameters
    assert anon_api.get(API).json()["changes"].endswith("/api/v1/changes/")


def test_an_offset_near_the_largest_id_is_a_400(anon_api):
    response = anon_api.get("/api/v1/changes/", {"offset": str(2**63 - 10)})
    assert response.status_code == 400
    assert "offset" in response.json()


def test_an_empty_cursor_is_a_400_as_on_the_lists(anon_api):
    response = anon_api.get(f"{CHANGES}?after=")
    assert response.status_code == 400
    assert list(response.json()) == ["after"]
