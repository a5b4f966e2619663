"""A table's row checks, put together once and run on every record of its file.

A table's `RowValidator` is put together from small validators when the table's file is
about to be read (checker.py does that), and then only runs them, record after record:

- `RowParser` (row_parser.py) turns a record's cells into a row of values: the number of
  cells, no null where a value is required, a quoted "\\N" back to the string, lengths,
  and every typed cell parsed by its column's parser (`Column.parse`: its kind, range and
  digits). A record with a bad cell goes no further.
- then, on the parsed row, each a callable `check(line, row)`: `PrimaryKey` (unique and
  increasing), `ForeignKey` (the id is a row of the table it points to), `SelfReference`
  (the same, within the table, once the file has been read), `DanglingUsers` (references
  to users missing from users.csv, counted), `UniqueKey` (through a `SeenKeys`), all in
  key_checks.py; `Rule` (a CHECK constraint, see rules.py) in rule_checks.py; `UserNames`
  and `ContentTypes` (what the import collects on the way) in collectors.py.
  `ForeignKeys` and `Rules` run a table's foreign keys and rules as one check each: a
  row that passes them all, nearly every row, costs one call (`Rules` evaluates all the
  conditions in one function, rules.all_hold).

Each reports a problem as `report(line, column, message)` (the file's name bound in
already, problems.Report) and can be built and run alone. Nothing here knows about the
database: the ids of the referenced tables are passed in as `IdSet`s (ids.py), filled by
the tables checked before.
"""

import heapq
import inspect
import types
from collections.abc import Callable, Sequence

from .key_checks import SelfReference, UniqueKey
from .reader import CsvFile

RowCheck = Callable[[int, list], None]  # (line, row)


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
