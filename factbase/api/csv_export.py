"""Streaming CSV for spreadsheets: every matching row, flat columns, constant memory.

On PostgreSQL the database writes the CSV itself (`COPY (SELECT ...) TO STDOUT`), with
every value already in its text form, and the bytes stream through untouched: no Python
runs per row but the copying of its bytes. A computed column that can be read for many
rows at once (a count of related rows, `grouped_count`; a list of related records,
factbase.api.csv_lists) comes from one grouped pass joined to the rows rather than from a
subquery run once per row. Elsewhere rows come from `values_list()` in chunks. Both write
the same bytes: text cells that a spreadsheet would read as a formula (starting with =, +,
-, @, tab or carriage return) get a leading apostrophe, as the OWASP CSV-injection
guidance recommends, and so does text that starts with apostrophes and then one of those
(`'-ish` is written `''-ish`), so that an import, which takes one apostrophe off either,
reads every text back as it is stored; numbers are plain digits ("1000000", "12.5");
times are UTC with microseconds ("2025-02-11T09:30:00.000000Z"); booleans are true/false;
null and the empty string are both an empty cell; lines end with a line feed.
"""

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import Expression, F, IntegerField, QuerySet, TextField
from django.db.models.sql.constants import LOUTER

from factbase.core import text
from factbase.core.asof import in_past

from .planner import planned_rows

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    header: str
    path: str  # ORM path for values_list
    field: str  # the API field it belongs to, for ?fields=
    # A column computed in SQL: called with the model, it gives the expression that
    # `path` names as an annotation (a count of related rows, say). A count may also
    # offer `expression.grouped_count(model)`: the same numbers for every row at once, a
    # values() query of (row id, count) where a row it does not list counts 0. The export
    # on PostgreSQL joins that instead when it has many rows (GroupedCount). A list column's
    # expression is a csv_lists.ListPart: its `part` (the labels, or the ids) of its
    # `items`, which on PostgreSQL are read for every row at once, with the list's other
    # columns (GroupedList).
    expression: Callable | None = field(default=None, compare=False)

    @property
    def is_list(self) -> bool:
        return hasattr(self.expression, "part")


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
    if neutralised(words):
        return "'" + words
    return words


def neutralised(words: str) -> bool:
    """Whether the export writes `words` with an apostrophe first: a formula's start, after
    any apostrophes (text that would read as an escaped formula is escaped too, so that
    taking one apostrophe off gives it back)."""
    return words.lstrip("'").startswith(FORMULA_START)


def with_computed_columns(queryset: QuerySet, cols: list[Column]) -> QuerySet:
    """`queryset` with the annotations the computed columns among `cols` read."""
    computed = {
        c.path: c.expression(queryset.model)
        for c in cols
        if c.expression is not None and c.path not in queryset.query.annotations
    }
    return queryset.annotate(**computed) if computed else queryset


def stream_rows(
    queryset: QuerySet, cols: list[Column], *, planned_rows: int | None = None, chunk_size=2000
) -> Iterator:
    """The CSV of `queryset`. `planned_rows`, the planner's estimate that check_query
    gives, chooses how the database counts sources and reads lists (see _reads_grouped)."""
    # The database the request reads from (a replica, when there are), chosen now: the
    # rows are read after the view has returned.
    queryset = queryset.using(queryset.db)
    if connections[queryset.db].vendor == "postgresql":
        return _stream_copy(queryset, cols, planned_rows)
    return _stream_python(with_computed_columns(queryset, cols), cols, chunk_size)


def _lists(cols: list[Column]) -> dict:
    """The lists the list columns among `cols` show, each with the parts they ask of it."""
    parts: dict = {}
    for c in cols:
        if c.is_list:
            parts.setdefault(c.expression.items, []).append(c.expression.part)
    return parts


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


# --- PostgreSQL: COPY ---------------------------------------------------------------------


