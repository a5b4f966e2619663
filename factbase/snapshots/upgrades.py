"""Snapshots taken before a migration that added columns or tables: on import, their files
of the tables it changed are brought to today's columns first, with the values the
migration gave the rows it found, a table it created is read as the empty table the
migration created, and then all is checked and loaded like any other file.

Each `Upgrade` names its migration, the tables it added columns to and how a row's new
cells follow from its other cells (the migration's own rule, frozen with it). It applies
when the snapshot was taken before the migration (the descriptor does not list it) and
this database has it. A file is upgraded only when its header is exactly today's columns
without the new ones, and its bytes are those the descriptor describes; any other file is
left as it is, for the checks to report. The upgraded file is written to a temporary
folder, and its resource in the descriptor rewritten for it (today's columns, its size,
SHA-256 and row count); the snapshot itself is never changed."""

import csv
import io
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from events.migrations._valuation import NEW_COLUMNS, valuation_columns

from . import formats
from .descriptor import resource_descriptor
from .errors import SnapshotFileError
from .export import applied_migrations
from .hashing import HashingWriter, resource_hash
from .reader import CsvFile
from .tables import tables_by_name

Cells = dict[str, str]  # a row's cells by column, as text (formats.NULL for null)


@dataclass(frozen=True)
class Upgrade:
    app: str
    migration: str
    tables: tuple[str, ...]
    new_columns: tuple[str, ...]
    fill: Callable[[Cells], Cells]
    new_tables: tuple[str, ...] = ()  # created by the migration: empty then


def _valuation(cells: Cells) -> Cells:
    return valuation_columns(cells["valuation"] != formats.NULL, cells["currency"])


def _unnumbered(cells: Cells) -> Cells:
    # Numbered once loaded, in the order of time, as the migration numbered the rows it
    # found (factbase.core.feed.restart_clock).
    return {"change_seq": formats.NULL}


def _history(app: str, *models: str) -> tuple[str, ...]:
    return tuple(f"{app}_historical{model}" for model in models)


UPGRADES = (
    Upgrade(
        "events",
        "0006_valuation_fields",
        ("events_fundinground", "events_historicalfundinground"),
        NEW_COLUMNS,
        _valuation,
    ),
    Upgrade(
        "factbase",
        "0005_change_seq",
        _history("factbase", "citation", "source"),
        ("change_seq",),
        _unnumbered,
    ),
    Upgrade(
        "companies",
        "0004_change_seq",
        _history(
            "companies",
            "company",
            "companyalias",
            "companyidentifier",
            "person",
            "platform",
            "product",
            "role",
        ),
        ("change_seq",),
        _unnumbered,
    ),
    Upgrade(
        "events",
        "0008_change_seq",
        _history(
            "events",
            "event",
            "fundinground",
            "investment",
            "metric",
            "metrictype",
            "partnership",
            "partnershipparty",
        ),
        ("change_seq",),
        _unnumbered,
    ),
    Upgrade(
        "companies",
        "0005_product_and_person_aliases",
        (),
        (),
        dict,
        new_tables=(
            "companies_productalias",
            "companies_personalias",
            *_history("companies", "productalias", "personalias"),
        ),
    ),
    Upgrade("factbase", "0007_merges", (), (), dict, new_tables=("factbase_merge",)),
)


def upgraded(source, connection):
    """`source`, or an UpgradedSource over it when an upgrade applies to it."""
    try:
        descriptor = source.descriptor()
    except SnapshotFileError:
        return source  # the descriptor's checks report it
    meta = descriptor.get("factbase")
    taken = meta.get("migrations") if isinstance(meta, dict) else None
    if not isinstance(taken, dict):
        return source
    applied = applied_migrations(connection)
    due = [
        u
        for u in UPGRADES
        if u.migration not in (taken.get(u.app) or []) and u.migration in applied.get(u.app, [])
    ]
    return UpgradedSource(source, descriptor, due) if due else source


