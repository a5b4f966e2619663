"""Amounts as sources report them: rounded to a few significant digits, money in a
currency, now and then with its US dollar conversion."""

import datetime
import math
import random
from decimal import Decimal

from .dates import LAST_YEAR
from .weighted import Weighted

Q4 = Decimal("0.0001")

# The currency a company of a country reports in; USD elsewhere.
COUNTRY_CURRENCY = {
    "FR": "EUR",
    "DE": "EUR",
    "ES": "EUR",
    "IT": "EUR",
    "NL": "EUR",
    "BE": "EUR",
    "IE": "EUR",
    "FI": "EUR",
    "EE": "EUR",
    "GB": "GBP",
    "CN": "CNY",
    "JP": "JPY",
    "CH": "CHF",
    "IN": "INR",
    "CA": "CAD",
    "KR": "KRW",
}
CURRENCY_WEIGHTS = {
    "USD": 55,
    "EUR": 22,
    "GBP": 6,
    "CNY": 5,
    "JPY": 4,
    "CHF": 2,
    "INR": 2,
    "CAD": 2,
    "KRW": 2,
}
# Approximate US dollars per unit: only their order of magnitude matters here.
USD_PER_UNIT = {
    "USD": Decimal("1"),
    "EUR": Decimal("1.08"),
    "GBP": Decimal("1.27"),
    "CNY": Decimal("0.138"),
    "JPY": Decimal("0.0067"),
    "CHF": Decimal("1.13"),
    "INR": Decimal("0.012"),
    "CAD": Decimal("0.74"),
    "KRW": Decimal("0.00075"),
}
RATE_SOURCE = "ECB reference rate"
pick_currency = Weighted(CURRENCY_WEIGHTS, CURRENCY_WEIGHTS.values())


def round_sig(x: float, digits: int) -> int:
    """`x` rounded to `digits` significant digits, as sources round their figures; at
    least 1, as the counts and amounts generated are."""
    if x < 1:
        return 1
    scale = 10 ** max(0, int(math.log10(x)) + 1 - digits)
    return int(round(x / scale)) * scale


def money(rng: random.Random, usd: float, currency: str, sig: int) -> tuple[Decimal, dict]:
    """An amount worth about `usd` US dollars in `currency`, rounded as reported, and for
    about half the non-dollar amounts, its US dollar conversion."""
    native = Decimal(round_sig(usd / float(USD_PER_UNIT[currency]), sig))
    conversion = {}
    if currency != "USD" and rng.random() < 0.5:
        rate = USD_PER_UNIT[currency]
        conversion = {
            "value_usd": (native * rate).quantize(Q4),
            "usd_rate": rate,
            "usd_rate_on": datetime.date(LAST_YEAR, 12, 31),
            "usd_rate_source": RATE_SOURCE,
        }
    return native, conversion
