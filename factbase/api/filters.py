"""Filters every record kind shares, and the building blocks of each app's FilterSets.

Multi-value filters take comma-separated values (`?status=verified,disputed`,
`?id=1,2,3`), or the parameter repeated (`?status=verified&status=disputed`), as
generated clients send lists. A bad value answers 400 naming the parameter (django-filter
validates the whole query before anything runs).
"""

import copy
import re

import django_filters as df
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q
from django.db.models.constants import LOOKUP_SEP
from django_filters.fields import BaseCSVField, ChoiceField
from django_filters.filters import FilterMethod
from django_filters.widgets import BaseCSVWidget
from rest_framework.exceptions import ValidationError

from factbase.core.asof import parse_moment, reading_at
from factbase.core.choices import ClaimType, Confidence, DatePrecision, SourceKind, Status
from factbase.core.corroboration import CORROBORATED, fact_backed_by, facts_with_sources
from factbase.core.dates import truncate_date
from factbase.core.ids import MAX_ID, id_from, is_digits
from factbase.core.kinds import alias_relation
from factbase.core.merges import is_mergeable
from factbase.core.models import Citation, Source, bcp47_validator, history_model_of
from factbase.resolution.refs import AmbiguousRef, by_name, resolve_refs

from .params import FALSE_WORDS, NOT_BOOLEAN, TRUE_WORDS
from .search import SEARCH_MAX_LENGTH, related_model, search


class IdField(forms.IntegerField):
    """A record id: a whole number that an id column can hold. A larger one is a 400, not
    a database error."""

    MAX = MAX_ID

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", self.MAX)
        super().__init__(*args, **kwargs)


class RepeatableCSVWidget(BaseCSVWidget, forms.TextInput):
    """Comma-separated values, from one parameter or from the parameter repeated."""

    repeatable = True  # params.StrictQueryParams lets its parameter be given more than once

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist") and len(data.getlist(name)) > 1:
            return ",".join(data.getlist(name)).split(",")
        return super().value_from_datadict(data, files, name)


class ListField(BaseCSVField):
    """Comma-separated values, none of them empty: `?id=3,` or `?region=,` is a 400, where
    Django's field would clean the empty item to nothing and the filter find no row (or,
    for ids, leave a statement that cannot be written). A parameter given empty as a whole
    (`?id=`) is not given."""

    default_error_messages = {
        "empty_item": "An empty value in the list: separate values with single commas.",
    }

    def clean(self, value):
        if value and any(item.strip() == "" for item in value if isinstance(item, str)):
            raise forms.ValidationError(self.error_messages["empty_item"], code="empty_item")
        return super().clean(value)


class InFilter(df.BaseInFilter):
    base_field_class = ListField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", RepeatableCSVWidget)
        super().__init__(*args, **kwargs)


class NumberInFilter(InFilter, df.NumberFilter):
    """Record ids, comma-separated."""

    field_class = IdField


class CharInFilter(InFilter, df.CharFilter):
    pass


class LanguageTagField(forms.CharField):
    """A language tag as sources store them (core.models.bcp47_validator), in any case: a
    value no source could have (`!!!`) is a 400 naming the parameter, not an empty list
    that reads as "no source in that language"."""

    TAG = re.compile(bcp47_validator.regex.pattern, re.IGNORECASE)

    def clean(self, value):
        value = super().clean(value)
        if value and not self.TAG.fullmatch(value):
            # The value as a parameter, never in the message: django-filter %-formats it.
            raise forms.ValidationError(
                "Not a BCP 47 language tag: %(value)r. Give one such as it, fr, en or pt-BR.",
                code="invalid",
                params={"value": value},
            )
        return value


class LanguageFilter(CharInFilter):
    """Language tags (BCP 47), several comma-separated or repeated, matched whatever their
    case: `pt-br` is `pt-BR`. The same on sources, citations and facts (the languages of
    the sources citing them)."""

    field_class = LanguageTagField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", "in these languages (BCP 47 tags, comma-separated)")
        super().__init__(*args, **kwargs)

    def filter(self, queryset, value):
        if not value:
            return queryset
        return queryset.filter(language_condition(self.field_name, value))


