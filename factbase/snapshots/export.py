"""Writing a snapshot: every table, read in one transaction, in canonical CSV.

On PostgreSQL each table is streamed by `COPY (SELECT ... ORDER BY pk) TO STDOUT`, the
canonical text forms computed in the SELECT, so the rows never pass through Python
objects. Elsewhere (SQLite) rows are read through the ORM, in chunks, and formatted in
Python; both give the same bytes (the tests compare them).

users.csv holds only the users the other tables name (see tables.user_references), read in
the same transaction; with `pseudonymise`, their usernames are replaced by user-<id>.
"""

import datetime
import functools
import operator
import queue
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

import factbase
from factbase.core.asof import in_past, recorded_at

from . import formats
from .descriptor import DESCRIPTOR, dump_descriptor, package_descriptor, resource_descriptor
from .hashing import HashingWriter, resource_hash
from .readme import README, readme
from .tables import PSEUDONYM_PREFIX, USERS, Table, pseudonym, snapshot_tables, user_references
from .targets import DirTarget, ZipTarget

CHUNK = 2000  # rows fetched and written at a time on the Python path
WRITE_SIZE = 1 << 18
FORMATS = ("zip", "dir")

Progress = Callable[[str, int, int, float], None]


def default_path(format: str, created: datetime.datetime) -> Path:
    stamp = created.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"factbase-{stamp}" + (".zip" if format == "zip" else "")
    return Path(settings.BASE_DIR) / "snapshots" / name


def applied_migrations(connection) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def export_snapshot(
    out=None,
    *,
    format: str = "zip",
    using: str = DEFAULT_DB_ALIAS,
    created: datetime.datetime | None = None,
    progress: Progress | None = None,
    method: str | None = None,
    as_of: datetime.datetime | None = None,
    pseudonymise: bool = False,
) -> dict:
    """Write a snapshot of the whole database to `out`: a path (a ZIP file, or a folder
    with format="dir") or a binary file object (ZIP only); by default
    snapshots/factbase-<UTC time>.zip under the project folder.

    Returns a summary: path (None for a file object), format, tables, rows, row_counts
    (by table), bytes (of the ZIP, or of all the files of the folder), sha256 (of the ZIP;
    None for a folder), seconds and created (the moment the snapshot shows, in UTC).

    All tables are read in one transaction. Call it outside any transaction: on
    PostgreSQL it then runs at REPEATABLE READ, READ ONLY, so every table shows the same
    moment even while others write. Inside a caller's transaction it reads in that
    transaction, as consistent as the caller's isolation level makes it.

    `method` is "copy" (PostgreSQL's COPY, the default there) or "python" (the ORM, the
    default elsewhere); `progress(table, rows, bytes, seconds)` is called after each table.

    With `as_of`, the snapshot shows the database as recorded at that instant (see
    factbase.core.asof): the records and the history up to then, and the users who had joined.

    users.csv holds the users the exported rows name (created_by_id, updated_by_id,
    history_user_id, ...), no other. With `pseudonymise`, each username is written as
    user-<id>: the same data still gives the same bytes, and no real username is in the
    snapshot.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    connection = connections[using]
    method = _export_method(connection, method)
    started = time.monotonic()
    if as_of is not None:
        created = as_of
    fixed_time = created is not None
    created = (created or timezone.now()).astimezone(datetime.UTC)
    if out is None:
        out = default_path(format, created)
    if format == "dir" and not isinstance(out, str | Path):
        raise ValueError("a folder snapshot needs a path")
    tables = snapshot_tables()
    target = ZipTarget(out) if format == "zip" else DirTarget(out)
    resources, total_rows = [], 0
    try:
        outer = connection.in_atomic_block
        if not outer:
            # A health check or a first connection would run a query inside the
            # transaction, before SET TRANSACTION, which must come first.
            connection.ensure_connection()
            connection.close_if_health_check_failed()
            connection.ensure_connection()
        with ExitStack() as block:
            block.enter_context(transaction.atomic(using=using))
            cursor = block.enter_context(connection.cursor())
            _begin(connection, cursor, outer=outer, method=method)
            if as_of is not None:
                block.enter_context(recorded_at(as_of, using=using, history=True))
            migrations = applied_migrations(connection)
            if not fixed_time:
                # The first query fixed what the transaction sees: this is its moment.
                created = timezone.now().astimezone(datetime.UTC)
            content_types = {
                ct.id: f"{ct.app_label}.{ct.model}"
                for ct in ContentType.objects.db_manager(using).order_by("id")
            }
            target.write(README, readme(tables, pseudonymised=pseudonymise))
            for table in tables:
                table_started = time.monotonic()
                with target.open(table.path) as member:
                    writer = HashingWriter(member)
                    rows = _export_table(
                        table, writer, method, cursor, content_types, using, pseudonymise
                    )
                resources.append(
                    resource_descriptor(
                        table, rows=rows, size=writer.bytes, sha256=resource_hash(writer.sha256)
                    )
                )
                total_rows += rows
                if progress:
                    progress(table.name, rows, writer.bytes, time.monotonic() - table_started)
        descriptor = package_descriptor(
            resources,
            created=formats.format_datetime(created),
            migrations=migrations,
            version=factbase.__version__,
            pseudonymised=pseudonymise,
        )
        target.write(DESCRIPTOR, dump_descriptor(descriptor))
        size, sha256 = target.close()
    except BaseException:
        target.abort()
        raise
    return {
        "path": str(out) if isinstance(out, str | Path) else None,
        "format": format,
        "tables": len(tables),
        "rows": total_rows,
        "row_counts": {resource["name"]: resource["rows"] for resource in resources},
        "bytes": size,
        "sha256": sha256,
        "seconds": time.monotonic() - started,
        "created": created,
    }


def _export_method(connection, method: str | None) -> str:
    """The method asked for, else the database's default: COPY on PostgreSQL."""
    method = method or ("copy" if connection.vendor == "postgresql" else "python")
    if method == "copy" and connection.vendor != "postgresql":
        raise ValueError("method 'copy' needs PostgreSQL")
    return method


