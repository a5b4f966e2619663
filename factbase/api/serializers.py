"""The serializer family every model's serializers derive from.

- One serializer per model; `nested=True` (or `?brief=1`) gives its brief form, which is
  also how other records show it.
- `fields=` keeps only the named fields (`?fields=id,value,region`).
- Unknown fields in a request body are an error, not silently dropped.
- Writes go through `factbase.services.record_save`: validation, audit fields, version and
  history happen there, in one transaction with the citations and child rows.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from factbase.models import Citation, Source
from factbase.services import fact_require_citation, record_delete, record_save

from .fields import BRIEF_SERIALIZERS, RecordRefField, brief, record_url

AUDIT_FIELDS = ("version", "created_at", "updated_at", "created_by", "updated_by")
FACT_FIELDS = ("status", "confidence", "claim_type", "note")


def django_errors(error: DjangoValidationError) -> dict | list:
    """Django's ValidationError as DRF error detail: by field, `__all__` as non_field_errors."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if key == "__all__" else key): value
            for key, value in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


class RecordSerializer(serializers.ModelSerializer):
    """Base of every model serializer.

    Subclasses set `Meta.model`, `Meta.fields` (explicit, never `__all__`) and
    `Meta.brief_fields`; `Meta.children` names nested lists of child rows saved with the
    parent (`{"parties": "partnership"}`: field name -> the child's foreign key name).
    """

    url = serializers.SerializerMethodField()
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    serializer_related_field = RecordRefField

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        meta = getattr(cls, "Meta", None)
        if meta is not None and getattr(meta, "model", None) is not None:
            BRIEF_SERIALIZERS.setdefault(meta.model, cls)

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if field_class is serializers.DecimalField:
            kwargs["normalize_output"] = True  # "1000000", not "1000000.0000"
        return field_class, kwargs

    def __init__(self, instance=None, data=empty, *, nested=False, fields=None, **kwargs):
        super().__init__(instance, data, **kwargs)
        keep = None
        if nested:
            keep = set(self.Meta.brief_fields)
        elif fields:
            keep = set(fields)
        if keep is not None:
            for name in list(self.fields):
                if name not in keep:
                    self.fields.pop(name)

    def get_url(self, obj) -> str:
        return record_url(obj, self.context)

    def to_internal_value(self, data):
        reject_unknown(self, data)
        return super().to_internal_value(data)

    # --- writes -------------------------------------------------------------------------

    def _split(self, validated_data):
        """Separate plain fields from many-to-many fields, citations and child lists."""
        model = self.Meta.model
        m2m_names = {f.name for f in model._meta.many_to_many}
        children = getattr(self.Meta, "children", {})
        plain, m2m, nested = {}, {}, {}
        for name, value in validated_data.items():
            if name in m2m_names:
                m2m[name] = value
            elif name == "citations" or name in children:
                nested[name] = value
            else:
                plain[name] = value
        return plain, m2m, nested

    def create(self, validated_data):
        return self._write(self.Meta.model(), validated_data)

    def update(self, instance, validated_data):
        return self._write(instance, validated_data)

    @transaction.atomic
    def _write(self, instance, validated_data):
        plain, m2m, nested = self._split(validated_data)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        user = user if user is not None and user.is_authenticated else None
        reason = self.context.get("reason", "")
        for name, value in plain.items():
            setattr(instance, name, value)
        try:
            record_save(
                instance,
                user=user,
                reason=reason,
                check_citations=False,
                expected_version=self.context.get("expected_version"),
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(django_errors(error)) from error
        for name, value in m2m.items():
            getattr(instance, name).set(value)
        for name, rows in nested.items():
            self._write_children(instance, name, rows, user=user, reason=reason)
        try:
            fact_require_citation(instance)
        except DjangoValidationError as error:
            raise serializers.ValidationError(django_errors(error)) from error
        return instance

    def child_link(self, name, parent) -> dict:
        """The fields that tie a child row of list `name` to its parent."""
        if name == "citations":
            return {"fact": parent}
        return {self.Meta.children[name]: parent}

    def _write_children(self, parent, name, rows, *, user, reason):
        """Replace the parent's child rows with `rows`: rows with an id are updated, the
        others created, and existing rows not listed are deleted."""
        if name == "citations":
            manager, child_model = parent.citations, Citation
        else:
            manager = getattr(parent, name)
            child_model = manager.model
        link = self.child_link(name, parent)
        existing = {child.pk: child for child in manager.all()}
        errors, kept = [], set()
        for row in rows:
            row = dict(row)
            pk = row.pop("id", None)
            if pk is not None and pk not in existing:
                errors.append({"id": [f"No {child_model._meta.verbose_name} {pk} here."]})
                continue
            child = existing.get(pk) or child_model()
            for key, value in {**row, **link}.items():
                setattr(child, key, value)
            try:
                record_save(child, user=user, reason=reason, check_citations=False)
                errors.append({})
            except DjangoValidationError as error:
                errors.append(django_errors(error))
            kept.add(child.pk)
        if any(errors):
            raise serializers.ValidationError({name: errors})
        for pk, child in existing.items():
            if pk not in kept:
                record_delete(child, user=user, reason=reason, check_citations=False)


def reject_unknown(serializer, data) -> None:
    """Unknown and read-only fields in a request body are errors, never silently dropped."""
    if not isinstance(data, dict):
        return
    errors = {}
    for name in data:
        field = serializer.fields.get(name)
        if field is None:
            errors[name] = ["Unknown field."]
        elif field.read_only:
            errors[name] = ["This field is read-only."]
    if errors:
        raise serializers.ValidationError(errors)


class ChildSerializer(serializers.ModelSerializer):
    """A row written with its parent (a citation, an alias, a partnership's party): an
    `id` updates that row, no `id` creates one."""

    id = serializers.IntegerField(required=False)
    serializer_related_field = RecordRefField

    def to_internal_value(self, data):
        reject_unknown(self, data)
        return super().to_internal_value(data)


class CitationNestedSerializer(ChildSerializer):
    """A citation as part of its fact: the source briefly, the quote and where it stands."""

    class Meta:
        model = Citation
        fields = (
            "id",
            "source",
            "quote",
            "translation",
            "char_start",
            "char_end",
            "locator",
            "field_name",
            "attributed_to",
        )
        read_only_fields = ("char_start", "char_end")


class FactSerializer(RecordSerializer):
    """Base for fact records: adds their citations, writable in the same request."""

    citations = CitationNestedSerializer(many=True, required=False)


class SourceSerializer(RecordSerializer):
    source_url = serializers.URLField(
        source="url", max_length=1000, required=False, allow_null=True, label="URL"
    )

    class Meta:
        model = Source
        fields = (
            "id",
            "url",
            "title",
            "publisher",
            "author",
            "source_url",
            "published_on",
            "published_precision",
            "language",
            "kind",
            "retrieved_at",
            "text",
            "text_sha256",
            *AUDIT_FIELDS,
        )
        brief_fields = (
            "id",
            "url",
            "title",
            "publisher",
            "source_url",
            "published_on",
            "published_precision",
            "language",
        )
        brief_sources = {"source_url": "url"}


def fact_models() -> dict[str, type]:
    """The models a citation can support, by API name (`metric`, `funding-round`...)."""
    from .fields import API_PREFIXES

    return {
        model._meta.model_name: model
        for model in API_PREFIXES
        if any(f.name == "citations" for f in model._meta.private_fields)
    }


@extend_schema_field(OpenApiTypes.STR)
class FactTypeField(serializers.Field):
    """The kind of fact a citation supports, by name (`metric`); stored as a content type."""

    def to_representation(self, value) -> str:
        return value.model

    def to_internal_value(self, data):
        model = fact_models().get(data) if isinstance(data, str) else None
        if model is None:
            known = ", ".join(sorted(fact_models()))
            raise serializers.ValidationError(f"Not a kind of fact: {data!r}. One of: {known}.")
        return ContentType.objects.get_for_model(model)


class CitationSerializer(RecordSerializer):
    fact_type = FactTypeField(
        source="content_type",
        help_text="The kind of fact: company, product, person, role, partnership, "
        "fundinground, investment, metric or event.",
    )
    fact_id = serializers.IntegerField(source="object_id", min_value=1)
    fact = serializers.SerializerMethodField()

    class Meta:
        model = Citation
        fields = (
            "id",
            "url",
            "fact_type",
            "fact_id",
            "fact",
            "source",
            "quote",
            "translation",
            "char_start",
            "char_end",
            "locator",
            "field_name",
            "attributed_to",
            *AUDIT_FIELDS,
        )
        read_only_fields = ("char_start", "char_end")
        brief_fields = ("id", "url", "quote")

    def get_fact(self, obj) -> dict | None:
        fact = obj.fact
        return brief(fact, self.context) if fact is not None else None

    def validate(self, attrs):
        content_type = attrs.get("content_type") or getattr(self.instance, "content_type", None)
        object_id = attrs.get("object_id") or getattr(self.instance, "object_id", None)
        if (
            content_type is not None
            and object_id is not None
            and not content_type.model_class().objects.filter(pk=object_id).exists()
        ):
            raise serializers.ValidationError(
                {"fact_id": [f"No {content_type.model} {object_id}."]}
            )
        return attrs
