"""The viewset every record kind uses: list/retrieve/create/update/delete, lookups by id
or slug, `fields=` and `brief=`, stable ordering, streaming CSV, and ETag/If-Match so an
update never silently overwrites someone else's."""

import re

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections, router, transaction
from django.db.models import F, prefetch_related_objects
from django.http import Http404, StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import filters, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from factbase.api.csv_export import check_query, select_columns, stream_rows
from factbase.core.feed import hold
from factbase.core.ids import id_from, is_digits
from factbase.core.kinds import kind_of
from factbase.core.reasons import reason_text
from factbase.core.services import RecordInvalid, VersionConflict, record_delete, record_write
from factbase.imports.api import ImportActionMixin

from .asof import AS_OF_PARAM, AsOfMixin
from .exceptions import PreconditionFailed, PreconditionRequired
from .fields import etag
from .history import HistoryMixin
from .pagination import Pagination, refuse_pages
from .params import StrictQueryParams, boolean_param
from .rows import Reader, detail_row
from .shape import csv_columns, read_queryset, serializer_fields

FIELDS_PARAM = OpenApiParameter(
    "fields",
    OpenApiTypes.STR,
    description="Comma-separated fields to return (JSON and CSV), e.g. `id,value,region`. "
    "Only those are in the answer: this is why a record's properties are not marked required.",
)
BRIEF_PARAM = OpenApiParameter(
    "brief",
    OpenApiTypes.BOOL,
    description="Return the brief form of each record (the fields other records show of it).",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The ETag you read (`"3"`): if the record has changed since, 412 and no change.',
)
REASON = OpenApiParameter(
    "X-Change-Reason",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Why you make this change; kept in the record's history (100 characters).",
)


