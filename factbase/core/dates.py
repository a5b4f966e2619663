"""Dates with a precision.

A partial date is stored as the first day of the period it names ("February 2025" is
2025-02-01 with precision "month") and always shown with its precision, so nobody reads
a month as its first day. A date that is not the first day of its period is refused
(period_start_error), never moved there: the model, the admin and the API share that rule.

An editor types a partial date as text ("Jun 2024", "Q2 2024"); parse_partial_date reads
it and says its precision.
"""

import calendar
import datetime
import re
from typing import NamedTuple

from django.core.exceptions import ValidationError

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
    # The period's last month and its last day: not the day before the next period, which
    # for a period ending in December 9999 would be in a year a date cannot hold.
    last_month = start.month + months - 1
    return start.replace(month=last_month, day=calendar.monthrange(start.year, last_month)[1])


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


# --- typed dates ----------------------------------------------------------------------
# The forms an editor may type, and the precision each one says. A small grammar of our
# own rather than a general date parser: the forms are few and must be read exactly as
# written. A general parser guesses (relative dates, a missing day filled in, 06/05 read
# by locale) and knows no quarters, and a guessed date is a date the source never gave.

ACCEPTED_FORMS = (
    "2024-06-15; 15 June 2024 (or 15 Jun 2024); June 15, 2024; "
    "June 2024 (or Jun 2024); 2024-06; Q2 2024; 2024"
)

# English month names and their three-letter abbreviations (and "Sept"), written out
# rather than read from the locale, which would make the grammar depend on the server's.
_MONTH_NAMES = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip
MONTH_NUMBERS = {
    **{name: number for number, name in enumerate(_MONTH_NAMES, 1)},
    **{name[:3]: number for number, name in enumerate(_MONTH_NAMES, 1)},
    "sept": 9,
}

_YEAR = r"(?P<year>[0-9]{4})"
_MONTH = r"(?P<month>[0-9]{1,2})"
_DAY = r"(?P<day>[0-9]{1,2})"
_NAME = r"(?P<name>[a-z]+)"
_GRAMMAR = [
    (re.compile(rf"{_YEAR}-{_MONTH}-{_DAY}"), DatePrecision.DAY),
    (re.compile(rf"{_DAY} {_NAME} {_YEAR}"), DatePrecision.DAY),
    (re.compile(rf"{_NAME} {_DAY},? {_YEAR}"), DatePrecision.DAY),
    (re.compile(rf"{_YEAR}-{_MONTH}"), DatePrecision.MONTH),
    (re.compile(rf"{_NAME},? {_YEAR}"), DatePrecision.MONTH),
    (re.compile(rf"q(?P<quarter>[1-4]) {_YEAR}"), DatePrecision.QUARTER),
    (re.compile(_YEAR), DatePrecision.YEAR),
]

# From the finest precision to the coarsest.
_RANK = {
    DatePrecision.DAY: 0,
    DatePrecision.MONTH: 1,
    DatePrecision.QUARTER: 2,
    DatePrecision.YEAR: 3,
}


def no_such_date(text: str) -> str:
    """What a date of the right form that no calendar has (2025-02-30) is told, in the
    admin, an import and the API alike."""
    return f"“{text.strip()}” is not in the calendar: no such day, month or year."


class PartialDate(NamedTuple):
    """A date as stored (the first day of its period) with the precision it was given."""

    value: datetime.date
    precision: str


def parse_partial_date(text: str) -> PartialDate:
    """The date `text` names, with the precision its form says: "Jun 2024" is
    (2024-06-01, month). Case and extra spaces do not matter; any other text is refused,
    with the forms that are accepted."""
    words = " ".join(text.split()).lower()
    for pattern, precision in _GRAMMAR:
        match = pattern.fullmatch(words)
        if match is None:
            continue
        parts = match.groupdict()
        if "name" in parts:
            month = MONTH_NUMBERS.get(parts["name"])
            if month is None:
                break  # not a month name: refused below
        elif "quarter" in parts:
            month = (int(parts["quarter"]) - 1) * 3 + 1
        else:
            month = int(parts.get("month") or 1)
        try:
            value = datetime.date(int(parts["year"]), month, int(parts.get("day") or 1))
        except ValueError:
            raise ValidationError(no_such_date(text), code="no_such_date") from None
        return PartialDate(value, precision.value)
    raise ValidationError(
        f"“{text.strip()}” is not a date in a form we read. Use one of: {ACCEPTED_FORMS}.",
        code="invalid_partial_date",
    )


def with_chosen_precision(typed: PartialDate, chosen: str) -> PartialDate:
    """The date typed, at the precision chosen beside it when there is one. The choice may
    be coarser than what was typed (2024-04-01 as Q2 2024: whether the date starts that
    period is the model's rule, period_start_error), never finer: "June 2024" says no day."""
    if not chosen or chosen == typed.precision:
        return typed
    if _RANK[chosen] < _RANK[typed.precision]:
        shown = format_partial_date(typed.value, typed.precision)
        raise ValidationError(
            f"{shown} is a {typed.precision}, not a {chosen}: type the {chosen}, "
            f"or choose the precision “{typed.precision}”.",
            code="precision_finer_than_date",
        )
    return PartialDate(typed.value, chosen)


def period_start_error(value: datetime.date, precision: str) -> str | None:
    """Why `value` cannot be stored with `precision`: a partial date is the first day of
    its period, and any other day would be silently lost or misread. None when it can."""
    start = truncate_date(value, precision)
    if start == value:
        return None
    return (
        f"{value.isoformat()} is not the first day of a {precision}: a date of precision "
        f"“{precision}” is stored as the first day of its period ({start.isoformat()} for "
        f"{format_partial_date(start, precision)}). Give that date, or the precision “day”."
    )
