"""API views of the provenance core: sources and citations."""

from factbase.core import selectors

from .filters import CitationFilterSet, SourceFilterSet
from .serializers import CitationSerializer, SourceSerializer
from .shape import read_queryset
from .views import RecordViewSet


class SourceViewSet(RecordViewSet):
    serializer_class = SourceSerializer
    filterset_class = SourceFilterSet
    ordering_fields = ["id", "title", "publisher", "published_on", "created_at", "updated_at"]


class CitationViewSet(RecordViewSet):
    serializer_class = CitationSerializer
    filterset_class = CitationFilterSet
    ordering_fields = ["id", "created_at", "updated_at"]

    def get_queryset(self):
        # A citation shows its fact, of any kind: one query per kind of fact for a page.
        return read_queryset(CitationSerializer, selectors.citation_list())
