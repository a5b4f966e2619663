"""What happens between companies: partnerships, funding, metrics and other events.

One module a concept; every name is re-exported here, so `from events.models import X`
and dotted paths such as "events.models.UnitKind" (SPECTACULAR_SETTINGS) still work.
"""

# isort: off
# In the order the models were declared when this was one module: the app registry keeps
# that order, and the snapshot tables (factbase.snapshots.tables) list models in it.
from .partnerships import (
    Partnership,
    PartnershipKind,
    PartnershipParty,
    PartnershipStage,
    PartyRole,
)
from .funding import FundingRound, Investment, RoundType
from .metrics import Metric, MetricType, UnitKind, WindowAnchor
from .events import Event, EventKind

# isort: on

__all__ = [
    "Event",
    "EventKind",
    "FundingRound",
    "Investment",
    "Metric",
    "MetricType",
    "Partnership",
    "PartnershipKind",
    "PartnershipParty",
    "PartnershipStage",
    "PartyRole",
    "RoundType",
    "UnitKind",
    "WindowAnchor",
]
