"""The first of a record's checks: its cells parsed into a row of values, which every
other check (key_checks.py, rule_checks.py, collectors.py) then takes."""

from collections.abc import Sequence

from . import formats
from .problems import Report
from .tables import Column


class RowParser:
    """A record's cells to a row of values, or None when a cell is wrong (reported).

    In order: the number of cells; nulls (`\\N`), reported where the column requires a
    value; a quoted "\\N" (the reader's LITERAL_NULL_MARK) back to the string `\\N` in
    string columns; string lengths; then each typed cell (every kind but string, and
    content types and strings of a few values) through its column's parser, whose
    ValueError is the message."""

    def __init__(self, columns: Sequence[Column], report: Report):
        self.report = report
        self.width = len(columns)
        self.required = [(i, c.name) for i, c in enumerate(columns) if not c.nullable]
        self.strings = [i for i, c in enumerate(columns) if c.kind == "string"]
        self.limited = [
            (i, c.name, c.max_length)
            for i, c in enumerate(columns)
            if c.kind == "string" and c.max_length is not None and not c.role and not c.choices
        ]
        self.typed = [
            (i, c.name, c.parse)
            for i, c in enumerate(columns)
            if c.kind != "string" or c.role == "content_type" or c.choices
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
