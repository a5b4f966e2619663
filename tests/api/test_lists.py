"""Lists: pages of 50 by default and 1000 at most, links to the next and previous pages,
and ordering by each documented field with ties broken by id."""

import datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import models
from django.urls import resolve

from companies.models import Platform
from events.models import MetricType

from ..factories import CompanyFactory
from .base import ids, results
from .resources import RESOURCES

pytestmark = pytest.mark.django_db


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def test_pages_of_50_by_default_with_links(anon_api):
    Platform.objects.bulk_create(Platform(slug=f"p-{i}", name=f"P {i}") for i in range(60))
    every = list(Platform.objects.order_by("id").values_list("id", flat=True))
    first = anon_api.get("/api/v1/platforms/").json()
    assert first["count"] == len(every)
    assert [row["id"] for row in first["results"]] == every[:50]
    assert first["previous"] is None
    assert query_of(first["next"])["limit"] == ["50"]
    second = anon_api.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == every[50:]
    assert second["next"] is None


def test_limit_and_offset_walk_every_row_once(anon_api):
    Platform.objects.bulk_create(Platform(slug=f"p-{i}", name=f"P {i}") for i in range(20))
    every = list(Platform.objects.order_by("name", "id").values_list("id", flat=True))
    seen, url = [], "/api/v1/platforms/?limit=6&ordering=name&created_after=1960-01-01T00:00:00Z"
    while url:
        body = anon_api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
        if url:
            assert query_of(url)["ordering"] == ["name"]
    assert seen == every
    middle = anon_api.get("/api/v1/platforms/?limit=5&offset=5&ordering=name").json()
    assert [row["id"] for row in middle["results"]] == every[5:10]
    assert query_of(middle["previous"]) == {"limit": ["5"], "ordering": ["name"]}
    assert query_of(middle["next"])["offset"] == ["10"]


def test_a_page_holds_1000_at_most(anon_api):
    Platform.objects.bulk_create(Platform(slug=f"p-{i}", name=f"P {i}") for i in range(1005))
    body = anon_api.get("/api/v1/platforms/?limit=5000&fields=id").json()
    assert len(body["results"]) == 1000
    assert body["count"] == Platform.objects.count()
    assert query_of(body["next"])["limit"] == ["1000"]
    rest = anon_api.get(body["next"]).json()["results"]
    assert len(rest) == Platform.objects.count() - 1000


def test_an_offset_past_the_end_is_an_empty_page(anon_api):
    CompanyFactory()
    body = anon_api.get("/api/v1/companies/?offset=100").json()
    assert body["results"] == []
    assert body["count"] == 1


# --- ordering ------------------------------------------------------------------------------------

SHUFFLE = [3, 1, 4, 2]  # values given in this order, so id order and value order differ
# What must change along with a field for the row to stay valid.
ALONG = {
    "announced_on": {"announced_precision": "day"},
    "founded_on": {"founded_precision": "day"},
    "launched_on": {"launched_precision": "day"},
    "starts_on": {"starts_precision": "day"},
    "occurred_on": {"occurred_precision": "day"},
    "published_on": {"published_precision": "day"},
    "period_start": {"period_precision": "day"},
    "period_until": {"period_precision": "day"},
}


USD_RATE = {
    "usd_rate": Decimal("1"),
    "usd_rate_on": datetime.date(2025, 1, 1),
    "usd_rate_source": "ECB reference rate",
}


def distinct_value(field, rank: int, pk: int):
    if isinstance(field, models.DateTimeField):
        return datetime.datetime(2025, 1, rank, 12, tzinfo=datetime.UTC)
    if isinstance(field, models.DateField):
        return datetime.date(2025, rank, 1)
    if isinstance(field, models.DecimalField):
        return Decimal(rank) * 1000
    if field.name == "country":
        return ["", "DE", "FR", "IT", "US"][rank]
    return f"{chr(ord('a') + rank)}-ordered-{pk}"


ORDERINGS = [
    pytest.param(resource, field, id=f"{resource.path}:{field}")
    for resource in RESOURCES
    for field in resolve(f"/api/v1/{resource.path}/").func.cls.ordering_fields
    if field != "id"
]


