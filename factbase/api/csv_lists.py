"""A record's lists in its CSV: each list field of a kind's serializer as one or two columns,
in the form docs/api.md ("CSV") documents.

- `<field>`: one label per item, separated by "; ". A linked record (a product's
  `platforms`) is its slug. A child row (a partnership's `parties`) reads as its
  serializer's `Meta.csv_item` says: the record it names (its slug) or its own text, then
  its detail in parentheses: "mistral-ai (provider); microsoft (investor)". A record
  without a slug (a citation's source) has no label, only its id.
- `<field>_ids` (linked records) or `<field>_<name>_ids` (child rows naming a record:
  `parties_company_ids`, `citations_source_ids`): the ids of the records named, separated
  by ";", in the same order.

In a label "%", ";", "(" and ")" are written %25, %3B, %28 and %29: "; " and parentheses in
a cell are then always the form's own, and a label reads back with a URL decoder. A slug
holds none of them, so it reads as it is. Items come in the JSON list's order (the item
model's ordering, then id); an empty list is an empty cell.

The database writes each cell, in the statement that reads the rows, so that a CSV is one
statement however many lists and rows it has. On PostgreSQL the export joins the lists'
`string_agg(... ORDER BY ...)`: one grouped pass over every item of the kind, or for a few
filtered rows a lateral lookup of each row's own (factbase.api.csv_export). Elsewhere
(SQLite, whose group_concat takes no ORDER BY before 3.44) a subquery gives each row's
cell: the running concatenation of a window in the list's order, read at its last item.
Both write the same text (tests/api/test_csv_export_sql.py).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.aggregates import StringAgg
from django.db.models import (
    Aggregate,
    Case,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Concat, Replace
from rest_framework import serializers

from .csv_export import Column
from .fields import RecordRefField

LABELS, IDS = "labels", "ids"
SEPARATORS = {LABELS: "; ", IDS: ";"}
# "%" first, so that the codes written for the others are not written again. An import
# reads back these codes and no others (factbase.imports.rows.unquote).
ESCAPES = (("%", "%25"), (";", "%3B"), ("(", "%28"), (")", "%29"))


@dataclass(frozen=True)
class CsvItem:
    """How a child row reads in its parent's CSV (a child serializer's `Meta.csv_item`).
    `name`: the field that names it, a reference (the record's slug, and its id in the ids
    column) or a text field. `detail`: a field shown after it in parentheses, its text, or
    with `flag` a boolean field shown as that word when true and not at all when false."""

    name: str
    detail: str | None = None
    flag: str | None = None


def escaped(expression):
    for character, code in ESCAPES:
        expression = Replace(expression, Value(character), Value(code), output_field=TextField())
    return expression


def has_slug(model) -> bool:
    return any(f.name == "slug" for f in model._meta.fields)


@dataclass(frozen=True, eq=False)  # compared by identity: each list is built once
class ListItems:
    """The items of one list field of a kind, and how each reads in its cell."""

    model: type  # the items' rows: child rows, or a many-to-many table's links
    link: str  # the items' column holding their parent's id
    parent: type | None  # for a generic relation (citations): the parent's kind
    ref: str | None  # the items' column holding the id of the record each names
    label: object | None  # the SQL of an item's label
    ordering: tuple[str, ...]

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(p for p, there in ((LABELS, self.label), (IDS, self.ref)) if there)

    def items(self) -> QuerySet:
        queryset = self.model._default_manager.order_by()
        if self.parent is not None:
            # Looked up when read, not when built: columns live as long as the process.
            content_type = ContentType.objects.get_for_model(self.parent)
            queryset = queryset.filter(content_type=content_type)
        return queryset

    def _text(self, part: str):
        return self.label if part == LABELS else Cast(self.ref, TextField())

    def grouped(self, parts: Iterable[str]) -> QuerySet:
        """(parent id, *parts) of every parent with items, in one grouped pass
        (PostgreSQL's string_agg)."""
        return self.items().values(self.link).annotate(**self.aggregates(parts))

    def aggregates(self, parts: Iterable[str]) -> dict:
        """The text of each of `parts` of a parent's items, as aggregates of a query
        grouped by parent."""
        return {
            part: StringAgg(self._text(part), SEPARATORS[part], order_by=self.ordering)
            for part in parts
        }

    def row_text(self, part: str) -> Subquery:
        """The text of `part` of the outer query's row, NULL without items: the running
        concatenation over its items in the list's order (a window), read at the last."""
        last_first = [term[1:] if term.startswith("-") else f"-{term}" for term in self.ordering]
        running = Window(Concatenated(self._text(part), SEPARATORS[part]), order_by=self.ordering)
        own = self.items().filter(**{self.link: OuterRef("pk")})
        texts = own.annotate(csv_text=running).order_by(*last_first).values("csv_text")[:1]
        return Subquery(texts, output_field=TextField())


class Concatenated(Aggregate):
    """Texts joined by a separator, as a window's running value: SQLite's group_concat,
    PostgreSQL's string_agg."""

    function = "GROUP_CONCAT"
    output_field = TextField()
    window_compatible = True

    def __init__(self, expression, separator: str):
        super().__init__(expression, Value(separator))

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="STRING_AGG", **extra_context)


