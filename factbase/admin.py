"""Admin base classes shared by every app, and the admin of sources and citations.

Every save, delete and bulk action of the admin goes through `factbase.services`, so
the admin writes the same history, with the editor as author, as the API and commands.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.contenttypes.forms import BaseGenericInlineFormSet
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Count, OuterRef, Subquery, prefetch_related_objects
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from . import reasons, services
from .choices import Status
from .dates import format_partial_date
from .models import Citation, Snapshot, Source
from .reasons import reason_text
from .snapshots.package import SnapshotFileError
from .snapshots.quota import SnapshotQuotaExceeded, snapshot_quota_check
from .snapshots.store import snapshot_delete, snapshot_take

AUDIT_FIELDS = ("created_at", "created_by", "updated_at", "updated_by", "version")


def partial_date(date_field: str, precision_field: str, description: str):
    """A changelist column showing a date with its precision ('Feb 2025')."""

    @admin.display(description=description, ordering=date_field)
    def column(modeladmin, obj):
        return format_partial_date(getattr(obj, date_field), getattr(obj, precision_field))

    return column


class ReasonFieldMixin:
    """The editor's reason, checked as every reason is (factbase.reasons): a form whose
    write adds words before it ("Reverted to version 3") sets `reason_prefix`."""

    reason_prefix = ""

    def clean_change_reason(self):
        reason = self.cleaned_data.get("change_reason", "")
        reason_text(reason, prefix=self.reason_prefix)  # a form error when it does not fit
        return reason


def reason_field() -> forms.CharField:
    return forms.CharField(
        label="Reason for this change",
        max_length=reasons.MAX_LENGTH,
        required=False,
        help_text="Optional; kept in the record's history.",
    )


class TrackedAdminForm(ReasonFieldMixin, forms.ModelForm):
    """Carries the version the editor opened, so a save over someone else's newer
    change is refused instead of silently undoing it; and the editor's reason, kept in
    the record's history."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    change_reason = reason_field()

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
        reason = form.cleaned_data.get("change_reason", "")
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.record_delete(obj, user=request.user, reason=reason, check_citations=False)
        for obj in instances:
            services.record_save(obj, user=request.user, reason=reason, check_citations=False)
        formset.save_m2m()