@pytest.mark.parametrize("resource, field", ORDERINGS)
def test_ordering_by_each_documented_field(anon_api, resource, field):
    resource = resource()
    made = [resource.make() for _ in SHUFFLE]
    model_field = resource.model._meta.get_field(field)
    for obj, rank in zip(made, SHUFFLE, strict=True):
        value = distinct_value(model_field, rank, obj.pk)
        updates = {field: value, **ALONG.get(field, {})}
        if field in ("period_start", "period_until"):
            updates.update(period_start=value, period_until=value)
        if field == "value" and resource.path == "investments":
            updates.update(qualifier="exact", currency="EUR")
        if field == "value_usd":  # with its rate and the currency it converts, as it must
            updates.update(value=value, qualifier="exact", currency="EUR", **USD_RATE)
            if resource.path == "metrics":
                updates.update(metric_type=MetricType.objects.get(slug="revenue"), unit="money")
        resource.model.objects.filter(pk=obj.pk).update(**updates)
    keys = ",".join(str(obj.pk) for obj in made)
    by_rank = [obj.pk for _, obj in sorted(zip(SHUFFLE, made, strict=True))]
    assert ids(anon_api.get(resource.url(query=f"id={keys}&ordering={field}"))) == by_rank
    assert ids(anon_api.get(resource.url(query=f"id={keys}&ordering=-{field}"))) == by_rank[::-1]


def test_empty_values_come_last_in_ascending_order_on_every_database(anon_api):
    """Where PostgreSQL puts them: SQLite would put them first, and the same data would
    come in another order."""
    known = [
        CompanyFactory(founded_on=datetime.date(2020 + rank, 1, 1), founded_precision="year")
        for rank in (2, 1)
    ]
    unknown = CompanyFactory(founded_on=None, founded_precision="")
    keys = ",".join(str(c.pk) for c in (*known, unknown))
    ascending = ids(anon_api.get(f"/api/v1/companies/?id={keys}&ordering=founded_on"))
    assert ascending == [known[1].pk, known[0].pk, unknown.pk]
    descending = ids(anon_api.get(f"/api/v1/companies/?id={keys}&ordering=-founded_on"))
    assert descending == [unknown.pk, known[0].pk, known[1].pk]
    csv_order = anon_api.get(f"/api/v1/companies/?id={keys}&ordering=founded_on&format=csv")
    lines = b"".join(csv_order.streaming_content).decode().splitlines()[1:]
    assert [int(line.split(",")[0]) for line in lines] == ascending


def test_ordering_by_two_fields(anon_api):
    a = CompanyFactory(country="FR", name="B")
    b = CompanyFactory(country="FR", name="A")
    c = CompanyFactory(country="DE", name="C")
    response = anon_api.get("/api/v1/companies/?ordering=-country,name")
    assert ids(response) == [b.pk, a.pk, c.pk]


def test_csv_follows_the_ordering(anon_api):
    a, b, c = CompanyFactory(name="B"), CompanyFactory(name="C"), CompanyFactory(name="A")
    json_ids = ids(anon_api.get("/api/v1/companies/?ordering=-name"))
    response = anon_api.get("/api/v1/companies/?ordering=-name&format=csv")
    csv_ids = [
        int(line.split(",")[0])
        for line in b"".join(response.streaming_content).decode().splitlines()[1:]
    ]
    assert json_ids == csv_ids == [b.pk, a.pk, c.pk]


def test_results_in_brief(anon_api):
    company = CompanyFactory()
    rows = results(anon_api.get(f"/api/v1/companies/?brief=1&id={company.pk}"))
    assert rows == [
        {
            "id": company.pk,
            "url": f"http://testserver/api/v1/companies/{company.pk}/",
            "name": company.name,
            "slug": company.slug,
        }
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("maybe", "Enter true or false."),
        ("ture", "Enter true or false."),
        ("", "Empty: give a value, or leave the parameter out."),
    ],
)
def test_brief_takes_true_or_false_only(anon_api, value, message):
    company = CompanyFactory()
    for path in ("/api/v1/companies/", f"/api/v1/companies/{company.pk}/"):
        response = anon_api.get(path, {"brief": value})
        assert response.status_code == 400, response.content
        assert response.json() == {"brief": [message]}
    assert anon_api.get("/api/v1/companies/", {"brief": "FALSE"}).json()["results"][0]["kind"]
