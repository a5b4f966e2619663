"""The checks a snapshot's records go through on import, built once per table.

A table's `RowValidator` is put together from small validators when the table's file is
about to be read, and then only runs them, record after record:

- `RowParser` turns a record's cells into a row of values: the number of cells, no null
  where a value is required, a quoted "\\N" back to the string, lengths, and every typed
  cell parsed by its column's parser (`Column.parse`: its kind, range and digits). A
  record with a bad cell goes no further.
- then, on the parsed row, each a callable `check(line, row)`: `PrimaryKey` (unique and
  increasing), `ForeignKey` (the id is a row of the table it points to), `SelfReference`
  (the same, within the table, once the file has been read), `DanglingUsers` (references
  to users missing from users.csv, counted), `UniqueKey` (through a `SeenKeys`), `Rule`
  (a CHECK constraint, see rules.py), `UserNames` and `ContentTypes` (what the import
  collects on the way). `ForeignKeys` and `Rules` run a table's foreign keys and rules
  as one check each: a row that passes them all, nearly every row, costs one call
  (`Rules` evaluates all the conditions in one function, rules.all_hold).

Each reports a problem as `report(line, column, message)` (the file's name bound in
already) and can be built and run alone. Nothing here knows about the database: the ids
of the referenced tables are passed in as `IdSet`s, filled by the tables checked before.
"""

import hashlib
import heapq
import inspect
import sqlite3
import types
from array import array
from bisect import bisect_right
from collections.abc import Callable, Container, Iterable, Sequence

from . import formats
from .reader import CsvFile
from .rules import all_hold
from .tables import Check, Column, Unique

Report = Callable[[int | None, str | None, str], None]  # (line, column, message)
RowCheck = Callable[[int, list], None]  # (line, row)


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

    def lookup(self) -> Container:
        """The ids as they are now, for `in` only: a range when they run without a gap
        (what a table without deletions gives), which answers without a Python call."""
        if not self.starts:
            return range(0)
        if len(self.starts) == 1:
            return range(self.starts[0], self.ends[0] + 1)
        return self


class SeenKeys:
    """The values of one unique key met so far, each with its line, kept in a private
    temporary SQLite database on disk (SQLite's "" file name): a set in memory would grow
    by a few hundred bytes a row. Values are stored as 128-bit digests of their repr."""

    def __init__(self):
        self.db = sqlite3.connect("")
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("CREATE TABLE seen (key BLOB PRIMARY KEY, line INTEGER) WITHOUT ROWID")
        self.cursor = self.db.cursor()

    def add(self, key: tuple, line: int) -> int | None:
        """Remember `key` at `line`; if it was met before, the line it was met on."""
        digest = hashlib.blake2b(repr(key).encode(), digest_size=16).digest()
        cursor = self.cursor
        if cursor.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (digest, line)).rowcount:
            return None
        return cursor.execute("SELECT line FROM seen WHERE key = ?", (digest,)).fetchone()[0]

    def close(self) -> None:
        self.db.close()


def show_key(key: tuple) -> str:
    return ", ".join(repr(v) if isinstance(v, str) else str(v) for v in key)


class RowParser:
    """A record's cells to a row of values, or None when a cell is wrong (reported).

    In order: the number of cells; nulls (`\\N`), reported where the column requires a
    value; a quoted "\\N" (the reader's LITERAL_NULL_MARK) back to the string `\\N` in
    string columns; string lengths; then each typed cell (every kind but string, and
    content types) through its column's parser, whose ValueError is the message."""

    def __init__(self, columns: Sequence[Column], report: Report):
        self.report = report
        self.width = len(columns)
        self.required = [(i, c.name) for i, c in enumerate(columns) if not c.nullable]
        self.strings = [i for i, c in enumerate(columns) if c.kind == "string"]
        self.limited = [
            (i, c.name, c.max_length)
            for i, c in enumerate(columns)
            if c.kind == "string" and c.max_length is not None and not c.role
        ]
        self.typed = [
            (i, c.name, c.parse)
            for i, c in enumerate(columns)
            if c.kind != "string" or c.role == "content_type"
        ]

    def __call__(self, line: int, cells: list[str]) -> list | None:
        """The row of values (`cells` itself when it holds no null), or None."""
        if len(cells) != self.width:
            self.report(line, None, f"{len(cells)} cells, expected {self.width}.")
            return None
        ok = True
        null = formats.NULL
        if null in cells:
            row = [None if text == null else text for text in cells]
            for i, name in self.required:
                if row[i] is None:
                    self.report(line, name, "null (\\N) in a column that requires a value.")
                    ok = False
        else:
            row = cells
        if formats.LITERAL_NULL_MARK in cells:
            self._literal_nulls(row)
        for i, name, limit in self.limited:
            text = row[i]
            if text is not None and len(text) > limit:
                self.report(line, name, f"longer than {limit} characters ({len(text)}).")
                ok = False
        for i, name, parse in self.typed:
            text = row[i]
            if text is not None:
                try:
                    row[i] = parse(text)
                except ValueError as error:
                    self.report(line, name, str(error) + ".")
                    ok = False
        return row if ok else None

    def _literal_nulls(self, row: list) -> None:
        mark = formats.LITERAL_NULL_MARK
        for i in self.strings:
            if row[i] == mark:
                row[i] = formats.NULL


