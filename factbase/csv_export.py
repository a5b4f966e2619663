"""Streaming CSV for spreadsheets: every matching row, flat columns, constant memory.

Rows come straight from `values_list()` in chunks, so a million rows never sit in memory
and no serializer runs per row. Text cells that a spreadsheet would read as a formula
(starting with =, +, -, @, tab or carriage return) get a leading apostrophe, as the OWASP
CSV-injection guidance recommends; numbers are written as numbers.
"""

import csv
import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    header: str
    path: str  # ORM path for values_list
    field: str  # the API field it belongs to, for ?fields=


def columns(*specs) -> list[Column]:
    """`("company_id", "company_id", "company")` or just `"value"` for a plain column."""
    result = []
    for spec in specs:
        if isinstance(spec, str):
            result.append(Column(spec, spec, spec))
        else:
            header, path, *field = spec
            result.append(Column(header, path, field[0] if field else header))
    return result


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def stream_rows(queryset: QuerySet, cols: list[Column], chunk_size: int = 2000) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow([c.header for c in cols])
    rows = queryset.values_list(*[c.path for c in cols]).iterator(chunk_size=chunk_size)
    batch: list[str] = []
    for row in rows:
        batch.append(writer.writerow([cell(v) for v in row]))
        if len(batch) >= 500:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def select_columns(cols: Iterable[Column], fields: set[str] | None) -> list[Column]:
    return [c for c in cols if not fields or c.field in fields]
