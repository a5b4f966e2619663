"""Money compared across currencies: filters and ordering on the value in US dollars, and
a US dollar value that must be the value converted at its rate."""

import datetime
from decimal import Decimal

import pytest

from ..factories import FundingRoundFactory
from .base import results

pytestmark = pytest.mark.django_db

ROUNDS = "/api/v1/funding-rounds/"


def converted(value, currency, rate):
    """A round of `value` in `currency`, with its US dollar value at `rate`."""
    value, rate = Decimal(value), Decimal(rate)
    return FundingRoundFactory(
        value=value,
        currency=currency,
        usd_rate=rate,
        value_usd=(value * rate).quantize(Decimal("0.0001")),
        usd_rate_on=datetime.date(2024, 6, 28),
        usd_rate_source="ECB reference rate",
    )


def test_rounds_over_100_million_dollars_in_any_currency(anon_api):
    euros = converted("95000000", "EUR", "1.1053")  # $105,003,500
    pounds = converted("120000000", "GBP", "0.79")  # $94,800,000: 120M, but not dollars
    dollars = converted("100000000", "USD", "1")
    unconverted = FundingRoundFactory(value=Decimal("900000000"), currency="EUR")

    found = results(anon_api.get(f"{ROUNDS}?value_usd_min=100000000"))
    assert {row["id"] for row in found} == {euros.pk, dollars.pk}
    found = results(anon_api.get(f"{ROUNDS}?value_usd_max=99999999"))
    assert [row["id"] for row in found] == [pounds.pk]
    # In its own currency the pound round is over 100M, and the unconverted one too.
    found = results(anon_api.get(f"{ROUNDS}?value_min=100000000"))
    assert {row["id"] for row in found} == {pounds.pk, dollars.pk, unconverted.pk}

    ordered = results(anon_api.get(f"{ROUNDS}?ordering=-value_usd&value_usd_min=1"))
    assert [row["id"] for row in ordered] == [euros.pk, dollars.pk, pounds.pk]


def usd_patch(editor_api, round_, value_usd, rate):
    return editor_api.patch(
        f"{ROUNDS}{round_.pk}/",
        {
            "value_usd": value_usd,
            "usd_rate": rate,
            "usd_rate_on": "2024-06-28",
            "usd_rate_source": "ECB reference rate",
        },
        format="json",
    )


def test_a_us_dollar_value_that_is_not_the_conversion_is_refused(editor_api):
    round_ = FundingRoundFactory(value=Decimal("10"), currency="EUR")
    response = usd_patch(editor_api, round_, "11", "0.5")
    assert response.status_code == 400
    assert response.json()["value_usd"] == [
        "11 is not the value converted at the rate: 10 × 0.5 = 5."
    ]
    round_.refresh_from_db()
    assert round_.value_usd is None
    assert usd_patch(editor_api, round_, "5", "0.5").status_code == 200


def test_a_us_dollar_value_is_checked_to_the_precision_of_its_rate(editor_api):
    round_ = FundingRoundFactory(value=Decimal("95000000"), currency="EUR")
    # 1.1 stands for anything from 1.05 to 1.15: $105M is within it (95M × 1.1 = 104.5M).
    assert usd_patch(editor_api, round_, "105000000", "1.1").status_code == 200
    # 1.1053 stands for 1.10525 to 1.10535: 95M × 1.1053 = $105,003,500, give or take
    # $4,750. $105,010,000 is past that: refused.
    assert usd_patch(editor_api, round_, "105010000", "1.1053").status_code == 400
    assert usd_patch(editor_api, round_, "105007000", "1.1053").status_code == 200
    # A rate of 8 places (95M × 1.10530001 = 105,003,500.95): within half a cent plus
    # half its last place (48 cents here), no more.
    assert usd_patch(editor_api, round_, "105003500.95", "1.10530001").status_code == 200
    assert usd_patch(editor_api, round_, "105003500.01", "1.10530001").status_code == 400
