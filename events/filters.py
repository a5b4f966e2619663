import django_filters as df
from django.db.models import Q

from factbase.api.filters import (
    BooleanFilter,
    CharInFilter,
    ChoiceInFilter,
    CountFilter,
    FactFilterSet,
    FilterSet,
    NumberInFilter,
    PartialDateAfterFilter,
    RecordFilterSet,
    RefIdsFilter,
    RefsFilter,
    slug_or_id_filters,
)
from factbase.core.choices import ClaimType, Qualifier
from factbase.core.codes import COUNTRY_CHOICES, CURRENCY_CHOICES, REGION_CHOICES

from .models import (
    Event,
    EventKind,
    FundingRound,
    Investment,
    Metric,
    MetricType,
    Partnership,
    PartnershipKind,
    PartnershipStage,
    RoundType,
    UnitKind,
    WindowAnchor,
)


class PartnershipFilterSet(FactFilterSet):
    company = RefsFilter("parties__company", label="any party: company slugs or ids")
    companies = RefsFilter(
        "parties__company",
        match_all=True,
        label="all of these companies are parties (slugs or ids)",
    )
    kind = ChoiceInFilter(choices=PartnershipKind.choices)
    stage = ChoiceInFilter(choices=PartnershipStage.choices)
    product = RefsFilter("products", label="product slugs or ids")
    announced_after = PartialDateAfterFilter(field_name="announced_on")
    announced_before = df.DateFilter(field_name="announced_on", lookup_expr="lte")

    search_fields = ("title", "summary", "parties__company__name")
    search_names = ("title",)

    class Meta:
        model = Partnership
        fields = []


class AmountFilters(FilterSet):
    currency = ChoiceInFilter(choices=CURRENCY_CHOICES)
    qualifier = ChoiceInFilter(choices=Qualifier.choices)
    value_min = df.NumberFilter(field_name="value", lookup_expr="gte")
    value_max = df.NumberFilter(field_name="value", lookup_expr="lte")
    # Money compared across currencies: the value in US dollars, where it was converted.
    value_usd_min = df.NumberFilter(
        field_name="value_usd",
        lookup_expr="gte",
        label="value in US dollars at least this (records without a conversion left out)",
    )
    value_usd_max = df.NumberFilter(
        field_name="value_usd",
        lookup_expr="lte",
        label="value in US dollars at most this (records without a conversion left out)",
    )


class FundingRoundFilterSet(FactFilterSet, AmountFilters):
    company_id, company = slug_or_id_filters("company", "company")
    investor = RefsFilter("investments__investor", label="investor slugs or ids")
    lead_investor = RefsFilter(
        "investments__investor",
        where=Q(investments__is_lead=True),
        label="lead investor slugs or ids",
    )
    round_type = ChoiceInFilter(choices=RoundType.choices)
    announced_after = PartialDateAfterFilter(field_name="announced_on")
    announced_before = df.DateFilter(field_name="announced_on", lookup_expr="lte")

    search_fields = ("company__name", "note")

    class Meta:
        model = FundingRound
        fields = []


class InvestmentFilterSet(FactFilterSet, AmountFilters):
    company_id, company = slug_or_id_filters("company", "company")
    investor_id, investor = slug_or_id_filters("investor", "investor")
    funding_round = NumberInFilter(field_name="funding_round_id", lookup_expr="in")
    has_round = BooleanFilter(field_name="funding_round", lookup_expr="isnull", exclude=True)
    is_lead = BooleanFilter()
    round_type = ChoiceInFilter(field_name="funding_round__round_type", choices=RoundType.choices)

    search_fields = ("investor__name", "company__name", "description")

    class Meta:
        model = Investment
        fields = []


class MetricTypeFilterSet(RecordFilterSet):
    slug = CharInFilter(field_name="slug", lookup_expr="in")
    unit_kind = ChoiceInFilter(choices=UnitKind.choices)

    search_fields = ("name", "slug", "description")
    search_names = ("name",)

    class Meta:
        model = MetricType
        fields = []


class MetricSubjectFilters(FilterSet):
    """What a metric is about: its company (with its products), product and type. Shared
    by the metrics and the conflicts between them."""

    company = RefsFilter(
        "company",
        "product__company",
        label="company slugs or ids; also finds the metrics of the company's products",
    )
    company_id = RefIdsFilter(
        "company", "product__company", label="company ids (and their products)"
    )
    product_id, product = slug_or_id_filters("product", "product")
    metric_type_id, metric_type = slug_or_id_filters("metric_type", "metric type")


class MetricFilterSet(FactFilterSet, AmountFilters, MetricSubjectFilters):
    region = ChoiceInFilter(choices=REGION_CHOICES)
    platform = RefsFilter("platform", label="platform slugs or ids")
    is_target = BooleanFilter(method="filter_is_target")
    window_days = NumberInFilter(
        field_name="window_days", lookup_expr="in", label="a window of these many days"
    )
    window_days_max = CountFilter(
        field_name="window_days", lookup_expr="lte", label="a window of at most these days"
    )
    window_anchor = ChoiceInFilter(choices=WindowAnchor.choices, label="the window's anchor")
    anchor_event = NumberInFilter(
        field_name="anchor_event_id", lookup_expr="in", label="windows anchored on these events"
    )
    period_after = df.DateFilter(
        method="filter_period_after", label="period overlaps: ends on or after this date"
    )
    period_before = df.DateFilter(
        method="filter_period_before", label="period overlaps: starts on or before this date"
    )

    search_fields = ("company__name", "product__name", "metric_type__name", "note")

    class Meta:
        model = Metric
        fields = []

    def filter_is_target(self, queryset, name, value):
        condition = Q(claim_type=ClaimType.TARGET)
        return queryset.filter(condition if value else ~condition)

    def filter_period_after(self, queryset, name, value):
        return queryset.filter(period_until__gte=value)

    def filter_period_before(self, queryset, name, value):
        return queryset.filter(period_start__lte=value)


class EventFilterSet(FactFilterSet):
    kind = ChoiceInFilter(choices=EventKind.choices)
    company = RefsFilter("companies")
    product = RefsFilter("products")
    person = RefsFilter("people")
    country = ChoiceInFilter(choices=COUNTRY_CHOICES)
    part_of = NumberInFilter(field_name="part_of_id", lookup_expr="in")
    date_after = PartialDateAfterFilter(field_name="occurred_on")
    date_before = df.DateFilter(field_name="occurred_on", lookup_expr="lte")

    search_fields = ("title", "summary", "place")
    search_names = ("title",)

    class Meta:
        model = Event
        fields = []
