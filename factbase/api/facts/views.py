"""`GET /api/v1/facts/`: the endpoint of the review queue."""

from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets

from factbase.core.choices import ClaimType, Confidence, Status
from factbase.core.kinds import by_name
from factbase.core.text import csv_line

from ..asof import AS_OF_PARAM, AsOfMixin
from ..fields import API_ROOT
from ..pagination import refuse_pages
from ..params import StrictQueryParams
from .entries import CSV_HEADER, csv_line_cells, entries
from .filters import FactQueueFilterSet, fact_kind_names
from .queue import FactQueue, FactQueuePagination

FORMAT_PARAM = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", "csv"],
    description="`csv`: every matching fact, one row each, streamed (no pages).",
)


class FactSubjectSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="`company`, `product`, `person`, `partnership`...")
    id = serializers.IntegerField()
    url = serializers.URLField(allow_null=True)
    slug = serializers.CharField(allow_null=True, help_text="Null for a record without one.")
    name = serializers.CharField(help_text="Its name, or its title.")


# For the schema: the rows themselves are built by entries.entry.
class FactEntrySerializer(serializers.Serializer):
    """One fact of the review queue."""

    kind = serializers.CharField(help_text="The kind of fact: its API prefix (`metrics`).")
    id = serializers.IntegerField()
    url = serializers.URLField(
        allow_null=True, help_text="The fact's API page; null for a kind without one (roles)."
    )
    subject = FactSubjectSerializer(
        help_text="What the fact is about: a company, product or person, or the fact itself."
    )
    summary = serializers.CharField(help_text="The fact in one line.")
    status = serializers.ChoiceField(choices=Status.choices)
    confidence = serializers.ChoiceField(choices=Confidence.choices)
    claim_type = serializers.ChoiceField(choices=ClaimType.choices)
    source_count = serializers.IntegerField(
        help_text="Independent sources among its citations: one publisher counts once."
    )
    updated_at = serializers.DateTimeField()


class FactQueueViewSet(StrictQueryParams, AsOfMixin, viewsets.GenericViewSet):
    """Every fact of every kind in one list, to review: by status, confidence, type of
    claim, citations and independent sources, newest change first."""

    serializer_class = FactEntrySerializer
    filter_backends = [DjangoFilterBackend]  # for the schema and the parameters it accepts
    filterset_class = FactQueueFilterSet
    pagination_class = FactQueuePagination
    csv_chunk = 1000  # facts read per query of each kind, in a CSV

    def get_queryset(self):
        # The permission check and the schema's filter types ask for a model: any fact's
        # will do, all share the columns filtered. The rows come from every kind (list).
        return by_name()[fact_kind_names()[0]].model._default_manager.none()

    @extend_schema(
        summary="Review queue: every fact of every kind",
        description="Facts of every kind in one list, each with its kind, subject, summary, "
        "status, confidence, type of claim and independent sources; newest change first.",
        parameters=[AS_OF_PARAM, FORMAT_PARAM],
        responses={
            (200, "application/json"): FactEntrySerializer(many=True),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="Columns: " + ", ".join(CSV_HEADER) + "."
            ),
        },
    )
    def list(self, request, *args, **kwargs):
        queue = FactQueue(self.valid_filterset())
        base = request.build_absolute_uri(API_ROOT)
        if request.accepted_renderer.format == "csv":
            refuse_pages(request)
            rows = self.stream_as_of(self.csv_rows(queue))
            response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="facts.csv"'
            return response
        page = self.paginate_queryset(queue)
        return self.get_paginated_response(entries(queue.kinds, page, base))

    def valid_filterset(self) -> FactQueueFilterSet:
        backend = DjangoFilterBackend()
        filterset = backend.get_filterset(self.request, self.get_queryset(), self)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return filterset

    def csv_rows(self, queue: FactQueue) -> Iterator[str]:
        yield csv_line(CSV_HEADER)
        chunk = []
        for row in queue.rows().iterator(chunk_size=2000):
            chunk.append(row)
            if len(chunk) == self.csv_chunk:
                yield "".join(csv_line(cells) for cells in csv_line_cells(queue.kinds, chunk))
                chunk = []
        if chunk:
            yield "".join(csv_line(cells) for cells in csv_line_cells(queue.kinds, chunk))
