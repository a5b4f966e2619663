"""Reads: each returns the queryset, with its joins, that the API, the admin and the CSV
export start from."""

from django.db.models import Prefetch

from factbase.core.selectors import citations_prefetch, with_briefs

from .models import (
    Event,
    FundingRound,
    Investment,
    Metric,
    MetricType,
    Partnership,
    PartnershipParty,
)


def partnership_list():
    parties = Prefetch(
        "parties", queryset=PartnershipParty.objects.select_related("company").order_by("id")
    )
    return Partnership.objects.prefetch_related(parties, "products", citations_prefetch())


def funding_round_list():
    investments = Prefetch(
        "investments", queryset=Investment.objects.select_related("investor").order_by("id")
    )
    return FundingRound.objects.select_related("company").prefetch_related(
        investments, citations_prefetch()
    )


def investment_list():
    return Investment.objects.select_related(
        "investor", "company", "funding_round__company"
    ).prefetch_related(citations_prefetch())


def metric_type_list():
    return MetricType.objects.all()


def metric_list():
    return with_briefs(
        Metric.objects.all(),
        metric_type=("slug", "name", "unit_kind"),
        company=("name", "slug"),
        product=("name", "slug"),
        platform=("slug", "name"),
        anchor_event=("title",),
    ).prefetch_related(citations_prefetch())


def event_list():
    return Event.objects.select_related("part_of").prefetch_related(
        "companies", "products", "people", citations_prefetch()
    )
