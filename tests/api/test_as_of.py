"""`?as_of=`: lists, details and CSV answer as they would have at that instant."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from companies.models import Company

pytestmark = pytest.mark.django_db

TEXT = "Acme said its assistant reached two million users in France."


def moment() -> str:
    return timezone.now().isoformat()


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json() if status != 204 else None


def add_company(api, slug, name):
    body = {"name": name, "slug": slug, "kind": "technology"}
    return ok(api.post("/api/v1/companies/", body, format="json"), 201)


def add_source(api):
    body = {
        "title": "Acme news",
        "publisher": "Example News",
        "language": "en",
        "kind": "news_article",
        "text": TEXT,
    }
    return ok(api.post("/api/v1/sources/", body, format="json"), 201)


@pytest.fixture
def timeline(editor_api):
    """A company and a metric created, edited (with a citation), deleted: the moments
    between each step."""
    at = {"before": moment()}
    company = add_company(editor_api, "acme", "Acme")
    at["company"] = moment()
    metric = ok(
        editor_api.post(
            "/api/v1/metrics/",
            {
                "company": "acme",
                "metric_type": "downloads",
                "qualifier": "exact",
                "value": "1000",
                "region": "FR",
            },
            format="json",
        ),
        201,
    )
    at["created"] = moment()
    source = add_source(editor_api)
    ok(
        editor_api.patch(
            f"/api/v1/metrics/{metric['id']}/",
            {
                "value": "2000000",
                "citations": [{"source": source["id"], "quote": "two million users"}],
            },
            format="json",
        )
    )
    at["edited"] = moment()
    ok(editor_api.delete(f"/api/v1/metrics/{metric['id']}/"), 204)
    at["deleted"] = moment()
    ok(editor_api.patch("/api/v1/companies/acme/", {"name": "Acme Robotics"}, format="json"))
    at["renamed"] = moment()
    return {"at": at, "company": company, "metric": metric}


def metrics(api, when, query=""):
    return ok(api.get(f"/api/v1/metrics/?as_of={when}{query}"))["results"]


def test_lists_show_each_moment(anon_api, timeline):
    at = timeline["at"]
    assert metrics(anon_api, at["before"]) == []
    assert ok(anon_api.get("/api/v1/companies/", {"as_of": at["before"]}))["results"] == []
    assert metrics(anon_api, at["company"]) == []

    [created] = metrics(anon_api, at["created"])
    assert created["value"] == "1000"
    assert created["citations"] == []
    assert created["version"] == 1

    [edited] = metrics(anon_api, at["edited"])
    assert edited["value"] == "2000000"
    assert [c["quote"] for c in edited["citations"]] == ["two million users"]
    assert edited["citations"][0]["source"]["title"] == "Acme news"
    assert edited["version"] == 2

    assert metrics(anon_api, at["deleted"]) == []
    assert ok(anon_api.get("/api/v1/metrics/"))["results"] == []


def test_details_show_each_moment(anon_api, timeline):
    at, pk = timeline["at"], timeline["metric"]["id"]
    assert anon_api.get(f"/api/v1/metrics/{pk}/", {"as_of": at["company"]}).status_code == 404
    response = anon_api.get(f"/api/v1/metrics/{pk}/", {"as_of": at["created"]})
    assert ok(response)["value"] == "1000"
    assert response["ETag"] == '"1"'
    assert ok(anon_api.get(f"/api/v1/metrics/{pk}/", {"as_of": at["edited"]}))["version"] == 2
    assert anon_api.get(f"/api/v1/metrics/{pk}/", {"as_of": at["deleted"]}).status_code == 404
    assert anon_api.get(f"/api/v1/metrics/{pk}/").status_code == 404

    # Related records are shown as they were too, and slugs resolve at that moment.
    company = ok(anon_api.get("/api/v1/companies/acme/", {"as_of": at["deleted"]}))
    assert company["name"] == "Acme"
    assert ok(anon_api.get("/api/v1/companies/acme/"))["name"] == "Acme Robotics"


def test_filters_apply_to_the_earlier_state(anon_api, timeline):
    at = timeline["at"]
    assert len(metrics(anon_api, at["created"], "&value_max=5000")) == 1
    assert metrics(anon_api, at["edited"], "&value_max=5000") == []
    assert len(metrics(anon_api, at["edited"], "&company=acme&region=FR")) == 1
    assert metrics(anon_api, at["edited"], "&region=DE") == []
    companies = ok(anon_api.get("/api/v1/companies/", {"as_of": at["edited"], "q": "Acme"}))
    assert [c["name"] for c in companies["results"]] == ["Acme"]
    renamed = {"as_of": at["edited"], "q": "Robotics"}
    assert ok(anon_api.get("/api/v1/companies/", renamed))["results"] == []


def test_csv_shows_the_earlier_state(anon_api, timeline):
    at = timeline["at"]

    def rows(when):
        response = anon_api.get("/api/v1/metrics/", {"as_of": when, "format": "csv"})
        assert response.status_code == 200
        body = b"".join(response.streaming_content).decode()
        return list(csv.DictReader(io.StringIO(body)))

    assert [row["value"] for row in rows(at["created"])] == ["1000"]
    assert [row["value"] for row in rows(at["edited"])] == ["2000000"]
    assert rows(at["deleted"]) == []
    assert rows(at["before"]) == []


def test_many_to_many_links_as_they_were(anon_api, editor_api):
    for slug in ("a", "b"):
        add_company(editor_api, slug, slug.upper())
    event = ok(
        editor_api.post(
            "/api/v1/events/",
            {"title": "Summit", "kind": "summit", "companies": ["a", "b"]},
            format="json",
        ),
        201,
    )
    both = moment()
    ok(editor_api.patch(f"/api/v1/events/{event['id']}/", {"companies": ["b"]}, format="json"))
    then = ok(anon_api.get(f"/api/v1/events/{event['id']}/", {"as_of": both}))
    assert sorted(c["slug"] for c in then["companies"]) == ["a", "b"]
    now = ok(anon_api.get(f"/api/v1/events/{event['id']}/"))
    assert [c["slug"] for c in now["companies"]] == ["b"]
    found = ok(anon_api.get("/api/v1/events/", {"as_of": both, "company": "a"}))
    assert [e["id"] for e in found["results"]] == [event["id"]]
    assert ok(anon_api.get("/api/v1/events/", {"company": "a"}))["results"] == []


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2025-13-01",
        "2025-02-30T10:00:00Z",
        "10:00",
        "2025-02-10T25:00",
        "0001-01-01T00:00:00+01:00",
        "\uff12025-02-10",  # a full-width digit, which Python's \\d and int() read
        "2025-02-10T1\u0661:00:00Z",
    ],
)
def test_a_malformed_time_is_a_400_naming_the_parameter(anon_api, value):
    response = anon_api.get("/api/v1/metrics/", {"as_of": value})
    assert response.status_code == 400
    assert "as_of" in response.json()


def test_a_date_or_an_offset_is_understood(anon_api, timeline):
    assert metrics(anon_api, "2000-01-01") == []
    # Given empty, it would answer the present for what asked another time: refused.
    response = anon_api.get("/api/v1/companies/", {"as_of": ""})
    assert response.status_code == 400
    assert response.json() == {"as_of": ["Empty: give a value, or leave the parameter out."]}
    assert ok(anon_api.get("/api/v1/metrics/", {"as_of": "2999-01-01T01:00:00+01:00"}))


def test_writes_refuse_as_of_and_write_nothing(editor_api, timeline):
    response = editor_api.patch(
        "/api/v1/companies/acme/?as_of=2025-01-01", {"name": "X"}, format="json"
    )
    assert response.status_code == 400
    assert "as_of" in response.json()
    assert ok(editor_api.get("/api/v1/companies/acme/"))["name"] == "Acme Robotics"


def test_nothing_outlives_the_request(anon_api, timeline):
    metrics(anon_api, timeline["at"]["created"])
    # The shadowing views were rolled back: the next plain read sees the present.
    assert ok(anon_api.get("/api/v1/companies/acme/"))["name"] == "Acme Robotics"
    assert not connection.in_atomic_block or connection.savepoint_ids == []


def test_an_as_of_page_costs_the_same_queries_for_5_and_50_rows(anon_api, editor_api):
    add_company(editor_api, "acme", "Acme")

    def add(n):
        for i in range(n):
            ok(
                editor_api.post(
                    "/api/v1/metrics/",
                    {
                        "company": "acme",
                        "metric_type": "downloads",
                        "qualifier": "exact",
                        "value": str(i + 1),
                    },
                    format="json",
                ),
                201,
            )

    def count():
        when = moment()
        with CaptureQueriesContext(connection) as queries:
            assert ok(anon_api.get("/api/v1/metrics/", {"as_of": when, "limit": 100}))
        return len(queries)

    add(5)
    five = count()
    add(45)
    assert count() == five


def test_conflicts_as_they_were(anon_api, editor_api):
    """Two contradicting claims are a conflict from the moment the second is recorded,
    and not before."""
    add_company(editor_api, "acme", "Acme")
    claim = {
        "company": "acme",
        "metric_type": "downloads",
        "qualifier": "exact",
        "period_start": "2025-02-01",
        "period_precision": "month",
        "region": "FR",
    }
    ok(editor_api.post("/api/v1/metrics/", {**claim, "value": "1000"}, format="json"), 201)
    one = moment()
    ok(editor_api.post("/api/v1/metrics/", {**claim, "value": "5000"}, format="json"), 201)
    assert ok(anon_api.get("/api/v1/conflicts/", {"as_of": one}))["results"] == []
    [conflict] = ok(anon_api.get("/api/v1/conflicts/"))["results"]
    assert [c["value"] for c in conflict["claims"]] == ["1000", "5000"]


def test_as_of_is_for_lists_and_details_only(anon_api, timeline):
    response = anon_api.get("/api/v1/companies/acme/history/", {"as_of": "2025-01-01"})
    assert response.status_code == 400
    assert "as_of" in response.json()


def test_a_restore_shows_from_its_moment_on(anon_api, editor_api, timeline):
    at, pk = timeline["at"], timeline["metric"]["id"]
    ok(editor_api.post(f"/api/v1/metrics/{pk}/restore/", format="json"), 201)
    restored = moment()

    assert metrics(anon_api, at["deleted"]) == []
    [back] = metrics(anon_api, restored)
    assert (back["value"], back["version"]) == ("2000000", 3)
    assert [c["quote"] for c in back["citations"]] == ["two million users"]
    assert ok(anon_api.get(f"/api/v1/metrics/{pk}/", {"as_of": restored}))["version"] == 3
    response = anon_api.get("/api/v1/metrics/", {"as_of": restored, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["id"], row["value"]) for row in rows] == [(str(pk), "2000000")]
    # and the moments before it are unchanged by the restore
    [edited] = metrics(anon_api, at["edited"])
    assert edited["version"] == 2
    # The restore is one instant: the record's, its history row's and its citation's.
    own = ok(anon_api.get(f"/api/v1/metrics/{pk}/"))["updated_at"].replace("+00:00", "Z")
    seen = ok(anon_api.get(f"/api/v1/metrics/{pk}/", {"as_of": own}))
    assert [c["quote"] for c in seen["citations"]] == ["two million users"]
    [version] = ok(anon_api.get(f"/api/v1/metrics/{pk}/history/?limit=1"))["results"]
    assert version["at"].replace("+00:00", "Z") == own


def test_as_of_a_records_own_updated_at_shows_that_version(anon_api, editor_api):
    add_company(editor_api, "acme", "Acme")
    renamed = ok(editor_api.patch("/api/v1/companies/acme/", {"name": "Acme Robotics"}))
    # The record and its history row carry the same instant.
    company = Company.objects.get(slug="acme")
    assert company.history.first().history_date == company.updated_at
    at = renamed["updated_at"].replace("+00:00", "Z")
    seen = ok(anon_api.get(f"/api/v1/companies/acme/?as_of={at}"))
    assert (seen["name"], seen["version"]) == ("Acme Robotics", 2)


def test_as_of_a_records_updated_at_shows_the_rows_written_with_it(anon_api, editor_api):
    """A record and its rows (citations, aliases) written in one request are one version:
    stamped apart, the record read at its own updated_at had its fields of the new version
    and its rows of the one before (a verified metric without its citation)."""
    add_company(editor_api, "acme", "Acme")
    source = add_source(editor_api)
    metric = ok(
        editor_api.post(
            "/api/v1/metrics/",
            {
                "company": "acme",
                "metric_type": "downloads",
                "qualifier": "exact",
                "value": "2000000",
                "status": "verified",
                "citations": [{"source": source["id"], "quote": "two million users"}],
            },
            format="json",
        ),
        201,
    )
    at = metric["updated_at"].replace("+00:00", "Z")
    seen = ok(anon_api.get(f"/api/v1/metrics/{metric['id']}/?as_of={at}"))
    assert seen["status"] == "verified"
    assert [c["quote"] for c in seen["citations"]] == ["two million users"]
    assert seen["source_count"] == 1
    exported = anon_api.get(f"/api/v1/metrics/?format=csv&id={metric['id']}&as_of={at}")
    body = b"".join(exported.streaming_content).decode()
    [row] = csv.DictReader(io.StringIO(body))
    assert (row["status"], row["source_count"]) == ("verified", "1")

    renamed = ok(
        editor_api.patch(
            "/api/v1/companies/acme/",
            {"description": "v2", "aliases": [{"name": "Acme Corp"}]},
            format="json",
        )
    )
    at = renamed["updated_at"].replace("+00:00", "Z")
    seen = ok(anon_api.get(f"/api/v1/companies/acme/?as_of={at}"))
    assert seen["description"] == "v2"
    assert [alias["name"] for alias in seen["aliases"]] == ["Acme Corp"]


def test_as_of_a_slug_named_only_later_matches_nothing(anon_api, timeline):
    before = timeline["at"]["before"]
    assert metrics(anon_api, before, "&company=acme") == []
    detail = anon_api.get(f"/api/v1/companies/acme/?as_of={before}")
    assert detail.status_code == 404
    # A slug no record ever had is still a typo: a 400 naming the parameter.
    typo = anon_api.get(f"/api/v1/metrics/?as_of={before}&company=acme-typo")
    assert typo.status_code == 400
    assert "company" in typo.json()


@pytest.fixture
def read_only():
    """The connection made read-only, as a hot-standby replica's is: PostgreSQL refuses
    any write (and any temporary object) in its transactions, SQLite any write."""
    vendor = connection.vendor
    on, off = {
        "postgresql": (
            "SET default_transaction_read_only = on",
            "RESET default_transaction_read_only",
        ),
        "sqlite": ("PRAGMA query_only = ON", "PRAGMA query_only = OFF"),
    }[vendor]
    with connection.cursor() as cursor:
        cursor.execute(on)
    yield
    with connection.cursor() as cursor:
        cursor.execute(off)


@pytest.mark.django_db(transaction=True)
def test_time_travel_works_where_nothing_may_be_written(anon_api, timeline, read_only):
    """as_of creates nothing, so it answers on a read-only connection: lists, details and
    CSV, each showing its moment."""
    at, pk = timeline["at"], timeline["metric"]["id"]
    with pytest.raises(Exception, match="read.only|readonly"):
        Company.objects.filter(slug="acme").update(name="Changed")
    assert [m["value"] for m in metrics(anon_api, at["created"])] == ["1000"]
    assert ok(anon_api.get(f"/api/v1/metrics/{pk}/", {"as_of": at["edited"]}))["value"] == "2000000"
    response = anon_api.get("/api/v1/metrics/", {"as_of": at["edited"], "format": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert [row["value"] for row in csv.DictReader(io.StringIO(body))] == ["2000000"]
    assert ok(anon_api.get("/api/v1/companies/acme/", {"as_of": at["deleted"]}))["name"] == "Acme"
