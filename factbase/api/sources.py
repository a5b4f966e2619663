"""API views of the provenance core: sources and citations."""

from factbase.api.csv_export import columns
from factbase.core import selectors

from .filters import CitationFilterSet, SourceFilterSet
from .serializers import CitationSerializer, SourceSerializer
from .views import AUDIT_COLUMNS, RecordViewSet


class SourceViewSet(RecordViewSet):
    queryset = selectors.source_list()
    serializer_class = SourceSerializer
    filterset_class = SourceFilterSet
    ordering_fields = ["id", "title", "publisher", "published_on", "created_at", "updated_at"]
    csv_filename = "sources"
    csv_columns = columns(
        "id",
        "title",
        "publisher",
        "author",
        ("source_url", "url"),
        "published_on",
        "published_precision",
        "language",
        "kind",
        "retrieved_at",
        "text_sha256",
        *AUDIT_COLUMNS,
    )


class CitationViewSet(RecordViewSet):
    queryset = selectors.citation_list()
    serializer_class = CitationSerializer
    filterset_class = CitationFilterSet
    ordering_fields = ["id", "created_at", "updated_at"]
    csv_filename = "citations"
    csv_columns = columns(
        "id",
        ("fact_type", "content_type__model"),
        ("fact_id", "object_id"),
        ("source_id", "source_id", "source"),
        ("source_title", "source__title", "source"),
        "quote",
        "translation",
        "char_start",
        "char_end",
        "locator",
        "field_name",
        ("attributed_to_id", "attributed_to_id", "attributed_to"),
        ("attributed_to_name", "attributed_to__name", "attributed_to"),
        *AUDIT_COLUMNS,
    )
