"""One row of a file as the input of the kind's serializer: the body the API's POST (a new
record) or PATCH (a row with an `id`) would be sent, so that an import validates exactly
as the API does.

A CSV or XLSX row is read by its columns (factbase.imports.columns): a field's cell is its
value, and an empty cell is null (or empty text, for a field that takes it); a related
record comes from its id column or else its slug column; a list from its ids or else its
labels; child rows ("mistral-ai (provider); ...") from their labels, with ids for the
records they name. The citation a row adds comes from `citation_source` (an id or a
source's URL) and `citation_quote`. A JSON lines row is the POST body itself, with `id`
(and `version`) for an update.

Rows are read here without the database; what needs it (the record updated, its stored
rows and citations, the references to check) is done where the row is written
(factbase.imports.running), with `bind`.
"""

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal

from rest_framework import serializers

from factbase.api.csv_lists import ESCAPES, CsvItem, csv_item_of
from factbase.api.fields import RecordRefField
from factbase.core.ids import MAX_ID, id_from, is_digits

from . import columns as roles
from .columns import CITATION_COLUMNS, KindColumns, Plan
from .reading import Problem, Row

URL_SCHEMES = ("http://", "https://")
# The column of each part of the citation a row adds: citation_source...
CITATION_HEADERS = {part: header for header, part in CITATION_COLUMNS.items()}
# The export's codes in a label (%25, %3B, %28, %29), each read back as its character.
_CHARACTERS = {code: character for character, code in ESCAPES}
_CODES = re.compile("|".join(re.escape(code) for code in _CHARACTERS))


class Empty:
    """An empty cell of a field that takes neither null nor empty text."""


EMPTY = Empty()


@dataclass
class Item:
    """One child row read from its labels (and the ids column)."""

    name: object  # a slug, a text, or an id (int) from the ids column
    detail: object = None  # its detail (text, or a flag's boolean); None: not given
    label: str | None = None  # the name its label gave, when the ids column gave `name`


@dataclass
class LabelCheck:
    """A label given beside an id: it must name the same record(s)."""

    field: str
    column: str
    labels: list[str]


@dataclass
class RowInput:
    line: int
    key: int | None = None  # the id of the record this row updates
    version: int | None = None  # the version it was exported at
    data: dict = field(default_factory=dict)  # the serializer's input
    columns: dict = field(default_factory=dict)  # field -> the column that gave it
    items: dict = field(default_factory=dict)  # child list -> [Item], bound to stored rows
    item_ids: dict = field(default_factory=dict)  # child list -> its ids column, when given
    citation: dict | None = None  # the citation the row adds (CSV, XLSX)
    citation_index: int | None = None  # its place among the citations written
    cited: list | None = None  # citations_source_ids as exported
    checks: list = field(default_factory=list)
    names: dict = field(default_factory=dict)  # ref -> the name shown beside it (company_name)
    problems: list = field(default_factory=list)
    from_cells: bool = True


# --- CSV and XLSX rows -----------------------------------------------------------------------


def from_cells(row: Row, plan: Plan, kind: KindColumns) -> RowInput:
    """A CSV or XLSX row's input, read by `plan`."""
    result = RowInput(row.line, problems=list(row.problems))
    cells = row.values
    by_field: dict[str, list[tuple[str, str, str]]] = {}  # field -> (role, column, cell)
    for column in plan.columns:
        cell = cells.get(column.header, "")
        if column.role == roles.KEY:
            result.key = _whole_number(cell, column.header, result, "an id")
        elif column.role == roles.VERSION:
            result.version = _whole_number(cell, column.header, result, "a version")
        elif column.role == roles.FIELD:
            _set_field(result, kind.fields[column.field], column.field, cell, column.header)
        elif column.role == roles.IGNORED:
            # A name shown beside a reference names a record created on request.
            ref = column.header.removesuffix("_name")
            if ref != column.header and isinstance(kind.fields.get(ref), RecordRefField):
                result.names[ref] = cell.strip()
        else:
            by_field.setdefault(column.field, []).append((column.role, column.header, cell))
    for name, given in by_field.items():
        if name == "citations":
            _citations(result, given)
            continue
        field_ = kind.fields[name]
        if isinstance(field_, RecordRefField):
            _reference(result, field_, name, given)
        elif isinstance(field_, serializers.ManyRelatedField):
            _linked(result, name, given)
        else:
            _child_rows(result, field_.child, name, given)
    return result


def _cells(given: list, role: str) -> list[tuple[str, str]]:
    """(column, cell) of the columns of `role`, non-empty first."""
    found = [(column, cell) for kind, column, cell in given if kind == role]
    return sorted(found, key=lambda pair: not pair[1].strip())


