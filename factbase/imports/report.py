"""What an import did, or would do: a count of its rows by outcome, and each row's outcome
with its line, its record and, for a row refused, each problem with its column.

Outcomes: `new` (a record created), `update` (a record changed), `unchanged` (a row that
holds what its record holds: no version written), `error` (refused: nothing is written
then, of any row).

Counts cover every row; the rows themselves are kept up to a cap (the first `CAP` rows,
and the first `CAP` rows refused), so that a report of a million rows is as small as one
of a thousand. `truncated` says when rows were left out.
"""

from collections import Counter
from dataclasses import dataclass, field

from .reading import FileProblem, Problem

OUTCOMES = ("new", "update", "unchanged", "error")
NEW, UPDATE, UNCHANGED, ERROR = OUTCOMES
CAP = 1000


@dataclass
class Outcome:
    line: int
    outcome: str
    record_id: int | None = None  # None for a new record not kept (a dry run, a refusal)
    record: str = ""
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "outcome": self.outcome,
            "id": self.record_id,
            "record": self.record,
            "errors": [problem_dict(self.line, p) for p in self.problems],
        }


@dataclass
class Created:
    """A related record created on request (`create_missing`), named by a row."""

    kind: str
    record_id: int | None
    label: str
    line: int

    def as_dict(self) -> dict:
        return {"kind": self.kind, "id": self.record_id, "label": self.label, "line": self.line}


def problem_dict(line: int, problem: Problem) -> dict:
    return {"line": line, "column": problem.column, "message": problem.message}


def problem_text(line: int, problem: Problem) -> str:
    column = f", column {problem.column}" if problem.column else ""
    return f"line {line}{column}: {problem.message}"


@dataclass
class Report:
    kind: str
    file_name: str
    format: str
    dry_run: bool
    counts: Counter = field(default_factory=Counter)
    rows: list[Outcome] = field(default_factory=list)
    errors: list[Outcome] = field(default_factory=list)
    created: list[Created] = field(default_factory=list)
    problem: FileProblem | None = None  # the file could not be read on
    written: bool = False
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.counts[outcome] for outcome in OUTCOMES)

    @property
    def failed(self) -> bool:
        return self.problem is not None or self.counts[ERROR] > 0

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows) or self.counts[ERROR] > len(self.errors)

    def add(self, outcome: Outcome) -> None:
        self.counts[outcome.outcome] += 1
        if len(self.rows) < CAP:
            self.rows.append(outcome)
        if outcome.outcome == ERROR and len(self.errors) < CAP:
            self.errors.append(outcome)

    def keeps_row(self) -> bool:
        """Whether the next row will be kept (its record worth describing)."""
        return len(self.rows) < CAP

    def created_record(self, created: Created) -> None:
        if len(self.created) < CAP:
            self.created.append(created)

    def forget_created(self, line: int) -> None:
        """The records a refused row created: rolled back with it, so not listed."""
        self.created = [created for created in self.created if created.line != line]

    def error_lines(self) -> list[str]:
        """Every problem kept, one line each: `line 5, column value: ...`."""
        lines = [str(self.problem)] if self.problem is not None else []
        for outcome in self.errors:
            lines += [problem_text(outcome.line, problem) for problem in outcome.problems]
        return lines

    def file_errors(self) -> list[dict]:
        """The problem of the whole file, if any, as a row's problems read. A problem with
        no line (an empty file) is one of the file from its start: line 1."""
        if self.problem is None:
            return []
        problem = self.problem
        line = problem.line if problem.line is not None else 1
        return [{"line": line, "column": problem.about, "message": problem.message}]

    def summary(self) -> str:
        counts = ", ".join(f"{self.counts[outcome]:,} {outcome}" for outcome in OUTCOMES)
        rows = f"{self.total:,} row{'s' if self.total != 1 else ''}"
        if self.problem is not None:
            state = "The file could not be read: nothing was written."
        elif self.failed:
            state = "Nothing was written: every row must pass first."
        elif self.dry_run:
            state = "Dry run: nothing was written."
        else:
            state = "Written."
        return f"{self.file_name or 'The import'}: {rows} ({counts}). {state}"

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "file": self.file_name,
            "format": self.format,
            "dry_run": self.dry_run,
            "written": self.written,
            "rows": self.total,
            "counts": {outcome: self.counts[outcome] for outcome in OUTCOMES},
            "file_error": None if self.problem is None else str(self.problem),
            "errors": self.file_errors()
            + [
                problem_dict(outcome.line, problem)
                for outcome in self.errors
                for problem in outcome.problems
            ],
            "created": [created.as_dict() for created in self.created],
            "outcomes": [outcome.as_dict() for outcome in self.rows],
            "truncated": self.truncated,
        }
