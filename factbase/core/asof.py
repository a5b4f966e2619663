"""Time travel: read the database as it was recorded at an instant.

Every record table has a history table (django-simple-history) holding each version of
each row with the moment it was written, and each version of a record's many-to-many
links. Inside `recorded_at(moment)`, every record table is shadowed by a temporary view
of the same name showing the latest version of each row written at or before `moment`,
unless that version is a deletion; the link tables show the links of those versions.

Both PostgreSQL and SQLite look up an unqualified table name in the connection's
temporary schema first, so every query Django builds (filters, joins, prefetches,
annotations, COPY for CSV) reads the past without knowing it. The views are created in a
transaction that is always rolled back: nothing outlives the block, and nothing is
written. Tables without history (users, content types, tokens) show the present.
"""

import datetime
import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import dateparse, timezone

from factbase.core.kinds import record_apps
from factbase.core.models import history_model_of


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


def _literal(connection, moment: datetime.datetime) -> str:
    # A view cannot take query parameters; the literal is built from a datetime, never
    # from the request's text.
    if connection.vendor == "postgresql":
        return f"'{moment.isoformat()}'::timestamptz"
    return f"'{connection.ops.adapt_datetimefield_value(moment)}'"


def _main(connection) -> str:
    """The schema holding the tables, named so that a view can read the table it hides."""
    if connection.vendor != "postgresql":
        return "main"
    if not hasattr(connection, "_factbase_schema"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            connection._factbase_schema = connection.ops.quote_name(cursor.fetchone()[0])
    return connection._factbase_schema


def shadow_statements(connection, moment: datetime.datetime, *, history: bool) -> list[str]:
    """CREATE TEMP VIEW statements showing the records (and, with `history`, the history
    tables too) as recorded at `moment`."""
    qn = connection.ops.quote_name
    main = _main(connection)
    at = _literal(connection, moment)
    statements = []
    for tracked in tracked_tables():
        source = f"{main}.{qn(tracked.history)}"
        cols = ", ".join(f"h.{qn(c)}" for c in tracked.columns)
        # The latest version at or before the moment: no later version of the same id.
        statements.append(
            f"CREATE TEMP VIEW {qn(tracked.table)} AS SELECT {cols}, h.history_id "
            f"FROM {source} h WHERE h.history_date <= {at} AND h.history_type <> '-' "
            f"AND NOT EXISTS (SELECT 1 FROM {source} n WHERE n.id = h.id "
            f"AND n.history_date <= {at} AND (n.history_date > h.history_date "
            f"OR (n.history_date = h.history_date AND n.history_id > h.history_id)))"
        )
        for table, link_history, columns in tracked.links:
            link_cols = ", ".join(f"m.{qn(c)}" for c in columns)
            statements.append(
                f"CREATE TEMP VIEW {qn(table)} AS SELECT {link_cols} "
                f"FROM {main}.{qn(link_history)} m "
                f"JOIN {qn(tracked.table)} p ON p.history_id = m.history_id"
            )
        if history:
            statements.append(
                f"CREATE TEMP VIEW {qn(tracked.history)} AS SELECT * FROM {source} "
                f"WHERE history_date <= {at}"
            )
            for _table, link_history, _columns in tracked.links:
                statements.append(
                    f"CREATE TEMP VIEW {qn(link_history)} AS SELECT m.* "
                    f"FROM {main}.{qn(link_history)} m "
                    f"JOIN {source} p ON p.history_id = m.history_id "
                    f"WHERE p.history_date <= {at}"
                )
    return statements


def _execute(connection, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(";\n".join(statements))  # one round trip
        else:
            for statement in statements:
                cursor.execute(statement)


def shadow_history(connection, moment: datetime.datetime) -> None:
    """In the connection's current transaction, show everything a snapshot holds as it
    was at `moment`: the records, the history tables, and the users who had joined. The
    caller rolls the transaction back."""
    qn = connection.ops.quote_name
    users = get_user_model()._meta.db_table
    statements = shadow_statements(connection, moment, history=True)
    statements.append(
        f"CREATE TEMP VIEW {qn(users)} AS SELECT * FROM {_main(connection)}.{qn(users)} "
        f"WHERE date_joined <= {_literal(connection, moment)}"
    )
    _execute(connection, statements)


# The instant the current block reads at, for code that must tell the past from the
# present (a slug unknown then may be known now: factbase.api.filters).
_reading_at: ContextVar[datetime.datetime | None] = ContextVar("reading_at", default=None)


def reading_at() -> datetime.datetime | None:
    """The instant of the enclosing `recorded_at` block, None outside one."""
    return _reading_at.get()


@contextmanager
def recorded_at(
    moment: datetime.datetime, *, using: str = DEFAULT_DB_ALIAS, history: bool = False
) -> Iterator[None]:
    """Inside the block, queries on `using` see the records as recorded at `moment`.

    With `history`, the history tables end at `moment` too, as a snapshot taken then
    would show them. Opens a transaction (a savepoint inside one) that is rolled back."""
    connection = connections[using]
    with transaction.atomic(using=using):
        _execute(connection, shadow_statements(connection, moment, history=history))
        token = _reading_at.set(moment)
        try:
            yield
        finally:
            _reading_at.reset(token)
            transaction.set_rollback(True, using=using)
