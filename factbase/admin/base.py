"""TrackedAdmin: the admin of any tracked record. Audit fields read-only, every save and
delete through `factbase.core.services` (the same history as the API and commands), the revert
of a past version, and the deleted records with their restore."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import OuterRef, Subquery, prefetch_related_objects
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin

from factbase.core import services
from factbase.core.dates import format_partial_date
from factbase.core.reasons import reason_text
from factbase.core.restore import RESTORED, RecordExists, record_restore

from .forms import ReasonForm, TrackedAdminForm, error_text

AUDIT_FIELDS = ("created_at", "created_by", "updated_at", "updated_by", "version")


def partial_date(date_field: str, precision_field: str, description: str):
    """A changelist column showing a date with its precision ('Feb 2025')."""

    @admin.display(description=description, ordering=date_field)
    def column(modeladmin, obj):
        return format_partial_date(getattr(obj, date_field), getattr(obj, precision_field))

    return column


def formset_rows(formset) -> tuple[str, list[dict]] | None:
    """An inline formset as the list of child rows `services.record_write` replaces, by
    the name of the list: an unchanged row as its id alone (kept as it is), a changed or
    new row with its values, a deleted or empty new row left out. None when nothing in
    the formset changed: the stored list is left alone.

    Also sets what Django's formset.save() would have (new, changed and deleted objects),
    from which the admin writes its change message."""
    generic = hasattr(formset, "ct_field")
    link = {formset.ct_field.name, formset.ct_fk_field.name} if generic else {formset.fk.name}
    names = [
        f.name
        for f in formset.model._meta.concrete_fields
        if not f.primary_key and f.name not in link
    ]
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    rows = []
    for form in formset.forms:
        stored = not form.instance._state.adding
        if formset._should_delete_form(form):
            if stored:
                formset.deleted_objects.append(form.instance)
            continue
        if not (stored or form.has_changed()):
            continue  # an empty extra row
        row = {"id": form.instance.pk} if stored else {}
        if form.has_changed():
            row.update({name: form.cleaned_data[name] for name in names if name in form.fields})
            if stored:
                formset.changed_objects.append((form.instance, form.changed_data))
            else:
                formset.new_objects.append(form.instance)
        rows.append(row)
    if not formset.has_changed():
        return None
    return ("citations" if generic else formset.fk.remote_field.name), rows


class TrackedAdmin(SimpleHistoryAdmin):
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
        # The record is written with its inline rows in one call, in save_related; the
        # history page's revert has no inlines and no save_related, so it writes here.
        if self.is_history_page(request):
            self.write(request, form, formsets=(), change=change)

    def save_related(self, request, form, formsets, change):
        self.write(request, form, formsets, change=change)

    def write(self, request, form, formsets, change):
        """The record, its many-to-many lists and its inline rows, through the write
        service that the API and the demo loader use (services.record_write)."""
        obj, opts = form.instance, form.instance._meta
        fields = {
            f.name: getattr(obj, f.name)
            for f in opts.concrete_fields
            if f.name in form.cleaned_data and not f.primary_key
        }
        m2m = {
            f.name: form.cleaned_data[f.name] for f in opts.many_to_many if f.name in form.fields
        }
        children = dict(filter(None, map(formset_rows, formsets)))
        services.record_write(
            obj,
            fields=fields,
            m2m=m2m,
            children=children,
            user=request.user,
            reason=self.history_reason(request, form),
            expected_version=form.cleaned_data.get("loaded_version") if change else None,
        )

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
        deleted with it (factbase.core.restore)."""
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
            request.POST if request.method == "POST" else None, reason_prefix=RESTORED
        )
        if form.is_valid():
            reason = form.cleaned_data["change_reason"]
            try:
                restored = record_restore(self.model, pk, user=request.user, reason=reason)
            except RecordExists as error:
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