def _whole_number(cell: str, column: str, result: RowInput, what: str) -> int | None:
    cell = cell.strip()
    if not cell:
        return None
    number = id_from(cell)
    if number is None or number < 1:
        result.problems.append(Problem(column, f"Not {what}: “{cell}” (a whole number)."))
        return None
    return number


def _set_field(result: RowInput, field_, name: str, cell: str, column: str) -> None:
    result.columns[name] = column
    if cell != "":
        result.data[name] = cell
    elif field_.allow_null:
        result.data[name] = None
    elif getattr(field_, "allow_blank", False):
        result.data[name] = ""
    else:
        result.data[name] = EMPTY


def _reference(result: RowInput, field_, name: str, given: list) -> None:
    """A related record: its id column wins, else its first label (a slug, an id or an
    alias); every other label beside it must name the same record (`company_slug`
    mistral-ai and `company` Mistral do), which check_labels asks once it is read."""
    ids = [(column, cell.strip()) for column, cell in _cells(given, roles.REF_ID) if cell.strip()]
    labels = [(column, cell.strip()) for column, cell in _cells(given, roles.REF) if cell.strip()]
    if not ids and not labels:
        column = (_cells(given, roles.REF_ID) or _cells(given, roles.REF))[0][0]
        _set_field(result, field_, name, "", column)
        return
    chosen = (ids or labels)[0]
    result.columns[name], result.data[name] = chosen
    for column, cell in labels:
        if (column, cell) != chosen and cell != chosen[1]:
            result.checks.append(LabelCheck(name, column, [cell]))


def unquote(text: str) -> str:
    """A label as it was before the export encoded it: its codes, and no others, decoded
    in one pass (so %253B reads as the text "%3B", not as ";"). Any other "%" is text."""
    return _CODES.sub(lambda found: _CHARACTERS[found.group()], text)


def _split(cell: str) -> list[str]:
    """A list cell's items: separated by ";" (the export writes "; ", and escapes ";"
    inside an item), each decoded as the export encoded it."""
    return [unquote(item.strip()) for item in cell.split(";") if item.strip()]


def _ids(column: str, cell: str, result: RowInput) -> list[int] | None:
    items = [item.strip() for item in cell.split(";") if item.strip()]
    ids = [id_from(item) for item in items]
    if None in ids:
        result.problems.append(Problem(column, f"Not a list of ids separated by ';': {cell!r}."))
        return None
    return ids


def _linked(result: RowInput, name: str, given: list) -> None:
    """A many-to-many list: its ids column wins over its labels."""
    ids, labels = _cells(given, roles.LIST_IDS), _cells(given, roles.LIST)
    if ids and ids[0][1].strip():
        column, cell = ids[0]
        result.columns[name] = column
        values = _ids(column, cell, result)
        if values is not None:
            result.data[name] = values
            if labels and labels[0][1].strip():
                result.checks.append(LabelCheck(name, labels[0][0], _split(labels[0][1])))
    else:
        column, cell = (labels or ids)[0]
        result.columns[name] = column
        result.data[name] = _split(cell)


def _child_rows(result: RowInput, child, name: str, given: list) -> None:
    """Child rows from their labels ("mistral-ai (provider)"), the ids column naming the
    records they name; bound to the stored rows when the row is written."""
    item = csv_item_of(child)
    ids, labels = _cells(given, roles.ROWS_IDS), _cells(given, roles.ROWS)
    label_column, label_cell = labels[0] if labels else (None, "")
    id_column, id_cell = ids[0] if ids else (None, "")
    result.columns[name] = label_column or id_column
    parsed = [_label(text, item, label_column, result) for text in _split_labels(label_cell)]
    if id_cell.strip():
        values = _ids(id_column, id_cell, result)
        if values is None:
            return
        if label_cell.strip() and len(values) != len(parsed):
            result.problems.append(
                Problem(
                    id_column,
                    f"{len(values)} ids for the {len(parsed)} items of {label_column}: "
                    "give one id per item, in the same order.",
                )
            )
            return
        if not parsed:
            parsed = [Item(None) for _ in values]
        for entry, value in zip(parsed, values, strict=True):
            # The label is kept to be checked against the id when the row is bound: the
            # id wins, so a label edited beside an id left as exported would be lost.
            entry.label = entry.name if label_cell.strip() else None
            entry.name = value
        result.item_ids[name] = id_column
    result.items[name] = parsed


def _split_labels(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(";") if item.strip()]


def _label(text: str, item: CsvItem, column: str, result: RowInput) -> Item:
    """`name (detail)`, each part decoded as the export encoded it."""
    name, detail = text, None
    if text.endswith(")") and " (" in text:
        name, detail = text[: text.index(" (")], text[text.index(" (") + 2 : -1]
    name, detail = unquote(name), None if detail is None else unquote(detail)
    if item.flag is not None:
        if detail not in (None, item.flag):
            result.problems.append(
                Problem(column, f"{text!r}: the only word in parentheses here is {item.flag!r}.")
            )
        return Item(name, detail == item.flag)
    if item.detail is None:
        return Item(unquote(text.strip()))
    return Item(name, detail if detail is not None else "")


