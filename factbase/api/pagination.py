from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    """`limit` (default 50, at most 1000) and `offset`, with next/previous links."""

    default_limit = 50
    max_limit = 1000
