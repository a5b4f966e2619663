"""FactAdmin: the admin of fact records. Citations inline, the status actions and filters."""

from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.contenttypes.forms import BaseGenericInlineFormSet
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Count

from factbase.core import services
from factbase.core.choices import Status
from factbase.core.models import Citation

from .base import TrackedAdmin

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


class CitationInline(GenericTabularInline):
    model = Citation
    formset = CitationFormSet
    ct_field = "content_type"
    ct_fk_field = "object_id"
    extra = 1
    fields = CITATION_FIELDS
    readonly_fields = ("char_start", "char_end")
    autocomplete_fields = ("source", "attributed_to")


@admin.action(description="Mark selected as verified", permissions=["change"])
def mark_verified(modeladmin, request, queryset):
    _set_status(modeladmin, request, queryset, Status.VERIFIED)


@admin.action(description="Mark selected as disputed", permissions=["change"])
def mark_disputed(modeladmin, request, queryset):
    _set_status(modeladmin, request, queryset, Status.DISPUTED)


@admin.action(description="Mark selected as unverified", permissions=["change"])
def mark_unverified(modeladmin, request, queryset):
    _set_status(modeladmin, request, queryset, Status.UNVERIFIED)


def _set_status(modeladmin, request, queryset, status):
    try:
        count = services.facts_set_status(
            queryset, status=status, user=request.user, reason=f"Marked {status} in the admin"
        )
    except ValidationError as error:
        modeladmin.message_user(request, " ".join(error.messages), messages.ERROR)
        return
    modeladmin.message_user(request, f"{count} marked {status}.", messages.SUCCESS)


class FactAdmin(TrackedAdmin):
    """Admin for fact records: citations inline, status actions, status filters."""

    inlines = [CitationInline]
    actions = [mark_verified, mark_disputed, mark_unverified]
    fact_list_filter = ("status", "confidence", "claim_type")
    fact_fields = ("status", "confidence", "claim_type", "note")

    def get_list_filter(self, request):
        return (*super().get_list_filter(request), *self.fact_list_filter)

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(citation_count=Count("citations", distinct=True))
        )

    @admin.display(description="citations", ordering="citation_count")
    def citation_count(self, obj):
        return obj.citation_count
