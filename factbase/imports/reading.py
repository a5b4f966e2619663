"""An import file read as rows, one at a time, each with the line it starts on.

Nothing holds the whole file: CSV and JSON lines are decoded line by line from the stream,
an XLSX workbook is read row by row (openpyxl's read-only mode), so memory stays flat
however many rows a file has.

- CSV: UTF-8, with or without a byte order mark, comma-separated, RFC 4180 quoting (what
  the API's CSV export writes). The first row is the header. A cell the export neutralised
  (`'=...`, `'+...`, `'-...`, `'@...`; `''-...` for text that starts `'-`) reads without
  its first apostrophe; a cell that starts with `=` is a formula a spreadsheet would run,
  and is refused.
- XLSX: the first sheet; row 1 is the header. A formula cell is refused (its value would
  be whatever the spreadsheet last computed, or nothing); numbers, dates and booleans are
  read as the text the CSV would hold.
- JSON lines: one JSON object per line, the fields of the kind's POST body, each line
  read as the API reads a body (factbase.api.parsers: each key once, nested at most 32
  levels, no NaN); blank lines are skipped.

A problem that stops the reading (bytes that are not UTF-8, broken quoting, a file that
is not a workbook) is a FileProblem naming the line; a problem of one row (a formula, too
many cells, a line that is not JSON) is kept with that row, so that the report names
every row that fails.
"""

import codecs
import csv
import datetime
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError

from factbase.api.csv_export import neutralised
from factbase.core import text as forms

FORMATS = ("csv", "xlsx", "jsonl")
EXTENSIONS = {".csv": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl"}
# The largest file an import reads: a metric's CSV row is about 300 bytes, so this is
# several hundred thousand rows. Files are streamed, so the bound is on time, not memory.
DEFAULT_MAX_BYTES = 256 * 1024 * 1024


def max_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


class FileProblem(Exception):
    """The file cannot be read (on from `line`, when given): nothing is imported. `about`
    is the one column it concerns when there is one, which the message names already."""

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: str | None = None,
        about: str | None = None,
    ):
        self.message, self.line, self.column = message, line, column
        self.about = about or column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                f"line {self.line}" if self.line is not None else "",
                f"column {self.column}" if self.column else "",
            )
            if part
        )
        return f"{where}: {self.message}" if where else self.message


class TooLarge(FileProblem):
    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(
            f"The file is larger than {limit:,} bytes, the most an import reads: split it."
        )


@dataclass
class Problem:
    """What is wrong with one row: in `column` (a column's name, a field's path), or in
    the row as a whole (None)."""

    column: str | None
    message: str


def error_messages(detail, path: tuple = ()):
    """(path, message) of each message in DRF's and the services' nested errors."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            yield from error_messages(value, (*path, key))
    elif isinstance(detail, list | tuple):
        if all(isinstance(item, str) for item in detail):
            for item in detail:
                yield path, str(item)
        else:
            for index, item in enumerate(detail):
                yield from error_messages(item, (*path, index))
    elif isinstance(detail, DjangoValidationError):
        for message in detail.messages:
            yield path, message
    else:
        yield path, str(detail)


def path_text(path: tuple) -> str:
    """A field's path as a problem's column names it: `citations[0].quote`."""
    text = ""
    for part in path:
        if isinstance(part, int) or str(part).isdigit():
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass
class Row:
    line: int  # where the row starts, counting the header as line 1
    values: dict  # CSV, XLSX: column -> text; JSON lines: the object
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Table:
    format: str
    header: tuple[str, ...] | None  # None for JSON lines, whose rows name their fields
    rows: Iterator[Row]


def format_of(name: str, given: str | None = None) -> str:
    """The format `given`, or the one the file's extension says."""
    if given:
        if given not in FORMATS:
            raise FileProblem(f"Unknown format {given!r}: one of {', '.join(FORMATS)}.")
        return given
    suffix = Path(name).suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    if suffix in (".xls", ".ods", ".numbers"):
        raise FileProblem(
            f"A {suffix} file is not read: save it as .xlsx (Excel workbook) or .csv (UTF-8)."
        )
    raise FileProblem(
        f"Cannot tell the format of {Path(name).name!r} from its extension: name it "
        ".csv, .xlsx or .jsonl, or give the format."
    )


def read_table(stream: BinaryIO, format: str) -> Table:
    """The rows of `stream` (a binary file, or a request's body for CSV and JSON lines)."""
    if format == "csv":
        return read_csv(binary_lines(stream))
    if format == "jsonl":
        return read_jsonl(binary_lines(stream))
    if format == "xlsx":
        return read_xlsx(stream)
    raise FileProblem(f"Unknown format {format!r}: one of {', '.join(FORMATS)}.")


# --- bytes to lines of text ----------------------------------------------------------------


