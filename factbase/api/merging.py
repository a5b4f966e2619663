"""Merges through the API.

`POST /api/v1/<kind>/<id or slug>/merge/` merges the record the URL names into the one
`into` names (companies, products, people): the URL names the record that goes away.
`dry_run` answers what the merge would do, writing nothing. `GET /api/v1/merges/` lists
the merges, `POST /api/v1/merges/<id>/undo/` undoes one.

The id and slug of a merged record keep answering while its merge stands: a GET or HEAD
of `/api/v1/<kind>/<old id or slug>/` (or of a path under it, such as `history/`) answers
301 to the same path of the record it was merged into, query string kept; any other
method answers 404 naming that record's URL (`merged_into`), so that no write lands on a
record its writer did not name. The services are factbase.core.services.merging.
"""

from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django_filters import rest_framework as df
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from factbase.core import reasons
from factbase.core.ids import id_from, is_digits
from factbase.core.kinds import kind_of, kinds
from factbase.core.merges import is_mergeable, may_merge, merged_into
from factbase.core.models import Merge
from factbase.core.services import (
    MergeConflict,
    MergeInvalid,
    UndoRefused,
    merge_plan,
    merge_undo,
    record_merge,
)
from factbase.core.services.merging import SHOWN_ROWS, merge_counts

from .fields import API_ROOT, RecordRefField, StrictBooleanField, StrictCharField, brief
from .filters import BooleanFilter, IdField
from .pagination import StrictLimitOffset
from .params import StrictQueryParams
from .renderers import JSONRenderer
from .schema import ERROR, FactbaseAutoSchema
from .serializers import InputSerializer

# --- answers ---------------------------------------------------------------------------

ANSWERS = [JSONRenderer, BrowsableAPIRenderer]  # a merge and its list have no CSV


class Moved(APIException):
    """301: the record was merged into another; `location` is the same path on it."""

    status_code = status.HTTP_301_MOVED_PERMANENTLY
    default_code = "moved"

    def __init__(self, detail: dict, location: str):
        super().__init__(detail)
        self.location = location


def moved_to(request, kind_name: str, pk: int) -> str:
    """The URL of the request's path on record `pk` instead of the one it names: the same
    sub-path (`history/`), the same query string."""
    prefix = f"{API_ROOT}{kind_name}/"
    rest = request.path[len(prefix) :].split("/", 1)
    path = f"{prefix}{pk}/{rest[1] if len(rest) > 1 else ''}"
    query = request.META.get("QUERY_STRING", "")
    return request.build_absolute_uri(path) + (f"?{query}" if query else "")


def merged_away(view, lookup: str) -> Exception | None:
    """The answer for a URL naming a record that a standing merge took away: 301 for a
    read, 404 saying where it went for anything else; None if no merge took it."""
    model = view.get_serializer_class().Meta.model
    pk = merged_into(model, lookup)
    if pk is None:
        return None
    kind = kind_of(model).name
    location = moved_to(view.request, kind, pk)
    kept = view.request.build_absolute_uri(f"{API_ROOT}{kind}/{pk}/")
    name = model._meta.verbose_name
    if view.request.method in ("GET", "HEAD"):
        detail = f"This {name} was merged into {kept}."
        return Moved({"detail": detail, "merged_into": kept}, location)
    detail = f"No {name} {lookup!r}: it was merged into {kept}. Send this to that one."
    return NotFound({"detail": detail, "merged_into": kept})


# --- the schema --------------------------------------------------------------------------


MOVED = "The record was merged into another: `Location` is the same path on that one."
REFUSED = "The merge or its undo is refused: `conflicts` or `problems` say what to resolve first."
DUPLICATE = (
    "A likely duplicate of a stored record: `candidates` lists them; `?allow_duplicate=true` "
    "creates it anyway."
)


