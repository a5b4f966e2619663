"""Pages of `limit` rows (default 50, at most 1000), by `offset` or by `after`.

`offset` is what people type; PostgreSQL must still walk past every skipped row, so a page
at offset 500,000 costs far more than the first. In the default order (by id) the `next`
links therefore use keyset pagination instead, `after=<last id>`: every page, however deep,
costs what the first one does. A keyset page has no `count` (null): counting a million rows
on every page would cost more than the page.
"""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param


def row_id(row) -> int:
    """A page's row is a record or, read straight from the database, a dict."""
    return row["id"] if isinstance(row, dict) else row.pk


class Pagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 1000
    after_query_param = "after"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.after = self.get_after(request)
        self.keyset = self.after is not None or self.by_id(queryset)
        if self.after is None:
            page = super().paginate_queryset(queryset, request, view)
            self.last_id = row_id(page[-1]) if page else None
            self.has_next = self.offset + self.limit < self.count
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
        if not (raw.isascii() and raw.isdigit()):
            raise ValidationError({self.after_query_param: ["Give the id of the last row seen."]})
        if self.offset_query_param in request.query_params:
            raise ValidationError({self.after_query_param: ["Use either after or offset."]})
        if request.query_params.get("ordering", "id") not in ("id", ""):
            raise ValidationError({self.after_query_param: ["after works with ordering=id only."]})
        return int(raw)

    def get_next_link(self):
        if not self.has_next:
            return None
        if self.keyset and self.last_id is not None:
            url = remove_query_param(self.request.build_absolute_uri(), self.offset_query_param)
            url = replace_query_param(url, self.limit_query_param, self.limit)
            return replace_query_param(url, self.after_query_param, self.last_id)
        return super().get_next_link()

    def get_previous_link(self):
        if self.after is not None:
            return None  # a keyset page knows what follows it, not what came before
        return super().get_previous_link()

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["nullable"] = True
        response["properties"]["count"]["description"] = "Null on pages reached by `after`."
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
