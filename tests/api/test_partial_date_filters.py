"""Date filters honour a date's precision: a company founded "June 2024" was founded on or
after 15 June 2024 for all anyone knows, as a metric's period counts whole for
`period_after`. `*_before` keeps a period that starts on or before the date."""

import datetime

import pytest

from ..factories import CompanyFactory, EventFactory, FundingRoundFactory, SourceFactory
from .base import results

pytestmark = pytest.mark.django_db


def ids(client, url) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return {row["id"] for row in results(response)}


def test_founded_after_counts_a_month_or_a_year_whole(anon_api):
    june = CompanyFactory(founded_on=datetime.date(2024, 6, 1), founded_precision="month")
    year = CompanyFactory(founded_on=datetime.date(2024, 1, 1), founded_precision="year")
    q2 = CompanyFactory(founded_on=datetime.date(2024, 4, 1), founded_precision="quarter")
    day = CompanyFactory(founded_on=datetime.date(2024, 6, 14), founded_precision="day")
    url = "/api/v1/companies/?founded_after="
    assert ids(anon_api, url + "2024-06-15") == {june.pk, year.pk, q2.pk}
    assert ids(anon_api, url + "2024-07-01") == {year.pk}
    assert ids(anon_api, url + "2025-01-01") == set()
    assert ids(anon_api, url + "2024-06-14") == {june.pk, year.pk, q2.pk, day.pk}
    before = "/api/v1/companies/?founded_before="
    assert ids(anon_api, before + "2024-05-31") == {year.pk, q2.pk}
    assert ids(anon_api, before + "2024-06-01") == {year.pk, q2.pk, june.pk}


def test_every_partial_date_filter_honours_precision(anon_api):
    month = {"precision": "month", "on": datetime.date(2024, 6, 1)}
    source = SourceFactory(published_on=month["on"], published_precision="month")
    event = EventFactory(occurred_on=month["on"], occurred_precision="month")
    round_ = FundingRoundFactory(announced_on=month["on"], announced_precision="month")
    found = {
        "sources/?published_after": source.pk,
        "events/?date_after": event.pk,
        "funding-rounds/?announced_after": round_.pk,
    }
    for query, pk in found.items():
        assert ids(anon_api, f"/api/v1/{query}=2024-06-30") == {pk}, query
        assert ids(anon_api, f"/api/v1/{query}=2024-07-01") == set(), query