def binary_lines(stream: BinaryIO, limit: int | None = None) -> Iterator[bytes]:
    """The stream's lines, as bytes; a TooLarge past `limit` bytes. A line is read at most
    up to what is left of the limit, so one endless line cannot fill the memory."""
    limit = max_bytes() if limit is None else limit
    total = 0
    while True:
        line = stream.readline(limit - total + 1)
        if not line:
            return
        total += len(line)
        if total > limit:
            raise TooLarge(limit)
        yield line


def text_lines(lines: Iterable[bytes], counter: list[int]) -> Iterator[str]:
    """Each line decoded from UTF-8 (a byte order mark first is dropped); `counter[0]` is
    the number of the last line given. Other encodings are a FileProblem naming the line."""
    for number, raw in enumerate(lines, start=1):
        if number == 1:
            if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                raise FileProblem(
                    "The file is UTF-16: save it as UTF-8 (in Excel, “CSV UTF-8”).", line=1
                )
            raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise FileProblem(
                f"Not UTF-8: byte {error.start + 1} of the line is 0x{raw[error.start]:02x}. "
                "Save the file as UTF-8 (in Excel, “CSV UTF-8”).",
                line=number,
            ) from None
        counter[0] = number
        yield text


# --- CSV -----------------------------------------------------------------------------------


def read_csv(lines: Iterable[bytes]) -> Table:
    counter = [0]
    reader = csv.reader(text_lines(lines, counter), strict=True)
    header_line, cells = _next_csv_row(reader, counter)
    if cells is None:
        raise FileProblem("The file is empty: it needs a header row naming its columns.")
    header = tuple(cell.strip() for cell in cells)
    check_header(header, header_line)
    return Table("csv", header, _csv_rows(reader, counter, header))


def _next_csv_row(reader, counter) -> tuple[int, list[str] | None]:
    """The next row that is not blank, with the line it starts on; (line, None) at the end."""
    while True:
        start = counter[0] + 1
        try:
            cells = next(reader)
        except StopIteration:
            return start, None
        except csv.Error as error:
            raise FileProblem(csv_error_text(error), line=start) from None
        if any(cell.strip() for cell in cells):
            return start, cells


def csv_error_text(error: csv.Error) -> str:
    """What the csv module's error means to whoever saved the file."""
    text = str(error)
    if text.startswith("new-line character seen in unquoted field"):
        return (
            "Not a CSV file as RFC 4180 reads: a line ends in a carriage return alone (the "
            "line endings of old Mac programs). Save it with LF or CRLF line endings."
        )
    if text.startswith("field larger than field limit"):
        return f"A cell is longer than {forms.CSV_CELL_MAX:,} characters, the most a cell may hold."
    return f"Not a CSV file as RFC 4180 reads: {text}."


def _csv_rows(reader, counter, header: tuple[str, ...]) -> Iterator[Row]:
    while True:
        line, cells = _next_csv_row(reader, counter)
        if cells is None:
            return
        row = Row(line, {})
        if len(cells) != len(header):
            row.problems.append(
                Problem(None, f"This row has {len(cells)} cells; the header has {len(header)}.")
            )
        for name, cell in zip(header, cells, strict=False):
            if cell.startswith("="):
                row.problems.append(Problem(name, formula_refused(cell)))
            row.values[name] = unneutralised(cell)
        yield row


def unneutralised(cell: str) -> str:
    """A cell as stored: the export writes text that a spreadsheet would run as a formula,
    or that starts with apostrophes and then a formula's start, with one apostrophe more
    (factbase.api.csv_export.neutralised): that one comes off, so `''-ish` reads `'-ish`."""
    if cell.startswith("'") and neutralised(cell[1:]):
        return cell[1:]
    return cell


def formula_refused(cell: str) -> str:
    shown = cell if len(cell) <= 40 else cell[:37] + "..."
    return (
        f"A formula ({shown}): formulas are not imported. Write the value itself, or, for "
        "text that starts with =, put an apostrophe before it ('=)."
    )


def check_header(header: tuple[str, ...], line: int) -> None:
    """A header row names each column once."""
    if len(header) == 1 and ";" in header[0]:
        raise FileProblem(
            "The header is separated by semicolons: write the CSV with commas (in Excel, "
            "“CSV UTF-8 (comma delimited)”).",
            line=line,
        )
    unnamed = [str(index) for index, name in enumerate(header, start=1) if not name]
    if unnamed:
        raise FileProblem(f"Columns without a name in the header: {', '.join(unnamed)}.", line=line)
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise FileProblem(
            f"Columns named twice: {', '.join(repeated)}.",
            line=line,
            about=repeated[0] if len(repeated) == 1 else None,
        )


# --- XLSX ----------------------------------------------------------------------------------


