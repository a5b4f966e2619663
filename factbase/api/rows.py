"""Reads straight to plain data: a page of records as rows, without model instances.

A list or a detail is read as rows (`values()`) of the record's own columns. Its lists
(citations, child rows, many-to-many) come in one query each for the whole page; the
records it and its lists show in brief (a metric's company, its citations' sources) in
one statement for all their models on PostgreSQL, one query a model elsewhere; and each
value is rendered by the serializer's own field, so the JSON is the serializer's, byte
for byte (tests/api/test_golden.py holds it), and the serializer stays the one
declaration of what a kind shows (factbase.api.shape). No model instance and no per-row
serializer is built, and no query joins more than one table to another: each is planned
in a fraction of a millisecond, where one query joining everything took longer to plan
than to run.

A field the serializer renders from rows itself, with a `row_<name>(row, page)` method,
is read by that method: a computed field (SerializerMethodField), or one whose value the
row holds in another form (a citation's kind of fact, its content type's id). A
serializer with a computed field that has none is served by DRF as before:
`Reader.of()` answers None.
"""

import datetime
import decimal
from collections import defaultdict
from decimal import Decimal
from functools import lru_cache

import orjson
from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from factbase.core.asof import reading_at
from factbase.core.kinds import kind_of
from factbase.core.models import Citation, Source
from factbase.core.prepared import id_array, prepared_cursor
from factbase.core.text import decimal_text

from .fields import RecordRefField, api_base
from .shape import brief_columns


class Unreadable(Exception):
    """A field this reader cannot render from rows."""


class Reader:
    """What one serializer (as configured for this request: `fields=`, `brief=1`) shows,
    as reads. Built once per request; `render(rows)` renders a page of rows."""

    @classmethod
    def of(cls, serializer) -> "Reader | None":
        try:
            return cls(serializer)
        except Unreadable:
            return None

    @classmethod
    def cached(cls, serializer_class, *, nested: bool, fields) -> "Reader | None":
        """The reader of a serializer as `fields=` and `brief=` shape it, built once per
        process: building a serializer's fields costs more than rendering a page."""
        return _cached_reader(serializer_class, nested, tuple(fields) if fields else None)

    def __init__(self, serializer):
        self.serializer = serializer
        self.model = serializer.Meta.model
        self.kind = kind_of(self.model)
        opts = self.model._meta
        # Every foreign key is read (integers, cheap), so computed fields can use them: a
        # generic one's id too (a citation's fact: its content type and `object_id`).
        self.columns = {"id", *(f.attname for f in opts.concrete_fields if f.is_relation)}
        self.columns.update(f.fk_field for f in opts.private_fields if hasattr(f, "fk_field"))
        # The models shown in brief, all read at once when a page first needs one.
        self.brief_models: list = []
        # (source, reader, link column, generic?) of each list of child rows it shows.
        self.children: list[tuple[str, Reader, str, bool]] = []
        self.steps = [self._step(name, field) for name, field in serializer.fields.items()]
        self.build = _row_builder(self.steps)

    # --- the plan ---------------------------------------------------------------------

    def _step(self, name, field):
        if isinstance(field, serializers.SerializerMethodField) or hasattr(
            self.serializer, f"row_{name}"
        ):
            return name, self._computed(name)
        if isinstance(field, RecordRefField):
            return name, self._brief_of(field.source)
        if isinstance(field, serializers.SlugRelatedField):
            return name, self._slug_of(field.source, field.slug_field)
        if isinstance(field, serializers.ListSerializer):
            return name, self._rows_of(field.source, field.child)
        if isinstance(field, serializers.ManyRelatedField):
            return name, self._many_of(field.source)
        return name, self._value_of(field)

    def _computed(self, name):
        if name == "url" and self.kind is not None:
            kind = self.kind.name
            return lambda row, page: f"{page.base}{kind}/{row['id']}/"
        method = getattr(self.serializer, f"row_{name}", None)
        if method is None:
            raise Unreadable(name)
        return method

    def _value_of(self, field):
        try:
            model_field = self.model._meta.get_field(field.source)
        except FieldDoesNotExist as error:
            raise Unreadable(field.source) from error
        if not model_field.concrete or model_field.is_relation:
            raise Unreadable(field.source)
        column, represent = model_field.attname, representation(field, model_field)
        self.columns.add(column)
        if represent is None:
            return Column(column)
        return Column(column, represent)

    def _brief_of(self, source):
        fk = self.model._meta.get_field(source)
        column = fk.attname
        if fk.related_model not in self.brief_models:
            self.brief_models.append(fk.related_model)

        def brief(row, page):
            return page.brief(fk.related_model, row[column])

        return brief

    def _slug_of(self, source, slug_field):
        fk = self.model._meta.get_field(source)
        column = fk.attname

        def slug(row, page):
            return page.slug(fk.related_model, slug_field, row[column])

        return slug

    def _rows_of(self, source, child_serializer):
        relation = self.model._meta.get_field(source)
        child = Reader(child_serializer)
        generic = isinstance(relation, GenericRelation)
        link = "object_id" if generic else relation.field.attname
        child.columns.add(link)
        self.children.append((source, child, link, generic))

        def rows(row, page):
            return page.children(source, child, link, generic).get(row["id"], [])

        return rows

    def _many_of(self, source):
        m2m = self.model._meta.get_field(source)
        if not isinstance(m2m, models.ManyToManyField):
            raise Unreadable(source)

        def many(row, page):
            return page.many(m2m).get(row["id"], [])

        return many

    # --- reading ----------------------------------------------------------------------

    def rows(self, queryset, extra=()):
        """The rows of `queryset` (filtered, ordered, not yet sliced) as this reader needs
        them: its own columns only, no joins or prefetches of the model queryset."""
        return queryset.prefetch_related(None).values(*self.columns, *extra)

    def render(self, rows, context) -> list[dict]:
        """`rows` as the serializer would render them for the request in `context`."""
        return Page(self, rows, api_base(context)).render()


