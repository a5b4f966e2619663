from factbase.api.csv_export import columns
from factbase.api.views import AUDIT_COLUMNS, FACT_COLUMNS, RecordViewSet

from .. import selectors
from ..filters import (
    EventFilterSet,
    FundingRoundFilterSet,
    InvestmentFilterSet,
    MetricFilterSet,
    MetricTypeFilterSet,
    PartnershipFilterSet,
)
from .serializers import (
    QUANTITY_FIELDS,
    EventSerializer,
    FundingRoundSerializer,
    InvestmentSerializer,
    MetricSerializer,
    MetricTypeSerializer,
    PartnershipSerializer,
)

# A quantity's CSV columns are its API fields, flat already.
QUANTITY_COLUMNS = QUANTITY_FIELDS


def ref(field: str, *attributes: str):
    """CSV columns for a related record: its id, then the named attributes."""
    return [(f"{field}_id", f"{field}_id", field)] + [
        (f"{field}_{attribute}", f"{field}__{attribute}", field) for attribute in attributes
    ]


class PartnershipViewSet(RecordViewSet):
    queryset = selectors.partnership_list()
    serializer_class = PartnershipSerializer
    filterset_class = PartnershipFilterSet
    ordering_fields = ["id", "title", "announced_on", "starts_on", "created_at", "updated_at"]
    csv_filename = "partnerships"
    csv_columns = columns(
        "id",
        "title",
        "kind",
        "stage",
        "summary",
        "announced_on",
        "announced_precision",
        "starts_on",
        "starts_precision",
        "starts_expected",
        "ends_on",
        "ends_precision",
        "ends_expected",
        *FACT_COLUMNS,
        *AUDIT_COLUMNS,
    )


class FundingRoundViewSet(RecordViewSet):
    queryset = selectors.funding_round_list()
    serializer_class = FundingRoundSerializer
    filterset_class = FundingRoundFilterSet
    ordering_fields = ["id", "announced_on", "value", "created_at", "updated_at"]
    csv_filename = "funding-rounds"
    csv_columns = columns(
        "id",
        *ref("company", "name", "slug"),
        "round_type",
        "announced_on",
        "announced_precision",
        *QUANTITY_COLUMNS,
        "valuation",
        *FACT_COLUMNS,
        *AUDIT_COLUMNS,
    )


class InvestmentViewSet(RecordViewSet):
    queryset = selectors.investment_list()
    serializer_class = InvestmentSerializer
    filterset_class = InvestmentFilterSet
    ordering_fields = ["id", "value", "created_at", "updated_at"]
    csv_filename = "investments"
    csv_columns = columns(
        "id",
        *ref("investor", "name", "slug"),
        *ref("company", "name", "slug"),
        *ref("funding_round"),
        "is_lead",
        *QUANTITY_COLUMNS,
        "description",
        *FACT_COLUMNS,
        *AUDIT_COLUMNS,
    )


class MetricTypeViewSet(RecordViewSet):
    queryset = selectors.metric_type_list()
    serializer_class = MetricTypeSerializer
    filterset_class = MetricTypeFilterSet
    ordering_fields = ["id", "name", "slug"]
    csv_filename = "metric-types"
    csv_columns = columns("id", "slug", "name", "unit_kind", "description", *AUDIT_COLUMNS)


class MetricViewSet(RecordViewSet):
    queryset = selectors.metric_list()
    serializer_class = MetricSerializer
    filterset_class = MetricFilterSet
    ordering_fields = ["id", "value", "period_start", "period_until", "created_at", "updated_at"]
    csv_filename = "metrics"
    csv_columns = columns(
        "id",
        *ref("company", "name", "slug"),
        *ref("product", "name", "slug"),
        *ref("metric_type", "slug"),
        *QUANTITY_COLUMNS,
        "unit",
        "period_start",
        "period_end",
        "period_precision",
        "period_until",
        "window_days",
        "window_anchor",
        *ref("anchor_event"),
        "region",
        *ref("platform", "slug"),
        *FACT_COLUMNS,
        *AUDIT_COLUMNS,
    )


class EventViewSet(RecordViewSet):
    queryset = selectors.event_list()
    serializer_class = EventSerializer
    filterset_class = EventFilterSet
    ordering_fields = ["id", "title", "occurred_on", "created_at", "updated_at"]
    csv_filename = "events"
    csv_columns = columns(
        "id",
        "title",
        "kind",
        "summary",
        "occurred_on",
        "occurred_precision",
        "ends_on",
        "place",
        "country",
        *ref("part_of"),
        *FACT_COLUMNS,
        *AUDIT_COLUMNS,
    )