def _citations(result: RowInput, given: list) -> None:
    """The export's citations column (checked when the row is written), and the citation
    the row adds."""
    for column, cell in _cells(given, roles.CITED):
        result.columns.setdefault("citations", column)
        result.cited = _ids(column, cell, result) if cell.strip() else []
    parts = {
        CITATION_COLUMNS[column]: cell.strip() for column, cell in _cells(given, roles.CITATION)
    }
    if not (parts.get("source") or parts.get("quote")):
        # Any other part (a translation) belongs to a citation, and would be lost alone.
        for part, value in parts.items():
            if value:
                header = CITATION_HEADERS[part]
                result.problems.append(
                    Problem(
                        header,
                        f"{header} is part of the citation the row adds: give "
                        "citation_source and citation_quote too.",
                    )
                )
        return
    for part, column in (("source", "citation_source"), ("quote", "citation_quote")):
        if not parts.get(part):
            result.problems.append(
                Problem(column, "A citation needs its source (an id or URL) and its quote.")
            )
    source = parts.get("source", "")
    if source and not is_digits(source) and not source.startswith(URL_SCHEMES):
        result.problems.append(
            Problem("citation_source", f"Give a source's id or its URL, not {source!r}.")
        )
    result.citation = {key: value for key, value in parts.items() if value}


# --- JSON lines rows -------------------------------------------------------------------------


def as_written(value) -> str:
    """A value of a JSON line as the line wrote it (`15.0`, `true`, `"15"`): its numbers
    are read exactly, as Decimals, whose repr() a client never wrote."""
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def from_object(row: Row) -> RowInput:
    """A JSON lines row: the POST body, with `id` to update a record (and `version`)."""
    result = RowInput(row.line, problems=list(row.problems), from_cells=False)
    data = dict(row.values)
    for name in ("id", "version"):
        value = data.pop(name, None)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            what = "an id" if name == "id" else "a version"
            written = as_written(value)
            result.problems.append(Problem(name, f"Not {what}: {written} (a whole number)."))
        elif name == "id":
            result.key = value
        else:
            result.version = value
    result.data = data
    result.columns = {name: name for name in data}
    return result


# --- the serializer's input, with what is stored -------------------------------------------


def bind(row: RowInput, instance, serializer, cache) -> dict:
    """The serializer's input for `row`, given the record it updates (`instance`, read
    with its rows and citations) or None for a new record. Problems go to row.problems."""
    data = {name: value for name, value in row.data.items() if value is not EMPTY}
    for name, value in row.data.items():
        if value is EMPTY and (instance is not None or serializer.fields[name].required):
            row.problems.append(Problem(row.columns[name], "This cell may not be empty."))
    for name, items in row.items.items():
        child = serializer.fields[name].child
        _check_item_labels(row, name, items, child)
        data[name] = _bound_items(instance, name, items, child)
    citations = _bound_citations(row, instance, cache)
    if citations is not None:
        data["citations"] = citations
    if not row.from_cells:
        for citation in data.get("citations") or ():
            if isinstance(citation, dict) and isinstance(citation.get("source"), str):
                _source_by_url(citation, citation["source"], cache)
    return data


def _check_item_labels(row: RowInput, name: str, items: list[Item], child) -> None:
    """Each item's label given beside its id (`parties` beside `parties_company_ids`) must
    name the record the id names, as a `<record>_slug` beside its `<record>_id` must."""
    name_field = child.fields[csv_item_of(child).name]
    for number, item in enumerate(items, start=1):
        if item.label is None or not isinstance(name_field, RecordRefField):
            continue
        try:
            record = name_field.to_internal_value(item.name)
        except serializers.ValidationError:
            continue  # an id that names nothing: the serializer refuses it
        if not label_names(name_field, item.label, record):
            shown = getattr(record, "slug", None) or record
            row.problems.append(
                Problem(
                    row.columns[name],
                    f"item {number}: {item.label!r} is not {row.item_ids[name]} {record.pk} "
                    f"({shown}): the ids and the labels must name the same records. Give "
                    "one of them, or make them agree.",
                )
            )


def label_names(field, label: str, record) -> bool:
    """Whether `label`, given beside an id, names `record`, the id's: its slug, or what
    the reference `field` reads as it (a name, an alias)."""
    if getattr(record, "slug", None) == label:
        return True
    try:
        return field.to_internal_value(label).pk == record.pk
    except serializers.ValidationError:
        return False


