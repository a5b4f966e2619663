"""The admin of snapshots kept in the app."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from factbase.core.models import Snapshot
from factbase.snapshots.errors import SnapshotFileError
from factbase.snapshots.quota import SnapshotQuotaExceeded, snapshot_quota_check
from factbase.snapshots.store import snapshot_delete, snapshot_take


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
