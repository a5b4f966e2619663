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
from .cited import HasCitationsFilter
from .citing import (
    OFFSET_FIELDS,
    PrefilledCitationForm,
    citation_prefill,
    prefilled_formset,
    see_in_source,
)
from .forms import ListRules
from .pickers import RecordPickersMixin
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


class CitationFormSet(ListRules, BaseGenericInlineFormSet):
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


class CitationInline(RecordPickersMixin, GenericStackedInline):
    """A fact's citations: the source and the quote in view, who said it and where it
    stands folded away (opened when one of them has an error)."""

    model = Citation
    form = PrefilledCitationForm
    formset = CitationFormSet
    ct_field = "content_type"
    ct_fk_field = "object_id"
    extra = 1
    fieldsets = [
        (None, {"fields": ("source", "quote", "translation", "see_in_source")}),
        (
            "Who said it, and where",
            {
                "fields": ("attributed_to", ("field_name", "locator"), ("char_start", "char_end")),
                "classes": ["collapse"],
            },
        ),
    ]
    readonly_fields = ("char_start", "char_end", "see_in_source")
    autocomplete_fields = ("source", "attributed_to")

    # Words cited from a source's reader (factbase.admin.citing) arrive in the add form's
    # query: the first row starts with them, and their offsets travel as hidden inputs,
    # so that the citation keeps the place the editor selected, not the quote's first.
    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        prefill = citation_prefill(request.GET) if obj is None else None
        return prefilled_formset(formset, prefill) if prefill else formset

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is None and citation_prefill(request.GET):
            return tuple(name for name in readonly if name not in OFFSET_FIELDS)
        return readonly

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in ("quote", "translation"):
            kwargs["widget"] = QUOTE_WIDGET
        if db_field.name in OFFSET_FIELDS:
            kwargs["widget"] = forms.HiddenInput
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="in the source")
    def see_in_source(self, obj):
        return see_in_source(obj)


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
    fact_list_filter = ("status", "confidence", "claim_type", HasCitationsFilter)
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
