"""Pages of `limit` rows (default 50, at most 1000), by `offset` or by `after`.

`offset` is what people type; PostgreSQL must still walk past every skipped row, so a page
at offset 500,000 costs far more than the first. In the default order (by id) the `next`
links therefore use keyset pagination instead, `after=<last id>`: every page, however deep,
costs what the first one does. A keyset page has no `count` (null): counting a million rows
on every page would cost more than the page.

Nor is a million rows counted for the first page of a whole table: on PostgreSQL, a list
without filters takes the planner's estimate of its rows when that is above
`ESTIMATE_ABOVE`, and says so (`count_estimated: true`). Filtered lists are counted.

On PostgreSQL a count is counted once per state of the database and then taken from its
own cache (`counted_once`): the same filters asked again before any write cost one read
of a row instead of a count; a count at a past instant (`as_of`), rebuilt from the
history tables version by version, costs far more. It stays exact: the key holds the
change feed's clock row, which every versioned write changes (factbase.core.feed).
"""

import hashlib

from django.core.cache import caches
from django.core.exceptions import EmptyResultSet
from django.db import connections
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from factbase.core.asof import reading_at
from factbase.core.feed import clock_state
from factbase.core.ids import id_from

from .planner import planned_rows

MAX_OFFSET = 2**62


def row_id(row) -> int:
    """A page's row is a record or, read straight from the database, a dict."""
    return row["id"] if isinstance(row, dict) else row.pk


def planner_rows(queryset) -> int:
    """PostgreSQL's estimate of the rows `queryset` gives: planned, not run."""
    sql, params = queryset.values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        return planned_rows(cursor, sql, params)


# How long a count at a past instant is kept; a write makes it unreachable before then.
# Short, for what the key cannot see: a database restored from a physical backup takes
# transaction ids (the key's xmin) back to where they were.
COUNT_SECONDS = 600


def counted_once(queryset, moment=None) -> int:
    """`queryset.count()`, now or at `moment` (inside its `recorded_at` block), counted
    once per state of the database. The state is the change clock's row as the query's
    database has it: its number (every versioned write takes one) and its `xmin` (the
    transaction that last wrote the row, which a restored snapshot's new clock changes too
    even at the same number). Read before the count, so that a count is never filed under
    an older state than the one it saw."""
    try:
        # The rows, not their order: one count serves every `ordering=`.
        sql, params = queryset.order_by().query.sql_with_params()
    except EmptyResultSet:  # a filter that matches nothing (`company__in=[]`)
        return 0
    connection = connections[queryset.db]
    state = clock_state(queryset.db)
    if state is None:  # no clock (an emptied database): no state to file a count under
        return queryset.count()
    where = [connection.settings_dict[name] for name in ("HOST", "PORT", "NAME")]
    at = moment.isoformat() if moment is not None else "now"
    key = hashlib.sha256(repr((where, at, state, sql, params)).encode()).hexdigest()
    found = caches["counts"].get(f"count-at:{key}")
    if found is None:
        found = queryset.count()
        caches["counts"].set(f"count-at:{key}", found, COUNT_SECONDS)
    return found


def refuse_pages(request, names=("limit", "offset", "after")) -> None:
    """A CSV holds every matching row, streamed: a paging parameter given with it is a 400
    naming it, not ignored (a client resuming an export with `after=` would get every row
    again)."""
    given = [name for name in names if name in request.query_params]
    if given:
        raise ValidationError(
            {name: ["A CSV holds every matching row: it has no pages."] for name in given}
        )


class StrictLimitOffset(LimitOffsetPagination):
    """`limit` and `offset` that are not whole numbers (`limit=abc`, `offset=-5`,
    `limit=0`) are a 400 naming the parameter: DRF's paging reads them as its defaults,
    answering a page nobody asked for. A limit above `max_limit` is that maximum, as the
    schema says."""

    def get_limit(self, request):
        raw = request.query_params.get(self.limit_query_param, "")
        if raw == "":
            return self.default_limit
        return min(_whole(raw, self.limit_query_param, minimum=1), self.max_limit)

    def get_offset(self, request):
        raw = request.query_params.get(self.offset_query_param, "")
        if raw == "":
            return 0
        return _whole(raw, self.offset_query_param, minimum=0)

    def get_schema_operation_parameters(self, view):
        # The schema says the least each takes, as get_limit and get_offset check it.
        least = {self.limit_query_param: 1, self.offset_query_param: 0}
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in least:
                parameter["schema"] = {**parameter["schema"], "minimum": least[parameter["name"]]}
        return parameters


