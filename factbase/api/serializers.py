"""The serializer family every model's serializers derive from.

- One serializer per model; `nested=True` (or `?brief=1`) gives its brief form, which is
  also how other records show it.
- `fields=` keeps only the named fields (`?fields=id,value,region`).
- Unknown fields in a request body are an error, not silently dropped.
- Writes go through `factbase.core.services.record_write`: validation, audit fields, version and
  history happen there, in one transaction with the citations and child rows; the
  serializer validates the request and renders the record.
"""

from django.contrib.contenttypes.models import ContentType
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.validators import UniqueTogetherValidator

from factbase.core.corroboration import (
    CORROBORATED,
    fact_source_count,
    source_count_expression,
)
from factbase.core.kinds import fact_kinds, kind_of
from factbase.core.models import Citation, Source

from .csv_lists import CsvItem
from .fields import (
    BRIEF_SERIALIZERS,
    STRICT_FIELDS,
    RecordRefField,
    StrictChoiceField,
    StrictIntegerField,
    brief,
    record_url,
)

AUDIT_FIELDS = ("version", "created_at", "updated_at", "created_by", "updated_by")
FACT_FIELDS = ("status", "confidence", "claim_type", "note")
# What a citation shows, inside its fact and on its own page.
CITATION_FIELDS = (
    "source",
    "quote",
    "translation",
    "char_start",
    "char_end",
    "locator",
    "field_name",
    "attributed_to",
)
WHO = "A username; null when no one logged in wrote it (a command) or the user is deleted."


# Model fields -> serializer fields: number fields that read ASCII digits only, and fields
# that take a value of their own JSON type in an API body (factbase.api.fields).
FIELD_MAPPING = {
    model_field: STRICT_FIELDS.get(field, field)
    for model_field, field in serializers.ModelSerializer.serializer_field_mapping.items()
}


class RecordSerializer(serializers.ModelSerializer):
    """Base of every model serializer.

    Subclasses set `Meta.model`, `Meta.fields` (explicit, never `__all__`) and
    `Meta.brief_fields`; `Meta.children` names nested lists of child rows saved with the
    parent (`{"parties": "partnership"}`: field name -> the child's foreign key name).
    """

    url = serializers.SerializerMethodField()
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text=WHO
    )
    updated_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text=WHO
    )
    serializer_related_field = RecordRefField
    serializer_field_mapping = FIELD_MAPPING
    serializer_choice_field = StrictChoiceField

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        meta = getattr(cls, "Meta", None)
        if meta is not None and getattr(meta, "model", None) is not None:
            BRIEF_SERIALIZERS.setdefault(meta.model, cls)

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if issubclass(field_class, serializers.DecimalField):
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
        if fields and not nested:
            # In the order asked for (BindingDict keeps its fields, already bound, here).
            own = self.fields.fields
            self.fields.fields = {name: own[name] for name in fields if name in own}

    def get_url(self, obj) -> str:
        return record_url(obj, self.context)

    def to_internal_value(self, data):
        reject_unknown(self, data)
        return super().to_internal_value(data)

    # --- writes: the viewset hands `split()` to services.record_write -----------------

    def split(self) -> tuple[dict, dict, dict]:
        """The validated data as the write service takes it: plain fields, many-to-many
        lists, and citations and child lists."""
        model = self.Meta.model
        m2m_names = {f.name for f in model._meta.many_to_many}
        children = getattr(self.Meta, "children", {})
        plain, m2m, nested = {}, {}, {}
        for name, value in self.validated_data.items():
            if name in m2m_names:
                m2m[name] = value
            elif name == "citations" or name in children:
                nested[name] = value
            else:
                plain[name] = value
        return plain, m2m, nested

    def create(self, validated_data):
        raise TypeError("Records are written by the viewset, through services.record_write.")

    update = create

    def api_errors(self, errors: dict) -> dict:
        """The model's errors under the names the API gives its fields: a duplicate source
        URL is an error of `source_url`, not of `url` (the record's own link)."""
        names = {
            field.source: name
            for name, field in self.fields.items()
            if field.source not in (name, "*")
        }
        return {names.get(key, key): by_index(value) for key, value in errors.items()}


def by_index(value):
    """A list's errors, one dict a row (`{}` for a valid row), as the API names them: by the
    row's index, the valid rows left out, `{"citations": {"1": {"id": [...]}}}`, as for
    errors found before the write."""
    if isinstance(value, list) and value and all(isinstance(row, dict) for row in value):
        return {index: row for index, row in enumerate(value) if row}
    return value


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


# The body of an action that is not a record's write (a merge, a restore, a conflict's
# resolution): its unknown and read-only fields refused like a record's. (A comment, not
# a docstring: the schema would show it as each body's description.)
class InputSerializer(serializers.Serializer):
    def to_internal_value(self, data):
        reject_unknown(self, data)
        return super().to_internal_value(data)


