from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from companies.models import Company
from factbase.admin import AUDIT_FIELDS, FactAdmin, TrackedAdmin, charts, partial_date
from factbase.admin.columns import shown
from factbase.admin.filters import KnownValuesFilter, in_use
from factbase.admin.pickers import RecordPickersMixin
from factbase.admin.related import STATUS, Column, Panel, RelatedPanelsMixin
from factbase.admin.widgets import SearchableChoicesMixin
from factbase.core import reasons
from factbase.core.corroboration import CORROBORATED, fact_source_count
from factbase.core.ids import id_from

from .conflicts import metric_conflict_resolve, metric_conflicts
from .models import (
    Event,
    FundingRound,
    Investment,
    Metric,
    MetricType,
    Partnership,
    PartnershipParty,
)

PER_PAGE = 20  # open conflicts on a page of the admin's conflicts view

QUANTITY_FIELDS = (
    ("qualifier", "value", "value_high", "currency"),
    ("value_usd", "usd_rate", "usd_rate_on", "usd_rate_source"),
)


class CompanyWithProductsFilter(KnownValuesFilter):
    """The metrics of a company and of its products: where a company's page leads with
    "all N" (its metrics panel). Offered only once chosen, by that link."""

    title = "company, with its products"
    parameter_name = "of_company"

    def lookups(self, request, model_admin):
        pk = id_from(self.value())
        company = Company.objects.filter(pk=pk).first() if pk is not None else None
        return [(self.value(), company.name)] if company else []

    def queryset(self, request, queryset):
        pk = id_from(self.value())
        if pk is not None:
            return queryset.filter(Q(company_id=pk) | Q(product__company_id=pk))
        return queryset


def same_measure(metric) -> QuerySet:
    """The claims about what `metric` measures: the same type, subject, region and
    platform (an empty region or platform matches only an empty one), as conflicts
    compare them (events.conflicts)."""
    return Metric.objects.filter(
        metric_type_id=metric.metric_type_id,
        company_id=metric.company_id,
        product_id=metric.product_id,
        region=metric.region,
        platform_id=metric.platform_id,
    )


def same_measure_query(metric) -> dict:
    """The metrics' admin list showing the same measure as `metric`."""
    query = {"metric_type__id__exact": metric.metric_type_id, "region__exact": metric.region}
    if metric.company_id:
        query["company__id__exact"] = metric.company_id
    else:
        query["product__id__exact"] = metric.product_id
    if metric.platform_id:
        query["platform__id__exact"] = metric.platform_id
    else:
        query["platform__isnull"] = "True"
    return query


@dataclass
class ConflictWith:
    """An open conflict as the page of one of its claims shows it: the other claim."""

    other: Metric
    reason: str


def conflicts_of(metric) -> list[ConflictWith]:
    """The open conflicts `metric` is part of; both claims are of the same measure."""
    return [
        ConflictWith(
            other=next(claim for claim in conflict.claims if claim.pk != metric.pk),
            reason=conflict.reason,
        )
        for conflict in metric_conflicts(same_measure(metric))
        if metric.pk in (conflict.claims[0].pk, conflict.claims[1].pk)
    ]


class ConflictResolveForm(forms.Form):
    keep = forms.ModelChoiceField(queryset=Metric.objects.all(), widget=forms.HiddenInput)
    dispute = forms.ModelChoiceField(queryset=Metric.objects.all(), widget=forms.HiddenInput)
    reason = forms.CharField(max_length=reasons.MAX_LENGTH)


class PartnershipPartyInline(RecordPickersMixin, admin.TabularInline):
    model = PartnershipParty
    fields = ("company", "role")
    autocomplete_fields = ("company",)
    extra = 2


@admin.register(Partnership)
class PartnershipAdmin(FactAdmin):
    list_display = ("title", "kind", "stage", "party_list", "announced", "status", "citation_count")
    list_filter = ("kind", "stage")
    search_fields = ("title", "summary", "parties__company__name")
    autocomplete_fields = ("products",)
    fieldsets = [
        (None, {"fields": ("title", "kind", "stage", "summary", "products")}),
        (
            "Dates",
            {
                "fields": (
                    ("announced_on", "announced_precision"),
                    ("starts_on", "starts_precision", "starts_expected"),
                    ("ends_on", "ends_precision", "ends_expected"),
                )
            },
        ),
        ("Provenance", {"fields": FactAdmin.fact_fields}),
    ]
    inlines = [PartnershipPartyInline, *FactAdmin.inlines]
    announced = partial_date("announced_on", "announced_precision", "announced")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("parties__company")

    @admin.display(description="parties")
    def party_list(self, obj):
        return ", ".join(f"{p.company.name} ({p.role})" for p in obj.parties.all())


