"""Merging in the admin: the "Merge into…" action of the lists of companies, products and
people, its page (the record to keep, both records side by side, what would move, the
conflicts, a reason), the list of merges with an Undo for each standing one, and the
merges shown on a record's history page. Writes through services.record_merge and
services.merge_undo."""

from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_field
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from factbase.core import reasons
from factbase.core.ids import id_from
from factbase.core.merges import is_mergeable, may_merge
from factbase.core.models import Merge
from factbase.core.services import (
    MergeConflict,
    MergeInvalid,
    UndoRefused,
    merge_plan,
    merge_undo,
    record_merge,
)
from factbase.core.services.merging import SHOWN_ROWS, merge_counts

from .facts import FactAdmin
from .filters import KnownValuesFilter, RefusedListQueryMixin
from .pickers import RecordPicker

EMPTY = "—"
MAX_SELECTED = 20  # records merged into one at once


def admin_url(label: str, pk) -> str:
    """The admin page of row `pk` of the model labelled "app.model", or "" if none."""
    app_label, model_name = label.split(".")
    try:
        return reverse(f"admin:{app_label}_{model_name}_change", args=[pk])
    except NoReverseMatch:
        return ""


def may(request, model, *actions: str) -> bool:
    opts = model._meta
    return request.user.has_perms([f"{opts.app_label}.{a}_{opts.model_name}" for a in actions])


# --- the merge page ------------------------------------------------------------------------


