"""Reading the CSV files of a snapshot as a stream of records, hashing the bytes on the way."""

import csv
import io
from collections.abc import Callable, Iterator

from .formats import QUOTED_NULL
from .package import HashingReader

BLOCK = 1 << 20
REPLACEMENT = "\ufffd".encode()


class CellStream(io.RawIOBase):
    """The bytes of a CSV file, ready for csv.reader: a quoted "\\N" cell becomes a NUL
    byte (see formats.LITERAL_NULL_MARK), so that it is not read as a null; a NUL already
    in the file is reported through `on_nul(line)` and replaced.

    Blocks are cut after a line feed, so a cell never straddles two blocks: a quoted
    "\\N" is recognised by what stands on either side of it on its line."""

    def __init__(self, source, on_nul: Callable[[int], None] | None = None):
        self.source = source
        self.on_nul = on_nul
        self.pending = b""
        self.block = memoryview(b"")
        self.offset = 0
        self.eof = False
        self.lines = 0  # line feeds in the blocks already served

    def readable(self):
        return True

    def _fill(self) -> None:
        while self.offset >= len(self.block) and not self.eof:
            data = self.source.read(BLOCK)
            if not data:
                self.eof = True
                block, self.pending = self.pending, b""
            else:
                data = self.pending + data
                cut = data.rfind(b"\n") + 1
                if not cut:
                    self.pending = data
                    continue
                block, self.pending = data[:cut], data[cut:]
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
        self.stream = CellStream(self.hashing, on_nul)
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