class MergeSchema(FactbaseAutoSchema):
    """The errors of merges and their undo (409), the duplicate check of a create of a
    record that can be merged (409: factbase.resolution.api), and the redirect of a merged
    record."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        extra = {}
        mergeable = is_mergeable(self.view.get_queryset().model)
        if self.method == "POST" and self.path.endswith(("/merge/", "/undo/")):
            extra["409"] = REFUSED
        elif mergeable and getattr(self.view, "action", None) == "create":
            extra["409"] = DUPLICATE
        if mergeable and self.method == "GET" and "{" in self.path:
            extra["301"] = MOVED
        for code, description in extra.items():
            component = ResolvedComponent(
                name="Error", type=ResolvedComponent.SCHEMA, schema=ERROR, object="Error"
            )
            self.registry.register_on_missing(component)
            response = OpenApiResponse(component.ref, description)
            responses.setdefault(code, self._get_response_for_code(response, code))
        return responses


# --- bodies --------------------------------------------------------------------------------


def reason_field(prefix: str) -> StrictCharField:
    """The reason, kept in history after the words the write adds ("Merge of ... into
    ...: "), which are shortened down to `prefix` to leave it room."""
    return StrictCharField(
        help_text="Why; kept in the history of every record it changes "
        f"({reasons.room(prefix)} characters at most).",
    )


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string"}],
        "description": "The id (integer) or slug (string) of the record to keep, of the same "
        "kind, or its name or an alias. An old id or slug of a merged record names the "
        "record it lives on.",
    }
)
class IntoField(RecordRefField):
    """The record to keep, named as a write names any related record (RecordRefField: id,
    slug, name or alias, a merged record's old id or slug; a name two records share is a
    400 naming both). Of the kind merged (`model` in the context), and not the record
    merged itself (`merged`)."""

    default_error_messages = {
        "itself": "A record cannot be merged into itself: give another {model} to keep.",
    }

    def get_queryset(self):
        return self.context["model"]._default_manager.all()

    def to_internal_value(self, data):
        found = super().to_internal_value(data)
        merged = self.context.get("merged")
        if merged is not None and found.pk == merged.pk:
            self.fail("itself", model=found._meta.verbose_name)
        return found


class MergeIntoSerializer(InputSerializer):
    into = IntoField()
    reason = reason_field("Merge")
    dry_run = StrictBooleanField(
        default=False, help_text="Answer what the merge would do (200), writing nothing."
    )


class UndoSerializer(InputSerializer):
    reason = reason_field("Undo of merge")


def api_errors(error: MergeInvalid) -> dict:
    """The services' argument names as the API's: the record kept is `into`."""
    names = {"keep": "into", "merge": "into", "reason": "reason"}
    errors: dict = {}
    for name, messages in error.errors.items():
        errors.setdefault(names.get(name, "non_field_errors"), []).extend(messages)
    return errors


# --- what a merge did, and what one would do ---------------------------------------------------


class MergeRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    name = serializers.CharField()
    slug = serializers.CharField()


class MergeRowSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="The kind of row: `metric`, `role`, `citation`...")
    id = serializers.IntegerField()
    label = serializers.CharField()


class MergeListSerializer(serializers.ListSerializer):
    """A page of merges: the records they kept are read once a kind, not once a merge."""

    def to_representation(self, data):
        merges = list(data)
        self.context["_kept"] = kept_records(merges)
        return super().to_representation(merges)


