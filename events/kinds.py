"""The kinds of record this app holds (see factbase.kinds)."""

from factbase.kinds import Kind

from .models import (
    Event,
    FundingRound,
    Investment,
    Metric,
    MetricType,
    Partnership,
    PartnershipParty,
)

KINDS = (
    Kind(Partnership, "partnerships"),
    Kind(PartnershipParty, "partnership-parties", endpoint=False, parent="partnership"),
    Kind(FundingRound, "funding-rounds"),
    # Listed in its round's page, and an endpoint of its own (investments of any round).
    Kind(Investment, "investments", parent="funding_round"),
    Kind(MetricType, "metric-types"),
    Kind(Metric, "metrics"),
    Kind(Event, "events"),
)
