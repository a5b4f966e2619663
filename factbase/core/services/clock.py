"""The instant a write is recorded at: now, or the instant a loader of past data sets.

A save (record_save, record_write) stamps its record (created_at, updated_at) and its
history row with this instant, and a delete (record_delete) its history rows, so time
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
