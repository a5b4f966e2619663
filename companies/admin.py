from collections.abc import Callable
from operator import attrgetter

from django.contrib import admin
from django.db.models import Count, Prefetch, Q

from events.models import Metric, Partnership, PartnershipParty
from factbase.admin import AUDIT_FIELDS, FactAdmin, TrackedAdmin, charts, partial_date
from factbase.admin.duplicates import DuplicateCheckMixin
from factbase.admin.filters import in_use
from factbase.admin.forms import ListRulesFormSet
from factbase.admin.merges import MergeAdminMixin
from factbase.admin.pickers import RecordPickersMixin
from factbase.admin.related import (
    STATUS,
    Column,
    Panel,
    RelatedPanelsMixin,
    fact_prefetch,
    truncate,
)
from factbase.core.dates import format_partial_date
from factbase.core.models import Citation

from .models import (
    Company,
    CompanyAlias,
    CompanyIdentifier,
    Person,
    PersonAlias,
    Platform,
    Product,
    ProductAlias,
    Role,
)


class CompanyAliasInline(admin.TabularInline):
    model = CompanyAlias
    formset = ListRulesFormSet
    fields = ("name",)
    extra = 0


class ProductAliasInline(admin.TabularInline):
    model = ProductAlias
    formset = ListRulesFormSet
    fields = ("name",)
    extra = 0


class PersonAliasInline(admin.TabularInline):
    model = PersonAlias
    formset = ListRulesFormSet
    fields = ("name",)
    extra = 0


class CompanyIdentifierInline(admin.TabularInline):
    model = CompanyIdentifier
    fields = ("scheme", "value")
    extra = 0


class RoleInline(RecordPickersMixin, admin.TabularInline):
    model = Role
    fk_name = "company"
    fields = ("person", "title", "started_on", "started_precision", "ended_on", "ended_precision")
    autocomplete_fields = ("person",)
    show_change_link = True
    extra = 0

    def get_queryset(self, request):
        # A row is named by its person and company (Role.__str__): read with the rows.
        return super().get_queryset(request).select_related("person", "company")


def dated(date_field: str, precision_field: str) -> Callable:
    """A panel's column value: a partial date with its precision ('Feb 2025'); the
    fields' names may go through a related record ("source.published_on")."""
    date, precision = attrgetter(date_field), attrgetter(precision_field)
    return lambda row: format_partial_date(date(row), precision(row))


# When a role was held, as a role's panel shows it on a company's and a person's page.
ROLE_PERIOD = (
    Column("from", dated("started_on", "started_precision")),
    Column("until", dated("ended_on", "ended_precision")),
)


def party_list(partnership) -> str:
    return ", ".join(f"{p.company.name} ({p.get_role_display()})" for p in partnership.others)


def partnerships_of(lookup: str) -> Callable:
    """A record's partnerships, each with its parties in `others` (on a company's page,
    the parties other than the company): one query for the rows, one for their parties."""

    def rows(record):
        parties = PartnershipParty.objects.select_related("company").order_by("id")
        if lookup == "companies":
            parties = parties.exclude(company=record)
        return Partnership.objects.filter(**{lookup: record.pk}).prefetch_related(
            Prefetch("parties", queryset=parties, to_attr="others")
        )

    return rows


def company_metrics(company):
    return Metric.objects.filter(Q(company=company) | Q(product__company=company))


PARTNERSHIP_COLUMNS = (
    Column("partnership", "title", "."),
    Column("kind", "get_kind_display"),
    Column("stage", "get_stage_display"),
    Column("announced", dated("announced_on", "announced_precision")),
    STATUS,
)
EVENT_COLUMNS = (
    Column("event", "title", "."),
    Column("kind", "get_kind_display"),
    Column("date", "occurred_display"),
    Column("place", "place"),
    STATUS,
)
METRIC_COLUMNS = (
    Column("value", "value_display", "."),
    Column("period", lambda m: m.period_display or m.window_display),
    Column("region", "region_display"),
    Column("platform", "platform", "platform"),
    Column("claim type", "get_claim_type_display"),
    STATUS,
)
METRIC_JOINS = ("metric_type", "company", "product", "platform", "anchor_event")