@dataclass(frozen=True)
class ListPart:
    """A list column's expression (csv_export.Column.expression): one part, the labels or
    the ids, of a list's items; called with the model, the part of each row on its own.
    The export on PostgreSQL reads the columns of one list together (GroupedList)."""

    items: ListItems
    part: str

    def __call__(self, model):
        return self.items.row_text(self.part)


def list_columns(model, name: str, field) -> list[Column]:
    """The CSV columns of the list field `name` of a serializer of `model`."""
    relation = model._meta.get_field(field.source)
    if isinstance(field, serializers.ManyRelatedField):
        items, ids = _linked(relation), f"{name}_ids"
    else:
        item = csv_item_of(field.child)
        items, ids = _child_rows(model, relation, field.child, item), f"{name}_{item.name}_ids"
    headers = {LABELS: name, IDS: ids}
    return [
        Column(headers[part], f"csv_{headers[part]}", name, ListPart(items, part))
        for part in items.parts
    ]


def _linked(m2m) -> ListItems:
    """A many-to-many list: its links, in the order of the records linked."""
    through = m2m.remote_field.through
    own, other = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
    target = m2m.related_model
    ordering = tuple(
        f"-{other}__{term[1:]}" if term.startswith("-") else f"{other}__{term}"
        for term in target._meta.ordering
    )
    return ListItems(
        model=through,
        link=through._meta.get_field(own).attname,
        parent=None,
        ref=through._meta.get_field(other).attname,
        label=escaped(F(f"{other}__slug")) if has_slug(target) else None,
        ordering=_with_pk(ordering),
    )


def csv_item_of(child) -> CsvItem:
    """The child serializer's `Meta.csv_item`; without one, the first record its rows
    name, else its first field."""
    declared = getattr(child.Meta, "csv_item", None)
    if declared is not None:
        return declared
    names = [name for name in child.fields if name != "id"]
    refs = [name for name in names if isinstance(child.fields[name], RecordRefField)]
    return CsvItem((refs or names)[0])


def _child_rows(model, relation, child, item: CsvItem) -> ListItems:
    generic = isinstance(relation, GenericRelation)
    rows = relation.related_model
    named = child.fields[item.name]
    if isinstance(named, RecordRefField):
        source = rows._meta.get_field(named.source)
        ref = source.attname
        name = escaped(F(f"{named.source}__slug")) if has_slug(source.related_model) else None
    else:
        ref, name = None, escaped(F(named.source))
    label = None
    if name is not None:
        label = (
            Coalesce(name, Value(""), output_field=TextField())
            if item.detail is None
            else Concat(
                name, _detail(item, child.fields[item.detail].source), output_field=TextField()
            )
        )
    return ListItems(
        model=rows,
        link=relation.object_id_field_name if generic else relation.field.attname,
        parent=model if generic else None,
        ref=ref,
        label=label,
        ordering=_with_pk(rows._meta.ordering),
    )


def _detail(item: CsvItem, source: str):
    """The ` (detail)` after an item's name, or nothing."""
    if item.flag is not None:
        return Case(
            When(**{source: True}, then=Value(f" ({item.flag})")),
            default=Value(""),
            output_field=TextField(),
        )
    empty = Q(**{source: ""}) | Q(**{f"{source}__isnull": True})
    return Case(
        When(empty, then=Value("")),
        default=Concat(Value(" ("), escaped(F(source)), Value(")"), output_field=TextField()),
        output_field=TextField(),
    )


def _with_pk(ordering) -> tuple:
    """An ordering with ties broken by the items' id, so that every way of reading a list
    gives its items in one order."""
    return tuple(ordering) if "id" in ordering or "pk" in ordering else (*ordering, "pk")
