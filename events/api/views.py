from factbase.api.views import RecordViewSet

from ..filters import (
    EventFilterSet,
    FundingRoundFilterSet,
    InvestmentFilterSet,
    MetricFilterSet,
    MetricTypeFilterSet,
    PartnershipFilterSet,
)
from .serializers import (
    EventSerializer,
    FundingRoundSerializer,
    InvestmentSerializer,
    MetricSerializer,
    MetricTypeSerializer,
    PartnershipSerializer,
)


class PartnershipViewSet(RecordViewSet):
    serializer_class = PartnershipSerializer
    filterset_class = PartnershipFilterSet
    ordering_fields = ["id", "title", "announced_on", "starts_on", "created_at", "updated_at"]


class FundingRoundViewSet(RecordViewSet):
    serializer_class = FundingRoundSerializer
    filterset_class = FundingRoundFilterSet
    ordering_fields = ["id", "announced_on", "value", "value_usd", "created_at", "updated_at"]


class InvestmentViewSet(RecordViewSet):
    serializer_class = InvestmentSerializer
    filterset_class = InvestmentFilterSet
    ordering_fields = ["id", "value", "value_usd", "created_at", "updated_at"]


class MetricTypeViewSet(RecordViewSet):
    serializer_class = MetricTypeSerializer
    filterset_class = MetricTypeFilterSet
    ordering_fields = ["id", "name", "slug"]


class MetricViewSet(RecordViewSet):
    serializer_class = MetricSerializer
    filterset_class = MetricFilterSet
    ordering_fields = [
        "id",
        "value",
        "value_usd",
        "period_start",
        "period_until",
        "created_at",
        "updated_at",
    ]


class EventViewSet(RecordViewSet):
    serializer_class = EventSerializer
    filterset_class = EventFilterSet
    ordering_fields = ["id", "title", "occurred_on", "created_at", "updated_at"]
