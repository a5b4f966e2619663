"""OpenAPI descriptions that drf-spectacular cannot infer: record references."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers

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
        name = model._meta.verbose_name
        if not has_slug:
            return {**build_basic_type(OpenApiTypes.INT), "description": f"The {name}'s id."}
        return {
            "oneOf": [build_basic_type(OpenApiTypes.INT), build_basic_type(OpenApiTypes.STR)],
            "description": f"The {name}'s id (integer) or slug (string).",
        }
