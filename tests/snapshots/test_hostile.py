"""import_snapshot bounds what it reads from a hostile or damaged snapshot: the descriptor's
size, a CSV line's (or a record's) length, a ZIP member's size and compression ratio. Each
is refused with a message naming the file (and line), and nothing is written.

The limits are lowered in the tests (settings SNAPSHOT_*) to keep the files small; the
real-size attacks are measured by benchmarks/hostile_snapshots.py."""

import csv
import hashlib
import io
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from companies.models import Company
from factbase.snapshots import limits
from factbase.snapshots.descriptor import DESCRIPTOR
from factbase.snapshots.errors import SnapshotLimitError
from factbase.snapshots.export import export_snapshot
from factbase.snapshots.importer import import_snapshot
from factbase.snapshots.limits import BoundedReader
from factbase.snapshots.problems import SnapshotInvalid
from factbase.snapshots.reader import CellStream, CsvFile
from factbase.snapshots.source import Source

from .helpers import empty_database, export_dir, replace_line, retouch, table_counts

pytestmark = pytest.mark.django_db

COMPANIES = "data/companies_company.csv"


@pytest.fixture
def folder(demo, tmp_path):
    """A snapshot of the demo data as a folder, and an empty database to load it into."""
    path = export_dir(tmp_path / "s")
    empty_database()
    return path


@pytest.fixture
def zipped(demo, tmp_path):
    """The same as a ZIP, as the exporter writes it."""
    path = tmp_path / "s.zip"
    export_snapshot(path)
    export_dir(tmp_path / "s")
    empty_database()
    return path


def rezip(source, out, members=None, methods=None):
    """A copy of the ZIP `source` with some members' bytes replaced (`members`: name ->
    bytes), compressed with deflate at level 9 unless `methods` (name -> method) says."""
    members, methods = members or {}, methods or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            data = members.get(info.filename)
            if data is None:
                data = old.read(info)
            method = methods.get(info.filename, zipfile.ZIP_DEFLATED)
            new.writestr(info.filename, data, method, 9 if method == zipfile.ZIP_DEFLATED else None)
    return out


def set_cell(text: str, line: int, column: str, value: str) -> str:
    """`text` with the cell of `column` on `line` (a single-line record) set to `value`,
    quoted as the exporter quotes it (a line feed included)."""
    index = next(csv.reader([text.split("\n", 1)[0]])).index(column)

    def change(record):
        cells = next(csv.reader([record]))
        cells[index] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(cells)
        return out.getvalue()[:-1]

    return replace_line(text, line, change)


def longest_record(path) -> int:
    """The length in bytes of the longest record of a CSV file, line feeds inside it
    counted, its last one not."""
    lines = path.read_bytes().split(b"\n")[:-1]
    reader = csv.reader(line.decode() for line in lines)
    longest, start = 0, 0
    for _ in reader:
        longest = max(longest, sum(len(line) + 1 for line in lines[start : reader.line_num]) - 1)
        start = reader.line_num
    return longest


def longest_in(folder) -> int:
    """The longest record of the snapshot's CSV files (an article's text, in the demo)."""
    return max(longest_record(path) for path in (folder / "data").iterdir())


def read_from(monkeypatch) -> list[str]:
    """The names of the snapshot's files something is read from, from now on."""
    names = []
    original = BoundedReader.read

    def spy(self, size=-1):
        names.append(self.name)
        return original(self, size)

    monkeypatch.setattr(BoundedReader, "read", spy)
    return names


def refused(path, *expected) -> SnapshotInvalid:
    """The import fails with each expected (file, line, words) problem and leaves the
    database as it was."""
    before = table_counts(), get_user_model().objects.count()
    with pytest.raises(SnapshotInvalid) as failure:
        import_snapshot(path)
    assert (table_counts(), get_user_model().objects.count()) == before
    problems = failure.value.problems.items
    for file, line, words in expected:
        assert any(p.file == file and p.line == line and words in p.message for p in problems), (
            f"no problem {file}:{line}: {words!r} in\n" + "\n".join(map(str, problems))
        )
    return failure.value


# The descriptor