# Read-only: it shows a `Merge` row, whose values are worked out first (`values`), then
# rendered by the fields. (A comment: the docstring is the schema's description.)
class MergeSerializer(serializers.Serializer):
    """A merge: the record that went away, the record kept, and what moved."""

    id = serializers.IntegerField()
    url = serializers.URLField()
    kind = serializers.CharField(help_text="`companies`, `products` or `people`.")
    merged = MergeRecordSerializer(
        help_text="The record merged: its old id and slug (they answer 301 to `kept`), its name."
    )
    kept = MergeRecordSerializer(help_text="The record it was merged into.")
    reason = serializers.CharField()
    merged_at = serializers.DateTimeField()
    merged_by = serializers.CharField(allow_null=True)
    moved = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Rows moved to the kept record, by relation: `metrics.company`, "
        "`citations.fact`, `events.companies` (events that list it)...",
    )
    aliases_added = serializers.ListField(child=serializers.CharField())
    dropped = MergeRowSerializer(
        many=True,
        help_text="Rows the kept record already had (an alias, a citation): deleted with the "
        "merged record, restored by an undo.",
    )
    undone_at = serializers.DateTimeField(allow_null=True)
    undone_by = serializers.CharField(allow_null=True)

    class Meta:
        model = Merge  # what the router names the endpoint's URLs after
        list_serializer_class = MergeListSerializer

    def to_representation(self, instance):
        return super().to_representation(self.values(instance))

    def values(self, merge: Merge) -> dict:
        """What each field shows of `merge`, by field name."""
        model = ContentType.objects.get_for_id(merge.content_type_id).model_class()
        kept = self.kept_record(merge)
        moves = merge.moved
        return {
            "id": merge.pk,
            "url": f"{api_base(self.context)}merges/{merge.pk}/",
            "kind": kind_of(model).name,
            "merged": _record(
                model, merge.merged_id, merge.merged_name, merge.merged_slug, self.context
            ),
            "kept": _record(model, merge.kept_id, kept["name"], kept["slug"], self.context),
            "reason": merge.reason,
            "merged_at": merge.merged_at,
            "merged_by": merge.merged_by.username if merge.merged_by else None,
            "moved": merge_counts(merge),
            "aliases_added": [item["name"] for item in moves.get("added", [])],
            "dropped": [
                {"type": item["model"].split(".")[1], "id": item["id"], "label": item["label"]}
                for item in moves.get("dropped", [])
            ],
            "undone_at": merge.undone_at,
            "undone_by": merge.undone_by.username if merge.undone_by else None,
        }

    def kept_record(self, merge: Merge) -> dict:
        """The name and slug of the record `merge` kept: read with the page's others
        (MergeListSerializer), or alone."""
        kept = self.context.get("_kept")
        if kept is None:
            kept = kept_records([merge])
        # Merged since, or deleted: its URL says where it went.
        return kept.get((merge.content_type_id, merge.kept_id), {"name": "", "slug": ""})


class MergeMovesSerializer(serializers.Serializer):
    relation = serializers.CharField(help_text="`metrics.company`, `events.companies`...")
    label = serializers.CharField()
    count = serializers.IntegerField()
    rows = MergeRowSerializer(many=True, help_text=f"The first {SHOWN_ROWS} rows moved.")
    dropped = MergeRowSerializer(many=True)


class MergeConflictSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["duplicate", "unique", "invalid"])
    relation = serializers.CharField()
    rows = MergeRowSerializer(many=True, help_text="The row moved, and the row it collides with.")
    detail = serializers.CharField()


class MergePlanSerializer(serializers.Serializer):
    """What a merge would do (`dry_run`): nothing is written."""

    dry_run = serializers.BooleanField()
    merged = MergeRecordSerializer()
    kept = MergeRecordSerializer()
    moves = MergeMovesSerializer(many=True)
    alias_added = serializers.CharField(
        allow_null=True, help_text="The merged record's name, kept as an alias."
    )
    conflicts = MergeConflictSerializer(many=True, help_text="Empty when the merge can be made.")


def _row(row) -> dict:
    return {"type": row.model.split(".")[1], "id": row.id, "label": row.label}


def _record(model, pk: int, name: str, slug: str, context) -> dict:
    kind = kind_of(model).name
    return {"id": pk, "url": f"{api_base(context)}{kind}/{pk}/", "name": name, "slug": slug}


def api_base(context) -> str:
    request = context.get("request")
    return request.build_absolute_uri(API_ROOT) if request is not None else API_ROOT


def plan_data(plan, context) -> dict:
    return {
        "dry_run": True,
        "merged": brief_of(plan.merge, context),
        "kept": brief_of(plan.keep, context),
        "moves": [
            {
                "relation": moves.relation.name,
                "label": moves.relation.label,
                "count": moves.count,
                "rows": [_row(row) for row in moves.moved[:SHOWN_ROWS]],
                "dropped": [_row(row) for row in moves.dropped],
            }
            for moves in plan.moves
        ],
        "alias_added": plan.alias,
        "conflicts": [conflict_data(conflict) for conflict in plan.conflicts],
    }


def conflict_data(conflict) -> dict:
    return {
        "kind": conflict.kind,
        "relation": conflict.relation,
        "rows": [_row(row) for row in conflict.rows],
        "detail": conflict.detail,
    }


def brief_of(record, context) -> dict:
    data = brief(record, context)
    return {key: data[key] for key in ("id", "url", "name", "slug")}


