"""The order of the change feed: every version of every record is numbered in the order
its transaction committed.

A version (a history row) gets its `change_seq` from one counter row, `ChangeClock`,
updated in the writing transaction: `UPDATE ... SET last = last + 1 RETURNING last`. The
update locks the row until the transaction ends, so a second writer waits there until the
first has committed (or rolled back, which rolls its numbers back too). Hence:

- numbers are handed out in commit order, without gaps, across every kind;
- whoever sees number n sees every number below it: a reader's snapshot holds a prefix of
  the commits, and so a prefix of the numbers;
- a poller that remembers the last number it read and asks for those above it never
  misses a change that committed late, nor reads one twice.

The price is that write transactions are serialised from the moment they take the clock
to their commit. Editors are few and writes short; reads never touch the clock. A service
takes the clock first (`hold`), before any row lock, so two writers never wait for each
other in opposite orders. The alternatives weighed are in docs/api.md ("The change
feed"): transaction ids and the snapshot's xmin order changes by when a transaction
started, not when it committed, and exist only on PostgreSQL.

Rows written in bulk (generated data, an imported snapshot, the migration that added the
column) are numbered afterwards by `number_unnumbered`, in the order of their time.
"""

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connections, models, transaction
from simple_history.models import HistoricalRecords as BaseHistoricalRecords

CLOCK_ID = 1


class ChangeClock(models.Model):
    """The last number handed to a version: one row. Derived from the history tables,
    so snapshots leave it out and an import sets it again."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=CLOCK_ID)
    last = models.BigIntegerField(default=0)

    snapshot_exclude = True

    class Meta:
        app_label = "factbase"

    def __str__(self) -> str:
        return f"change {self.last}"


class ChangeNumbered(models.Model):
    """What every history row carries besides simple-history's own columns."""

    change_seq = models.BigIntegerField(
        "change number",
        null=True,
        unique=True,
        editable=False,
        help_text="The version's place in the change feed: commit order across every kind.",
    )

    class Meta:
        abstract = True


class HistoricalRecords(BaseHistoricalRecords):
    """simple-history's manager, its history rows numbered for the change feed."""

    def __init__(self, *args, bases=(ChangeNumbered,), **kwargs):
        super().__init__(*args, bases=bases, **kwargs)

    def contribute_to_class(self, cls, name):
        super().contribute_to_class(cls, name)
        _recorders[cls] = self


_recorders: dict[type, HistoricalRecords] = {}


def recorder_of(model: type) -> HistoricalRecords:
    """The history manager that writes `model`'s history rows (simple-history keeps it
    out of reach once the model is ready)."""
    return _recorders[model]


def _table(connection) -> str:
    return connection.ops.quote_name(ChangeClock._meta.db_table)


def _held() -> None:
    """Registered with on_commit when the clock is taken: while it is pending, the
    transaction holds the clock. Django drops it at the commit, at a rollback, and at the
    rollback of a savepoint taken before it, exactly when the database lets go of the
    lock."""


def _holding(connection) -> bool:
    return any(entry[1] is _held for entry in connection.run_on_commit)


def take(using: str, count: int = 1) -> int:
    """Reserve `count` numbers in the current transaction; the last of them. The clock
    stays locked until the transaction ends."""
    connection = connections[using]
    sql = f"UPDATE {_table(connection)} SET last = last + %s WHERE id = %s RETURNING last"
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, CLOCK_ID])
        row = cursor.fetchone()
        if row is None:
            # An emptied database (`flush`) whose vocabulary is seeded again before the
            # clock is back: the clock starts after the numbers in use.
            ensure_clock(using)
            cursor.execute(sql, [count, CLOCK_ID])
            row = cursor.fetchone()
    if connection.in_atomic_block and not _holding(connection):
        connection.on_commit(_held)
    return row[0]