class _GroupedJoin:
    """`LEFT OUTER JOIN (<grouped query>) alias ("key", ...) ON alias."key" = <pk>`, as an
    entry of a query's alias_map (the interface of Django's sql Join). `lateral`: the
    grouped query of each row alone, `LEFT OUTER JOIN LATERAL (... WHERE "key" = <pk>)`,
    for a few rows, where one pass over every row's items would cost more."""

    join_type = LOUTER
    nullable = True
    filtered_relation = None

    def __init__(
        self,
        grouped: QuerySet,
        parent_alias: str,
        pk_column: str,
        alias: str,
        columns: tuple[str, ...] = ("key", "value"),
        lateral: bool = False,
        source=None,
    ):
        self.grouped = grouped
        self.parent_alias = parent_alias
        self.pk_column = pk_column
        self.table_name = self.table_alias = alias
        self.columns = columns
        self.lateral = lateral
        self.source = source  # what it reads, for the columns that read the same

    def as_sql(self, compiler, connection):
        sql, params = self.grouped.query.get_compiler(connection=connection).as_sql()
        qn = connection.ops.quote_name
        alias = qn(self.table_alias)
        names = ", ".join(qn(name) for name in self.columns)
        pk = f"{compiler.quote_name_unless_alias(self.parent_alias)}.{qn(self.pk_column)}"
        if self.lateral:
            # The condition on the grouping column goes down into the grouped query, an
            # index lookup of the row's own items. LIMIT 1 (a row has one group) keeps the
            # planner from folding the lateral query into a join, which would group every
            # row's items first, and from expecting more than one group for each row.
            own = f'SELECT * FROM ({sql}) AS items ({names}) WHERE items."key" = {pk} LIMIT 1'
            return f"LEFT OUTER JOIN LATERAL ({own}) {alias} ON true", params
        # pg_backend_pid() is parallel restricted (and never 0): the planner leaves the
        # grouped pass to the leader, which runs it once, instead of having each parallel
        # worker run all of it beside its share of the rows (a third less work in all).
        counts = f"SELECT * FROM ({sql}) AS counts WHERE pg_backend_pid() > 0"
        on = f'{alias}."key" = {pk}'
        return f"LEFT OUTER JOIN ({counts}) {alias} ({names}) ON ({on})", params

    def relabeled_clone(self, change_map):
        return _GroupedJoin(
            self.grouped,
            change_map.get(self.parent_alias, self.parent_alias),
            self.pk_column,
            change_map.get(self.table_alias, self.table_alias),
            self.columns,
            self.lateral,
            self.source,
        )

    @property
    def identity(self):
        return type(self), self.table_alias, self.parent_alias, id(self.grouped)

    def __eq__(self, other):
        return isinstance(other, _GroupedJoin) and self.identity == other.identity

    def __hash__(self):
        return hash(self.identity)


def _join_grouped(query, grouped_query, **join) -> str:
    """The alias of `grouped_query` joined to the rows of `query`: the join already there
    for the same `source`, or a new one."""
    source = join.get("source")
    for alias, existing in query.alias_map.items():
        if source is not None and isinstance(existing, _GroupedJoin) and existing.source is source:
            return alias
    taken = sum(isinstance(j, _GroupedJoin) for j in query.alias_map.values())
    alias = f"grouped_{taken}"
    pk_column = query.get_meta().pk.column
    query.alias_map[alias] = _GroupedJoin(
        grouped_query(), query.get_initial_alias(), pk_column, alias, **join
    )
    query.alias_refcount[alias] = 1
    query.table_map[alias] = [alias]
    return alias


class GroupedPass:
    """One grouped pass over related rows (a values() query of the row's id and its
    values), joined once to the export's rows: its `columns` after "key", read by the
    GroupedCount and GroupedList expressions that share it. A list's pass also gives a
    count grouped over the same rows (a fact's citations: their independent sources beside
    their ids), so the database reads those rows once rather than once for each."""

    def __init__(
        self, build: Callable[[], QuerySet], columns: tuple, *, source=None, lateral=False
    ):
        self.build, self.columns, self.source, self.lateral = build, columns, source, lateral
        self.count = None  # the name of the count a list's pass gives too

    @classmethod
    def of_count(cls, counts: QuerySet) -> "GroupedPass":
        return cls(lambda: counts, ("key", "value"))

    @classmethod
    def of_list(cls, items, parts: list[str], *, lateral: bool) -> "GroupedPass":
        return cls(lambda: items.grouped(parts), ("key", *parts), source=items, lateral=lateral)

    def take_count(self, counts: QuerySet) -> str | None:
        """Give `counts` (a values() query of row id and count) from this list's pass,
        when it groups the same rows the same way; the name of its column, else None."""
        items = self.source
        rows = items.items().values(items.link).query
        count = counts.query
        same = (
            not self.lateral
            and self.count is None
            and count.model is rows.model
            and count.where == rows.where
            and count.values_select == rows.values_select
            and len(count.annotation_select) == 1
        )
        if not same:
            return None
        (self.count,) = count.annotation_select
        parts = list(self.columns[1:])
        # The list's aggregates added to the count's query: its joins stay its own.
        self.build = lambda: counts.annotate(**items.aggregates(parts))
        self.columns = ("key", self.count, *parts)
        return self.count

    def join(self, query) -> str:
        return _join_grouped(
            query, self.build, columns=self.columns, lateral=self.lateral, source=self
        )


