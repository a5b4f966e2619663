from django.core.exceptions import ImproperlyConfigured
from rest_framework.routers import DefaultRouter

from factbase.core.kinds import kind_of


class Router(DefaultRouter):
    """Each app's router. A record kind's endpoint is registered under the name its kind
    declares (factbase.core.kinds), which links and the change log use too; the API root
    listing every endpoint is factbase.api.urls.api_root."""

    include_root_view = False
    include_format_suffixes = False

    def register(self, prefix, viewset, basename=None):
        model = viewset.serializer_class.Meta.model
        basename = basename or model._meta.model_name
        kind = kind_of(model)
        if kind is not None and (kind.name, kind.endpoint) != (prefix, True):
            raise ImproperlyConfigured(
                f"{viewset.__name__} is registered as {prefix!r}; its kind says "
                f"{kind.name!r}{'' if kind.endpoint else ', without an endpoint'}."
            )
        super().register(prefix, viewset, basename)