def test_a_descriptor_of_megabytes_of_blanks_is_refused_unread(zipped, tmp_path, monkeypatch):
    """The attack, at the default limit: a descriptor padded with blanks, tiny compressed."""
    with zipfile.ZipFile(zipped) as snapshot:
        padded = snapshot.read(DESCRIPTOR) + b" " * limits.MAX_DESCRIPTOR_BYTES
    bomb = rezip(zipped, tmp_path / "bomb.zip", {DESCRIPTOR: padded})
    assert bomb.stat().st_size < 1 << 20
    names = read_from(monkeypatch)
    failure = refused(
        bomb, (DESCRIPTOR, None, f"{len(padded):,} bytes, more than the 16,777,216 bytes")
    )
    assert "SNAPSHOT_MAX_DESCRIPTOR_BYTES" in str(failure)
    assert DESCRIPTOR not in names


def test_a_descriptor_over_the_limit_in_a_folder(folder, settings, monkeypatch):
    size = (folder / DESCRIPTOR).stat().st_size
    settings.SNAPSHOT_MAX_DESCRIPTOR_BYTES = size - 1
    names = read_from(monkeypatch)
    refused(folder, (DESCRIPTOR, None, f"{size:,} bytes, more than the {size - 1:,} bytes"))
    assert DESCRIPTOR not in names


def test_a_descriptor_at_the_limit_loads(folder, settings):
    settings.SNAPSHOT_MAX_DESCRIPTOR_BYTES = (folder / DESCRIPTOR).stat().st_size
    assert import_snapshot(folder).rows > 300


def test_diff_refuses_a_descriptor_over_the_limit(folder, settings):
    settings.SNAPSHOT_MAX_DESCRIPTOR_BYTES = 1000
    with pytest.raises(CommandError, match="datapackage.json: .*SNAPSHOT_MAX_DESCRIPTOR_BYTES"):
        call_command("diff_snapshots", str(folder), str(folder), stdout=io.StringIO())


# Lines of the CSV files


def problems_of(failure: SnapshotInvalid, file: str) -> list[str]:
    return [str(p) for p in failure.problems.items if p.file == file]


def test_a_line_over_the_limit(folder, settings):
    limit = longest_in(folder) + 100
    settings.SNAPSHOT_MAX_LINE_BYTES = limit
    retouch(folder, "companies_company", lambda text: set_cell(text, 3, "note", "x" * limit))
    failure = refused(
        folder, (COMPANIES, 3, f"a line longer than {limit:,} bytes (SNAPSHOT_MAX_LINE_BYTES)")
    )
    assert problems_of(failure, COMPANIES) == [
        f"{COMPANIES}, line 3: a line longer than {limit:,} bytes (SNAPSHOT_MAX_LINE_BYTES)."
    ]


def test_a_line_at_the_limit_loads(folder, settings):
    limit = longest_in(folder) + 100
    retouch(folder, "companies_company", lambda text: set_cell(text, 3, "note", "x" * limit))
    with open(folder / COMPANIES, "rb") as file:
        settings.SNAPSHOT_MAX_LINE_BYTES = max(len(line) - 1 for line in file)
    assert import_snapshot(folder).rows > 300


def test_a_record_whose_quoted_cell_runs_on_over_lines(folder, settings):
    """A record can also grow over many short lines, in a quoted cell holding line feeds."""
    limit = longest_in(folder) + 100
    settings.SNAPSHOT_MAX_LINE_BYTES = limit
    retouch(folder, "companies_company", lambda text: set_cell(text, 4, "note", "x\n" * limit))
    failure = refused(
        folder, (COMPANIES, 4, f"a record (a quoted cell over lines) longer than {limit:,}")
    )
    assert len(problems_of(failure, COMPANIES)) == 1


def test_short_records_over_lines_are_not_long_records(folder, settings):
    """Cells holding line feeds, quotes, "\\N", on rows one after the other: each record
    is short, wherever the reads (of the limit's size) cut them."""
    notes = {2: "a\nb", 3: 'c\n"\n"d\n', 4: 'say "\\N"', 5: '"', 6: "\n" * 20, 7: "e,\nf"}

    def change(text):
        for line in sorted(notes, reverse=True):
            text = set_cell(text, line, "note", notes[line])
        return text

    retouch(folder, "companies_company", change)
    settings.SNAPSHOT_MAX_LINE_BYTES = longest_in(folder)
    assert import_snapshot(folder).rows > 300
    assert Company.objects.exclude(note="").count() >= len(notes)


