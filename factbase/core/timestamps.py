"""Reading PostgreSQL's `timestamptz` values in C.

Django reads a `timestamptz` through a loader of its own: psycopg's pure Python loader
(a regular expression and a dozen calls a value), whose result it gives Django's time
zone. A page of 100 metrics reads two a row, a CSV or a snapshot millions.

The session's time zone is UTC (Django sets it on each connection; a database with a
TIME_ZONE of its own keeps Django's loader), so PostgreSQL writes each value as ISO 8601
with a `+00` offset, which `datetime.fromisoformat` (C) reads as it is. The loader below
reads those so, in UTC as Django gives them; anything else (another offset, a year past
9999, a BC date, `infinity`) goes to Django's loader, which answers or refuses it as
before. Installed on every new PostgreSQL connection (`connection_created`), in place of
Django's, which it extends: Django's cursors find the same `timezone` on it and add no
loader of their own.
"""

import datetime
import functools

from psycopg.postgres import types
from psycopg.pq import Format

TIMESTAMPTZ = types["timestamptz"].oid
ZERO = datetime.timedelta(0)


@functools.cache
def iso_first(loader: type) -> type:
    """`loader` (Django's, for UTC), reading a UTC value with fromisoformat."""
    read = datetime.datetime.fromisoformat

    class IsoFirst(loader):
        reads_iso = True

        def load(self, data):
            try:
                value = read(bytes(data).decode())
            except ValueError:
                return super().load(data)
            if value.utcoffset() != ZERO:
                return super().load(data)
            return value.replace(tzinfo=datetime.UTC)

    IsoFirst.__qualname__ = IsoFirst.__name__ = f"IsoFirst{loader.__name__}"
    return IsoFirst


def read_timestamps_in_c(sender, connection, **kwargs) -> None:
    """`connection_created`: on PostgreSQL, the connection reads timestamps by iso_first."""
    if connection.vendor != "postgresql":
        return
    adapters = connection.connection.adapters
    loader = adapters.get_loader(TIMESTAMPTZ, Format.TEXT)
    if getattr(loader, "reads_iso", False):
        return  # ours already
    if getattr(loader, "timezone", None) is not datetime.UTC:
        # Not Django's loader for UTC (a database TIME_ZONE of its own, USE_TZ off): a
        # `+00` value may then be another zone's time (Europe/London in winter), which
        # only Django's loader converts right.
        return
    adapters.register_loader(TIMESTAMPTZ, iso_first(loader))
