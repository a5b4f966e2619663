"""Dates with a precision.

A partial date is stored as the first day of the period it names ("February 2025" is
2025-02-01 with precision "month") and always shown with its precision, so nobody reads
a month as its first day.
"""

import datetime

from .choices import DatePrecision

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def truncate_date(value: datetime.date, precision: str) -> datetime.date:
    """The first day of the period of `precision` that contains `value`."""
    if precision == DatePrecision.MONTH:
        return value.replace(day=1)
    if precision == DatePrecision.QUARTER:
        return value.replace(month=(value.month - 1) // 3 * 3 + 1, day=1)
    if precision == DatePrecision.YEAR:
        return value.replace(month=1, day=1)
    return value


def period_end(value: datetime.date, precision: str) -> datetime.date:
    """The last day of the period of `precision` that starts at `value`."""
    start = truncate_date(value, precision)
    if precision == DatePrecision.MONTH:
        months = 1
    elif precision == DatePrecision.QUARTER:
        months = 3
    elif precision == DatePrecision.YEAR:
        months = 12
    else:
        return start
    month_index = start.month - 1 + months
    next_start = start.replace(year=start.year + month_index // 12, month=month_index % 12 + 1)
    return next_start - datetime.timedelta(days=1)


def format_partial_date(value: datetime.date | None, precision: str) -> str:
    """'11 Feb 2025', 'Feb 2025', 'Q1 2025' or '2025'."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{value.year}"
    if precision == DatePrecision.QUARTER:
        return f"Q{(value.month - 1) // 3 + 1} {value.year}"
    if precision == DatePrecision.MONTH:
        return f"{_MONTHS[value.month - 1]} {value.year}"
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
