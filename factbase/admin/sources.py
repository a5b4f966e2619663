"""The admin of sources and citations."""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType

from factbase.core.kinds import fact_kinds
from factbase.core.models import Citation, Source

from .base import TrackedAdmin, partial_date
from .facts import CITATION_FIELDS, with_citation_count
from .filters import FactKindFilter, in_use
from .languages import language_label
from .widgets import LanguageSelect


@admin.register(Source)
class SourceAdmin(TrackedAdmin):
    list_display = ("title", "publisher", "published", "language_name", "kind", "citation_count")
    list_filter = ("kind", in_use("language", label=language_label), "publisher")
    search_fields = ("title", "publisher", "author", "url")
    date_hierarchy = "published_on"
    fieldsets = [
        (None, {"fields": ("title", "publisher", "author", "url", "kind", "language")}),
        ("Dates", {"fields": (("published_on", "published_precision"), "retrieved_at")}),
        ("Text", {"fields": ("text", "text_sha256"), "classes": ["collapse"]}),
    ]
    readonly_fields = ("text_sha256",)
    published = partial_date("published_on", "published_precision", "published")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "language":
            kwargs["widget"] = LanguageSelect
            kwargs["help_text"] = "Pick it by name, or type its BCP 47 tag (it, pt-BR, ...)."
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request):
        return with_citation_count(super().get_queryset(request))

    @admin.display(description="language", ordering="language")
    def language_name(self, obj):
        return language_label(obj.language)

    @admin.display(description="citations", ordering="citation_count")
    def citation_count(self, obj):
        return obj.citation_count


@admin.register(Citation)
class CitationAdmin(TrackedAdmin):
    list_display = ("short_quote", "fact_link", "source", "attributed_to", "updated_at")
    list_filter = (
        FactKindFilter,
        in_use("source__language", label=language_label, title="source language"),
        "source",
    )
    search_fields = ("quote", "translation", "source__title", "source__publisher")
    autocomplete_fields = ("source", "attributed_to")
    list_select_related = ("source", "content_type", "attributed_to")
    fields = ("content_type", "object_id", *CITATION_FIELDS)
    readonly_fields = ("char_start", "char_end")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "content_type":
            # A citation supports a fact: the kinds of fact, not every table Django has.
            models = [kind.model for kind in fact_kinds().values()]
            types = ContentType.objects.get_for_models(*models, for_concrete_models=False)
            kwargs["queryset"] = ContentType.objects.filter(pk__in=[t.pk for t in types.values()])
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = lambda ct: ct.model_class()._meta.verbose_name
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="quote")
    def short_quote(self, obj):
        return obj.quote if len(obj.quote) <= 80 else obj.quote[:77] + "..."

    @admin.display(description="fact")
    def fact_link(self, obj):
        return f"{obj.content_type.name} #{obj.object_id}"
