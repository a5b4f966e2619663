from django.contrib import admin
from django.urls import include, path, reverse_lazy
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .front import front_door
from .health import healthz

admin.site.site_header = "Factbase"
admin.site.site_title = "Factbase admin"
admin.site.index_title = "Facts and their sources"
admin.site.site_url = reverse_lazy("front")  # "View site": the front door

urlpatterns = [
    path("", front_door, name="front"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("factbase.api.urls")),
    path("api/v1/", include("companies.api.urls")),
    path("api/v1/", include("events.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script, as CSP asks.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("api-auth/", include("rest_framework.urls")),
    path("healthz", healthz, name="healthz"),
]
