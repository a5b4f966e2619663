"""Time travel: read the database as it was recorded at an instant.

Every record table has a history table (django-simple-history) holding each version of
each row with the moment it was written, and each version of a record's many-to-many
links. Inside `recorded_at(moment)`, every statement Django sends names the record tables
it reads as usual, and is given a `WITH` clause first: for each of those tables, a common
table expression of the same name holding the latest version of each row written at or
before `moment`, unless that version is a deletion; a link table shows the links of those
versions. An unqualified name in a statement refers to a common table expression before a
table, on PostgreSQL and SQLite alike, so every query Django builds (filters, joins,
prefetches, annotations, counts, the CSV's COPY) reads the past without knowing it.

Nothing is created: no temporary view, no temporary table. So time travel works where
nothing may be written, in a READ ONLY transaction or on a hot-standby replica. Each
expression is `NOT MATERIALIZED`, so the planner folds it into the statement like a view
and pushes the statement's filters down into the history table's scan, even where the
statement names the table twice. Tables without history (users, content types, tokens)
show the present.
"""

import datetime
import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import dateparse, timezone

from factbase.core.kinds import record_apps
from factbase.core.models import Merge, history_model_of


@dataclass(frozen=True)
class Tracked:
    table: str
    history: str
    columns: tuple[str, ...]
    links: tuple[tuple[str, str, tuple[str, ...]], ...]  # (table, history table, columns)


def parse_moment(text: str) -> datetime.datetime:
    """An ISO 8601 time ("2025-02-10T12:00:00Z", "2025-02-10T13:00:00+01:00") or a date
    (its first instant). A time without an offset is UTC. ValueError if malformed."""
    # An unencoded "+01:00" in a query string arrives as " 01:00".
    text = re.sub(r"(T[0-9:.]+) ([0-9]{2}:?[0-9]{2})$", r"\1+\2", text.strip())
    if not text.isascii():  # Python's \d and int() take any script's digits
        raise ValueError(
            "Give an ISO 8601 time such as 2025-02-10T12:00:00Z, or a date such as "
            "2025-02-10, in ASCII digits."
        )
    try:
        moment = dateparse.parse_datetime(text)
        if moment is None:
            day = dateparse.parse_date(text)
            if day is not None:
                moment = datetime.datetime.combine(day, datetime.time())
    except ValueError:  # well-formed but impossible, such as month 13
        moment = None
    if moment is None:
        raise ValueError(
            "Give an ISO 8601 time such as 2025-02-10T12:00:00Z, or a date such as 2025-02-10."
        )
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError as error:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise ValueError("The time is out of range.") from error


@functools.cache
def tracked_tables() -> tuple[Tracked, ...]:
    found = []
    for label in record_apps():
        for model in apps.get_app_config(label).get_models():
            history = history_model_of(model)
            if history is None or model._meta.proxy:
                continue
            links = []
            for field in history._history_m2m_fields:
                through = field.remote_field.through._meta
                link_history = getattr(history, field.name).model._meta
                links.append(
                    (
                        through.db_table,
                        link_history.db_table,
                        tuple(f.column for f in through.concrete_fields),
                    )
                )
            found.append(
                Tracked(
                    table=model._meta.db_table,
                    history=history._meta.db_table,
                    columns=tuple(f.column for f in model._meta.concrete_fields),
                    links=tuple(links),
                )
            )
    return tuple(found)


@dataclass(frozen=True)
class Shadow:
    """The common table expressions that show a database as recorded at an instant: for
    each table name, its body and the names it reads (which come before it)."""

    bodies: dict[str, tuple[str, tuple[str, ...]]]
    names: re.Pattern

    def expressions(self, sql: str) -> str:
        """`name AS NOT MATERIALIZED (...)`, comma-separated, for the tables `sql` names
        (and those they read), in an order where each comes after what it reads; "" if
        it names none."""
        wanted: list[str] = []

        def want(name: str) -> None:
            if name not in wanted:
                for needed in self.bodies[name][1]:
                    want(needed)
                wanted.append(name)

        for name in sorted(set(self.names.findall(sql))):
            want(name)
        return ", ".join(
            f'"{name}" AS NOT MATERIALIZED ({self.bodies[name][0]})' for name in wanted
        )


def _literal(connection, moment: datetime.datetime) -> str:
    # Built from a datetime, never from the request's text; a literal rather than a query
    # parameter, so that a statement's own parameters keep their places.
    if connection.vendor == "postgresql":
        return f"'{moment.isoformat()}'::timestamptz"
    return f"'{connection.ops.adapt_datetimefield_value(moment)}'"


