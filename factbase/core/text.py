"""The text form of every value, in Python and in SQL: one home for how Factbase writes a
decimal, a date, a time or a boolean as text, and for its CSV lines.

- decimal: plain digits, no exponent, no trailing zeros ("1000000", "12.5"); 0 for -0, as
  PostgreSQL's numeric writes it.
- datetime: UTC with six fraction digits, "2025-02-11T09:30:00.000000Z" (CSV and
  snapshots); JSON writes what DRF writes, "2025-02-11T09:30:00.123456Z" without padding.
- float (a spreadsheet's number): its shortest digits, then as a decimal (0.1, not
  0.1000000000000000055511151231257827).
- date: "YYYY-MM-DD". time of day: "HH:MM:SS", with its fraction when it has one.
  boolean: "true" / "false".
- CSV: comma separated, a cell quoted when it holds a comma, a quote, a carriage return or
  a line feed, every line ending in a line feed: byte for byte what PostgreSQL's
  `COPY ... WITH (FORMAT csv)` writes, so a CSV streamed by the database and one written in
  Python are the same file.

Two CSV dialects are built on these forms, on purpose: the API's spreadsheet CSV
(factbase.api.csv_export: null and "" both an empty cell, text that a spreadsheet would run as
a formula neutralised) and the lossless snapshot CSV (factbase.snapshots.formats: null as
\\N, every cell as stored).
"""

import csv
import datetime
import unicodedata
from collections.abc import Iterable
from decimal import Decimal

KINDS = ("integer", "number", "string", "boolean", "date", "datetime")
LINE_END = "\n"
# The longest cell a CSV reader here takes, in characters. Python's csv refuses a field of
# more than 131,072 by default, and a long report's stored text is one cell: a snapshot or
# an export holding it could not be read back. A file is bounded by its own limit (an
# import's IMPORT_MAX_BYTES, 256 MB by default; a snapshot member's); one cell of a file
# as large as an import may be is allowed, no more.
CSV_CELL_MAX = 256 * 1024 * 1024


def read_long_csv_cells() -> None:
    """Let every csv reader of the process take cells up to CSV_CELL_MAX (the limit is
    the csv module's, process-wide): called once, when the app is ready."""
    csv.field_size_limit(max(csv.field_size_limit(), CSV_CELL_MAX))


def decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def float_text(value: float) -> str:
    """A binary float (a spreadsheet's number) as a decimal: the shortest digits that read
    back as it (its repr, not its binary expansion), in decimal_text's form."""
    return decimal_text(Decimal(repr(value)))


def datetime_text(value: datetime.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


def date_text(value: datetime.date) -> str:
    return value.isoformat()


def time_text(value: datetime.time) -> str:
    return value.isoformat()


def boolean_text(value: bool) -> str:
    return "true" if value else "false"


def field_kind(field) -> str:
    """The kind of a model field's values: one of KINDS."""
    internal = field.get_internal_type()
    if internal == "DecimalField":
        return "number"
    if internal == "DateTimeField":
        return "datetime"
    if internal == "DateField":
        return "date"
    if internal == "BooleanField":
        return "boolean"
    if internal.endswith(("IntegerField", "AutoField")) or field.is_relation:
        return "integer"
    return "string"


def sql_text(kind: str, expression: str) -> str:
    """PostgreSQL giving `expression` in its text form (NULL stays NULL); strings as they
    are."""
    if kind == "number":
        return f"trim_scale({expression})::text"
    if kind == "boolean":
        return f"CASE WHEN {expression} THEN 'true' WHEN NOT {expression} THEN 'false' END"
    if kind == "date":
        # The ISO DateStyle, which psycopg requires of every connection, writes dates as
        # YYYY-MM-DD; a cast costs a fraction of to_char.
        return f"{expression}::text"
    if kind == "datetime":
        return f"""to_char({expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
    if kind == "integer":
        return f"{expression}::text"
    return expression


def json_value(value):
    """A value as the API's JSON shows it (history diffs, brief forms)."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


# "\r\n" as the writer's terminator makes it quote cells holding either character, as COPY
# does; each line is then given COPY's "\n" instead.
_WRITER = csv.writer(_Echo(), lineterminator="\r\n")


def csv_line(cells: Iterable[str]) -> str:
    """One CSV line of already formatted cells, ending in LINE_END."""
    line = _WRITER.writerow(cells)[:-2]
    if line == "\\.":
        # A cell alone that is `\.`, which a reader of COPY's text takes for the end of
        # the data: quoted, as COPY quotes it.
        return '"\\."' + LINE_END
    return line + LINE_END


# --- names, as two of them are compared --------------------------------------------------


def strip_accents(text: str) -> str:
    """`text` decomposed (NFKD: "ﬁ" -> "fi", "²" -> "2") without its combining marks."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold_case(text: str) -> str:
    """Accents and case aside, nothing else: how an alias given in a filter is matched
    ("mistral" and "MÎSTRAL" name the alias "Mistral"), and how a merge tells whether a
    name is already among a record's aliases."""
    return strip_accents(text).casefold().strip()


def fold_name(text: str) -> str:
    """A name as two names of one record are compared to tell whether they are the same:
    case, accents and spacing aside ("Mistral AI" and "mistral  ai", "Léa" and "Lea"), as
    an alias is matched. A merge adds no alias that is one of the kept record's names so;
    an alias is refused that is (factbase.core.aliases)."""
    return " ".join(fold_case(text).split())


# --- text that shows nothing ---------------------------------------------------------------

# Characters that show nothing where they stand: zero-width spaces and joiners, direction
# marks and embeddings, the byte order mark, the soft hyphen. Pasted from a web page or a
# spreadsheet at a name's start or end, they make "Mistral AI" a second, different name.
# Blanks that Unicode files as letters, symbols or marks: the Hangul fillers, the Braille
# blank, the grapheme joiner. A name of them passes for a name and shows as nothing, and at
# its edge one makes a second, different name, as the characters above do.
BLANK_GLYPHS = frozenset("\u034f\u115f\u1160\u2800\u3164\uffa0")
EDGE_INVISIBLES = (
    frozenset(
        "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
        "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
    )
    | BLANK_GLYPHS
)
# Marks that show nothing of their own but change the character before them (variation
# selectors: an emoji's colour form, a Mongolian letter's shape): a text of them alone
# shows nothing, but a name may end with one.
_SELECTORS = frozenset(
    "\u17b4\u17b5\u180b\u180c\u180d\u180f" + "".join(map(chr, range(0xFE00, 0xFE10)))
)
_SHOWS_NOTHING = frozenset(("Cf", "Cc", "Zs", "Zl", "Zp"))


def invisible_text_problem(value: str, *, one_line: bool) -> str | None:
    """Why `value` (a text an editor typed or a file held) cannot be stored as it is: it
    shows nothing at all, or, for a one-line text (a name, a title), it starts or ends with
    a character that shows nothing. None if nothing is wrong, and for "" (whether a field
    may be empty is its own rule)."""
    if not value:
        return None
    if all(
        c in BLANK_GLYPHS or c in _SELECTORS or unicodedata.category(c) in _SHOWS_NOTHING
        for c in value
    ):
        return "This text shows nothing: it holds only invisible characters or spaces."
    if one_line:
        for where, character in (("starts", value[0]), ("ends", value[-1])):
            if character in EDGE_INVISIBLES:
                name = unicodedata.name(character, "a format character")
                return (
                    f"This text {where} with an invisible character (U+{ord(character):04X} "
                    f"{name}): remove it."
                )
    return None
