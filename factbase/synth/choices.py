"""How often each value of a choice field is drawn. Weights are relative."""

from companies.models import Audience, CompanyKind, ProductKind
from events.models import EventKind, PartnershipKind, PartnershipStage, RoundType
from factbase.core.choices import (
    ClaimType,
    Confidence,
    DatePrecision,
    Qualifier,
    SourceKind,
    Status,
)

from .weighted import Weighted

# Of every fact.
pick_confidence = Weighted([Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW], [30, 55, 15])
pick_claim = Weighted(
    [ClaimType.REPORTED, ClaimType.ESTIMATE, ClaimType.TARGET, ClaimType.SPECULATION],
    [85, 10, 3, 2],
)
pick_target_claim = Weighted(
    [ClaimType.TARGET, ClaimType.ESTIMATE, ClaimType.REPORTED], [80, 10, 10]
)
pick_cited_status = Weighted(
    [Status.VERIFIED, Status.UNVERIFIED, Status.DISPUTED, Status.RETRACTED], [45, 45, 7, 3]
)
pick_uncited_status = Weighted([Status.UNVERIFIED, Status.DISPUTED, Status.RETRACTED], [92, 6, 2])

# Of partial dates, and of the periods metrics are about.
pick_precision = Weighted(
    [DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.QUARTER, DatePrecision.YEAR, ""],
    [40, 20, 5, 30, 5],
)
pick_period_precision = Weighted(
    [DatePrecision.YEAR, DatePrecision.QUARTER, DatePrecision.MONTH, DatePrecision.DAY, ""],
    [30, 15, 35, 10, 10],
)

# Of quantities: metrics, ranks, funding rounds.
pick_qualifier = Weighted(
    [
        Qualifier.EXACT,
        Qualifier.APPROXIMATE,
        Qualifier.AT_LEAST,
        Qualifier.AT_MOST,
        Qualifier.RANGE,
    ],
    [40, 30, 15, 5, 10],
)
pick_rank_qualifier = Weighted([Qualifier.EXACT, Qualifier.AT_MOST, Qualifier.RANGE], [85, 10, 5])
pick_round_qualifier = Weighted(
    [Qualifier.EXACT, Qualifier.APPROXIMATE, Qualifier.AT_LEAST, Qualifier.RANGE],
    [50, 35, 5, 10],
)

# Of the kinds of records.
pick_company_kind = Weighted(
    [
        CompanyKind.TECHNOLOGY,
        CompanyKind.AI_LAB,
        CompanyKind.ENTERPRISE,
        CompanyKind.INVESTOR,
        CompanyKind.PUBLIC_AGENCY,
        CompanyKind.OTHER,
    ],
    [50, 15, 20, 8, 3, 4],
)
pick_product_kind = Weighted(
    [
        ProductKind.ASSISTANT_APP,
        ProductKind.MODEL,
        ProductKind.API,
        ProductKind.PLATFORM,
        ProductKind.OTHER,
    ],
    [35, 25, 20, 10, 10],
)
pick_audience = Weighted(
    ["", Audience.CONSUMERS, Audience.BUSINESSES, Audience.CONSUMERS_AND_BUSINESSES],
    [20, 30, 30, 20],
)
pick_source_kind = Weighted(
    [
        SourceKind.NEWS_ARTICLE,
        SourceKind.PRESS_RELEASE,
        SourceKind.FILING,
        SourceKind.DATASET,
        SourceKind.INTERVIEW,
        SourceKind.OTHER,
    ],
    [60, 20, 6, 5, 6, 3],
)
pick_event_kind = Weighted(
    [
        EventKind.SUMMIT,
        EventKind.ENDORSEMENT,
        EventKind.LAUNCH,
        EventKind.PLAN,
        EventKind.INTERVIEW,
        EventKind.OTHER,
    ],
    [15, 10, 30, 20, 15, 10],
)
pick_partnership_kind = Weighted(list(PartnershipKind.values), [40, 30, 10, 5, 10, 5])
pick_stage = Weighted(list(PartnershipStage.values), [45, 45, 10])
ROUND_WEIGHTS = {
    RoundType.PRE_SEED: 8,
    RoundType.SEED: 20,
    RoundType.SERIES_A: 18,
    RoundType.SERIES_B: 12,
    RoundType.SERIES_C: 7,
    RoundType.SERIES_D: 4,
    RoundType.SERIES_E_PLUS: 3,
    RoundType.STRATEGIC: 6,
    RoundType.DEBT: 5,
    RoundType.GRANT: 7,
    RoundType.IPO: 1,
    RoundType.UNDISCLOSED: 9,
}
pick_round = Weighted(ROUND_WEIGHTS, ROUND_WEIGHTS.values())