def language_condition(field_name: str, tags) -> Q:
    condition = Q()
    for tag in tags:
        condition |= Q(**{f"{field_name}__iexact": tag})
    return condition


class KnownChoiceField(ChoiceField):
    """A choice checked against a set built once: Django's ChoiceField walks the whole
    list (about 250 regions) for every value of every request."""

    def valid_value(self, value):
        known = self.__dict__.get("known")
        if known is None:
            known = set()
            for key, label in self.choices:
                if isinstance(label, list | tuple):  # a group of choices
                    known.update(str(k) for k, _ in label)
                else:
                    known.add(str(key))
            self.known = known
        return str(value) in known


class ChoiceInFilter(InFilter, df.ChoiceFilter):
    field_class = KnownChoiceField


class UTCDateTimeField(forms.DateTimeField):
    """An ISO 8601 time, or a date (its first instant), turned to UTC, read as `as_of`
    reads it (factbase.core.asof.parse_moment): UTC unless it has an offset, an unencoded
    `+01:00` understood. ISO allows offsets such as -18:30 that PostgreSQL refuses in a
    query: the time is given to it in UTC."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_moment(str(value))
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid") from None


class DateTimeFilter(df.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class PartialDateAfterFilter(df.DateFilter):
    """Records whose partial date overlaps the days from this one on: a date of precision
    month, quarter or year stands for its whole period, so `founded_after=2024-06-15`
    keeps a company founded "June 2024" (stored as 2024-06-01), as `period_after` does for
    metrics. A partial date is the first day of its period, so the period reaches the date
    asked for when it starts on or after that date's own period of the same precision; one
    range condition per precision, which an index on the date serves. (`*_before` needs no
    such care: a period overlaps the days up to a date when it starts on or before it.)"""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "label", "on or after this date; a month, quarter or year counts as its whole period"
        )
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        precision_field = dict(qs.model.partial_dates)[self.field_name]
        condition = Q(**{precision_field: "", f"{self.field_name}__gte": value})
        for precision in DatePrecision.values:
            start = truncate_date(value, precision)
            condition |= Q(**{precision_field: precision, f"{self.field_name}__gte": start})
        return qs.filter(condition)


class StrictBooleanField(forms.Field):
    """true or false (also 1/0, yes/no). Anything else is an error: django-filter's own
    boolean field reads it, and `1`, as "no filter" and returns every row."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise forms.ValidationError(NOT_BOOLEAN, code="invalid")


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


def refs_ids(values, model, *, param: str) -> list[int]:
    """The ids of the records of `model` named by id, slug, name or alias, or by the id or
    slug of a record merged into another (factbase.resolution.refs). A value that names
    no record is a 400 naming `param` (a typo must not look like "no results"), and so is
    one that names several; an id that names none matches nothing.

    Values are turned into ids, so that a filter is one `IN` on the foreign key column: an
    index on it serves the query, where a join on the slug could not."""
    too_large = sorted(v for v in values if is_digits(v) and id_from(v) is None)
    if too_large:
        shown = too_large[0] if len(too_large[0]) <= 40 else f"{too_large[0][:20]}…"
        raise ValidationError({param: [f"{shown} is larger than any id."]})
    ids = {id_from(v) for v in values if is_digits(v)}
    named = {v for v in values if not is_digits(v)}
    # An id is looked up only where it may be a merged record's (companies, products,
    # people): elsewhere it goes into the condition as it is, with no query.
    asked = values if is_mergeable(model) else named
    try:
        found = resolve_refs(model, asked) if asked else {}
    except AmbiguousRef as error:
        raise ValidationError({param: [str(error)]}) from error
    unresolved = named - set(found)
    unknown = sorted(unresolved - _named_later(model, unresolved))
    if unknown:
        name = model._meta.verbose_name
        raise ValidationError({param: [f"Unknown {name}: {', '.join(unknown)}."]})
    # An id that names no record stays as given: it matches nothing.
    ids = {found.get(v, int(v)) for v in values if v not in named}
    ids |= {found[v] for v in named if v in found}  # not those named only at another time
    return sorted(ids)


