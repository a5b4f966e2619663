"""The snapshot as files: a ZIP or a folder holding README.txt, data/<table>.csv and
datapackage.json (a Frictionless Data Package describing every file)."""

import contextlib
import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from .tables import Table

FORMAT = "factbase-snapshot/1"
DESCRIPTOR = "datapackage.json"
README = "README.txt"
DIALECT = {
    "delimiter": ",",
    "lineTerminator": "\n",
    "quoteChar": '"',
    "doubleQuote": True,
    "header": True,
}
# Fixed for every member, so that the same files give the same ZIP, byte for byte.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ZIP_MODE = 0o100644  # a regular file, rw-r--r--
ZIP_COMPRESSION = zipfile.ZIP_DEFLATED
# Mostly CSV: level 1 keeps most of the gain of compressing at a fraction of the time.
ZIP_LEVEL = 1


class SnapshotFileError(Exception):
    """The snapshot cannot be opened or read as files."""


class HashingWriter(io.RawIOBase):
    """Counts and hashes what passes through to `target`."""

    def __init__(self, target):
        self.target = target
        self.sha256 = hashlib.sha256()
        self.bytes = 0

    def writable(self):
        return True

    def write(self, data):
        self.sha256.update(data)
        self.bytes += len(data)
        self.target.write(data)
        return len(data)


class HashingReader(io.RawIOBase):
    """Counts and hashes what is read from `source`."""

    def __init__(self, source):
        self.source = source
        self.sha256 = hashlib.sha256()
        self.bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.source.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.sha256.update(data)
        self.bytes += n
        return n

    def read(self, size=-1):
        data = self.source.read(size)
        self.sha256.update(data)
        self.bytes += len(data)
        return data


def resource_hash(sha256) -> str:
    """The Data Package form of a hash: the algorithm, a colon, the hex digest."""
    return f"sha256:{sha256.hexdigest()}"


class ZipTarget:
    """Writes members in the order given, with fixed metadata. Written to a temporary file
    (next to the destination when it is a path, moved into place when complete, so a
    failed export leaves no half-written snapshot) and then, for a file object, copied to
    it: zipfile writes other headers to a stream it cannot seek back in, and the bytes
    must not depend on the kind of output."""

    def __init__(self, out):
        self.out = out
        if isinstance(out, str | os.PathLike):
            path = Path(out)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in close/abort
                dir=path.parent, prefix=f".{path.name}.", suffix=".part", delete=False
            )
        else:
            self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close/abort
        self.zip = zipfile.ZipFile(self.file, "w", ZIP_COMPRESSION, compresslevel=ZIP_LEVEL)

    def open(self, name: str):
        info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
        info.compress_type = ZIP_COMPRESSION
        info._compresslevel = ZIP_LEVEL  # ZipInfo has no public way to set it
        info.create_system = 3
        info.external_attr = ZIP_MODE << 16
        return self.zip.open(info, "w", force_zip64=True)

    def write(self, name: str, data: bytes) -> None:
        with self.open(name) as member:
            member.write(data)

    def close(self) -> tuple[int, str]:
        """Finish the ZIP; its size and SHA-256."""
        self.zip.close()
        self.file.seek(0)
        sha256, size = hashlib.sha256(), 0
        while chunk := self.file.read(1 << 20):
            sha256.update(chunk)
            size += len(chunk)
            if not isinstance(self.out, str | os.PathLike):
                self.out.write(chunk)
        self.file.close()
        if isinstance(self.out, str | os.PathLike):
            # The temporary file was created private (0600): give the snapshot the
            # permissions any new file gets.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.file.name, 0o666 & ~umask)
            os.replace(self.file.name, self.out)
        return size, sha256.hexdigest()

    def abort(self) -> None:
        # The export already failed: keep its error, not one from closing.
        with contextlib.suppress(Exception):
            self.zip.close()
        self.file.close()
        if isinstance(self.out, str | os.PathLike):
            Path(self.file.name).unlink(missing_ok=True)


class DirTarget:
    def __init__(self, path):
        self.path = Path(path)
        if self.path.exists() and (not self.path.is_dir() or any(self.path.iterdir())):
            raise SnapshotFileError(f"{self.path} exists and is not an empty folder.")
        (self.path / "data").mkdir(parents=True, exist_ok=True)

    def open(self, name: str):
        return open(self.path / name, "wb")

    def write(self, name: str, data: bytes) -> None:
        (self.path / name).write_bytes(data)

    def close(self) -> tuple[int, None]:
        size = sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())
        return size, None

    def abort(self) -> None:
        """Remove what was written: the folder was empty before."""
        for child in self.path.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()