@admin.register(Company)
class CompanyAdmin(MergeAdminMixin, DuplicateCheckMixin, RelatedPanelsMixin, FactAdmin):
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
    ]
    # Roles are written on their person's page and on their own; here they are a panel,
    # paged, as a large company has more than a form holds.
    related_panels = [
        Panel(
            "Products",
            "companies.Product",
            lookup="company",
            columns=(
                Column("product", "name", "."),
                Column("kind", "get_kind_display"),
                Column("launched", "launched_display"),
                STATUS,
            ),
        ),
        Panel(
            "People and roles",
            "companies.Role",
            lookup="company",
            select_related=("person",),
            columns=(
                Column("person", "person", "person"),
                Column("title", "title", "."),
                *ROLE_PERIOD,
                STATUS,
            ),
        ),
        Panel(
            "Funding rounds",
            "events.FundingRound",
            lookup="company",
            columns=(
                Column("round", "get_round_type_display", "."),
                Column("amount", "value_display"),
                Column("valuation", "valuation_display"),
                Column("announced", dated("announced_on", "announced_precision")),
                STATUS,
            ),
        ),
        Panel(
            "Investments made (as investor)",
            "events.Investment",
            lookup="investor",
            select_related=("company", "funding_round__company"),
            columns=(
                Column("in", "company", "company"),
                Column("investment", lambda i: "lead" if i.is_lead else "investment", "."),
                Column("round", "funding_round", "funding_round"),
                Column("amount", "value_display"),
                STATUS,
            ),
        ),
        Panel(
            "Partnerships",
            "events.Partnership",
            lookup="companies",
            rows=partnerships_of("companies"),
            columns=(
                *PARTNERSHIP_COLUMNS[:1],
                Column("with", party_list),
                *PARTNERSHIP_COLUMNS[1:],
            ),
        ),
        Panel("Events", "events.Event", lookup="companies", columns=EVENT_COLUMNS),
        Panel(
            "Metrics of the company and its products",
            "events.Metric",
            rows=company_metrics,
            list_query=lambda company: {"of_company": company.pk},
            select_related=METRIC_JOINS,
            order_by=("metric_type__name", "-period_start", "id"),
            group_by="metric_type.name",
            columns=(Column("about", "subject", "subject"), *METRIC_COLUMNS),
        ),
    ]

    def get_charts(self, request, obj):
        return charts.subject_charts(company_metrics(obj), api_query={"company": obj.slug})


@admin.register(Platform)
class PlatformAdmin(TrackedAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", *AUDIT_FIELDS)


@admin.register(Product)
class ProductAdmin(MergeAdminMixin, DuplicateCheckMixin, RelatedPanelsMixin, FactAdmin):
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
    search_fields = ("name", "slug", "aliases__name", "company__name", "description")
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
    inlines = [ProductAliasInline, *FactAdmin.inlines]
    related_panels = [
        Panel(
            "Metrics",
            "events.Metric",
            lookup="product",
            select_related=METRIC_JOINS,
            order_by=("metric_type__name", "-period_start", "id"),
            group_by="metric_type.name",
            columns=METRIC_COLUMNS,
        ),
        Panel("Events", "events.Event", lookup="products", columns=EVENT_COLUMNS),
        Panel(
            "Partnerships",
            "events.Partnership",
            lookup="products",
            rows=partnerships_of("products"),
            columns=(
                *PARTNERSHIP_COLUMNS[:1],
                Column("parties", party_list),
                *PARTNERSHIP_COLUMNS[1:],
            ),
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("platforms")

    def get_charts(self, request, obj):
        metrics = Metric.objects.filter(product=obj)
        return charts.subject_charts(metrics, api_query={"product": obj.slug})

    @admin.display(description="platforms")
    def platform_list(self, obj):
        return ", ".join(p.name for p in obj.platforms.all())


@admin.register(Person)
class PersonAdmin(MergeAdminMixin, DuplicateCheckMixin, RelatedPanelsMixin, FactAdmin):
    list_display = ("name", "description", "role_count", "status", "citation_count")
    search_fields = ("name", "slug", "aliases__name", "description")
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

    inlines = [PersonAliasInline, *FactAdmin.inlines, PersonRoleInline]
    related_panels = [
        Panel(
            "Roles",
            "companies.Role",
            lookup="person",
            select_related=("company",),
            columns=(
                Column("company", "company", "company"),
                Column("title", "title", "."),
                *ROLE_PERIOD,
                STATUS,
            ),
        ),
        Panel("Events", "events.Event", lookup="people", columns=EVENT_COLUMNS),
        Panel(
            "Quotes attributed to them",
            "factbase.Citation",
            lookup="attributed_to",
            # Each quoted fact and what its name needs, read once per kind of fact.
            rows=lambda person: Citation.objects.filter(attributed_to=person).prefetch_related(
                fact_prefetch()
            ),
            select_related=("source",),
            columns=(
                Column("quote", lambda c: truncate(c.quote, 80), "."),
                Column("about", "fact", "fact"),
                Column("source", "source.title", "source"),
                Column("published", dated("source.published_on", "source.published_precision")),
            ),
        ),
    ]

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
