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

from django.conf import settings

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


# What reading a snapshot takes in, bounded against damaged or hostile files (a ZIP bomb,
# a descriptor of a gigabyte of blanks, a file without a line feed). Each can be set in
# the Django settings as SNAPSHOT_<NAME> (SNAPSHOT_MAX_LINE_BYTES, ...): see limit().
#
# datapackage.json is read whole. It takes about 225 KB for the 43 tables, whatever the
# number of rows: 16 MiB is 70 times that.
MAX_DESCRIPTOR_BYTES = 16 << 20
# A line of a CSV file, and a record whose quoted cells run on over lines, are held whole
# while they are read. Rows of the demo and synthetic data take at most 800 bytes on a
# line, a source's text a few KB over its lines (and Python's csv module refuses a cell
# of more than 131,072 characters anyway): 16 MiB leaves room for any real row and keeps
# what one line can take in memory small.
MAX_LINE_BYTES = 16 << 20
# A file, decompressed. The largest file of a snapshot of 1,000,000 metrics takes about
# 300 MB: 64 GiB is a database 200 times that. It bounds the time and the disk a file can
# take, not memory: files are read as streams.
MAX_MEMBER_BYTES = 64 << 30
# A ZIP member's decompressed size over its compressed size. The CSV files of the demo
# and synthetic data come out at 5:1 to 6:1 as exported (deflate level 1), under 10:1 at
# level 9; the descriptor at 13:1 (22:1 at level 9), but it is under RATIO_MIN_BYTES.
# Deflate cannot exceed about 1032:1, which a bomb comes close to (a gigabyte of blanks
# takes a megabyte): 100:1 is ten times what real files reach.
MAX_RATIO = 100
# Under this many bytes decompressed a member may have any ratio: small, regular files
# (the descriptor, a few ids) compress well, and cannot be a bomb at that size.
RATIO_MIN_BYTES = 1 << 20


def limit(name: str) -> int:
    """The limit `name` ("MAX_LINE_BYTES", ...): the setting SNAPSHOT_<name> when the
    settings have it, else the value above. Read each time, so that a changed setting
    (or a test's) applies to the next snapshot read."""
    return getattr(settings, f"SNAPSHOT_{name}", globals()[name])


class SnapshotFileError(Exception):
    """The snapshot cannot be opened or read as files."""


class SnapshotLimitError(SnapshotFileError):
    """A file of the snapshot goes past one of the limits above: it is refused, as
    damaged or hostile, as soon as that is known. `file` is its name in the snapshot,
    `line` the line concerned, if any, `reason` what is wrong."""

    def __init__(self, file: str, reason: str, line: int | None = None):
        self.file = file
        self.reason = reason
        self.line = line
        where = file if line is None else f"{file}, line {line}"
        super().__init__(f"{where}: {reason}")


class BoundedReader(io.RawIOBase):
    """A file of the snapshot, refused (SnapshotLimitError) as soon as what it gives goes
    past MAX_MEMBER_BYTES, past the size its ZIP header declares (`declared`), or, once
    past RATIO_MIN_BYTES, past MAX_RATIO times its compressed size (`compressed`). The
    bytes actually read are counted: a header can lie."""

    def __init__(self, raw, name: str, *, declared: int | None = None, compressed=None):
        self.raw = raw
        self.name = name
        self.declared = declared
        self.compressed = compressed
        self.bytes = 0
        self.max_bytes = limit("MAX_MEMBER_BYTES")
        self.max_ratio = limit("MAX_RATIO")
        self.ratio_bytes = None
        if compressed is not None:
            self.ratio_bytes = max(limit("RATIO_MIN_BYTES"), self.max_ratio * compressed)

    def readable(self):
        return True

    def read(self, size=-1):
        if size is None or size < 0:
            return self.readall()
        data = self.raw.read(size)
        self.bytes += len(data)
        if self.bytes > self.max_bytes:
            raise SnapshotLimitError(self.name, too_large(self.max_bytes))
        if self.ratio_bytes is not None and self.bytes > self.ratio_bytes:
            raise SnapshotLimitError(
                self.name,
                too_compressed(
                    f"decompresses to more than {self.ratio_bytes:,} bytes",
                    self.compressed,
                    self.max_ratio,
                ),
            )
        if self.declared is not None and self.bytes > self.declared:
            raise SnapshotLimitError(
                self.name, f"holds more than the {self.declared:,} bytes its ZIP header declares."
            )
        return data

    def readinto(self, buffer):
        data = self.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n

    def close(self):
        if not self.closed:
            self.raw.close()
        super().close()


