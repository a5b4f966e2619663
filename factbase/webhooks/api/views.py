"""`/api/v1/webhooks/`: staff with the webhooks permissions list, create, change and delete
subscriptions, replay one from a cursor, retry one now, and read its delivery log. Every
write goes through factbase.webhooks.services."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from factbase.api.history import PAGE_PARAMS, paged
from factbase.api.pagination import StrictLimitOffset
from factbase.api.params import StrictQueryParams
from factbase.api.renderers import JSONRenderer

from .. import services
from ..models import Outcome, Subscription
from .serializers import (
    DeliveryAttemptSerializer,
    ReplaySerializer,
    SubscriptionCreatedSerializer,
    SubscriptionSerializer,
)


class StaffWithPermissions(DjangoModelPermissions):
    """Staff only, with the model's permissions: view to read, add to create, change to
    change, replay and retry, delete to delete. A subscription sends every change to a
    URL of its maker's choosing; it is not for every account that may read."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }
    changing_actions = {"replay", "retry"}

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        if getattr(view, "action", None) in self.changing_actions:
            model = view.get_queryset().model
            return user.has_perms(self.get_required_permissions("PATCH", model))
        return super().has_permission(request, view)


class WebhookPagination(StrictLimitOffset):
    default_limit = 50
    max_limit = 1000


OUTCOME = OpenApiParameter(
    "outcome",
    OpenApiTypes.STR,
    enum=list(Outcome.values),
    description="Only the attempts that were delivered, or only those that failed.",
)


@extend_schema_view(
    list=extend_schema(summary="Webhook subscriptions", description="Oldest first."),
    retrieve=extend_schema(
        summary="One webhook subscription",
        description="Its target, kinds and delivery state; the secret only as a hint.",
    ),
    destroy=extend_schema(
        summary="Delete a webhook subscription",
        description="With its delivery log. Nothing more is sent to it.",
    ),
)
class SubscriptionViewSet(StrictQueryParams, viewsets.ModelViewSet):
    """Webhooks: each change of the change feed POSTed, signed, to the subscription's URL.
    See docs/api.md ("Webhooks")."""

    queryset = Subscription.objects.select_related("created_by", "updated_by").order_by("id")
    serializer_class = SubscriptionSerializer
    permission_classes = [StaffWithPermissions]
    pagination_class = WebhookPagination
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    lookup_value_regex = "[^/]+"  # any id: a bad one is a JSON 404, not an HTML one
    filter_backends = []

    @extend_schema(
        summary="Create a webhook subscription",
        description="It is sent every change committed after its creation. The answer "
        "holds the secret in full, the only time it is shown.",
        responses={201: SubscriptionCreatedSerializer},
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription, secret = services.subscription_create(
            user=request.user, **serializer.validated_data
        )
        data = SubscriptionCreatedSerializer(subscription, context=self.get_serializer_context())
        return Response({**data.data, "secret": secret}, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a webhook subscription",
        description="A new `secret` signs the next deliveries (it is not shown back).",
    )
    def update(self, request, *args, **kwargs):
        subscription = self.get_object()
        serializer = self.get_serializer(
            subscription, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        subscription = services.subscription_update(
            subscription, user=request.user, **serializer.validated_data
        )
        return Response(self.get_serializer(subscription).data)

    @extend_schema(summary="Change some fields of a webhook subscription")
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.subscription_delete(self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Replay from a cursor",
        description="Deliver again every change after `after`, in order: the "
        "subscription's cursor is set to it. Needs the change permission.",
        request=ReplaySerializer,
        responses={200: SubscriptionSerializer},
    )
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        subscription = self.get_object()
        body = ReplaySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        subscription = services.subscription_replay(
            subscription, user=request.user, after=body.validated_data["after"]
        )
        return Response(self.get_serializer(subscription).data)

    @extend_schema(
        summary="Retry now",
        description="Attempt the waiting change now rather than when the backoff says (no "
        "body, or an empty object). Needs the change permission.",
        request=None,
        responses={200: SubscriptionSerializer},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        subscription = self.get_object()
        if request.data:
            raise serializers.ValidationError(
                {"non_field_errors": ["A retry takes no body, or an empty object."]}
            )
        subscription = services.subscription_retry(subscription, user=request.user)
        return Response(self.get_serializer(subscription).data)

    @extend_schema(
        summary="The delivery log of a webhook subscription",
        description="Every attempt, newest first: when, the change's cursor, the status "
        "code or the error, how long it took.",
        parameters=[*PAGE_PARAMS, OUTCOME],
        responses={200: paged(DeliveryAttemptSerializer, "DeliveryAttemptPage")},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        subscription = self.get_object()
        attempts = subscription.attempts.order_by("-id")
        outcome = request.query_params.get("outcome")
        if outcome:
            if outcome not in Outcome.values:
                raise serializers.ValidationError(
                    {"outcome": [f"One of: {', '.join(Outcome.values)}."]}
                )
            attempts = attempts.filter(outcome=outcome)
        paginator = WebhookPagination()
        page = paginator.paginate_queryset(attempts, request, view=self)
        return paginator.get_paginated_response(DeliveryAttemptSerializer(page, many=True).data)
