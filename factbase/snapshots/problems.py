"""What is wrong with a snapshot, as the import reports it: each problem with its file,
line and column (Problems keeps the first LIMIT and counts the rest, so that a snapshot
wrong on every line costs no memory to report), and SnapshotInvalid, which carries them."""

from collections.abc import Callable
from dataclasses import dataclass

from .errors import SnapshotFileError, SnapshotLimitError

LIMIT = 100  # problems listed; the rest are counted

# How a row check reports a problem: Problems.add with the file's name bound in already,
# so that a check knows nothing of the file it runs on and can be built and run alone.
Report = Callable[[int | None, str | None, str], None]  # (line, column, message)


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


def file_problem(problems: Problems, file: str, error: SnapshotFileError) -> None:
    """A file that cannot be read; one past a limit (SnapshotLimitError) where it went
    past it."""
    if isinstance(error, SnapshotLimitError):
        problems.add(error.file, error.line, None, error.reason)
    else:
        problems.add(file, None, None, str(error))
