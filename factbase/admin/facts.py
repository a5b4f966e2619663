"""FactAdmin: the admin of fact records. Citations inline, the status actions and filters."""

from django import forms
from django.contrib import admin
from django.contrib.contenttypes.admin import GenericStackedInline
from django.contrib.contenttypes.forms import BaseGenericInlineFormSet
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Count

from factbase.core.choices import Status
from factbase.core.models import Citation

from .actions import STATUS_ACTIONS
from .base import TrackedAdmin
from .widgets import SearchableChoicesMixin

# What an editor sees of a citation, inline under its fact and on its own page.
CITATION_FIELDS = (
    "source",
    "quote",
    "translation",
    "attributed_to",
    "field_name",
    "locator",
    "char_start",
    "char_end",
)

# The quote and its translation side by side would not fit a window: one under the other,
# three lines each, as wide as the page allows.
QUOTE_WIDGET = forms.Textarea(attrs={"rows": 3, "cols": 80, "class": "quote-text"})


class CitationFormSet(BaseGenericInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # So that Citation.clean() can check field_name against the fact's model.
        form.instance.content_type = ContentType.objects.get_for_model(self.instance)
        return form

    def clean(self):
        super().clean()
        if getattr(self.instance, "status", None) != Status.VERIFIED:
            return
        kept = [
            f
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f not in self.deleted_forms
        ]
        if not kept:
            raise ValidationError(
                "A fact cannot be verified without at least one citation: "
                "add one below, or choose another status."
            )


class CitationInline(GenericStackedInline):
    """A fact's citations: the source and the quote in view, who said it and where it
    stands folded away (opened when one of them has an error)."""

    model = Citation
    formset = CitationFormSet
    ct_field = "content_type"
    ct_fk_field = "object_id"
    extra = 1
    fieldsets = [
        (None, {"fields": ("source", "quote", "translation")}),
        (
            "Who said it, and where",
            {
                "fields": ("attributed_to", ("field_name", "locator"), ("char_start", "char_end")),
                "classes": ["collapse"],
            },
        ),
    ]
    readonly_fields = ("char_start", "char_end")
    autocomplete_fields = ("source", "attributed_to")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in ("quote", "translation"):
            kwargs["widget"] = QUOTE_WIDGET
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def with_citation_count(queryset):
    """Each record with its number of citations. Counting groups the rows, and Django
    drops the model's default order from a grouped query: it is given again, so that
    lists and pickers (the autocomplete's pages) keep a stable order."""
    counted = queryset.annotate(citation_count=Count("citations", distinct=True))
    if counted.ordered:
        return counted
    return counted.order_by(*(queryset.model._meta.ordering or ["pk"]))


class FactAdmin(SearchableChoicesMixin, TrackedAdmin):
    """Admin for fact records: citations inline, status actions, status filters; long
    lists (countries, currencies) searched by name."""

    inlines = [CitationInline]
    actions = STATUS_ACTIONS
    fact_list_filter = ("status", "confidence", "claim_type")
    fact_fields = ("status", "confidence", "claim_type", "note")

    class Media:
        css = {"all": ["factbase/admin/forms.css"]}

    def get_list_filter(self, request):
        return (*super().get_list_filter(request), *self.fact_list_filter)

    def get_queryset(self, request):
        return with_citation_count(super().get_queryset(request))

    @admin.display(description="citations", ordering="citation_count")
    def citation_count(self, obj):
        return obj.citation_count
