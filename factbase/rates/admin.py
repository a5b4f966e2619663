"""The exchange rates in the admin: a list to read, filtered by currency and searched,
never edited (load_rates loads them from the ECB's file)."""

from django.contrib import admin

from factbase.admin.filters import in_use

from .models import ExchangeRate


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ("day", "currency", "rate_display", "source", "loaded_at")
    list_filter = (in_use("currency"),)
    search_fields = ("currency", "source")
    date_hierarchy = "day"
    list_per_page = 100
    fields = ("currency", "day", "rate_display", "source", "loaded_at")
    readonly_fields = fields
    actions = None

    @admin.display(description="units per 1 EUR", ordering="rate")
    def rate_display(self, obj):
        # As published: 1.073, not the column's 1.07300000.
        return f"{obj.rate.normalize():f}"

    # Reference data for every member of the staff, whatever their groups: the groups
    # give permissions on records, and these are not records.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