def test_the_attack_member_without_a_line_feed(zipped, tmp_path, settings):
    """The second attack, scaled down: a member that is one endless line is refused once
    the limit is read, not once it is all in memory."""
    settings.SNAPSHOT_MAX_LINE_BYTES = 100_000
    settings.SNAPSHOT_MAX_RATIO = 10_000  # let the bomb through to the line limit
    bomb = rezip(zipped, tmp_path / "bomb.zip", {COMPANIES: b"a" * (20 << 20)})
    failure = refused(bomb, (COMPANIES, 1, "a line longer than 100,000 bytes"))
    assert len(problems_of(failure, COMPANIES)) == 1


class Endless(io.RawIOBase):
    """A line that never ends, counting what is read of it."""

    def __init__(self, chunk: int):
        self.chunk = b"a" * chunk
        self.bytes = 0

    def readable(self):
        return True

    def read(self, size=-1):
        data = self.chunk[:size]
        self.bytes += len(data)
        return data


def test_an_endless_line_is_read_no_further_than_the_limit():
    source = Endless(4096)
    stream = CellStream(source, name=COMPANIES, max_line=100_000)
    with pytest.raises(SnapshotLimitError) as failure:
        stream.read(1)
    assert (failure.value.file, failure.value.line) == (COMPANIES, 1)
    assert 100_000 < source.bytes <= 100_000 + 4096


class Chunks(io.RawIOBase):
    """`size` bytes of one line, given `chunk` bytes at a time whatever is asked for (as a
    pipe or a decompressor may), then a line feed and a second line."""

    def __init__(self, size: int, chunk: int):
        self.chunk = b"b" * chunk
        self.left = size
        self.tail = b"\nend\n"

    def readable(self):
        return True

    def read(self, size=-1):
        if self.left:
            data = self.chunk[: min(self.left, size)]
            self.left -= len(data)
            return data
        data, self.tail = self.tail, b""
        return data


def test_a_long_line_is_put_together_once():
    """A 50 MB line read in 800 pieces: each byte is copied once to put the line together,
    where adding each piece to what was read before copied the line 800 times over."""
    size = 50 << 20
    stream = CellStream(Chunks(size, 64 << 10), name=COMPANIES, max_line=64 << 20)
    reader = io.BufferedReader(stream, 1 << 20)
    digest, total = hashlib.sha256(), 0
    while data := reader.read1(1 << 20):
        digest.update(data)
        total += len(data)
    assert total == size + 5
    expected = hashlib.sha256(b"b" * size + b"\nend\n").hexdigest()
    assert digest.hexdigest() == expected
    assert stream.lines == 2
    assert stream.copied <= size + (1 << 20)


def test_a_20_mb_line_is_read_when_the_limit_allows_it(folder, settings):
    """A line of 200 cells of 100 KB (Python's csv module takes no cell over 128 KB)."""
    settings.SNAPSHOT_MAX_LINE_BYTES = 32 << 20
    line = (folder / COMPANIES).read_bytes().count(b"\n") + 1
    cell = "c" * 100_000
    retouch(folder, "companies_company", lambda text: text + ",".join([cell] * 200) + "\n")
    refused(folder, (COMPANIES, line, "200 cells, expected"))


def test_csv_file_names_the_member(zipped, settings):
    settings.SNAPSHOT_MAX_LINE_BYTES = 10
    expected = f"^{COMPANIES}, line 1: a line longer"
    with Source(zipped) as source, source.open(COMPANIES) as binary:
        records = CsvFile(binary).records()
        with pytest.raises(SnapshotLimitError, match=expected):
            next(records)


# ZIP members


def test_a_zip_bomb_member_is_refused_unread(zipped, tmp_path, monkeypatch):
    """At the default limits: 4 MB of one byte compresses over 1000:1."""
    with zipfile.ZipFile(zipped) as snapshot:
        header = snapshot.read(COMPANIES).split(b"\n")[0]
    bomb = rezip(zipped, tmp_path / "bomb.zip", {COMPANIES: header + b"\n" + b" " * (4 << 20)})
    read = read_from(monkeypatch)
    failure = refused(bomb, (COMPANIES, None, "more than 100:1 (SNAPSHOT_MAX_RATIO)"))
    assert "its ZIP header declares 4,194," in str(failure)
    assert COMPANIES not in read


