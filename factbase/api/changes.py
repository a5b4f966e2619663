"""`GET /api/v1/changes/`: the change log of every kind of record, newest first; with
`after=<cursor>`, the change feed: oldest first, in commit order, for programs that keep a
copy in sync (factbase.core.feed says why nothing is missed or repeated).

Each kind keeps its versions in its own history table. A page is one UNION ALL of those
tables (the few columns that order and identify a version), sorted and cut by the
database; the page's versions are then read in full with their previous versions, one
kind at a time (see factbase.api.history.describe): the queries grow with the kinds on
the page, never with its rows. A page has no `count`: counting every version of every
table on each page would cost more than the page.
"""

import datetime
from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.db.models import CharField, Value
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from factbase.api.csv_export import cell
from factbase.core.asof import parse_moment
from factbase.core.feed import last_number
from factbase.core.ids import MAX_ID, id_from
from factbase.core.kinds import by_name, kind_of
from factbase.core.models import history_model_of
from factbase.core.text import csv_line, datetime_text

from .fields import API_ROOT
from .history import (
    HISTORY_TYPES,
    PAGE_PARAMS,
    VersionSerializer,
    describe,
    paged,
    with_previous,
)
from .pagination import Pagination, refuse_pages
from .params import StrictQueryParams

COLUMNS = ("history_id", "history_date", "history_type", "history_user_id", "change_seq")
CSV_HEADER = (
    "kind",
    "id",
    "url",
    "action",
    "at",
    "user",
    "reason",
    "fields",
    "history_id",
    "version",
    "cursor",  # last, where followers of the feed read it
)


def tracked_kinds() -> dict[str, type]:
    """Every kind of record, by the name the change log gives it (factbase.core.kinds)."""
    return {name: kind.model for name, kind in by_name().items()}


def record_url(base: str, model, row) -> str | None:
    """The API page of the record a history row is about (deleted records: their history
    page still answers). Rows without an endpoint of their own: their parent's."""
    kind = kind_of(model)
    if kind.endpoint:
        return f"{base}{kind.name}/{row.id}/"
    parent = kind_of(kind.parent_field.related_model)
    if parent is not None and parent.endpoint:
        return f"{base}{parent.name}/{getattr(row, kind.parent_field.attname)}/"
    return None


class ChangeLogEntrySerializer(VersionSerializer):
    """One entry of the change log (for the schema)."""

    kind = serializers.CharField(help_text="The kind of record: its API prefix (`companies`).")
    id = serializers.IntegerField(help_text="The record's id.")
    url = serializers.URLField(
        allow_null=True, help_text="The record's API page (its parent's, for a child row)."
    )


class ChangesPagination(Pagination):
    """limit/offset over the merged history, with no count (see the module's docstring);
    in the feed (`after`), pages by cursor."""

    cursor = None

    def paginate_queryset(self, filters, request, view=None):
        self.request = request
        self.limit = self.get_limit(request)
        if filters.after is not None:
            return self.feed_page(filters)
        self.offset = self.get_offset(request)
        if self.offset + self.limit + 1 > MAX_ID:  # each table's LIMIT is offset + limit + 1
            raise ValidationError({self.offset_query_param: ["Too large."]})
        self.count = None
        self.after = None
        self.keyset = False
        end = self.offset + self.limit + 1
        rows = list(filters.queryset(top=end)[self.offset : end])
        self.has_next = len(rows) > self.limit
        return rows[: self.limit]

    def feed_page(self, filters) -> list:
        """The first `limit` changes after the cursor; the page's last cursor, to ask
        for the next ones (the one given when there are none yet)."""
        self.count = None
        rows = list(filters.queryset(top=self.limit + 1)[: self.limit + 1])
        self.has_next = len(rows) > self.limit
        rows = rows[: self.limit]
        if not rows:
            filters.check_cursor()
        self.cursor = rows[-1][-1] if rows else filters.after
        return rows

    def get_next_link(self):
        if not self.has_next:
            return None
        url = replace_query_param(self.request.build_absolute_uri(), "limit", self.limit)
        if self.cursor is not None:
            return replace_query_param(url, "after", self.cursor)
        return replace_query_param(url, "offset", self.offset + self.limit)

    def get_previous_link(self):
        return None if self.cursor is not None else super().get_previous_link()

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        if self.cursor is not None:
            # Where to go on from, even when nothing follows yet: a poller asks again later.
            response.data["cursor"] = str(self.cursor)
        return response

    def get_schema_operation_parameters(self, view):
        return [
            p
            for p in super().get_schema_operation_parameters(view)
            if p["name"] != self.after_query_param
        ]


def split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def several(params, name: str) -> list[str]:
    """The values of a parameter of several values, comma-separated or repeated (a
    request's QueryDict), or comma-separated (a dict: a webhook's query)."""
    given = params.getlist(name) if hasattr(params, "getlist") else [params.get(name) or ""]
    return [part for raw in given for part in split(raw)]


