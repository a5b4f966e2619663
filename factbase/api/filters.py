"""Filters every record kind shares, and the building blocks of each app's FilterSets.

Multi-value filters take comma-separated values (`?status=verified,disputed`,
`?id=1,2,3`), or the parameter repeated (`?status=verified&status=disputed`), as
generated clients send lists. A bad value answers 400 naming the parameter (django-filter
validates the whole query before anything runs).
"""

import datetime
import re

import django_filters as df
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import BooleanField, F, Func, Q, Subquery
from django.db.models.constants import LOOKUP_SEP
from django_filters.fields import IsoDateTimeField
from django_filters.widgets import BaseCSVWidget
from rest_framework.exceptions import ValidationError

from factbase.core.choices import ClaimType, Confidence, SourceKind, Status
from factbase.core.corroboration import CORROBORATED, facts_with_sources
from factbase.core.models import Citation, Source


class IdField(forms.IntegerField):
    """A record id: a whole number that an id column can hold. A larger one is a 400, not
    a database error."""

    MAX = 2**63 - 1

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", self.MAX)
        super().__init__(*args, **kwargs)


class RepeatableCSVWidget(BaseCSVWidget, forms.TextInput):
    """Comma-separated values, from one parameter or from the parameter repeated."""

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist") and len(data.getlist(name)) > 1:
            return ",".join(data.getlist(name)).split(",")
        return super().value_from_datadict(data, files, name)


