from django.contrib import admin
from django.db.models import Count

from events.models import FundingRound, Metric
from factbase.admin import AUDIT_FIELDS, FactAdmin, TrackedAdmin, partial_date
from factbase.admin.columns import shown
from factbase.admin.filters import in_use

from .models import Company, CompanyAlias, CompanyIdentifier, Person, Platform, Product, Role


class CompanyAliasInline(admin.TabularInline):
    model = CompanyAlias
    fields = ("name",)
    extra = 0


class CompanyIdentifierInline(admin.TabularInline):
    model = CompanyIdentifier
    fields = ("scheme", "value")
    extra = 0


class ProductInline(admin.TabularInline):
    model = Product
    fields = ("name", "kind", "launched", "status")
    readonly_fields = fields
    show_change_link = True
    extra = 0
    can_delete = False
    launched = partial_date("launched_on", "launched_precision", "launched")

    def has_add_permission(self, request, obj=None):
        return False


class RoleInline(admin.TabularInline):
    model = Role
    fk_name = "company"
    fields = ("person", "title", "started_on", "started_precision", "ended_on", "ended_precision")
    autocomplete_fields = ("person",)
    show_change_link = True
    extra = 0


class CompanyMetricInline(admin.TabularInline):
    model = Metric
    fk_name = "company"
    fields = ("metric_type", "value_column", "period_column", "region", "claim_type", "status")
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    extra = 0
    value_column = shown("value_display", "value")
    period_column = shown("period_display", "period")

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("metric_type")


class FundingRoundInline(admin.TabularInline):
    model = FundingRound
    fields = ("round_type", "value_column", "announced", "status")
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    extra = 0
    announced = partial_date("announced_on", "announced_precision", "announced")
    value_column = shown("value_display", "value")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Company)
class CompanyAdmin(FactAdmin):
    list_display = (
        "name",
        "kind",
        "country",
        "headquarters",
        "founded",
        "status",
        "citation_count",
    )
    list_filter = ("kind", in_use("country"))
    search_fields = ("name", "slug", "aliases__name", "description")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = [
        (None, {"fields": ("name", "slug", "kind", "description", "website")}),
        (
            "Where and when",
            {"fields": ("country", "headquarters", ("founded_on", "founded_precision"))},
        ),
        ("Provenance", {"fields": FactAdmin.fact_fields}),
    ]
    founded = partial_date("founded_on", "founded_precision", "founded")
    inlines = [
        CompanyAliasInline,
        CompanyIdentifierInline,
        *FactAdmin.inlines,
        ProductInline,
        RoleInline,
        FundingRoundInline,
        CompanyMetricInline,
    ]


@admin.register(Platform)
class PlatformAdmin(TrackedAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", *AUDIT_FIELDS)


@admin.register(Product)
class ProductAdmin(FactAdmin):
    list_display = (
        "name",
        "company",
        "kind",
        "launched",
        "platform_list",
        "status",
        "citation_count",
    )
    list_filter = ("kind", "platforms", "audience")
    search_fields = ("name", "slug", "company__name", "description")
    autocomplete_fields = ("company", "platforms")
    list_select_related = ("company",)
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = [
        (
            None,
            {"fields": ("name", "slug", "company", "kind", "audience", "platforms", "description")},
        ),
        ("Launch", {"fields": (("launched_on", "launched_precision"),)}),
        ("Provenance", {"fields": FactAdmin.fact_fields}),
    ]
    launched = partial_date("launched_on", "launched_precision", "launched")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("platforms")

    @admin.display(description="platforms")
    def platform_list(self, obj):
        return ", ".join(p.name for p in obj.platforms.all())


@admin.register(Person)
class PersonAdmin(FactAdmin):
    list_display = ("name", "description", "role_count", "status", "citation_count")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = [
        (None, {"fields": ("name", "slug", "description", "wikidata_id")}),
        ("Provenance", {"fields": FactAdmin.fact_fields}),
    ]

    class PersonRoleInline(RoleInline):
        fk_name = "person"
        fields = (
            "company",
            "title",
            "started_on",
            "started_precision",
            "ended_on",
            "ended_precision",
        )
        autocomplete_fields = ("company",)

    inlines = [*FactAdmin.inlines, PersonRoleInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(role_count=Count("roles", distinct=True))

    @admin.display(description="roles", ordering="role_count")
    def role_count(self, obj):
        return obj.role_count


@admin.register(Role)
class RoleAdmin(FactAdmin):
    list_display = ("person", "title", "company", "started", "ended", "status", "citation_count")
    search_fields = ("person__name", "company__name", "title")
    autocomplete_fields = ("person", "company")
    list_select_related = ("person", "company")
    fieldsets = [
        (None, {"fields": ("person", "company", "title")}),
        (
            "Dates",
            {"fields": (("started_on", "started_precision"), ("ended_on", "ended_precision"))},
        ),
        ("Provenance", {"fields": FactAdmin.fact_fields}),
    ]
    started = partial_date("started_on", "started_precision", "started")
    ended = partial_date("ended_on", "ended_precision", "ended")
