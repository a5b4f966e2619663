"""Statements a read runs on every page, prepared once per database connection.

The statements built by hand for a page (factbase.api.rows: the briefs, the child rows)
take the page's ids as one array, `= ANY(%s::bigint[])`. Sent as Django sends queries
(the values written into the SQL), PostgreSQL plans each of them again on every page, and
it estimates an array of a hundred ids value by value: on the bench data the two briefs
statements of a page took 1.5 and 2.2 ms to plan and 0.9 and 1.4 ms to run. Prepared,
with the ids sent apart, the text is the same on every page: PostgreSQL keeps one plan
for it on each connection (connections live for CONN_MAX_AGE), and the page pays only for
running it.
"""

from contextlib import contextmanager

import psycopg
from psycopg.postgres import types
from psycopg.pq import Format

from factbase.core.asof import reading_at

TIMESTAMPTZ = types["timestamptz"].oid

# psycopg's count of runs after which it prepares a statement not asked to be: never.
NEVER_UNASKED = 2**31 - 1


class _PreparingCursor(psycopg.Cursor):
    """psycopg's cursor with the values sent apart from the SQL (server-side binding),
    each statement prepared at its first run."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


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
        unprepared = connection.queries_logged or reading_at() is not None
        if connection.vendor != "postgresql" or unprepared:
            yield cursor
            return
        raw = connection.connection
        if raw.prepare_threshold is None:
            # Django turns psycopg's preparing off for the connection (its own cursors
            # write the values into the SQL and are never prepared). Turned on, it
            # prepares what asks for it: only this cursor's statements, all of them.
            raw.prepare_threshold = NEVER_UNASKED
        own = cursor.cursor
        cursor.cursor = _PreparingCursor(raw)
        # Times read in the zone Django's cursor reads them in (it may set its own).
        zone = own.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)
        cursor.cursor.adapters.register_loader("timestamptz", zone)
        try:
            yield cursor
        finally:
            cursor.cursor.close()
            cursor.cursor = own