class InvestmentFormSet(BaseInlineFormSet):
    """A round's investments are in the round's company: each row takes it from the
    round (Investment.inherits_from_parent), so no one types it twice, and
    Investment.clean() checks the row against it ("a company cannot invest in itself")."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.stored_company_id = form.instance.company_id
        form.instance.company_id = self.instance.company_id
        return form


class InvestmentForm(forms.ModelForm):
    def has_changed(self):
        # A round moved to another company takes its stored investments with it: they
        # are written again, with the round's company, though no field of theirs changed.
        stored = getattr(self, "stored_company_id", self.instance.company_id)
        moved = not self.instance._state.adding and self.instance.company_id != stored
        return super().has_changed() or moved


class InvestmentInline(RecordPickersMixin, SearchableChoicesMixin, admin.TabularInline):
    model = Investment
    fk_name = "funding_round"
    form = InvestmentForm
    formset = InvestmentFormSet
    fields = ("investor", "is_lead", "qualifier", "value", "currency", "status")
    autocomplete_fields = ("investor",)
    extra = 0


@admin.register(FundingRound)
class FundingRoundAdmin(FactAdmin):
    list_display = ("__str__", "company", "round_type", "value_column", "announced", "status")
    list_filter = ("round_type", in_use("currency"))
    search_fields = ("company__name", "investments__investor__name")
    autocomplete_fields = ("company",)
    list_select_related = ("company",)
    fieldsets = [
        (None, {"fields": ("company", "round_type", ("announced_on", "announced_precision"))}),
        ("Amount raised", {"fields": QUANTITY_FIELDS}),
        (
            "Valuation",
            {
                "fields": (
                    ("valuation_qualifier", "valuation", "valuation_currency", "valuation_basis"),
                )
            },
        ),
        ("Provenance", {"fields": FactAdmin.fact_fields}),
    ]
    inlines = [InvestmentInline, *FactAdmin.inlines]
    announced = partial_date("announced_on", "announced_precision", "announced")
    value_column = shown("value_display", "value", ordering="value")


@admin.register(Investment)
class InvestmentAdmin(FactAdmin):
    list_display = ("investor", "company", "funding_round", "is_lead", "value_column", "status")
    list_filter = ("is_lead",)
    search_fields = ("investor__name", "company__name", "description")
    autocomplete_fields = ("investor", "company", "funding_round")
    list_select_related = ("investor", "company", "funding_round__company")
    fieldsets = [
        (None, {"fields": ("investor", "company", "funding_round", "is_lead", "description")}),
        ("Amount invested", {"fields": QUANTITY_FIELDS}),
        ("Provenance", {"fields": FactAdmin.fact_fields}),
    ]
    value_column = shown("value_display", "value", ordering="value")


@admin.register(MetricType)
class MetricTypeAdmin(RelatedPanelsMixin, TrackedAdmin):
    list_display = ("name", "slug", "unit_kind")
    list_filter = ("unit_kind",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "unit_kind", "description", *AUDIT_FIELDS)

    def get_charts(self, request, obj):
        return charts.type_charts(obj, region=request.GET.get("region", ""))


@admin.register(Metric)
class MetricAdmin(RelatedPanelsMixin, FactAdmin):
    list_display = (
        "subject",
        "metric_type",
        "value_column",
        "period_column",
        "window_column",
        "region",
        "platform",
        "claim_type",
        "status",
        "citation_count",
    )
    list_filter = ("metric_type", in_use("region"), "platform", CompanyWithProductsFilter)
    search_fields = ("company__name", "product__name", "metric_type__name", "note")
    autocomplete_fields = ("metric_type", "company", "product", "platform", "anchor_event")
    list_select_related = ("company", "product", "metric_type", "platform", "anchor_event")
    fieldsets = [
        (None, {"fields": ("metric_type", ("company", "product"))}),
        ("Value", {"fields": QUANTITY_FIELDS}),
        (
            "Period, place and platform",
            {
                "fields": (
                    ("period_start", "period_end", "period_precision"),
                    ("window_days", "window_anchor", "anchor_event"),
                    ("region", "platform"),
                )
            },
        ),
        ("Provenance", {"fields": (*FactAdmin.fact_fields, "independent_sources")}),
    ]
    readonly_fields = ("independent_sources",)
    related_panels = [
        Panel(
            "Other claims of the same measure (type, subject, region, platform)",
            "events.Metric",
            rows=lambda metric: same_measure(metric).exclude(pk=metric.pk),
            list_query=same_measure_query,
            select_related=("metric_type", "anchor_event"),
            order_by=("-period_start", "id"),
            columns=(
                Column("value", "value_display", "."),
                Column("period", lambda m: m.period_display or m.window_display),
                Column("claim type", "get_claim_type_display"),
                Column("confidence", "get_confidence_display"),
                STATUS,
            ),
        ),
        Panel(
            "Open conflicts",
            "events.Metric",
            rows=conflicts_of,
            list_url=lambda metric: reverse("admin:events_metric_conflicts"),
            columns=(
                Column("with the claim", "other", "other"),
                Column("values", "reason"),
                Column("its status", "other.get_status_display"),
            ),
        ),
    ]

    value_column = shown("value_display", "value", ordering="value")
    period_column = shown("period_display", "period", ordering="period_start")
    window_column = shown("window_display", "window", ordering="window_days")

    @admin.display(description="subject")
    def subject(self, obj):
        return obj.subject

    @admin.display(description="independent sources")
    def independent_sources(self, obj):
        # Distinct publishers among its citations (factbase.core.corroboration).
        if obj is None or obj.pk is None:
            return "—"
        count = fact_source_count(obj)
        return f"{count} (corroborated)" if count >= CORROBORATED else str(count)

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_conflicts"
        view = self.admin_site.admin_view(self.conflicts_view)
        return [path("conflicts/", view, name=name), *super().get_urls()]

    def conflicts_view(self, request):
        """Open conflicts side by side with their citations. Editors resolve one by keeping
        a claim (verified) and disputing the other, with a reason kept in history."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        can_resolve = self.has_change_permission(request)
        if request.method == "POST":
            if not can_resolve:
                raise PermissionDenied
            form = ConflictResolveForm(request.POST)
            if form.is_valid():
                try:
                    metric_conflict_resolve(user=request.user, **form.cleaned_data)
                except ValidationError as error:
                    message = "Not resolved. " + " ".join(error.messages)
                    self.message_user(request, message, messages.ERROR)
                else:
                    keep, dispute = form.cleaned_data["keep"], form.cleaned_data["dispute"]
                    self.message_user(
                        request,
                        f"Kept “{keep}” (verified); disputed “{dispute}”.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(request.get_full_path())
            else:
                errors = [f"{name}: {' '.join(e)}" for name, e in form.errors.items()]
                self.message_user(request, "Not resolved. " + "; ".join(errors), messages.ERROR)
        # One search gives the page and the count (MetricConflicts.page): a Paginator
        # over the conflicts would run the self-join twice.
        try:
            number = max(int(request.GET.get("page", 1)), 1)
        except ValueError:
            number = 1
        total, conflicts = metric_conflicts().page(offset=(number - 1) * PER_PAGE, limit=PER_PAGE)
        page = Paginator(range(total), PER_PAGE).get_page(number)
        if page.number != number:  # past the last page: show the last one
            offset = (page.number - 1) * PER_PAGE
            _, conflicts = metric_conflicts().page(offset=offset, limit=PER_PAGE)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Open conflicts between metrics",
            "page": page,
            "conflicts": conflicts,
            "can_resolve": can_resolve,
        }
        return TemplateResponse(request, "admin/events/metric/conflicts.html", context)