class Column:
    """A step that shows a column of the row: as it is, or through `represent` (None
    stays None). `_row_builder` reads it inline; every other step is called."""

    def __init__(self, column: str, represent=None):
        self.column, self.represent = column, represent


def _row_builder(steps):
    """A function rendering rows as `steps` say, compiled once per reader: each row is one
    dict display whose keys are the serializer's, in its order, and a column is read
    inline rather than through a call per field (a page of metrics and their citations
    reads some ten thousand values)."""
    env, items = {"_none_or": _none_or}, []
    for index, (name, step) in enumerate(steps):
        # Field and column names are identifiers: their repr() is a literal of themselves.
        if isinstance(step, Column) and step.represent is None:
            items.append(f"{name!r}: row[{step.column!r}]")
        elif isinstance(step, Column):
            env[f"_r{index}"] = step.represent
            items.append(f"{name!r}: _none_or(_r{index}, row[{step.column!r}])")
        else:
            env[f"_s{index}"] = step
            items.append(f"{name!r}: _s{index}(row, page)")
    source = f"def build(rows, page):\n    return [{{{', '.join(items)}}} for row in rows]\n"
    exec(source, env)  # made of identifiers, and names of the steps in `env`
    return env["build"]


def _none_or(represent, value):
    return None if value is None else represent(value)


# DRF fields whose JSON is the value as the database gives it, for these model fields: a
# text column's str, an integer's int, a boolean's bool (DRF's to_representation calls
# str(), int() or bool() on it again).
AS_STORED = {
    serializers.CharField.to_representation: (models.CharField, models.TextField),
    serializers.IntegerField.to_representation: (models.IntegerField,),
    serializers.BooleanField.to_representation: (models.BooleanField,),
}


def representation(field, model_field):
    """How `field` renders a value of `model_field` read from a row, giving DRF's JSON with
    less work for the common types; None when it is the value itself."""
    method = type(field).to_representation
    if isinstance(model_field, AS_STORED.get(method, ())):
        return None
    if method is serializers.ChoiceField.to_representation and all(
        isinstance(key, str) for key in field.choices
    ):
        return None  # DRF maps str(value) back to its choice: the value itself
    if (
        method is serializers.BigIntegerField.to_representation
        and isinstance(model_field, models.IntegerField)
        and not getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
    ):
        return None  # an id: the int as read
    if method is serializers.DecimalField.to_representation:
        return _decimal_representation(field)
    if method is serializers.DateField.to_representation and _iso(field, api_settings.DATE_FORMAT):
        return datetime.date.isoformat
    if (
        method is serializers.DateTimeField.to_representation
        and _iso(field, api_settings.DATETIME_FORMAT)
        and settings.USE_TZ
        and not hasattr(field, "timezone")
    ):
        # DRF's enforce_timezone converts to the current time zone, which no request
        # changes (no timezone.activate()): the default one.
        zone = timezone.get_default_timezone()

        def iso_datetime(value):
            text = value.astimezone(zone).isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text

        return iso_datetime
    return field.to_representation


