"""The checks of a table's CHECK constraints, on each parsed row, evaluated in Python
(see rules.py): a constraint alone (Rule), and all of a table's at once (Rules)."""

from collections.abc import Sequence

from .problems import Report
from .rules import all_hold
from .tables import Check


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
