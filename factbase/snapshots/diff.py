"""Comparing two snapshots table by table, as streams.

Each table's two CSV files are read side by side in primary key order (as snapshots
write them) and merged like a sorted merge join: a key only in the old file is a removed
record, only in the new one an added record, in both with different cells a changed
record. Nothing but the current row of each file is held in memory. Tables whose files
have the same SHA-256 in both descriptors are not read at all.
"""

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import formats
from .reader import CsvFile
from .source import Source


class DiffError(Exception):
    pass


@dataclass
class Change:
    table: str
    key: int
    kind: str  # "added", "removed" or "changed"
    fields: list[tuple[str, str | None, str | None]] = field(default_factory=list)


@dataclass
class TableDiff:
    table: str
    added: int = 0
    removed: int = 0
    changed: int = 0
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    only_in: str = ""  # "old" or "new" when the table is in one snapshot only

    @property
    def differs(self) -> bool:
        return bool(
            self.added
            or self.removed
            or self.changed
            or self.columns_added
            or self.columns_removed
            or self.only_in
        )


def _resources(descriptor: dict) -> dict[str, dict]:
    return {
        r["name"]: r
        for r in descriptor.get("resources") or []
        if isinstance(r, dict) and isinstance(r.get("name"), str)
    }


def _value(text: str) -> str | None:
    if text == formats.NULL:
        return None
    if text == formats.LITERAL_NULL_MARK:
        return formats.NULL
    return text


class _Rows:
    """The rows of one table's file, keyed by primary key, in order."""

    def __init__(self, source: Source, resource: dict, label: str):
        self.path = resource.get("path")
        self.label = label
        schema = resource.get("schema") or {}
        key = (schema.get("primaryKey") or ["id"])[0]
        self.binary = source.open(self.path)
        self.records = CsvFile(self.binary).records()
        header = next(self.records, (1, []))[1]
        self.columns = header
        self.width = len(header)
        if key not in header:
            raise DiffError(f"{label} {self.path}: no primary key column {key!r}.")
        self.key_position = header.index(key)
        self.last = None

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        for line, cells in self.records:
            if len(cells) != self.width:
                raise DiffError(
                    f"{self.label} {self.path}, line {line}: {len(cells)} cells, "
                    f"expected {self.width}."
                )
            try:
                key = int(cells[self.key_position])
            except (ValueError, IndexError) as error:
                raise DiffError(f"{self.label} {self.path}, line {line}: bad key.") from error
            if self.last is not None and key <= self.last:
                raise DiffError(f"{self.label} {self.path}, line {line}: rows not in key order.")
            self.last = key
            yield key, cells

    def close(self):
        self.binary.close()


def diff_snapshots(old_path, new_path, emit) -> list[TableDiff]:
    """Compare two snapshots; `emit(change)` receives each change as it is found.
    Returns a summary per table, in the new snapshot's table order (then the tables
    only the old one has)."""
    summaries = []
    with Source(old_path) as old, Source(new_path) as new:
        old_resources = _resources(old.descriptor())
        new_resources = _resources(new.descriptor())
        names = list(new_resources) + [n for n in old_resources if n not in new_resources]
        for name in names:
            summary = TableDiff(name)
            a, b = old_resources.get(name), new_resources.get(name)
            if a is not None and b is not None and a.get("hash") == b.get("hash"):
                summaries.append(summary)
                continue
            if a is None:
                summary.only_in = "new"
            elif b is None:
                summary.only_in = "old"
            _diff_table(summary, old if a else None, a, new if b else None, b, emit)
            summaries.append(summary)
    return summaries


def _diff_table(summary: TableDiff, old, a, new, b, emit) -> None:
    old_rows = _Rows(old, a, "old") if a else None
    new_rows = _Rows(new, b, "new") if b else None
    try:
        old_columns = old_rows.columns if old_rows else []
        new_columns = new_rows.columns if new_rows else []
        if old_rows and new_rows:
            summary.columns_added = [c for c in new_columns if c not in old_columns]
            summary.columns_removed = [c for c in old_columns if c not in new_columns]
        common = [
            (c, old_columns.index(c), new_columns.index(c)) for c in new_columns if c in old_columns
        ]
        olds = iter(old_rows) if old_rows else iter(())
        news = iter(new_rows) if new_rows else iter(())
        x, y = next(olds, None), next(news, None)
        table = summary.table
        while x is not None or y is not None:
            if y is None or (x is not None and x[0] < y[0]):
                summary.removed += 1
                emit(Change(table, x[0], "removed"))
                x = next(olds, None)
            elif x is None or y[0] < x[0]:
                summary.added += 1
                emit(Change(table, y[0], "added"))
                y = next(news, None)
            else:
                changed = [
                    (column, _value(x[1][i]), _value(y[1][j]))
                    for column, i, j in common
                    if x[1][i] != y[1][j]
                ]
                if changed:
                    summary.changed += 1
                    emit(Change(table, x[0], "changed", changed))
                x, y = next(olds, None), next(news, None)
    except csv.Error as error:
        raise DiffError(f"{summary.table}: not valid CSV: {error}") from error
    finally:
        if old_rows:
            old_rows.close()
        if new_rows:
            new_rows.close()


def show(value: str | None) -> str:
    """A cell for the text report: JSON, so null and strings cannot be confused."""
    return json.dumps(value, ensure_ascii=False)
