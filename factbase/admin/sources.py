"""The admin of sources and citations."""

from django.contrib import admin
from django.db.models import Count

from factbase.core.models import Citation, Source

from .base import TrackedAdmin, partial_date
from .facts import CITATION_FIELDS


@admin.register(Source)
class SourceAdmin(TrackedAdmin):
    list_display = ("title", "publisher", "published", "language", "kind", "citation_count")
    list_filter = ("kind", "language", "publisher")
    search_fields = ("title", "publisher", "author", "url")
    date_hierarchy = "published_on"
    fieldsets = [
        (None, {"fields": ("title", "publisher", "author", "url", "kind", "language")}),
        ("Dates", {"fields": (("published_on", "published_precision"), "retrieved_at")}),
        ("Text", {"fields": ("text", "text_sha256"), "classes": ["collapse"]}),
    ]
    readonly_fields = ("text_sha256",)
    published = partial_date("published_on", "published_precision", "published")

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(citation_count=Count("citations", distinct=True))
        )

    @admin.display(description="citations", ordering="citation_count")
    def citation_count(self, obj):
        return obj.citation_count


@admin.register(Citation)
class CitationAdmin(TrackedAdmin):
    list_display = ("short_quote", "fact_link", "source", "attributed_to", "updated_at")
    list_filter = ("content_type", "source__language", "source")
    search_fields = ("quote", "translation", "source__title", "source__publisher")
    autocomplete_fields = ("source", "attributed_to")
    list_select_related = ("source", "content_type", "attributed_to")
    fields = ("content_type", "object_id", *CITATION_FIELDS)
    readonly_fields = ("char_start", "char_end")

    @admin.display(description="quote")
    def short_quote(self, obj):
        return obj.quote if len(obj.quote) <= 80 else obj.quote[:77] + "..."

    @admin.display(description="fact")
    def fact_link(self, obj):
        return f"{obj.content_type.name} #{obj.object_id}"