class TrackedAdmin(ServiceFormSetMixin, SimpleHistoryAdmin):
    """Admin for any tracked record: audit fields read-only, writes through services."""

    form = TrackedAdminForm
    list_per_page = 50
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    show_full_result_count = False  # a COUNT(*) over millions of rows on every page is waste

    def get_readonly_fields(self, request, obj=None):
        readonly = (*super().get_readonly_fields(request, obj), *AUDIT_FIELDS)
        if self.is_history_page(request) and not self.has_change_permission(request, obj):
            # A past version shown to someone who may not revert it: values, not inputs.
            # simple-history builds the prepopulated (slug) inputs whatever the
            # permission, so those stay inputs; the view refuses the POST anyway.
            opts = self.model._meta
            prepopulated = {*self.prepopulated_fields}
            prepopulated.update(*self.prepopulated_fields.values())
            fields = [
                f.name
                for f in (*opts.concrete_fields, *opts.many_to_many)
                if f.editable and f.name not in prepopulated
            ]
            return (*readonly, *fields)
        return readonly

    @staticmethod
    def is_history_page(request) -> bool:
        match = request.resolver_match
        return match is not None and match.url_name.endswith("_simple_history")

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history lets anyone who may view the history POST its form back, which
        # reverts the record: a revert is a change, and needs the change permission.
        if request.method not in ("GET", "HEAD") and not self.has_change_permission(request):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.fieldsets is None:
            if any("loaded_version" in options["fields"] for _, options in fieldsets):
                return fieldsets
            name, options = fieldsets[-1]
            extra = ["loaded_version", "change_reason"]
            return [
                *fieldsets[:-1],
                (name, {**options, "fields": [*options["fields"], *extra]}),
            ]
        record = (*AUDIT_FIELDS, "loaded_version")
        return [
            *fieldsets,
            (None, {"fields": ["change_reason"]}),
            ("Record", {"fields": record, "classes": ["collapse"]}),
        ]

    def history_reason(self, request, form) -> str:
        """The editor's reason; a revert from the history page says which version it
        brings back."""
        reason = form.cleaned_data.get("change_reason", "") if form is not None else ""
        return reason_text(reason, prefix=getattr(form, "reason_prefix", ""))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if self.is_history_page(request) and obj is not None:
            # The revert's own words go first in its history reason.
            prefix = f"Reverted to version {obj.version}"
            form = type(form.__name__, (form,), {"reason_prefix": prefix})
        return form

    def save_model(self, request, obj, form, change):
        # Citations arrive in the inline formset, validated there and saved right after.
        reason = self.history_reason(request, form)
        services.record_save(
            obj,
            user=request.user,
            reason=reason,
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

    def delete_view(self, request, object_id, extra_context=None):
        if request.method == "POST":
            form = ReasonForm(request.POST)
            if not form.is_valid():
                self.message_user(request, f"Not deleted. {error_text(form)}", messages.ERROR)
                return HttpResponseRedirect(request.get_full_path())
            request.change_reason = form.cleaned_data["change_reason"]
        extra_context = {**(extra_context or {}), "asks_reason": True}
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        reason = getattr(request, "change_reason", "")
        services.record_delete(obj, user=request.user, reason=reason)

    def delete_queryset(self, request, queryset):
        services.records_delete(queryset, user=request.user)

    # --- deleted records ----------------------------------------------------------------

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("deleted/", view(self.deleted_view), name=f"{info}_deleted"),
            path("<path:object_id>/restore/", view(self.restore_view), name=f"{info}_restore"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "deleted_records_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_deleted"
            ),
        }
        return super().changelist_view(request, extra_context)

    def deleted_view(self, request):
        """The records of this kind that are deleted, last deleted first, each with a
        link to its history and, for editors, to restore it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        history = self.model.history.model._default_manager
        latest = (
            history.filter(id=OuterRef("id"))
            .order_by("-history_date", "-history_id")
            .values("history_id")[:1]
        )
        rows = (
            history.filter(history_type="-", history_id=Subquery(latest))
            .exclude(id__in=self.model._default_manager.values("pk"))
            .select_related("history_user")
            .order_by("-history_date", "-history_id")
        )
        page = Paginator(rows, self.list_per_page).get_page(request.GET.get("p"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Deleted {self.opts.verbose_name_plural}",
            "page": page,
            "records": list(zip(page, deleted_labels(list(page)), strict=True)),
            "can_restore": self.has_add_permission(request),
        }
        return TemplateResponse(request, "admin/deleted_records.html", context)

    def restore_view(self, request, object_id):
        """Confirm, then restore a deleted record with its citations and the rows
        deleted with it (services.record_restore)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if not (object_id.isascii() and object_id.isdigit() and len(object_id) < 19):
            raise Http404
        pk = int(object_id)
        last = self.model.history.filter(id=pk).order_by("-history_date", "-history_id").first()
        if last is None:
            raise Http404
        info = f"admin:{self.opts.app_label}_{self.opts.model_name}"
        form = ReasonForm(
            request.POST if request.method == "POST" else None, reason_prefix=services.RESTORED
        )
        if form.is_valid():
            reason = form.cleaned_data["change_reason"]
            try:
                restored = services.record_restore(self.model, pk, user=request.user, reason=reason)
            except services.RecordExists as error:
                self.message_user(request, str(error), messages.WARNING)
                return HttpResponseRedirect(reverse(f"{info}_change", args=[pk]))
            except ValidationError as error:
                self.message_user(request, f"Not restored. {error_text(error)}", messages.ERROR)
                return HttpResponseRedirect(reverse(f"{info}_deleted"))
            self.log_change(request, restored[0], "Restored.")
            others = len(restored) - 1
            with_others = f", with {others} rows deleted with it" if others else ""
            self.message_user(request, f"Restored “{restored[0]}”{with_others}.", messages.SUCCESS)
            return HttpResponseRedirect(reverse(f"{info}_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Restore {self.opts.verbose_name}",
            "row": last,
            "label": deleted_labels([last])[0],
            "form": form,
            "exists": self.model._default_manager.filter(pk=pk).exists(),
        }
        return TemplateResponse(request, "admin/restore_confirmation.html", context)


class ReasonForm(ReasonFieldMixin, forms.Form):
    """The reason asked for by the delete and restore pages, checked like the edit
    forms' (length, no NUL character)."""

    change_reason = reason_field()

    def __init__(self, *args, reason_prefix: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.reason_prefix = reason_prefix


def deleted_labels(rows: list) -> list[str]:
    """How deleted records read, as far as the records they name still exist: the
    records they name are read for all the rows at once, not once a row."""
    instances = [row.instance for row in rows]
    if instances:
        model = type(instances[0])
        names = [
            f.name
            for f in model._meta.concrete_fields
            if f.many_to_one and f.related_model is not get_user_model()
        ]
        prefetch_related_objects(instances, *names)
    labels = []
    for row, instance in zip(rows, instances, strict=True):
        try:
            labels.append(str(instance))
        except ObjectDoesNotExist:
            labels.append(f"{row.instance_type._meta.verbose_name} {row.id}")
    return labels


def error_text(error: ValidationError | forms.Form) -> str:
    if isinstance(error, forms.Form):
        return " ".join(" ".join(texts) for texts in error.errors.values())
    if hasattr(error, "error_dict"):
        return " ".join(
            f"{field}: {' '.join(texts)}" for field, texts in error.message_dict.items()
        )
    return " ".join(error.messages)


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


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    """Snapshots kept in the app. Taken with the changelist's button (needs the
    add_snapshot permission), never typed in a form, never edited. Only superusers delete
    one, which deletes its file too: a snapshot may be the only copy of what it holds."""

    list_display = (
        "created_at",
        "created_by",
        "size_display",
        "rows_display",
        "tables",
        "short_sha256",
        "download_link",
    )
    list_select_related = ("created_by",)
    list_per_page = 50
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "created_by",
        "download_link",
        "stored_as",
        "size_display",
        "sha256",
        "tables",
        "rows_display",
        "seconds_display",
        "format_version",
        "row_counts_table",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # taken by the button (take_view), not typed in a form

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def can_take(self, request) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.add_{self.opts.model_name}")

    def get_urls(self):
        take = path(
            "take/",
            self.admin_site.admin_view(self.take_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_take",
        )
        return [take, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_take_snapshot": self.can_take(request)}
        return super().changelist_view(request, extra_context)

    def take_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.can_take(request):
            raise PermissionDenied
        try:
            snapshot_quota_check(request.user)
            snapshot = snapshot_take(user=request.user)
        except (SnapshotFileError, SnapshotQuotaExceeded, OSError) as error:
            self.message_user(request, f"The snapshot was not taken: {error}", messages.ERROR)
        else:
            self.message_user(
                request,
                f"Snapshot taken: {snapshot.rows:,} rows, {filesizeformat(snapshot.size)}.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        )

    def delete_model(self, request, obj):
        snapshot_delete(obj)

    def delete_queryset(self, request, queryset):
        for snapshot in queryset:
            snapshot_delete(snapshot)

    @admin.display(description="size", ordering="size")
    def size_display(self, obj):
        return filesizeformat(obj.size)

    @admin.display(description="rows", ordering="rows")
    def rows_display(self, obj):
        return f"{obj.rows:,}"

    @admin.display(description="export time")
    def seconds_display(self, obj):
        return f"{obj.seconds:.2f} s"

    @admin.display(description="SHA-256")
    def short_sha256(self, obj):
        return format_html('<code title="{}">{}</code>', obj.sha256, obj.sha256[:12])

    @admin.display(description="download")
    def download_link(self, obj):
        url = reverse("factbase-api:snapshot-download", args=[obj.pk])
        return format_html('<a href="{}" download>{}</a>', url, obj.file.name.rsplit("/", 1)[-1])

    @admin.display(description="stored as")
    def stored_as(self, obj):
        return obj.file.name

    @admin.display(description="rows per table")
    def row_counts_table(self, obj):
        rows = format_html_join(
            "",
            '<tr><td>{}</td><td style="text-align: right">{}</td></tr>',
            ((name, f"{count:,}") for name, count in sorted(obj.row_counts.items())),
        )
        return format_html("<table><tbody>{}</tbody></table>", rows)