def _main(connection) -> str:
    """The schema holding the tables, named so that an expression can read the table it
    hides."""
    if connection.vendor != "postgresql":
        return "main"
    if not hasattr(connection, "_factbase_schema"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            connection._factbase_schema = connection.ops.quote_name(cursor.fetchone()[0])
    return connection._factbase_schema


def shadow(connection, moment: datetime.datetime, *, history: bool) -> Shadow:
    """The records (and, with `history`, the history tables and the merges made by then)
    as recorded at `moment`."""
    qn = connection.ops.quote_name
    main = _main(connection)
    at = _literal(connection, moment)
    bodies: dict[str, tuple[str, tuple[str, ...]]] = {}
    for tracked in tracked_tables():
        source = f"{main}.{qn(tracked.history)}"
        cols = ", ".join(f"h.{qn(c)}" for c in tracked.columns)
        # The latest version at or before the moment: no later version of the same id.
        bodies[tracked.table] = (
            f"SELECT {cols}, h.history_id "
            f"FROM {source} h WHERE h.history_date <= {at} AND h.history_type <> '-' "
            f"AND NOT EXISTS (SELECT 1 FROM {source} n WHERE n.id = h.id "
            f"AND n.history_date <= {at} AND (n.history_date > h.history_date "
            f"OR (n.history_date = h.history_date AND n.history_id > h.history_id)))",
            (),
        )
        for table, link_history, columns in tracked.links:
            link_cols = ", ".join(f"m.{qn(c)}" for c in columns)
            bodies[table] = (
                f"SELECT {link_cols} FROM {main}.{qn(link_history)} m "
                f"JOIN {qn(tracked.table)} p ON p.history_id = m.history_id",
                (tracked.table,),
            )
        if history:
            bodies[tracked.history] = (f"SELECT * FROM {source} WHERE history_date <= {at}", ())
            for _table, link_history, _columns in tracked.links:
                bodies[link_history] = (
                    f"SELECT m.* FROM {main}.{qn(link_history)} m "
                    f"JOIN {source} p ON p.history_id = m.history_id "
                    f"WHERE p.history_date <= {at}",
                    (),
                )
    if history:
        bodies[Merge._meta.db_table] = (_merges_then(qn, main, at), ())
    # The users: not by when they joined. The export names those the rows of then name,
    # who had all joined by then; a database restored from a snapshot made its users
    # when it was restored (a snapshot holds no date of joining), after every row.
    # A name as a whole word, quoted or not: "companies_company" is not found inside
    # "companies_companyalias".
    names = re.compile(
        r"\b("
        + "|".join(re.escape(name) for name in sorted(bodies, key=len, reverse=True))
        + r")\b"
    )
    return Shadow(bodies, names)


def _merges_then(qn, main: str, at: str) -> str:
    """The merges made by `at`, each as it stood then: one undone later is not undone yet.
    A merge has no history of its own; its row says when it was made and undone."""
    undone = {"undone_at", "undone_by"}
    undone_at = qn(Merge._meta.get_field("undone_at").column)
    cols = []
    for field in Merge._meta.concrete_fields:
        column = qn(field.column)
        if field.name in undone:
            cols.append(f"CASE WHEN {undone_at} <= {at} THEN {column} END AS {column}")
        else:
            cols.append(column)
    table = f"{main}.{qn(Merge._meta.db_table)}"
    return f"SELECT {', '.join(cols)} FROM {table} WHERE merged_at <= {at}"


# Where a statement's query starts: after EXPLAIN and its options, and inside COPY's
# parentheses; then either its own WITH or the query itself.
_HEAD = re.compile(r"^\s*(?:EXPLAIN\s*(?:\([^)]*\))?\s*)?(?:COPY\s*\(\s*)?", re.IGNORECASE)
_QUERY = re.compile(r"(?P<with>WITH(?:\s+RECURSIVE)?\s+)?(?=SELECT\b|\(|VALUES\b)", re.IGNORECASE)


_WRITES = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|MERGE|CREATE|DROP|ALTER|TRUNCATE|COPY\s+\w+\s+FROM)\b",
    re.IGNORECASE,
)


class ReadingThePast(RuntimeError):
    """A statement that would write, inside a `recorded_at` block."""


def rewrite(sql: str, shadow: Shadow) -> str:
    """`sql` reading the past: its query preceded by the expressions of the tables it
    names. A statement that is not a query (a savepoint, a SET) is left as it is."""
    head = _HEAD.match(sql).end()
    query = _QUERY.match(sql, head)
    if query is None:
        return sql
    expressions = shadow.expressions(sql)
    if not expressions:
        return sql
    if query.group("with"):
        return f"{sql[:head]}{query.group('with')}{expressions}, {sql[query.end('with') :]}"
    return f"{sql[:head]}WITH {expressions} {sql[head:]}"


# The instant the current block reads at, for code that must tell the past from the
# present (a slug unknown then may be known now: factbase.api.filters), and the
# expressions that show it, for code that sends SQL past Django's cursor (COPY).
_reading_at: ContextVar[datetime.datetime | None] = ContextVar("reading_at", default=None)
_shadows: ContextVar[dict[str, Shadow] | None] = ContextVar("shadows", default=None)


def reading_at() -> datetime.datetime | None:
    """The instant of the enclosing `recorded_at` block, None outside one."""
    return _reading_at.get()


def in_past(sql: str, using: str = DEFAULT_DB_ALIAS) -> str:
    """`sql` as it must be sent to read at the enclosing block's instant; as it is outside
    one. For statements that do not go through Django's cursor.execute (psycopg's COPY),
    which the block rewrites by itself."""
    found = (_shadows.get() or {}).get(using)
    return sql if found is None else rewrite(sql, found)


@contextmanager
def recorded_at(
    moment: datetime.datetime, *, using: str = DEFAULT_DB_ALIAS, history: bool = False
) -> Iterator[None]:
    """Inside the block, queries on `using` see the records as recorded at `moment`.

    With `history`, the history tables and the users end at `moment` too, as a snapshot
    taken then would show them. The block opens no transaction (there is nothing to roll
    back: nothing is created), so it reads where a transaction may not even begin with a
    write lock; a statement that would write is refused instead, since it would write the
    present while reading the past."""
    connection = connections[using]
    found = shadow(connection, moment, history=history)

    def reading_the_past(execute, sql, params, many, context):
        if _WRITES.match(sql):
            raise ReadingThePast(f"A write while reading the past ({moment.isoformat()}).")
        return execute(rewrite(sql, found), params, many, context)

    moment_token = _reading_at.set(moment)
    shadows_token = _shadows.set({**(_shadows.get() or {}), using: found})
    try:
        with connection.execute_wrapper(reading_the_past):
            yield
    finally:
        _shadows.reset(shadows_token)
        _reading_at.reset(moment_token)