class UpgradedSource:
    """A snapshot read through its upgrades: the upgraded files and descriptor in place of
    the snapshot's, everything else as the snapshot has it."""

    def __init__(self, source, descriptor: dict, upgrades: list[Upgrade]):
        self.source = source
        self.folder = Path(tempfile.mkdtemp(prefix="factbase-upgrade-"))
        self.files: dict[str, Path] = {}
        self._descriptor = descriptor
        tables = tables_by_name()
        resources = {
            r.get("name"): r for r in descriptor.get("resources") or [] if isinstance(r, dict)
        }
        # A table that several migrations added columns to is brought through all of them
        # at once: its file lacks the columns of each.
        by_table: dict[str, list[Upgrade]] = {}
        for upgrade in upgrades:
            for name in upgrade.tables:
                by_table.setdefault(name, []).append(upgrade)
        for name, due in by_table.items():
            resource, table = resources.get(name), tables.get(name)
            if resource is not None and table is not None:
                self._upgrade(due, table, resource)
        for upgrade in upgrades:
            for name in upgrade.new_tables:
                if name not in resources and name in tables:
                    self._add_empty(tables[name])

    def _add_empty(self, table) -> None:
        """The table a migration created after the snapshot was taken, as it created it:
        its header alone."""
        target = self.folder / f"{table.name}.csv"
        with open(target, "wb") as out:
            writer = HashingWriter(out)
            writer.write((",".join(table.names) + "\n").encode())
        self._descriptor.setdefault("resources", []).append(
            resource_descriptor(
                table, rows=0, size=writer.bytes, sha256=resource_hash(writer.sha256)
            )
        )
        self.files[table.path] = target

    def _upgrade(self, upgrades: list[Upgrade], table, resource: dict) -> None:
        target = self.folder / f"{table.name}.csv"
        try:
            with self.source.open(table.path) as binary, open(target, "wb") as out:
                csv_file = CsvFile(binary)
                records = csv_file.records()
                header = next(records, (None, None))[1]
                # The upgrades whose columns the file lacks: a migration the descriptor
                # does not list may still have been applied when the file was written.
                upgrades = [u for u in upgrades if not set(u.new_columns) & set(header or ())]
                new_columns = {column for upgrade in upgrades for column in upgrade.new_columns}
                older = [n for n in table.names if n not in new_columns]
                if not upgrades or header != older:
                    return
                writer = HashingWriter(out)
                text = io.TextIOWrapper(io.BufferedWriter(writer), encoding="utf-8", newline="")
                text.write(",".join(table.names) + "\n")
                rows = 0
                for _, cells in records:
                    if len(cells) != len(older):
                        return  # the file's own checks say what is wrong with it
                    row = dict(zip(older, cells, strict=True))
                    for upgrade in upgrades:
                        row.update(upgrade.fill(row))
                    text.write(",".join(_cell(row[n]) for n in table.names) + "\n")
                    rows += 1
                text.flush()
                csv_file.drain()
        except (SnapshotFileError, OSError, UnicodeDecodeError, csv.Error):
            return  # left as it is: the checks report the file
        if csv_file.bytes != resource.get("bytes") or (
            resource_hash(csv_file.sha256) != resource.get("hash")
        ):
            return  # not the file the descriptor describes: the checks say so
        new = resource_descriptor(
            table, rows=rows, size=writer.bytes, sha256=resource_hash(writer.sha256)
        )
        resource.clear()
        resource.update(new)
        self.files[table.path] = target

    # --- Source's interface --------------------------------------------------------------

    def descriptor(self) -> dict:
        return self._descriptor

    def exists(self, name: str) -> bool:
        return name in self.files or self.source.exists(name)

    def size_of(self, name: str) -> int:
        return self.files[name].stat().st_size if name in self.files else self.source.size_of(name)

    def open(self, name: str):
        return open(self.files[name], "rb") if name in self.files else self.source.open(name)

    def read(self, name: str, max_bytes: int | None = None) -> bytes:
        if name in self.files:
            return self.files[name].read_bytes()
        return self.source.read(name, max_bytes)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.source.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _cell(text: str) -> str:
    """A cell written back as the snapshot wrote it: null bare, a string that is
    literally \\N quoted (the reader marks it), the rest quoted where CSV needs it."""
    if text == formats.NULL:
        return formats.NULL
    if text == formats.LITERAL_NULL_MARK:
        return '"\\N"'
    return formats.quote(text)
