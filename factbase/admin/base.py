"""TrackedAdmin: the admin of any tracked record. Audit fields read-only, every save and
delete through `factbase.core.services` (the same history as the API and commands), the revert
of a past version, and the deleted records with their restore."""

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.admin import GenericInlineModelAdmin
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models, router, transaction
from django.db.models import OuterRef, Subquery, prefetch_related_objects
from django.forms.models import _get_foreign_key
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin

from factbase.core import services
from factbase.core.dates import format_partial_date
from factbase.core.feed import hold
from factbase.core.ids import id_from
from factbase.core.models import history_model_of
from factbase.core.reasons import reason_text
from factbase.core.restore import (
    RESTORED,
    RecordExists,
    record_restore,
    revert_children,
    version_rows,
)
from factbase.core.services import RecordInvalid, clock

from . import history
from .actions import SelectedIdsMixin
from .dates import partial_date_form
from .filters import RefusedListQueryMixin
from .forms import ReasonForm, TrackedAdminForm, error_text
from .imports import ImportAdminMixin
from .pickers import RecordPickersMixin
from .quantities import amount_form

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
    formset.row_forms = []  # the form of each row, for the write service's row errors
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
        formset.row_forms.append(form)
    if not formset.has_changed():
        return None
    # The list replaces the stored one: a row stored since the page was read (a citation
    # added on its own page meanwhile) is not in the form, and is kept, not deleted.
    shown = {form.instance.pk for form in formset.forms if not form.instance._state.adding}
    # The formset's own read of the stored rows (it found each form's row in it).
    stored = [child.pk for child in formset.get_queryset()]
    rows.extend({"id": pk} for pk in stored if pk not in shown)
    return ("citations" if generic else formset.fk.remote_field.name), rows


def refused_by_form(errors: dict, formsets) -> dict:
    """A write service's refusal (RecordInvalid.errors) as errors of the page's forms, by
    prefix (None, the record's own form): a list's row errors on the inline row that gave
    the row, anything else on the record's form."""
    by_form: dict = {}

    def add(prefix, name, texts):
        by_form.setdefault(prefix, {}).setdefault(name, []).extend(texts)

    row_forms = {
        ("citations" if hasattr(f, "ct_field") else f.fk.remote_field.name): f.row_forms
        for f in formsets
        if hasattr(f, "row_forms")
    }
    for name, detail in errors.items():
        rows = isinstance(detail, list) and all(isinstance(row, dict) for row in detail)
        if name in row_forms and rows:
            forms = row_forms[name]
            for i, row in enumerate(detail):
                for field, texts in (row or {}).items():
                    if i < len(forms):
                        add(forms[i].prefix, field, _texts(texts))
                    else:  # a stored row the page did not show
                        add(None, None, [f"{name} (a row not shown): {t}" for t in _texts(texts)])
        else:
            add(None, None if name == "non_field_errors" else name, _texts(detail))
    return by_form


def _texts(texts) -> list[str]:
    if isinstance(texts, ValidationError):
        return texts.messages
    if isinstance(texts, list | tuple):
        return [str(t) for t in texts]
    return [str(texts)]


def with_refusal(form_class, refused: dict):
    """`form_class` that gives, once its own checks pass, the errors the write service
    found in what it holds (refused_by_form)."""

    def clean(self):
        cleaned = super(form, self).clean()
        for name, texts in refused.get(self.prefix, {}).items():
            self.add_error(name if name in self.fields else None, texts)
        return cleaned

    form = type(form_class.__name__, (form_class,), {"clean": clean})
    return form


def refusal(what: str, error: ValidationError) -> str:
    """A write service's refusal as the admin says it: what did not happen, and why."""
    return f"{what}. {' '.join(error.messages)}"