def too_large(max_bytes: int, size: int | None = None) -> str:
    size_text = f"{size:,} bytes, " if size is not None else ""
    return (
        f"{size_text}more than the {max_bytes:,} bytes a file of a snapshot may hold "
        "(SNAPSHOT_MAX_MEMBER_BYTES)."
    )


def too_compressed(size: str, compressed: int, max_ratio: int) -> str:
    return (
        f"{size} from {compressed:,} compressed, more than {max_ratio}:1 "
        "(SNAPSHOT_MAX_RATIO): refused as a ZIP bomb."
    )


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


# The compressions zipfile decompresses in bounded steps. It decompresses bzip2 and LZMA
# a whole input chunk at once, and a few KB of either can stand for gigabytes.
ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}


class Source:
    """A snapshot to read: a ZIP file or a folder. Its files are read within the limits
    above (BoundedReader)."""

    def __init__(self, path):
        self.path = Path(path)
        self.zip = None
        if self.path.is_dir():
            return
        if not self.path.exists():
            raise SnapshotFileError(f"{self.path}: no such file or folder.")
        try:
            self.zip = zipfile.ZipFile(self.path)
            self.size = self.path.stat().st_size
        except (zipfile.BadZipFile, OSError) as error:
            raise SnapshotFileError(
                f"{self.path} is not a readable ZIP file ({error}); is it complete?"
            ) from error
        self.members = set(self.zip.namelist())
        # zipfile reads a member's compressed bytes as far as its header says: members
        # claiming more than the file holds overlap (one compressed stream read as many
        # members, a known ZIP bomb) or lie about their size.
        claimed = sum(info.compress_size for info in self.zip.infolist())
        if claimed > self.size:
            self.zip.close()
            raise SnapshotFileError(
                f"{self.path} is not a sound ZIP file: its members' compressed sizes add up "
                f"to {claimed:,} bytes, more than the {self.size:,} it holds."
            )

    def exists(self, name: str) -> bool:
        if self.zip is not None:
            return name in self.members
        return (self.path / name).is_file()

    def size_of(self, name: str) -> int:
        """The size the file has, decompressed, as its ZIP header declares it."""
        if self.zip is not None:
            try:
                return self.zip.getinfo(name).file_size
            except KeyError as error:
                raise SnapshotFileError(f"{name} is missing from {self.path}.") from error
        try:
            return (self.path / name).stat().st_size
        except FileNotFoundError as error:
            raise SnapshotFileError(f"{name} is missing from {self.path}.") from error

    def open(self, name: str) -> BoundedReader:
        """The member as a binary stream, refused as soon as it goes past a limit; one
        whose header already declares too much is refused before it is read."""
        max_bytes = limit("MAX_MEMBER_BYTES")
        size = self.size_of(name)
        if size > max_bytes:
            raise SnapshotLimitError(name, too_large(max_bytes, size))
        if self.zip is None:
            try:
                return BoundedReader(open(self.path / name, "rb"), name)
            except FileNotFoundError as error:
                raise SnapshotFileError(f"{name} is missing from {self.path}.") from error
        info = self.zip.getinfo(name)
        if info.compress_type not in ZIP_METHODS:
            raise SnapshotLimitError(
                name,
                f"compressed with method {info.compress_type} (bzip2 is 12, LZMA 14): a "
                "snapshot's files are stored or compressed with deflate.",
            )
        compressed = info.compress_size  # no more than the file holds: see __init__
        max_ratio = limit("MAX_RATIO")
        if size > max(limit("RATIO_MIN_BYTES"), max_ratio * compressed):
            raise SnapshotLimitError(
                name,
                too_compressed(f"its ZIP header declares {size:,} bytes", compressed, max_ratio),
            )
        try:
            raw = self.zip.open(info)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as error:
            # RuntimeError: encrypted; NotImplementedError: an unknown compression.
            raise SnapshotFileError(f"{name} cannot be read: {error}") from error
        return BoundedReader(raw, name, declared=size, compressed=compressed)

    def read(self, name: str, max_bytes: int | None = None) -> bytes:
        """The whole file; with `max_bytes`, refused (before it is read when its size
        says so) if it holds more."""
        if max_bytes is not None and (size := self.size_of(name)) > max_bytes:
            raise SnapshotLimitError(name, too_long(max_bytes, size))
        with self.open(name) as file:
            try:
                if max_bytes is None:
                    return file.read()
                chunks, size = [], 0
                while size <= max_bytes and (chunk := file.read(1 << 20)):
                    chunks.append(chunk)
                    size += len(chunk)
            except (zipfile.BadZipFile, OSError, EOFError) as error:
                raise SnapshotFileError(f"{name} cannot be read: {error}") from error
        if size > max_bytes:
            raise SnapshotLimitError(name, too_long(max_bytes))
        return b"".join(chunks)

    def descriptor(self) -> dict:
        """The descriptor, read whole: refused past MAX_DESCRIPTOR_BYTES."""
        try:
            descriptor = json.loads(self.read(DESCRIPTOR, limit("MAX_DESCRIPTOR_BYTES")))
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