def _named_later(model, values: set[str]) -> set[str]:
    """Under `as_of`, the values that name a record of `model` at some other time (a
    slug, name or alias it had): unknown at that instant, they match nothing then (an
    empty answer), where a value never given is a typo (a 400)."""
    history = history_model_of(model)
    if not values or reading_at() is None or history is None:
        return set()
    named = set()
    if any(f.name == "slug" for f in history._meta.fields):
        named |= set(
            history._default_manager.filter(slug__in=values).values_list("slug", flat=True)
        )
    rest = values - named
    if rest and alias_relation(model) is not None:
        try:
            named |= set(by_name(model, rest, history=True))
        except AmbiguousRef as error:
            named.add(error.value)  # named later, by more than one record: nothing then
    return named


class RefsMixin:
    """Records named by slug or id (`?company=mistral-ai,3`), and for companies, products
    and people also by name or alias (`?company=Mistral`) or by the slug or id of a record
    merged into another (factbase.resolution.refs), at one or more ORM `paths`: a row
    matches when any path leads to one of them (with `match_all`, to every one of them),
    and `where` holds of the same related row. Through a to-many relation (a person's
    roles, a partnership's parties) the match runs in a subquery, so no row repeats."""

    def __init__(self, *paths, match_all=False, where: Q | None = None, **kwargs):
        self.paths, self.match_all, self.where = paths, match_all, where or Q()
        super().__init__(method=self.filter_refs, **kwargs)

    def describe(self, model) -> None:
        """Say in the schema (the filter's help text) what names a record, once the
        FilterSet's `model` is known: names and aliases for kinds that have them."""
        if isinstance(self, df.NumberFilter):
            return  # ids only (`company_id`)
        related = [related_model(model, path.split(LOOKUP_SEP)) for path in self.paths]
        if not any(alias_relation(target) is not None for target in related):
            return
        label = self.label or related[0]._meta.verbose_name_plural
        if "slugs or ids" in label:
            label = label.replace("slugs or ids", "slugs, ids or aliases")
        else:
            label = f"{label}: slugs, ids or aliases"
        self.extra["help_text"] = (
            f"{label}, comma-separated. A name or alias is matched exactly, accents and "
            "case aside (one that names two records is a 400); the slug or id of a record "
            "merged into another finds the one it was merged into."
        )

    def filter_refs(self, queryset, name, values):
        values = [str(value) for value in values]
        groups = [[value] for value in values] if self.match_all else [values]
        model = queryset.model
        for group in groups:
            condition = Q()
            ids = {}  # by related model: paths to the same kind read the values once
            for path in self.paths:
                related = related_model(model, path.split(LOOKUP_SEP))
                if related not in ids:
                    ids[related] = refs_ids(group, related, param=name)
                # `{path}__in`, not `{path}_id__in`: the path may be a many-to-many field.
                condition |= Q(**{f"{path}__in": ids[related]})
            condition &= self.where
            if self.where or any(_to_many(model, path) for path in self.paths):
                condition = Q(pk__in=model._default_manager.filter(condition).values("pk"))
            queryset = queryset.filter(condition)
        return queryset


def _to_many(model, path: str) -> bool:
    for name in path.split(LOOKUP_SEP):
        field = model._meta.get_field(name)
        if field.one_to_many or field.many_to_many:
            return True
        model = field.related_model
    return False


class RefsFilter(RefsMixin, CharInFilter):
    pass


class RefIdsFilter(RefsMixin, NumberInFilter):
    pass


def slug_or_id_filters(field: str, label: str):
    """The pair of filters for a foreign key: `<field>_id` by id and `<field>` by slug or
    id (or alias: RefsMixin), both multi-value."""
    return (
        NumberInFilter(field_name=f"{field}_id", lookup_expr="in", label=f"{label} ids"),
        RefsFilter(field, label=f"{label} slugs or ids"),
    )


