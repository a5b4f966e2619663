"""Loading a snapshot: check everything, then write everything in one transaction.

Checking reads every file once, as a stream, before anything is written: the descriptor
(format version, migrations, files and columns), each file's size, SHA-256 and row count,
and every cell (its type, and the rules the database holds: NOT NULL, lengths, integer
ranges, decimal digits, primary keys unique and increasing, UNIQUE constraints, foreign
keys against the ids of the snapshot's own tables, and the models' CHECK constraints,
evaluated in Python, see rules.py). The row checks are built once per table, as small
validators (validators.py), and then run on every record. The ids of the referenced
tables are kept (as runs of consecutive ids); the values of unique columns go to a
temporary SQLite file (SeenKeys), so memory stays flat however large a table is; nothing
else is kept.

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
import functools
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from factbase.core.kinds import record_apps
from factbase.core.seeds import only_seeds

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
from .validators import (
    ContentTypes,
    DanglingUsers,
    ForeignKey,
    ForeignKeys,
    IdSet,
    PrimaryKey,
    RowParser,
    RowValidator,
    Rule,
    Rules,
    SelfReference,
    UniqueKey,
    UserNames,
)

LIMIT = 100  # problems listed; the rest are counted
SQLITE_BATCH = 5000


def _database_errors() -> tuple[type[Exception], ...]:
    # COPY goes through psycopg's cursor, whose errors Django does not wrap.
    try:
        import psycopg
    except ImportError:  # pragma: no cover - SQLite-only installs
        return (DatabaseError,)
    return (DatabaseError, psycopg.Error)


DATABASE_ERRORS = _database_errors()


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
    if not _check_format(meta, problems):
        return None
    _check_migrations(meta, connection, problems)
    if problems:
        return None
    resources = _described_resources(descriptor)
    _check_resources(source, tables, resources, problems)
    return Plan(descriptor=descriptor, resources=resources)


def _check_format(meta: dict, problems: Problems) -> bool:
    """Whether the descriptor says the format this version reads."""
    if meta.get("format") == FORMAT:
        return True
    problems.add(
        DESCRIPTOR,
        None,
        "factbase.format",
        f"format {meta.get('format')!r} is not {FORMAT!r}: this is not a snapshot this "
        "version of Factbase can read.",
    )
    return False


def _check_migrations(meta: dict, connection, problems: Problems) -> None:
    """The snapshot's migrations, app by app, against those this database has applied."""
    theirs = meta.get("migrations")
    if not isinstance(theirs, dict):
        theirs = {}
    applied = applied_migrations(connection)
    for app in record_apps():
        ours = applied.get(app, [])
        if sorted(theirs.get(app, [])) != ours:
            problems.add(
                DESCRIPTOR,
                None,
                "factbase.migrations",
                f"the snapshot was taken at another schema of app {app!r}: "
                + "; ".join(_migration_differences(theirs.get(app, []), ours))
                + ". Load it into a database at the same migrations.",
            )


def _migration_differences(theirs, ours) -> list[str]:
    missing = sorted(set(theirs) - set(ours))
    extra = sorted(set(ours) - set(theirs))
    detail = []
    if missing:
        detail.append(f"the snapshot has {', '.join(missing)}, this database has not")
    if extra:
        detail.append(f"this database has {', '.join(extra)}, the snapshot has not")
    return detail


def _described_resources(descriptor: dict) -> dict[str, dict]:
    """The descriptor's resources by name (those without a name ignored)."""
    resources = {}
    for resource in descriptor.get("resources") or []:
        if isinstance(resource, dict) and isinstance(resource.get("name"), str):
            resources[resource["name"]] = resource
    return resources


def _check_resources(source, tables, resources: dict[str, dict], problems: Problems) -> None:
    """One resource per table, none other."""
    expected = {t.name for t in tables}
    for name in sorted(set(resources) - expected):
        problems.add(DESCRIPTOR, None, None, f"resource {name!r} is not a table Factbase has.")
    for table in tables:
        resource = resources.get(table.name)
        if resource is None:
            problems.add(DESCRIPTOR, None, None, f"resource {table.name!r} is missing.")
            continue
        _check_resource(source, table, resource, problems)
        _check_fields(table, resource, problems)


def _check_resource(source, table: Table, resource: dict, problems: Problems) -> None:
    """A table's resource: its path, its file, what it says of the file."""
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