def _whole(raw: str, param: str, *, minimum: int) -> int:
    if not (raw.isascii() and raw.isdigit()) or int(raw[:20]) < minimum:
        raise ValidationError({param: [f"Give a whole number, {minimum} or more."]})
    # Past any table either way; int() refuses over 4,300 digits.
    return int(raw) if len(raw) <= 30 else 10**30


class Pagination(StrictLimitOffset):
    default_limit = 50
    max_limit = 1000
    after_query_param = "after"
    ESTIMATE_ABOVE = 100_000
    count_estimated = False

    def get_count(self, queryset):
        self.count_estimated = False
        unfiltered = not queryset.query.where
        postgresql = connections[queryset.db].vendor == "postgresql"
        if unfiltered and postgresql:
            estimate = planner_rows(queryset)
            if estimate > self.ESTIMATE_ABOVE:
                self.count_estimated = True
                return estimate
        if postgresql:
            return counted_once(queryset, reading_at())
        return super().get_count(queryset)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count,
                "count_estimated": self.count_estimated,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.after = self.get_after(request)
        self.keyset = self.after is not None or self.by_id(queryset)
        if self.after is None:
            # One row more than the page says whether another follows, whatever the count
            # (an estimate, for a whole large table); a page that is not full gives the
            # count without counting.
            self.limit = self.get_limit(request)
            self.offset = self.get_offset(request)
            # An offset past any table (past 64-bit integers, even) reads nothing.
            far = self.offset > MAX_OFFSET
            rows = [] if far else list(queryset[self.offset : self.offset + self.limit + 1])
            self.has_next = len(rows) > self.limit
            page = rows[: self.limit]
            if not self.has_next and (page or not self.offset):
                self.count, self.count_estimated = self.offset + len(page), False
            else:
                self.count = self.get_count(queryset)
                if self.count_estimated and rows:
                    # Statistics older than the table may estimate fewer rows than this
                    # request has just read: never fewer than those. (An empty page past
                    # the end reads none: its offset says nothing of the count.)
                    self.count = max(self.count, self.offset + len(rows))
            self.display_page_controls = self.count > self.limit
            self.last_id = row_id(page[-1]) if page else None
            return page
        self.limit = self.get_limit(request)
        self.offset = None
        self.count = None
        rows = list(queryset.filter(pk__gt=self.after)[: self.limit + 1])
        self.has_next = len(rows) > self.limit
        page = rows[: self.limit]
        self.last_id = row_id(page[-1]) if page else None
        return page

    @staticmethod
    def by_id(queryset) -> bool:
        return list(queryset.query.order_by) in (["id"], ["pk"])

    def get_after(self, request) -> int | None:
        raw = request.query_params.get(self.after_query_param)
        if raw is None:
            return None
        after = id_from(raw)
        if after is None:
            raise ValidationError({self.after_query_param: ["Give the id of the last row seen."]})
        if self.offset_query_param in request.query_params:
            raise ValidationError({self.after_query_param: ["Use either after or offset."]})
        if request.query_params.get("ordering", "id") not in ("id", ""):
            raise ValidationError({self.after_query_param: ["after works with ordering=id only."]})
        return after

    def get_next_link(self):
        if not self.has_next:
            return None
        if self.keyset and self.last_id is not None:
            url = remove_query_param(self.request.build_absolute_uri(), self.offset_query_param)
            url = replace_query_param(url, self.limit_query_param, self.limit)
            return replace_query_param(url, self.after_query_param, self.last_id)
        url = replace_query_param(
            self.request.build_absolute_uri(), self.limit_query_param, self.limit
        )
        return replace_query_param(url, self.offset_query_param, self.offset + self.limit)

    def get_previous_link(self):
        if self.after is not None:
            return None  # a keyset page knows what follows it, not what came before
        return super().get_previous_link()

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["nullable"] = True
        response["properties"]["count"]["description"] = (
            "Null on pages reached by `after`; the planner's estimate when "
            "`count_estimated` is true."
        )
        response["properties"]["count_estimated"] = {
            "type": "boolean",
            "description": "True when `count` is the database's estimate: a whole table "
            f"of more than {self.ESTIMATE_ABOVE:,} rows is not counted for each page.",
        }
        return response

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.after_query_param,
                "required": False,
                "in": "query",
                "description": "Keyset pagination: rows after this id (the next links use it).",
                "schema": {"type": "integer"},
            },
        ]