class SharedFilters(dict):
    """A FilterSet class's filters, copied for each request without their form fields.

    django-filter deep-copies every filter for each FilterSet it builds, and Django then
    deep-copies every form field for each form: the choices of a region filter (about 250)
    included, thousands of copies a request, more time than the page's queries take. Filters
    and fields are read, never changed, while a request is answered: a request gets a
    shallow copy of each filter (its own `parent` and `model`) sharing one form field."""

    def __init__(self, filters, model):
        super().__init__(filters)
        self.model = model
        self.primed = False

    def __deepcopy__(self, memo):
        if not self.primed:
            for filter_ in self.values():
                # The field is built on a copy given the model (a filter without a label
                # takes it from the model), then shared: the class's filters stay as they
                # were declared, as the OpenAPI schema reads them.
                clone = copy.copy(filter_)
                clone.model = self.model
                filter_._field = clone.field
            self.primed = True
        copies = {}
        for name, filter_ in self.items():
            clone = copy.copy(filter_)
            if isinstance(filter_.filter, FilterMethod):
                clone.filter = FilterMethod(clone)  # resolves `method` on the copy's parent
            copies[name] = clone
        return copies


class SharedFields(dict):
    """A filter form's fields, which no form instance changes: given as they are rather
    than deep-copied for each form (see SharedFilters)."""

    def __deepcopy__(self, memo):
        return dict(self)


class FilterSet(df.FilterSet):
    """A FilterSet whose filters and form class are built once per class, not per request
    (SharedFilters). Every FilterSet of the API derives from it."""

    @classmethod
    def get_filters(cls):
        # Copied once for this class: a filter declared on a base class is otherwise the
        # same object in every subclass, each with its own model.
        filters = {name: copy.deepcopy(f) for name, f in super().get_filters().items()}
        for filter_ in filters.values():
            if isinstance(filter_, RefsMixin) and cls._meta.model is not None:
                filter_.describe(cls._meta.model)
        return SharedFilters(filters, cls._meta.model)

    def get_form_class(self):
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            form_class = type(form_class.__name__, (GivenFieldsOnly, form_class), {})
            form_class.base_fields = SharedFields(form_class.base_fields)
            type(self)._form_class = form_class
        return form_class


# A number as a parameter: ASCII digits, a sign, a decimal point, and for an amount an
# exponent (`value_max=1e6`). Python reads "１４" (full-width), "١٤" (Arabic-Indic) and
# "1_000" as numbers too, which no one types as a bound on purpose.
WHOLE_NUMBER = re.compile(r"-?[0-9]+")
DECIMAL_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def not_ascii_problem(field: forms.Field, data) -> str | None:
    """Why the raw value(s) `data` of a number or date filter's `field` are refused: digits
    other than ASCII's, or a number's underscores (or a whole number's exponent). None
    otherwise."""
    values = data if isinstance(data, list | tuple) else [data]
    values = [value for value in values if isinstance(value, str) and value.strip()]
    if isinstance(field, forms.IntegerField | forms.FloatField):
        decimal = isinstance(field, forms.DecimalField | forms.FloatField)
        pattern = DECIMAL_NUMBER if decimal else WHOLE_NUMBER
        for value in values:
            if not pattern.fullmatch(value.strip()):
                kind = "a number such as 1500000 or 0.25" if decimal else "a whole number"
                return f"Give {kind} in ASCII digits: “{value}” is not one."
    elif isinstance(field, forms.DateField | forms.DateTimeField):
        for value in values:
            if not value.isascii():
                return f"Write the date in ASCII digits: “{value}”."
    return None


class GivenFieldsOnly(forms.Form):
    """A filter form that cleans only the fields the request gives. A list takes a few of
    its thirty-odd filters; Django's form would make and clean a bound field for each of
    the others, only for each filter to find its value empty and leave the rows as they
    are. A field the request does not give is left out of `cleaned_data`, which is what
    django-filter filters by. Required fields and widgets that count an absent value as a
    value (a checkbox) are cleaned as Django cleans them."""

    def _clean_fields(self):
        for name, field in self.fields.items():
            omitted = field.widget.value_omitted_from_data(
                self.data, self.files, self.add_prefix(name)
            )
            if omitted and not field.required:
                continue
            bound = self[name]
            problem = not_ascii_problem(field, bound.data)
            if problem:
                self.add_error(name, problem)
                continue
            try:
                self.cleaned_data[name] = field._clean_bound_field(bound)
                if hasattr(self, f"clean_{name}"):
                    self.cleaned_data[name] = getattr(self, f"clean_{name}")()
            except forms.ValidationError as error:
                self.add_error(name, error)