def kept_records(merges) -> dict[tuple[int, int], dict]:
    """The name and slug of the record each merge kept, by (content type, id): one query
    per kind, however many merges."""
    wanted: dict[int, set] = {}
    for merge in merges:
        wanted.setdefault(merge.content_type_id, set()).add(merge.kept_id)
    found = {}
    for type_id, pks in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        for row in model._default_manager.filter(pk__in=pks).values("pk", "name", "slug"):
            found[type_id, row["pk"]] = row
    return found


# --- merging a record ------------------------------------------------------------------


def refusal(model) -> str:
    plural = model._meta.verbose_name_plural
    return (
        f"Merging {plural}, and undoing their merges, needs the permissions to change and "
        f"delete {plural}."
    )


class MergePermission(permissions.BasePermission):
    """A merge: a signed-in user who may merge records of the view's kind (may_merge: the
    kind's change and delete permissions)."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False  # 401
        model = view.get_queryset().model
        self.message = refusal(model)
        return may_merge(request.user, model)


# For the viewsets of companies, products and people: the `merge` action, and the old id
# and slug of a merged record answering where it went. (A comment, not a docstring: the
# schema would describe every operation of those viewsets with it.)
class MergeMixin:
    schema = MergeSchema()

    def get_permissions(self):
        if self.action == "merge":
            return [MergePermission()]
        return super().get_permissions()

    def missing(self, lookup: str) -> Exception:
        return merged_away(self, lookup) or super().missing(lookup)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A record's history is read by id for a deleted record too: a merged one's id
        # leads to the record it lives on, as its other pages do.
        if self.action == "history":
            lookup = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
            model = self.get_serializer_class().Meta.model
            if is_digits(lookup):
                pk = id_from(lookup)
                if pk is None or model._default_manager.filter(pk=pk).exists():
                    return
            elif "\x00" in lookup or model._default_manager.filter(slug=lookup).exists():
                return
            moved = merged_away(self, lookup)
            if moved is not None:
                raise moved

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, Moved):
            response["Location"] = exc.location
        return response

    @extend_schema(
        summary="Merge this record into another",
        description="The record this URL names is the same real thing as the one `into` "
        "names, and goes away: every fact, citation, role, party, investment, event link "
        "and alias moves to the record kept, its name becomes an alias there, then it is "
        "deleted; each change with a history row and the reason. Its old id and slug "
        "answer 301 to the record kept. Rows the kept record already has (an alias, a "
        "citation) go with the merged record. A row that would collide there (the same "
        "role twice, the same company twice in a partnership) refuses the merge: 409 with "
        "the `conflicts`, nothing written. `dry_run` answers what the merge would do "
        "(200). Needs the permissions to change and delete records of the kind. "
        "Undo: `POST /api/v1/merges/<id>/undo/`.",
        request=MergeIntoSerializer,
        responses={
            201: OpenApiResponse(MergeSerializer, "The merge made."),
            200: OpenApiResponse(MergePlanSerializer, "The dry run: what it would do."),
        },
        filters=False,
    )
    @action(detail=True, methods=["post"], renderer_classes=ANSWERS)
    def merge(self, request, *args, **kwargs):
        merged = self.get_object()
        model = type(merged)
        context = {**self.get_serializer_context(), "model": model, "merged": merged}
        body = MergeIntoSerializer(data=request.data, context=context)
        body.is_valid(raise_exception=True)
        keep, reason = body.validated_data["into"], body.validated_data["reason"]
        user = request.user if request.user.is_authenticated else None
        try:
            if body.validated_data["dry_run"]:
                plan = merge_plan(keep, merged)
                return Response(plan_data(plan, context), status=status.HTTP_200_OK)
            done = record_merge(keep, merged, user=user, reason=reason)
        except MergeInvalid as error:
            raise ApiValidationError(api_errors(error)) from error
        except MergeConflict as error:
            # A Response, not an APIException, whose detail DRF would turn into strings.
            body = {
                "detail": "Not merged: resolve these conflicts first. Nothing was changed.",
                "conflicts": [conflict_data(conflict) for conflict in error.conflicts],
            }
            return Response(body, status=status.HTTP_409_CONFLICT)
        data = MergeSerializer(done, context=context).data
        response = Response(data, status=status.HTTP_201_CREATED)
        response["Location"] = data["url"]
        return response


# --- the list of merges, and undo ----------------------------------------------------------


def mergeable_kinds() -> list[tuple[str, str]]:
    return [(kind.name, kind.name) for kind in kinds() if is_mergeable(kind.model)]


class IdFilter(df.NumberFilter):
    field_class = IdField  # a whole number an id can be: anything else is a 400


class MergeFilterSet(df.FilterSet):
    kind = df.ChoiceFilter(choices=mergeable_kinds, method="of_kind", label="kind of record")
    kept = IdFilter(field_name="kept_id", label="id of the record kept (with `kind`)")
    merged = IdFilter(field_name="merged_id", label="old id of the record merged (with `kind`)")
    undone = BooleanFilter(
        field_name="undone_at",
        lookup_expr="isnull",
        exclude=True,
        label="undone (true) or standing (false)",
    )

    class Meta:
        model = Merge
        fields = []

    def of_kind(self, queryset, name, value: str):
        model = next(kind.model for kind in kinds() if kind.name == value)
        return queryset.filter(content_type=ContentType.objects.get_for_model(model))


class MergePagination(StrictLimitOffset):
    default_limit = 50
    max_limit = 1000


class UndoPermission(permissions.BasePermission):
    """An undo is the merge's inverse: it asks what the merge asked (may_merge) of the
    merge's kind, known once the merge is read."""

    def has_object_permission(self, request, view, merge):
        if request.method in permissions.SAFE_METHODS:
            return True
        model = ContentType.objects.get_for_id(merge.content_type_id).model_class()
        self.message = refusal(model)
        return may_merge(request.user, model)


