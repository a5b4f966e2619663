import django_filters as df
from django.db.models import Q

from companies.models import Company, Platform, Product
from factbase.api.filters import (
    BooleanFilter,
    CharInFilter,
    ChoiceInFilter,
    FactFilterSet,
    NumberInFilter,
    RecordFilterSet,
    refs_condition,
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
)


class PartnershipFilterSet(FactFilterSet):
    company = CharInFilter(method="filter_company", label="any party: company slugs or ids")
    companies = CharInFilter(
        method="filter_companies", label="all of these companies are parties (slugs or ids)"
    )
    kind = ChoiceInFilter(choices=PartnershipKind.choices)
    stage = ChoiceInFilter(choices=PartnershipStage.choices)
    product = CharInFilter(method="filter_product", label="product slugs or ids")
    announced_after = df.DateFilter(field_name="announced_on", lookup_expr="gte")
    announced_before = df.DateFilter(field_name="announced_on", lookup_expr="lte")

    search_fields = ("title", "summary", "parties__company__name")
    search_names = ("title",)

    class Meta:
        model = Partnership
        fields = []

    def filter_company(self, queryset, name, values):
        condition = refs_condition(values, "parties__company", Company, param=name)
        return queryset.filter(pk__in=Partnership.objects.filter(condition).values("pk"))

    def filter_companies(self, queryset, name, values):
        for value in values:
            condition = refs_condition([value], "parties__company", Company, param=name)
            queryset = queryset.filter(pk__in=Partnership.objects.filter(condition).values("pk"))
        return queryset

    def filter_product(self, queryset, name, values):
        condition = refs_condition(values, "products", Product, param=name)
        return queryset.filter(pk__in=Partnership.objects.filter(condition).values("pk"))


class AmountFilters(df.FilterSet):
    currency = ChoiceInFilter(choices=CURRENCY_CHOICES)
    qualifier = ChoiceInFilter(choices=Qualifier.choices)
    value_min = df.NumberFilter(field_name="value", lookup_expr="gte")
    value_max = df.NumberFilter(field_name="value", lookup_expr="lte")


class FundingRoundFilterSet(FactFilterSet, AmountFilters):
    company_id, company = slug_or_id_filters("company", "company")
    investor = CharInFilter(method="filter_investor", label="investor slugs or ids")
    lead_investor = CharInFilter(method="filter_investor", label="lead investor slugs or ids")
    round_type = ChoiceInFilter(choices=RoundType.choices)
    announced_after = df.DateFilter(field_name="announced_on", lookup_expr="gte")
    announced_before = df.DateFilter(field_name="announced_on", lookup_expr="lte")

    search_fields = ("company__name", "note")

    class Meta:
        model = FundingRound
        fields = []

    def filter_investor(self, queryset, name, values):
        investments = Investment.objects.filter(
            refs_condition(values, "investor", Company, param=name)
        )
        if name == "lead_investor":
            investments = investments.filter(is_lead=True)
        return queryset.filter(pk__in=investments.values("funding_round_id"))


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


class MetricSubjectFilters(df.FilterSet):
    """What a metric is about: its company (with its products), product and type. Shared
    by the metrics and the conflicts between them."""

    company = CharInFilter(
        method="filter_company",
        label="company slugs or ids; also finds the metrics of the company's products",
    )
    company_id = NumberInFilter(method="filter_company", label="company ids (and their products)")
    product_id, product = slug_or_id_filters("product", "product")
    metric_type_id, metric_type = slug_or_id_filters("metric_type", "metric type")

    filter_slug_or_id = RecordFilterSet.filter_slug_or_id

    def filter_company(self, queryset, name, values):
        values = [str(v) for v in values]
        return queryset.filter(
            refs_condition(values, "company", Company, param=name)
            | refs_condition(values, "product__company", Company, param=name)
        )


class MetricFilterSet(FactFilterSet, AmountFilters, MetricSubjectFilters):
    region = ChoiceInFilter(choices=REGION_CHOICES)
    platform = CharInFilter(method="filter_platform", label="platform slugs or ids")
    is_target = BooleanFilter(method="filter_is_target")
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

    def filter_platform(self, queryset, name, values):
        return queryset.filter(refs_condition(values, "platform", Platform, param=name))

    def filter_is_target(self, queryset, name, value):
        condition = Q(claim_type=ClaimType.TARGET)
        return queryset.filter(condition if value else ~condition)

    def filter_period_after(self, queryset, name, value):
        return queryset.filter(period_until__gte=value)

    def filter_period_before(self, queryset, name, value):
        return queryset.filter(period_start__lte=value)


class EventFilterSet(FactFilterSet):
    kind = ChoiceInFilter(choices=EventKind.choices)
    company = CharInFilter(method="filter_related", field_name="companies")
    product = CharInFilter(method="filter_related", field_name="products")
    person = CharInFilter(method="filter_related", field_name="people")
    country = ChoiceInFilter(choices=COUNTRY_CHOICES)
    part_of = NumberInFilter(field_name="part_of_id", lookup_expr="in")
    date_after = df.DateFilter(field_name="occurred_on", lookup_expr="gte")
    date_before = df.DateFilter(field_name="occurred_on", lookup_expr="lte")

    search_fields = ("title", "summary", "place")
    search_names = ("title",)
    param_names = {"companies": "company", "products": "product", "people": "person"}

    class Meta:
        model = Event
        fields = []

    def filter_related(self, queryset, name, values):
        model = Event._meta.get_field(name).related_model
        condition = refs_condition(values, name, model, param=self.param_names[name])
        return queryset.filter(pk__in=Event.objects.filter(condition).values("pk"))
