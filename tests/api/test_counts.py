"""A whole large table is not counted for each page: PostgreSQL's planner estimates it,
and the answer says so. Filtered lists, and every list on SQLite, are counted; on
PostgreSQL, once per state of the database."""

import datetime

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from companies.models import Company
from factbase.api.pagination import Pagination
from factbase.core.services import record_write
from factbase.core.services.clock import writing_at

from ..factories import CompanyFactory

pytestmark = pytest.mark.django_db

NOW = "2099-01-01T00:00:00Z"  # a time travel to the present: the past of every write

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the planner's estimate is PostgreSQL's"
)


@pytest.fixture
def companies():
    return [CompanyFactory(country="FR" if i % 2 else "DE") for i in range(7)]


def test_small_tables_are_counted(anon_api, companies):
    body = anon_api.get("/api/v1/companies/?limit=2").json()
    assert (body["count"], body["count_estimated"]) == (7, False)
    assert body["next"] is not None


@postgres_only
def test_a_whole_large_table_is_estimated_and_says_so(anon_api, companies, monkeypatch):
    monkeypatch.setattr(Pagination, "ESTIMATE_ABOVE", -1)  # every table is "large"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE companies_company")
    for path in ("/api/v1/companies/?limit=2", f"/api/v1/companies/?limit=2&as_of={NOW}"):
        with CaptureQueriesContext(connection) as captured:
            body = anon_api.get(path).json()
        assert body["count_estimated"] is True, path
        assert isinstance(body["count"], int)
        assert len(body["results"]) == 2 and body["next"] is not None
        # Planned, not counted: no statement reads every row.
        assert not any("COUNT(" in query["sql"].upper() for query in captured), path
    # Filtered: counted, whatever the size.
    body = anon_api.get("/api/v1/companies/?limit=2&country=FR").json()
    assert (body["count"], body["count_estimated"]) == (3, False)


@postgres_only
def test_an_estimate_is_never_below_the_rows_a_page_has_read(anon_api, companies, monkeypatch):
    """Statistics older than the table may estimate fewer rows than there are: the count
    is at least the rows before the page, on it, and the one after it that was read."""
    monkeypatch.setattr(Pagination, "ESTIMATE_ABOVE", -1)
    monkeypatch.setattr("factbase.api.pagination.planner_rows", lambda queryset: 1)
    body = anon_api.get("/api/v1/companies/?offset=4&limit=2").json()
    assert (body["count"], body["count_estimated"]) == (7, True)
    assert len(body["results"]) == 2 and body["next"] is not None
    # Past the end, a page reads nothing: the estimate stands, not the offset.
    body = anon_api.get("/api/v1/companies/?offset=1000&limit=2").json()
    assert (body["count"], body["results"], body["next"]) == (1, [], None)


@postgres_only
def test_next_links_do_not_trust_an_estimate(anon_api, companies, monkeypatch):
    """Pages follow the rows, not the count: the last page has no next link and a page
    before it has one, however wrong the estimate."""
    monkeypatch.setattr(Pagination, "ESTIMATE_ABOVE", -1)
    ordering = "ordering=name&limit=3"
    seen, path = [], f"/api/v1/companies/?{ordering}"
    while path:
        body = anon_api.get(path).json()
        seen += [row["id"] for row in body["results"]]
        path = body["next"]
    assert sorted(seen) == sorted(c.pk for c in companies)


def test_an_offset_past_any_table_is_an_empty_page(anon_api, companies):
    body = anon_api.get("/api/v1/companies/?offset=723883867327357954191688357380096").json()
    assert (body["count"], body["results"], body["next"]) == (7, [], None)


def counted(api, path: str) -> tuple[int, int]:
    """The list's count, and the COUNT statements its answer ran."""
    with CaptureQueriesContext(connection) as queries:
        body = api.get(path).json()
    counts = sum("COUNT(*)" in query["sql"] for query in queries.captured_queries)
    return body["count"], counts


@postgres_only
def test_a_count_in_the_past_is_counted_once_per_state_of_the_database(anon_api, companies):
    """An `as_of` count is rebuilt from history, version by version: counted once, then
    taken from the cache until a write changes the database, even a write in the past."""
    at = timezone.now()
    path = f"/api/v1/companies/?limit=2&country=FR&as_of={at.isoformat()}"

    assert counted(anon_api, path) == (3, 1)
    assert counted(anon_api, path) == (3, 0)
    path += "&ordering=-name"  # the same rows in another order: the same count
    assert counted(anon_api, path) == (3, 0)
    caches["counts"].clear()  # kept in their own cache, not the rate limits'
    assert counted(anon_api, path) == (3, 1)
    CompanyFactory(country="FR")  # after `at`: not in the count, but counted again
    assert counted(anon_api, path) == (3, 1)
    with writing_at(at - datetime.timedelta(seconds=1)):  # recorded before `at`: in it
        fields = {"name": "Earlier", "slug": "earlier", "kind": "technology", "country": "FR"}
        record_write(Company(), fields=fields, user=None, reason="a past entered late")
    assert counted(anon_api, path) == (4, 1)
    assert counted(anon_api, path) == (4, 0)


@postgres_only
def test_a_count_now_is_counted_once_per_state_of_the_database(anon_api, companies):
    """The same filters asked again before any write: the count is taken from the cache,
    and stays exact, since every write changes the key."""
    path = "/api/v1/companies/?limit=2&country=FR"

    assert counted(anon_api, path) == (3, 1)
    assert counted(anon_api, path) == (3, 0)
    CompanyFactory(country="FR")
    assert counted(anon_api, path) == (4, 1)
    assert counted(anon_api, path) == (4, 0)
    company = Company.objects.filter(country="FR").first()
    record_write(company, fields={"country": "DE"}, user=None, reason="moved")
    assert counted(anon_api, path) == (3, 1)


@postgres_only
def test_a_count_in_the_past_of_a_filter_that_matches_nothing_is_zero(anon_api, companies):
    # A slug given only later matches nothing at that instant: no row, no query, no 500.
    before = timezone.now()
    CompanyFactory(slug="later")
    path = f"/api/v1/metrics/?company=later&as_of={before.isoformat()}&offset=5"
    body = anon_api.get(path).json()
    assert (body["count"], body["results"]) == (0, [])
