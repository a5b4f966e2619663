"""How one record refers to another in the API.

On read, a related record appears in its brief form (id, url, name or slug), the same
everywhere. On write, a client names it by id, by slug (for records that have one), or by
an object holding either: `3`, `"mistral-ai"`, `{"id": 3}` or `{"slug": "mistral-ai"}`.
"""

import datetime
import re
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from rest_framework import ISO_8601, serializers
from rest_framework.relations import MANY_RELATION_KWARGS
from rest_framework.settings import api_settings
from rest_framework.utils import humanize_datetime

from factbase.core.dates import no_such_date
from factbase.core.ids import id_from, is_digits
from factbase.core.kinds import alias_relation, kind_of
from factbase.core.text import decimal_text
from factbase.resolution.refs import AmbiguousRef, resolve_refs

from .params import FALSE_WORDS, NOT_BOOLEAN, TRUE_WORDS

# model class -> its brief serializer class, filled in by RecordSerializer subclasses
BRIEF_SERIALIZERS: dict[type, type] = {}
# model class -> its URL prefix under /api/v1/, filled in by factbase.api.routers.register
API_ROOT = "/api/v1/"


class AsciiDigitsMixin:
    """A number given as a string holds ASCII digits only. Python's int(), Decimal() and
    float() also read "١٢" (Arabic-Indic), "１２" (fullwidth) and "1_000" as numbers;
    a client that sends them means something else, or nothing."""

    default_error_messages = {
        "ascii_digits": "Write numbers with the ASCII digits 0-9, without separators.",
    }

    def to_internal_value(self, data):
        if isinstance(data, str) and (not data.isascii() or "_" in data):
            self.fail("ascii_digits")
        return super().to_internal_value(data)


class StrictIntegerField(AsciiDigitsMixin, serializers.IntegerField):
    pass


class StrictBigIntegerField(AsciiDigitsMixin, serializers.BigIntegerField):
    pass


