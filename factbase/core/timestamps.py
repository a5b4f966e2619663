"""Reading PostgreSQL's `timestamptz` values in C.

Django reads a `timestamptz` through a loader of its own: psycopg's pure Python loader
(a regular expression and a dozen calls a value), whose result it gives the connection's
time zone. A page of 100 metrics reads two a row, a CSV or a snapshot millions.

The session's time zone is UTC (Django sets it on each connection), so PostgreSQL writes
each value as ISO 8601 with a `+00` offset, which `datetime.fromisoformat` (C) reads as
it is. The loader below reads those so, with the time zone Django gives them; anything
else (another offset, a year past 9999, a BC date, `infinity`) goes to Django's loader,
which answers or refuses it as before. Installed on every new PostgreSQL connection
(`connection_created`), in place of Django's, which it extends: Django's cursors find
the same `timezone` on it and add no loader of their own.
"""

import datetime
import functools

from psycopg.postgres import types
from psycopg.pq import Format

TIMESTAMPTZ = types["timestamptz"].oid
ZERO = datetime.timedelta(0)


@functools.cache
def iso_first(loader: type) -> type:
    """`loader` (Django's, for one time zone), reading a UTC value with fromisoformat."""
    zone = loader.timezone
    read = datetime.datetime.fromisoformat

    class IsoFirst(loader):
        def load(self, data):
            try:
                value = read(bytes(data).decode())
            except ValueError:
                return super().load(data)
            if value.utcoffset() != ZERO:
                return super().load(data)
            return value.replace(tzinfo=zone)

    IsoFirst.__qualname__ = IsoFirst.__name__ = f"IsoFirst{loader.__name__}"
    return IsoFirst


def read_timestamps_in_c(sender, connection, **kwargs) -> None:
    """`connection_created`: on PostgreSQL, the connection reads timestamps by iso_first."""
    if connection.vendor != "postgresql":
        return
    adapters = connection.connection.adapters
    loader = adapters.get_loader(TIMESTAMPTZ, Format.TEXT)
    if loader is None or not hasattr(loader, "timezone") or loader.__name__.startswith("IsoFirst"):
        return  # not Django's (or already ours): left as it is
    adapters.register_loader(TIMESTAMPTZ, iso_first(loader))
