from factbase.api.csv_export import columns
from factbase.api.views import AUDIT_COLUMNS, FACT_COLUMNS, RecordViewSet

from .. import selectors
from ..filters import CompanyFilterSet, PersonFilterSet, PlatformFilterSet, ProductFilterSet
from .serializers import (
    CompanySerializer,
    PersonSerializer,
    PlatformSerializer,
    ProductSerializer,
)


class CompanyViewSet(RecordViewSet):
    queryset = selectors.company_list()
    serializer_class = CompanySerializer
    filterset_class = CompanyFilterSet
    ordering_fields = ["id", "name", "slug", "country", "founded_on", "created_at", "updated_at"]
    csv_filename = "companies"
    csv_columns = columns(
        "id",
        "name",
        "slug",
        "kind",
        "country",
        "headquarters",
        "founded_on",
        "founded_precision",
        "website",
        "description",
        *FACT_COLUMNS,
        *AUDIT_COLUMNS,
    )


class ProductViewSet(RecordViewSet):
    queryset = selectors.product_list()
    serializer_class = ProductSerializer
    filterset_class = ProductFilterSet
    ordering_fields = ["id", "name", "slug", "launched_on", "created_at", "updated_at"]
    csv_filename = "products"
    csv_columns = columns(
        "id",
        "name",
        "slug",
        ("company_id", "company_id", "company"),
        ("company_name", "company__name", "company"),
        ("company_slug", "company__slug", "company"),
        "kind",
        "audience",
        "launched_on",
        "launched_precision",
        "description",
        *FACT_COLUMNS,
        *AUDIT_COLUMNS,
    )


class PersonViewSet(RecordViewSet):
    queryset = selectors.person_list()
    serializer_class = PersonSerializer
    filterset_class = PersonFilterSet
    ordering_fields = ["id", "name", "slug", "created_at", "updated_at"]
    csv_filename = "people"
    csv_columns = columns(
        "id", "name", "slug", "description", "wikidata_id", *FACT_COLUMNS, *AUDIT_COLUMNS
    )


class PlatformViewSet(RecordViewSet):
    queryset = selectors.platform_list()
    serializer_class = PlatformSerializer
    filterset_class = PlatformFilterSet
    ordering_fields = ["id", "name", "slug"]
    csv_filename = "platforms"
    csv_columns = columns("id", "slug", "name", *AUDIT_COLUMNS)
