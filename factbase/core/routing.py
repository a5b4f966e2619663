"""Read replicas: which database each statement goes to when DATABASE_REPLICA_URLS names
replicas (aliases `replica_1`, `replica_2`, ...; docs/scaling.md).

Every write goes to the primary, `default`. A read goes to the replica the current request
reads from (factbase.core.pinning chooses it, or none), except inside a transaction on the
primary: a service that locks a row and reads under `transaction.atomic` must read what
it is about to write, never a replica's possibly older copy. Outside a request (commands,
the shell) nothing chooses a replica: everything reads the primary, as without replicas.

Without replicas the router is not installed (settings), and nothing here runs.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_PREFIX = "replica_"

# The replica the current request reads from; None: the primary.
_reading_from: ContextVar[str | None] = ContextVar("reading_from", default=None)


def replica_aliases() -> list[str]:
    """The aliases of the replicas settings configure, in their order."""
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


@contextmanager
def reading_from(alias: str | None) -> Iterator[None]:
    """Inside the block, reads go to `alias` (None: the primary), as the router allows."""
    token = _reading_from.set(alias)
    try:
        yield
    finally:
        _reading_from.reset(token)


def streamed_from(alias: str | None, chunks: Iterable) -> Iterator:
    """`chunks`, each produced reading from `alias`: a streamed answer (a CSV) is read
    after the view and its middleware have returned, and must read where its view did."""
    iterator, done = iter(chunks), object()
    while True:
        with reading_from(alias):
            chunk = next(iterator, done)
        if chunk is done:
            return
        yield chunk


# Read on the primary even in a request that reads a replica: a session written at login
# must be found by the next request, whatever the replica's lag.
PRIMARY_ONLY = frozenset({"sessions.Session"})


class ReplicaRouter:
    """Writes and migrations to the primary; reads to the request's replica."""

    def db_for_read(self, model, **hints) -> str:
        alias = _reading_from.get()
        if alias is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        if model._meta.label in PRIMARY_ONLY:
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # A replica holds the same rows as the primary: a record read from one may point
        # at a record read from the other.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        # A replica receives the primary's schema through replication.
        return db == DEFAULT_DB_ALIAS