class GroupedCount(Expression):
    """A row's count in a grouped pass (a values() query of row id and count), 0 for a
    row it does not list. The query annotated with it joins the pass to its rows: the
    database counts for every row in one pass instead of once per row. PostgreSQL only (a
    column list on a derived table)."""

    output_field = IntegerField()

    def __init__(self, grouped: GroupedPass, column: str = "value"):
        super().__init__()
        self.grouped, self.column = grouped, column
        self.alias = None

    def resolve_expression(self, query=None, *args, **kwargs):
        resolved = super().resolve_expression(query, *args, **kwargs)
        resolved.alias = self.grouped.join(query)
        return resolved

    def as_sql(self, compiler, connection):
        qn = connection.ops.quote_name
        return f"COALESCE({qn(self.alias)}.{qn(self.column)}, 0)", []


class GroupedList(Expression):
    """A row's text of one part of a list (csv_lists.ListPart: its labels or its ids),
    NULL for a row without items: a column of the list's grouped pass, joined to the rows
    once for all the list's columns (and a count it gives). PostgreSQL only."""

    output_field = TextField()

    def __init__(self, part, grouped: GroupedPass):
        super().__init__()
        self.part, self.grouped = part, grouped
        self.alias = None

    def resolve_expression(self, query=None, *args, **kwargs):
        resolved = super().resolve_expression(query, *args, **kwargs)
        resolved.alias = self.grouped.join(query)
        return resolved

    def as_sql(self, compiler, connection):
        qn = connection.ops.quote_name
        return f"{qn(self.alias)}.{qn(self.part.part)}", []


# From how many rows a filtered export counts and reads lists in one grouped pass: below,
# a lookup for each row (a few index lookups) costs less than one pass over every citation
# of the kind. On the bench data (1M metrics, 1.1M citations), one pass counts a whole
# table in a quarter of the time and 450,000 filtered rows in four fifths of it.
GROUPED_FROM_ROWS = 250_000


def _reads_grouped(queryset: QuerySet, planned_rows: int | None) -> bool:
    """Whether the export counts and reads lists in one grouped pass: every row of a kind
    does; filtered rows do when check_query's plan expects that many of them."""
    return not queryset.query.where or (planned_rows or 0) >= GROUPED_FROM_ROWS


def with_grouped_columns(
    queryset: QuerySet, cols: list[Column], planned_rows: int | None = None
) -> QuerySet:
    """`queryset` with the annotations the computed columns among `cols` read: the lists
    from one grouped pass each, or for a few rows each row's own, joined once per list;
    the counts that offer it, when there are many rows, from one grouped pass too: a
    list's, when it groups the same rows."""
    grouped = _reads_grouped(queryset, planned_rows)
    taken = queryset.query.annotations
    passes = {
        items: GroupedPass.of_list(items, parts, lateral=not grouped)
        for items, parts in _lists(cols).items()
    }
    annotations = {}
    for c in cols:
        if c.path in taken:
            continue
        if c.is_list:
            annotations[c.path] = GroupedList(c.expression, passes[c.expression.items])
        elif grouped and hasattr(c.expression, "grouped_count"):
            counts = c.expression.grouped_count(queryset.model)
            for shared in passes.values():
                if column := shared.take_count(counts):
                    annotations[c.path] = GroupedCount(shared, column)
                    break
            else:
                annotations[c.path] = GroupedCount(GroupedPass.of_count(counts))
    if annotations:
        queryset = queryset.annotate(**annotations)
    return with_computed_columns(queryset, cols)


def _field(model, path: str):
    """The model field at the end of an ORM path (`company__name`)."""
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


# What ascii() gives for the first characters of a formula: one call and a comparison per
# text cell, where a pattern match cost the database several times as much.
_FORMULA_CODES = ", ".join(str(ord(start)) for start in FORMULA_START)


def _sql_text(expression: str, field) -> str:
    """SQL giving the column's text form, the same as cell() gives in Python."""
    kind = text.field_kind(field)
    if kind in ("integer", "date"):
        # COPY writes them as their ::text (a date in the ISO DateStyle of every
        # connection): no cast to compute for each cell.
        return expression
    if kind != "string":
        return text.sql_text(kind, expression)
    # Text: formulas neutralised as cell() does (neutralised()): a formula's start, or
    # apostrophes and then one (the ltrim() only for text that starts with an apostrophe);
    # '' as NULL so that both are an unquoted empty cell (ascii('') is 0, ascii(NULL) is
    # NULL: the ELSE).
    return (
        f"CASE WHEN ascii({expression}) IN ({_FORMULA_CODES}) "
        f"OR (ascii({expression}) = 39 AND ascii(ltrim({expression}, '''')) "  # 39: '
        f"IN ({_FORMULA_CODES})) THEN '''' || {expression} "
        f"ELSE NULLIF({expression}, '') END"
    )


def _column_field(queryset, column: Column):
    if column.expression is not None:
        return queryset.query.annotations[column.path].output_field
    return _field(queryset.model, column.path)


