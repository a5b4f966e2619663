"""What reading a snapshot takes in, bounded against damaged or hostile files (a ZIP bomb,
a descriptor of a gigabyte of blanks, a file without a line feed): the limits, their
messages, and `BoundedReader`, which holds a file being read to them."""

import io

from django.conf import settings

from .errors import SnapshotLimitError

# Each limit can be set in the Django settings as SNAPSHOT_<NAME>
# (SNAPSHOT_MAX_LINE_BYTES, ...): see limit().
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


def too_long(max_bytes: int, size: int | None = None) -> str:
    size_text = f"{size:,} bytes, " if size is not None else ""
    return (
        f"{size_text}more than the {max_bytes:,} bytes a descriptor may hold "
        "(SNAPSHOT_MAX_DESCRIPTOR_BYTES)."
    )


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
