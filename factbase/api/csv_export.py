"""Streaming CSV for spreadsheets: every matching row, flat columns, constant memory.

On PostgreSQL the database writes the CSV itself (`COPY (SELECT ...) TO STDOUT`), with
every value already in its text form, and the bytes stream through untouched: no Python
runs per row. Elsewhere rows come from `values_list()` in chunks. Both write the same
bytes: text cells that a spreadsheet would read as a formula (starting with =, +, -, @,
tab or carriage return) get a leading apostrophe, as the OWASP CSV-injection guidance
recommends; numbers are plain digits ("1000000", "12.5"); times are UTC with microseconds
("2025-02-11T09:30:00.000000Z"); booleans are true/false; null and the empty string are
both an empty cell; lines end with a line feed.
"""

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet

from factbase.core import text

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    header: str
    path: str  # ORM path for values_list
    field: str  # the API field it belongs to, for ?fields=
    # A column computed in SQL: called with the model, it gives the expression that
    # `path` names as an annotation (a count of related rows, say).
    expression: Callable | None = field(default=None, compare=False)


def columns(*specs) -> list[Column]:
    """`("company_id", "company_id", "company")` or just `"value"` for a plain column; a
    Column as it is."""
    result = []
    for spec in specs:
        if isinstance(spec, Column):
            result.append(spec)
        elif isinstance(spec, str):
            result.append(Column(spec, spec, spec))
        else:
            header, path, *field = spec
            result.append(Column(header, path, field[0] if field else header))
    return result


def cell(value) -> str:
    """A value as the spreadsheet CSV writes it (factbase.core.text's forms; see above)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return text.boolean_text(value)
    if isinstance(value, Decimal):
        return text.decimal_text(value)
    if isinstance(value, datetime.datetime):
        return text.datetime_text(value)
    if isinstance(value, datetime.date):
        return text.date_text(value)
    if isinstance(value, int | float):
        return str(value)
    words = str(value)
    if words.startswith(FORMULA_START):
        return "'" + words
    return words


def with_computed_columns(queryset: QuerySet, cols: list[Column]) -> QuerySet:
    """`queryset` with the annotations the computed columns among `cols` read."""
    computed = {
        c.path: c.expression(queryset.model)
        for c in cols
        if c.expression is not None and c.path not in queryset.query.annotations
    }
    return queryset.annotate(**computed) if computed else queryset


def stream_rows(queryset: QuerySet, cols: list[Column], chunk_size: int = 2000) -> Iterator:
    queryset = with_computed_columns(queryset, cols)
    if connection.vendor == "postgresql":
        return _stream_copy(queryset, cols)
    return _stream_python(queryset, cols, chunk_size)


def _stream_python(queryset, cols, chunk_size) -> Iterator[str]:
    yield text.csv_line([c.header for c in cols])
    rows = queryset.values_list(*[c.path for c in cols]).iterator(chunk_size=chunk_size)
    batch: list[str] = []
    for row in rows:
        batch.append(text.csv_line([cell(v) for v in row]))
        if len(batch) >= 500:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def _field(model, path: str):
    """The model field at the end of an ORM path (`company__name`)."""
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


def _sql_text(expression: str, field) -> str:
    """SQL giving the column's text form, the same as cell() gives in Python."""
    kind = text.field_kind(field)
    if kind != "string":
        return text.sql_text(kind, expression)
    # Text: formulas neutralised; '' as NULL so that both are an unquoted empty cell.
    return (
        f"NULLIF(CASE WHEN {expression} ~ '^[-=+@\\t\\r]' THEN '''' || {expression} "
        f"ELSE {expression} END, '')"
    )


def _column_field(queryset, column: Column):
    if column.expression is not None:
        return queryset.query.annotations[column.path].output_field
    return _field(queryset.model, column.path)


def _copy_sql(queryset, cols) -> str:
    queryset = with_computed_columns(queryset, cols)
    sql, params = queryset.values_list(*[c.path for c in cols]).query.sql_with_params()
    names = [f"c{i}" for i in range(len(cols))]
    select = ", ".join(
        f"{_sql_text(name, _column_field(queryset, c))} AS {connection.ops.quote_name(c.header)}"
        for name, c in zip(names, cols, strict=True)
    )
    with connection.cursor() as cursor:
        inner = cursor.mogrify(sql, params)
    if isinstance(inner, bytes):
        inner = inner.decode()
    return f"SELECT {select} FROM ({inner}) AS rows ({', '.join(names)})"


def check_query(queryset, cols) -> None:
    """Plan the export's query now, so that an error in it is an HTTP error rather than a
    stream that breaks off. The rows themselves are only read as the client reads."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + _copy_sql(queryset, cols))


def _stream_copy(queryset, cols) -> Iterator[bytes]:
    # COPY starts at the first read and holds the connection until the last one; a client
    # that goes away ends it (the WSGI server closes this generator).
    copy_sql = f"COPY ({_copy_sql(queryset, cols)}) TO STDOUT WITH (FORMAT csv, HEADER true)"
    with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
        # COPY hands over one row at a time; the server writes far fewer, larger pieces.
        buffer = bytearray()
        for row in copy:
            buffer += row
            if len(buffer) >= 256 * 1024:
                yield bytes(buffer)
                buffer.clear()
        if buffer:
            yield bytes(buffer)


def select_columns(cols: Iterable[Column], fields: set[str] | None) -> list[Column]:
    return [c for c in cols if not fields or c.field in fields]
