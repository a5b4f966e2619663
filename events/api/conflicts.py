"""`/api/v1/conflicts/`: open conflicts between metrics, and their resolution.

What makes two metrics a conflict is described in events.conflicts."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import permissions, renderers, serializers, viewsets
from rest_framework.response import Response

from companies.models import Platform
from factbase.api.asof import AS_OF_PARAM, AsOfMixin
from factbase.api.fields import StrictCharField, StrictPrimaryKeyRelatedField, brief
from factbase.api.filters import (
    IdField,
)
from factbase.api.pagination import StrictLimitOffset
from factbase.api.params import StrictQueryParams
from factbase.api.schema import brief_serializer_class
from factbase.api.serializers import InputSerializer
from factbase.api.shape import read_queryset
from factbase.core import reasons
from factbase.core.services import error_dict

from ..conflicts import Conflict, metric_conflict_resolve, metric_conflicts
from ..filters import MetricSubjectFilters
from ..models import Metric, MetricType
from .serializers import MetricSerializer


class ConflictFilterSet(MetricSubjectFilters):
    """Which metrics to look for conflicts among."""

    class Meta:
        model = Metric
        fields = []


class ConflictSubjectSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["company", "product"])
    id = serializers.IntegerField()
    url = serializers.URLField()
    name = serializers.CharField()
    slug = serializers.CharField()


class ConflictSerializer(serializers.Serializer):
    """Two open claims about the same thing that cannot both be true, side by side."""

    metric_type = serializers.SerializerMethodField()
    subject = serializers.SerializerMethodField(help_text="The company or product measured.")
    region = serializers.CharField(
        help_text="ISO 3166-1 country, 001 for worldwide, empty when not said."
    )
    platform = serializers.SerializerMethodField()
    reason = serializers.CharField(
        help_text="Why they cannot both be true: 'at least 1,000,000 vs exactly 500,000'."
    )
    claims = MetricSerializer(many=True, help_text="The two metrics, with their citations.")

    @extend_schema_field(brief_serializer_class(MetricType))
    def get_metric_type(self, conflict) -> dict:
        return brief(conflict.metric_type, self.context)

    @extend_schema_field(ConflictSubjectSerializer)
    def get_subject(self, conflict) -> dict:
        subject = conflict.subject
        return {"type": subject._meta.model_name, **brief(subject, self.context)}

    @extend_schema_field(brief_serializer_class(Platform)(allow_null=True))
    def get_platform(self, conflict) -> dict | None:
        platform = conflict.platform
        return brief(platform, self.context) if platform is not None else None


class ResolveSerializer(InputSerializer):
    keep = StrictPrimaryKeyRelatedField(
        queryset=Metric.objects.all(), help_text="The id of the claim to keep: verified."
    )
    dispute = StrictPrimaryKeyRelatedField(
        queryset=Metric.objects.all(), help_text="The id of the claim to dispute: disputed."
    )
    reason = StrictCharField(
        max_length=reasons.MAX_LENGTH,
        help_text=f"Why; kept in both metrics' history ({reasons.MAX_LENGTH} characters).",
    )


class ConflictPagination(StrictLimitOffset):
    default_limit = 50
    max_limit = 200  # each conflict carries two metrics with their citations

    def paginate_queryset(self, conflicts, request, view=None):
        # The count comes with the page (MetricConflicts.page): one search, not two.
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        if self.offset + self.limit > IdField.MAX:  # past what SQL's OFFSET can take
            raise serializers.ValidationError({self.offset_query_param: ["Too large."]})
        self.count, page = conflicts.page(offset=self.offset, limit=self.limit)
        return page


class ResolvePermission(permissions.DjangoModelPermissions):
    """Resolving changes two metrics: it needs the permission to change metrics."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "POST": ["%(app_label)s.change_%(model_name)s"],
    }


class ConflictViewSet(StrictQueryParams, AsOfMixin, viewsets.GenericViewSet):
    """Open conflicts between metrics: two claims about the same subject, metric type,
    region and platform, in overlapping periods, whose values cannot both be true."""

    # Used for permissions and the filters' model; the rows are pairs (see list).
    queryset = Metric.objects.all()
    serializer_class = ConflictSerializer
    filter_backends = [DjangoFilterBackend]
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer]  # no CSV
    filterset_class = ConflictFilterSet
    pagination_class = ConflictPagination

    def get_permissions(self):
        if self.action == "resolve":
            return [ResolvePermission()]
        return super().get_permissions()

    def get_serializer_class(self):
        return ResolveSerializer if self.action == "resolve" else ConflictSerializer

    @extend_schema(parameters=[AS_OF_PARAM])
    def list(self, request, *args, **kwargs):
        metrics = self.filter_queryset(self.get_queryset())
        unfiltered = not metrics.query.where
        page = self.paginate_queryset(
            metric_conflicts(
                None if unfiltered else metrics, claims=read_queryset(MetricSerializer)
            )
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=ResolveSerializer, responses=ConflictSerializer)
    def resolve(self, request, *args, **kwargs):
        """Resolve a conflict: mark one claim verified and the other disputed, with a
        reason, in one transaction. Answers with the two claims as they now are."""
        serializer = ResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        keep = serializer.validated_data["keep"]
        dispute = serializer.validated_data["dispute"]
        try:
            metric_conflict_resolve(
                keep=keep,
                dispute=dispute,
                user=request.user,
                reason=serializer.validated_data["reason"],
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error_dict(error)) from error
        claims = read_queryset(MetricSerializer).filter(pk__in=[keep.pk, dispute.pk]).order_by("id")
        conflict = Conflict(tuple(claims))
        return Response(ConflictSerializer(conflict, context=self.get_serializer_context()).data)