class _Matcher:
    """Whether a list's item names a stored row (`names`), and with its detail
    (`same_detail`)."""

    def __init__(self, name_field, detail_source: str | None):
        self.name_field, self.detail_source = name_field, detail_source
        self.named: dict = {}  # each label's record's id, read once

    def named_id(self, label: str) -> int | None:
        # What the serializer reads the label as (a slug, a name, an alias): an item that
        # names a stored row's record by its name is that row, not a new one in its place.
        if label not in self.named:
            try:
                self.named[label] = self.name_field.to_internal_value(label).pk
            except serializers.ValidationError:
                self.named[label] = None  # names nothing: the serializer refuses it
        return self.named[label]

    def names(self, row, item: Item) -> bool:
        source = self.name_field.source
        if not isinstance(self.name_field, RecordRefField):
            return getattr(row, source) == item.name
        related_id = getattr(row, f"{source}_id")
        if related_id is None:
            return False
        if isinstance(item.name, int):
            return related_id == item.name
        related = getattr(row, source)
        if getattr(related, "slug", None) == item.name:
            return True
        return related_id == self.named_id(item.name)

    def same_detail(self, row, item: Item) -> bool:
        return (
            self.detail_source is None
            or item.detail is None
            or getattr(row, self.detail_source) == item.detail
        )


def _bound_items(instance, name: str, items: list[Item], child) -> list[dict]:
    """Each item as a row of the list: a stored row it names (by the record or text that
    names it, and its detail, else by the name alone) is kept as its id, with its detail
    when that changed; others are new rows. Stored rows no item names are deleted, as a
    list given to the API replaces the stored one."""
    csv_item = csv_item_of(child)
    name_field = child.fields[csv_item.name]
    detail_source = child.fields[csv_item.detail].source if csv_item.detail else None
    stored = list(getattr(instance, name).all()) if instance is not None else []
    match = _Matcher(name_field, detail_source)
    same_name, same_detail = match.names, match.same_detail

    matched: list = [None] * len(items)
    used: set[int] = set()
    for exact in (True, False):
        for index, item in enumerate(items):
            if matched[index] is not None:
                continue
            for row in stored:
                if row.pk not in used and same_name(row, item):
                    if exact and not same_detail(row, item):
                        continue
                    used.add(row.pk)
                    matched[index] = row
                    break
    rows = []
    for item, row in zip(items, matched, strict=True):
        if row is None:
            values = {csv_item.name: item.name}
            if csv_item.detail and item.detail is not None:
                values[csv_item.detail] = item.detail
            rows.append(values)
        elif same_detail(row, item):
            rows.append({"id": row.pk})
        else:
            rows.append({"id": row.pk, csv_item.detail: item.detail})
    return rows


def _bound_citations(row: RowInput, instance, cache) -> list | None:
    """The citations to write (None: leave them as they are): the stored ones kept, and
    the citation the row adds unless one of them already says it."""
    if not row.from_cells:
        return row.data.get("citations") if "citations" in row.data else None
    stored = list(instance.citations.all()) if instance is not None else []
    if row.cited is not None:
        exported = [citation.source_id for citation in stored]
        column = row.columns["citations"]
        if instance is None and row.cited:
            row.problems.append(
                Problem(
                    column,
                    "A new record's citations come from citation_source and citation_quote: "
                    "a source's id alone has no quote.",
                )
            )
        elif instance is not None and row.cited != exported:
            shown = ";".join(map(str, exported)) or "none"
            row.problems.append(
                Problem(
                    column,
                    f"The stored citations' sources are {shown}: an import does not change "
                    "them. Leave the cell as exported; add a citation with citation_source "
                    "and citation_quote.",
                )
            )
    if row.citation is None:
        return None
    new = dict(row.citation)
    source = new.get("source", "")
    if source.startswith(URL_SCHEMES):
        _source_by_url(new, source, cache, problems=row.problems, column="citation_source")
    # The source as the id it names: "01" is source 1, as the serializer reads it.
    source_id = new.get("source")
    if not isinstance(source_id, int):
        source_id = id_from(source_id)
    kept = [{"id": citation.pk} for citation in stored]
    for index, citation in enumerate(stored):
        if citation.source_id == source_id and citation.quote == new.get("quote"):
            # Already cited so: nothing to add, but a translation given that differs is
            # written to that citation, not dropped (an empty cell leaves it as stored).
            translation = new.get("translation")
            if translation is None or translation == citation.translation:
                return None
            row.citation_index = index
            kept[index]["translation"] = translation
            return kept
    row.citation_index = len(stored)
    return [*kept, new]


def _source_by_url(citation: dict, url: str, cache, problems=None, column=None) -> None:
    """A citation's source given by its URL, as its id (unknown: left as given, for the
    serializer to refuse, or a problem of `column`)."""
    if not url.startswith(URL_SCHEMES):
        return
    found = cache.source_id(url)
    if found is not None:
        citation["source"] = found
    elif problems is not None:
        problems.append(Problem(column, f"No source has the URL {url!r}."))
