from rest_framework.routers import DefaultRouter

from .fields import API_PREFIXES


class Router(DefaultRouter):
    """Each app's router. Records each model's URL prefix for `record_url`; the API root
    listing every app's endpoints is factbase.api.urls.api_root."""

    include_root_view = False
    include_format_suffixes = False

    def register(self, prefix, viewset, basename=None):
        API_PREFIXES[viewset.queryset.model] = prefix
        super().register(prefix, viewset, basename)