@extend_schema_view(
    list=extend_schema(
        summary="Merges, the latest first",
        description="Each merge of a company, product or person into another: what went "
        "away, what was kept, what moved, and whether it is undone.",
        responses={200: MergeSerializer(many=True)},
    ),
    retrieve=extend_schema(summary="One merge", responses={200: MergeSerializer}),
)
class MergeViewSet(
    StrictQueryParams, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = Merge.objects.select_related("merged_by", "undone_by").order_by("-merged_at", "-id")
    serializer_class = MergeSerializer
    pagination_class = MergePagination
    filter_backends = [df.DjangoFilterBackend]
    filterset_class = MergeFilterSet
    # Reading is public, as elsewhere; a write needs a signed-in user (401), then what the
    # merge needed (403). IsAuthenticatedOrReadOnly by name: the schema's generator knows
    # from it that reads need no credentials.
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, UndoPermission]
    renderer_classes = ANSWERS
    lookup_value_regex = "[^/]+"  # any id: a bad one is a JSON 404
    schema = MergeSchema()

    def get_object(self):
        lookup = self.kwargs["pk"]
        if id_from(lookup) is None:
            raise Http404(f"No merge {lookup!r}.")
        return super().get_object()

    @extend_schema(
        summary="Undo a merge",
        description="The merged record comes back with its id and slug, every row and list "
        "the merge moved goes back to it, the alias it added is removed; each change with "
        "a history row and the reason. Refused (409, with the `problems`) while the kept "
        "record is merged into another (undo that first), or when a row the merge moved "
        "is deleted or points elsewhere since. Needs the permissions to change and delete "
        "records of the kind, as the merge did.",
        request=UndoSerializer,
        responses={200: OpenApiResponse(MergeSerializer, "The merge, undone.")},
        filters=False,
    )
    @action(detail=True, methods=["post"])
    def undo(self, request, *args, **kwargs):
        merge = self.get_object()  # UndoPermission: may this user undo it
        body = UndoSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = request.user if request.user.is_authenticated else None
        try:
            merge = merge_undo(merge, user=user, reason=body.validated_data["reason"])
        except MergeInvalid as error:
            raise ApiValidationError(api_errors(error)) from error
        except UndoRefused as error:
            body = {"detail": "Not undone. Nothing was changed.", "problems": error.problems}
            return Response(body, status=status.HTTP_409_CONFLICT)
        merge = self.get_queryset().get(pk=merge.pk)
        return Response(self.get_serializer(merge).data)
