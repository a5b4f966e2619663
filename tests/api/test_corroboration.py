"""How many independent sources back each fact (`source_count`, `corroborated`), and the
filters on them, in JSON and CSV, on the demo data and on made-up records."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Event, Metric

from ..factories import (
    CitationFactory,
    CompanyFactory,
    EventFactory,
    MetricFactory,
    PartnershipFactory,
    SourceFactory,
)
from .base import csv_rows, ids, results

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo", verbosity=0)


def cited(fact, *publishers):
    for publisher in publishers:
        CitationFactory(fact=fact, source=SourceFactory(publisher=publisher))
    return fact


# --- the demo data -------------------------------------------------------------------------


def test_le_chat_first_in_france_and_macron_endorsement_are_corroborated(demo, anon_api):
    rank = Metric.objects.get(metric_type__slug="app-store-rank", region="FR")
    row = anon_api.get(f"/api/v1/metrics/{rank.pk}/").json()
    assert (row["source_count"], row["corroborated"]) == (2, True)
    assert {c["source"]["language"] for c in row["citations"]} == {"it", "fr"}

    endorsement = Event.objects.get(kind="endorsement")
    row = anon_api.get(f"/api/v1/events/{endorsement.pk}/").json()
    assert (row["source_count"], row["corroborated"]) == (2, True)

    corroborated_metrics = ids(anon_api.get("/api/v1/metrics/?corroborated=true"))
    assert corroborated_metrics == [rank.pk]
    assert endorsement.pk in ids(anon_api.get("/api/v1/events/?corroborated=true&kind=endorsement"))


def test_the_chatgpt_november_2023_claim_is_disputed_and_has_one_source(demo, anon_api):
    (row,) = results(
        anon_api.get("/api/v1/metrics/?product=chatgpt&status=disputed&fields=id,source_count")
    )
    claim = Metric.objects.get(pk=row["id"])
    assert (claim.window_days, claim.period_start.isoformat()) == (6, "2023-11-01")
    assert row["source_count"] == 1
    not_corroborated = ids(anon_api.get("/api/v1/metrics/?corroborated=false"))
    assert claim.pk in not_corroborated
    assert len(not_corroborated) == Metric.objects.count() - 1


def test_demo_counts_agree_between_json_and_csv(demo, anon_api):
    json_rows = results(anon_api.get("/api/v1/events/?fields=id,source_count&limit=1000"))
    _, csv_rows_ = csv_rows(anon_api.get("/api/v1/events/?fields=id,source_count&format=csv"))
    assert {r["id"]: r["source_count"] for r in json_rows} == {
        int(r["id"]): int(r["source_count"]) for r in csv_rows_
    }
    assert {r["source_count"] for r in json_rows} == {0, 1, 2}  # 0: Le Chat's launch


# --- what counts as independent --------------------------------------------------------------


def test_sources_are_counted_once_per_publisher(anon_api):
    none = CompanyFactory()
    one = cited(CompanyFactory(), "Le Monde")
    same_publisher = cited(CompanyFactory(), "Le Monde", "Le Monde")
    two = cited(CompanyFactory(), "Le Monde", "Il Sole 24 Ore")
    three = cited(CompanyFactory(), "Le Monde", "Le Monde", "Il Sole 24 Ore", "Reuters")
    # One source cited twice for the same fact is still one source.
    source = SourceFactory(publisher="Reuters")
    twice = CompanyFactory()
    CitationFactory(fact=twice, source=source)
    CitationFactory(fact=twice, source=source)
    expected = {none: 0, one: 1, same_publisher: 1, two: 2, three: 3, twice: 1}
    rows = {
        row["id"]: (row["source_count"], row["corroborated"])
        for row in results(anon_api.get("/api/v1/companies/?fields=id,source_count,corroborated"))
    }
    assert rows == {company.pk: (n, n >= 2) for company, n in expected.items()}
    _, csv = csv_rows(anon_api.get("/api/v1/companies/?format=csv&fields=id,source_count"))
    assert {int(r["id"]): int(r["source_count"]) for r in csv} == {
        company.pk: n for company, n in expected.items()
    }
    for company, n in expected.items():
        assert anon_api.get(f"/api/v1/companies/{company.pk}/").json()["source_count"] == n


def test_a_citation_of_another_kind_of_fact_with_the_same_id_does_not_count(anon_api):
    company = cited(CompanyFactory(), "Le Monde")
    event = EventFactory()
    # The same id in another table: a citation names its fact by content type and id.
    Event.objects.filter(pk=event.pk).update(id=company.pk)
    cited(Event.objects.get(pk=company.pk), "Reuters", "AP")
    row = anon_api.get(f"/api/v1/companies/{company.pk}/").json()
    assert row["source_count"] == 1
    assert ids(anon_api.get("/api/v1/companies/?corroborated=true")) == []
    assert ids(anon_api.get("/api/v1/events/?corroborated=true")) == [company.pk]


# --- filters ----------------------------------------------------------------------------------


@pytest.fixture
def metrics():
    return {
        0: MetricFactory(),
        1: cited(MetricFactory(), "A"),
        2: cited(MetricFactory(), "A", "B"),
        3: cited(MetricFactory(), "A", "B", "C", "C"),
        "same": cited(MetricFactory(), "A", "A"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("corroborated=true", [2, 3]),
        ("corroborated=1", [2, 3]),
        ("corroborated=yes", [2, 3]),
        ("corroborated=false", [0, 1, "same"]),
        ("corroborated=0", [0, 1, "same"]),
        ("source_count_min=0", [0, 1, 2, 3, "same"]),
        ("source_count_min=1", [1, 2, 3, "same"]),
        ("source_count_min=2", [2, 3]),
        ("source_count_min=3", [3]),
        ("source_count_min=4", []),
        ("corroborated=false&source_count_min=1", [1, "same"]),
        ("corroborated=true&status=unverified", [2, 3]),
    ],
)
def test_filters_include_and_exclude(anon_api, metrics, query, expected):
    got = ids(anon_api.get(f"/api/v1/metrics/?{query}"))
    assert got == sorted(metrics[key].pk for key in expected)
    _, rows = csv_rows(anon_api.get(f"/api/v1/metrics/?{query}&format=csv&fields=id"))
    assert [int(row["id"]) for row in rows] == got


@pytest.mark.parametrize(
    "query",
    [
        "corroborated=maybe",
        "corroborated=2",
        "source_count_min=-1",
        "source_count_min=1.5",
        "source_count_min=two",
        "source_count_min=99999999999",
    ],
)
def test_bad_values_are_a_400_naming_the_parameter(anon_api, query):
    response = anon_api.get(f"/api/v1/metrics/?{query}")
    assert response.status_code == 400, response.content[:300]
    assert query.split("=")[0] in response.json()


@pytest.mark.parametrize(
    "path", ["companies", "products", "people", "partnerships", "funding-rounds", "investments"]
)
def test_every_kind_of_fact_has_the_filter_and_the_fields(anon_api, path):
    schema = anon_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    names = {p["name"] for p in schema["paths"][f"/api/v1/{path}/"]["get"]["parameters"]}
    assert {"corroborated", "source_count_min"} <= names
    record = anon_api.get(f"/api/v1/{path}/", {"fields": "id,source_count"})
    assert record.status_code == 200, record.content[:300]
    response = anon_api.get(f"/api/v1/{path}/?corroborated=true&fields=id,source_count")
    assert response.status_code == 200, response.content[:300]
    assert all(row["source_count"] >= 2 for row in response.json()["results"])
    header, _rows = csv_rows(anon_api.get(f"/api/v1/{path}/", {"format": "csv"}))
    assert "source_count" in header


def test_partnership_with_two_publishers(anon_api):
    partnership = cited(PartnershipFactory(), "A", "B")
    other = cited(PartnershipFactory(), "A")
    assert ids(anon_api.get("/api/v1/partnerships/?corroborated=true")) == [partnership.pk]
    assert ids(anon_api.get("/api/v1/partnerships/?corroborated=false")) == [other.pk]


def test_brief_form_has_no_counts(anon_api):
    metric = cited(MetricFactory(), "A", "B")
    row = results(anon_api.get(f"/api/v1/metrics/?brief=1&id={metric.pk}"))[0]
    assert "source_count" not in row


def test_the_count_follows_citation_writes(editor_api):
    metric = cited(MetricFactory(), "A")
    url = f"/api/v1/metrics/{metric.pk}/"
    second = SourceFactory(publisher="B")
    citations = [
        {"id": c.pk, "source": c.source_id, "quote": c.quote} for c in metric.citations.all()
    ]
    citations.append({"source": second.pk, "quote": "Acme Robotics"})
    response = editor_api.patch(url, {"citations": citations}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["source_count"], response.json()["corroborated"]) == (2, True)
    assert editor_api.get(url).json()["source_count"] == 2


# --- cost ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["", "fields=id,source_count,corroborated", "corroborated=true", "source_count_min=1"],
)
def test_a_page_costs_the_same_for_3_and_30_rows(anon_api, query):
    url = f"/api/v1/metrics/?{query}"

    def count():
        with CaptureQueriesContext(connection) as page:
            rows = results(anon_api.get(url))
        # `corroborated` is JSON only: the CSV has the count it follows from.
        csv_url = url.replace(",corroborated", "")
        with CaptureQueriesContext(connection) as export:
            b"".join(anon_api.get(f"{csv_url}&format=csv").streaming_content)
        return len(rows), len(page), len(export)

    count()  # content types and other per-process caches
    publishers = [SourceFactory(publisher=name) for name in ("A", "B")]
    for _ in range(3):
        metric = MetricFactory()
        for source in publishers:
            CitationFactory(fact=metric, source=source)
    rows_small, page_small, export_small = count()
    for _ in range(27):
        metric = MetricFactory()
        for source in publishers:
            CitationFactory(fact=metric, source=source)
    rows_large, page_large, export_large = count()
    assert (rows_small, rows_large) == (3, 30)
    assert (page_large, export_large) == (page_small, export_small)
