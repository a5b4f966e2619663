"""OpenAPI descriptions that drf-spectacular cannot infer: record references, error
responses, CSV bodies, and records cut down by `fields=` or `brief=`."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import (
    ResolvedComponent,
    build_basic_type,
    build_parameter_type,
    get_lib_doc_excludes,
)
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import permissions, serializers
from rest_framework.settings import api_settings

from factbase.core.kinds import alias_relation

from .fields import BRIEF_SERIALIZERS

_BRIEF_CLASSES: dict[type, type] = {}


def brief_serializer_class(model) -> type:
    """A serializer describing the brief form of `model`, for the schema only."""
    if model not in _BRIEF_CLASSES:
        full = BRIEF_SERIALIZERS[model]
        meta = full.Meta
        sources = getattr(meta, "brief_sources", {})
        fields = {
            name: full._declared_fields.get(name)
            for name in meta.brief_fields
            if name in full._declared_fields and name not in {"url"}
        }
        fields["url"] = serializers.URLField(read_only=True)
        attrs = {name: field for name, field in fields.items() if field is not None}

        class Meta:
            pass

        Meta.model = model
        Meta.fields = tuple(meta.brief_fields)
        Meta.extra_kwargs = {name: {"source": src} for name, src in sources.items()}
        attrs["Meta"] = Meta
        _BRIEF_CLASSES[model] = type(
            f"{model.__name__}Brief", (serializers.ModelSerializer,), attrs
        )
    return _BRIEF_CLASSES[model]


class RecordRefFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "factbase.api.fields.RecordRefField"

    def map_serializer_field(self, auto_schema, direction):
        model = self.target.get_queryset().model
        if direction == "response":
            component = auto_schema.resolve_serializer(brief_serializer_class(model), direction)
            return component.ref
        has_slug = any(f.name == "slug" for f in model._meta.fields)
        has_aliases = alias_relation(model) is not None
        name = model._meta.verbose_name
        if not has_slug:
            return {**build_basic_type(OpenApiTypes.INT), "description": f"The {name}'s id."}
        return {
            "oneOf": [build_basic_type(OpenApiTypes.INT), build_basic_type(OpenApiTypes.STR)],
            "description": f"The {name}'s id (integer) or slug (string)"
            + (", or its name or an alias" if has_aliases else "")
            + ".",
        }


ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": (
        "The request was refused: each field named maps to its messages, "
        "`non_field_errors` holds those about the record as a whole, and a list of rows "
        "(citations, parties...) has one object per row, empty for a row without errors. "
        "A body that is not valid JSON gets `detail` instead."
    ),
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
            {"type": "object"},
        ]
    },
}
ERRORS = {
    "400": "Invalid parameters or body; deleting the last citation of a verified fact.",
    "401": "Credentials are missing or wrong.",
    "403": "Not allowed to do this.",
    "404": "No such record.",
    "409": "Other records refer to this one (delete); the record exists (restore).",
    "412": "If-Match names a version the record is no longer at.",
    "415": "The body is not JSON.",
}


def error_codes(method: str, detail: bool, restore: bool = False) -> list[str]:
    """The errors an operation of RecordViewSet can answer."""
    codes = ["400", "401", "403"]
    if detail:
        codes.append("404")
    if method == "DELETE" or restore:
        codes.append("409")
    if method in {"PUT", "PATCH", "DELETE"}:
        codes.append("412")
    if method in {"POST", "PUT", "PATCH"}:
        codes.append("415")
    return codes


class FactbaseAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, plus the errors each operation can answer, CSV
    documented as text, and record responses without required properties (`fields=` and
    `brief=` leave any of them out)."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        restore = self.path.endswith("/restore/")
        for code in error_codes(self.method, detail="{" in self.path, restore=restore):
            name, schema = (
                ("ValidationError", VALIDATION_ERROR) if code == "400" else ("Error", ERROR)
            )
            component = ResolvedComponent(
                name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
            )
            self.registry.register_on_missing(component)
            response = OpenApiResponse(component.ref, ERRORS[code])
            responses.setdefault(code, self._get_response_for_code(response, code))
        return responses

    def _get_filter_parameters(self):
        # A filter whose form field takes whole numbers (ids, counts) is an integer, where
        # drf-spectacular says number unless it finds a model field to ask: `1.5` is a 400.
        parameters = super()._get_filter_parameters()
        whole = whole_number_filters(self.view)
        for parameter in parameters:
            if parameter["name"] in whole:
                schema = parameter["schema"]
                schema = schema.get("items", schema)
                if schema.get("type") == "number":
                    schema["type"] = "integer"
        return parameters

    def _get_format_parameters(self):
        # `?format=` is accepted by every endpoint (params.ALWAYS), one of a single format
        # too: the schema lists it there as well (drf-spectacular only where there are two).
        formats = self.map_renderers("format")
        if api_settings.URL_FORMAT_OVERRIDE and len(formats) == 1:
            return [
                build_parameter_type(
                    name=api_settings.URL_FORMAT_OVERRIDE,
                    schema=build_basic_type(OpenApiTypes.STR),
                    location=OpenApiParameter.QUERY,
                    enum=formats,
                )
            ]
        return super()._get_format_parameters()

    def get_auth(self):
        # drf-spectacular knows IsAuthenticatedOrReadOnly, not its Django-permissions twin:
        # with it, reads need no credentials.
        auth = super().get_auth()
        anonymous_reads = any(
            isinstance(permission, permissions.DjangoModelPermissionsOrAnonReadOnly)
            for permission in self.view.get_permissions()
        )
        if anonymous_reads and self.method in permissions.SAFE_METHODS and {} not in auth:
            auth.append({})
        return auth

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        if "text/csv" in response.get("content", {}):
            response["content"]["text/csv"] = {"schema": build_basic_type(OpenApiTypes.STR)}
        return response

    def _map_basic_serializer(self, serializer, direction):
        from .serializers import RecordSerializer

        schema = super()._map_basic_serializer(serializer, direction)
        if not isinstance(serializer, RecordSerializer):
            return schema
        if direction == "response":
            schema.pop("required", None)
        else:
            # A list a write must leave with a least number of rows (`fewest_rows`: a
            # partnership's two parties) says so; a list given replaces the stored one.
            # Responses do not: a record stored before the rule keeps its list.
            fewest_rows = getattr(serializer.Meta.model, "fewest_rows", {})
            for name, (fewest, _message) in fewest_rows.items():
                if name in schema.get("properties", {}):
                    schema["properties"][name]["minItems"] = fewest
        return schema


def whole_number_filters(view) -> set[str]:
    """The names of the filters of `view` whose form field takes whole numbers."""
    from django import forms

    from .params import filterset_filters

    # Django's DecimalField is an IntegerField too: amounts take decimals.
    return {
        name
        for name, filter_ in filterset_filters(view).items()
        if issubclass(filter_.field_class, forms.IntegerField)
        and not issubclass(filter_.field_class, forms.DecimalField)
    }


def lib_doc_excludes() -> list[type]:
    """Base classes whose docstrings describe the code, not the API: a subclass without a
    docstring of its own gets no description rather than its base's."""
    from .params import StrictQueryParams
    from .serializers import ChildSerializer, FactSerializer, RecordSerializer
    from .views import RecordViewSet

    return [
        *get_lib_doc_excludes(),
        StrictQueryParams,
        RecordViewSet,
        RecordSerializer,
        FactSerializer,
        ChildSerializer,
    ]


def closed_request_bodies(result, generator, request, public):
    """A postprocessing hook: each JSON request body's object says it takes no field it
    does not list (`additionalProperties: false`), as the API holds it to (a field it
    does not know is a 400, serializers.reject_unknown)."""
    schemas = result.get("components", {}).get("schemas", {})
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
            schema = schemas.get(ref.rsplit("/", 1)[-1])
            if schema is not None and schema.get("type") == "object":
                schema["additionalProperties"] = False
    return result


def overlapping_choices_as_any_of(result, generator, request, public):
    """A postprocessing hook: a `oneOf` whose branches are all strings (drf-spectacular's
    form of a URL that may be blank: a URI, or a string of at most 0 characters) says
    `anyOf`. Under `oneOf` a value must match exactly one branch, and `""` matches both
    wherever a validator does not check `format: uri`: every company without a website
    failed validation against the schema."""

    def visit(node):
        if isinstance(node, dict):
            branches = node.get("oneOf")
            if isinstance(branches, list) and all(
                isinstance(b, dict) and b.get("type") == "string" for b in branches
            ):
                node["anyOf"] = node.pop("oneOf")
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(result)
    return result