def _decimal_representation(field):
    """DRF's DecimalField.to_representation, its settings read once rather than for each
    value: DRF copies the decimal context and raises 0.1 to the number of places for every
    amount of every row. Its own method where its output is not the plain text of the
    quantized value (a number, localized text, no fixed places)."""
    coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    if not coerce or field.localize or field.decimal_places is None:
        return field.to_representation
    context = decimal.getcontext().copy()
    if field.max_digits is not None:
        context.prec = field.max_digits
    exponent = Decimal(".1") ** field.decimal_places
    rounding, normalize = field.rounding, field.normalize_output

    def quantized_text(value):
        if not isinstance(value, Decimal):
            value = Decimal(str(value).strip())
        quantized = value.quantize(exponent, rounding=rounding, context=context)
        return format(quantized.normalize() if normalize else quantized, "f")

    return quantized_text


def _iso(field, default) -> bool:
    output_format = getattr(field, "format", default)
    return output_format is not None and output_format.lower() == ISO_8601


class Page:
    """The rows of one page and what they show of other tables, each read once, on first
    use, for every row of the page."""

    def __init__(self, reader: Reader, rows, base: str):
        self.reader = reader
        self.rows = rows
        self.base = base  # the API's root URL for this request
        self.loaded: dict = {}

    def render(self) -> list[dict]:
        return self.reader.build(self.rows, self)

    def _once(self, key, load):
        if key not in self.loaded:
            self.loaded[key] = load()
        return self.loaded[key]

    def _ids(self, column) -> set:
        return {row[column] for row in self.rows if row[column] is not None}

    def brief(self, model, pk):
        if pk is None:
            return None
        # Called for every reference of every row: kept to a dict lookup once loaded.
        found = self.loaded.get(("brief", model))
        if found is None:
            self._load_briefs(model)
            found = self.loaded[("brief", model)]
        return found[pk]

    def fact_brief(self, model, pk):
        """The brief form of the fact of `model` a citation's row names, or None if there
        is none. The facts of every kind the page's rows name are read together, the
        first time one is asked."""
        found = self.loaded.get(("fact", model))
        if found is None:
            named = {
                ContentType.objects.get_for_id(pk).model_class()
                for pk in self._ids("content_type_id")
            }
            # Kept apart from the page's other briefs (the sources'): a person may be a
            # citation's fact and another's `attributed_to`, read at another time.
            wanted = {m: self._fact_ids(m) for m in named if kind_of(m).endpoint}
            # At a past instant, a statement a kind: one over the history of every kind
            # took longer than one for each (as _load_briefs says).
            each = [wanted] if reading_at() is None else [{m: i} for m, i in wanted.items()]
            for part in each:
                for other, briefs in briefs_of(part, self.base).items():
                    self.loaded[("fact", other)] = briefs
            found = self.loaded[("fact", model)]
        return found.get(pk)

    def parent_id(self, model, pk):
        """The id of the record that lists record `pk` of `model` among its child rows (a
        role: its person's), for every such record the page's citations name, at once."""

        def load():
            link = kind_of(model).parent_field.attname
            rows = model._default_manager.filter(pk__in=self._fact_ids(model))
            return dict(rows.values_list("pk", link))

        return self._once(("parents", model), load).get(pk)

    def _load_briefs(self, model) -> None:
        """The brief forms of every model the page shows in brief, read together, with
        those its lists of child rows show (a fact's citations' sources): the child rows
        are read first, so that one statement reads the briefs of both."""
        pages = {self: [model, *self.reader.brief_models]}
        # Not at a past instant: there every table a statement reads becomes a scan of its
        # history (factbase.core.asof), and one statement over the models of both pages
        # took longer than two (12 ms against 3 + 2 for a page of 100 metrics).
        for child in self.reader.children if reading_at() is None else ():
            page = self._child_page(*child)
            pages[page] = page.reader.brief_models
        wanted: dict = {}
        for page, shown in pages.items():
            for other in shown:
                if ("brief", other) not in page.loaded:
                    wanted.setdefault(other, set()).update(page._ids_of(other))
        found = briefs_of(wanted, self.base)
        for page, shown in pages.items():
            for other in shown:
                if ("brief", other) not in page.loaded:
                    page.loaded[("brief", other)] = found[other]

    def _ids_of(self, model) -> set:
        """The ids of `model` the page's rows name, through any of their foreign keys."""
        columns = [
            f.attname
            for f in self.reader.model._meta.concrete_fields
            if f.is_relation and f.related_model is model
        ]
        return set().union(*(self._ids(column) for column in columns))

    def _fact_ids(self, model) -> set:
        """The ids of the facts of `model` the page's citations name."""
        ct = ContentType.objects.get_for_model(model).pk
        return {row["object_id"] for row in self.rows if row["content_type_id"] == ct}

    def slug(self, model, slug_field, pk):
        if pk is None:
            return None
        key = ("slug", model, slug_field)
        return self._once(key, lambda: self._slugs(model, slug_field)).get(pk)

    def _slugs(self, model, slug_field) -> dict:
        ids = self._ids_of(model)
        return dict(model._default_manager.filter(pk__in=ids).values_list("pk", slug_field))

    def children(self, source, child: Reader, link, generic: bool) -> dict:
        found = self.loaded.get(("children", source))  # called for every row
        if found is not None:
            return found

        def load():
            page = self._child_page(source, child, link, generic)
            groups = defaultdict(list)
            for row, data in zip(page.rows, page.render(), strict=True):
                groups[row[link]].append(data)
            return groups

        return self._once(("children", source), load)

    def _child_page(self, source, child: Reader, link, generic: bool) -> "Page":
        """The child rows `source` lists for the page's rows, read once, not rendered."""

        def load():
            where = {f"{link}__in": self._ids("id")}
            if generic:
                # Looked up as the page is read, not when the reader is built: readers
                # live as long as the process, content types in the database.
                where["content_type"] = ContentType.objects.get_for_model(self.reader.model)
            return Page(child, child_rows(child, link, where), self.base)

        return self._once(("rows", source), load)

    def many(self, m2m) -> dict:
        def load():
            through = m2m.remote_field.through
            own, other = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
            target = m2m.related_model
            order = [
                f"-{other}__{name[1:]}" if name.startswith("-") else f"{other}__{name}"
                for name in target._meta.ordering
            ]
            # The links and what the linked records show, in one query with one join.
            names = brief_columns(target)
            rows = (
                through._default_manager.filter(**{f"{own}_id__in": self._ids("id")})
                .order_by(*order)
                .values_list(f"{own}_id", f"{other}_id", *(f"{other}__{attr}" for _, attr in names))
            )
            prefix = f"{self.base}{kind_of(target).name}/"
            groups = defaultdict(list)
            for parent, pk, *values in rows:
                groups[parent].append(brief_data(prefix, pk, names, values))
            return groups

        return self._once(("many", m2m), load)

    def source_count(self, pk) -> int:
        """Independent sources among a fact's citations (publishers count once), from
        the page's citations when they are read, else from one query for the page."""
        return self._once("publishers", self._publishers).get(pk, 0)

    def _publishers(self) -> dict:
        publishers = defaultdict(set)
        citations = self.loaded.get(("rows", "citations"))
        sources = citations.loaded.get(("brief", Source)) if citations is not None else None
        if sources is not None and all("publisher" in s for s in sources.values()):
            for row in citations.rows:
                publishers[row["object_id"]].add(sources[row["source_id"]]["publisher"])
        else:
            content_type = ContentType.objects.get_for_model(self.reader.model)
            rows = Citation.objects.filter(
                content_type=content_type, object_id__in=self._ids("id")
            ).values_list("object_id", "source__publisher")
            for pk, publisher in rows:
                publishers[pk].add(publisher)
        return {pk: len(names) for pk, names in publishers.items()}