def _begin(connection, cursor, *, outer: bool, method: str) -> None:
    """The first statements of the export's transaction: its isolation level (unless it
    is a caller's) and the check that COPY writes dates as the snapshot does."""
    if connection.vendor == "postgresql" and not outer:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    if method == "copy":
        cursor.execute("SHOW DateStyle")
        if not cursor.fetchone()[0].startswith("ISO"):
            raise ValueError("exporting with COPY needs the ISO DateStyle")


def _export_table(table: Table, out, method, cursor, content_types, using, pseudonymise) -> int:
    """Write the table's CSV file to `out`; the number of rows."""
    if method == "copy":
        return _copy_table(cursor, table, out, content_types, pseudonymise)
    return _write_table(table, out, content_types, using, pseudonymise)


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _content_type_sql(column: str, content_types: dict[int, str]) -> str:
    """The content type's "app_label.model" for the id in `column`. An id with no content
    type (possible only in history, where nothing enforces it) gives #<id>, which an
    import refuses rather than mistaking for another model."""
    fallback = f"'#' || {column}::text"
    if not content_types:
        return fallback
    largest = max(content_types)
    if largest <= 10_000:
        # An array indexed by id: one lookup per row, where a CASE tries every id.
        labels = ", ".join(
            _sql_literal(content_types[i]) if i in content_types else "NULL"
            for i in range(1, largest + 1)
        )
        return f"COALESCE((ARRAY[{labels}]::text[])[{column}], {fallback})"
    cases = " ".join(f"WHEN {i} THEN {_sql_literal(label)}" for i, label in content_types.items())
    return f"CASE {column} {cases} ELSE {fallback} END"


def referenced_users_sql(qn, user_id: str) -> str:
    """A condition true when a row of a snapshot table names the user whose id is the SQL
    expression `user_id`."""
    tests = [
        f"EXISTS (SELECT 1 FROM {qn(table.db_table)} r WHERE r.{qn(column.db_column)} = {user_id})"
        for table, column in user_references()
    ]
    return " OR ".join(tests) if tests else "1 = 0"