class Filters:
    """The query's filters, checked: a bad one is a 400 naming its parameter."""

    def __init__(self, params):
        errors = {}
        kinds = tracked_kinds()
        self.kinds = kinds
        wanted = several(params, "kind")
        if wanted:
            unknown = [name for name in wanted if name not in kinds]
            if unknown:
                errors["kind"] = [f"Unknown: {', '.join(unknown)}. Known: {', '.join(kinds)}."]
            else:
                self.kinds = {name: kinds[name] for name in wanted}
        self.types = None
        wanted = several(params, "action")
        if wanted:
            unknown = [name for name in wanted if name not in HISTORY_TYPES]
            if unknown:
                errors["action"] = [
                    f"Unknown: {', '.join(unknown)}. Known: {', '.join(HISTORY_TYPES)}."
                ]
            else:
                self.types = [HISTORY_TYPES[name] for name in wanted]
        self.moments = {}
        for name, lookup in (("since", "history_date__gte"), ("until", "history_date__lte")):
            if params.get(name):
                try:
                    self.moments[lookup] = parse_moment(params[name])
                except ValueError as error:
                    errors[name] = [str(error)]
        self.user_id = None
        if params.get("user"):
            username = params["user"]
            user_id = (
                get_user_model()
                .objects.filter(username=username)
                .values_list("pk", flat=True)
                .first()
                if "\x00" not in username
                else None
            )
            if user_id is None:
                errors["user"] = [f"No user {username!r}."]
            self.user_id = user_id
        self.after = self._cursor(params, errors)
        self.record = None
        if params.get("id"):
            record = id_from(params["id"])
            if record is None:
                errors["id"] = ["Give a record's id (an integer)."]
            elif len(self.kinds) != 1 or not params.get("kind"):
                errors["id"] = ["An id names a record of one kind: give one `kind` with it."]
            else:
                self.record = record
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _cursor(params, errors: dict) -> int | None:
        raw = params.get("after")
        if raw is None:
            return None
        cursor = id_from(raw)  # None for `after=`: a 400, as on the lists
        if cursor is None:
            errors["after"] = ["Give a cursor: a change's `cursor`, or a page's, or 0."]
        elif params.get("offset"):
            errors["offset"] = ["The feed (`after`) pages by cursor: follow `next`."]
        else:
            return cursor
        return None

    def database(self) -> str:
        """The database the history is read from (a replica, when there are)."""
        return router.db_for_read(next(iter(self.kinds.values())))

    def check_cursor(self) -> None:
        """A cursor past the last change this database has numbered is a 400: a follower
        that went on from it would skip every change numbered up to it (a cursor mistyped,
        or one from another database). Asked when nothing follows the cursor: one that
        changes follow is one the database gave."""
        last = last_number(self.database())
        if self.after is not None and self.after > last:
            raise ValidationError(
                {"after": [f"No change has that cursor yet: the last is {last}."]}
            )

    def queryset(self, top: int | None = None):
        """The merged history: (kind, id, history_id, history_date, ...) rows, newest
        first, ties broken by kind and history_id so that pages never overlap; in the
        feed, the changes after the cursor in commit order.

        With `top`, only the first `top` rows are wanted: where the database allows it
        (PostgreSQL), each table gives just its own newest `top` rows, read from its
        history_date index, and only those are merged and sorted, instead of every row
        of every table."""
        connection = connections[self.database()]
        limit_branches = (
            top is not None
            and len(self.kinds) > 1
            and connection.features.supports_slicing_ordering_in_compound
        )
        branches = []
        for kind, model in self.kinds.items():
            rows = history_model_of(model)._default_manager.all()
            if self.types is not None:
                rows = rows.filter(history_type__in=self.types)
            if self.moments:
                rows = rows.filter(**self.moments)
            if self.user_id is not None:
                rows = rows.filter(history_user_id=self.user_id)
            if self.record is not None:
                rows = rows.filter(id=self.record)
            if self.after is not None:
                rows = rows.filter(change_seq__gt=self.after)
            rows = rows.annotate(record_kind=Value(kind, output_field=CharField())).values_list(
                "record_kind", "id", *COLUMNS
            )
            if limit_branches:
                rows = rows.order_by(*self.order(branch=True))[:top]
            else:
                rows = rows.order_by()
            branches.append(rows)
        merged = branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]
        return merged.order_by(*self.order())

    def order(self, *, branch: bool = False) -> tuple[str, ...]:
        if self.after is not None:
            return ("change_seq",)
        return (
            ("-history_date", "-history_id")
            if branch
            else ("-history_date", "record_kind", "-history_id")
        )