def read_xlsx(file) -> Table:
    """The first sheet of a workbook, row by row. `file`: a path or a seekable binary file."""
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula cell reads as its formula, to be refused, rather than
        # as the value the spreadsheet last computed (or None, if it never did).
        workbook = load_workbook(file, read_only=True, data_only=False)
    except Exception as error:  # not a zip, not a workbook, a broken part: all the same
        raise FileProblem(
            f"Not an XLSX workbook ({type(error).__name__}): save it from the spreadsheet "
            "as .xlsx, or export it as CSV (UTF-8)."
        ) from None
    if not workbook.worksheets:
        workbook.close()
        raise FileProblem("The workbook has no sheet.")
    # From row 1 whatever the sheet's recorded dimensions say: rows are then numbered as
    # the spreadsheet numbers them (empty rows come as empty tuples of cells).
    rows = enumerate(workbook.worksheets[0].iter_rows(min_row=1), start=1)
    try:
        header_cells = next(rows, (1, ()))[1]
        header = tuple(
            xlsx_text(cell).strip() if cell.value is not None else "" for cell in header_cells or ()
        )
        while header and not header[-1]:
            header = header[:-1]
        if not header:
            raise FileProblem("The first sheet is empty: row 1 must name the columns.", line=1)
        check_header(header, 1)
        if any(getattr(cell, "data_type", None) == "f" for cell in header_cells):
            raise FileProblem("The header holds a formula: write the columns' names.", line=1)
    except BaseException:
        workbook.close()
        raise
    return Table("xlsx", header, _xlsx_rows(workbook, rows, header))


def _xlsx_rows(workbook, rows, header: tuple[str, ...]) -> Iterator[Row]:
    try:
        for line, cells in rows:
            if all(cell.value is None or cell.value == "" for cell in cells):
                continue
            row = Row(line, dict.fromkeys(header, ""))
            for index, cell in enumerate(cells):
                if cell.value is None:
                    continue
                if index >= len(header):
                    row.problems.append(
                        Problem(None, f"Cell {cell.coordinate} is outside the header's columns.")
                    )
                    continue
                name = header[index]
                if cell.data_type == "f":
                    row.problems.append(Problem(name, formula_refused(str(cell.value))))
                elif cell.data_type == "e":
                    row.problems.append(Problem(name, f"A spreadsheet error: {cell.value}."))
                else:
                    row.values[name] = xlsx_text(cell)
            yield row
    finally:
        workbook.close()


def xlsx_text(cell) -> str:
    """A cell's value as the CSV export writes it (factbase.core.text's forms)."""
    value = cell.value
    if isinstance(value, bool):
        return forms.boolean_text(value)
    if isinstance(value, float):
        return forms.float_text(value)
    if isinstance(value, datetime.datetime):
        # A workbook keeps a date as a datetime at midnight: it reads as the date.
        if value.time() == datetime.time(0):
            return forms.date_text(value.date())
        return forms.datetime_text(value)
    if isinstance(value, datetime.date):
        return forms.date_text(value)
    if isinstance(value, datetime.time):
        return forms.time_text(value)
    if isinstance(value, str):
        return ooxml_unescaped(value)
    return str(value)


# A character a workbook writes as `_xHHHH_` (ECMA-376's ST_Xstring): Excel writes a
# carriage return so, `_x000D_`, and text that reads as such an escape with its underscore
# escaped, `_x005F_x0041_` for `_x0041_`. openpyxl hands the escapes over as they are.
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def ooxml_unescaped(text: str) -> str:
    """A workbook's text as it was typed: each `_xHHHH_` the character it stands for, read
    left to right once (so `_x005F_x0041_` is `_x0041_`, not `A`)."""
    if "_x" not in text:
        return text
    return _OOXML_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)


# --- JSON lines ----------------------------------------------------------------------------


def read_jsonl(lines: Iterable[bytes]) -> Table:
    return Table("jsonl", None, _jsonl_rows(lines))


def _jsonl_rows(lines: Iterable[bytes]) -> Iterator[Row]:
    counter, read = [0], False
    for text in text_lines(lines, counter):
        if text.strip():
            read = True
            yield _json_row(counter[0], text)
    if not read:  # blank lines only: as empty as a file of nothing, which is refused
        raise FileProblem("The file holds no record: one JSON object a line.")


def _json_row(line: int, text: str) -> Row:
    """One line of JSON lines, read as the API reads a body (factbase.api.parsers): an
    object, or the problems that make it none."""
    # Imported here, not with the module: the parsers import DRF's views, which import the
    # parser classes the settings name, these same parsers. Imported first from here (the
    # admin loads this module at start-up), they would meet themselves half-loaded.
    from factbase.api.parsers import NotJSON, decode_json

    row = Row(line, {})
    try:
        value = decode_json(text)
    except json.JSONDecodeError as error:
        row.problems.append(Problem(None, f"Not JSON: {error.msg} (character {error.colno})."))
    except NotJSON as error:  # too deep, NaN, a number of thousands of digits
        row.problems.append(Problem(None, f"Not JSON: {error.reason.removesuffix('.')}."))
    except ValidationError as error:  # keys given twice, each with its path
        row.problems += [
            Problem(path_text(path), message) for path, message in error_messages(error.detail)
        ]
    else:
        if isinstance(value, dict):
            row.values = value
        else:
            row.problems.append(
                Problem(None, "Each line is a JSON object: the fields of one record.")
            )
    return row
