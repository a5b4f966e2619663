"""US dollars per unit of a currency on a day, from the ECB's reference rates.

The ECB publishes each currency against the euro (units per 1 EUR). The rate of a
currency in US dollars is the cross rate through the euro: USD per EUR ÷ currency per
EUR, both of the same day. For EUR it is the published USD rate itself; for USD, 1.

The day is the fact's own, or, when the ECB published nothing that day (a weekend, a
holiday), the last day before it that has both rates, at most MAX_DAYS_BACK days before.

A cross rate is rounded to SIGNIFICANT_DIGITS significant digits (the ECB publishes five
or six), and to no more decimal places than the column holds. The US dollar value is
then computed from the rate as stored, to the cent, so that it is exactly `value ×
usd_rate` to the cent: what the consistency check (quantities.usd_mismatch) asks.
"""

import bisect
import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from factbase.core.models import Quantity

from .models import ExchangeRate

USD = "USD"
EUR = "EUR"
MAX_DAYS_BACK = 7
SIGNIFICANT_DIGITS = 6
RATE_PLACES = Quantity._meta.get_field("usd_rate").decimal_places
CENT = Decimal("0.01")
# What a US dollar amount's "rate" is: no conversion was needed.
NO_CONVERSION = "none needed: the amount is in US dollars"


@dataclass(frozen=True)
class UsdRate:
    """US dollars per unit of `currency`, from the rates of `day`."""

    currency: str
    rate: Decimal
    day: datetime.date
    source: str

    def convert(self, amount: Decimal) -> Decimal:
        """`amount` in US dollars at this rate, to the cent."""
        return (amount * self.rate).quantize(CENT, rounding=ROUND_HALF_UP)


class NoRate(Exception):
    """No rate for this currency on this day or the days before it allowed."""


class RateBook:
    """The ECB rates, each currency's read from the database once, when first asked."""

    def __init__(self):
        self._series: dict[str, tuple[list[datetime.date], dict]] = {}

    def _series_of(self, currency: str) -> tuple[list[datetime.date], dict]:
        if currency not in self._series:
            rows = ExchangeRate.objects.filter(currency=currency).order_by("day")
            by_day = {
                day: (rate, source)
                for day, rate, source in rows.values_list("day", "rate", "source")
            }
            self._series[currency] = (sorted(by_day), by_day)
        return self._series[currency]

    def usd_rate(self, currency: str, on: datetime.date) -> UsdRate:
        """US dollars per unit of `currency` for a fact of day `on`, or NoRate saying why."""
        if currency == USD:
            return UsdRate(USD, Decimal(1), on, NO_CONVERSION)
        usd_days, usd = self._series_of(USD)
        days, own = (usd_days, usd) if currency == EUR else self._series_of(currency)
        if not days:
            raise NoRate(f"no ECB rate for {currency}")
        oldest = on - datetime.timedelta(days=MAX_DAYS_BACK)
        # The latest day on or before `on` with both rates, no further back than `oldest`.
        position = bisect.bisect_right(usd_days, on)
        while position > 0 and usd_days[position - 1] >= oldest:
            day = usd_days[position - 1]
            position -= 1
            if day not in own:
                continue
            (usd_rate, usd_source), (own_rate, own_source) = usd[day], own[day]
            # EUR: the published USD rate as it stands; others: a cross rate, rounded.
            rate = usd_rate.normalize() if currency == EUR else significant(usd_rate / own_rate)
            if not rate:
                raise NoRate(f"{currency} is worth less than the rate's column holds")
            source = usd_source if usd_source == own_source else f"{usd_source}; {own_source}"
            return UsdRate(currency, rate, day, source)
        raise NoRate(
            f"no ECB rate for {currency} on {on.isoformat()} or the {MAX_DAYS_BACK} days before"
        )


def significant(value: Decimal) -> Decimal:
    """`value` to SIGNIFICANT_DIGITS significant digits, and at most RATE_PLACES decimal
    places."""
    exponent = max(value.adjusted() - SIGNIFICANT_DIGITS + 1, -RATE_PLACES)
    rounded = value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_EVEN)
    return rounded.normalize() if rounded else Decimal(0)
