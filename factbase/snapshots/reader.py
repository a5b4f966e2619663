"""Reading the CSV files of a snapshot as a stream of records, hashing the bytes on the way."""

import csv
import io
from collections.abc import Callable, Iterator

from .errors import SnapshotLimitError
from .formats import QUOTED_NULL
from .hashing import HashingReader
from .limits import limit

BLOCK = 1 << 20
REPLACEMENT = "\ufffd".encode()


class CellStream(io.RawIOBase):
    """The bytes of a CSV file, ready for csv.reader: a quoted "\\N" cell becomes a NUL
    byte (see formats.LITERAL_NULL_MARK), so that it is not read as a null; a NUL already
    in the file is reported through `on_nul(line)` and replaced.

    Blocks are cut after a line feed, so a cell never straddles two blocks: a quoted
    "\\N" is recognised by what stands on either side of it on its line.

    A line longer than `max_line` bytes (MAX_LINE_BYTES, the setting
    SNAPSHOT_MAX_LINE_BYTES; its line feed not counted) is refused with SnapshotLimitError
    as soon as more than that of it has been read, and so is a record whose quoted cells
    run on over lines, once more than that of it has been read at the end of a block.
    The file is read at most `max_line` bytes at a time; the line being read is kept as
    the list of its pieces and joined once, when its line feed comes, so that reading is
    linear in the length of a line however it is cut."""

    def __init__(
        self,
        source,
        on_nul: Callable[[int], None] | None = None,
        name: str | None = None,
        max_line: int | None = None,
    ):
        self.source = source
        self.on_nul = on_nul
        self.name = name or "(file)"
        self.max_line = limit("MAX_LINE_BYTES") if max_line is None else max_line
        self.read_size = max(1, min(BLOCK, self.max_line))
        self.pending: list[bytes] = []  # the line being read, without its line feed yet
        self.pending_bytes = 0
        self.block = memoryview(b"")
        self.offset = 0
        self.eof = False
        self.lines = 0  # line feeds in the blocks already served
        # At the end of the blocks served, a quoted cell is open (an odd number of
        # quotes so far: a doubled quote inside a cell counts two), in a record that
        # started on line `open_line` and has taken `open_bytes` of them.
        self.quoted = False
        self.open_line = 1
        self.open_bytes = 0
        self.copied = 0  # bytes copied to put lines together (they are copied once)

    def readable(self):
        return True

    def _too_long(self, line: int, what: str) -> None:
        raise SnapshotLimitError(
            self.name,
            f"{what} longer than {self.max_line:,} bytes (SNAPSHOT_MAX_LINE_BYTES).",
            line,
        )

    def _fill(self) -> None:
        while self.offset >= len(self.block) and not self.eof:
            data = self.source.read(self.read_size)
            if not data:
                self.eof = True
                block = b"".join(self.pending)
                self.pending, self.pending_bytes = [], 0
                if not block:
                    continue
            else:
                cut = data.rfind(b"\n") + 1
                if not cut:
                    self.pending.append(data)
                    self.pending_bytes += len(data)
                    if self.pending_bytes > self.max_line:
                        self._too_long(self.lines + 1, "a line")
                    if self.quoted and self.open_bytes + self.pending_bytes > self.max_line:
                        self._too_long(self.open_line, "a record (a quoted cell over lines)")
                    continue
                if self.pending:
                    # A read is at most max_line bytes: only the line it completes can
                    # be too long.
                    if self.pending_bytes + data.find(b"\n") > self.max_line:
                        self._too_long(self.lines + 1, "a line")
                    self.pending.append(memoryview(data)[:cut])
                    block = b"".join(self.pending)
                    self.copied += len(block)
                else:
                    block = data[:cut]
                rest = data[cut:]
                self.pending = [rest] if rest else []
                self.pending_bytes = len(rest)
            self._follow_quotes(block)
            if b"\x00" in block:
                position = block.find(b"\x00")
                if self.on_nul:
                    self.on_nul(self.lines + block.count(b"\n", 0, position) + 1)
                block = block.replace(b"\x00", REPLACEMENT)
            if b'"\\N"' in block:
                block = QUOTED_NULL.sub(b"\x00", block)
            self.lines += block.count(b"\n")
            self.block = memoryview(block)
            self.offset = 0

    def _follow_quotes(self, block: bytes) -> None:
        """Whether the block leaves a quoted cell open, and if so since which line and
        for how many bytes: a record that runs on too long is refused."""
        quotes = block.count(b'"')
        if not quotes and not self.quoted:
            return
        was_quoted = self.quoted
        self.quoted = was_quoted ^ bool(quotes & 1)
        if not self.quoted:
            self.open_bytes = 0
            return
        # Where the open record starts: after the last line feed outside quotes. Walk
        # back from the end, line by line, over that record only.
        end, inside = len(block), True
        while True:
            start = block.rfind(b"\n", 0, end - 1) + 1
            inside ^= bool(block.count(b'"', start, end) & 1)
            if not inside or not start:
                break
            end = start
        if inside:  # it started in a block before
            self.open_bytes += len(block)
        else:
            self.open_line = self.lines + block.count(b"\n", 0, start) + 1
            self.open_bytes = len(block) - start
        if self.open_bytes > self.max_line:
            self._too_long(self.open_line, "a record (a quoted cell over lines)")

    def readinto(self, buffer) -> int:
        self._fill()
        n = min(len(buffer), len(self.block) - self.offset)
        buffer[:n] = self.block[self.offset : self.offset + n]
        self.offset += n
        return n


class CsvFile:
    """Records of one CSV file with the physical line each starts on. The file's size and
    SHA-256 are known once it has been read to the end."""

    def __init__(self, binary, on_nul: Callable[[int], None] | None = None):
        self.hashing = HashingReader(binary)
        self.stream = CellStream(self.hashing, on_nul, getattr(binary, "name", None))
        self.text = io.TextIOWrapper(
            io.BufferedReader(self.stream, BLOCK), encoding="utf-8", errors="strict", newline=""
        )
        self.reader = csv.reader(self.text, strict=True)
        self.line = 1  # where the next record starts

    def records(self) -> Iterator[tuple[int, list[str]]]:
        reader = self.reader
        for cells in reader:
            line = self.line
            self.line = reader.line_num + 1
            yield line, cells

    def drain(self) -> None:
        """Read what is left, so that size and hash cover the whole file."""
        while self.hashing.read(BLOCK):
            pass

    @property
    def bytes(self) -> int:
        return self.hashing.bytes

    @property
    def sha256(self):
        return self.hashing.sha256
