from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .health import healthz

admin.site.site_header = "Factbase"
admin.site.site_title = "Factbase admin"
admin.site.index_title = "Facts and their sources"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("factbase.api.urls")),
    path("api/v1/", include("companies.api.urls")),
    path("api/v1/", include("events.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api-auth/", include("rest_framework.urls")),
    path("healthz", healthz, name="healthz"),
]
