"""A record's versions through the API: `GET <kind>/<id>/history/` lists them newest first,
each with who, when, why and what changed; `POST <kind>/<id>/restore/` brings a deleted
record back with its citations.

The changes of a version are django-simple-history's `diff_against` its previous version.
Previous versions and many-to-many lists are read for a whole page at once (one query
each, not one per version), so a page costs the same number of queries for 5 versions
as for 500. `factbase.api.changes` builds the change log across all kinds on the same
functions.
"""

from functools import cache

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Min, OuterRef, Q, Subquery
from django.http import Http404, QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from factbase.core import reasons
from factbase.core.ids import id_from
from factbase.core.models import Citation, FactModel, history_model_of
from factbase.core.restore import RESTORED, RecordExists, record_restore
from factbase.core.text import json_value

from .fields import BRIEF_SERIALIZERS, StrictCharField, etag
from .pagination import Pagination
from .renderers import JSONRenderer
from .serializers import InputSerializer

ACTIONS = {"+": "create", "~": "update", "-": "delete"}
HISTORY_TYPES = {name: symbol for symbol, name in ACTIONS.items()}


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The record exists: there is nothing to restore."
    default_code = "conflict"


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field's name, as the API names it.")
    old = serializers.JSONField(allow_null=True, help_text="Null when the version creates.")
    new = serializers.JSONField(allow_null=True)


class FactRefSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="The kind of fact, as `fact_type` names it: `metric`.")
    id = serializers.IntegerField()


class VersionSerializer(serializers.Serializer):
    """One version of a record (for the schema; the data are built by `describe`)."""

    history_id = serializers.IntegerField(help_text="The version's id in the history.")
    version = serializers.IntegerField(
        allow_null=True, help_text="The record's `version` (its ETag) after this change."
    )
    action = serializers.ChoiceField(choices=list(HISTORY_TYPES))
    at = serializers.DateTimeField()
    user = serializers.CharField(
        allow_null=True,
        help_text="Who made the change; null for a command (its name is in `reason`).",
    )
    reason = serializers.CharField(allow_null=True)
    changes = FieldChangeSerializer(
        many=True,
        help_text="Field by field, against the previous version; for a creation, every "
        "field that has a value. Many-to-many fields hold sorted lists of ids. Then each "
        "child row the version wrote with the record (its citations, a company's aliases): "
        "`field` names the list, `old` and `new` hold the row's id and the fields it "
        "changed; `old` is null for a row added, `new` for a row removed.",
    )
    cursor = serializers.CharField(
        allow_null=True,
        help_text="The change's place in the change feed: `/api/v1/changes/?after=<cursor>` "
        "gives the changes committed after it. Opaque; compare cursors only through the feed.",
    )
    fact = FactRefSerializer(
        required=False,
        allow_null=True,
        help_text="Citations only: the fact this version cites. In `changes`, `fact_type` "
        "is the id of a content type, which only the database that wrote it knows.",
    )


def paged(serializer_class, name: str, **more):
    """The schema of a page of `serializer_class` rows, as Pagination answers; `more`, the
    fields a page of this endpoint adds (the change feed's `cursor`)."""
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(allow_null=True),
            "count_estimated": serializers.BooleanField(
                help_text="True when `count` is the database's estimate."
            ),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
            **more,
        },
    )


PAGE_PARAMS = [
    OpenApiParameter(
        "limit", {"type": "integer", "minimum": 1}, description="Rows per page (default 50)."
    ),
    OpenApiParameter("offset", {"type": "integer", "minimum": 0}, description="Rows to skip."),
]


# --- reading versions ------------------------------------------------------------------