class _CellText(Expression):
    """A column's text form (_sql_text), computed in the query that reads the column, so
    that the database computes it where it reads the rows (in each parallel worker)."""

    output_field = TextField()
    PLACEHOLDER = "{column}"

    def __init__(self, expression, field):
        super().__init__()
        self.source = expression
        self.template = _sql_text(self.PLACEHOLDER, field)

    def get_source_expressions(self):
        return [self.source]

    def set_source_expressions(self, exprs):
        (self.source,) = exprs

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.source)
        uses = self.template.count(self.PLACEHOLDER)
        return self.template.replace(self.PLACEHOLDER, sql), tuple(params) * uses


def _copy_sql(queryset, cols, planned_rows: int | None = None) -> str:
    """The export's SELECT: each column in its text form, under its header."""
    queryset = with_grouped_columns(queryset, cols, planned_rows)
    names = [f"csv_column_{i}" for i in range(len(cols))]
    texts = {
        name: _CellText(F(c.path), _column_field(queryset, c))
        for name, c in zip(names, cols, strict=True)
    }
    sql, params = queryset.annotate(**texts).values_list(*names).query.sql_with_params()
    connection = connections[queryset.db]
    with connection.cursor() as cursor:
        inner = cursor.mogrify(sql, params)
    if isinstance(inner, bytes):
        inner = inner.decode()
    # Only the named columns: the query may select more (what a DISTINCT orders by).
    qn = connection.ops.quote_name
    if len(cols) == 1:
        # A line of one empty cell is `""`, as Python's csv module writes it: an empty
        # line would be skipped by readers that skip blank lines, and the row lost.
        # COPY writes '' so, and NULL as nothing.
        only = f"COALESCE({qn(names[0])}::text, '') AS {qn(cols[0].header)}"
        return f"SELECT {only} FROM ({inner}) AS rows"
    select = ", ".join(f"{qn(name)} AS {qn(c.header)}" for name, c in zip(names, cols, strict=True))
    return f"SELECT {select} FROM ({inner}) AS rows"


def check_query(queryset, cols) -> int | None:
    """Plan the export's query now, so that an error in it is an HTTP error rather than a
    stream that breaks off. The rows themselves are only read as the client reads. Gives
    the planner's count of the rows (None off PostgreSQL), for stream_rows to count
    sources and read lists the way that costs least for that many rows (_reads_grouped)."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    try:
        select = _copy_sql(queryset, cols)
    except EmptyResultSet:
        return 0
    with connection.cursor() as cursor:
        return planned_rows(cursor, select)


def _stream_copy(queryset, cols, planned_rows: int | None) -> Iterator[bytes]:
    # COPY starts at the first read and holds the connection until the last one; a client
    # that goes away ends it (the WSGI server closes this generator).
    try:
        select = _copy_sql(queryset, cols, planned_rows)
    except EmptyResultSet:
        # A filter that matches nothing (`pk IN ()`) compiles to no SQL at all: Django's
        # queries answer empty, COPY has nothing to run. The header alone, as COPY writes it.
        yield text.csv_line([c.header for c in cols]).encode()
        return
    copy_sql = f"COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER true)"
    # COPY goes past Django's cursor.execute, which an `as_of` block rewrites.
    using = queryset.db
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(NO_JIT)
        with cursor.cursor.copy(in_past(copy_sql, using)) as copy:
            yield from _blocks(copy)


# A whole kind's export costs the planner enough to compile it (JIT, PostgreSQL 11 and
# later), in the leader and in each parallel worker. On the bench data the compilation took
# more than it saved: the full metrics CSV ran in 5.0-5.6 s without it against 6.0-6.4 s with
# it (docs/benchmarks.md). SET LOCAL: for the export's own transaction, which a connection
# pooler in transaction mode keeps on one server connection with the COPY. (Streamed inside
# a caller's transaction, the export's block is a savepoint, and the setting lasts until
# that transaction ends.)
NO_JIT = "SET LOCAL jit = off"


# COPY hands over one row at a time; the server writes far fewer, larger pieces.
PIECE_BYTES = 256 * 1024


def _blocks(copy) -> Iterator[bytes]:
    """The CSV of a running COPY in pieces of about PIECE_BYTES."""
    buffer = bytearray()
    for row in copy:
        buffer += row
        if len(buffer) >= PIECE_BYTES:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


def select_columns(cols: Iterable[Column], fields: Iterable[str] | None) -> list[Column]:
    """The columns `fields=` asks for, in the order it names them: a field's name gives all
    its columns (`company`: its id, name and slug; `parties`: its labels and its
    companies' ids), a column's header that column alone (`company_slug`). Every column
    when it asks for none."""
    cols = list(cols)
    if not fields:
        return cols
    chosen: dict[str, Column] = {}
    for name in fields:
        own = [c for c in cols if c.field == name] or [c for c in cols if c.header == name]
        chosen.update((c.header, c) for c in own if c.header not in chosen)
    return list(chosen.values())
