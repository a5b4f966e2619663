"""A record's cells as the database driver takes them, where the file's bytes cannot go
to the database as they are: users and content types mapped to their ids here, and on
SQLite, booleans and datetimes in the forms it stores."""

from collections.abc import Iterator

from . import formats
from .reader import CsvFile
from .tables import Table


def row_converters(
    table: Table, users: dict[int, int], content_types: dict[str, int], sqlite: bool
) -> list:
    """For each column, what turns its text into the value written (None: the text as it
    is); `users` and `content_types` map the snapshot's to the ids here."""
    converters = []
    for column in table.columns:
        if column.role == "user":
            # A user missing from users.csv (deleted since) maps to null.
            converters.append(lambda text: users.get(int(text)))
        elif column.role == "content_type":
            converters.append(content_types.__getitem__)
        elif column.kind == "integer":
            converters.append(int)
        elif sqlite and column.kind == "boolean":
            converters.append(_sqlite_boolean)
        elif sqlite and column.kind == "datetime":
            converters.append(formats.sqlite_datetime)
        elif column.kind == "string":
            converters.append(_string)
        else:
            converters.append(None)
    return converters


def converted_rows(csv_file: CsvFile, converters: list) -> Iterator[list]:
    """The records of `csv_file` after its header, each cell null or converted."""
    null = formats.NULL
    records = csv_file.records()
    next(records)
    for _, cells in records:
        yield [
            None if text == null else (convert(text) if convert else text)
            for convert, text in zip(converters, cells, strict=True)
        ]


def _sqlite_boolean(text: str) -> int:
    return 1 if text == "true" else 0


def _string(text: str) -> str:
    return formats.NULL if text == formats.LITERAL_NULL_MARK else text
