"""`?as_of=<time>` on reads: the answer the API would have given at that instant."""

from django.db import router
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from factbase.core.asof import parse_moment, recorded_at

AS_OF_PARAM = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATETIME,
    description="Read the records as they were recorded at this instant (ISO 8601; UTC "
    "unless it has an offset; a date means its first instant): later edits undone, "
    "records created later absent, records deleted later present. Works with every filter "
    "and with CSV.",
)
READS = {"GET", "HEAD", "OPTIONS"}


class AsOfMixin:
    """Runs a read with `as_of` inside `recorded_at`, so the whole request (filters,
    pages, related records, citations) sees that instant. A streamed CSV re-enters it
    while the rows are read. The block covers the database this request reads from (a
    replica, when there are: factbase.core.routing)."""

    as_of = None
    as_of_using = None
    # Reads of records; a record's history and the change log are about time already.
    as_of_actions = ("list", "retrieve")

    def dispatch(self, request, *args, **kwargs):
        raw = request.GET.get("as_of") or None  # given empty: refused by the parameters' check
        action = getattr(self, "action_map", {}).get(request.method.lower())
        if raw is None or request.method not in READS or action not in self.as_of_actions:
            return super().dispatch(request, *args, **kwargs)
        try:
            moment = parse_moment(raw)
        except ValueError:
            return super().dispatch(request, *args, **kwargs)  # initial() answers 400
        self.as_of_using = router.db_for_read(self.get_queryset().model)
        with recorded_at(moment, using=self.as_of_using):
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raw = request.query_params.get("as_of") or None
        if raw is None:
            return
        if request.method not in READS:
            raise ValidationError({"as_of": ["as_of reads the past; it cannot change it."]})
        if self.action not in self.as_of_actions:
            raise ValidationError({"as_of": ["as_of is for lists and single records."]})
        try:
            self.as_of = parse_moment(raw)
        except ValueError as error:
            raise ValidationError({"as_of": [str(error)]}) from error

    def stream_as_of(self, rows):
        """The rows of a streamed answer, read at `as_of` when there is one: the stream is
        read after the view has returned, outside the request's time-travel block."""
        if self.as_of is None:
            return rows
        return _read_at(self.as_of, rows, self.as_of_using)


def _read_at(moment, rows, using):
    with recorded_at(moment, using=using):
        yield from rows
