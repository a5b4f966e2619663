"""The columns an import of a kind reads: those of the kind's CSV export, read from the
same declaration (factbase.api.shape.csv_columns), so that an export edited in a
spreadsheet imports back; and the columns of the citation a row adds.

What each export column does on import:

- `id`: the record the row updates; empty, a new record.
- `version`: the version the row was exported at; a record changed since is an error.
- a field (`value`, `region`): its value; an empty cell is null, or empty text.
- `<ref>_id`, `<ref>_slug` (`company_id`, `company_slug`): the related record, by id or
  slug; the id wins, and every label given beside it (a slug, or `company` by name or
  alias) must name the same record.
- `<list>`, `<list>_ids` (`platforms`, `platforms_ids`): the records linked, by slug or
  id; the ids win.
- child rows (`parties`, `parties_company_ids`): the rows, read as the export writes them.
- `citations_source_ids`: the stored citations' sources, as exported; checked, not changed.
- read-only (`url`, a name shown beside a reference such as `company_name`, counts,
  `unit`, the audit fields): accepted and ignored.

And, not in the export: `<ref>` (the API's name: `company`, by id, slug or alias), and
`citation_source` (a source's id or URL), `citation_quote`, `citation_translation`: the
citation the row adds to its fact.

A column no kind reads is an error naming it; so is the lack of a column a new record
needs (`metric_type`, `qualifier`, `value` for a metric), unless the file has an `id`
column, when only its rows without an id need them.
"""

from dataclasses import dataclass
from functools import cache

from rest_framework import serializers

from factbase.api.fields import RecordRefField
from factbase.api.shape import csv_columns, serializer_fields

from .reading import FileProblem

# What a column does (ImportColumn.role).
KEY = "key"  # id: the record to update
VERSION = "version"  # the version exported
FIELD = "field"  # a plain field
REF_ID = "ref_id"  # company_id
REF = "ref"  # company_slug, company: a slug, an id or an alias
LIST = "list"  # platforms: slugs
LIST_IDS = "list_ids"  # platforms_ids
ROWS = "rows"  # parties: "mistral-ai (provider); ..."
ROWS_IDS = "rows_ids"  # parties_company_ids
CITED = "cited"  # citations_source_ids: checked against the stored citations
CITATION = "citation"  # citation_source, citation_quote, citation_translation
IGNORED = "ignored"  # read-only

CITATION_COLUMNS = {
    "citation_source": "source",
    "citation_quote": "quote",
    "citation_translation": "translation",
}


@dataclass(frozen=True)
class ImportColumn:
    header: str
    role: str
    field: str | None = None  # the serializer's field it gives


@dataclass(frozen=True)
class Plan:
    """How one file's header is read."""

    columns: tuple[ImportColumn, ...]  # in the header's order
    has_key: bool
    # Fields a new record needs that no column gives: an error on each row without an id.
    missing: tuple[str, ...]


class KindColumns:
    """The columns one kind's import reads."""

    def __init__(self, serializer_class):
        self.serializer_class = serializer_class
        self.fields = serializer_fields(serializer_class)
        self.is_fact = "citations" in self.fields
        self.accepted = _accepted(serializer_class, self.fields, self.is_fact)

    def plan(self, header: tuple[str, ...], *, line: int = 1) -> Plan:
        """The plan of a file with this header; a FileProblem naming the columns that are
        unknown, or missing for a new record when the file has no `id` column."""
        unknown = [name for name in header if name not in self.accepted]
        if unknown:
            raise FileProblem(
                f"Unknown columns: {', '.join(unknown)}. This kind's columns are those of "
                f"its CSV export: {', '.join(self.accepted)}.",
                line=line,
                about=unknown[0] if len(unknown) == 1 else None,
            )
        columns = tuple(self.accepted[name] for name in header)
        citation = {c.header for c in columns if c.role == CITATION}
        if citation and not {"citation_source", "citation_quote"} <= citation:
            raise FileProblem(
                "A citation needs both columns citation_source (a source's id or URL) and "
                "citation_quote.",
                line=line,
            )
        given = {column.field for column in columns if column.field}
        missing = tuple(name for name in self.required() if name not in given)
        has_key = any(column.role == KEY for column in columns)
        if missing and not has_key:
            raise FileProblem(
                f"Missing columns: {self.describe(missing)}. A new "
                f"{self.model._meta.verbose_name} needs them.",
                line=line,
            )
        return Plan(columns, has_key, missing)

    @property
    def model(self):
        return self.serializer_class.Meta.model

    def required(self) -> list[str]:
        """The fields a new record must be given (the POST body's required fields)."""
        return [
            name
            for name, field in self.fields.items()
            if field.required and not field.read_only and name != "citations"
        ]

    def describe(self, names) -> str:
        """Fields by the columns that give them: `metric_type (or metric_type_id, ...)`."""
        described = []
        for name in names:
            headers = [h for h, c in self.accepted.items() if c.field == name and h != name]
            alternatives = f" (or {', '.join(headers)})" if headers else ""
            described.append(f"{name}{alternatives}")
        return ", ".join(described)


@cache
def kind_columns(serializer_class) -> KindColumns:
    return KindColumns(serializer_class)


def _accepted(serializer_class, fields: dict, is_fact: bool) -> dict[str, ImportColumn]:
    accepted: dict[str, ImportColumn] = {}
    for column in csv_columns(serializer_class):
        accepted[column.header] = _export_column(column, fields[column.field])
    for name, field in fields.items():
        if isinstance(field, RecordRefField) and not field.read_only:
            accepted.setdefault(name, ImportColumn(name, REF, name))
    if is_fact:
        for header in CITATION_COLUMNS:
            accepted[header] = ImportColumn(header, CITATION, "citations")
    return accepted


def _export_column(column, field) -> ImportColumn:
    """What an export column does on import."""
    header, name = column.header, column.field
    if header == "id":
        return ImportColumn(header, KEY)
    if header == "version":
        return ImportColumn(header, VERSION)
    if field.read_only or isinstance(field, serializers.SerializerMethodField):
        return ImportColumn(header, IGNORED)
    if column.is_list:
        if name == "citations":
            return ImportColumn(header, CITED, name)
        if isinstance(field, serializers.ManyRelatedField):
            return ImportColumn(header, LIST if header == name else LIST_IDS, name)
        return ImportColumn(header, ROWS if header == name else ROWS_IDS, name)
    if isinstance(field, RecordRefField):
        if header == f"{name}_id":
            return ImportColumn(header, REF_ID, name)
        if header == f"{name}_slug":
            return ImportColumn(header, REF, name)
        return ImportColumn(header, IGNORED)  # a name shown beside the reference
    return ImportColumn(header, FIELD, name)
