"""Loading a snapshot: check everything, then write everything in one transaction.

Checking reads every file once, as a stream, before anything is written: the descriptor
(format version, migrations, files and columns), each file's size, SHA-256 and row count,
and every cell (its type, and the rules the database holds: NOT NULL, lengths, integer
ranges, decimal digits, primary keys unique and increasing, UNIQUE constraints, foreign
keys against the ids of the snapshot's own tables, and the models' CHECK constraints,
evaluated in Python, see rules.py). The ids of the referenced tables are kept (as runs of
consecutive ids); the values of unique columns go to a temporary SQLite file (SeenKeys),
so memory stays flat however large a table is; nothing else is kept.

Writing happens only when nothing was found wrong, in one transaction, in dependency
order: COPY FROM STDIN on PostgreSQL (the file's bytes as they are, when no id needs
mapping), executemany on other databases. Sequences are then moved past the ids loaded.

The target must be empty: no row in any snapshot table, except the platforms and metric
types that `migrate` seeds, with their history, as long as they are untouched (only the
seeded slugs, version 1, and only their "Initial vocabulary" creation in history): these
are replaced by the snapshot's own. With `replace`, whatever the tables hold is deleted
first, in the same transaction.
"""

import csv
import hashlib
import itertools
import re
import sqlite3
import time
from array import array
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from factbase.kinds import record_apps

from . import formats
from .export import applied_migrations
from .package import (
    DESCRIPTOR,
    FORMAT,
    SnapshotFileError,
    SnapshotLimitError,
    Source,
    resource_hash,
)
from .reader import CsvFile
from .tables import USERS, Table, snapshot_tables

LIMIT = 100  # problems listed; the rest are counted
SQLITE_BATCH = 5000
VOCABULARY_REASON = "Initial vocabulary"


def _database_errors() -> tuple[type[Exception], ...]:
    # COPY goes through psycopg's cursor, whose errors Django does not wrap.
    try:
        import psycopg
    except ImportError:  # pragma: no cover - SQLite-only installs
        return (DatabaseError,)
    return (DatabaseError, psycopg.Error)


DATABASE_ERRORS = _database_errors()


class SeenKeys:
    """The values of one unique key met so far, each with its line, kept in a private
    temporary SQLite database on disk (SQLite's "" file name): a set in memory would grow
    by a few hundred bytes a row. Values are stored as 128-bit digests of their repr."""

    def __init__(self):
        self.db = sqlite3.connect("")
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("CREATE TABLE seen (key BLOB PRIMARY KEY, line INTEGER) WITHOUT ROWID")

    def add(self, key: tuple, line: int) -> int | None:
        """Remember `key` at `line`; if it was met before, the line it was met on."""
        digest = hashlib.blake2b(repr(key).encode(), digest_size=16).digest()
        if self.db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (digest, line)).rowcount:
            return None
        return self.db.execute("SELECT line FROM seen WHERE key = ?", (digest,)).fetchone()[0]

    def close(self) -> None:
        self.db.close()


@dataclass
class Problem:
    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self):
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class Problems:
    def __init__(self, limit: int = LIMIT):
        self.limit = limit
        self.items: list[Problem] = []
        self.count = 0

    def add(self, file, line, column, message) -> None:
        self.count += 1
        if len(self.items) < self.limit:
            self.items.append(Problem(file, line, column, message))

    def __bool__(self):
        return self.count > 0

    @property
    def more(self) -> int:
        return self.count - len(self.items)

    def lines(self) -> list[str]:
        lines = [str(p) for p in self.items]
        if self.more:
            lines.append(f"... and {self.more:,} more problems.")
        return lines


class SnapshotInvalid(Exception):
    """The snapshot cannot be loaded; nothing was written."""

    def __init__(self, problems: Problems, summary: str = ""):
        self.problems = problems
        self.summary = summary or (
            f"The snapshot was not loaded: {problems.count:,} "
            f"problem{'s' if problems.count != 1 else ''} found. Nothing was written."
        )
        super().__init__("\n".join([self.summary, *problems.lines()]))