class Source:
    """A snapshot to read: a ZIP file or a folder."""

    def __init__(self, path):
        self.path = Path(path)
        self.zip = None
        if self.path.is_dir():
            return
        if not self.path.exists():
            raise SnapshotFileError(f"{self.path}: no such file or folder.")
        try:
            self.zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as error:
            raise SnapshotFileError(
                f"{self.path} is not a readable ZIP file ({error}); is it complete?"
            ) from error
        self.members = set(self.zip.namelist())

    def exists(self, name: str) -> bool:
        if self.zip is not None:
            return name in self.members
        return (self.path / name).is_file()

    def open(self, name: str):
        """The member as a binary stream."""
        if self.zip is not None:
            try:
                return self.zip.open(name)
            except KeyError as error:
                raise SnapshotFileError(f"{name} is missing from {self.path}.") from error
        try:
            return open(self.path / name, "rb")
        except FileNotFoundError as error:
            raise SnapshotFileError(f"{name} is missing from {self.path}.") from error

    def read(self, name: str) -> bytes:
        with self.open(name) as file:
            try:
                return file.read()
            except (zipfile.BadZipFile, OSError, EOFError) as error:
                raise SnapshotFileError(f"{name} cannot be read: {error}") from error

    def descriptor(self) -> dict:
        try:
            descriptor = json.loads(self.read(DESCRIPTOR))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise SnapshotFileError(f"{DESCRIPTOR} is not valid JSON: {error}") from error
        if not isinstance(descriptor, dict):
            raise SnapshotFileError(f"{DESCRIPTOR} does not hold a JSON object.")
        return descriptor

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def resource_descriptor(table: Table, *, rows: int, size: int, sha256: str) -> dict:
    schema: dict = {
        "fields": [column.table_schema() for column in table.columns],
        "missingValues": ["\\N"],
        "primaryKey": [table.pk],
    }
    fks = [
        {
            "fields": [fk.column],
            # "" is the resource itself, as the Table Schema spells a self-reference.
            "reference": {
                "resource": "" if fk.table == table.name else fk.table,
                "fields": [fk.target],
            },
        }
        for fk in table.foreign_keys
        if fk.enforced
    ]
    if fks:
        schema["foreignKeys"] = fks
    return {
        "name": table.name,
        "path": table.path,
        "profile": "tabular-data-resource",
        "title": table.title,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": DIALECT,
        "bytes": size,
        "hash": sha256,
        "rows": rows,
        "schema": schema,
    }


def package_descriptor(
    resources: list[dict], *, created: str, migrations: dict, version: str
) -> dict:
    return {
        "profile": "tabular-data-package",
        "name": "factbase-snapshot",
        "title": "Factbase snapshot",
        "description": "Every table of a Factbase database at one moment. See README.txt.",
        "created": created,
        "factbase": {
            "format": FORMAT,
            "app_version": version,
            "migrations": migrations,
            "null": "\\N",
        },
        "resources": resources,
    }


def dump_descriptor(descriptor: dict) -> bytes:
    return (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode()


def readme(tables) -> bytes:
    lines = [line.rstrip() for line in README_TEXT.strip("\n").splitlines()]
    lines.append("")
    lines.append("Tables, in the order an import loads them:")
    lines.append("")
    width = max(len(t.name) for t in tables)
    for table in tables:
        lines.append(f"  {table.name:<{width}}  {table.title}")
    return ("\n".join(lines) + "\n").encode()


README_TEXT = """
Factbase snapshot
=================

Every table of a Factbase database, read in one transaction: a consistent copy of the
whole database at one moment. `python manage.py import_snapshot` loads it into an empty
database; `python manage.py diff_snapshots OLD NEW` compares two.

Files
-----

datapackage.json  A Frictionless Data Package (https://datapackage.org) describing every
                  file: its columns and their types, primary and foreign keys, size,
                  SHA-256 and row count; and the snapshot itself: format version
                  (factbase.format), the migrations the database had applied
                  (factbase.migrations), when it was taken (created, UTC) and the
                  version of the application (factbase.app_version).
                  `frictionless validate datapackage.json` checks the files against it.
README.txt        This file.
data/<table>.csv  One file per database table, named after it: the records
                  (companies_company, events_metric, ...), the many-to-many tables
                  (events_event_companies, ...), and the history tables
                  (companies_historicalcompany, ...; one row per change, with
                  history_date, history_type + ~ -, history_user_id and
                  history_change_reason).
data/users.csv    id and username of every user, for the created_by_id, updated_by_id
                  and history_user_id columns. No password hash, no e-mail address.
                  An import creates the users it does not find by username (they cannot
                  log in until given a password) and maps the ids.

Columns are the database columns. Foreign keys hold the id of the row they point to (a
*_id column); citations name the kind of record they support by its content type,
"app_label.model" (for example "events.metric"), never by a database id. In history
tables, references are not enforced and may name records deleted since.

Conventions
-----------

- UTF-8, comma separated, a header line, lines end with \\n (LF).
- A cell holding a comma, a double quote, a carriage return or a line feed is quoted
  with double quotes, and double quotes inside it are doubled (RFC 4180).
- Null (no value) is \\N, unquoted. An empty cell is the empty string. A string that is
  literally \\N is written quoted: "\\N".
- Integers: digits, with - for negatives.
- Decimal numbers: plain digits and a point, no exponent, no trailing zeros:
  1000000, 12.5, 0.0067.
- Booleans: true, false.
- Dates: YYYY-MM-DD. A partial date is stored as the first day of its period, with its
  precision in the column next to it (2025-02-01 and "month" is February 2025).
- Datetimes: UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ, always six digits of fraction.
- Rows are ordered by primary key. The same data always gives the same bytes, so a
  changed record shows as a one-line change in a text diff.

Reading it
----------

pandas, keeping null and the empty string apart and every value as text:

    import pandas as pd
    with open("data/events_metric.csv", newline="", encoding="utf-8") as f:
        metrics = pd.read_csv(f, keep_default_na=False, na_values=["\\\\N"], dtype=str)

(pandas cannot tell a quoted "\\N" from a null; nor can the csv module.)

Python's csv module: csv.reader(open(path, newline="", encoding="utf-8")), then treat
the cell \\N as null.

frictionless (pip install frictionless):

    frictionless validate datapackage.json
    python -c "import frictionless; print(frictionless.Package('datapackage.json')
        .get_resource('events_metric').read_rows()[:3])"

PostgreSQL:

    COPY events_metric FROM '/path/data/events_metric.csv'
        WITH (FORMAT csv, HEADER true, NULL '\\N');
"""
