"""Statements a read runs on every page, prepared once per database connection.

The statements built by hand for a read (factbase.api.rows: a page's briefs and child
rows, a detail's row; factbase.resolution.refs: the records a filter names by slug or id;
factbase.api.search: a search's, built by the ORM once) take their values apart from the
SQL, a page's ids as one array, `= ANY(%s::bigint[])`. Sent as Django sends queries (the
values written into the SQL), their text differs on every page: PostgreSQL parses and
plans each again. Prepared, the text is the same on every page: PostgreSQL keeps one plan
for it on each connection (connections live for CONN_MAX_AGE), and the page pays only for
running it.

`PREPARED_STATEMENTS = False` (environment PREPARED_STATEMENTS=off) sends them as Django
sends its own: behind a pooler that gives a client another server connection per
transaction and does not carry prepared statements across (PgBouncer in transaction mode
before 1.21, or with `max_prepared_statements = 0`), docs/scaling.md.
"""

from contextlib import contextmanager

import psycopg
from django.conf import settings
from psycopg import errors
from psycopg.postgres import types
from psycopg.pq import Format, TransactionStatus

from factbase.core.asof import reading_at

TIMESTAMPTZ = types["timestamptz"].oid

# psycopg's count of runs after which it prepares a statement not asked to be: never.
NEVER_UNASKED = 2**31 - 1


class _PreparingCursor(psycopg.Cursor):
    """psycopg's cursor with the values sent apart from the SQL (server-side binding),
    each statement prepared at its first run."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        connection = self.connection
        # Django turns psycopg's preparing off for the connection, and it stays off for
        # Django's own statements (psycopg would otherwise keep the text of each one, its
        # values written in, to count its runs): on for this statement only.
        before = connection.prepare_threshold
        connection.prepare_threshold = NEVER_UNASKED if before is None else before
        try:
            return super().execute(query, params, prepare=True, binary=binary)
        except errors.FeatureNotSupported:
            # "cached plan must not change result type": a migration changed a column
            # the kept plan returns. Outside a transaction nothing was lost: the kept
            # plans are dropped (psycopg forgets them as it sees DEALLOCATE ALL) and the
            # statement prepared again. In a transaction, the error ends it, and its
            # rollback drops them.
            if connection.info.transaction_status != TransactionStatus.IDLE:
                raise
            super().execute("DEALLOCATE ALL", prepare=False)
            return super().execute(query, params, prepare=True, binary=binary)
        finally:
            connection.prepare_threshold = before


@contextmanager
def prepared_cursor(connection):
    """A cursor of `connection` (a Django connection) whose statements are prepared, on
    PostgreSQL; Django's own cursor elsewhere. It goes through Django's wrapper all the
    same: its checks, the queries tests count, and `as_of`'s rewriting. Not prepared:
    a statement read in the past, rewritten for its instant, its text different each
    time (the plan would never be used again); and while queries are logged (DEBUG, a
    test counting them), where Django records a statement by the SQL the cursor sent,
    which for a prepared one is only its name."""
    with connection.cursor() as cursor:
        unprepared = (
            not settings.PREPARED_STATEMENTS
            or connection.queries_logged
            or reading_at() is not None
        )
        if connection.vendor != "postgresql" or unprepared:
            yield cursor
            return
        own = cursor.cursor
        cursor.cursor = _PreparingCursor(connection.connection)
        # Times read in the zone Django's cursor reads them in (it may set its own).
        zone = own.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)
        cursor.cursor.adapters.register_loader("timestamptz", zone)
        try:
            yield cursor
        finally:
            cursor.cursor.close()
            cursor.cursor = own


def id_array(ids) -> str:
    """`ids` in PostgreSQL's text form of an array, `{1,2,3}`, for `%s::bigint[]`. Given
    a list, psycopg writes that text in Python, looking at each element for quotes to add,
    some microseconds an id and a few hundred ids a page."""
    return "{" + ",".join(map(str, map(int, ids))) + "}"