class StableOrderingFilter(filters.OrderingFilter):
    """Ordering with ties broken by id, so pages never repeat or skip a row. A field that
    cannot order the list is a 400 naming it (DRF drops it silently); the schema lists the
    accepted values."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or ["id"])
        if "id" not in ordering and "-id" not in ordering:
            ordering.append("id")
        return ordering

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        return queryset.order_by(*nulls_as_postgresql(queryset, ordering))

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = self.choices(queryset, view, request)
        unknown = [term for term in fields if term.strip() not in valid]
        if unknown:
            raise ValidationError(
                {
                    self.ordering_param: [
                        f"Cannot order by {', '.join(unknown)}. Accepted: {', '.join(valid)} "
                        "(comma-separated; a leading - for descending)."
                    ]
                }
            )
        return [term.strip() for term in fields]

    def choices(self, queryset, view, request=None) -> list[str]:
        names = [name for name, _ in self.get_valid_fields(queryset, view, {"request": request})]
        return [term for name in names for term in (name, f"-{name}")]

    def get_schema_operation_parameters(self, view):
        queryset = view.get_queryset() if hasattr(view, "get_queryset") else None
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Order by these fields, comma-separated; a leading - for "
                "descending. Ties are broken by id.",
                "schema": {
                    "type": "array",
                    "items": {"type": "string", "enum": self.choices(queryset, view)},
                },
                "style": "form",
                "explode": False,
            }
        ]


def nulls_as_postgresql(queryset, ordering: list[str]) -> list:
    """`ordering` with empty values where PostgreSQL puts them, on every database: last in
    ascending order, first in descending. SQLite puts them first in ascending order, and
    the same data would come in another order. PostgreSQL's own terms are left as they
    are (the same order, and the same statements as ever)."""
    if connections[queryset.db].vendor == "postgresql":
        return ordering
    terms = []
    for term in ordering:
        name = term.lstrip("-")
        try:
            nullable = queryset.model._meta.get_field(name).null
        except FieldDoesNotExist:  # an annotation or a path: never empty here
            nullable = False
        if not nullable:
            terms.append(term)
        elif term.startswith("-"):
            terms.append(F(name).desc(nulls_first=True))
        else:
            terms.append(F(name).asc(nulls_last=True))
    return terms


REASON_NOT_UTF8 = "Send the reason's text in UTF-8."


def change_reason(request, *, prefix: str = "") -> str:
    """The X-Change-Reason header; a 400 naming the header when it would not fit in
    history after `prefix`, the words the write adds before it (factbase.core.reasons)."""
    raw = request.headers.get("X-Change-Reason", "")
    try:
        # A WSGI server gives a header's bytes as Latin-1 (PEP 3333); a client sends the
        # reason's text in UTF-8, as HTTP's newer header fields are.
        reason = raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise serializers.ValidationError({"X-Change-Reason": [REASON_NOT_UTF8]}) from None
    try:
        reason_text(reason, prefix=prefix)
    except DjangoValidationError as error:
        raise serializers.ValidationError({"X-Change-Reason": error.messages}) from error
    return reason


# An entity-tag (RFC 9110, 8.8.3), strong or weak; a bare version (3) is read too.
_ETAG = r'(?:W/)?(?:"[\x21\x23-\x7e\x80-\xff]*"|[\x21\x23-\x2b\x2d-\x7e\x80-\xff]+)'
IF_MATCH_SYNTAX = re.compile(rf"[ \t]*{_ETAG}(?:[ \t]*,[ \t]*{_ETAG})*[ \t]*")
# More digits than any version can have (a version is a positive 32-bit integer): such a
# header is an error, not a version to compare (and int() refuses over 4,300 digits).
VERSION_DIGITS = 10


def parse_if_match(request) -> int | None:
    """The version named by If-Match, None without one. `*` matches any version. A header
    that is not an entity-tag is a 400 naming it; an entity-tag this API never gives
    (`"abc"`, a list) matches no version: 412."""
    header = request.headers.get("If-Match")
    if header is None and settings.API_REQUIRE_IF_MATCH:
        raise PreconditionRequired()
    if header is None or header.strip() == "*":
        return None
    if not IF_MATCH_SYNTAX.fullmatch(header):
        raise serializers.ValidationError(
            {"If-Match": ['Not an ETag: give the ETag you read, such as "3" (or *).']}
        )
    value = header.strip().removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdigit()):  # not "²", which int() refuses
        raise PreconditionFailed('If-Match must be an ETag of this API, such as "3".')
    value = value.lstrip("0") or "0"
    if len(value) > VERSION_DIGITS:
        raise serializers.ValidationError(
            {
                "If-Match": [
                    f"A version has at most {VERSION_DIGITS} digits: give the ETag you "
                    'read, such as "3".'
                ]
            }
        )
    return int(value)


@extend_schema_view(
    list=extend_schema(parameters=[FIELDS_PARAM, BRIEF_PARAM, AS_OF_PARAM]),
    retrieve=extend_schema(parameters=[FIELDS_PARAM, BRIEF_PARAM, AS_OF_PARAM]),
    create=extend_schema(parameters=[REASON]),
    update=extend_schema(parameters=[IF_MATCH, REASON]),
    partial_update=extend_schema(parameters=[IF_MATCH, REASON]),
    destroy=extend_schema(parameters=[IF_MATCH, REASON]),
)
class RecordViewSet(
    StrictQueryParams, HistoryMixin, ImportActionMixin, AsOfMixin, viewsets.ModelViewSet
):
    """Subclasses set `serializer_class`, `filterset_class` and `ordering_fields`. The
    query, the CSV's columns and its file name follow from the serializer and the kind
    (factbase.api.shape); a subclass sets `queryset` only to start from more than the
    serializer shows (a citation's fact)."""

    pagination_class = Pagination
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    ordering = ["id"]
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        if self.queryset is not None:
            return self.queryset.all()
        return read_queryset(self.serializer_class)

    def row_queryset(self):
        """What a row reader (factbase.api.rows) reads from: this view's queryset, without
        the joins and prefetches a reader does not use (each clone of a query with joins
        to follow copies them deeply, and filtering clones it several times)."""
        if self.queryset is None and type(self).get_queryset is RecordViewSet.get_queryset:
            # get_queryset holds no row back: the model's rows, without building its
            # joins and prefetches (read_queryset, for the serializer) to drop them.
            return self.serializer_class.Meta.model._default_manager.all()
        return self.get_queryset().select_related(None).prefetch_related(None)

    @property
    def csv_columns(self):
        return csv_columns(self.serializer_class)

    @property
    def csv_filename(self) -> str:
        return kind_of(self.serializer_class.Meta.model).name

    def lookup(self) -> tuple[str, str]:
        """The URL's record: by id (digits) or by slug, for kinds that have one."""
        lookup = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        model = self.get_serializer_class().Meta.model
        has_slug = any(f.name == "slug" for f in model._meta.fields)
        # Digits past any id, and NUL (which PostgreSQL refuses in text), name no record:
        # 404, not 500 (factbase.core.ids).
        if is_digits(lookup):
            if id_from(lookup) is None:
                raise Http404(f"No {model._meta.verbose_name} {lookup[:20] + '…'!r}.")
            key = "pk"
        elif has_slug and "\x00" not in lookup:
            key = "slug"
        else:
            raise Http404(f"No {model._meta.verbose_name} {lookup!r}.")
        self.kwargs = {**self.kwargs, self.lookup_field: lookup}
        return key, lookup

    def get_object(self):
        queryset = self.filter_queryset(self.get_queryset())
        key, lookup = self.lookup()
        found = queryset.filter(**{key: lookup})
        if self.action in ("update", "partial_update"):
            # Read under its row lock, in the transaction of the write (update()); by id,
            # as FOR UPDATE refuses what a filter may add (DISTINCT).
            found = (
                self.get_queryset()
                .select_for_update(of=("self",))
                .filter(pk__in=found.values("pk"))
            )
        obj = found.first()
        if obj is None:
            raise self.missing(lookup)
        self.check_object_permissions(self.request, obj)
        return obj

    def missing(self, lookup: str) -> Exception:
        """What a URL naming no record answers: 404. A record merged into another says
        where it went (factbase.api.merging.MergeMixin)."""
        model = self.get_serializer_class().Meta.model
        return Http404(f"No {model._meta.verbose_name} {lookup!r}.")

    def requested_fields(self) -> tuple[str, ...] | None:
        """The names `fields=` gives, in its order, once each: the API's field names, or a
        CSV column's header (`company_slug`), which in JSON stands for its field."""
        raw = self.request.query_params.get("fields")
        if raw is None:
            return None
        given = [name.strip() for name in raw.split(",")]
        names = tuple(dict.fromkeys(name for name in given if name))
        if not names:
            # `fields=` or `fields=,`: not every field, which leaving it out asks for.
            raise serializers.ValidationError({"fields": ["Name at least one field."]})
        if "" in given:
            # `fields=id,` or `fields=id,,name`: a name left out, perhaps the one wanted.
            raise serializers.ValidationError(
                {"fields": ["An empty name in the list: separate names with single commas."]}
            )
        known = serializer_fields(self.get_serializer_class())
        headers = {c.header: c.field for c in self.csv_columns}
        unknown = [name for name in names if name not in known and name not in headers]
        if unknown:
            detail = (
                f"Unknown: {', '.join(unknown)}. Known: {', '.join(sorted(known))}; or a CSV "
                f"column's name: {', '.join(h for h in headers if h not in known)}."
            )
            raise serializers.ValidationError({"fields": [detail]})
        return names

    def json_fields(self) -> tuple[str, ...] | None:
        """The fields of a JSON answer, in the order asked: a CSV header is its field."""
        names = self.requested_fields()
        if names is None:
            return None
        known = serializer_fields(self.get_serializer_class())
        headers = {c.header: c.field for c in self.csv_columns}
        return tuple(dict.fromkeys(n if n in known else headers[n] for n in names))

    def wants_brief(self) -> bool:
        # A word it does not know (`brief=ture`) is a 400, not a full answer.
        brief = boolean_param(self.request, "brief")
        if brief and "fields" in self.request.query_params:
            # One would be ignored, and an unknown field in it never named.
            raise ValidationError(
                {
                    "brief": [
                        "Give brief=1 (the brief form) or fields= (the fields named), not both."
                    ]
                }
            )
        return brief

    def get_serializer(self, *args, **kwargs):
        if self.request is not None and self.request.method == "GET":
            brief = self.wants_brief()
            kwargs.setdefault("nested", brief)
            if not brief:
                kwargs.setdefault("fields", self.json_fields())
        return super().get_serializer(*args, **kwargs)

    def reader(self) -> Reader | None:
        """The row reader of this request's shape (`brief=`, `fields=`), if the kind's
        serializer can be read from rows."""
        brief = self.wants_brief()
        fields = None if brief else self.json_fields()
        return Reader.cached(self.get_serializer_class(), nested=brief, fields=fields)

    # --- reads ------------------------------------------------------------------------

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format == "csv":
            refuse_pages(request)
            return self.csv_response(self.filter_queryset(self.get_queryset()))
        reader = self.reader()
        if reader is None:
            return super().list(request, *args, **kwargs)
        rows = reader.rows(self.filter_queryset(self.row_queryset()))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(reader.render(page, self.get_serializer_context()))

    def csv_response(self, queryset, filename: str | None = None):
        """The CSV of `queryset`'s rows, with the columns `fields=` picks (all of them by
        default), streamed."""
        if boolean_param(self.request, "brief"):  # brief=0 asks for what a CSV is anyway
            raise ValidationError(
                {"brief": ["A CSV has a record's columns, not its brief form: pick with fields=."]}
            )
        names = self.requested_fields()
        cols = select_columns(self.csv_columns, names)
        missing = [n for n in names or () if not select_columns(self.csv_columns, [n])]
        if missing:
            # Asked for and not in the file: an error, not a column silently left out.
            raise serializers.ValidationError(
                {"fields": [f"Not in the CSV: {', '.join(missing)} (JSON only)."]}
            )
        planned = check_query(queryset, cols)
        rows = self.stream_as_of(stream_rows(queryset, cols, planned_rows=planned))
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        filename = filename or self.csv_filename
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response

    def retrieve(self, request, *args, **kwargs):
        if request.accepted_renderer.format == "csv":
            # The record's row of its list's CSV: the same columns, in the same forms.
            key, lookup = self.lookup()
            queryset = self.get_queryset().filter(**{key: lookup})
            if not queryset.exists():
                raise self.missing(lookup)
            return self.csv_response(queryset, f"{self.csv_filename}-{lookup}")
        reader = self.reader()
        if reader is None:
            instance = self.get_object()
            response = Response(self.get_serializer(instance).data)
            response["ETag"] = etag(instance)
            return response
        key, lookup = self.lookup()
        # Not through the filter backends: a detail takes no filter parameter (the strict
        # check refuses them), and a filter set without one filters nothing, at the cost of
        # building its form.
        row = detail_row(reader, self.row_queryset(), key, lookup, extra=("version",))
        if row is None:
            raise self.missing(lookup)
        self.check_object_permissions(request, row)
        response = Response(reader.render([row], self.get_serializer_context())[0])
        response["ETag"] = f'"{row["version"]}"'
        return response

    # --- writes -----------------------------------------------------------------------

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.write(self.get_queryset().model(), serializer, expected_version=None)
        return self.written(instance, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        # One transaction: the record is read once, under its row lock (get_object), and
        # no other writer changes it before it is written.
        with transaction.atomic():
            hold(router.db_for_write(self.get_queryset().model))  # before the row lock
            instance = self.get_object()
            expected = parse_if_match(request)
            if expected is not None and instance.version != expected:
                raise PreconditionFailed()
            serializer = self.get_serializer(
                instance, data=request.data, partial=kwargs.get("partial", False)
            )
            serializer.is_valid(raise_exception=True)
            instance = self.write(instance, serializer, expected_version=expected, locked=True)
        return self.written(instance, status.HTTP_200_OK)

    def write(self, instance, serializer, *, expected_version, locked=False):
        """Validated data to the write service; its refusals as the API's errors, under
        the API's field names. The serializer validates and renders; it does not write."""
        fields, m2m, children = serializer.split()
        user = self.request.user
        try:
            return record_write(
                instance,
                fields=fields,
                m2m=m2m,
                children=children,
                user=user if user.is_authenticated else None,
                reason=change_reason(self.request),
                expected_version=expected_version,
                locked=locked,
            )
        except RecordInvalid as error:
            raise ValidationError(serializer.api_errors(error.errors)) from error

    def written(self, instance, code):
        # Lists the write changed (the services drop them) are read again, with what they
        # show; the others are as read with the record, under its lock.
        prefetch_related_objects([instance], *self.get_queryset()._prefetch_related_lookups)
        data = self.get_serializer(instance).data
        response = Response(data, status=code)
        response["ETag"] = etag(instance)
        if code == status.HTTP_201_CREATED and "url" in data:
            response["Location"] = data["url"]
        return response

    def perform_destroy(self, instance):
        expected = parse_if_match(self.request)
        with transaction.atomic():
            hold(router.db_for_write(type(instance)))  # before the row lock
            current = type(instance).objects.select_for_update().get(pk=instance.pk)
            if expected is not None and current.version != expected:
                raise VersionConflict(instance, current.version)
            user = self.request.user if self.request.user.is_authenticated else None
            record_delete(current, user=user, reason=change_reason(self.request))