@admin.register(Event)
class EventAdmin(RelatedPanelsMixin, FactAdmin):
    list_display = ("title", "kind", "occurred", "place", "country", "status", "citation_count")
    list_filter = ("kind", in_use("country"))
    search_fields = ("title", "summary", "place")
    autocomplete_fields = ("companies", "products", "people", "part_of")
    fieldsets = [
        (None, {"fields": ("title", "kind", "summary", "part_of")}),
        (
            "When and where",
            {"fields": (("occurred_on", "occurred_precision", "ends_on"), ("place", "country"))},
        ),
        ("Who and what", {"fields": ("companies", "products", "people")}),
        ("Provenance", {"fields": FactAdmin.fact_fields}),
    ]
    occurred = partial_date("occurred_on", "occurred_precision", "date")
    related_panels = [
        Panel(
            "Part of",
            "events.Event",
            lookup="parts",
            columns=(
                Column("event", "title", "."),
                Column("date", "occurred_display"),
                Column("place", "place"),
                STATUS,
            ),
        ),
        Panel(
            "Its parts",
            "events.Event",
            lookup="part_of",
            order_by=("occurred_on", "title", "id"),
            columns=(
                Column("event", "title", "."),
                Column("kind", "get_kind_display"),
                Column("date", "occurred_display"),
                Column("place", "place"),
                STATUS,
            ),
        ),
    ]