@dataclass
class ImportReport:
    tables: int = 0
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    replaced: bool = False
    users_created: int = 0
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0

    def warn(self, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < LIMIT:
            self.warnings.append(message)


Progress = Callable[[str, str, int, int, float], None]


class IdSet:
    """Ids added in increasing order, kept as runs of consecutive ids: a table of a
    million rows numbered without gaps takes two numbers."""

    def __init__(self):
        self.starts = array("q")
        self.ends = array("q")

    def add(self, value: int) -> None:
        if self.ends and value == self.ends[-1] + 1:
            self.ends[-1] = value
        else:
            self.starts.append(value)
            self.ends.append(value)

    def __contains__(self, value) -> bool:
        i = bisect_right(self.starts, value) - 1
        return i >= 0 and value <= self.ends[i]


@dataclass
class Plan:
    """What checking found out, for writing."""

    descriptor: dict
    resources: dict[str, dict]
    users: list[tuple[int, str]] = field(default_factory=list)
    user_ids: IdSet = field(default_factory=IdSet)
    content_types: set[str] = field(default_factory=set)
    dangling_users: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    bytes: int = 0


def import_snapshot(
    path,
    *,
    using: str = DEFAULT_DB_ALIAS,
    dry_run: bool = False,
    replace: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check the snapshot at `path` (a ZIP file or a folder) and, unless `dry_run`, load
    it. Raises SnapshotInvalid, listing the problems, when it cannot be loaded; then
    nothing was written. `progress(phase, table, rows, bytes, seconds)` is called after
    each table is checked ("checked") and loaded ("loaded")."""
    started = time.monotonic()
    connection = connections[using]
    tables = snapshot_tables()
    report = ImportReport(dry_run=dry_run, replaced=replace)
    problems = Problems()
    try:
        source = Source(path)
    except SnapshotFileError as error:
        problems.add(str(path), None, None, str(error))
        raise SnapshotInvalid(problems) from error
    with source:
        plan = _check_descriptor(source, tables, connection, problems)
        if not replace:
            occupied = occupied_tables(connection, tables)
            if occupied:
                problems.add(
                    "(database)",
                    None,
                    None,
                    "The database is not empty: it has rows in "
                    + ", ".join(occupied[:8])
                    + (f" and {len(occupied) - 8} more tables" if len(occupied) > 8 else "")
                    + ". Load into an empty database, or use --replace to delete what "
                    "the tables hold and load the snapshot in its place.",
                )
                if not dry_run:
                    raise SnapshotInvalid(problems)
        if plan is None:
            raise SnapshotInvalid(problems)
        checker = Checker(source, plan, problems, report, progress)
        for table in tables:
            checker.check(table)
        if problems:
            raise SnapshotInvalid(problems)
        report.tables, report.rows, report.bytes = len(tables), plan.rows, plan.bytes
        if not dry_run:
            Writer(connection, source, plan, tables, report, progress, replace).run()
    report.seconds = time.monotonic() - started
    return report


def _check_descriptor(source, tables, connection, problems) -> Plan | None:
    """The descriptor's checks; None when the files cannot be checked against it."""
    try:
        descriptor = source.descriptor()
    except SnapshotFileError as error:
        file_problem(problems, DESCRIPTOR, error)
        return None
    meta = descriptor.get("factbase")
    if not isinstance(meta, dict):
        meta = {}
    if meta.get("format") != FORMAT:
        problems.add(
            DESCRIPTOR,
            None,
            "factbase.format",
            f"format {meta.get('format')!r} is not {FORMAT!r}: this is not a snapshot this "
            "version of Factbase can read.",
        )
        return None
    theirs = meta.get("migrations")
    if not isinstance(theirs, dict):
        theirs = {}
    ours = {}
    applied = applied_migrations(connection)
    for app in record_apps():
        ours[app] = applied.get(app, [])
        if sorted(theirs.get(app, [])) != ours[app]:
            missing = sorted(set(theirs.get(app, [])) - set(ours[app]))
            extra = sorted(set(ours[app]) - set(theirs.get(app, [])))
            detail = []
            if missing:
                detail.append(f"the snapshot has {', '.join(missing)}, this database has not")
            if extra:
                detail.append(f"this database has {', '.join(extra)}, the snapshot has not")
            problems.add(
                DESCRIPTOR,
                None,
                "factbase.migrations",
                f"the snapshot was taken at another schema of app {app!r}: "
                + "; ".join(detail)
                + ". Load it into a database at the same migrations.",
            )
    if problems:
        return None
    resources = {}
    for resource in descriptor.get("resources") or []:
        if isinstance(resource, dict) and isinstance(resource.get("name"), str):
            resources[resource["name"]] = resource
    expected = {t.name for t in tables}
    for name in sorted(set(resources) - expected):
        problems.add(DESCRIPTOR, None, None, f"resource {name!r} is not a table Factbase has.")
    for table in tables:
        resource = resources.get(table.name)
        if resource is None:
            problems.add(DESCRIPTOR, None, None, f"resource {table.name!r} is missing.")
            continue
        if resource.get("path") != table.path:
            problems.add(
                DESCRIPTOR,
                None,
                None,
                f"resource {table.name!r} should be at {table.path}, not {resource.get('path')!r}.",
            )
        if not source.exists(table.path):
            problems.add(table.path, None, None, "the file is missing.")
        for key in ("bytes", "hash", "rows"):
            if key not in resource:
                problems.add(DESCRIPTOR, None, None, f"resource {table.name!r} has no {key!r}.")
        fields = ((resource.get("schema") or {}).get("fields")) or []
        described = [(f.get("name"), f.get("type")) for f in fields if isinstance(f, dict)]
        wanted = [(c.name, c.kind) for c in table.columns]
        if described != wanted:
            have, want = dict(described), dict(wanted)
            before = problems.count
            for name, kind in wanted:
                if name not in have:
                    problems.add(table.path, 1, name, "column missing from the descriptor.")
                elif have[name] != kind:
                    problems.add(
                        table.path, 1, name, f"described as {have[name]}, should be {kind}."
                    )
            for name, _ in described:
                if name not in want:
                    problems.add(table.path, 1, name, "no such column in this table.")
            if problems.count == before:
                problems.add(table.path, 1, None, "the columns are not in the expected order.")
    return Plan(descriptor=descriptor, resources=resources)


def file_problem(problems: Problems, file: str, error: SnapshotFileError) -> None:
    """A file that cannot be read; one past a limit (SnapshotLimitError) where it went
    past it."""
    if isinstance(error, SnapshotLimitError):
        problems.add(error.file, error.line, None, error.reason)
    else:
        problems.add(file, None, None, str(error))


def occupied_tables(connection, tables) -> list[str]:
    """The tables that hold something besides the seeded vocabulary."""
    qn = connection.ops.quote_name
    occupied = []
    with connection.cursor() as cursor:
        for table in tables:
            if table.name == USERS:
                continue
            cursor.execute(f"SELECT 1 FROM {qn(table.db_table)} LIMIT 1")
            if cursor.fetchone() and not _seeded_vocabulary(table, connection.alias):
                occupied.append(table.name)
    return occupied


def _vocabulary():
    """Per seeded model: the fields compared, and the rows `migrate` writes."""
    from companies.models import Platform
    from companies.vocabulary import PLATFORMS
    from events.models import MetricType
    from events.vocabulary import METRIC_TYPES

    return {
        Platform: (("slug", "name"), set(PLATFORMS)),
        MetricType: (("slug", "name", "unit_kind", "description"), set(METRIC_TYPES)),
    }


def _seeded_vocabulary(table: Table, using: str) -> bool:
    """True when the table holds only what `migrate` seeds, untouched."""
    for model, (fields, seeded) in _vocabulary().items():
        history = model.history.model
        if table.model is model:
            rows = model._base_manager.using(using)
            if rows.filter(version__gt=1).exists():
                return False
            return all(row in seeded for row in rows.values_list(*fields).iterator())
        if table.model is history:
            rows = history._base_manager.using(using)
            return not rows.exclude(
                history_type="+", history_change_reason=VOCABULARY_REASON
            ).exists()
    return False


class Checker:
    def __init__(self, source, plan: Plan, problems: Problems, report, progress):
        self.source = source
        self.plan = plan
        self.problems = problems
        self.report = report
        self.progress = progress
        self.ids: dict[str, IdSet] = {USERS: plan.user_ids}
        self.models = {}
        for table in snapshot_tables():
            if not table.is_history and table.name != USERS:
                self.models[table.model._meta.label_lower] = table.name

    def check(self, table: Table) -> None:
        started = time.monotonic()
        resource = self.plan.resources.get(table.name)
        if resource is None or not self.source.exists(table.path):
            return
        path = table.path
        problems = self.problems
        try:
            binary = self.source.open(path)
        except SnapshotFileError as error:
            file_problem(problems, path, error)
            return
        with binary:
            csv_file = CsvFile(
                binary,
                lambda line: problems.add(
                    path, line, None, "NUL character: a snapshot cannot hold one."
                ),
            )
            rows = 0
            try:
                rows = self._check_rows(table, csv_file)
                csv_file.drain()
            except UnicodeDecodeError as error:
                problems.add(path, csv_file.line, None, f"not valid UTF-8: {error.reason}.")
            except csv.Error as error:
                problems.add(path, csv_file.line, None, f"not valid CSV: {error}.")
            except SnapshotLimitError as error:
                file_problem(problems, path, error)
                return
            except (SnapshotFileError, OSError, EOFError) as error:
                problems.add(path, None, None, f"cannot be read: {error}")
                return
            except Exception as error:  # zlib and zipfile errors of a damaged ZIP member
                problems.add(path, None, None, f"cannot be read: {error}")
                return
        if csv_file.bytes != resource.get("bytes"):
            problems.add(
                path,
                None,
                None,
                f"{csv_file.bytes:,} bytes, the descriptor says {resource.get('bytes')}: "
                "the file is truncated or was changed.",
            )
        if resource_hash(csv_file.sha256) != resource.get("hash"):
            problems.add(
                path, None, None, "SHA-256 differs from the descriptor's: the file was changed."
            )
        if rows != resource.get("rows"):
            problems.add(
                path, None, None, f"{rows:,} rows, the descriptor says {resource.get('rows')}."
            )
        self.plan.rows += rows
        self.plan.bytes += csv_file.bytes
        if self.progress:
            self.progress("checked", table.name, rows, csv_file.bytes, time.monotonic() - started)

    def _check_rows(self, table: Table, csv_file: CsvFile) -> int:
        path = table.path
        add = self.problems.add
        reader = csv_file.reader
        header = next(reader, None)
        csv_file.line = reader.line_num + 1
        if header is None:
            add(path, 1, None, "the file is empty: no header line.")
            return 0
        names = table.names
        if header != names:
            for name in names:
                if name not in header:
                    add(path, 1, name, "column missing from the header.")
            for name in header:
                if name not in names:
                    add(path, 1, name, "no such column in this table.")
            if set(header) == set(names):
                add(path, 1, None, f"columns out of order: expected {','.join(names)}.")
            return sum(1 for _ in reader)

        columns = table.columns
        width = len(columns)
        null, mark, literal_null = formats.NULL, formats.LITERAL_NULL_MARK, formats.NULL
        required = [(i, c.name) for i, c in enumerate(columns) if not c.nullable]
        strings = [i for i, c in enumerate(columns) if c.kind == "string"]
        limited = [
            (i, c.name, c.max_length)
            for i, c in enumerate(columns)
            if c.kind == "string" and c.max_length is not None and not c.role
        ]
        typed = [
            (i, c.name, c.parse)
            for i, c in enumerate(columns)
            if c.kind != "string" or c.role == "content_type"
        ]
        pk_position = table.index[table.pk]
        ids = self.ids.setdefault(table.name, IdSet()) if not table.is_history else None
        if table.name == USERS:
            ids = self.plan.user_ids
        fks = []
        user_refs = []
        self_refs = []
        for fk in table.foreign_keys:
            position = table.index[fk.column]
            if fk.table == USERS and not fk.enforced:
                user_refs.append(position)
            elif fk.enforced and fk.table == table.name:
                self_refs.append((position, fk.column))
            elif fk.enforced:
                fks.append((position, fk.column, fk.table, self.ids.setdefault(fk.table, IdSet())))
        content_type_position = next(
            (i for i, c in enumerate(columns) if c.role == "content_type"), None
        )
        generic = content_type_position is not None and not table.is_history
        object_position = table.index.get("object_id")
        seen_uniques = [(SeenKeys(), unique) for unique in table.uniques]
        checks = table.checks
        forward: list[tuple[int, int, str]] = []
        dangling_users = 0
        last_pk = None
        rows = 0
        for cells in reader:
            # Where this record starts; csv_file.line is also what errors of the csv
            # module are reported at.
            line = csv_file.line
            csv_file.line = reader.line_num + 1
            rows += 1
            if len(cells) != width:
                add(path, line, None, f"{len(cells)} cells, expected {width}.")
                continue
            ok = True
            if null in cells:
                row = [None if text == null else text for text in cells]
                for i, name in required:
                    if row[i] is None:
                        add(path, line, name, "null (\\N) in a column that requires a value.")
                        ok = False
            else:
                row = cells
            if mark in cells:
                for i in strings:
                    if row[i] == mark:
                        row[i] = literal_null
            for i, name, limit in limited:
                text = row[i]
                if text is not None and len(text) > limit:
                    add(path, line, name, f"longer than {limit} characters ({len(text)}).")
                    ok = False
            for i, name, parse in typed:
                text = row[i]
                if text is not None:
                    try:
                        row[i] = parse(text)
                    except ValueError as error:
                        add(path, line, name, str(error) + ".")
                        ok = False
            if not ok:
                continue
            pk = row[pk_position]
            if last_pk is not None and pk <= last_pk:
                if pk == last_pk or (ids is not None and pk in ids):
                    add(path, line, table.pk, f"duplicate primary key {pk}.")
                else:
                    add(path, line, table.pk, f"primary key {pk} after {last_pk}: not in order.")
            else:
                last_pk = pk
                if ids is not None:
                    ids.add(pk)
            if table.name == USERS:
                self.plan.users.append((pk, row[1]))
            for position, name, target, target_ids in fks:
                value = row[position]
                if value is not None and value not in target_ids:
                    add(path, line, name, f"{target} has no row {value}.")
            for position, name in self_refs:
                value = row[position]
                if value is not None and value not in ids:
                    forward.append((value, line, name))
            for position in user_refs:
                value = row[position]
                if value is not None and value not in self.plan.user_ids:
                    dangling_users += 1
            for seen, unique in seen_uniques:
                key = tuple(row[p] for p in unique.positions)
                if None in key:
                    continue
                if unique.condition is not None and unique.condition(row) is not True:
                    continue
                earlier = seen.add(key, line)
                if earlier is not None:
                    add(
                        path,
                        line,
                        ",".join(unique.columns),
                        f"duplicate value {_show_key(key)} for {unique.name} "
                        f"(also on line {earlier}).",
                    )
            for check in checks:
                if check.predicate(row) is False:
                    add(path, line, ",".join(check.columns), f"{check.name}: {check.message}")
            if content_type_position is not None:
                label = row[content_type_position]
                if label is not None:
                    self.plan.content_types.add(label)
                    if generic:
                        self._check_generic(table, line, label, row[object_position])
        for seen, _unique in seen_uniques:
            seen.close()
        for value, line, name in forward:
            if value not in ids:
                add(path, line, name, f"{table.name} has no row {value}.")
        if dangling_users:
            self.plan.dangling_users[table.name] = dangling_users
            self.report.warn(
                f"{path}: {dangling_users:,} references to users missing from users.csv "
                "(deleted users); they are loaded as null."
            )
        return rows

    def _check_generic(self, table, line, label, object_id) -> None:
        target = self.models.get(label)
        if target is None:
            self.report.warn(f"{table.path}, line {line}: {label} is not a Factbase table.")
        elif object_id not in self.ids.get(target, ()):
            self.report.warn(
                f"{table.path}, line {line}: cites {label} {object_id}, which the snapshot "
                "does not hold."
            )


def _show_key(key: tuple) -> str:
    return ", ".join(repr(v) if isinstance(v, str) else str(v) for v in key)


class Writer:
    def __init__(self, connection, source, plan: Plan, tables, report, progress, replace):
        self.connection = connection
        self.source = source
        self.plan = plan
        self.tables = tables
        self.report = report
        self.progress = progress
        self.replace = replace
        self.postgres = connection.vendor == "postgresql"
        self.qn = connection.ops.quote_name

    def run(self) -> None:
        connection = self.connection
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            self.cursor = cursor
            self._empty()
            self.users = self._map_users()
            self.same_user_ids = all(self.users[k] == k for k, _ in self.plan.users)
            self.content_types = self._map_content_types()
            for table in self.tables:
                if table.name == USERS:
                    continue
                started = time.monotonic()
                rows = self._load(table)
                if self.progress:
                    resource = self.plan.resources[table.name]
                    self.progress(
                        "loaded", table.name, rows, resource["bytes"], time.monotonic() - started
                    )
            self._reset_sequences()
            if self.postgres:
                # Foreign keys are checked now, not at commit, so that a failure is
                # reported here, with the transaction rolled back.
                self._execute("SET CONSTRAINTS ALL IMMEDIATE", "(database)")
                self._execute("SET CONSTRAINTS ALL DEFERRED", "(database)")
                for table in self.tables:
                    cursor.execute(f"ANALYZE {self.qn(table.db_table)}")

    def _execute(self, sql, file, params=None):
        try:
            self.cursor.execute(sql, params)
        except DATABASE_ERRORS as error:
            self._fail(file, error)

    def _fail(self, file, error, table: Table | None = None, counts_header: bool = True):
        """Report what the database refused, where COPY says it was. COPY numbers records
        from 1, the header included when it reads the file as it is (`counts_header`)."""
        problems = Problems()
        line, column = None, None
        diag = getattr(error, "diag", None) or getattr(error.__cause__, "diag", None)
        context = getattr(diag, "context", None) or ""
        match = re.search(r"line (\d+)(?:, column (\w+))?", context)
        if match and table is not None:
            record = int(match.group(1)) + (0 if counts_header else 1)
            line = self._physical_line(table, record)
            column = match.group(2)
        message = (str(error).strip().splitlines() or [type(error).__name__])[0]
        constraint = getattr(diag, "constraint_name", None)
        for check in table.checks if table is not None else ():
            if check.name == constraint or check.name in message:
                column = ",".join(check.columns)
                message += f" ({check.message})"
        problems.add(file, line, column, f"the database refused it: {message}")
        raise SnapshotInvalid(problems) from error

    def _physical_line(self, table: Table, record: int) -> int:
        """The line where record `record` (the header being 1) starts."""
        with self.source.open(table.path) as binary:
            for number, (line, _) in enumerate(CsvFile(binary).records(), start=1):
                if number == record:
                    return line
        return record

    def _empty(self) -> None:
        tables = [t for t in self.tables if t.name != USERS]
        names = ", ".join(self.qn(t.db_table) for t in tables)
        if self.postgres:
            # Pending foreign key checks of the caller's transaction would keep TRUNCATE
            # from running: run them now, and defer again afterwards as Django does.
            self._execute("SET CONSTRAINTS ALL IMMEDIATE", "(database)")
            self._execute(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE", "(database)")
        if not self.replace:
            # Checked again now that no one else can write: the check before ran
            # outside this transaction.
            occupied = occupied_tables(self.connection, self.tables)
            if occupied:
                problems = Problems()
                problems.add(
                    "(database)", None, None, f"The database is not empty: {', '.join(occupied)}."
                )
                raise SnapshotInvalid(problems)
        if self.postgres:
            self._execute(f"TRUNCATE {names}", "(database)")
            self._execute("SET CONSTRAINTS ALL DEFERRED", "(database)")
        else:
            for table in reversed(tables):
                self._execute(f"DELETE FROM {self.qn(table.db_table)}", "(database)")

    def _map_users(self) -> dict[int, int]:
        """Snapshot user id -> id here, creating the users not found by username (with
        the snapshot's id when it is free here, so that a restore keeps the ids)."""
        user_model = get_user_model()
        manager = user_model._default_manager.db_manager(self.connection.alias)
        field = user_model.USERNAME_FIELD
        existing = dict(manager.values_list(field, "pk"))
        taken = set(existing.values())
        mapping, create = {}, []
        for snapshot_id, username in self.plan.users:
            if username in existing:
                mapping[snapshot_id] = existing[username]
                continue
            user = user_model(**{field: username})
            user.password = make_password(None)
            if snapshot_id not in taken:
                user.pk = snapshot_id
                taken.add(snapshot_id)
            create.append((snapshot_id, user))
        with_ids = [user for _, user in create if user.pk is not None]
        without_ids = [user for _, user in create if user.pk is None]
        manager.bulk_create(with_ids)
        for user in without_ids:
            user.save(using=self.connection.alias)
        for snapshot_id, user in create:
            mapping[snapshot_id] = user.pk
        self.report.users_created = len(create)
        if with_ids:
            self._reset_sequence(user_model, [])
        return mapping

    def _map_content_types(self) -> dict[str, int]:
        manager = ContentType.objects.db_manager(self.connection.alias)
        mapping = {}
        for label in sorted(self.plan.content_types):
            app_label, model = label.split(".", 1)
            mapping[label] = manager.get_or_create(app_label=app_label, model=model)[0].pk
        return mapping

    def _load(self, table: Table) -> int:
        needs_mapping = (
            any(c.role == "content_type" for c in table.columns)
            or (not self.same_user_ids and any(c.role == "user" for c in table.columns))
            or table.name in self.plan.dangling_users
        )
        resource = self.plan.resources[table.name]
        with self.source.open(table.path) as binary:
            csv_file = CsvFile(binary)
            if self.postgres and not needs_mapping:
                rows = self._copy_raw(table, csv_file)
            elif self.postgres:
                rows = self._copy_rows(table, csv_file)
            else:
                rows = self._insert_rows(table, csv_file)
            csv_file.drain()
        if resource_hash(csv_file.sha256) != resource["hash"] or rows != resource["rows"]:
            problems = Problems()
            problems.add(table.path, None, None, "the file changed while it was being loaded.")
            raise SnapshotInvalid(problems)
        return rows

    def _columns_sql(self, table: Table) -> str:
        return ", ".join(self.qn(c.db_column) for c in table.columns)

    def _copy_raw(self, table: Table, csv_file: CsvFile) -> int:
        """The file's bytes, as they are: COPY parses the CSV itself."""
        sql = (
            f"COPY {self.qn(table.db_table)} ({self._columns_sql(table)}) FROM STDIN "
            "WITH (FORMAT csv, HEADER true, NULL '\\N', ENCODING 'UTF8')"
        )
        try:
            with self.cursor.cursor.copy(sql) as copy:
                while data := csv_file.hashing.read(1 << 20):
                    copy.write(data)
        except DATABASE_ERRORS as error:
            self._fail(table.path, error, table)
        return self.cursor.cursor.rowcount

    def _converters(self, table: Table, sqlite: bool) -> list:
        users = self.users
        content_types = self.content_types
        converters = []
        for column in table.columns:
            if column.role == "user":
                # A user missing from users.csv (deleted since) maps to null.
                converters.append(lambda text: users.get(int(text)))
            elif column.role == "content_type":
                converters.append(content_types.__getitem__)
            elif column.kind == "integer":
                converters.append(int)
            elif sqlite and column.kind == "boolean":
                converters.append(_sqlite_boolean)
            elif sqlite and column.kind == "datetime":
                converters.append(formats.sqlite_datetime)
            elif column.kind == "string":
                converters.append(_string)
            else:
                converters.append(None)
        return converters

    def _converted(self, table: Table, csv_file: CsvFile, sqlite: bool):
        converters = self._converters(table, sqlite)
        null = formats.NULL
        records = csv_file.records()
        next(records)
        for _, cells in records:
            yield [
                None if text == null else (convert(text) if convert else text)
                for convert, text in zip(converters, cells, strict=True)
            ]

    def _copy_rows(self, table: Table, csv_file: CsvFile) -> int:
        sql = f"COPY {self.qn(table.db_table)} ({self._columns_sql(table)}) FROM STDIN"
        rows = 0
        try:
            with self.cursor.cursor.copy(sql) as copy:
                write_row = copy.write_row
                for row in self._converted(table, csv_file, sqlite=False):
                    write_row(row)
                    rows += 1
        except DATABASE_ERRORS as error:
            self._fail(table.path, error, table, counts_header=False)
        return rows

    def _insert_rows(self, table: Table, csv_file: CsvFile) -> int:
        marks = ", ".join(["%s"] * len(table.columns))
        sql = f"INSERT INTO {self.qn(table.db_table)} ({self._columns_sql(table)}) VALUES ({marks})"
        rows = 0
        converted = self._converted(table, csv_file, sqlite=True)
        while batch := list(itertools.islice(converted, SQLITE_BATCH)):
            try:
                self.cursor.executemany(sql, batch)
            except DATABASE_ERRORS as error:
                self._fail(table.path, error, table)
            rows += len(batch)
        return rows

    def _reset_sequence(self, model, history_tables: list[str]) -> None:
        """Move the model's id sequence past the largest id in its table and in
        `history_tables` (which keep the ids of deleted records: a new record must not
        take one of them)."""
        pk = model._meta.pk
        if pk.get_internal_type() not in {"AutoField", "BigAutoField", "SmallAutoField"}:
            return
        qn = self.qn
        table = model._meta.db_table
        sources = [f"SELECT MAX({qn(pk.column)}) AS m FROM {qn(table)}"]
        sources += [f"SELECT MAX({qn(pk.column)}) AS m FROM {qn(h)}" for h in history_tables]
        largest = f"(SELECT MAX(m) FROM ({' UNION ALL '.join(sources)}) AS ids)"
        if self.postgres:
            self._execute(
                f"SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE({largest}, 1), "
                f"{largest} IS NOT NULL)",
                "(database)",
                [qn(table), pk.column],
            )
        else:
            self.cursor.execute(f"SELECT {largest}")
            value = self.cursor.fetchone()[0]
            if value is None:
                return
            self.cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            found = self.cursor.fetchone()
            if found is None:
                self.cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, value]
                )
            elif found[0] < value:
                self.cursor.execute(
                    "UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [value, table]
                )

    def _reset_sequences(self) -> None:
        for table in self.tables:
            if table.name == USERS:
                continue
            history = [table.history._meta.db_table] if table.history is not None else []
            self._reset_sequence(table.model, history)


def _sqlite_boolean(text: str) -> int:
    return 1 if text == "true" else 0


def _string(text: str) -> str:
    return formats.NULL if text == formats.LITERAL_NULL_MARK else text
