"""Admin base classes shared by every app, and the admin of sources and citations.

Every save, delete and bulk action of the admin goes through `factbase.services`, so
the admin writes the same history, with the editor as author, as the API and commands.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.contenttypes.forms import BaseGenericInlineFormSet
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .choices import Status
from .dates import format_partial_date
from .models import Citation, Source

AUDIT_FIELDS = ("created_at", "created_by", "updated_at", "updated_by", "version")


def partial_date(date_field: str, precision_field: str, description: str):
    """A changelist column showing a date with its precision ('Feb 2025')."""

    @admin.display(description=description, ordering=date_field)
    def column(modeladmin, obj):
        return format_partial_date(getattr(obj, date_field), getattr(obj, precision_field))

    return column


class TrackedAdminForm(forms.ModelForm):
    """Carries the version the editor opened, so a save over someone else's newer
    change is refused instead of silently undoing it."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and not self.is_bound:
            # Read from the table: on the history "revert" page the instance is the old one.
            current = type(self.instance)._default_manager.filter(pk=self.instance.pk)
            self.initial["loaded_version"] = current.values_list("version", flat=True).first()

    def clean(self):
        cleaned = super().clean()
        loaded = cleaned.get("loaded_version")
        if self.instance.pk is not None and loaded is not None:
            current = (
                type(self.instance)
                ._default_manager.filter(pk=self.instance.pk)
                .values_list("version", "updated_by__username", "updated_at")
                .first()
            )
            if current is not None and current[0] != loaded:
                who = current[1] or "another process"
                raise ValidationError(
                    f"{who} changed this record at {current[2]:%Y-%m-%d %H:%M} UTC after you "
                    "opened it. Open it again to see their change, then redo yours."
                )
        return cleaned


class ServiceFormSetMixin:
    """Inline rows are saved and deleted through the services too."""

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.record_delete(obj, user=request.user, check_citations=False)
        for obj in instances:
            services.record_save(obj, user=request.user, check_citations=False)
        formset.save_m2m()


class TrackedAdmin(ServiceFormSetMixin, SimpleHistoryAdmin):
    """Admin for any tracked record: audit fields read-only, writes through services."""

    form = TrackedAdminForm
    list_per_page = 50
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    show_full_result_count = False  # a COUNT(*) over millions of rows on every page is waste

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), *AUDIT_FIELDS)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.fieldsets is None:
            if any("loaded_version" in options["fields"] for _, options in fieldsets):
                return fieldsets
            name, options = fieldsets[-1]
            return [
                *fieldsets[:-1],
                (name, {**options, "fields": [*options["fields"], "loaded_version"]}),
            ]
        record = (*AUDIT_FIELDS, "loaded_version")
        return [*fieldsets, ("Record", {"fields": record, "classes": ["collapse"]})]

    def save_model(self, request, obj, form, change):
        # Citations arrive in the inline formset, validated there and saved right after.
        services.record_save(
            obj,
            user=request.user,
            check_citations=False,
            expected_version=form.cleaned_data.get("loaded_version") if change else None,
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.fact_require_citation(form.instance)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # Many-to-many references protect too (see services.m2m_referrers).
        for obj in objs:
            protected.extend(
                f"{r._meta.verbose_name.capitalize()}: {r}" for r in services.m2m_referrers(obj)
            )
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        services.record_delete(obj, user=request.user)

    def delete_queryset(self, request, queryset):
        services.records_delete(queryset, user=request.user)


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
    fields = (
        "source",
        "quote",
        "translation",
        "attributed_to",
        "field_name",
        "locator",
        "char_start",
        "char_end",
    )
    readonly_fields = ("char_start", "char_end")
    autocomplete_fields = ("source", "attributed_to")


@admin.action(description="Mark selected as verified")
def mark_verified(modeladmin, request, queryset):
    _set_status(modeladmin, request, queryset, Status.VERIFIED)


@admin.action(description="Mark selected as disputed")
def mark_disputed(modeladmin, request, queryset):
    _set_status(modeladmin, request, queryset, Status.DISPUTED)


@admin.action(description="Mark selected as unverified")
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
    fields = (
        "content_type",
        "object_id",
        "source",
        "quote",
        "translation",
        "attributed_to",
        "field_name",
        "locator",
        "char_start",
        "char_end",
    )
    readonly_fields = ("char_start", "char_end")

    @admin.display(description="quote")
    def short_quote(self, obj):
        return obj.quote if len(obj.quote) <= 80 else obj.quote[:77] + "..."

    @admin.display(description="fact")
    def fact_link(self, obj):
        return f"{obj.content_type.name} #{obj.object_id}"
