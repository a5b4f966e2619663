"""The instant a write is recorded at: now, or the instant a loader of past data sets.

A save (record_save, record_write) stamps its record (created_at, updated_at) and its
history row with this instant, a record written with its rows (record_write) all of them
with one (`one_instant`), and a delete (record_delete) its history rows, so time
travel (`as_of`) shows what was recorded when. Data that tells a past (the demo: articles
read in February 2025, a correction days later) is written inside `writing_at(instant)`,
each write through the services as any other, rather than written now and its dates
edited afterwards.
"""

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_instant: ContextVar[datetime.datetime | None] = ContextVar("writing_at", default=None)


def now() -> datetime.datetime:
    """The instant writes are recorded at: the one `writing_at` set, or the present."""
    return _instant.get() or timezone.now()


def fixed() -> datetime.datetime | None:
    """The instant an enclosing `writing_at` or `one_instant` set, if any."""
    return _instant.get()


@contextmanager
def writing_at(instant: datetime.datetime) -> Iterator[None]:
    """Writes inside the block are recorded at `instant` (an aware datetime in the past).

    Only for loading a past into a database that holds nothing later that it touches:
    history is read in order of its instants, so a row written before what is already
    recorded of the same records would rewrite their past."""
    if timezone.is_naive(instant):
        raise ValueError("writing_at needs an aware datetime.")
    if instant > timezone.now():
        raise ValueError("writing_at cannot record a write in the future.")
    token = _instant.set(instant)
    try:
        yield
    finally:
        _instant.reset(token)


@contextmanager
def one_instant() -> Iterator[datetime.datetime]:
    """Every write inside the block is recorded at one instant: the present when the block
    starts, or the instant an enclosing `writing_at` (or `one_instant`) set.

    A record and the rows written with it (its citations, aliases, parties) are one
    version: stamped a few microseconds apart, `as_of=<the record's updated_at>` would
    show the record's new fields beside its rows of before."""
    instant = _instant.get()
    if instant is not None:
        yield instant
        return
    instant = timezone.now()
    token = _instant.set(instant)
    try:
        yield instant
    finally:
        _instant.reset(token)
