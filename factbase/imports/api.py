"""`POST /api/v1/<kind>/import/`: the import through the API, an action of every fact
kind's viewset (RecordViewSet mixes this in; kinds that are not facts do not get it).

The body is the file itself, streamed as it is read: JSON lines
(`Content-Type: application/x-ndjson`, one POST body per line, `id` for an update) or CSV
(`text/csv`, the columns of the kind's CSV export). `?dry_run=true` answers the report and
writes nothing; otherwise all rows are written (201) or none (400, naming each refused row's
line and column). It needs the permissions to add and to change records of the kind.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.http import parse_header_parameters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.parsers import BaseParser
from rest_framework.response import Response

from factbase.api.exceptions import PayloadTooLarge
from factbase.api.params import boolean_param
from factbase.api.parsers import check_charset
from factbase.core.kinds import kind_of

from .kinds import importable
from .reading import TooLarge, max_bytes
from .report import OUTCOMES
from .running import import_reason, run_import


class Upload:
    """An import's body, read as the import goes."""

    def __init__(self, stream, format: str):
        self.stream, self.format = stream, format


class _StreamParser(BaseParser):
    format_name = ""

    def parse(self, stream, media_type=None, parser_context=None):
        check_charset(media_type, "an import is UTF-8.")
        return Upload(stream, self.format_name)


class CSVUploadParser(_StreamParser):
    media_type = "text/csv"
    format_name = "csv"


class NDJSONUploadParser(_StreamParser):
    media_type = "application/x-ndjson"
    format_name = "jsonl"


class JSONLinesUploadParser(_StreamParser):
    media_type = "application/jsonl"
    format_name = "jsonl"


def _flag(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.BOOL, description=description)


DRY_RUN = _flag(
    "dry_run",
    "Check every row and answer what the import would do (200); write nothing.",
)
ALLOW_DUPLICATES = _flag(
    "allow_duplicate",
    "Create the companies, products or people whose name or an alias is close to a "
    "stored record's; without it, such a row is refused as a likely duplicate.",
)
CREATE_MISSING = _flag(
    "create_missing",
    "Create the related records that rows name by a slug no record has (listed in "
    "`created`), rather than refusing those rows.",
)
HEADERS = [
    OpenApiParameter(
        "X-Change-Reason",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="Why; the history says `import <file name>: <reason>`.",
    ),
    OpenApiParameter(
        "Content-Disposition",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description='The file\'s name, for the history: `attachment; filename="metrics.csv"`.',
    ),
]


class _ProblemSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    column = serializers.CharField(allow_null=True, help_text="A column, or a field's path.")
    message = serializers.CharField()


class _OutcomeSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=OUTCOMES)
    id = serializers.IntegerField(
        allow_null=True, help_text="Null for a new record that was not kept (a dry run)."
    )
    record = serializers.CharField()
    errors = _ProblemSerializer(many=True)


class _CreatedSerializer(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.IntegerField(allow_null=True)
    label = serializers.CharField()
    line = serializers.IntegerField()


class ImportReportSerializer(serializers.Serializer):
    """What an import did (or, in a dry run, would do), for the schema."""

    kind = serializers.CharField()
    file = serializers.CharField()
    format = serializers.CharField()
    dry_run = serializers.BooleanField()
    written = serializers.BooleanField()
    rows = serializers.IntegerField()
    counts = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Rows by outcome: new, update, unchanged, error.",
    )
    file_error = serializers.CharField(allow_null=True)
    errors = _ProblemSerializer(many=True, help_text="Each problem of each refused row.")
    created = _CreatedSerializer(many=True)
    outcomes = _OutcomeSerializer(many=True, help_text="The first 1,000 rows.")
    truncated = serializers.BooleanField(help_text="Rows or errors were left out of the lists.")


class ImportActionMixin:
    """For RecordViewSet: the `import` action, on the viewsets of fact kinds only."""

    @classmethod
    def get_extra_actions(cls):
        actions = super().get_extra_actions()
        meta = getattr(getattr(cls, "serializer_class", None), "Meta", None)
        if meta is not None and importable(getattr(meta, "model", None)):
            return actions
        return [found for found in actions if found.__name__ != "import_rows"]

    @extend_schema(
        summary="Import records from JSON lines or CSV",
        description=(
            "The body is the file: JSON lines (`application/x-ndjson`: one POST body a line, "
            "with `id` to update that record) or CSV (`text/csv`: the columns of this list's "
            "CSV export, and `citation_source`, `citation_quote`). Every row is validated as "
            "the API validates a POST or PATCH and written through the same services, in "
            "one transaction: all rows (201) or, if any is refused, none (400, each problem "
            "with its line and column). `dry_run=true` answers the report and writes "
            "nothing (200). Needs the permissions to add and change records of this kind. "
            "See docs/import.md."
        ),
        request={
            "application/x-ndjson": OpenApiTypes.STR,
            "application/jsonl": OpenApiTypes.STR,
            "text/csv": OpenApiTypes.STR,
        },
        parameters=[DRY_RUN, CREATE_MISSING, ALLOW_DUPLICATES, *HEADERS],
        responses={
            200: OpenApiResponse(ImportReportSerializer, "The dry run's report."),
            201: OpenApiResponse(ImportReportSerializer, "Every row was written."),
        },
        filters=False,
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[NDJSONUploadParser, JSONLinesUploadParser, CSVUploadParser],
    )
    def import_rows(self, request, *args, **kwargs):
        from factbase.api.views import change_reason

        model = self.get_serializer_class().Meta.model
        opts = model._meta
        if not request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}"):
            raise PermissionDenied(
                f"An import updates {opts.verbose_name_plural} too: it needs the permission "
                "to change them."
            )
        dry_run = boolean_param(request, "dry_run")
        create_missing = boolean_param(request, "create_missing")
        name = _file_name(request)
        try:
            reason = import_reason(name, change_reason(request))
        except DjangoValidationError as error:
            raise serializers.ValidationError({"X-Change-Reason": error.messages}) from None
        length = request.META.get("CONTENT_LENGTH") or ""
        if length.isdigit() and int(length) > max_bytes():
            raise PayloadTooLarge.for_limit(max_bytes())
        upload = request.data
        if not isinstance(upload, Upload):
            raise ParseError(
                "The body is empty: send the file itself, as JSON lines "
                "(Content-Type: application/x-ndjson) or CSV (text/csv)."
            )
        report = run_import(
            upload.stream,
            kind=kind_of(model).name,
            file_name=name,
            format=upload.format,
            user=request.user,
            reason=reason,
            dry_run=dry_run,
            create_missing=create_missing,
            allow_duplicates=boolean_param(request, "allow_duplicate"),
        )
        if isinstance(report.problem, TooLarge):
            raise PayloadTooLarge.for_limit(report.problem.limit)
        body = report.as_dict()
        if report.failed and not dry_run:
            # An error as every 400 of the API reads (`detail`, and lists or objects by
            # name): the problems, and the whole report beside them.
            detail = " ".join(filter(None, [report.summary(), body.get("file_error")]))
            return Response(
                {"detail": detail, "errors": body["errors"], "report": body},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if report.failed:
            body = {"detail": report.summary(), **body}
        return Response(body, status=status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED)


def _file_name(request) -> str:
    """The file's name from `Content-Disposition: attachment; filename="..."`, if given."""
    _value, params = parse_header_parameters(request.headers.get("Content-Disposition", ""))
    name = params.get("filename", "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(char for char in name if char.isprintable()).strip()
