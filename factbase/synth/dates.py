"""The dates facts happen on: drawn at random, often known only to the month, quarter or
year (partial dates)."""

import datetime
import random

from factbase.core.choices import DatePrecision
from factbase.core.dates import truncate_date

from .choices import pick_precision

LAST_YEAR = 2024  # generated facts happen before the records are created (2025)
PRECISION_MONTHS = {DatePrecision.MONTH: 1, DatePrecision.QUARTER: 3, DatePrecision.YEAR: 12}


def add_months(value: datetime.date, months: int) -> datetime.date:
    index = value.month - 1 + months
    return value.replace(year=value.year + index // 12, month=index % 12 + 1, day=1)


def random_date(rng: random.Random, first_year: int, last_year: int) -> datetime.date:
    year = rng.randint(first_year, last_year)
    return datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randrange(365))


def recent_year(rng: random.Random, first: int, last: int = LAST_YEAR) -> int:
    """A year in first..last, more often recent."""
    return last - int((last - first + 1) * rng.random() ** 1.8)


def partial_date(rng, first_year, last_year, precision_choice=pick_precision):
    """(date, precision), the date truncated to its precision; (None, "") for unknown."""
    precision = precision_choice(rng)
    if not precision:
        return None, ""
    value = random_date(rng, first_year, last_year)
    return truncate_date(value, precision), precision