class PrimaryKey:
    """Primary keys unique and increasing. `ids`, when given, receives each key (the ids
    other tables' foreign keys are checked against); without it (history tables, whose
    ids nothing references) only the order is checked."""

    def __init__(self, position: int, column: str, ids: IdSet | None, report: Report):
        self.position = position
        self.column = column
        self.ids = ids
        self.report = report
        self.last = None

    def __call__(self, line: int, row: list) -> None:
        pk = row[self.position]
        last = self.last
        if last is not None and pk <= last:
            if pk == last or (self.ids is not None and pk in self.ids):
                self.report(line, self.column, f"duplicate primary key {pk}.")
            else:
                self.report(line, self.column, f"primary key {pk} after {last}: not in order.")
        else:
            self.last = pk
            ids = self.ids
            if ids is not None:
                ends = ids.ends
                if ends and pk == ends[-1] + 1:  # IdSet.add, inline for the common case
                    ends[-1] = pk
                else:
                    ids.add(pk)


class ForeignKey:
    """An enforced foreign key: a value, when not null, must be an id of `target`, whose
    ids (`target_ids`, anything supporting `in`) are known in full."""

    def __init__(self, position: int, column: str, target: str, target_ids, report: Report):
        self.position = position
        self.column = column
        self.target = target
        self.target_ids = target_ids
        self.report = report

    def __call__(self, line: int, row: list) -> None:
        value = row[self.position]
        if value is not None and value not in self.target_ids:
            self.report(line, self.column, f"{self.target} has no row {value}.")


class SelfReference:
    """An enforced foreign key to the table itself: a value not among the ids read so far
    (`ids`, which the table's PrimaryKey fills) may point forward, so it is kept and
    checked by `finish()`, once the whole file has been read."""

    def __init__(self, position: int, column: str, table: str, ids: IdSet, report: Report):
        self.position = position
        self.column = column
        self.table = table
        self.ids = ids
        self.report = report
        self.forward: list[tuple[int, int]] = []  # (value, line)

    def __call__(self, line: int, row: list) -> None:
        value = row[self.position]
        if value is not None and value not in self.ids:
            self.forward.append((value, line))

    def finish(self) -> None:
        """Report the values kept that are still not ids of the table (RowValidator.finish
        does this for all of a table's, in file order)."""
        for value, line in self.forward:
            if value not in self.ids:
                self.report(line, self.column, f"{self.table} has no row {value}.")


class DanglingUsers:
    """References to users that users.csv does not hold (deleted since), in columns where
    the database does not enforce them: counted, not refused."""

    def __init__(self, positions: Iterable[int], user_ids):
        self.positions = list(positions)
        self.user_ids = user_ids
        self.count = 0

    def __call__(self, line: int, row: list) -> None:
        user_ids = self.user_ids
        for position in self.positions:
            value = row[position]
            if value is not None and value not in user_ids:
                self.count += 1


class UniqueKey:
    """A UNIQUE constraint: no two rows with the same values, rows with a null in the key
    aside (as in SQL), and for a conditional one only the rows its condition holds for."""

    def __init__(self, unique: Unique, report: Report):
        self.positions = list(unique.positions)
        self.condition = unique.condition
        self.columns = ",".join(unique.columns)
        self.name = unique.name
        self.report = report
        self.seen = SeenKeys()

    def __call__(self, line: int, row: list) -> None:
        key = tuple([row[p] for p in self.positions])
        if None in key:
            return
        if self.condition is not None and self.condition(row) is not True:
            return
        earlier = self.seen.add(key, line)
        if earlier is not None:
            self.report(
                line,
                self.columns,
                f"duplicate value {show_key(key)} for {self.name} (also on line {earlier}).",
            )

    def close(self) -> None:
        self.seen.close()