def _check_fields(table: Table, resource: dict, problems: Problems) -> None:
    """The resource's fields: the table's columns, names and types, in order."""
    fields = ((resource.get("schema") or {}).get("fields")) or []
    described = [(f.get("name"), f.get("type")) for f in fields if isinstance(f, dict)]
    wanted = [(c.name, c.kind) for c in table.columns]
    if described == wanted:
        return
    have, want = dict(described), dict(wanted)
    before = problems.count
    for name, kind in wanted:
        if name not in have:
            problems.add(table.path, 1, name, "column missing from the descriptor.")
        elif have[name] != kind:
            problems.add(table.path, 1, name, f"described as {have[name]}, should be {kind}.")
    for name, _ in described:
        if name not in want:
            problems.add(table.path, 1, name, "no such column in this table.")
    if problems.count == before:
        problems.add(table.path, 1, None, "the columns are not in the expected order.")


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
            if cursor.fetchone() and not only_seeds(table.model, connection.alias):
                occupied.append(table.name)
    return occupied


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
        reader = csv_file.reader
        header = next(reader, None)
        csv_file.line = reader.line_num + 1
        if header is None:
            self.problems.add(table.path, 1, None, "the file is empty: no header line.")
            return 0
        if header != table.names:
            self._check_header(table, header)
            return sum(1 for _ in reader)
        validator = self._row_validator(table)
        try:
            rows = validator.run(csv_file)
        finally:
            validator.close()
        validator.finish()
        for check in validator.checks:
            if isinstance(check, DanglingUsers) and check.count:
                self.plan.dangling_users[table.name] = check.count
                self.report.warn(
                    f"{table.path}: {check.count:,} references to users missing from "
                    "users.csv (deleted users); they are loaded as null."
                )
        return rows

    def _check_header(self, table: Table, header: list[str]) -> None:
        path, names, add = table.path, table.names, self.problems.add
        for name in names:
            if name not in header:
                add(path, 1, name, "column missing from the header.")
        for name in header:
            if name not in names:
                add(path, 1, name, "no such column in this table.")
        if set(header) == set(names):
            add(path, 1, None, f"columns out of order: expected {','.join(names)}.")

    def _row_validator(self, table: Table) -> RowValidator:
        """The checks of the table's rows, in the order their problems are reported."""
        report = functools.partial(self.problems.add, table.path)
        checks: list = [self._primary_key(table, report)]
        if table.name == USERS:
            checks.append(UserNames(table.index[table.pk], 1, self.plan.users))
        checks += self._references(table, report)
        checks += [UniqueKey(unique, report) for unique in table.uniques]
        if table.checks:
            checks.append(Rules([Rule(check, report) for check in table.checks]))
        content_types = self._content_types(table)
        if content_types is not None:
            checks.append(content_types)
        return RowValidator(RowParser(table.columns, report), checks)

    def _own_ids(self, table: Table) -> IdSet | None:
        """The ids of the table, which its rows fill (not kept for history tables)."""
        if table.name == USERS:
            return self.plan.user_ids
        return None if table.is_history else self.ids.setdefault(table.name, IdSet())

    def _primary_key(self, table: Table, report) -> PrimaryKey:
        return PrimaryKey(table.index[table.pk], table.pk, self._own_ids(table), report)

    def _references(self, table: Table, report) -> list:
        """The foreign keys to other tables, to the table itself, and the references to
        users that may dangle, in that order."""
        others, own, users = [], [], []
        for fk in table.foreign_keys:
            position = table.index[fk.column]
            if fk.table == USERS and not fk.enforced:
                users.append(position)
            elif fk.enforced and fk.table == table.name:
                own.append(
                    SelfReference(position, fk.column, table.name, self._own_ids(table), report)
                )
            elif fk.enforced:
                # The tables referenced come before: their ids are all known.
                target_ids = self.ids.setdefault(fk.table, IdSet()).lookup()
                others.append(ForeignKey(position, fk.column, fk.table, target_ids, report))
        if users:
            own.append(DanglingUsers(users, self.plan.user_ids.lookup()))
        return ([ForeignKeys(others)] if others else []) + own

    def _content_types(self, table: Table) -> ContentTypes | None:
        """Collects the content types a table names; for citations, also looks up what
        each cites (a fact missing from the snapshot is a warning)."""
        position = next((i for i, c in enumerate(table.columns) if c.role == "content_type"), None)
        if position is None:
            return None
        if table.is_history:
            return ContentTypes(position, self.plan.content_types)
        targets = {}
        for label, name in self.models.items():
            ids = self.ids.get(name)
            if ids is None:
                targets[label] = ()
            else:
                # The table's own ids grow as it is read; the others' are complete.
                targets[label] = ids if name == table.name else ids.lookup()
        path, warn = table.path, self.report.warn
        return ContentTypes(
            position,
            self.plan.content_types,
            table.index.get("object_id"),
            targets,
            lambda line, message: warn(f"{path}, line {line}: {message}"),
        )


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