def briefs_of(wanted: dict, base) -> dict:
    """{model: {id: brief form}} of the records of each model among its ids. On
    PostgreSQL one statement reads them all (one round trip, and no query built by the ORM
    for each model); elsewhere, one query a model."""
    found = {model: {} for model in wanted}
    wanted = {model: ids for model, ids in wanted.items() if ids}
    if not wanted:
        return found
    connection = connections[router.db_for_read(next(iter(wanted)))]
    statement = _brief_statement(tuple(wanted)) if connection.vendor == "postgresql" else None
    if statement is None:
        return {**found, **{model: briefs(model, ids, base) for model, ids in wanted.items()}}
    sql, readers, keys = statement
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, [id_array(ids) for ids in wanted.values()])
        rows = cursor.fetchall()
    models = list(wanted)
    prefixes = [f"{base}{kind_of(model).name}/" for model in models]
    names = [brief_columns(model) for model in models]
    for index, pk, text in rows:
        values = orjson.loads(text)
        if keys[index] is not None:
            data = {"id": pk, "url": f"{prefixes[index]}{pk}/"}  # as brief_data
            data.update(zip(keys[index], values, strict=True))
        else:
            values = [read(v) for read, v in zip(readers[index], values, strict=True)]
            data = brief_data(prefixes[index], pk, names[index], values)
        found[models[index]][pk] = data
    return found


