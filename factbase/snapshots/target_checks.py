"""Checks of what the database a snapshot loads into can hold, beyond the snapshot's own
rules (which are PostgreSQL's): SQLite keeps 15 significant digits of a decimal, and a
value with more would come back rounded, or past its column's digits not at all
(factbase.core.validation, which refuses the same values to a write on SQLite)."""

from collections.abc import Sequence

from factbase.core.validation import sqlite_digits_problem

from .problems import Report
from .tables import Column


class SQLiteDigits:
    """The table's decimal cells, each within the digits SQLite keeps."""

    def __init__(self, columns: Sequence[Column], report: Report):
        self.numbers = [(i, c.name) for i, c in enumerate(columns) if c.kind == "number"]
        self.report = report

    def __bool__(self) -> bool:
        return bool(self.numbers)

    def __call__(self, line: int, row: list) -> None:
        for i, name in self.numbers:
            problem = sqlite_digits_problem(row[i])
            if problem:
                self.report(line, name, problem)