class StrictDecimalField(AsciiDigitsMixin, serializers.DecimalField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        # -0 is 0: the databases keep no sign of zero, and the answer to a write shows
        # what a read of it will.
        return value.copy_abs() if value is not None and not value else value


class StrictFloatField(AsciiDigitsMixin, serializers.FloatField):
    pass


class StrictPrimaryKeyRelatedField(AsciiDigitsMixin, serializers.PrimaryKeyRelatedField):
    """A record by its id: a whole number, or its digits as text. DRF hands anything to
    the query, where 16.5 or 16.0 becomes the id 16 and True the id 1: another record
    than the client wrote, or none it meant."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, str) and not is_digits(data.strip()):
            self.fail("incorrect_type", data_type="text")
        if id_from(str(data).strip()) is None:  # past any id (factbase.core.ids)
            self.fail("does_not_exist", pk_value=str(data)[:20])
        return super().to_internal_value(int(data))


# A serializer's context key: True while it reads the cells of a CSV or XLSX file, where
# every value is text ("12" a number, "true" a yes: factbase.imports).
CELLS_AS_TEXT = "cells_as_text"


def typed_input(field) -> bool:
    """Whether the value `field` reads carries its client's JSON type: an API body, a line
    of a JSON-lines import. Not the cells of a table (CELLS_AS_TEXT)."""
    return not field.context.get(CELLS_AS_TEXT, False)


class JSONTypesMixin:
    """In a JSON body, a value has the type its field says. DRF would store the number 123
    as the text "123", and take "yes", "on", "1" or 1 as true: in a body, a client that
    sends them made a mistake the API names, rather than a guess it stores."""

    json_type: tuple = ()

    def to_internal_value(self, data):
        # type(), not isinstance(): True is an int to Python, not to JSON.
        if typed_input(self) and type(data) not in self.json_type:
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(JSONTypesMixin, serializers.CharField):
    json_type = (str,)


class StrictSlugField(JSONTypesMixin, serializers.SlugField):
    json_type = (str,)


class StrictURLField(JSONTypesMixin, serializers.URLField):
    json_type = (str,)


class StrictEmailField(JSONTypesMixin, serializers.EmailField):
    json_type = (str,)


class StrictDateField(serializers.DateField):
    """A date as the API writes it, `YYYY-MM-DD`, with the spaces around it trimmed as
    around text and numbers. DRF (through Python's fromisoformat) also reads `20250201`,
    `2025-2-1` and ISO weeks (`2025-W05`, stored as that week's Monday): a day the client
    may not have meant, refused as a wrong format. One of the right form that no calendar
    has (`2025-02-30`) is told so, where DRF would answer that the format is wrong."""

    ISO = re.compile(r"\d{4}-\d{2}-\d{2}")

    def to_internal_value(self, value):
        formats = getattr(self, "input_formats", api_settings.DATE_INPUT_FORMATS)  # as DRF
        if not isinstance(value, str) or list(formats) != [ISO_8601]:
            return super().to_internal_value(value)
        text = value.strip()
        if not self.ISO.fullmatch(text):
            self.fail("invalid", format=humanize_datetime.date_formats(formats))
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            raise serializers.ValidationError(no_such_date(text), code="invalid") from None


class StrictBooleanField(JSONTypesMixin, serializers.BooleanField):
    """In a JSON body, true or false. In a table's cell, the words a flag of the query
    takes (true/false, 1/0, yes/no, in any case): DRF would also take "on", "t" or "n",
    which a spreadsheet's reader may mean otherwise."""

    json_type = (bool,)

    def to_internal_value(self, data):
        if not typed_input(self) and isinstance(data, str):
            word = data.strip().lower()
            if word not in TRUE_WORDS | FALSE_WORDS:
                raise serializers.ValidationError(NOT_BOOLEAN, code="invalid")
            return word in TRUE_WORDS
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    """A choice among texts is given as text in a JSON body: DRF looks up str(value), so
    that 1 would pick the choice "1". The spaces around it are trimmed, as around any text,
    number or date (`" EUR "` is `EUR`): no choice starts or ends with one."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.strip()
        if (
            typed_input(self)
            and not isinstance(data, str)
            and not (data == "" and self.allow_blank)
            and all(isinstance(key, str) for key in self.choices)
        ):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


# DRF's fields -> ours, for serializers' field mappings.
STRICT_FIELDS = {
    serializers.IntegerField: StrictIntegerField,
    serializers.BigIntegerField: StrictBigIntegerField,
    serializers.DecimalField: StrictDecimalField,
    serializers.FloatField: StrictFloatField,
    serializers.CharField: StrictCharField,
    serializers.SlugField: StrictSlugField,
    serializers.URLField: StrictURLField,
    serializers.EmailField: StrictEmailField,
    serializers.BooleanField: StrictBooleanField,
    serializers.DateField: StrictDateField,
}


def record_url(obj, context) -> str:
    """The absolute URL of a record's API page. Built from a prefix rather than with
    reverse(): a page of results holds hundreds of these."""
    return f"{api_base(context)}{kind_of(type(obj)).name}/{obj.pk}/"


def api_base(context) -> str:
    """The absolute URL of the API's root for this request, worked out once a request."""
    base = context.get("_api_root")
    if base is None:
        request = context.get("request")
        base = request.build_absolute_uri(API_ROOT) if request is not None else API_ROOT
        context["_api_root"] = base
    return base


class RecordRefField(serializers.RelatedField):
    """A related record, named by id or slug; for kinds with aliases (companies, products,
    people) also by name or alias, accents and case aside; and by the id or slug a record
    had before it was merged into another (factbase.resolution.refs)."""

    default_error_messages = {
        "does_not_exist": "No {model} with {lookup} {value!r}.",
        "invalid": "Give an id (integer), a slug (string), or an object with one of them.",
    }

    @property
    def related_model(self):
        return self.get_queryset().model

    def _has_slug(self) -> bool:
        return any(f.name == "slug" for f in self.related_model._meta.fields)

    def to_internal_value(self, data):
        named_by = None
        if isinstance(data, dict):
            named_by, data = self._from_object(data)
        queryset = self.get_queryset()
        if isinstance(data, bool):
            self.fail("invalid")
        if named_by == "slug":
            if not self._has_slug() or "\x00" in data:
                self.fail("invalid")
            key, value = "slug", data
        elif is_digits(data) and id_from(data) is None:
            # Past any id (factbase.core.ids): no such record, not a 500.
            self.fail(
                "does_not_exist",
                model=self.related_model._meta.verbose_name,
                lookup="id",
                value=data[:20] + "…",
            )
        elif isinstance(data, int) or is_digits(data):
            key, value = "id", int(data)
        elif isinstance(data, str) and self._has_slug() and "\x00" not in data:
            key, value = "slug", data
        else:
            self.fail("invalid")
        read = self._read_already(queryset, key, value)
        if read is not None:
            return read
        try:
            return queryset.get(**{key: value})
        except ObjectDoesNotExist:
            pass
        except (TypeError, ValueError, OverflowError):
            self.fail("invalid")
        # Not an id or slug of a record: a name, an alias, or a merged record's id or slug.
        try:
            found = resolve_refs(self.related_model, [value], keys=False).get(str(value))
        except AmbiguousRef as error:
            raise serializers.ValidationError(str(error), code="ambiguous") from error
        if found is not None:
            try:
                return queryset.get(pk=found)
            except ObjectDoesNotExist:
                pass
        if key == "slug" and alias_relation(self.related_model) is not None:
            key = "slug, name or alias"
        self.fail(
            "does_not_exist", model=self.related_model._meta.verbose_name, lookup=key, value=value
        )

    def _from_object(self, data: dict) -> tuple[str, object]:
        """(`id` or `slug`, its value) of `{"id": 3}` or `{"slug": "mistral-ai"}`: one key,
        its value of its own type, looked up by that key. Another key beside it, or an id
        and a slug that could disagree, is an error, not ignored."""
        if len(data) != 1 or not data.keys() <= {"id", "slug"}:
            self.fail("invalid")
        ((key, value),) = data.items()
        if key == "id":
            of_its_type = type(value) is int or is_digits(value)  # not True: a bool
        else:
            of_its_type = isinstance(value, str)
        if not of_its_type:
            self.fail("invalid")
        return key, value

    @classmethod
    def many_init(cls, *args, **kwargs):
        # DRF's own many_init, with our list field (relations.RelatedField.many_init).
        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        list_kwargs |= {key: kwargs[key] for key in kwargs if key in MANY_RELATION_KWARGS}
        return RecordRefListField(**list_kwargs)

    def _read_already(self, queryset, key: str, value):
        """The record, when it was read with the record being written (see records_read):
        not read again. Only for a field that may name any record of its kind."""
        instance = getattr(self.root, "instance", None)
        if not isinstance(instance, models.Model) or queryset.query.has_filters():
            return None
        read = self.context.get("_records_read")
        if read is None or read[0] is not instance:
            read = self.context["_records_read"] = (instance, records_read(instance))
        return read[1].get((queryset.model, key, value))

    def to_representation(self, value):
        return brief(value, self.context)


class RecordRefListField(serializers.ManyRelatedField):
    """A list of related records (an event's companies). DRF's field takes any iterable:
    an object would be read as the list of its keys."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        records = super().to_internal_value(data)
        # A record named twice (by the same name, or by its slug and its id) would be
        # stored once, the second silently dropped: refused, naming both places.
        first: dict = {}
        for index, record in enumerate(records):
            if record.pk in first:
                raise serializers.ValidationError(
                    f"Items {first[record.pk]} and {index} name the same record "
                    f"({data[first[record.pk]]!r}, {data[index]!r}): name it once."
                )
            first[record.pk] = index
        return records


def records_read(record) -> dict:
    """The records read from the database with `record` (an update reads it under its lock
    with the records it shows and its rows: factbase.api.shape.read_queryset), by
    (model, "id", id) and, where read, (model, "slug", slug): the records its foreign
    keys hold, its prefetched rows, and theirs. Not `record` itself, which the write
    changes."""
    found, seen, todo = {}, {id(record)}, []

    def follow(obj):
        todo.extend(obj._state.fields_cache.values())
        for rows in getattr(obj, "_prefetched_objects_cache", {}).values():
            todo.extend(getattr(rows, "_result_cache", None) or ())  # as read: no query

    follow(record)
    while todo:
        obj = todo.pop()
        if not isinstance(obj, models.Model) or id(obj) in seen:
            continue
        seen.add(id(obj))
        if obj._state.adding or obj.pk is None:
            continue
        found.setdefault((type(obj), "id", obj.pk), obj)
        if "slug" in obj.__dict__:
            found.setdefault((type(obj), "slug", obj.__dict__["slug"]), obj)
        follow(obj)
    return found


def etag(instance) -> str:
    """A record's ETag: its version, which goes up with every save."""
    return f'"{instance.version}"'


def brief(obj, context) -> dict:
    """The brief form of a record, as plain attribute reads: a page shows hundreds."""
    meta = BRIEF_SERIALIZERS[type(obj)].Meta
    sources = getattr(meta, "brief_sources", {})
    data = {"id": obj.pk, "url": record_url(obj, context)}
    for name in meta.brief_fields:
        if name not in data:
            value = getattr(obj, sources.get(name, name))
            if isinstance(value, Decimal):  # a string, as the record's serializer writes it
                value = decimal_text(value)
            data[name] = value
    return data