def too_long(max_bytes: int, size: int | None = None) -> str:
    size_text = f"{size:,} bytes, " if size is not None else ""
    return (
        f"{size_text}more than the {max_bytes:,} bytes a descriptor may hold "
        "(SNAPSHOT_MAX_DESCRIPTOR_BYTES)."
    )


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
    resources: list[dict],
    *,
    created: str,
    migrations: dict,
    version: str,
    pseudonymised: bool = False,
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
            # Absent from snapshots taken before users could be pseudonymised: "real".
            "usernames": "pseudonymised" if pseudonymised else "real",
        },
        "resources": resources,
    }


def dump_descriptor(descriptor: dict) -> bytes:
    return (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode()


def readme(tables, *, pseudonymised: bool = False) -> bytes:
    lines = [line.rstrip() for line in README_TEXT.strip("\n").splitlines()]
    lines.append("")
    lines.extend(
        line.rstrip()
        for line in (PSEUDONYMISED_TEXT if pseudonymised else REAL_NAMES_TEXT)
        .strip("\n")
        .splitlines()
    )
    lines.append("")
    lines.extend(line.rstrip() for line in SAFETY_TEXT.strip("\n").splitlines())
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
data/users.csv    id and username of the users the other files name: the authors of
                  records and of their changes, for the created_by_id, updated_by_id
                  and history_user_id columns. No other user, no password hash, no
                  e-mail address. An import creates the users it does not find by
                  username (they cannot log in until given a password) and maps the ids.

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

REAL_NAMES_TEXT = """
Usernames
---------

The usernames in data/users.csv are the users' own (datapackage.json:
factbase.usernames is "real").
"""

PSEUDONYMISED_TEXT = """
Usernames
---------

The usernames in data/users.csv are pseudonyms: user-<id>, from the user's id in this
snapshot (datapackage.json: factbase.usernames is "pseudonymised"). Rows by the same
author still name the same user; who that is, the snapshot does not say.
"""

SAFETY_TEXT = """
Opening the files safely
------------------------

Every cell is raw text exactly as the database stores it: nothing is escaped or
neutralised, so that an import gives back the same data. A cell may therefore begin with
=, +, - or @, and a spreadsheet program opening a CSV file directly may run such a cell
as a formula (which can fetch URLs or run commands). Do not double-click the files open;
import them as text:

- LibreOffice Calc: open the file as "Text CSV", and in the import dialog select every
  column and set its type to Text.
- Excel: Data > From Text/CSV, then Transform Data and set every column's data type to
  Text (or, in the legacy Text Import Wizard, set every column to Text).
- Code: a CSV library (Python's csv module) or pandas with dtype=str, as shown above;
  neither evaluates anything.
"""