class InFilter(df.BaseInFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", RepeatableCSVWidget)
        super().__init__(*args, **kwargs)


class NumberInFilter(InFilter, df.NumberFilter):
    """Record ids, comma-separated."""

    field_class = IdField


class CharInFilter(InFilter, df.CharFilter):
    pass


class ChoiceInFilter(InFilter, df.ChoiceFilter):
    pass


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, turned to UTC: ISO allows offsets such as -18:30 that
    PostgreSQL refuses in a query."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(datetime.UTC)
        except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class DateTimeFilter(df.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class StrictBooleanField(forms.Field):
    """true or false (also 1/0, yes/no). Anything else is an error: django-filter's own
    boolean field reads it, and `1`, as "no filter" and returns every row."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in {"true", "1", "yes"}:
            return True
        if text in {"false", "0", "no"}:
            return False
        raise forms.ValidationError("Enter true or false.", code="invalid")


class BooleanFilter(df.BooleanFilter):
    field_class = StrictBooleanField


class CountFilter(df.NumberFilter):
    """A whole number of things, 0 or more; a fraction or a negative number is a 400."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 2**31 - 1)
        super().__init__(*args, **kwargs)


def fact_type_choices() -> list[tuple[str, str]]:
    """The kinds of fact a citation can support, by the name `fact_type` gives them. A
    callable: the kinds are all registered only once Django has started."""
    from factbase.core.kinds import fact_kinds

    return sorted((name, kind.model._meta.verbose_name) for name, kind in fact_kinds().items())


def refs_condition(values, path: str, model, *, param: str) -> Q:
    """Records named by id or slug, at ORM `path`. An unknown slug is a 400 naming `param`:
    a typo must not look like "no results".

    Slugs are turned into ids here, so the condition is one `IN` on the foreign key
    column: an index on it serves the query, where a join on the slug could not."""
    ids = {int(v) for v in values if v.isascii() and v.isdigit()}
    too_large = sorted(i for i in ids if i > IdField.MAX)
    if too_large:
        raise ValidationError({param: [f"{too_large[0]} is larger than any id."]})
    slugs = {v for v in values if not (v.isascii() and v.isdigit())}
    if slugs:
        found = dict(model.objects.filter(slug__in=slugs).values_list("slug", "pk"))
        unknown = sorted(slugs - set(found))
        if unknown:
            name = model._meta.verbose_name
            raise ValidationError({param: [f"Unknown {name}: {', '.join(unknown)}."]})
        ids.update(found.values())
    # `{path}__in`, not `{path}_id__in`: the path may be a many-to-many field.
    return Q(**{f"{path}__in": sorted(ids)})


def slug_or_id_filters(field: str, label: str):
    """The pair of filters for a foreign key: `<field>_id` by id and `<field>` by slug or
    id, both multi-value."""
    return (
        NumberInFilter(field_name=f"{field}_id", lookup_expr="in", label=f"{label} ids"),
        CharInFilter(method="filter_slug_or_id", field_name=field, label=f"{label} slugs or ids"),
    )


# Text search (`q=`) on PostgreSQL, in two tiers. Precise: every word begins a word of the
# record's own columns in `search_fields` (one full-text document per kind) or of a related
# name that a `relation__column` path reaches (a full-text document of that column). Only
# when no record matches precisely, similar: every word resembles a word of the record's
# name (`search_names`) or of such a related name (pg_trgm word similarity), which forgives
# typos. Migrations (`*/migrations/*_search_indexes.py`) index exactly the expressions built
# here, over `f_unaccent`, an IMMUTABLE `unaccent`: the documents (`<table>_search`, and
# `<table>_<column>_search` for a related name) and the trigrams of each name
# (`<table>_<column>_trgm`). The planner uses an index only for the very expression it
# holds: change both or neither (tests/api/test_search.py checks that every one is used).

SEARCH_WORD = re.compile(r"[^\W_]+")
SEARCH_MAX_WORDS = 10
SEARCH_TEXT_LIMIT = 100_000  # characters of a document, so that a tsvector stays under 1 MB


def search_words(value: str) -> list[str]:
    """The words of a query (runs of letters and digits), the first SEARCH_MAX_WORDS."""
    return SEARCH_WORD.findall(value)[:SEARCH_MAX_WORDS]


def search_document_sql(columns: list[str]) -> str:
    """The full-text document of these columns (SQL column references), as indexed."""
    text = " || ' ' || ".join(f"COALESCE({column}, '')" for column in columns)
    return f"to_tsvector('simple'::regconfig, f_unaccent(left({text}, {SEARCH_TEXT_LIMIT})))"


# A word as a quoted prefix in tsquery syntax, once unaccented: unaccent turns some letters
# into quotes or brackets ("ŉ" into "'n", "⑴" into "(1)"), which must stay inside the quotes.
TSQUERY_PREFIX_SQL = r"'''' || replace(replace(f_unaccent(%s), '\', '\\'), '''', '''''') || ''':*'"


class DocumentMatches(Func):
    """Every word begins a word of the columns, accents and case folded:
    `<document> @@ to_tsquery('simple', 'w1':* & 'w2':*)`, the words unaccented."""

    output_field = BooleanField()

    def __init__(self, columns, words):
        super().__init__(*(F(column) for column in columns))
        self.words = words

    def as_sql(self, compiler, connection, **extra_context):
        columns, params = [], []
        for expression in self.get_source_expressions():
            sql, column_params = compiler.compile(expression)
            columns.append(sql)
            params.extend(column_params)
        query = " || ' & ' || ".join(TSQUERY_PREFIX_SQL for _ in self.words)
        sql = f"{search_document_sql(columns)} @@ to_tsquery('simple'::regconfig, {query})"
        return sql, (*params, *self.words)


class ResemblesWord(Func):
    """The word resembles a word of the column, accents and case folded: pg_trgm's
    `f_unaccent(column) %> f_unaccent(word)`, a word similarity of at least
    pg_trgm.word_similarity_threshold (0.6 by default)."""

    output_field = BooleanField()

    def __init__(self, column, word):
        super().__init__(F(column))
        self.word = word

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.get_source_expressions()[0])
        return f"f_unaccent({column}) %%> f_unaccent(%s)", (*params, self.word)


def related_model(model, relation: list[str]):
    for name in relation:
        model = model._meta.get_field(name).related_model
    return model


class InIds(Func):
    """`column = ANY(ARRAY(<ids>))`: the ids are gathered first, on their own, then looked up
    in the column's index. With `IN (<ids>)` the planner may join instead, and read the
    column's table whole when it expects many ids."""

    output_field = BooleanField()

    def __init__(self, column, ids):
        super().__init__(F(column), Subquery(ids))

    def as_sql(self, compiler, connection, **extra_context):
        column, ids = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        ids_sql, ids_params = compiler.compile(ids)
        return f"{column_sql} = ANY(ARRAY{ids_sql})", (*column_params, *ids_params)


def linked_ids(model, relation: list[str], rows):
    """The ids of the records of `model` whose `relation` path leads to one of `rows`, each
    step read from the table that holds its key: back along a foreign key (a company's
    aliases), the key of the rows reached; forward (a product's company), the rows whose key
    is among the ids reached."""
    models = [model]
    for name in relation:
        models.append(models[-1]._meta.get_field(name).related_model)
    column = "pk"  # `rows` holds the ids reached so far in this column
    for owner, name, reached in reversed(list(zip(models[:-1], relation, models[1:], strict=True))):
        field = owner._meta.get_field(name)
        ids = rows.order_by().values(column)
        if field.one_to_many:
            if column != "pk":
                rows = reached._default_manager.filter(InIds("pk", ids))
            column = field.field.attname
        else:
            condition = InIds(name, ids) if field.many_to_one else Q(**{f"{name}__in": ids})
            rows, column = owner._default_manager.filter(condition), "pk"
    return rows.order_by().values(column)


def matching_ids(model, own: Q | None, related: list[list[str]], match):
    """The ids of the records that satisfy `own`, or whose related row (a `relation__column`
    path) satisfies `match(column)`; None when there is nothing to match.

    Each related table is searched on its own, through its index, and the ids joined in a
    UNION ALL: an OR of subqueries would make the planner read every record."""
    ids = [model._default_manager.filter(own).order_by().values("pk")] if own is not None else []
    for *relation, column in related:
        rows = related_model(model, relation)._default_manager.filter(match(column))
        ids.append(linked_ids(model, relation, rows))
    return ids[0].union(*ids[1:], all=True) if ids else None


def search_tiers(model, filterset, words: list[str]):
    """The ids that match precisely, and those whose names resemble the words (None when
    the kind has no name to compare); None, None when there is nothing to search."""
    own = [path for path in filterset.search_fields if LOOKUP_SEP not in path]
    related = [path.split(LOOKUP_SEP) for path in filterset.search_fields if LOOKUP_SEP in path]
    if not words or not (own or related):
        return None, None

    def resembles(column):
        return Q(*(ResemblesWord(column, word) for word in words))

    precise = matching_ids(
        model,
        Q(DocumentMatches(own, words)) if own else None,
        related,
        lambda column: Q(DocumentMatches([column], words)),
    )
    names = [resembles(column) for column in filterset.search_names]
    similar = matching_ids(model, Q(*names, _connector=Q.OR) if names else None, related, resembles)
    return precise, similar


def search_condition(model, filterset, value: str) -> Q:
    """The records `value` finds (see the comment above), as a condition on their ids."""
    precise, similar = search_tiers(model, filterset, search_words(value))
    if precise is None:
        return Q(pk__in=[])
    # Asked apart rather than in the query: each query then stays simple enough for the
    # planner to estimate, and the similar names are not read when they are not needed.
    if similar is None or precise.exists():
        return Q(InIds("pk", precise))
    return Q(InIds("pk", similar))


class RecordFilterSet(df.FilterSet):
    """Filters of every record: ids, audit times, and text search over `search_fields`."""

    id = NumberInFilter(field_name="id", lookup_expr="in", label="ids, comma-separated")
    q = df.CharFilter(method="filter_q", label="text search")
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = DateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = DateTimeFilter(field_name="updated_at", lookup_expr="lt")

    # What `q=` searches: the record's own columns, and `relation__column` paths to the name
    # of related records (a company's aliases, a metric's company).
    search_fields: tuple[str, ...] = ()
    # The own columns among `search_fields` that name the record (a name, a title): when no
    # record matches precisely, they are matched by similarity, which forgives typos.
    search_names: tuple[str, ...] = ()

    def filter_q(self, queryset, name, value):
        """Indexed word search on PostgreSQL (see `search_condition`); on SQLite, the text as
        typed contained in any of `search_fields`. Matches through to-many relations (aliases)
        run in a subquery, so no row repeats."""
        value = value.strip()
        if not value:
            return queryset
        if connection.vendor == "postgresql":
            return queryset.filter(search_condition(queryset.model, self, value))
        condition = Q()
        for path in self.search_fields:
            condition |= Q(**{f"{path}__icontains": value})
        return queryset.filter(pk__in=queryset.model.objects.filter(condition).values("pk"))

    def filter_slug_or_id(self, queryset, name, values):
        related = queryset.model._meta.get_field(name).related_model
        return queryset.filter(refs_condition(values, name, related, param=name))


class FactFilterSet(RecordFilterSet):
    """Filters of every fact: how sure we are, and which sources cite it."""

    status = ChoiceInFilter(choices=Status.choices)
    confidence = ChoiceInFilter(choices=Confidence.choices)
    claim_type = ChoiceInFilter(choices=ClaimType.choices)
    source = NumberInFilter(method="filter_cited_by", label="cited by these source ids")
    publisher = df.CharFilter(method="filter_cited_by", label="cited by this publisher")
    language = df.CharFilter(method="filter_cited_by", label="cited in this language (BCP 47)")
    corroborated = BooleanFilter(
        method="filter_source_count",
        label="backed by two or more independent sources (publishers), or not",
    )
    source_count_min = CountFilter(
        method="filter_source_count", label="backed by at least this many independent sources"
    )

    def filter_source_count(self, queryset, name, value):
        minimum = CORROBORATED if name == "corroborated" else value
        if minimum <= 0:
            return queryset
        backed = facts_with_sources(queryset.model, minimum)
        if name == "corroborated" and not value:
            return queryset.exclude(pk__in=backed)
        return queryset.filter(pk__in=backed)

    def filter_cited_by(self, queryset, name, value):
        lookup = {
            "source": "source_id__in",
            "publisher": "source__publisher__iexact",
            "language": "source__language__iexact",
        }[name]
        cited = Citation.objects.filter(
            content_type=ContentType.objects.get_for_model(queryset.model), **{lookup: value}
        ).values("object_id")
        return queryset.filter(pk__in=cited)


class SourceFilterSet(RecordFilterSet):
    publisher = df.CharFilter(field_name="publisher", lookup_expr="iexact")
    language = CharInFilter(field_name="language", lookup_expr="in")
    kind = ChoiceInFilter(choices=SourceKind.choices)
    published_after = df.DateFilter(field_name="published_on", lookup_expr="gte")
    published_before = df.DateFilter(field_name="published_on", lookup_expr="lte")

    search_fields = ("title", "publisher", "author", "text")
    search_names = ("title",)

    class Meta:
        model = Source
        fields = []


class CitationFilterSet(RecordFilterSet):
    source = NumberInFilter(field_name="source_id", lookup_expr="in")
    fact_type = ChoiceInFilter(field_name="content_type__model", choices=fact_type_choices)
    fact_id = NumberInFilter(field_name="object_id", lookup_expr="in")
    attributed_to = NumberInFilter(field_name="attributed_to_id", lookup_expr="in")
    language = CharInFilter(field_name="source__language", lookup_expr="in")

    search_fields = ("quote", "translation")

    class Meta:
        model = Citation
        fields = []
