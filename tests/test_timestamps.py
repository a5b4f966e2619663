"""PostgreSQL's timestamps are read in C (factbase/core/timestamps.py) and come out as
Django's own loader gives them: the same instants, the same time zone object, the same
refusals."""

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.db import connection
from psycopg.adapt import AdaptersMap
from psycopg.pq import Format

from factbase.core.timestamps import TIMESTAMPTZ, read_timestamps_in_c

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's loader"),
]

TEXTS = [
    "2025-02-10 12:00:00+00",
    "2025-02-10 12:00:00.5+00",
    "2025-02-10 23:59:59.999999+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2025-02-10 12:00:00+01:30",  # another offset: Django's loader answers
]


def loaders():
    connection.ensure_connection()
    ours = connection.connection.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)
    return ours, ours.__mro__[1]  # IsoFirst… and the Django loader it extends


def test_the_connection_reads_timestamps_with_ours():
    ours, django = loaders()
    assert ours.__name__.startswith("IsoFirst")
    assert ours.timezone is django.timezone is datetime.UTC
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", ["2025-02-10T12:00:00.25Z"])
        value = cursor.fetchone()[0]
    assert value == datetime.datetime(2025, 2, 10, 12, 0, 0, 250000, tzinfo=datetime.UTC)
    assert value.tzinfo is datetime.UTC


@pytest.mark.parametrize("text", TEXTS)
def test_a_value_is_what_djangos_loader_gives(text):
    ours, django = loaders()
    mine = ours(TIMESTAMPTZ, connection.connection).load(text.encode())
    theirs = django(TIMESTAMPTZ, connection.connection).load(text.encode())
    assert (mine, mine.tzinfo) == (theirs, theirs.tzinfo)


@pytest.mark.parametrize("text", ["infinity", "-infinity", "0044-03-15 00:00:00+00 BC"])
def test_what_python_cannot_hold_is_refused_as_before(text):
    with connection.cursor() as cursor, pytest.raises(Exception) as refused:
        cursor.execute("SELECT %s::timestamptz", [text])
        cursor.fetchone()
    assert "year" in str(refused.value) or "BC" in str(refused.value), refused.value


def test_a_connection_in_another_zone_keeps_djangos_loader():
    """With a database TIME_ZONE of its own, a `+00` value may be that zone's time
    (Europe/London in winter): only Django's loader reads it right, so it stays; a
    connection that has ours already is left as it is."""
    _, django_loader = loaders()

    class London(django_loader):
        timezone = ZoneInfo("Europe/London")

    for loader in (London, loaders()[0]):
        mapping = AdaptersMap(psycopg.adapters)
        mapping.register_loader(TIMESTAMPTZ, loader)
        fake = SimpleNamespace(vendor="postgresql", connection=SimpleNamespace(adapters=mapping))
        read_timestamps_in_c(None, fake)
        assert mapping.get_loader(TIMESTAMPTZ, Format.TEXT) is loader