# How a brief's value comes out of PostgreSQL's JSON, by the model field's type: as the
# ORM would give it. A type not listed here keeps the model to one query of the ORM.
_FROM_JSON = {
    "CharField": None,
    "TextField": None,
    "SlugField": None,
    "URLField": None,
    "EmailField": None,
    "IntegerField": None,
    "BigIntegerField": None,
    "SmallIntegerField": None,
    "PositiveIntegerField": None,
    "PositiveSmallIntegerField": None,
    "PositiveBigIntegerField": None,
    "BooleanField": None,
    "DateField": None,  # ISO 8601, as brief_data writes a date
    "DecimalField": Decimal,  # sent as text: JSON numbers would go through floats
    "DateTimeField": datetime.datetime.fromisoformat,
}


def _keep(value):
    return value


def _or_none(read):
    return lambda value: None if value is None else read(value)


@lru_cache(maxsize=256)
def _brief_statement(models: tuple):
    """The statement reading the brief forms of `models` (one `= ANY(%s)` of ids each,
    in order), with how to read each value of each and, for a model whose values all come
    out of the JSON as they are shown (no amount for brief_data to rewrite), the brief's
    names to put them under; None when a model's brief shows a value it cannot give as
    the ORM does."""
    qn = connections[DEFAULT_DB_ALIAS].ops.quote_name
    parts, readers, keys = [], [], []
    for index, model in enumerate(models):
        table, columns, reads = qn(model._meta.db_table), [], []
        for _, attribute in brief_columns(model):
            try:
                field = model._meta.get_field(attribute)
            except FieldDoesNotExist:
                return None
            kind = field.get_internal_type()
            if not field.concrete or kind not in _FROM_JSON:
                return None
            column = f"{table}.{qn(field.column)}"
            columns.append(f"{column}::text" if kind == "DecimalField" else column)
            read = _FROM_JSON[kind]
            reads.append(_keep if read is None else _or_none(read))
        pk = f"{table}.{qn(model._meta.pk.column)}"
        parts.append(
            f"SELECT {index}, {pk}, json_build_array({', '.join(columns)})::text "
            f"FROM {table} WHERE {pk} = ANY(%s::bigint[])"
        )
        readers.append(tuple(reads))
        plain = all(read is _keep for read in reads)
        keys.append(tuple(name for name, _ in brief_columns(model)) if plain else None)
    return " UNION ALL ".join(parts), tuple(readers), tuple(keys)


def child_rows(child: Reader, link: str, where: dict) -> list[dict]:
    """The rows of `child` whose `link` is among the page's ids (and of the content type,
    for citations), in the child model's order. On PostgreSQL by a statement built once per
    reader (`= ANY` of the ids), not a query the ORM builds for every page."""
    ids = where[f"{link}__in"]
    model = child.model
    connection = connections[router.db_for_read(model)]
    generic = "content_type" in where
    postgresql = connection.vendor == "postgresql"
    statement = _child_statement(child, link, generic) if postgresql else None
    if statement is None or not ids:
        return list(child.rows(model._default_manager.filter(**where)))
    sql, names = statement
    params = [id_array(ids), where["content_type"].pk] if generic else [id_array(ids)]
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@lru_cache(maxsize=256)
def _child_statement(child: Reader, link: str, generic: bool):
    """(SQL, column names) reading `child`'s rows by `link`, ordered as its model's
    queries are; None when a column or the order needs what the ORM adds (a value it
    converts as it reads, an order through another table)."""
    qn = connections[DEFAULT_DB_ALIAS].ops.quote_name
    opts = child.model._meta
    table = qn(opts.db_table)
    names = tuple(sorted(child.columns))
    fields = _plain_columns(child.model, names)
    if fields is None:
        return None
    order = []
    for name in opts.ordering:
        if not isinstance(name, str):
            return None  # an expression (F("x").desc()): the ORM compiles it
        descending, name = name.startswith("-"), name.lstrip("-")
        try:
            field = opts.get_field(name)
        except FieldDoesNotExist:
            return None
        # A foreign key by its column (`company_id`) orders by that column; by its name,
        # by the related model's own order (a join).
        if not field.concrete or (field.is_relation and name != field.attname):
            return None
        order.append(f"{table}.{qn(field.column)} {'DESC' if descending else 'ASC'}")
    where = f"{table}.{qn(opts.get_field(link).column)} = ANY(%s::bigint[])"
    if generic:
        where += f" AND {table}.{qn(opts.get_field('content_type').column)} = %s"
    sql = f"SELECT {', '.join(fields)} FROM {table} WHERE {where}"
    return (f"{sql} ORDER BY {', '.join(order)}" if order else sql), names


