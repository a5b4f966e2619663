from factbase.api.routers import Router

from .views import CompanyViewSet, PersonViewSet, PlatformViewSet, ProductViewSet

router = Router()
router.register("companies", CompanyViewSet)
router.register("products", ProductViewSet)
router.register("people", PersonViewSet)
router.register("platforms", PlatformViewSet)

app_name = "companies-api"
urlpatterns = router.urls
