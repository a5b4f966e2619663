"""A kind's shape, declared once in its serializer, read by everything that shows it.

The serializer's `Meta.fields` (with `brief_fields` and `children`) is the one declaration
of what a record shows. From it come:

- `read_queryset()`: the query of its reads. A related record is joined and read only as
  far as its brief form shows it; many-to-many lists and child rows come in one query each,
  and so do citations, for a whole page.
- `csv_columns()`: the columns of its CSV. A plain field is a column under its API name;
  a related record is its id and its brief form's values (`company_id`, `company_name`,
  `company_slug`), narrowed by `Meta.csv_relations` where a spreadsheet wants less;
  a list (citations, child rows, many-to-many) is its items' labels and the ids of the
  records they name (factbase.api.csv_lists: `parties`, `parties_company_ids`), each
  child row read as its serializer's `Meta.csv_item` says; a computed field is a column
  when the serializer gives its SQL (`csv_expressions`); `Meta.csv_exclude` leaves out
  what is too big for a spreadsheet (a source's text).

So a field added to the serializer is in the JSON, the CSV and the query at once.
"""

from functools import cache

from django.db.models import Prefetch, QuerySet
from rest_framework import serializers

from .csv_export import Column
from .csv_lists import list_columns
from .fields import BRIEF_SERIALIZERS, RecordRefField


@cache
def serializer_fields(serializer_class) -> dict:
    """The serializer's fields, built once per class (building them reads the model)."""
    return dict(serializer_class().fields)


def brief_columns(model) -> list[tuple[str, str]]:
    """(API name, model attribute) of what a record's brief form shows, but its id and url."""
    meta = BRIEF_SERIALIZERS[model].Meta
    sources = getattr(meta, "brief_sources", {})
    return [
        (name, sources.get(name, name)) for name in meta.brief_fields if name not in ("id", "url")
    ]


def _is_list(field) -> bool:
    return isinstance(field, serializers.ListSerializer | serializers.ManyRelatedField)


@cache
def csv_columns(serializer_class) -> tuple[Column, ...]:
    meta = serializer_class.Meta
    narrowed = getattr(meta, "csv_relations", {})
    excluded = set(getattr(meta, "csv_exclude", ()))
    expressions = getattr(serializer_class, "csv_expressions", {})
    columns = []
    for name, field in serializer_fields(serializer_class).items():
        if name == "url" or name in excluded:
            continue
        if _is_list(field):
            columns += list_columns(meta.model, name, field)
        elif isinstance(field, serializers.SerializerMethodField):
            if name in expressions:
                columns.append(Column(name, name, name, expressions[name]))
        elif isinstance(field, RecordRefField):
            model = field.related_model
            wanted = narrowed.get(name)
            columns.append(Column(f"{name}_id", f"{field.source}_id", name))
            for brief_name, attribute in brief_columns(model):
                if wanted is None or brief_name in wanted:
                    path = f"{field.source}__{attribute}"
                    columns.append(Column(f"{name}_{brief_name}", path, name))
        elif isinstance(field, serializers.SlugRelatedField):
            columns.append(Column(name, f"{field.source}__{field.slug_field}", name))
        else:
            columns.append(Column(name, getattr(field, "csv_path", field.source), name))
    return tuple(columns)


def read_queryset(serializer_class, queryset: QuerySet | None = None) -> QuerySet:
    """The query a list or a detail of this kind runs: the record's own columns, the
    related records its fields show in brief, its lists, and its citations."""
    model = serializer_class.Meta.model
    queryset = model._default_manager.all() if queryset is None else queryset
    only = [field.name for field in model._meta.concrete_fields]
    joins, prefetches = [], []
    for field in serializer_fields(serializer_class).values():
        if isinstance(field, RecordRefField):
            joins.append(field.source)
            brief = brief_columns(field.related_model)
            only += [f"{field.source}__{attribute}" for _, attribute in brief]
        elif isinstance(field, serializers.SlugRelatedField) and "." not in field.source:
            joins.append(field.source)
            only.append(f"{field.source}__{field.slug_field}")
        elif isinstance(field, serializers.ListSerializer):
            prefetches.append(_rows_prefetch(field.source, type(field.child)))
        elif isinstance(field, serializers.ManyRelatedField):
            prefetches.append(_briefs_prefetch(field.source, field.child_relation.related_model))
    return queryset.select_related(*joins).only(*only).prefetch_related(*prefetches)


def _rows_prefetch(name: str, child_serializer) -> Prefetch:
    """Child rows (a partnership's parties), in their model's order, with the records
    they show in brief."""
    return Prefetch(name, queryset=read_queryset(child_serializer))


def _briefs_prefetch(name: str, model) -> Prefetch:
    """A many-to-many list, each record read as far as its brief form shows it."""
    only = ["id", *(attribute for _, attribute in brief_columns(model))]
    return Prefetch(name, queryset=model._default_manager.only(*only))