def entries(request, filters: Filters, rows) -> list[dict]:
    """The change log entries of merged rows: each kind's versions read in full, with
    their previous versions, a constant number of queries per kind on the page."""
    base = request.build_absolute_uri(API_ROOT) if request is not None else API_ROOT
    wanted: dict[str, list[int]] = {}
    for kind, _id, history_id, *_ in rows:
        wanted.setdefault(kind, []).append(history_id)
    found = {}
    for kind, history_ids in wanted.items():
        model = filters.kinds[kind]
        history_model = history_model_of(model)
        versions = list(
            with_previous(
                history_model._default_manager.filter(history_id__in=history_ids)
            ).select_related("history_user")
        )
        for version, entry in zip(versions, describe(history_model, versions), strict=True):
            found[kind, version.history_id] = {
                "kind": kind,
                "id": version.id,
                "url": record_url(base, model, version),
                **entry,
            }
    return [found[kind, history_id] for kind, _id, history_id, *_ in rows]


KIND = OpenApiParameter(
    "kind",
    OpenApiTypes.STR,
    many=True,
    style="form",
    explode=False,
    description="Kinds of record, comma-separated: `companies,metrics`. The API prefixes, "
    "and for rows written with their parent: `company-aliases`, `company-identifiers`, "
    "`roles`, `partnership-parties`.",
)
CHANGE_PARAMS = [
    *PAGE_PARAMS,
    KIND,
    OpenApiParameter("id", OpenApiTypes.INT, description="One record's id (with one `kind`)."),
    OpenApiParameter("user", OpenApiTypes.STR, description="Changes by this username."),
    OpenApiParameter(
        "action",
        OpenApiTypes.STR,
        many=True,
        enum=["create", "update", "delete"],
        style="form",
        explode=False,
        description="Comma-separated: `create`, `update`, `delete`.",
    ),
    OpenApiParameter(
        "since",
        OpenApiTypes.DATETIME,
        description="Changes at or after this time (ISO 8601; UTC unless it has an offset).",
    ),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="Changes at or before this time."),
    OpenApiParameter(
        "after",
        OpenApiTypes.STR,
        description="The change feed: the changes committed after this cursor (an entry's "
        "or a page's `cursor`; `0` for the first), oldest first, in commit order, paged by "
        "`next`; the page's `cursor` is where to go on from. A change that commits late "
        "is never skipped, none is given twice.",
    ),
    OpenApiParameter(
        "format",
        OpenApiTypes.STR,
        enum=["json", "csv"],
        description="`csv`: every matching change, one row each, streamed (no pages).",
    ),
]


class ChangeLogView(StrictQueryParams, APIView):
    """The change log of every kind of record."""

    pagination_class = ChangesPagination
    csv_chunk = 500
    repeatable_params = frozenset({"kind", "action"})

    def get_permissions(self):
        from django.conf import settings

        read_needs_login = getattr(settings, "API_READ_REQUIRES_LOGIN", False)
        return [IsAuthenticated() if read_needs_login else AllowAny()]

    @extend_schema(
        summary="Change log of every kind of record",
        description="Every create, update and delete, newest first, with its author "
        "(null for a command, named in the reason), time, reason and changed fields. "
        "Pages by limit/offset, without a count.",
        parameters=CHANGE_PARAMS,
        responses={
            (200, "application/json"): paged(
                ChangeLogEntrySerializer,
                "ChangeLogPage",
                cursor=serializers.CharField(
                    required=False,
                    help_text="On a page of the feed (`after=`): where to go on from.",
                ),
            ),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="Columns: " + ", ".join(CSV_HEADER) + " (changed field names, "
                "space-separated).",
            ),
        },
        filters=False,
    )
    def get(self, request, format=None):
        filters = Filters(request.query_params)
        if request.accepted_renderer.format == "csv":
            refuse_pages(request, ("limit", "offset"))  # `after`: the feed, from a cursor
            filters.check_cursor()
            response = StreamingHttpResponse(
                self.csv_rows(request, filters, filters.queryset()),
                content_type="text/csv; charset=utf-8",
            )
            response["Content-Disposition"] = 'attachment; filename="changes.csv"'
            return response
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(filters, request, view=self)
        return paginator.get_paginated_response(entries(request, filters, page))

    def csv_rows(self, request, filters, merged) -> Iterator[str]:
        yield csv_line(CSV_HEADER)
        chunk = []
        for row in merged.iterator(chunk_size=2000):
            chunk.append(row)
            if len(chunk) == self.csv_chunk:
                yield from self.csv_chunk_rows(request, filters, chunk)
                chunk = []
        if chunk:
            yield from self.csv_chunk_rows(request, filters, chunk)

    @staticmethod
    def csv_chunk_rows(request, filters, chunk) -> Iterator[str]:
        for entry in entries(request, filters, chunk):
            yield csv_line(
                [
                    entry["kind"],
                    entry["id"],
                    entry["url"] or "",
                    entry["action"],
                    # The CSV's form of a time, as every CSV of the API writes it (six
                    # digits of fraction), not the JSON's.
                    datetime_text(datetime.datetime.fromisoformat(entry["at"])),
                    cell(entry["user"]),
                    cell(entry["reason"]),
                    " ".join(change["field"] for change in entry["changes"]),
                    entry["history_id"],
                    cell(entry["version"]),
                    entry["cursor"] or "",
                ]
            )
