"""The import's writing, once checking found nothing wrong: in one transaction, in
dependency order, COPY FROM STDIN on PostgreSQL (the file's bytes as they are, when no id
needs mapping), executemany on other databases; users and content types mapped to the
ids they have here; sequences then moved past the ids loaded. What the database still
refuses is reported as a problem at the file's line, with everything rolled back."""

import itertools
import re
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, transaction

from factbase.core.feed import restart_clock
from factbase.core.seeds import only_seeds

from .converters import converted_rows, row_converters
from .hashing import resource_hash
from .plan import Plan
from .problems import Problems, SnapshotInvalid
from .reader import CsvFile
from .tables import USERS, Table

SQLITE_BATCH = 5000


def _database_errors() -> tuple[type[Exception], ...]:
    # COPY goes through psycopg's cursor, whose errors Django does not wrap.
    try:
        import psycopg
    except ImportError:  # pragma: no cover - SQLite-only installs
        return (DatabaseError,)
    return (DatabaseError, psycopg.Error)


DATABASE_ERRORS = _database_errors()


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


class Writer:
    """Loads the checked snapshot (`plan`) into the database, all in one transaction."""

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
            # The change feed goes on after the snapshot's last version; versions of a
            # snapshot taken before the feed existed are numbered in the order of time.
            restart_clock(connection.alias)
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

    def _converted(self, table: Table, csv_file: CsvFile, sqlite: bool):
        converters = row_converters(table, self.users, self.content_types, sqlite)
        return converted_rows(csv_file, converters)

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
