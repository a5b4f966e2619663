"""The kinds of record this app holds (see factbase.core.kinds)."""

from factbase.core.kinds import Kind, Seed

from .models import (
    Event,
    FundingRound,
    Investment,
    Metric,
    MetricType,
    Partnership,
    PartnershipParty,
)
from .vocabulary import METRIC_TYPES

KINDS = (
    Kind(Partnership, "partnerships"),
    Kind(PartnershipParty, "partnership-parties", endpoint=False, parent="partnership"),
    Kind(FundingRound, "funding-rounds"),
    # Listed in its round's page, and an endpoint of its own (investments of any round).
    Kind(Investment, "investments", parent="funding_round"),
    Kind(
        MetricType,
        "metric-types",
        seed=Seed(("slug", "name", "unit_kind", "description"), tuple(METRIC_TYPES)),
    ),
    Kind(Metric, "metrics"),
    Kind(Event, "events"),
)