class MergeForm(forms.Form):
    keep = forms.ModelChoiceField(
        queryset=None,
        label="Record to keep",
        help_text="The others are merged into it: their rows move to it, their names "
        "become its aliases, then they are deleted.",
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=reasons.MAX_LENGTH,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text="Why they are the same; kept in the history of every record the merge changes.",
    )

    def __init__(self, *args, model, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["keep"]
        # Any foreign key to the model leads the autocomplete to its admin's search.
        source = model._meta.get_field("aliases").field
        field.widget = RecordPicker(source, admin_site)
        field.queryset = model._default_manager.all()  # gives the widget its choices


@dataclass
class Side:
    """One field of two records side by side."""

    label: str
    kept: str
    merged: str

    @property
    def differs(self) -> bool:
        return self.kept != self.merged


def side_by_side(keep, merge) -> list[Side]:
    rows = []
    opts = type(keep)._meta
    for f in [*opts.concrete_fields, *opts.many_to_many]:
        if f.primary_key or not f.editable:
            continue
        if f.many_to_many:
            values = [
                ", ".join(map(str, getattr(obj, f.name).all())) or EMPTY for obj in (keep, merge)
            ]
        else:
            values = [
                str(display_for_field(getattr(obj, f.name), f, EMPTY)) for obj in (keep, merge)
            ]
        rows.append(Side(str(f.verbose_name).capitalize(), *values))
    return rows


def preview(keep, merge) -> dict:
    """What the merge page shows of merging `merge` into `keep`."""
    plan = merge_plan(keep, merge)
    moves = [
        {
            "label": moves.relation.label,
            "count": moves.count,
            "rows": [(row.label, admin_url(row.model, row.id)) for row in moves.moved[:SHOWN_ROWS]],
            "more": max(moves.count - SHOWN_ROWS, 0),
            "dropped": [(row.label, admin_url(row.model, row.id)) for row in moves.dropped],
        }
        for moves in plan.moves
    ]
    conflicts = [
        {
            "detail": conflict.detail,
            "rows": [(row.label, admin_url(row.model, row.id)) for row in conflict.rows],
        }
        for conflict in plan.conflicts
    ]
    return {
        "merge": merge,
        "merge_url": admin_url(merge._meta.label_lower, merge.pk),
        "fields": side_by_side(keep, merge),
        "moves": moves,
        "alias": plan.alias,
        "conflicts": conflicts,
    }


class MergeAdminMixin:
    """For the admins of companies, products and people: the "Merge into…" action, its
    page, and the merges shown on a record's history page."""

    actions = (*FactAdmin.actions, "merge_into")
    object_history_template = "admin/merges/object_history.html"

    def has_merge_permission(self, request) -> bool:
        return may_merge(request.user, self.model)

    @admin.action(description="Merge into…", permissions=["merge"])
    def merge_into(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True)[: MAX_SELECTED + 1])
        if len(ids) > MAX_SELECTED:
            self.message_user(
                request, f"Select at most {MAX_SELECTED} records to merge.", messages.ERROR
            )
            return None
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_merge")
        return HttpResponseRedirect(f"{url}?{urlencode({'ids': ','.join(map(str, ids))})}")

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view(self.merge_view)
        return [path("merge/", view, name=f"{info}_merge"), *super().get_urls()]

    def merge_view(self, request):
        """Pick the record to keep; see both side by side and what would move; give a
        reason; merge."""
        if not self.has_merge_permission(request):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else request.GET
        selected = self._selected(data.get("ids", ""))
        bound = "keep" in data
        form = MergeForm(data if bound else None, model=self.model, admin_site=self.admin_site)
        keep, previews, problem = None, [], ""
        if bound and form.is_valid():
            keep = form.cleaned_data["keep"]
            merging = [record for record in selected if record.pk != keep.pk]
            previews, problem = self._previews(keep, merging)
            if request.method == "POST" and previews and not problem:
                done = self._merge(request, form, keep, merging, previews)
                if done is not None:
                    return done
        elif bound:
            problem = "Choose the record to keep."
        elif len(selected) > 1:
            form.initial["keep"] = selected[0].pk
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Merge {self.opts.verbose_name_plural}",
            "selected": selected,
            "ids": ",".join(str(record.pk) for record in selected),
            "form": form,
            "keep": keep,
            "previews": previews,
            "blocked": any(p["conflicts"] for p in previews),
            "problem": problem,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/merges/merge.html", context)

    @staticmethod
    def _previews(keep, merging: list) -> tuple[list, str]:
        """The preview of each merge into `keep`, or why there is none."""
        if not merging:
            return [], "Choose another record to keep: it would be merged into itself."
        try:
            return [preview(keep, record) for record in merging], ""
        except MergeInvalid as error:
            return [], " ".join(m for ms in error.errors.values() for m in ms)

    def _selected(self, ids: str) -> list:
        pks = [pk for pk in ids.split(",") if id_from(pk) is not None]
        records = self.model._default_manager.filter(pk__in=pks[:MAX_SELECTED]).order_by("pk")
        if not records:
            raise Http404("Select the records to merge from the list.")
        return list(records)

    def _merge(self, request, form, keep, merging, previews):
        if any(p["conflicts"] for p in previews):
            return None  # the page lists them
        reason = form.cleaned_data["reason"]
        if not reason.strip():
            form.add_error("reason", "Say why: the reason is kept in every record's history.")
            return None
        try:
            with transaction.atomic():  # all of them, or none
                done = [
                    record_merge(keep, record, user=request.user, reason=reason)
                    for record in merging
                ]
        except MergeInvalid as error:
            for name, texts in error.errors.items():
                form.add_error("reason" if name == "reason" else None, texts)
            return None
        except MergeConflict as error:
            self.message_user(request, f"Not merged. {error}", messages.ERROR)
            return None
        names = ", ".join(f"“{merge.merged_name}”" for merge in done)
        link = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[keep.pk])
        self.message_user(
            request,
            format_html('Merged {} into <a href="{}">{}</a>.', names, link, keep),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(link)

    def render_history_view(self, request, template, context, **kwargs):
        if template == self.object_history_template:
            context["merges"] = merges_of(self.model, context["object"].pk, request)
        return super().render_history_view(request, template, context, **kwargs)


# --- merges on a record's history page --------------------------------------------------------


def merges_of(model, pk, request) -> list[dict]:
    """The merges into record `pk` of `model` and the one that took it away, latest
    first, each with its Undo link for an editor while it stands."""
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(model)
    rows = Merge.objects.filter(content_type=content_type).filter(Q(kept_id=pk) | Q(merged_id=pk))
    can_undo = may_merge(request.user, model)  # an undo asks what the merge asked
    return [
        {
            "merge": merge,
            "into_this": merge.kept_id == pk,
            "kept_url": admin_url(model._meta.label_lower, merge.kept_id),
            "undo_url": (
                reverse("admin:factbase_merge_undo", args=[merge.pk])
                if can_undo and merge.undone_at is None
                else ""
            ),
            "url": reverse("admin:factbase_merge_change", args=[merge.pk]),
        }
        for merge in rows.select_related("merged_by", "undone_by").order_by("-merged_at", "-id")
    ]


# --- the list of merges ---------------------------------------------------------------------


class UndoneFilter(KnownValuesFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("standing", "Standing"), ("undone", "Undone")]

    def queryset(self, request, queryset):
        if self.value() == "standing":
            return queryset.filter(undone_at=None)
        if self.value() == "undone":
            return queryset.exclude(undone_at=None)
        return queryset


class KindFilter(KnownValuesFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(ct.pk, ct.model_class()._meta.verbose_name_plural) for ct in _merge_types()]

    def queryset(self, request, queryset):
        pk = id_from(self.value())
        return queryset.filter(content_type_id=pk) if pk is not None else queryset


class UndoForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=reasons.MAX_LENGTH,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text="Why the records are not the same after all; kept in the history of every "
        "record the undo changes.",
    )


