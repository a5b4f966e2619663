"""A snapshot to read, as files: a ZIP or a folder holding README.txt, data/<table>.csv and
datapackage.json. Every file is opened within the limits of limits.py, so that the import
and diff_snapshots read a damaged or hostile snapshot no further than they must."""

import json
import zipfile
from pathlib import Path

from .descriptor import DESCRIPTOR
from .errors import SnapshotFileError, SnapshotLimitError
from .limits import BoundedReader, limit, too_compressed, too_large, too_long

# The compressions zipfile decompresses in bounded steps. It decompresses bzip2 and LZMA
# a whole input chunk at once, and a few KB of either can stand for gigabytes.
ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}


class Source:
    """A snapshot to read: a ZIP file or a folder. Its files are read within the limits
    of limits.py (BoundedReader)."""

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