class ChildSerializer(serializers.ModelSerializer):
    """A row written with its parent (a citation, an alias, a partnership's party): an
    `id` updates that row, no `id` creates one."""

    id = StrictIntegerField(required=False)
    serializer_related_field = RecordRefField
    serializer_field_mapping = FIELD_MAPPING
    serializer_choice_field = StrictChoiceField

    def to_internal_value(self, data):
        reject_unknown(self, data)
        return super().to_internal_value(data)

    def get_validators(self):
        # A row's uniqueness is the write service's to check, by the model's own rules,
        # which know the stored row a row with an `id` is. DRF's validator of a nested
        # row knows none: it refused a row holding the values it stores (a company's
        # identifiers sent back as read), and one given as its id alone.
        return [v for v in super().get_validators() if not isinstance(v, UniqueTogetherValidator)]


class CitationNestedSerializer(ChildSerializer):
    """A citation as part of its fact: the source briefly, the quote and where it stands."""

    class Meta:
        model = Citation
        fields = ("id", *CITATION_FIELDS)
        read_only_fields = ("char_start", "char_end")
        # In its fact's CSV, the cited sources' ids (`citations_source_ids`: "3;3;7"): a
        # source has no slug to show.
        csv_item = CsvItem("source")


class FactSerializer(RecordSerializer):
    """Base for fact records: adds their citations, writable in the same request, and how
    many independent sources back them (see factbase.core.corroboration)."""

    citations = CitationNestedSerializer(many=True, required=False)
    source_count = serializers.SerializerMethodField(
        help_text="Independent sources among the citations: sources of the same publisher "
        "count once."
    )
    corroborated = serializers.SerializerMethodField(
        help_text=f"Backed by at least {CORROBORATED} independent sources."
    )

    # Every fact has them, next to its citations: added here rather than repeated in each
    # serializer's field list.
    provenance_fields = ("source_count", "corroborated")
    # The CSV's source count is counted by the database (factbase.api.shape).
    csv_expressions = {"source_count": source_count_expression}

    def get_field_names(self, declared_fields, info):
        names = [
            name
            for name in super().get_field_names(declared_fields, info)
            if name not in self.provenance_fields
        ]
        at = names.index("citations") + 1 if "citations" in names else len(names)
        return (*names[:at], *self.provenance_fields, *names[at:])

    def get_source_count(self, obj) -> int:
        return fact_source_count(obj)

    def get_corroborated(self, obj) -> bool:
        return fact_source_count(obj) >= CORROBORATED

    # The same, for reads from rows (factbase.api.rows).
    def row_source_count(self, row, page) -> int:
        return page.source_count(row["id"])

    def row_corroborated(self, row, page) -> bool:
        return page.source_count(row["id"]) >= CORROBORATED


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
        csv_exclude = ("text",)  # megabytes; text_sha256 says which text it is


def fact_models() -> dict[str, type]:
    """The models a citation can support, by `fact_type` (`metric`, `role`...)."""
    return {name: kind.model for name, kind in fact_kinds().items()}


def parent_record(record):
    """The record whose page lists `record` among its child rows (a role: its person)."""
    kind = kind_of(type(record))
    return getattr(record, kind.parent) if kind is not None and kind.parent else None


@extend_schema_field(OpenApiTypes.STR)
class FactTypeField(serializers.Field):
    """The kind of fact a citation supports, by name (`metric`); stored as a content type."""

    csv_path = "content_type__model"

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
    fact_id = StrictIntegerField(source="object_id", min_value=1)
    fact = serializers.SerializerMethodField(
        help_text="The fact in brief. A role has no page of its own: its url is its person's."
    )

    class Meta:
        model = Citation
        fields = (
            "id",
            "url",
            "fact_type",
            "fact_id",
            "fact",
            *CITATION_FIELDS,
            *AUDIT_FIELDS,
        )
        read_only_fields = CitationNestedSerializer.Meta.read_only_fields
        brief_fields = ("id", "url", "quote")
        csv_relations = {"source": ("title",), "attributed_to": ("name",)}

    def get_fact(self, obj) -> dict | None:
        fact = obj.fact
        if fact is None:
            return None
        if kind_of(type(fact)).endpoint:
            return brief(fact, self.context)
        # A role has no page of its own: it is listed in its person's `roles`.
        parent = parent_record(fact)
        url = record_url(parent, self.context) if parent is not None else None
        return {"id": fact.pk, "url": url}

    # The same, for reads from rows (factbase.api.rows).
    def row_fact_type(self, row, page) -> str:
        return ContentType.objects.get_for_id(row["content_type_id"]).model

    def row_fact(self, row, page) -> dict | None:
        model = ContentType.objects.get_for_id(row["content_type_id"]).model_class()
        kind, pk = kind_of(model), row["object_id"]
        if kind.endpoint:
            return page.fact_brief(model, pk)
        parent = page.parent_id(model, pk)
        if parent is None:
            return None  # no such fact (it was never stored, or not at this instant)
        parent_kind = kind_of(kind.parent_field.related_model)
        return {"id": pk, "url": f"{page.base}{parent_kind.name}/{parent}/"}
