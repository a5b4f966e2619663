"""The checks of a table's keys, on each parsed row: its primary key, its foreign keys
(to other tables, to itself, to users that may be missing) and its UNIQUE constraints.
The ids looked up are IdSets (ids.py) filled by the tables checked before: nothing here
knows about the database."""

from collections.abc import Iterable, Sequence

from .ids import IdSet
from .problems import Report
from .seen_keys import SeenKeys
from .tables import Unique


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


class ForeignKeys:
    """A table's foreign keys to other tables, run as one check."""

    def __init__(self, keys: Sequence[ForeignKey]):
        self.keys = [(key.position, key.target_ids, key) for key in keys]

    def __call__(self, line: int, row: list) -> None:
        for position, target_ids, key in self.keys:
            value = row[position]
            if value is not None and value not in target_ids:
                key(line, row)


def show_key(key: tuple) -> str:
    return ", ".join(repr(v) if isinstance(v, str) else str(v) for v in key)


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
