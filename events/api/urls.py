from django.urls import path

from factbase.api.routers import Router

from .conflicts import ConflictViewSet
from .views import (
    EventViewSet,
    FundingRoundViewSet,
    InvestmentViewSet,
    MetricTypeViewSet,
    MetricViewSet,
    PartnershipViewSet,
)

router = Router()
router.register("partnerships", PartnershipViewSet)
router.register("funding-rounds", FundingRoundViewSet)
router.register("investments", InvestmentViewSet)
router.register("metric-types", MetricTypeViewSet)
router.register("metrics", MetricViewSet)
router.register("events", EventViewSet)

app_name = "events-api"
urlpatterns = [
    # Not a record kind: pairs of metrics, so not registered with the router.
    path("conflicts/", ConflictViewSet.as_view({"get": "list"}), name="conflict-list"),
    path(
        "conflicts/resolve/",
        ConflictViewSet.as_view({"post": "resolve"}),
        name="conflict-resolve",
    ),
    *router.urls,
]