class RecordFilterSet(FilterSet):
    """Filters of every record: ids, audit times, and text search over `search_fields`."""

    id = NumberInFilter(field_name="id", lookup_expr="in", label="ids, comma-separated")
    # A search of more text than any name or title is a 400 naming `q`: on SQLite a word
    # of tens of thousands of characters is a pattern too complex for LIKE.
    q = df.CharFilter(method="filter_q", label="text search", max_length=SEARCH_MAX_LENGTH)
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
        return search(queryset, self, value)


class FactFilterSet(RecordFilterSet):
    """Filters of every fact: how sure we are, and which sources cite it."""

    status = ChoiceInFilter(choices=Status.choices)
    confidence = ChoiceInFilter(choices=Confidence.choices)
    claim_type = ChoiceInFilter(choices=ClaimType.choices)
    source = NumberInFilter(method="filter_cited_by", label="cited by these source ids")
    publisher = df.CharFilter(method="filter_cited_by", label="cited by this publisher")
    language = LanguageFilter(
        method="filter_cited_by", label="cited in these languages (BCP 47 tags, comma-separated)"
    )
    corroborated = BooleanFilter(
        method="filter_source_count",
        label="backed by two or more independent sources (publishers), or not",
    )
    source_count_min = CountFilter(
        method="filter_source_count", label="backed by at least this many independent sources"
    )
    source_count_max = CountFilter(
        method="filter_source_count", label="backed by at most this many independent sources"
    )
    has_citations = BooleanFilter(
        method="filter_has_citations", label="cited by at least one source, or by none"
    )

    def filter_source_count(self, queryset, name, value):
        model = queryset.model
        if name == "source_count_max" and value == 0:
            return self.filter_has_citations(queryset, "has_citations", False)  # the same
        if name == "source_count_max":
            # At most N: not backed by N + 1 or more. A NOT EXISTS, looked up per fact in
            # the citations' index: a NOT IN over a million grouped ids cannot be hashed
            # in memory and would be scanned once per fact.
            return queryset.filter(~Exists(fact_backed_by(model, value + 1)))
        minimum = CORROBORATED if name == "corroborated" else value
        if minimum <= 0:
            return queryset
        if name == "corroborated" and not value:
            return queryset.filter(~Exists(fact_backed_by(model, minimum)))
        return queryset.filter(pk__in=facts_with_sources(model, minimum))

    def filter_has_citations(self, queryset, name, value):
        # EXISTS both ways: the database turns it into a (anti) join on the citations'
        # index, where NOT IN would compare each fact with every citation.
        cited = Exists(
            Citation.objects.filter(
                content_type=ContentType.objects.get_for_model(queryset.model),
                object_id=OuterRef("pk"),
            )
        )
        return queryset.filter(cited if value else ~cited)

    def filter_cited_by(self, queryset, name, value):
        if name == "language":
            condition = language_condition("source__language", value)
        else:
            lookup = {"source": "source_id__in", "publisher": "source__publisher__iexact"}[name]
            condition = Q(**{lookup: value})
        cited = Citation.objects.filter(
            condition, content_type=ContentType.objects.get_for_model(queryset.model)
        ).values("object_id")
        return queryset.filter(pk__in=cited)


class SourceFilterSet(RecordFilterSet):
    publisher = df.CharFilter(field_name="publisher", lookup_expr="iexact")
    language = LanguageFilter(field_name="language")
    kind = ChoiceInFilter(choices=SourceKind.choices)
    published_after = PartialDateAfterFilter(field_name="published_on")
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
    language = LanguageFilter(field_name="source__language")

    search_fields = ("quote", "translation")

    class Meta:
        model = Citation
        fields = []