def hold(using: str) -> None:
    """Take the clock now, before the transaction locks any record, so that writers
    queue in one place. SQLite has one writer at a time already."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    if _holding(connection):
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT last FROM {_table(connection)} WHERE id = %s FOR UPDATE", [CLOCK_ID]
        )
    connection.on_commit(_held)


# Set inside batch(): versions are numbered together at the end of the block; until
# then each holds its place among the batch's writes, counted here.
_deferred: ContextVar[Iterator[int] | None] = ContextVar("feed_numbering_deferred", default=None)


def number_version(sender, history_instance, using=None, **kwargs) -> None:
    """simple-history's pre_create_historical_record: the version's number, or in a batch
    a provisional one below zero (its place among the batch's writes; a number never
    seen outside the batch's transaction), numbered at the end of the batch."""
    written = _deferred.get()
    if written is None:
        history_instance.change_seq = take(using or "default")
    else:
        history_instance.change_seq = -next(written)


@contextmanager
def batch(using: str):
    """One transaction of thousands of writes (an import): opens it, takes the clock first
    (before any row lock), and numbers its versions in one pass before it commits, in the
    order of their time, and of their writing for those of one instant (an import's, whose
    writes share one: each record beside the rows written with it); none if the block
    raised or marked the transaction for rollback (`transaction.set_rollback`). Numbering
    one version at a time would grow with the square of the writes: each UPDATE of the
    one clock row in a transaction costs more than the one before (PostgreSQL keeps every
    version of the row until the commit). A batch inside another is part of it (a
    savepoint): its versions hold their places in the outer batch's count, numbered with
    the rest when the outer batch ends; a count of its own would give them places, and
    provisional numbers, the outer batch has already given."""
    if _deferred.get() is not None:
        with transaction.atomic(using=using):
            yield
        return
    ensure_clock(using)  # an emptied database: numbering needs the row
    with transaction.atomic(using=using):
        hold(using)
        token = _deferred.set(itertools.count(1))
        try:
            yield
        finally:
            _deferred.reset(token)
        if not connections[using].needs_rollback:
            number_unnumbered(using, provisional=True)


def ensure_clock(using: str) -> None:
    """The clock's row, created after the last number in use if missing (a new database,
    or one emptied by `flush`): run after every migrate."""
    if ChangeClock.objects.using(using).filter(id=CLOCK_ID).exists():
        return
    connection = connections[using]
    qn = connection.ops.quote_name
    union = " UNION ALL ".join(
        f"SELECT MAX(change_seq) AS n FROM {qn(t)}" for t in history_tables()
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(n) FROM ({union}) u")
        last = cursor.fetchone()[0] or 0
    ChangeClock.objects.using(using).create(id=CLOCK_ID, last=last)


def restart_clock(using: str) -> None:
    """After rows were loaded in bulk (a snapshot): the clock after the last number they
    carry, then the versions without one numbered after it."""
    ChangeClock.objects.using(using).filter(id=CLOCK_ID).delete()
    ensure_clock(using)
    number_unnumbered(using)


def last_number(using: str) -> int:
    """The last number this database has handed out (0 for none)."""
    return ChangeClock.objects.using(using).values_list("last", flat=True).first() or 0


def clock_state(using: str) -> tuple | None:
    """(last number, xmin) of the clock's row, None without one: it changes with every
    version numbered, and with the row made again (a restored snapshot), on PostgreSQL.
    What a result computed from the records can be filed under (factbase.api.pagination)."""
    connection = connections[using]
    sql = f"SELECT last, xmin::text FROM {_table(connection)} WHERE id = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [CLOCK_ID])
        return cursor.fetchone()


def history_tables() -> list[str]:
    """Every numbered history table, in a fixed order."""
    from django.apps import apps

    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, ChangeNumbered) and not model._meta.proxy
    )


def number_unnumbered(using: str, provisional: bool = False) -> int:
    """Number the versions written in bulk, without one, and with `provisional` those of
    a batch (factbase.core.migrations._change_seq); the count. Inside a batch, versions
    written in bulk take their places among the batch's writes instead, and are numbered
    with the rest when it ends: numbered now, they would come before the batch's earlier
    writes in the change feed."""
    from factbase.core.migrations._change_seq import number_unnumbered as number

    written = _deferred.get()
    if written is not None and not provisional:
        return _place_in_batch(connections[using], written)
    return number(connections[using], history_tables(), ChangeClock._meta.db_table, provisional)


def _place_in_batch(connection, written: Iterator[int]) -> int:
    """Provisional numbers for the versions without one, in the order of their time, then
    of the tables, then of their history ids (the order the numbering gives them)."""
    qn = connection.ops.quote_name
    tables = history_tables()
    union = " UNION ALL ".join(
        f"SELECT {i} AS t, history_id, history_date FROM {qn(table)} WHERE change_seq IS NULL"
        for i, table in enumerate(tables)
    )
    with connection.cursor() as cursor:
        order = "ORDER BY history_date, t, history_id"
        cursor.execute(f"SELECT t, history_id FROM ({union}) u {order}")
        rows = cursor.fetchall()
        places: dict[int, list] = {}
        for t, history_id in rows:
            places.setdefault(t, []).append((-next(written), history_id))
        for t, table_places in places.items():
            cursor.executemany(
                f"UPDATE {qn(tables[t])} SET change_seq = %s WHERE history_id = %s",
                table_places,
            )
    return len(rows)
