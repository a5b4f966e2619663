"""The import's check of each table's file, read once as a stream before anything is
written: its bytes, SHA-256 and row count against the descriptor, its header, and every
record through the table's row checks (row_validator.py), which are built here. The ids
of each table checked are kept (ids.py) for the foreign keys of the tables after it."""

import csv
import functools
import time

from .collectors import ContentTypes, UserNames
from .errors import SnapshotFileError, SnapshotLimitError
from .hashing import resource_hash
from .ids import IdSet
from .key_checks import DanglingUsers, ForeignKey, ForeignKeys, PrimaryKey, SelfReference, UniqueKey
from .plan import Plan
from .problems import Problems, file_problem
from .reader import CsvFile
from .row_parser import RowParser
from .row_validator import RowValidator
from .rule_checks import Rule, Rules
from .tables import USERS, Table, snapshot_tables
from .target_checks import SQLiteDigits


class Checker:
    """Checks the tables' files in dependency order, adding to `problems` and filling the
    plan: a table's checks look up the ids of the tables checked before it."""

    def __init__(self, source, plan: Plan, problems: Problems, report, progress, vendor=""):
        self.source = source
        self.vendor = vendor  # of the database loaded into: its own limits are checked too
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
        content_types = self._content_types(table, report)
        if content_types is not None:
            checks.append(content_types)
        digits = SQLiteDigits(table.columns, report)
        if self.vendor == "sqlite" and digits:
            checks.append(digits)
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

    def _content_types(self, table: Table, report) -> ContentTypes | None:
        """Collects the content types a table names, each a Factbase table or reported;
        for citations, also looks up what each cites (a fact missing from the snapshot is
        a warning)."""
        position = next((i for i, c in enumerate(table.columns) if c.role == "content_type"), None)
        if position is None:
            return None
        column = table.columns[position].name
        known = self.models.keys()
        if table.is_history or "object_id" not in table.index:  # a merge names only a kind
            return ContentTypes(position, column, self.plan.content_types, known, report)
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
            column,
            self.plan.content_types,
            known,
            report,
            table.index.get("object_id"),
            targets,
            lambda line, message: warn(f"{path}, line {line}: {message}"),
        )
