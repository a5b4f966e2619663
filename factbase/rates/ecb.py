"""Reading the euro foreign exchange reference rates in the files the ECB publishes:
eurofxref-hist.csv (every business day since 1999, newest first), eurofxref.csv (the
latest day), or the ZIP the ECB ships either in.

The format: a header `Date,USD,JPY,BGN,...`, then one row per business day, each cell
the units of that currency one euro buys, `N/A` where none was published (a currency
before it was quoted or after it was dropped). The header and every row end with a comma:
an empty last column. The daily file puts a space after each comma and writes its date
as "30 October 2026".

Plain CSV without quoting: the csv module reads it, so no library is needed (those that
read this format also download it, which nothing here does: the operator downloads the
file). A file is read whole and checked before anything is stored: the first problem is
an EcbFileError naming its line and column, and nothing is loaded.
"""

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .models import ExchangeRate

DATE = "Date"
MISSING = ("N/A", "")  # no rate published that day
_CURRENCY = re.compile(r"[A-Z]{3}").fullmatch
# Digits with an optional decimal point, as the ECB writes them: no sign, no exponent,
# no grouping. Decimal() alone would take "1e3", "NaN" or " 1".
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?").fullmatch
_RATE = ExchangeRate._meta.get_field("rate")
MAX_PLACES = _RATE.decimal_places
MAX_WHOLE_DIGITS = _RATE.max_digits - _RATE.decimal_places


class EcbFileError(Exception):
    """What is wrong with a rates file, and where: "line 17, column GBP: ..."."""

    def __init__(self, message: str, *, line: int | None = None, column: str = ""):
        self.line, self.column, self.message = line, column, message
        where = ", ".join(
            part
            for part in (f"line {line}" if line else "", f"column {column}" if column else "")
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


@dataclass
class RatesFile:
    """What a file holds: each day's rates by currency, in the file's order."""

    name: str
    currencies: list[str]
    days: dict[datetime.date, dict[str, Decimal]] = field(default_factory=dict)
    missing: int = 0  # cells with no rate (N/A)

    @property
    def count(self) -> int:
        return sum(len(rates) for rates in self.days.values())


def read_rates_file(path: str | Path) -> RatesFile:
    """The rates in the file at `path`: a CSV, or a ZIP holding one CSV."""
    path = Path(path)
    try:
        if zipfile.is_zipfile(path):
            return _read_zip(path)
        data = path.read_bytes()
    except OSError as error:
        raise EcbFileError(f"cannot read {path}: {error.strerror or error}") from error
    return read_rates(data, name=path.name)


def _read_zip(path: Path) -> RatesFile:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                info
                for info in archive.infolist()
                if not info.is_dir() and info.filename.lower().endswith(".csv")
            ]
            if len(members) != 1:
                names = ", ".join(info.filename for info in members) or "none"
                raise EcbFileError(f"{path.name} should hold one CSV file; it holds {names}.")
            data = archive.read(members[0])
    except (zipfile.BadZipFile, OSError) as error:
        raise EcbFileError(f"{path.name} is not a readable ZIP: {error}") from error
    return read_rates(data, name=f"{path.name}/{members[0].filename}")


def read_rates(data: bytes, *, name: str = "rates") -> RatesFile:
    """The rates in `data`, the bytes of an ECB rates CSV, or EcbFileError."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise EcbFileError("not UTF-8 text.", line=line) from error
    reader = csv.reader(io.StringIO(text, newline=""))
    header = _header(reader)
    currencies = [code for code in header[1:] if code]
    rates = RatesFile(name=name, currencies=currencies)
    first_line: dict[datetime.date, int] = {}
    for row in reader:
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue  # a blank line
        line = reader.line_num
        day = _day(cells[0], line)
        if day in first_line:
            raise EcbFileError(
                f"{day.isoformat()} is already on line {first_line[day]}.", line=line, column=DATE
            )
        first_line[day] = line
        rates.days[day] = _row_rates(cells, header, line, rates)
    if not rates.days:
        raise EcbFileError("no rows of rates after the header.", line=1)
    return rates


def _header(reader) -> list[str]:
    """The header's cells: Date, the currencies, then only empty cells (the trailing
    comma)."""
    for row in reader:
        header = [cell.strip() for cell in row]
        if any(header):
            break
    else:
        raise EcbFileError(
            f"the file is empty: expected a header line {DATE},USD,JPY,... (the ECB's format)."
        )
    line = reader.line_num
    if header[0] != DATE:
        raise EcbFileError(
            f"the first column must be {DATE} (the ECB's format), not {header[0]!r}.",
            line=line,
            column="1",
        )
    seen = set()
    last = max(position for position, code in enumerate(header) if code)
    for position, code in enumerate(header[1:], start=2):
        if not code and position <= last + 1:
            raise EcbFileError("a column with no currency named.", line=line, column=str(position))
        if code and not _CURRENCY(code):
            raise EcbFileError(
                f"{code!r} is not a currency code (three capital letters).",
                line=line,
                column=str(position),
            )
        if code in seen:
            raise EcbFileError(f"{code} is named twice.", line=line, column=str(position))
        seen.add(code)
    if last == 0:
        raise EcbFileError("no currency columns after Date.", line=line)
    return header


def _day(text: str, line: int) -> datetime.date:
    # eurofxref-hist.csv writes 2024-06-11; eurofxref.csv "11 June 2024".
    for parse in (datetime.date.fromisoformat, _long_date):
        try:
            return parse(text)
        except ValueError:
            continue
    raise EcbFileError(f"{text!r} is not a date (YYYY-MM-DD).", line=line, column=DATE)


def _long_date(text: str) -> datetime.date:
    return datetime.datetime.strptime(text, "%d %B %Y").date()


def _row_rates(cells, header, line, rates: RatesFile) -> dict[str, Decimal]:
    if len(cells) > len(header):
        extra = cells[len(header) :]
        if any(extra):
            raise EcbFileError(
                f"{len(cells)} columns, but the header has {len(header)}.", line=line
            )
    found = {}
    for position, code in enumerate(header[1:], start=1):
        text = cells[position] if position < len(cells) else None
        if not code:
            if text:
                raise EcbFileError(
                    f"{text!r} is under no currency.", line=line, column=str(position + 1)
                )
            continue
        if text is None:
            raise EcbFileError(
                f"the row ends before this column ({len(cells)} columns, the header has "
                f"{len(header)}).",
                line=line,
                column=code,
            )
        if text in MISSING:
            rates.missing += 1
            continue
        found[code] = _rate(text, line, code)
    return found


def _rate(text: str, line: int, code: str) -> Decimal:
    if not _NUMBER(text):
        raise EcbFileError(f"{text!r} is not a number.", line=line, column=code)
    whole, _, fraction = text.partition(".")
    if len(fraction) > MAX_PLACES:
        raise EcbFileError(
            f"{text} has more than {MAX_PLACES} decimal places; nothing is rounded.",
            line=line,
            column=code,
        )
    if len(whole.lstrip("0")) > MAX_WHOLE_DIGITS:
        raise EcbFileError(
            f"{text} has more than {MAX_WHOLE_DIGITS} digits before the decimal point.",
            line=line,
            column=code,
        )
    rate = Decimal(text)
    if rate <= 0:
        raise EcbFileError(f"{text}: a rate is above zero.", line=line, column=code)
    return rate