def delete_selected(modeladmin, request, queryset):
    """Django's bulk delete, with the editor's reason (asked on its confirmation page, as a
    single delete asks it, and kept in every deleted record's history), all or nothing: a
    reason the history cannot keep, or one record it may not delete (the last citation of
    a verified fact), refuses the whole action, saying why, and leaves nothing written,
    its log entries included."""
    if request.POST.get("post"):  # confirmed
        form = ReasonForm(request.POST)
        if not form.is_valid():
            modeladmin.message_user(request, f"Nothing deleted. {error_text(form)}", messages.ERROR)
            return None
        request.change_reason = form.cleaned_data["change_reason"]
    try:
        with transaction.atomic(using=router.db_for_write(modeladmin.model)):
            return django_delete_selected(modeladmin, request, queryset)
    except ValidationError as error:
        modeladmin.message_user(request, refusal("Nothing deleted", error), messages.ERROR)
        return None


class TrackedAdmin(
    RefusedListQueryMixin,
    RecordPickersMixin,
    SelectedIdsMixin,
    ImportAdminMixin,
    SimpleHistoryAdmin,
):
    """Admin for any tracked record: audit fields read-only, writes through services."""

    form = TrackedAdminForm
    list_per_page = 50
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    show_full_result_count = False  # a COUNT(*) over millions of rows on every page is waste
    object_history_template = "admin/history/object_history.html"
    object_history_list_template = "admin/history/list.html"
    object_history_form_template = "admin/history/revert.html"
    delete_selected_confirmation_template = "admin/tracked/delete_selected_confirmation.html"

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
        request.revert_version_id = version_id  # read by save_model and the page
        if id_from(object_id) is None or id_from(version_id) is None:
            raise Http404
        exists = self.model._default_manager.filter(pk=object_id).exists
        if request.method == "POST" and not exists():
            name = self.opts.verbose_name
            self.message_user(
                request,
                f"Not reverted: this {name} is deleted. Restore it from the deleted {name} "
                "records first.",
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())
        try:
            return super().history_form_view(request, object_id, version_id, extra_context)
        except ValidationError as error:  # refused as a whole: nothing was written
            self.message_user(request, f"Not reverted. {error_text(error)}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def history_view(self, request, object_id, extra_context=None):
        if id_from(object_id) is None:  # not an id: no record's history (not a 500)
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def render_history_view(self, request, template, context, **kwargs):
        # The history list and the revert page, read by factbase.admin.history.
        if template == self.object_history_template:
            context["entries"] = history.page_entries(
                self.model, context["object"].pk, context["page_obj"]
            )
        elif template == self.object_history_form_template:
            context.update(self.revert_context(request, context["object_id"]))
        return super().render_history_view(request, template, context, **kwargs)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """Not here: the list's changes are read by factbase.admin.history."""

    def revert_lists(self, request, obj) -> list[str]:
        """The lists of rows a revert brings back as they were: those the editor writes in
        this page's inlines (a company's aliases, a round's investments). Citations stay as
        they stand: a revert puts back what the record said, not what backs it."""
        names = []
        for inline in self.get_inline_instances(request, obj):
            if isinstance(inline, GenericInlineModelAdmin):
                continue
            fields = set(inline.get_fields(request, obj))
            if fields - set(inline.get_readonly_fields(request, obj)):
                fk = _get_foreign_key(self.model, inline.model, fk_name=inline.fk_name)
                names.append(fk.remote_field.name)
        return names

    def revert_version(self, request, object_id):
        return get_object_or_404(
            history_model_of(self.model), id=object_id, history_id=request.revert_version_id
        )

    def revert_context(self, request, object_id) -> dict:
        """What the revert page shows before the editor confirms: each difference between
        the record now and that version, in its fields and in its rows."""
        version = self.revert_version(request, object_id)
        record = self.model._default_manager.filter(pk=version.id).first()
        if record is None:
            return {"revert_changes": None, **history.version_context(version)}
        names = self.revert_lists(request, record)
        rows_now = {name: list(getattr(record, name).all()) for name in names}
        rows_then = version_rows(version, names)
        changes = history.revert_changes(self.model, record, version, rows_now, rows_then)
        return {"revert_changes": changes, **history.version_context(version)}

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

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except RecordInvalid:
            if getattr(request, "refused", None) is None or getattr(request, "shown", False):
                raise
            # Refused by the write service once every form had passed: a rule across an
            # inline's rows (an investor listed twice, a row verified without a citation).
            # Nothing was written (the view's transaction rolled back); the page comes
            # back with the refusal on the rows and fields it names, as the forms' own
            # errors would.
            request.shown = True
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = amount_form(partial_date_form(super().get_form(request, obj, change, **kwargs)))
        if getattr(request, "refused", None):
            form = with_refusal(form, request.refused)
        if self.is_history_page(request) and obj is not None:
            # The revert's own words go first in its history reason.
            prefix = f"Reverted to version {obj.version}"
            form = type(form.__name__, (form,), {"reason_prefix": prefix})
            form = history.with_version_lists(form, obj)
        return form

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            formset.form = amount_form(partial_date_form(formset.form))  # made for this request
            if getattr(request, "refused", None):
                formset.form = with_refusal(formset.form, request.refused)
            yield formset, inline

    def save_model(self, request, obj, form, change):
        # The record is written with its inline rows in one call, in save_related; the
        # history page's revert has no inlines and no save_related, so it writes here,
        # with the rows of that version (rows deleted since restored first).
        if self.is_history_page(request):
            with transaction.atomic():
                # The rows brought back and the record's version that lists them: one
                # instant, taken once this writer holds the change clock.
                hold(router.db_for_write(self.model))
                with clock.one_instant():
                    version = self.revert_version(request, obj.pk)
                    rows = version_rows(version, self.revert_lists(request, obj))
                    reason = self.history_reason(request, form)
                    children, restored = revert_children(
                        obj, rows, user=request.user, reason=reason
                    )
                    self.write(
                        request,
                        form,
                        formsets=(),
                        change=change,
                        children=children,
                        rows_written=restored,
                    )

    def save_related(self, request, form, formsets, change):
        self.write(request, form, formsets, change=change)

    def write(self, request, form, formsets, change, children=None, rows_written=False):
        """The record, its many-to-many lists and its inline rows (or the lists of
        `children` given), through the write service that the API and the demo loader use
        (services.record_write)."""
        obj, opts = form.instance, form.instance._meta
        fields = {
            f.name: getattr(obj, f.name)
            for f in opts.concrete_fields
            if f.name in form.cleaned_data and not f.primary_key
        }
        m2m = {
            f.name: form.cleaned_data[f.name] for f in opts.many_to_many if f.name in form.fields
        }
        children = {**dict(filter(None, map(formset_rows, formsets))), **(children or {})}
        try:
            services.record_write(
                obj,
                fields=fields,
                m2m=m2m,
                children=children,
                user=request.user,
                reason=self.history_reason(request, form),
                expected_version=form.cleaned_data.get("loaded_version") if change else None,
                rows_written=rows_written,
            )
        except RecordInvalid as error:
            request.refused = refused_by_form(error.errors, formsets)  # see changeform_view
            raise

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
        try:
            # Django's view deletes in a transaction: a refusal leaves nothing written.
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:  # the last citation of a verified fact
            self.message_user(request, refusal("Not deleted", error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_model(self, request, obj):
        reason = getattr(request, "change_reason", "")
        services.record_delete(obj, user=request.user, reason=reason)

    def delete_queryset(self, request, queryset):
        reason = getattr(request, "change_reason", "")
        services.records_delete(queryset, user=request.user, reason=reason)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _, name, description = actions["delete_selected"]
            actions["delete_selected"] = (delete_selected, name, description)
        return actions

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
        history = history_model_of(self.model)._default_manager
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
        if id_from(object_id) is None:
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