class Rule:
    """A CHECK constraint, evaluated on the row: it fails only when its condition is
    false (null makes it unknown, which passes, as in SQL)."""

    def __init__(self, check: Check, report: Report):
        self.predicate = check.predicate
        self.columns = ",".join(check.columns)
        self.message = f"{check.name}: {check.message}"
        self.report = report

    def __call__(self, line: int, row: list) -> None:
        if self.predicate(row) is False:
            self.report(line, self.columns, self.message)


class ForeignKeys:
    """A table's foreign keys to other tables, run as one check."""

    def __init__(self, keys: Sequence[ForeignKey]):
        self.keys = [(key.position, key.target_ids, key) for key in keys]

    def __call__(self, line: int, row: list) -> None:
        for position, target_ids, key in self.keys:
            value = row[position]
            if value is not None and value not in target_ids:
                key(line, row)


class Rules:
    """A table's CHECK constraints, run as one check: the row goes through all of them in
    one call (rules.all_hold), and only a row that fails one through each, for the
    messages."""

    def __init__(self, rules: Sequence[Rule]):
        self.rules = list(rules)
        self.hold = all_hold([rule.predicate for rule in self.rules])

    def __call__(self, line: int, row: list) -> None:
        if self.hold is not None and self.hold(row):
            return
        for rule in self.rules:
            rule(line, row)


class UserNames:
    """users.csv: each user's id and username, collected for the import to map."""

    def __init__(self, pk_position: int, name_position: int, users: list):
        self.pk_position = pk_position
        self.name_position = name_position
        self.users = users

    def __call__(self, line: int, row: list) -> None:
        self.users.append((row[self.pk_position], row[self.name_position]))


class ContentTypes:
    """The content types a table names, collected into `labels` (the import maps them).
    With `targets` (label -> the ids of that model's table; a table that is not one of
    the snapshot's is absent), each (label, object id) is looked up there, and a missing
    target is `warn(line, message)`ed: citations of facts outside the snapshot are
    allowed, but said."""

    def __init__(
        self,
        position: int,
        labels: set,
        object_position: int | None = None,
        targets: dict | None = None,
        warn: Callable[[int, str], None] | None = None,
    ):
        self.position = position
        self.labels = labels
        self.object_position = object_position
        self.targets = targets
        self.warn = warn

    def __call__(self, line: int, row: list) -> None:
        label = row[self.position]
        if label is None:
            return
        self.labels.add(label)
        if self.targets is None:
            return
        ids = self.targets.get(label)
        if ids is None:
            self.warn(line, f"{label} is not a Factbase table.")
        elif row[self.object_position] not in ids:
            self.warn(
                line,
                f"cites {label} {row[self.object_position]}, which the snapshot does not hold.",
            )


def _direct(check: Callable) -> Callable:
    """An object's __call__ as a bound method, which costs half as much to call as the
    object; anything else as it is."""
    call = inspect.getattr_static(type(check), "__call__", None)
    if isinstance(call, types.FunctionType):
        return call.__get__(check)
    return check


class RowValidator:
    """One table's checks, run on every record of its file: `parse` (a RowParser), then
    each of `checks` on the rows that parsed. `finish()` runs the checks that need the
    whole file (SelfReference) and `close()` releases what the checks hold (UniqueKey's
    temporary databases)."""

    def __init__(self, parse: Callable[[int, list], list | None], checks: Sequence[RowCheck]):
        self.parse = parse
        self.checks = list(checks)

    def run(self, csv_file: CsvFile) -> int:
        """Check each record left in `csv_file` (its header read); the number of records.
        `csv_file.line` follows the reader: where the next record starts, which is also
        where an error of the csv module is reported."""
        parse, checks = _direct(self.parse), [_direct(check) for check in self.checks]
        reader = csv_file.reader
        rows = 0
        start = csv_file.line
        try:
            for cells in reader:
                line, start = start, reader.line_num + 1
                rows += 1
                row = parse(line, cells)
                if row is None:
                    continue
                for check in checks:
                    check(line, row)
        finally:
            csv_file.line = start
        return rows

    def finish(self) -> None:
        """The references to the table itself that point at no row, in file order."""
        references = [c for c in self.checks if isinstance(c, SelfReference)]
        for line, value, reference in heapq.merge(
            *([(line, value, r) for value, line in r.forward] for r in references),
            key=lambda item: item[0],
        ):
            if value not in reference.ids:
                reference.report(line, reference.column, f"{reference.table} has no row {value}.")

    def close(self) -> None:
        for check in self.checks:
            if isinstance(check, UniqueKey):
                check.close()
