"""Snapshots through the API: the list, one snapshot, taking one, and its ZIP.

Reads follow the rest of the API (public unless API_READ_REQUIRES_LOGIN); taking a
snapshot needs the factbase.add_snapshot permission (the editor group has it). A
snapshot is never changed or deleted through the API.
"""

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings

from factbase.core.models import Snapshot
from factbase.snapshots.quota import SnapshotQuotaExceeded, snapshot_quota_check
from factbase.snapshots.store import SnapshotFileMissing, snapshot_open, snapshot_take

from .pagination import StrictLimitOffset
from .params import StrictQueryParams
from .renderers import renderers_of_format


class SnapshotSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Who took it; null when taken by a command.",
    )
    row_counts = serializers.DictField(
        child=serializers.IntegerField(), read_only=True, help_text="Rows per table."
    )
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Snapshot
        fields = (
            "id",
            "created_at",
            "created_by",
            "size",
            "sha256",
            "tables",
            "rows",
            "row_counts",
            "seconds",
            "format_version",
            "download_url",
        )
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, obj) -> str:
        return reverse(
            "factbase-api:snapshot-download", args=[obj.pk], request=self.context.get("request")
        )


class ZipOrJsonNegotiation(BaseContentNegotiation):
    """The download answers a ZIP or, for an error, JSON, whatever Accept says: a
    browser's Accept (text/html) or a client's application/zip must not be refused."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        # `?format=` is still checked: a format the download has not is a 400, as anywhere.
        format = format_suffix or request.query_params.get(api_settings.URL_FORMAT_OVERRIDE)
        if format:  # given empty, the parameters' check refuses it
            renderers = renderers_of_format(renderers, format)
        return renderers[0], renderers[0].media_type


class SnapshotPagination(StrictLimitOffset):
    """`limit` and `offset`, as elsewhere; no keyset `after`, which follows ids and so
    would not follow the newest-first order."""

    default_limit = 50
    max_limit = 1000


@extend_schema_view(
    list=extend_schema(description="The snapshots kept in the app, newest first."),
    retrieve=extend_schema(description="One snapshot: what it holds and where to download it."),
)
class SnapshotViewSet(
    StrictQueryParams,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Snapshots of the whole database kept in the app, newest first. POST takes one
    (no body needed); `download_url` serves its ZIP. See docs/snapshots.md."""

    queryset = Snapshot.objects.select_related("created_by").order_by("-created_at", "-id")
    serializer_class = SnapshotSerializer
    pagination_class = SnapshotPagination
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    lookup_value_regex = "[^/]+"  # any id: a bad one is a JSON 404, not an HTML one
    export_on_post = True  # a POST counts against the `export` throttle scope

    @extend_schema(
        request=None,
        responses={201: SnapshotSerializer},
        description="Take a snapshot now (no body, or an empty JSON object). Needs the "
        "factbase.add_snapshot permission. Answers once the ZIP is stored.",
    )
    def create(self, request, *args, **kwargs):
        if request.data:
            raise serializers.ValidationError(
                {"non_field_errors": ["Taking a snapshot takes no body, or an empty object."]}
            )
        # Not in a transaction: the export reads every table at one moment by itself.
        user = request.user if request.user.is_authenticated else None
        try:
            snapshot_quota_check(user)
        except SnapshotQuotaExceeded as error:
            raise Throttled(wait=error.retry_after, detail=str(error)) from error
        snapshot = snapshot_take(user=user)
        data = self.get_serializer(snapshot).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The snapshot's ZIP."
            )
        },
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[JSONRenderer],
        content_negotiation_class=ZipOrJsonNegotiation,
    )
    def download(self, request, pk=None):
        """The snapshot's ZIP, as stored."""
        snapshot = self.get_object()
        try:
            file = snapshot_open(snapshot)
        except SnapshotFileMissing as error:
            raise Http404(str(error)) from error
        response = FileResponse(
            file,
            as_attachment=True,
            filename=snapshot.file.name.rsplit("/", 1)[-1],
            content_type="application/zip",
        )
        # FileResponse finds the length of local files; other storages' files say theirs.
        if not response.has_header("Content-Length"):
            response["Content-Length"] = str(snapshot.size)
        return response