@admin.register(Merge)
class MergeAdmin(RefusedListQueryMixin, admin.ModelAdmin):
    """The merges, read-only: a merge is made by the "Merge into…" action of a list, and
    undone here."""

    list_display = ("merged", "kind", "kept", "merged_at", "merged_by", "reason", "state", "undo")
    list_filter = (UndoneFilter, KindFilter)
    list_select_related = ("content_type", "merged_by", "undone_by")
    search_fields = ("merged_name", "merged_slug", "reason")
    readonly_fields = ("moved",)
    fields = (
        "content_type",
        "merged_id",
        "merged_slug",
        "merged_name",
        "kept_id",
        "reason",
        "merged_at",
        "merged_by",
        "undone_at",
        "undone_by",
        "moved",
        "moves",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # Only merges of kinds the user may see.
        queryset = super().get_queryset(request)
        allowed = [
            ct.pk
            for ct in _merge_types()
            if may(request, ct.model_class(), "view") or may(request, ct.model_class(), "change")
        ]
        return queryset.filter(content_type__in=allowed)

    @admin.display(description="merged", ordering="merged_name")
    def merged(self, merge):
        return f"{merge.merged_name} ({merge.merged_slug}, id {merge.merged_id})"

    @admin.display(description="kind", ordering="content_type")
    def kind(self, merge):
        return merge.content_type.model_class()._meta.verbose_name

    @admin.display(description="kept")
    def kept(self, merge):
        model = merge.content_type.model_class()
        url = admin_url(model._meta.label_lower, merge.kept_id)
        return format_html('<a href="{}">{} {}</a>', url, model._meta.verbose_name, merge.kept_id)

    @admin.display(description="state")
    def state(self, merge):
        if merge.undone_at is None:
            return "standing"
        by = f" by {merge.undone_by}" if merge.undone_by else ""
        return f"undone {merge.undone_at:%Y-%m-%d %H:%M} UTC{by}"

    @admin.display(description="")
    def undo(self, merge):
        if merge.undone_at is not None:
            return ""
        url = reverse("admin:factbase_merge_undo", args=[merge.pk])
        return format_html('<a class="button" href="{}">Undo</a>', url)

    @admin.display(description="rows moved")
    def moved(self, merge):
        counts = merge_counts(merge)
        return ", ".join(f"{name}: {count}" for name, count in counts.items()) or EMPTY

    def get_urls(self):
        view = self.admin_site.admin_view(self.undo_view)
        return [
            path("<path:object_id>/undo/", view, name="factbase_merge_undo"),
            *super().get_urls(),
        ]

    def undo_view(self, request, object_id):
        """Ask why, then undo the merge (services.merge_undo)."""
        if id_from(object_id) is None:
            raise Http404
        merge = Merge.objects.select_related("content_type").filter(pk=object_id).first()
        if merge is None:
            raise Http404
        model = merge.content_type.model_class()
        if not may_merge(request.user, model):  # an undo asks what the merge asked
            raise PermissionDenied
        form = UndoForm(request.POST if request.method == "POST" else None)
        if merge.undone_at is None and form.is_valid():
            try:
                merge_undo(merge, user=request.user, reason=form.cleaned_data["reason"])
            except MergeInvalid as error:
                form.add_error("reason", error.errors.get("reason", str(error)))
            except UndoRefused as error:
                self.message_user(request, f"Not undone. {error}", messages.ERROR)
            else:
                url = admin_url(model._meta.label_lower, merge.merged_id)
                self.message_user(
                    request,
                    format_html(
                        'Merge undone: <a href="{}">{}</a> is back, with what it had.',
                        url,
                        merge.merged_name,
                    ),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Undo a merge",
            "merge": merge,
            "kind": model._meta.verbose_name,
            "kept_url": admin_url(model._meta.label_lower, merge.kept_id),
            "moved": self.moved(merge),
            "form": form,
        }
        return TemplateResponse(request, "admin/merges/undo.html", context)


def _merge_types():
    from django.contrib.contenttypes.models import ContentType

    from factbase.core.kinds import kinds

    mergeable = [kind.model for kind in kinds() if is_mergeable(kind.model)]
    return ContentType.objects.get_for_models(*mergeable).values()
