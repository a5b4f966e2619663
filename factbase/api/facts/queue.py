"""The queue's rows, sorted and cut by the database: one UNION ALL over the tables of the
kinds asked for, each filtered by the queue's FilterSet, of the few columns that identify
and order a fact (kind, id, updated_at, and its source count when the order needs it).
The page's facts are then read in full, one query per kind on the page
(factbase.api.facts.entries), so a page costs the same for 5 rows as for 1000.

Counting: a filtered queue is counted exactly. Without any condition on rows, on
PostgreSQL, the count is the planner's estimate when that is above the lists'
`Pagination.ESTIMATE_ABOVE`, as for every other list of a whole large table.
"""

from django.db import connections
from django.db.models import CharField, Value
from rest_framework.utils.urls import replace_query_param

from factbase.core.corroboration import source_count_expression
from factbase.core.kinds import by_name

from ..pagination import MAX_OFFSET, Pagination
from ..planner import planned_rows

# Each ordering, with the tie-break that makes it total: a kind's ids are unique.
ORDER = {
    "-updated_at": ("-updated_at", "record_kind", "-id"),
    "updated_at": ("updated_at", "record_kind", "id"),
    "source_count": ("source_count", "-updated_at", "record_kind", "-id"),
    "-source_count": ("-source_count", "-updated_at", "record_kind", "-id"),
}
COLUMNS = ("record_kind", "id", "updated_at")


def union_all(branches: list):
    return branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]


class FactQueue:
    """The facts a validated FactQueueFilterSet selects, in its order."""

    def __init__(self, filterset):
        self.filterset = filterset
        kinds = by_name()
        self.kinds = {name: kinds[name] for name in filterset.chosen_kinds()}
        self.order = ORDER[filterset.chosen_ordering()]
        # Counting every fact's sources costs a pass over the citations: only when the
        # order needs it. A page's own counts are read with its records.
        self.counted = any(term.lstrip("-") == "source_count" for term in self.order)

    def branches(self, *, ordered: bool = True):
        """Each kind's filtered rows; with `ordered`, with what the order reads."""
        # `kind=,` names no kind: no rows, from a query of the same columns.
        tables = {name: kind.model for name, kind in self.kinds.items()} or {
            "": self.filterset.queryset.model
        }
        for name, model in tables.items():
            rows = self.filterset.filter_queryset(model._default_manager.all())
            if not self.kinds:
                rows = rows.none()
            rows = rows.annotate(record_kind=Value(name, output_field=CharField()))
            columns = COLUMNS
            if ordered and self.counted:
                rows = rows.annotate(source_count=source_count_expression(model))
                columns = (*COLUMNS, "source_count")
            yield rows.values_list(*columns)

    @property
    def filtered(self) -> bool:
        return any(rows.query.where for rows in self.branches(ordered=False))

    def rows(self, top: int | None = None):
        """(kind, id, updated_at[, source_count]) of every fact in the queue, in order.

        With `top`, only the first `top` rows are wanted: where the database allows it
        (PostgreSQL), each table gives just its own first `top` rows, and only those are
        merged and sorted, as the change log does (factbase.api.changes)."""
        connection = connections[self.filterset.queryset.db]
        limit_branches = (
            top is not None
            and len(self.kinds) > 1
            and connection.features.supports_slicing_ordering_in_compound
        )
        branches = [
            rows.order_by(*self.order)[:top] if limit_branches else rows.order_by()
            for rows in self.branches()
        ]
        return union_all(branches).order_by(*self.order)

    def count(self, estimate_above: int) -> tuple[int, bool]:
        """The number of facts in the queue, and whether it is the planner's estimate."""
        rows = union_all([rows.order_by() for rows in self.branches(ordered=False)])
        connection = connections[rows.db]
        if connection.vendor == "postgresql" and not self.filtered:
            sql, params = rows.query.sql_with_params()
            with connection.cursor() as cursor:
                estimate = planned_rows(cursor, sql, params)
            if estimate > estimate_above:
                return estimate, True
        return rows.count(), False


class FactQueuePagination(Pagination):
    """limit/offset over the queue (no `after`: ids do not order facts of several kinds),
    with a count as the other lists give it."""

    def paginate_queryset(self, queue: FactQueue, request, view=None):
        self.request = request
        self.after, self.keyset, self.last_id = None, False, None
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        end = self.offset + self.limit + 1
        # An offset past any table reads nothing, as in the other lists (and each
        # table's LIMIT, offset + limit + 1, must stay a 64-bit integer).
        rows = [] if self.offset > MAX_OFFSET else list(queue.rows(top=end)[self.offset : end])
        self.has_next = len(rows) > self.limit
        page = rows[: self.limit]
        if not self.has_next and (page or not self.offset):
            # The last page says how many there are without counting them.
            self.count, self.count_estimated = self.offset + len(page), False
        else:
            self.count, self.count_estimated = queue.count(self.ESTIMATE_ABOVE)
        self.display_page_controls = self.count > self.limit
        return page

    def get_next_link(self):
        if not self.has_next:
            return None
        url = replace_query_param(self.request.build_absolute_uri(), "limit", self.limit)
        return replace_query_param(url, "offset", self.offset + self.limit)

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        count = response["properties"]["count"]
        count.pop("nullable", None)  # every page of the queue is counted
        count["description"] = "The planner's estimate when `count_estimated` is true."
        return response

    def get_schema_operation_parameters(self, view):
        return [
            p
            for p in super().get_schema_operation_parameters(view)
            if p["name"] != self.after_query_param
        ]