def test_members_claiming_more_than_the_zip_holds(zipped, tmp_path):
    """A header overstating its compressed size (to hide a ratio, or to read the stream
    of another member as its own: overlapping members) makes the ZIP unsound."""
    bomb = rezip(zipped, tmp_path / "bomb.zip", {COMPANIES: b" " * (4 << 20)})
    data = bytearray(bomb.read_bytes())
    # Its central directory entry: the compressed size at offset 20, the name at 46.
    entry = 0
    while True:
        entry = data.index(b"PK\x01\x02", entry + 1)
        length = int.from_bytes(data[entry + 28 : entry + 30], "little")
        if data[entry + 46 : entry + 46 + length] == COMPANIES.encode():
            break
    data[entry + 20 : entry + 24] = (len(data)).to_bytes(4, "little")
    bomb.write_bytes(data)
    with zipfile.ZipFile(bomb) as snapshot:
        assert snapshot.getinfo(COMPANIES).compress_size == len(data)
    refused(bomb, (str(bomb), None, "is not a sound ZIP file: its members' compressed sizes"))


def test_small_members_may_compress_well(zipped, tmp_path, settings):
    """Under RATIO_MIN_BYTES any ratio is allowed: the descriptor itself is 13:1."""
    with zipfile.ZipFile(zipped) as snapshot:
        info = snapshot.getinfo(DESCRIPTOR)
    settings.SNAPSHOT_MAX_RATIO = 2
    assert info.file_size > 2 * info.compress_size
    assert import_snapshot(zipped).rows > 300


def test_a_member_over_the_size_limit(zipped, tmp_path, settings, monkeypatch):
    folder = zipped.parent / "s"
    limit = (folder / DESCRIPTOR).stat().st_size  # the largest file of the demo snapshot
    settings.SNAPSHOT_MAX_MEMBER_BYTES = limit
    junk = b"x" * (limit + 1)
    (folder / COMPANIES).write_bytes(junk)
    other = rezip(zipped, tmp_path / "big.zip", {COMPANIES: junk})
    names = read_from(monkeypatch)
    expected = f"{limit + 1:,} bytes, more than the {limit:,} bytes a file of a snapshot may hold"
    for path in (other, folder):
        failure = refused(path, (COMPANIES, None, expected))
        assert "(SNAPSHOT_MAX_MEMBER_BYTES)" in str(failure)
        assert COMPANIES not in names


def test_bzip2_members_are_refused(zipped, tmp_path):
    other = rezip(zipped, tmp_path / "bzip2.zip", methods={COMPANIES: zipfile.ZIP_BZIP2})
    refused(other, (COMPANIES, None, "compressed with method 12"))


def test_the_command_reports_a_refusal(zipped, tmp_path):
    bomb = rezip(zipped, tmp_path / "bomb.zip", {COMPANIES: b"\n" * (8 << 20)})
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was written"):
        call_command("import_snapshot", str(bomb), stdout=io.StringIO(), stderr=err)
    assert f"{COMPANIES}: its ZIP header declares 8,388,608 bytes" in err.getvalue()


# What is read is counted, not taken from the header


class Inflating(io.RawIOBase):
    """A decompressor giving more than its header said."""

    def read(self, size=-1):
        return b"z" * size


def test_bounded_reader_counts_what_is_read(settings):
    settings.SNAPSHOT_MAX_MEMBER_BYTES = 10_000
    settings.SNAPSHOT_RATIO_MIN_BYTES = 1000
    cases = [
        ({}, "more than the 10,000 bytes a file of a snapshot may hold"),
        ({"compressed": 20}, "decompresses to more than 2,000 bytes from 20 compressed"),
        ({"declared": 500}, "holds more than the 500 bytes its ZIP header declares"),
    ]
    for options, words in cases:
        reader = BoundedReader(Inflating(), COMPANIES, **options)
        with pytest.raises(SnapshotLimitError, match=words):
            while reader.read(300):
                pass
        assert reader.bytes <= 10_300


def test_limits_have_defaults_and_settings(settings, monkeypatch):
    assert limits.limit("MAX_LINE_BYTES") == limits.MAX_LINE_BYTES == 16 << 20
    monkeypatch.setattr(limits, "MAX_LINE_BYTES", 7)
    assert limits.limit("MAX_LINE_BYTES") == 7
    settings.SNAPSHOT_MAX_LINE_BYTES = 5
    assert limits.limit("MAX_LINE_BYTES") == 5
