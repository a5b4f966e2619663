"""The errors of a snapshot's files, apart from what the files say: raised where the files
are opened and read (source.py, limits.py, reader.py) or written (targets.py), and turned
into problems by the import (problems.file_problem)."""


class SnapshotFileError(Exception):
    """The snapshot cannot be opened or read as files."""


class SnapshotLimitError(SnapshotFileError):
    """A file of the snapshot goes past one of the limits of limits.py: it is refused, as
    damaged or hostile, as soon as that is known. `file` is its name in the snapshot,
    `line` the line concerned, if any, `reason` what is wrong."""

    def __init__(self, file: str, reason: str, line: int | None = None):
        self.file = file
        self.reason = reason
        self.line = line
        where = file if line is None else f"{file}, line {line}"
        super().__init__(f"{where}: {reason}")