def referenced_users_q(using: str) -> Q:
    """The same condition for the ORM, on the user model."""
    tests = [
        Q(Exists(table.model._base_manager.using(using).filter(**{column.attname: OuterRef("pk")})))
        for table, column in user_references()
    ]
    return functools.reduce(operator.or_, tests) if tests else Q(pk__in=[])


def select_sql(table: Table, content_types: dict[int, str], qn, pseudonymise: bool = False) -> str:
    """The SELECT giving the table's CSV cells in canonical text, ordered by key. For
    users, only those the other tables name, pseudonymised if asked."""
    expressions = []
    users = table.name == USERS
    for column in table.columns:
        name = f"t.{qn(column.db_column)}"
        if column.role == "content_type":
            expression = _content_type_sql(name, content_types)
        elif users and pseudonymise and column.name == "username":
            expression = f"{_sql_literal(PSEUDONYM_PREFIX)} || t.{qn(table.pk)}::text"
        else:
            expression = formats.sql_expression(column.kind, name)
        expressions.append(f"{expression} AS {qn(column.name)}")
    where = f" WHERE {referenced_users_sql(qn, f't.{qn(table.pk)}')}" if users else ""
    return (
        f"SELECT {', '.join(expressions)} FROM {qn(table.db_table)} t{where} "
        f"ORDER BY t.{qn(table.pk)}"
    )


class BackgroundWriter:
    """Hashes, compresses and writes in a thread (zlib and hashlib release the GIL), so
    that PostgreSQL keeps producing rows meanwhile."""

    def __init__(self, out):
        self.out = out
        self.queue: queue.Queue = queue.Queue(maxsize=8)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while (data := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.out.write(data)
                except BaseException as error:
                    self.error = error

    def write(self, data: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(data)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


def _copy_table(cursor, table: Table, out, content_types, pseudonymise: bool = False) -> int:
    qn = cursor.db.ops.quote_name
    sql = (
        f"COPY ({select_sql(table, content_types, qn, pseudonymise)}) TO STDOUT "
        "WITH (FORMAT csv, HEADER true, NULL '\\N', ENCODING 'UTF8')"
    )
    writer = BackgroundWriter(out)
    try:
        # COPY goes past Django's cursor.execute, which an `as_of` block rewrites.
        with cursor.cursor.copy(in_past(sql, cursor.db.alias)) as copy:
            # COPY sends a message per row: gather them into larger writes.
            buffer = bytearray()
            for data in copy:
                buffer += data
                if len(buffer) >= WRITE_SIZE:
                    writer.write(bytes(buffer))
                    buffer.clear()
            if buffer:
                writer.write(bytes(buffer))
    finally:
        writer.close()
    return cursor.cursor.rowcount


def _write_table(table: Table, out, content_types, using, pseudonymise: bool = False) -> int:
    def content_type(ct_id):
        return formats.quote(content_types.get(ct_id) or f"#{ct_id}")

    cells = [
        content_type if c.role == "content_type" else formats.formatter(c.kind)
        for c in table.columns
    ]
    null = formats.NULL
    out.write((",".join(table.names) + "\n").encode())
    queryset = table.model._base_manager.using(using)
    if table.name == USERS:
        queryset = queryset.filter(referenced_users_q(using))
    queryset = queryset.order_by(table.model._meta.pk.attname).values_list(
        *[c.attname for c in table.columns]
    )
    values = queryset.iterator(chunk_size=CHUNK)
    if table.name == USERS and pseudonymise:
        values = ((pk, pseudonym(pk)) for pk, _username in values)
    rows = 0
    lines = []
    for row in values:
        lines.append(
            ",".join([null if v is None else cell(v) for cell, v in zip(cells, row, strict=True)])
        )
        if len(lines) >= CHUNK:
            out.write(("\n".join(lines) + "\n").encode())
            rows += len(lines)
            lines = []
    if lines:
        out.write(("\n".join(lines) + "\n").encode())
        rows += len(lines)
    return rows