def _plain_columns(model, names) -> list[str] | None:
    """The qualified columns of `model`'s fields `names`, for a statement built by hand;
    None when one is not a column the ORM reads as the database gives it (a field that
    converts what it reads)."""
    qn = connections[DEFAULT_DB_ALIAS].ops.quote_name
    table = qn(model._meta.db_table)
    columns = []
    for name in names:
        field = model._meta.get_field(name)
        if not field.concrete or hasattr(field, "from_db_value"):
            return None
        columns.append(f"{table}.{qn(field.column)}")
    return columns


def detail_row(reader: Reader, queryset, key: str, value, extra=()) -> dict | None:
    """The row `reader` reads of the record of `queryset` whose `key` ("pk", or a unique
    "slug") is `value`, with the columns `extra`; None when there is none. On PostgreSQL,
    for the whole table (a queryset with no condition of its own), by a statement built
    once per reader and prepared on the connection: the ORM would build and compile the
    same query of some thirty columns for every request."""
    connection = connections[queryset.db]
    query = queryset.query
    # Anything by which a view's queryset could hold back rows keeps the ORM's query.
    whole_table = not (
        query.where
        or query.annotations
        or query.extra
        or query.extra_tables
        or query.distinct
        or query.combinator
        or query.is_sliced
    )
    statement = None
    if connection.vendor == "postgresql" and whole_table:
        statement = _detail_statement(reader, key, tuple(extra))
    if statement is None:
        return reader.rows(queryset, extra=extra).filter(**{key: value}).first()
    sql, names = statement
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, [value])
        row = cursor.fetchone()
    return None if row is None else dict(zip(names, row, strict=True))


@lru_cache(maxsize=256)
def _detail_statement(reader: Reader, key: str, extra: tuple):
    """(SQL, column names) of detail_row; None when the ORM must read it (a column it
    converts, a key that is not unique)."""
    opts = reader.model._meta
    field = opts.pk if key == "pk" else opts.get_field(key)
    if not field.unique:
        return None  # .first() would choose among several by the model's order
    names = tuple(sorted({*reader.columns, *extra}))
    columns = _plain_columns(reader.model, names)
    if columns is None:
        return None
    qn = connections[DEFAULT_DB_ALIAS].ops.quote_name
    table = qn(opts.db_table)
    cast = "::bigint" if key == "pk" else ""
    sql = f"SELECT {', '.join(columns)} FROM {table} WHERE {table}.{qn(field.column)} = %s{cast}"
    return sql, names


def briefs(model, ids, base) -> dict:
    """The brief form of each record of `model` among `ids`, by id: one query."""
    if not ids:
        return {}
    names = brief_columns(model)
    prefix = f"{base}{kind_of(model).name}/"
    rows = model._default_manager.filter(pk__in=ids).values_list(
        "pk", *(attribute for _, attribute in names)
    )
    return {pk: brief_data(prefix, pk, names, values) for pk, *values in rows}


def brief_data(prefix: str, pk: int, names, values) -> dict:
    data = {"id": pk, "url": f"{prefix}{pk}/"}  # as fields.brief() writes it
    for (name, _), value in zip(names, values, strict=True):
        if isinstance(value, Decimal):
            value = decimal_text(value)
        elif type(value) is datetime.date:
            # The text the JSON encoder would write, here rather than through its
            # fallback for each date of each page (a source's publication date).
            value = value.isoformat()
        data[name] = value
    return data


@lru_cache(maxsize=512)
def _cached_reader(serializer_class, nested: bool, fields: tuple | None):
    return Reader.of(serializer_class(nested=nested, fields=fields, context={}))
