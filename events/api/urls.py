from factbase.api.routers import Router

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
urlpatterns = router.urls
