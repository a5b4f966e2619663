"""The canonical text form of every value in a snapshot, and the parsers that read it back.

One form per type, whatever the database:

- null: ``\\N`` (unquoted), as PostgreSQL's COPY writes it; the empty string is an empty
  cell; a string that is literally ``\\N`` is quoted (``"\\N"``), as COPY does.
- integer: decimal digits, ``-`` for negatives.
- number (decimal): plain digits, no exponent, no trailing zeros (``1000000``, ``12.5``).
- boolean: ``true`` / ``false``.
- date: ``YYYY-MM-DD``.
- datetime: UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, always six fraction digits.

CSV: UTF-8, comma separated, ``"`` quotes a cell that holds a comma, a quote, a carriage
return or a line feed (quotes doubled inside), every line ends with ``\\n``. This is byte
for byte what ``COPY ... TO STDOUT WITH (FORMAT csv, NULL '\\N')`` writes, so PostgreSQL
exports can stream COPY's output and other databases produce the same bytes in Python.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from factbase.core import text

NULL = "\\N"
# What the reader puts in place of a quoted "\N" cell, so that a string that is literally
# \N is not taken for a null: csv.reader drops the quotes. NUL never occurs in a valid
# snapshot (PostgreSQL text cannot hold it), so it is free to mark the cell.
LITERAL_NULL_MARK = "\x00"
QUOTED_NULL = re.compile(rb'(?m)(?:^|(?<=,))"\\N"(?=[,\r\n]|\Z)')

KINDS = ("integer", "number", "string", "boolean", "date", "datetime")

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
UTC = datetime.UTC

_NEEDS_QUOTES = re.compile(r'[",\r\n]').search


def quote(text: str) -> str:
    """A string cell, quoted where CSV (and COPY) quote it."""
    if _NEEDS_QUOTES(text):
        return '"' + text.replace('"', '""') + '"'
    if text == NULL:
        return '"\\N"'
    return text


def format_decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} cannot be stored")
    return text.decimal_text(value)


# One form per type, in factbase.core.text.
format_datetime = text.datetime_text
format_date = text.date_text
format_boolean = text.boolean_text


def formatter(kind: str):
    """Python value (as Django returns it) -> cell text."""
    return {
        "integer": str,
        "number": format_decimal,
        "string": quote,
        "boolean": format_boolean,
        "date": format_date,
        "datetime": format_datetime,
    }[kind]


def sql_expression(kind: str, column: str) -> str:
    """PostgreSQL expression giving `column` (already quoted) in its canonical text form;
    NULL stays NULL, and COPY writes it as \\N. Integers go as they are: COPY writes them
    in the same digits."""
    return column if kind == "integer" else text.sql_text(kind, column)


# Parsers: cell text (never the null marker) -> Python value, or ValueError with a message
# for the report.

_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?").fullmatch
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?Z"
).fullmatch


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def integer_parser(minimum: int | None, maximum: int | None):
    low = -(2**63) if minimum is None else minimum
    high = 2**63 - 1 if maximum is None else maximum

    def parse(text: str) -> int:
        # isdigit() alone would take other scripts' digits; int() alone, "+1" and "1_0".
        if not (text.isascii() and (text.isdigit() or (text[:1] == "-" and text[1:].isdigit()))):
            raise ValueError(f"not an integer: {_shown(text)}")
        value = int(text)
        if value < low:
            raise ValueError(f"{value} is below the smallest value allowed, {low}")
        if value > high:
            raise ValueError(f"{value} is above the largest value allowed, {high}")
        return value

    return parse


def number_parser(max_digits: int | None, decimal_places: int | None):
    def parse(text: str) -> Decimal:
        if not _NUMBER(text):
            raise ValueError(f"not a plain decimal number: {_shown(text)}")
        try:
            value = Decimal(text)
        except InvalidOperation as error:  # pragma: no cover - the pattern rules it out
            raise ValueError(f"not a number: {_shown(text)}") from error
        if max_digits is not None and decimal_places is not None and value:
            _, digits, exponent = value.normalize().as_tuple()
            places = max(0, -exponent)
            whole = max(0, len(digits) + exponent)
            if places > decimal_places:
                raise ValueError(f"{text} has more than {decimal_places} decimal places")
            if whole > max_digits - decimal_places:
                raise ValueError(
                    f"{text} has more than {max_digits - decimal_places} digits before "
                    "the decimal point"
                )
        return value

    return parse


def parse_boolean(text: str) -> bool:
    if text == "true":
        return True
    if text == "false":
        return False
    raise ValueError(f"not a boolean (true or false): {_shown(text)}")


def parse_date(text: str) -> datetime.date:
    if not _DATE(text):
        raise ValueError(f"not a date (YYYY-MM-DD): {_shown(text)}")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"not a valid date: {_shown(text)} ({error})") from error


def parse_datetime(text: str) -> datetime.datetime:
    canonical = (
        len(text) == 27
        and text[4] == text[7] == "-"
        and text[10] == "T"
        and text[13] == text[16] == ":"
        and text[19] == "."
        and text[26] == "Z"
    )
    if not (canonical or _DATETIME(text)) or not text.isascii():
        raise ValueError(f"not a UTC datetime (YYYY-MM-DDTHH:MM:SS.ffffffZ): {_shown(text)}")
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"not a valid datetime: {_shown(text)} ({error})") from error


def string_parser(max_length: int | None):
    def parse(text: str) -> str:
        if max_length is not None and len(text) > max_length:
            raise ValueError(f"longer than {max_length} characters ({len(text)})")
        return text

    return parse


def choice_parser(max_length: int | None, choices: frozenset):
    """A text that must be one of `choices`: a value the app's forms and API refuse would
    otherwise load, and the record could not be saved again until someone found it."""
    text_of = string_parser(max_length)
    shown = ", ".join(sorted(choices - {""})) if len(choices) <= 15 else ""

    def parse(text: str) -> str:
        text = text_of(text)
        if text not in choices:
            raise ValueError(f"not one of its values{f' ({shown})' if shown else ''}: {text!r}")
        return text

    return parse


def sqlite_datetime(text: str) -> str:
    """The canonical datetime as Django stores it in SQLite: str() of the naive UTC
    datetime (no fraction when it is zero), so that SQLite's text comparisons order it
    like the rows Django writes."""
    if len(text) == 27:
        if text.endswith(".000000Z"):
            return f"{text[:10]} {text[11:19]}"
        return f"{text[:10]} {text[11:26]}"
    return str(parse_datetime(text).replace(tzinfo=None))
