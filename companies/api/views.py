from factbase.api.merging import MergeMixin
from factbase.api.views import RecordViewSet
from factbase.resolution.api import DuplicateCheckMixin

from ..filters import CompanyFilterSet, PersonFilterSet, PlatformFilterSet, ProductFilterSet
from .serializers import (
    CompanySerializer,
    PersonSerializer,
    PlatformSerializer,
    ProductSerializer,
)


class CompanyViewSet(MergeMixin, DuplicateCheckMixin, RecordViewSet):
    serializer_class = CompanySerializer
    filterset_class = CompanyFilterSet
    ordering_fields = ["id", "name", "slug", "country", "founded_on", "created_at", "updated_at"]


class ProductViewSet(MergeMixin, DuplicateCheckMixin, RecordViewSet):
    serializer_class = ProductSerializer
    filterset_class = ProductFilterSet
    ordering_fields = ["id", "name", "slug", "launched_on", "created_at", "updated_at"]


class PersonViewSet(MergeMixin, DuplicateCheckMixin, RecordViewSet):
    serializer_class = PersonSerializer
    filterset_class = PersonFilterSet
    ordering_fields = ["id", "name", "slug", "created_at", "updated_at"]


class PlatformViewSet(RecordViewSet):
    serializer_class = PlatformSerializer
    filterset_class = PlatformFilterSet
    ordering_fields = ["id", "name", "slug"]