def with_previous(queryset):
    """Annotate each history row with the history_id of the same record's version
    before it (`previous_id`, None for the first)."""
    older = (
        queryset.model._default_manager.filter(id=OuterRef("id"))
        .filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    return queryset.annotate(previous_id=Subquery(older))


def m2m_fields(history_model) -> list:
    return list(history_model._history_m2m_fields)


def m2m_lists(history_model, history_ids) -> dict[int, dict[str, list]]:
    """The many-to-many lists each version recorded: {history_id: {field: [ids]}}, one
    query per many-to-many field."""
    lists: dict[int, dict[str, list]] = {pk: {} for pk in history_ids}
    for field in m2m_fields(history_model):
        rows = getattr(history_model, field.name).model._default_manager
        target = f"{field.m2m_reverse_field_name()}_id"
        for version, related in rows.filter(history_id__in=history_ids).values_list(
            "history_id", target
        ):
            lists[version].setdefault(field.name, []).append(related)
    for fields in lists.values():
        for values in fields.values():
            values.sort()
    return lists


@cache
def api_names(model) -> dict[str, str]:
    """Model field name -> the name the API gives it, where they differ (a source's
    `url` is `source_url`, a citation's `object_id` is `fact_id`)."""
    serializer_class = BRIEF_SERIALIZERS.get(model)
    if serializer_class is None:
        return {}
    names = {}
    for name, field in serializer_class().fields.items():
        source = field.source
        if source not in (name, "*") and "." not in source:
            names[source] = name
    return names


plain = json_value  # a value as JSON shows it, as the API's serializers write it


def is_empty(value) -> bool:
    return value is None or value == "" or value == []


@cache
def generic_references(model) -> list[GenericForeignKey]:
    """The generic foreign keys of `model` (a citation's `fact`)."""
    return [f for f in model._meta.private_fields if isinstance(f, GenericForeignKey)]


def generic_reference(row, field: GenericForeignKey) -> dict | None:
    """The record a generic foreign key of a version names, by kind and id: its content
    type's id means nothing outside the database that holds it (a mirror's, say)."""
    type_id = getattr(row, row._meta.get_field(field.ct_field).attname)
    if type_id is None:
        return None
    content_type = ContentType.objects.get_for_id(type_id)  # cached: no query per row
    return {"type": content_type.model, "id": getattr(row, field.fk_field)}


def describe(history_model, rows) -> list[dict]:
    """The API's view of history rows of one model (annotated by `with_previous`, users
    joined): their versions with their changes. Two queries, plus one per many-to-many
    field, however many rows. A citation's version also names its `fact`."""
    model = history_model.instance_type
    references = generic_references(model)
    previous_ids = {row.previous_id for row in rows if row.previous_id is not None}
    previous = (
        {
            row.history_id: row
            for row in history_model._default_manager.filter(history_id__in=previous_ids)
        }
        if previous_ids
        else {}
    )
    m2m_names = [field.name for field in m2m_fields(history_model)]
    lists = (
        m2m_lists(history_model, [row.history_id for row in rows] + list(previous))
        if m2m_names
        else {}
    )
    fields = [
        f.name for f in history_model.tracked_fields if f.editable and f.name not in m2m_names
    ]
    names = api_names(model)
    described = []
    for row in rows:
        before = previous.get(row.previous_id)
        if before is None:
            changes = [
                (name, None, value) for name, value in _values(row, fields, m2m_names, lists)
            ]
        else:
            delta = row.diff_against(before, excluded_fields=m2m_names)
            changes = [(change.field, change.old, change.new) for change in delta.changes]
            for name in m2m_names:
                old = lists[before.history_id].get(name, [])
                new = lists[row.history_id].get(name, [])
                # A deleted record's links go before it does: its last row lists none.
                if old != new and row.history_type != "-":
                    changes.append((name, old, new))
        changes.sort(key=lambda change: change[0])
        user = row.history_user
        described.append(
            {
                "history_id": row.history_id,
                "version": getattr(row, "version", None),
                "action": ACTIONS.get(row.history_type, row.history_type),
                "at": plain(row.history_date),
                "user": user.username if user is not None else None,
                "reason": row.history_change_reason,
                "changes": [
                    {"field": names.get(name, name), "old": plain(old), "new": plain(new)}
                    for name, old, new in changes
                ],
                "cursor": None if row.change_seq is None else str(row.change_seq),
            }
        )
        for field in references:
            described[-1][field.name] = generic_reference(row, field)
    return described


def _values(row, fields, m2m_names, lists) -> list[tuple[str, object]]:
    """The fields of history row `row` that hold a value, as a creation lists them."""
    meta = row._meta
    values = [(name, getattr(row, meta.get_field(name).attname)) for name in fields]
    values += [(name, lists[row.history_id].get(name, [])) for name in m2m_names]
    return [(name, value) for name, value in values if not is_empty(value)]


# --- the child rows a version wrote -----------------------------------------------------


@cache
def child_lists(model) -> list[tuple[str, type, str, dict, frozenset]]:
    """The lists of child rows written with a record of `model` (its citations, the
    serializer's `Meta.children`: a company's aliases): (the list's API name, the child's
    history model, the column holding the record's id, what else names the record (a
    citation's content type), the child's API field names to leave out: those it takes
    from its parent)."""
    found = []
    if issubclass(model, FactModel):
        content_type = ContentType.objects.get_for_model(model)
        found.append(
            (
                "citations",
                history_model_of(Citation),
                "object_id",
                {"content_type_id": content_type.pk},
                frozenset({"fact_type", "fact_id"}),
            )
        )
    serializer_class = BRIEF_SERIALIZERS.get(model)
    for name in getattr(getattr(serializer_class, "Meta", None), "children", {}):
        relation = model._meta.get_field(name)
        child = relation.related_model
        names = api_names(child)
        inherited = (relation.field.name, *getattr(child, "inherits_from_parent", ()))
        found.append(
            (
                name,
                history_model_of(child),
                relation.field.attname,
                {},
                frozenset(names.get(field, field) for field in inherited),
            )
        )
    return found


def child_changes(model, pk, versions) -> dict:
    """The child rows each of `versions` (history rows of record `pk`) wrote with it, as
    changes of the version: {history_id: [change]}. A write stamps the record and every
    row it writes with one instant (services.clock.one_instant), so a row belongs to the
    record's first version of the same instant. Each change names the list (`citations`)
    and gives the row's id with the fields it changed: `old` null for a row added, `new`
    null for one removed. One query a list; where a list has rows at these instants,
    three more for it and one for the page, however many versions."""
    instants = list({row.history_date for row in versions})
    found: dict = {row.history_id: [] for row in versions}
    first_at = None  # instant -> the record's first version then, on this page or not
    for name, history_model, link, also, own in child_lists(model) if instants else ():
        manager = history_model._default_manager
        # The rows that named the record at any time: those of its list at these instants,
        # and those that left it then for another record (a merge, or its undo).
        named = manager.filter(**{link: pk}, **also).values("id")
        rows = manager.filter(id__in=named, **also, history_date__in=instants)
        # Found first by a plain statement: most versions write no rows, and the one that
        # reads them with their previous versions costs more to build than to run.
        found_ids = list(rows.values_list("history_id", flat=True))
        if not found_ids:
            continue
        if first_at is None:
            first_at = _first_versions(model, pk, instants)
        rows = with_previous(
            manager.filter(history_id__in=found_ids).select_related("history_user")
        ).order_by("id", "history_date", "history_id")
        order = _field_names(history_model)
        child = history_model.instance_type
        parent = child._meta.get_field(link).name  # the link, as its changes name it
        parent = api_names(child).get(parent, parent)
        for row, version in zip(rows, describe(history_model, rows), strict=True):
            changes = {c["field"]: (c["old"], c["new"]) for c in version["changes"]}
            changed = [key for key in order if key in changes and key not in own]
            listed = getattr(row, link) == pk
            moved = row.history_type == "~" and parent in changes
            if not listed and not (moved and changes[parent][0] == pk):
                continue  # another record's row then, before and after
            if row.history_type == "-" or (moved and not listed):
                # Removed, or moved to another record: what it held in this list.
                old = _row_values(history_model, row, own)
                old.update((key, changes[key][0]) for key in changed)
                new = None
            elif row.history_type == "+" or moved:  # added, or moved here from another
                old, new = None, _row_values(history_model, row, own)
            elif changed:
                old = {"id": row.id, **{key: changes[key][0] for key in changed}}
                new = {"id": row.id, **{key: changes[key][1] for key in changed}}
            else:
                continue
            version = first_at.get(row.history_date)
            if version in found:
                found[version].append({"field": name, "old": old, "new": new})
    return found


def _first_versions(model, pk, instants) -> dict:
    """The first version of record `pk` at each of `instants`: one write may make two (a
    many-to-many list set after the record, a restore), and the rows it wrote are the
    first's, which comes before them (services.record_write)."""
    rows = (
        history_model_of(model)
        ._default_manager.filter(id=pk, history_date__in=instants)
        .order_by()
        .values("history_date")
        .annotate(first=Min("history_id"))
        .values_list("history_date", "first")
    )
    return dict(rows)


def _field_names(history_model) -> list[str]:
    """The API's names of a model's tracked fields, in the model's order."""
    names = api_names(history_model.instance_type)
    return [names.get(f.name, f.name) for f in history_model.tracked_fields if f.editable]


def _row_values(history_model, row, own) -> dict:
    """A child's values that its history row holds, under the API's names, in the model's
    order: what a row added or removed held."""
    names = api_names(history_model.instance_type)
    fields = [f.name for f in history_model.tracked_fields if f.editable]
    return {
        names.get(name, name): plain(value)
        for name, value in [("id", row.id), *_values(row, fields, (), {})]
        if names.get(name, name) not in own
    }


def record_pk(model, lookup: str, *, deleted_too: bool) -> int:
    """The id a URL names: an id (of a deleted record too, when `deleted_too`), or the
    slug of an existing record. Http404 if it names none."""
    pk = id_from(lookup)
    if pk is not None:
        if model._default_manager.filter(pk=pk).exists():
            return pk
        if deleted_too and model.history.filter(id=pk).exists():
            return pk
    elif any(f.name == "slug" for f in model._meta.fields) and "\x00" not in lookup:
        pk = model._default_manager.filter(slug=lookup).values_list("pk", flat=True).first()
        if pk is not None:
            return pk
    raise Http404(f"No {model._meta.verbose_name} {lookup!r}.")


# --- the viewset actions ---------------------------------------------------------------


class RestoreSerializer(InputSerializer):
    reason = StrictCharField(
        required=False,
        allow_blank=True,
        help_text="Why you restore it (or the X-Change-Reason header); the history says "
        f"'Restored: <reason>', so it has at most {reasons.room(RESTORED)} characters.",
    )

    def validate_reason(self, value):
        try:
            reasons.reason_text(value, prefix=RESTORED)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error
        return value


class HistoryMixin:
    """`history` and `restore` actions for RecordViewSet."""

    @extend_schema(
        summary="Versions of the record, newest first",
        description="Each version with its author, time, reason and the fields it changed "
        "(old and new values). Works for a deleted record too, by its id.",
        parameters=PAGE_PARAMS,
        responses={200: paged(VersionSerializer, "VersionPage")},
        filters=False,
    )
    # JSON only: the change log's CSV (`/changes/?format=csv&kind=...&id=...`) has a
    # record's versions one row each.
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, BrowsableAPIRenderer])
    def history(self, request, *args, **kwargs):
        model = self.get_serializer_class().Meta.model
        lookup = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        pk = record_pk(model, lookup, deleted_too=True)
        history_model = history_model_of(model)
        rows = with_previous(
            history_model._default_manager.filter(id=pk).select_related("history_user")
        ).order_by("-history_date", "-history_id")
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        described = describe(history_model, page)
        rows_written = child_changes(model, pk, page)
        for version in described:
            version["changes"] += rows_written[version["history_id"]]
        return paginator.get_paginated_response(described)

    @extend_schema(
        summary="Restore a deleted record",
        description="Brings back a deleted record as it was when deleted, with its "
        "citations and the child rows deleted with it. Needs the permission to create "
        "records of its kind. 404 if no record ever had this id, 409 if it exists; 400 "
        "(naming the field) if it refers to a record that is itself deleted.",
        request=RestoreSerializer,
        parameters=[
            OpenApiParameter(
                "X-Change-Reason",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Why you restore it, if the body has no `reason`.",
            )
        ],
        responses={201: OpenApiResponse(description="The restored record, as `GET` shows it.")},
        filters=False,
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, *args, **kwargs):
        from .views import change_reason

        model = self.get_serializer_class().Meta.model
        lookup = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        if id_from(lookup) is None:
            raise Http404(f"No {model._meta.verbose_name} {lookup!r}: name a deleted one by id.")
        # No body is no reason given; any other body is an object (`0`, `[]` or `null` is
        # a 400, not no body).
        data = request.data
        if isinstance(data, QueryDict) and not data:
            data = {}
        body = RestoreSerializer(data=data)
        body.is_valid(raise_exception=True)
        reason = body.validated_data.get("reason")
        if reason and "X-Change-Reason" in request.headers:
            raise serializers.ValidationError(
                {
                    "reason": [
                        "Given twice: in the body and in the X-Change-Reason header. Give it once."
                    ]
                }
            )
        reason = reason or change_reason(request, prefix=RESTORED)
        user = request.user if request.user.is_authenticated else None
        try:
            record_restore(model, int(lookup), user=user, reason=reason)
        except RecordExists as error:
            raise Conflict(str(error)) from error
        except model.DoesNotExist as error:
            raise Http404(str(error)) from error
        instance = self.get_queryset().get(pk=int(lookup))
        response = Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)
        response["ETag"] = etag(instance)
        return response
