from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse

from factbase.core.kinds import kinds
from factbase.webhooks.api.views import SubscriptionViewSet

from .changes import ChangeLogView
from .facts.views import FactQueueViewSet
from .merging import MergeViewSet
from .routers import Router
from .snapshots import SnapshotViewSet
from .sources import CitationViewSet, SourceViewSet

router = Router()
router.register("sources", SourceViewSet)
router.register("citations", CitationViewSet)
router.register("snapshots", SnapshotViewSet)
router.register("webhooks", SubscriptionViewSet, basename="webhook")
router.register("merges", MergeViewSet)


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request, format=None):
    """Factbase API: every kind of record, with its list endpoint."""
    return Response(
        {
            name: request.build_absolute_uri(f"/api/v1/{name}/")
            for name in sorted(
                [kind.name for kind in kinds() if kind.endpoint]
                + ["snapshots", "webhooks", "merges", "conflicts"]
            )
        }
        | {"changes": reverse("factbase-api:changes", request=request)}
        | {"facts": reverse("factbase-api:facts", request=request)}
        | {"schema": reverse("schema", request=request), "docs": reverse("docs", request=request)}
    )


app_name = "factbase-api"
urlpatterns = [
    path("", api_root, name="root"),
    path("changes/", ChangeLogView.as_view(), name="changes"),
    # Not a kind: facts of every kind, so not registered with the router.
    path("facts/", FactQueueViewSet.as_view({"get": "list"}), name="facts"),
    *router.urls,
]
