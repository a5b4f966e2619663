"""Generated data for benchmarks (`manage.py synth`).

Every value comes from `random.Random` instances seeded from the run's seed and the name
of the stage (so the size of one kind of record does not change what the others draw),
and every timestamp from a fixed base time plus one second per record: the same options
and seed on the same database give the same rows, ids included.

Rows are appended after the largest id in use in each table (and in its history table,
which keeps the ids of deleted records), in one transaction. They are written in chunks:
COPY on PostgreSQL, `executemany` on SQLite. Each created record gets its "+" history
row, copied from the written row by one INSERT ... SELECT per table, with the change
reason "synth" and its `created_at` as history date; many-to-many rows get their
historical copies attached to that history row, the state the record was created in.
Sequences are moved past the new ids at the end. On PostgreSQL, large loads drop the
plain indexes and the foreign keys of the tables they fill, and build and check them again
at the end.
"""

import datetime
import itertools
import math
import random
import time
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter

from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils.text import slugify

from companies.models import (
    Audience,
    Company,
    CompanyAlias,
    CompanyKind,
    Person,
    Platform,
    Product,
    ProductKind,
    Role,
)
from events.models import (
    Event,
    EventKind,
    FundingRound,
    Investment,
    Metric,
    MetricType,
    Partnership,
    PartnershipKind,
    PartnershipParty,
    PartnershipStage,
    PartyRole,
    RoundType,
)
from factbase.core.choices import (
    ClaimType,
    Confidence,
    DatePrecision,
    Qualifier,
    SourceKind,
    Status,
)
from factbase.core.codes import COUNTRY_CODES, WORLDWIDE, region_name
from factbase.core.dates import period_end as last_day_of
from factbase.core.dates import truncate_date
from factbase.core.models import Citation, Source, format_quantity, history_model_of

BASE_TIME = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
CHANGE_REASON = "synth"
CHUNK = 20_000
DEFER_UPKEEP_FROM = 100_000  # rows; below that, index and foreign key upkeep is quick
LAST_YEAR = 2024  # generated facts happen before the records are created (2025)

Q4 = Decimal("0.0001")


class SynthError(Exception):
    """The options or the database do not allow generating the data."""


@dataclass
class Sizes:
    """How many records of each kind. None means: derived from the companies/metrics."""

    companies: int = 1000
    metrics: int = 10_000
    products: int | None = None
    people: int | None = None
    sources: int | None = None
    partnerships: int | None = None
    funding_rounds: int | None = None
    events: int | None = None
    citations_per_fact: float = 1.0
    metric_versions: int = 1

    def check(self) -> None:
        if not self.companies and (self.metrics or self.products or self.funding_rounds):
            raise SynthError("Metrics, products and funding rounds need --companies above 0.")
        if self.metrics and not self.sources:
            raise SynthError("Every metric is cited: --sources cannot be 0 with metrics.")
        if self.citations_per_fact < 0:
            raise SynthError("--citations-per-fact cannot be negative.")
        if self.metric_versions < 1:
            raise SynthError("--metric-versions is at least 1: the version that created it.")

    def resolved(self) -> "Sizes":
        c = self.companies

        def pick(value, default):
            return default if value is None else value

        return Sizes(
            companies=c,
            metrics=self.metrics,
            products=pick(self.products, 2 * c),
            people=pick(self.people, c),
            sources=pick(self.sources, max(10, self.metrics // 4 + c // 2)),
            partnerships=pick(self.partnerships, c // 2),
            funding_rounds=pick(self.funding_rounds, c),
            events=pick(self.events, c // 5),
            citations_per_fact=self.citations_per_fact,
            metric_versions=self.metric_versions,
        )


@dataclass
class Report:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


# Vocabularies. Weights are relative.

COUNTRY_WEIGHTS = {
    "US": 30,
    "CN": 9,
    "GB": 8,
    "FR": 8,
    "DE": 7,
    "IN": 4,
    "JP": 3,
    "CA": 3,
    "IL": 2,
    "KR": 2,
    "NL": 2,
    "CH": 1.5,
    "SE": 1.5,
    "ES": 1.5,
    "IT": 1.5,
    "SG": 1.5,
    "AE": 1,
    "BR": 1,
    "AU": 1,
    "FI": 0.8,
    "DK": 0.6,
    "BE": 0.6,
    "IE": 0.6,
    "PL": 0.6,
    "EE": 0.4,
}
OTHER_COUNTRIES_WEIGHT = 8  # spread over every other ISO code
NO_COUNTRY_WEIGHT = 2

CITIES = {
    "US": ["San Francisco", "New York", "Seattle", "Austin", "Boston", "Palo Alto"],
    "CN": ["Beijing", "Shanghai", "Shenzhen", "Hangzhou"],
    "GB": ["London", "Cambridge", "Oxford", "Manchester"],
    "FR": ["Paris", "Lyon", "Grenoble", "Toulouse"],
    "DE": ["Berlin", "Munich", "Hamburg", "Heidelberg"],
    "IN": ["Bengaluru", "Mumbai", "Hyderabad"],
    "JP": ["Tokyo", "Osaka"],
    "CA": ["Toronto", "Montreal", "Vancouver"],
    "IL": ["Tel Aviv"],
    "KR": ["Seoul"],
    "NL": ["Amsterdam"],
    "CH": ["Zurich", "Geneva"],
}

# The currency a company of a country reports in; USD elsewhere.
COUNTRY_CURRENCY = {
    "FR": "EUR",
    "DE": "EUR",
    "ES": "EUR",
    "IT": "EUR",
    "NL": "EUR",
    "BE": "EUR",
    "IE": "EUR",
    "FI": "EUR",
    "EE": "EUR",
    "GB": "GBP",
    "CN": "CNY",
    "JP": "JPY",
    "CH": "CHF",
    "IN": "INR",
    "CA": "CAD",
    "KR": "KRW",
}
CURRENCY_WEIGHTS = {
    "USD": 55,
    "EUR": 22,
    "GBP": 6,
    "CNY": 5,
    "JPY": 4,
    "CHF": 2,
    "INR": 2,
    "CAD": 2,
    "KRW": 2,
}
# Approximate US dollars per unit: only their order of magnitude matters here.
USD_PER_UNIT = {
    "USD": Decimal("1"),
    "EUR": Decimal("1.08"),
    "GBP": Decimal("1.27"),
    "CNY": Decimal("0.138"),
    "JPY": Decimal("0.0067"),
    "CHF": Decimal("1.13"),
    "INR": Decimal("0.012"),
    "CAD": Decimal("0.74"),
    "KRW": Decimal("0.00075"),
}
RATE_SOURCE = "ECB reference rate"

STEMS_A = [
    "Nova",
    "Aster",
    "Lumi",
    "Vex",
    "Orbi",
    "Quanta",
    "Zephy",
    "Kora",
    "Helio",
    "Mira",
    "Tera",
    "Syn",
    "Altu",
    "Cygn",
    "Vero",
    "Neur",
    "Pala",
    "Stra",
    "Ryth",
    "Ond",
    "Pixa",
    "Dyna",
    "Ferro",
    "Gala",
    "Ibis",
    "Juno",
    "Kelv",
    "Lexa",
    "Mosa",
    "Nimb",
]
STEMS_B = [
    "rix",
    "la",
    "tec",
    "nova",
    "gen",
    "mind",
    "sys",
    "lytics",
    "wave",
    "forge",
    "io",
    "line",
    "path",
    "core",
    "scale",
    "sense",
    "loop",
    "bit",
    "grid",
    "flow",
]
COMPANY_SUFFIXES = [
    "",
    "",
    "",
    " AI",
    " AI",
    " Labs",
    " Robotics",
    " Systems",
    " Technologies",
    " Cloud",
    " Analytics",
    " Health",
    " Capital",
    " Ventures",
    " Group",
]
PRODUCT_WORDS = [
    "Chat",
    "Assistant",
    "Studio",
    "Vision",
    "Voice",
    "Code",
    "Search",
    "Pilot",
    "Agent",
    "Translate",
    "Docs",
    "Edge",
    "Pro",
    "Mini",
    "Large",
    "Instruct",
]
FIRST_NAMES = [
    "Alice",
    "Arthur",
    "Camille",
    "Chen",
    "Daniel",
    "Elena",
    "Farid",
    "Giulia",
    "Hiroshi",
    "Ines",
    "Jonas",
    "Karin",
    "Leila",
    "Marc",
    "Nadia",
    "Omar",
    "Priya",
    "Rafael",
    "Sofia",
    "Thomas",
    "Ursula",
    "Victor",
    "Wei",
    "Yasmin",
    "Zoe",
]
LAST_NAMES = [
    "Anders",
    "Bernard",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Huang",
    "Ivanova",
    "Jensen",
    "Kim",
    "Laurent",
    "Mensah",
    "Novak",
    "Okafor",
    "Patel",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Umar",
    "Virtanen",
    "Wong",
    "Yilmaz",
    "Zhang",
]
ROLE_TITLES = [
    "CEO",
    "Co-founder and CEO",
    "CTO",
    "Co-founder",
    "Chief Scientist",
    "Head of Policy",
    "President",
    "Chief Operating Officer",
    "Chief Financial Officer",
    "Board member",
    "Head of Research",
]
PERSON_DESCRIPTIONS = [
    "",
    "",
    "Entrepreneur",
    "Researcher",
    "Investor",
    "Engineer",
    "Government minister",
    "Economist",
]
PARTNERSHIP_TOPICS = [
    "cloud capacity",
    "model distribution",
    "in-car assistant",
    "research",
    "public services",
    "data licensing",
    "chips supply",
    "customer support",
]
PLAN_TOPICS = [
    "a data centre",
    "a new office",
    "an open-weights model",
    "a hiring plan",
    "a research lab",
    "an IPO",
]

# (publisher, language); sources pick one at random.
PUBLISHERS = [
    ("Daily Tech Ledger", "en"),
    ("Market Wire", "en"),
    ("The Compute Review", "en"),
    ("Startup Gazette", "en"),
    ("Global Business Post", "en"),
    ("Company newsroom", "en"),
    ("Le Journal du Numérique", "fr"),
    ("Les Échos de la Tech", "fr"),
    ("Technik Rundschau", "de"),
    ("Diario Tecnológico", "es"),
    ("Corriere Digitale", "it"),
]
PUBLISHER_WEIGHTS = [14, 10, 8, 8, 8, 10, 5, 3, 5, 3, 2]
PUBLISHER_DOMAINS = [slugify(name).replace("-", "") + ".example" for name, _ in PUBLISHERS]
HEADLINE_WORDS = [
    "raises",
    "launches",
    "expands",
    "reports",
    "partners with",
    "plans",
    "hires",
    "unveils",
    "signs",
    "doubles",
]
AUTHORS = ["", "", "Staff", "A. Martin", "J. Lee", "M. Rossi", "S. Novak", "K. Tanaka"]

# A quote in the source's language and its English translation.
METRIC_QUOTES = {
    "en": "{subject} said its {metric} reached {value}.",
    "fr": "Selon {subject}, {metric} : {value}.",
    "de": "Laut {subject} lag der Wert ({metric}) bei {value}.",
    "es": "Según {subject}, {metric}: {value}.",
    "it": "Secondo {subject}, {metric}: {value}.",
}
FACT_QUOTES = {
    "en": "{subject}: {claim}.",
    "fr": "{subject} : {claim}, selon nos informations.",
    "de": "{subject}: {claim}, wie das Unternehmen mitteilte.",
    "es": "{subject}: {claim}, según la empresa.",
    "it": "{subject}: {claim}, secondo l'azienda.",
}

NOTES = [
    "",
    "Figure as reported by the company.",
    "Rounded in the source.",
    "Other sources give a different figure.",
    "Period inferred from the article date.",
]
NOTE_WEIGHTS = [94, 2, 2, 1, 1]

# Which metric types a company or a product is measured by (slug: weight); types added by
# editors get DEFAULT_METRIC_WEIGHT for both.
COMPANY_METRIC_WEIGHTS = {
    "revenue": 20,
    "employees": 20,
    "valuation": 12,
    "total-funding": 10,
    "users": 10,
    "revenue-target": 6,
    "planned-investment": 6,
    "downloads": 2,
    "app-store-rank": 1,
}
PRODUCT_METRIC_WEIGHTS = {
    "downloads": 30,
    "app-store-rank": 25,
    "users": 30,
    "revenue": 8,
    "revenue-target": 2,
}
DEFAULT_METRIC_WEIGHT = 5
TARGET_TYPES = {"revenue-target", "planned-investment"}
# Product metrics sometimes counted within days of the launch or of an event.
WINDOW_TYPES = {"downloads", "users"}
# log-normal (mu, sigma) of the value, in US dollars for money.
VALUE_SPREAD = {
    "downloads": (11.5, 2.3),
    "users": (12.5, 2.2),
    "employees": (4.5, 1.8),
    "revenue": (16.5, 2.2),
    "revenue-target": (18.0, 1.8),
    "total-funding": (16.5, 2.0),
    "planned-investment": (18.5, 1.8),
    "valuation": (19.0, 2.0),
}
DEFAULT_SPREAD = {"count": (9.0, 2.5), "money": (16.0, 2.5)}
METRIC_PLATFORMS = {
    "downloads": (["ios", "android", None], [45, 45, 10]),
    "app-store-rank": (["ios", "android", None], [48, 48, 4]),
    "users": (["web", "ios", "android", None], [20, 15, 15, 50]),
}

ROUND_MEDIAN_USD = {
    RoundType.PRE_SEED: 5e5,
    RoundType.SEED: 2e6,
    RoundType.SERIES_A: 1e7,
    RoundType.SERIES_B: 3e7,
    RoundType.SERIES_C: 7e7,
    RoundType.SERIES_D: 1.5e8,
    RoundType.SERIES_E_PLUS: 3e8,
    RoundType.STRATEGIC: 5e7,
    RoundType.DEBT: 2e7,
    RoundType.GRANT: 1e6,
    RoundType.IPO: 5e8,
    RoundType.UNDISCLOSED: 5e6,
}
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
NO_INVESTORS = {RoundType.GRANT, RoundType.DEBT, RoundType.IPO}


class Weighted:
    """A fixed weighted choice, with the cumulative weights computed once."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]
        self.hi = len(self.cum) - 1

    def __call__(self, rng: random.Random):
        # What rng.choices(items, cum_weights=cum)[0] does, without its overhead.
        return self.items[bisect_right(self.cum, rng.random() * self.total, 0, self.hi)]


def _country_choice() -> Weighted:
    others = [c for c in COUNTRY_CODES if c not in COUNTRY_WEIGHTS]
    items = [*COUNTRY_WEIGHTS, *others, ""]
    weights = [
        *COUNTRY_WEIGHTS.values(),
        *[OTHER_COUNTRIES_WEIGHT / len(others)] * len(others),
        NO_COUNTRY_WEIGHT,
    ]
    return Weighted(items, weights)


pick_country = _country_choice()
pick_currency = Weighted(CURRENCY_WEIGHTS, CURRENCY_WEIGHTS.values())
pick_publisher = Weighted(range(len(PUBLISHERS)), PUBLISHER_WEIGHTS)
pick_note = Weighted(NOTES, NOTE_WEIGHTS)
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
pick_precision = Weighted(
    [DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.QUARTER, DatePrecision.YEAR, ""],
    [40, 20, 5, 30, 5],
)
pick_period_precision = Weighted(
    [DatePrecision.YEAR, DatePrecision.QUARTER, DatePrecision.MONTH, DatePrecision.DAY, ""],
    [30, 15, 35, 10, 10],
)
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
pick_role_count = Weighted([0, 1, 2], [5, 80, 15])
pick_round = Weighted(ROUND_WEIGHTS, ROUND_WEIGHTS.values())
pick_round_qualifier = Weighted(
    [Qualifier.EXACT, Qualifier.APPROXIMATE, Qualifier.AT_LEAST, Qualifier.RANGE],
    [50, 35, 5, 10],
)

PRODUCT_PLATFORMS = {
    ProductKind.ASSISTANT_APP: ["ios", "android", "web", "windows", "macos"],
    ProductKind.MODEL: ["api", "web"],
    ProductKind.API: ["api"],
    ProductKind.PLATFORM: ["web", "windows", "macos", "linux"],
    ProductKind.OTHER: ["web", "linux"],
}


def round_sig(x: float, digits: int) -> int:
    """`x` rounded to `digits` significant digits, as sources round their figures; at
    least 1, as the counts and amounts generated are."""
    if x < 1:
        return 1
    scale = 10 ** max(0, int(math.log10(x)) + 1 - digits)
    return int(round(x / scale)) * scale


def add_months(value: datetime.date, months: int) -> datetime.date:
    index = value.month - 1 + months
    return value.replace(year=value.year + index // 12, month=index % 12 + 1, day=1)


PRECISION_MONTHS = {DatePrecision.MONTH: 1, DatePrecision.QUARTER: 3, DatePrecision.YEAR: 12}


def random_date(rng: random.Random, first_year: int, last_year: int) -> datetime.date:
    year = rng.randint(first_year, last_year)
    return datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randrange(365))


def recent_year(rng: random.Random, first: int, last: int = LAST_YEAR) -> int:
    """A year in first..last, more often recent."""
    return last - int((last - first + 1) * rng.random() ** 1.8)


def partial_date(rng, first_year, last_year, precision_choice=pick_precision):
    """(date, precision), the date truncated to its precision; (None, "") for unknown."""
    precision = precision_choice(rng)
    if not precision:
        return None, ""
    value = random_date(rng, first_year, last_year)
    return truncate_date(value, precision), precision


def quote_of(templates: dict[str, str], **fields) -> Callable[[str], tuple[str, str]]:
    """(quote in a language, its English translation or "" for English), built only for
    the citations a fact gets."""

    def quote(language: str) -> tuple[str, str]:
        english = templates["en"].format(**fields)
        if language == "en":
            return english, ""
        return templates[language].format(**fields), english

    return quote


class Writer:
    """Writes rows of models to the database connection, in bulk."""

    def __init__(self, connection, cursor, reason: str = CHANGE_REASON):
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.cursor = cursor
        self.reason = reason
        self.rows: dict[str, int] = {}
        self.models: list[type[models.Model]] = []
        self.deferred: list[str] = []  # statements that restore what defer_upkeep dropped

    def scalar(self, sql: str, params=()):
        self.cursor.execute(sql, params)
        row = self.cursor.fetchone()
        return row[0] if row else None

    def last_id(self, model) -> int:
        """The largest id used so far in the table: new rows are numbered after it."""
        qn = self.connection.ops.quote_name
        table, pk = model._meta.db_table, model._meta.pk.column
        last = self.scalar(f"SELECT MAX({qn(pk)}) FROM {qn(table)}") or 0
        history = history_model_of(model)
        if history is not None:
            # Ids of deleted records live on in their history.
            history_table = qn(history._meta.db_table)
            last = max(last, self.scalar(f"SELECT MAX({qn(pk)}) FROM {history_table}") or 0)
        if self.postgres:
            sequence = self.scalar(
                "SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, %s))", [qn(table), pk]
            )
            last = max(last, sequence or 0)
        else:
            has_sequences = self.scalar(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_sequence'"
            )
            if has_sequences:
                sequence = self.scalar("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                last = max(last, sequence or 0)
        return last

    def register(self, model) -> None:
        self.models.append(model)
        self.rows.setdefault(model._meta.db_table, 0)

    def lock(self, tables: list[str]) -> None:
        """Keep other writers from taking the ids we number rows with, until commit."""
        if self.postgres and tables:
            qn = self.connection.ops.quote_name
            names = ", ".join(qn(t) for t in tables)
            self.cursor.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")

    def write(self, table: "Table", rows: list[tuple]) -> None:
        qn = self.connection.ops.quote_name
        columns = ", ".join(qn(c) for c in table.columns)
        if self.postgres:
            sql = f"COPY {qn(table.db_table)} ({columns}) FROM STDIN"
            with self.cursor.copy(sql) as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
        else:
            if table.converters:
                rows = [
                    tuple(
                        c(v) if c and v is not None else v
                        for c, v in zip(table.converters, r, strict=True)
                    )
                    for r in rows
                ]
            marks = ", ".join("?" * len(table.columns))
            sql = f"INSERT INTO {qn(table.db_table)} ({columns}) VALUES ({marks})"
            self.connection.connection.executemany(sql, rows)
        self.rows[table.db_table] += len(rows)

    def copy_history(self, table: "Table", *, edit: bool = False) -> None:
        """One "+" history row per row written to `table`, dated at its creation; or with
        `edit`, one "~" row per row, dated at its last update."""
        history_model = history_model_of(table.model)
        self.register(history_model)
        start = self.last_id(history_model)
        qn = self.connection.ops.quote_name
        pk = qn(table.model._meta.pk.column)
        source_columns = set(table.columns)
        columns, expressions, params = [], [], []
        for f in history_model._meta.concrete_fields:
            columns.append(qn(f.column))
            if f.primary_key:
                expressions.append(f"{pk} - {table.start} + {start}")
            elif f.name == "history_date":
                expressions.append(qn("updated_at" if edit else "created_at"))
            elif f.name == "history_type":
                expressions.append("%s")
                params.append("~" if edit else "+")
            elif f.name == "history_change_reason":
                expressions.append("%s")
                params.append(self.reason)
            elif f.name == "history_user":
                expressions.append("NULL")
            elif f.column in source_columns:
                expressions.append(qn(f.column))
            else:
                raise SynthError(f"{history_model.__name__}.{f.name} has no source column")
        self.cursor.execute(
            f"INSERT INTO {qn(history_model._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(expressions)} FROM {qn(table.db_table)} "
            f"WHERE {pk} > %s",
            [*params, table.start],
        )
        self.rows[history_model._meta.db_table] += self.cursor.rowcount
        if not edit:
            table.history_start = start

    def edit(self, table: "Table", version: int, note: str) -> None:
        """Edit every row written to `table`: a new note, one more version, updated 30
        days after the previous version; with its "~" history row."""
        qn = self.connection.ops.quote_name
        days = 30 * (version - 1)
        if self.postgres:
            updated = f"{qn('created_at')} + interval '{days} days'"
        else:
            updated = f"datetime({qn('created_at')}, '+{days} days')"
        self.cursor.execute(
            f"UPDATE {qn(table.db_table)} SET {qn('version')} = %s, {qn('note')} = %s, "
            f"{qn('updated_at')} = {updated} WHERE {qn(table.model._meta.pk.column)} > %s",
            [version, note, table.start],
        )
        self.copy_history(table, edit=True)

    def copy_m2m_history(self, owner: "Table", through: "Table", m2m: models.ManyToManyField):
        """The historical copies of many-to-many rows, attached to the owner's "+" row."""
        history_model = getattr(history_model_of(owner.model), m2m.name).model
        self.register(history_model)
        start = self.last_id(history_model)
        qn = self.connection.ops.quote_name
        owner_column = qn(m2m.m2m_column_name())
        through_pk = qn(through.model._meta.pk.column)
        source_columns = set(through.columns)
        columns, expressions = [], []
        for f in history_model._meta.concrete_fields:
            columns.append(qn(f.column))
            if f.primary_key:
                expressions.append(f"{through_pk} - {through.start} + {start}")
            elif f.name == "history":
                expressions.append(f"{owner_column} - {owner.start} + {owner.history_start}")
            elif f.column in source_columns:
                expressions.append(qn(f.column))
            else:
                raise SynthError(f"{history_model.__name__}.{f.name} has no source column")
        self.cursor.execute(
            f"INSERT INTO {qn(history_model._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(expressions)} FROM {qn(through.db_table)} WHERE {through_pk} > %s",
            [through.start],
        )
        self.rows[history_model._meta.db_table] += self.cursor.rowcount

    def defer_upkeep(self, expected: dict) -> None:
        """On PostgreSQL, before loads that are large and at least the size of their
        table (`expected`: model -> rows about to be added), drop the tables' plain
        indexes and foreign keys, for `finish` to build and check again: one sorted index
        build, and one join per foreign key, are much faster than a million inserts at
        random places in each index and a million one-row lookups. Primary keys, unique
        and CHECK constraints stay; a failed run rolls the drops back with the rest."""
        if not self.postgres:
            return
        qn = self.connection.ops.quote_name
        drops = []
        for model, rows in expected.items():
            if rows < DEFER_UPKEEP_FROM:
                continue
            table = qn(model._meta.db_table)
            # Counting stops at `rows`: cheap whatever the size of the table.
            existing = self.scalar(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} LIMIT %s) AS rows", [rows]
            )
            if existing >= rows:
                continue
            self.cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = %s::regclass "
                "AND NOT i.indisunique AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
                "ORDER BY 1",
                [table],
            )
            for name, definition in self.cursor.fetchall():
                drops.append(f"DROP INDEX {name}")
                self.deferred.append(definition)
            self.cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY 1",
                [table],
            )
            for name, definition in self.cursor.fetchall():
                constraint = f"ALTER TABLE {table} {{}} CONSTRAINT {qn(name)}"
                drops.append(constraint.format("DROP"))
                self.deferred.append(f"{constraint.format('ADD')} {definition}")
        if drops:
            # A table with foreign key checks pending (from earlier in the caller's
            # transaction) cannot be altered: run them, then defer again, as Django's
            # foreign keys are until commit.
            self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for statement in drops:
                self.cursor.execute(statement)
            self.cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def finish(self) -> None:
        for sql in self.connection.ops.sequence_reset_sql(no_style(), self.models):
            self.cursor.execute(sql)
        if self.postgres:
            if self.deferred:
                # Pending foreign key checks (of the tables that kept theirs) run now
                # rather than at commit: a table with checks pending cannot be altered.
                self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                self.cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for statement in self.deferred:
                self.cursor.execute(statement)
            qn = self.connection.ops.quote_name
            for model in self.models:
                self.cursor.execute(f"ANALYZE {qn(model._meta.db_table)}")


class Table:
    """The new rows of one model: numbered after the ids in use, buffered, written in
    chunks. Rows are given as field attnames; fields left out take their default."""

    def __init__(self, writer: Writer, model):
        self.writer = writer
        self.model = model
        self.db_table = model._meta.db_table
        fields = model._meta.concrete_fields
        self.columns = [f.column for f in fields]
        self.defaults = {}
        for f in fields:
            # Callable defaults (the clock for created_at) must be given.
            if not f.primary_key and not (f.has_default() and callable(f.default)):
                self.defaults[f.attname] = f.get_default()
        self.getter = itemgetter(*[f.attname for f in fields])
        self.converters = None
        if not writer.postgres:
            connection = writer.connection
            converters = [
                (lambda v, f=f: f.get_db_prep_save(v, connection))
                if f.get_internal_type() in {"DateTimeField", "DecimalField"}
                else None
                for f in fields
            ]
            if any(converters):
                self.converters = converters
        self.start = writer.last_id(model)
        self.last = self.start
        self.buffer: list[tuple] = []
        self.history_start = 0
        writer.register(model)

    def next_id(self) -> int:
        self.last += 1
        return self.last

    def add(self, **values) -> None:
        self.buffer.append(self.getter({**self.defaults, **values}))

    def flush(self) -> None:
        if self.buffer:
            self.writer.write(self, self.buffer)
            self.buffer = []

    @property
    def count(self) -> int:
        return self.last - self.start


@dataclass
class Pools:
    """What later stages need to know about earlier records, by position (id = start + 1
    + position, ids being consecutive)."""

    source_langs: list[str] = field(default_factory=list)
    person_names: list[str] = field(default_factory=list)
    company_names: list[str] = field(default_factory=list)
    company_countries: list[str] = field(default_factory=list)
    company_years: list[int] = field(default_factory=list)
    investors: list[int] = field(default_factory=list)  # positions of investor companies
    company_products: dict[int, list[int]] = field(default_factory=dict)
    product_names: list[str] = field(default_factory=list)
    product_companies: list[int] = field(default_factory=list)
    summits: list[int] = field(default_factory=list)  # event positions


class Synth:
    def __init__(
        self,
        connection,
        sizes: Sizes,
        seed: int = 1,
        log: Callable | None = None,
        reason: str = CHANGE_REASON,
    ):
        self.connection = connection
        self.reason = reason
        self.sizes = sizes.resolved()
        self.sizes.check()
        self.seed = seed
        self.log = log or (lambda message: None)
        self.ticks = 0
        self.pools = Pools()

    def rng(self, stage: str) -> random.Random:
        # A string seed is hashed with SHA-512: stable across runs and processes.
        return random.Random(f"{self.seed}:{stage}")

    def now(self) -> datetime.datetime:
        """The creation time of the next record: one second after the previous one."""
        self.ticks += 1
        return BASE_TIME + datetime.timedelta(seconds=self.ticks)

    def run(self) -> Report:
        started = time.monotonic()
        alias = self.connection.alias
        self.platforms = dict(Platform.objects.using(alias).values_list("slug", "id"))
        self.metric_types = list(
            MetricType.objects.using(alias)
            .order_by("id")
            .values_list("id", "slug", "name", "unit_kind")
        )
        if self.sizes.metrics and not self.metric_types:
            raise SynthError("There are no metric types: run `manage.py migrate` first.")
        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            self.date_vocabulary()
            self.writer = Writer(self.connection, cursor, self.reason)
            self.content_types = {}
            stages = [
                ("sources", Source, self.make_sources),
                ("people", Person, self.make_people),
                ("companies", Company, self.make_companies),
                ("products", Product, self.make_products),
                ("roles", Role, self.make_roles),
                ("events", Event, self.make_events),
                ("partnerships", Partnership, self.make_partnerships),
                ("funding rounds", FundingRound, self.make_funding_rounds),
                ("metrics", Metric, self.make_metrics),
            ]
            models_written = [
                Source,
                Citation,
                Person,
                Company,
                CompanyAlias,
                Product,
                Role,
                Event,
                Partnership,
                PartnershipParty,
                FundingRound,
                Investment,
                Metric,
            ]
            for model in list(models_written):
                history = history_model_of(model)
                models_written.append(history)
                for m2m in model._meta.local_many_to_many:
                    if m2m.remote_field.through._meta.auto_created:
                        models_written.append(m2m.remote_field.through)
                        if m2m in history._history_m2m_fields:
                            models_written.append(getattr(history, m2m.name).model)
            self.writer.lock([m._meta.db_table for m in models_written])
            self.writer.defer_upkeep(self.expected_rows())
            self.citations = Table(self.writer, Citation)
            for name, model, make in stages:
                stage_started = time.monotonic()
                before = sum(self.writer.rows.values())
                make(self.rng(name))
                made = self.writer.rows[model._meta.db_table]
                rows = sum(self.writer.rows.values()) - before
                self.log(
                    f"{name}: {made:,} {model._meta.db_table} rows, {rows:,} rows with "
                    f"their links and history, {time.monotonic() - stage_started:.1f}s"
                )
            self.citations.flush()
            self.writer.copy_history(self.citations)
            self.log(f"citations: {self.citations.count:,} rows, with their history")
            self.writer.finish()
        return Report(rows=dict(self.writer.rows), seconds=time.monotonic() - started)

    def date_vocabulary(self) -> None:
        """The generated records are dated from BASE_TIME on, usually long before
        `migrate` created the platforms and metric types they use. Give each of those a
        creation in history at BASE_TIME, so that the records read "as of" any of their
        moments still find their vocabulary."""
        alias = self.connection.alias
        for model in (Platform, MetricType):
            history = history_model_of(model)
            dated = history.objects.using(alias).filter(history_date__lte=BASE_TIME)
            missing = model.objects.using(alias).exclude(id__in=dated.values("id"))
            fields = [f.attname for f in model._meta.concrete_fields]
            history.objects.using(alias).bulk_create(
                history(
                    **{name: getattr(row, name) for name in fields},
                    history_date=BASE_TIME,
                    history_type="+",
                    history_change_reason=self.reason,
                )
                for row in missing.order_by("id")
            )

    def expected_rows(self) -> dict:
        """About how many rows each large table will get."""
        sizes = self.sizes
        facts = sizes.metrics + 8 * sizes.companies  # the others are about 8 per company
        expected = {
            Source: sizes.sources,
            Citation: int(facts * sizes.citations_per_fact),
            Person: sizes.people,
            Company: sizes.companies,
            Product: sizes.products,
            Role: sizes.people,
            Event: sizes.events,
            Partnership: sizes.partnerships,
            PartnershipParty: 2 * sizes.partnerships,
            FundingRound: sizes.funding_rounds,
            Investment: sizes.funding_rounds,
            Metric: sizes.metrics,
        }
        expected |= {history_model_of(model): rows for model, rows in expected.items()}
        expected[Product.platforms.through] = sizes.products
        return expected

    # Shared parts of every fact.

    def content_type(self, model) -> int:
        if model not in self.content_types:
            manager = ContentType.objects.db_manager(self.connection.alias)
            self.content_types[model] = manager.get_for_model(model).id
        return self.content_types[model]

    def citation_count(self, rng: random.Random, required: bool) -> int:
        """About `citations_per_fact` on average; metrics always have one."""
        if not self.sizes.sources:
            return 0
        mean = self.sizes.citations_per_fact
        n = int(mean) + (rng.random() < mean - int(mean))
        r = rng.random()
        if required:
            return max(n, 1) + (r < 0.1)
        if r < 0.12:
            return max(n - 1, 0)
        return n + (r < 0.24)

    def fact(self, rng: random.Random, cited: bool, claim_type=None) -> dict:
        now = self.now()
        return {
            "status": pick_cited_status(rng) if cited else pick_uncited_status(rng),
            "confidence": pick_confidence(rng),
            "claim_type": claim_type or pick_claim(rng),
            "note": pick_note(rng),
            "created_at": now,
            "updated_at": now,
        }

    def cite(self, rng, model, fact_id, n, quote: Callable[[str], tuple[str, str]], field_name=""):
        """`n` citations of the fact; `quote(language)` gives (quote, English translation)."""
        table = self.citations
        sources = self.sizes.sources
        content_type = self.content_type(model)
        people = len(self.pools.person_names)
        for _ in range(n):
            position = int(sources * rng.random() ** 1.5)
            language = self.pools.source_langs[position]
            text, translation = quote(language)
            now = self.now()
            table.add(
                id=table.next_id(),
                source_id=self.sources.start + 1 + position,
                content_type_id=content_type,
                object_id=fact_id,
                quote=text,
                translation=translation,
                locator=f"¶ {rng.randint(1, 12)}"
                if rng.random() < 0.7
                else f"p. {rng.randint(1, 40)}",
                field_name=field_name if rng.random() < 0.3 else "",
                attributed_to_id=(
                    self.people.start + 1 + rng.randrange(people)
                    if people and rng.random() < 0.04
                    else None
                ),
                created_at=now,
                updated_at=now,
            )

    @staticmethod
    def fact_quote(subject: str, claim: str) -> Callable[[str], tuple[str, str]]:
        return quote_of(FACT_QUOTES, subject=subject, claim=claim)

    def flush(self, *tables: Table) -> None:
        for table in (*tables, self.citations):
            table.flush()

    # Stages, in creation order: each refers only to records made before it.

    def make_sources(self, rng):
        self.sources = table = Table(self.writer, Source)
        langs = self.pools.source_langs
        for i in range(self.sizes.sources):
            sid = table.next_id()
            publisher_index = pick_publisher(rng)
            publisher, language = PUBLISHERS[publisher_index]
            published_on, precision = partial_date(rng, 2012, LAST_YEAR)
            title = (
                f"{rng.choice(STEMS_A)}{rng.choice(STEMS_B)} {rng.choice(HEADLINE_WORDS)} "
                f"{rng.choice(PRODUCT_WORDS).lower()} plans"
            )
            year = published_on.year if published_on else "archive"
            now = self.now()
            table.add(
                id=sid,
                title=title,
                publisher=publisher,
                author=rng.choice(AUTHORS),
                url=f"https://{PUBLISHER_DOMAINS[publisher_index]}/{year}/{slugify(title)}-{sid}",
                published_on=published_on,
                published_precision=precision,
                language=language,
                kind=pick_source_kind(rng),
                retrieved_at=now - datetime.timedelta(days=rng.randint(1, 30)),
                created_at=now,
                updated_at=now,
            )
            langs.append(language)
            if i % CHUNK == CHUNK - 1:
                self.flush(table)
        self.flush(table)
        self.writer.copy_history(table)

    def make_people(self, rng):
        self.people = table = Table(self.writer, Person)
        # Names first, so that citations of people can attribute quotes to anyone.
        for _ in range(self.sizes.people):
            self.pools.person_names.append(f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}")
        for position, name in enumerate(self.pools.person_names):
            pid = table.next_id()
            n = self.citation_count(rng, required=False)
            table.add(
                id=pid,
                name=name,
                slug=f"{slugify(name)}-{pid}",
                description=rng.choice(PERSON_DESCRIPTIONS),
                **self.fact(rng, n > 0),
            )
            self.cite(rng, Person, pid, n, self.fact_quote(name, "interview"))
            if position % CHUNK == CHUNK - 1:
                self.flush(table)
        self.flush(table)
        self.writer.copy_history(table)

    def make_companies(self, rng):
        self.companies = table = Table(self.writer, Company)
        aliases = Table(self.writer, CompanyAlias)
        pools = self.pools
        for i in range(self.sizes.companies):
            cid = table.next_id()
            stem = rng.choice(STEMS_A) + rng.choice(STEMS_B)
            suffix = rng.choice(COMPANY_SUFFIXES)
            name = stem + suffix
            country = pick_country(rng)
            kind = pick_company_kind(rng)
            founded_on, precision = partial_date(rng, 1950, LAST_YEAR)
            if founded_on and rng.random() < 0.7:
                founded_on = truncate_date(random_date(rng, 2000, LAST_YEAR), precision)
            city = rng.choice(CITIES[country]) if country in CITIES else ""
            place = city or region_name(country)
            slug = f"{slugify(name)}-{cid}"
            n = self.citation_count(rng, required=False)
            table.add(
                id=cid,
                name=name,
                slug=slug,
                kind=kind,
                country=country,
                headquarters=city,
                founded_on=founded_on,
                founded_precision=precision,
                website=f"https://www.{slug}.example" if rng.random() < 0.8 else "",
                description=f"{CompanyKind(kind).label} based in {place}." if place else "",
                **self.fact(rng, n > 0),
            )
            year = founded_on.year if founded_on else 2010  # for later dates, if unknown
            claim = f"founded in {year}" if founded_on else CompanyKind(kind).label.lower()
            self.cite(rng, Company, cid, n, self.fact_quote(name, claim))
            if suffix and rng.random() < 0.2:
                now = self.now()
                aliases.add(
                    id=aliases.next_id(), company_id=cid, name=stem, created_at=now, updated_at=now
                )
            pools.company_names.append(name)
            pools.company_countries.append(country)
            pools.company_years.append(year)
            if kind == CompanyKind.INVESTOR:
                pools.investors.append(i)
            if i % CHUNK == CHUNK - 1:
                self.flush(table, aliases)
        self.flush(table, aliases)
        self.writer.copy_history(table)
        self.writer.copy_history(aliases)

    def company_position(self, rng) -> int:
        """A company, the first ones more often: a few companies have many records."""
        return int(self.sizes.companies * rng.random() ** 2)

    def make_products(self, rng):
        self.products = table = Table(self.writer, Product)
        m2m = Product._meta.get_field("platforms")
        through = Table(self.writer, m2m.remote_field.through)
        pools = self.pools
        for i in range(self.sizes.products):
            pid = table.next_id()
            company = self.company_position(rng)
            company_name = pools.company_names[company]
            name = f"{company_name.split(' ')[0]} {rng.choice(PRODUCT_WORDS)}"
            if rng.random() < 0.3:
                name += f" {rng.randint(1, 5)}"
            kind = pick_product_kind(rng)
            founded = pools.company_years[company]
            launched_on, precision = partial_date(rng, max(founded, 2008), LAST_YEAR)
            n = self.citation_count(rng, required=False)
            table.add(
                id=pid,
                company_id=self.companies.start + 1 + company,
                name=name,
                slug=f"{slugify(name)}-{pid}",
                kind=kind,
                audience=pick_audience(rng),
                launched_on=launched_on,
                launched_precision=precision,
                description="",
                **self.fact(rng, n > 0),
            )
            year = launched_on.year if launched_on else max(founded, 2020)
            self.cite(rng, Product, pid, n, self.fact_quote(name, f"launched in {year}"))
            candidates = [p for p in PRODUCT_PLATFORMS[kind] if p in self.platforms]
            if candidates:
                count = rng.randint(0, len(candidates))
                for slug in sorted(rng.sample(candidates, count)):
                    through.add(
                        id=through.next_id(), product_id=pid, platform_id=self.platforms[slug]
                    )
            pools.product_names.append(name)
            pools.product_companies.append(company)
            pools.company_products.setdefault(company, []).append(i)
            if i % CHUNK == CHUNK - 1:
                self.flush(table, through)
        self.flush(table, through)
        self.writer.copy_history(table)
        self.writer.copy_m2m_history(table, through, m2m)

    def make_roles(self, rng):
        table = Table(self.writer, Role)
        pools = self.pools
        if not self.sizes.companies:
            return
        for position, person_name in enumerate(pools.person_names):
            count = pick_role_count(rng)
            for _ in range(count):
                rid = table.next_id()
                company = self.company_position(rng)
                title = rng.choice(ROLE_TITLES)
                first = min(max(pools.company_years[company], 1990), LAST_YEAR - 1)
                started_on, started_precision = partial_date(rng, first, LAST_YEAR - 1)
                ended_on, ended_precision = None, ""
                if started_on and rng.random() < 0.2:
                    ended_precision = started_precision
                    ended_on = truncate_date(
                        random_date(rng, started_on.year + 1, LAST_YEAR), ended_precision
                    )
                n = self.citation_count(rng, required=False)
                table.add(
                    id=rid,
                    person_id=self.people.start + 1 + position,
                    company_id=self.companies.start + 1 + company,
                    title=title,
                    started_on=started_on,
                    started_precision=started_precision,
                    ended_on=ended_on,
                    ended_precision=ended_precision,
                    **self.fact(rng, n > 0),
                )
                claim = f"{title} of {pools.company_names[company]}"
                self.cite(rng, Role, rid, n, self.fact_quote(person_name, claim), "title")
            if position % CHUNK == CHUNK - 1:
                self.flush(table)
        self.flush(table)
        self.writer.copy_history(table)

    def make_events(self, rng):
        self.events = table = Table(self.writer, Event)
        pools = self.pools
        m2ms = [Event._meta.get_field(name) for name in ("companies", "products", "people")]
        throughs = [Table(self.writer, m.remote_field.through) for m in m2ms]
        companies_through, products_through, people_through = throughs
        for i in range(self.sizes.events):
            eid = table.next_id()
            kind = pick_event_kind(rng)
            occurred_on, precision = partial_date(rng, 2015, LAST_YEAR)
            country = pick_country(rng)
            place = rng.choice(CITIES[country]) if country in CITIES else ""
            year = occurred_on.year if occurred_on else LAST_YEAR
            companies, people = self.event_parties(rng, kind)
            title, products = self.event_title(rng, kind, place, year, companies, people)
            ends_on = None
            if kind == EventKind.SUMMIT and precision == DatePrecision.DAY:
                ends_on = occurred_on + datetime.timedelta(days=rng.randint(0, 3))
            part_of = None
            if kind != EventKind.SUMMIT and pools.summits and rng.random() < 0.15:
                part_of = self.events.start + 1 + rng.choice(pools.summits)
            n = self.citation_count(rng, required=False)
            table.add(
                id=eid,
                title=title,
                kind=kind,
                summary="",
                occurred_on=occurred_on,
                occurred_precision=precision,
                ends_on=ends_on,
                place=place,
                country=country,
                part_of_id=part_of,
                **self.fact(rng, n > 0),
            )
            self.cite(
                rng,
                Event,
                eid,
                n,
                self.fact_quote(title, f"{EventKind(kind).label.lower()} in {year}"),
            )
            for positions, through, column, start in (
                (companies, companies_through, "company_id", self.companies.start),
                (products, products_through, "product_id", self.products.start),
                (people, people_through, "person_id", self.people.start),
            ):
                link_event(through, eid, column, start, positions)
            if kind == EventKind.SUMMIT:
                pools.summits.append(i)
            if i % CHUNK == CHUNK - 1:
                self.flush(table, *throughs)
        self.flush(table, *throughs)
        self.writer.copy_history(table)
        for m2m, through in zip(m2ms, throughs, strict=True):
            self.writer.copy_m2m_history(table, through, m2m)

    def event_parties(self, rng, kind: str) -> tuple[list[int], list[int]]:
        """(companies, people) at an event, by position: a company, a person interviewed
        or endorsing, and at a summit more of both."""
        n_companies, n_people = self.sizes.companies, len(self.pools.person_names)
        companies, people = [], []
        if n_companies:
            companies.append(self.company_position(rng))
        if n_people and kind in (EventKind.INTERVIEW, EventKind.ENDORSEMENT):
            people.append(rng.randrange(n_people))
        if kind == EventKind.SUMMIT:
            for _ in range(rng.randint(1, 5) if n_companies else 0):
                companies.append(self.company_position(rng))
            for _ in range(rng.randint(0, 3) if n_people else 0):
                people.append(rng.randrange(n_people))
        return companies, people

    def event_title(self, rng, kind, place, year, companies, people) -> tuple[str, list[int]]:
        """(title, products): what the event is called, after its first company and
        person; a launch names one of the company's products."""
        if kind == EventKind.SUMMIT:
            return f"{place or 'Global'} AI Summit {year}", []
        if not companies:
            return f"{EventKind(kind).label} {year}", []
        pools = self.pools
        company_name = pools.company_names[companies[0]]
        own_products = pools.company_products.get(companies[0], [])
        if kind == EventKind.LAUNCH and own_products:
            product = rng.choice(own_products)
            return f"{company_name} launches {pools.product_names[product]}", [product]
        if kind == EventKind.PLAN:
            return f"{company_name} announces {rng.choice(PLAN_TOPICS)}", []
        if kind == EventKind.INTERVIEW and people:
            return f"Interview with {pools.person_names[people[0]]}", []
        if kind == EventKind.ENDORSEMENT and people:
            return f"{pools.person_names[people[0]]} endorses {company_name}", []
        return f"{company_name}: {EventKind(kind).label.lower()} {year}", []

    def make_partnerships(self, rng):
        table = Table(self.writer, Partnership)
        parties = Table(self.writer, PartnershipParty)
        m2m = Partnership._meta.get_field("products")
        products_through = Table(self.writer, m2m.remote_field.through)
        pools = self.pools
        if self.sizes.companies < 2:
            return
        for i in range(self.sizes.partnerships):
            members = []
            while len(members) < (3 if rng.random() < 0.2 else 2):
                company = self.company_position(rng)
                if company not in members:
                    members.append(company)
            pid = table.next_id()
            kind = pick_partnership_kind(rng)
            stage = pick_stage(rng)
            announced_on, announced_precision = partial_date(rng, 2015, LAST_YEAR)
            starts_on, starts_precision, starts_expected = None, "", False
            ends_on, ends_precision = None, ""
            if announced_on and rng.random() < 0.5:
                starts_precision = announced_precision
                starts_expected = stage == PartnershipStage.ANNOUNCED
                starts_on = truncate_date(
                    announced_on + datetime.timedelta(days=rng.randint(0, 400)), starts_precision
                )
                if stage == PartnershipStage.ENDED:
                    ends_precision = starts_precision
                    ends_on = truncate_date(
                        starts_on + datetime.timedelta(days=rng.randint(30, 1500)), ends_precision
                    )
            names = [pools.company_names[m] for m in members]
            title = f"{names[0]} – {names[1]}: {rng.choice(PARTNERSHIP_TOPICS)}"
            n = self.citation_count(rng, required=False)
            table.add(
                id=pid,
                title=title,
                kind=kind,
                stage=stage,
                summary="",
                announced_on=announced_on,
                announced_precision=announced_precision,
                starts_on=starts_on,
                starts_precision=starts_precision,
                starts_expected=starts_expected,
                ends_on=ends_on,
                ends_precision=ends_precision,
                **self.fact(rng, n > 0),
            )
            self.cite(
                rng,
                Partnership,
                pid,
                n,
                self.fact_quote(" and ".join(names), "partnership announced"),
            )
            supplier = rng.random() < 0.5
            for index, company in enumerate(members):
                if supplier and index < 2:
                    role = (PartyRole.PROVIDER, PartyRole.CUSTOMER)[index]
                else:
                    role = PartyRole.PARTNER
                now = self.now()
                parties.add(
                    id=parties.next_id(),
                    partnership_id=pid,
                    company_id=self.companies.start + 1 + company,
                    role=role,
                    created_at=now,
                    updated_at=now,
                )
            own_products = pools.company_products.get(members[0], [])
            if own_products and rng.random() < 0.4:
                for product in sorted(set(rng.choices(own_products, k=rng.randint(1, 2)))):
                    products_through.add(
                        id=products_through.next_id(),
                        partnership_id=pid,
                        product_id=self.products.start + 1 + product,
                    )
            if i % CHUNK == CHUNK - 1:
                self.flush(table, parties, products_through)
        self.flush(table, parties, products_through)
        self.writer.copy_history(table)
        self.writer.copy_history(parties)
        self.writer.copy_m2m_history(table, products_through, m2m)

    def money(self, rng, usd: float, currency: str, sig: int) -> tuple[Decimal, dict]:
        """An amount worth about `usd` US dollars in `currency`, rounded as reported, and
        for about half the non-dollar amounts, its US dollar conversion."""
        native = Decimal(round_sig(usd / float(USD_PER_UNIT[currency]), sig))
        conversion = {}
        if currency != "USD" and rng.random() < 0.5:
            rate = USD_PER_UNIT[currency]
            conversion = {
                "value_usd": (native * rate).quantize(Q4),
                "usd_rate": rate,
                "usd_rate_on": datetime.date(LAST_YEAR, 12, 31),
                "usd_rate_source": RATE_SOURCE,
            }
        return native, conversion

    def make_funding_rounds(self, rng):
        table = Table(self.writer, FundingRound)
        investments = Table(self.writer, Investment)
        pools = self.pools
        if not self.sizes.companies:
            return
        for i in range(self.sizes.funding_rounds):
            fid = table.next_id()
            company = self.company_position(rng)
            country = pools.company_countries[company]
            currency = COUNTRY_CURRENCY.get(country, "USD") if rng.random() < 0.85 else "USD"
            round_type = pick_round(rng)
            announced_on, precision = partial_date(
                rng, max(pools.company_years[company], 2005), LAST_YEAR
            )
            quantity = {}
            value = None
            if rng.random() < (0.4 if round_type == RoundType.UNDISCLOSED else 0.92):
                usd = ROUND_MEDIAN_USD[round_type] * rng.lognormvariate(0, 0.8)
                qualifier = pick_round_qualifier(rng)
                sig = 3 if qualifier == Qualifier.EXACT else 2
                value, conversion = self.money(rng, usd, currency, sig)
                quantity = {"value": value, "qualifier": qualifier, "currency": currency}
                if qualifier == Qualifier.RANGE:
                    high = round_sig(float(value) * rng.uniform(1.1, 1.6), 2)
                    quantity["value_high"] = Decimal(high).max(value)
                else:
                    quantity.update(conversion)
                if round_type not in NO_INVESTORS and rng.random() < 0.4:
                    quantity["valuation"] = Decimal(round_sig(float(value) * rng.uniform(4, 12), 2))
            n = self.citation_count(rng, required=False)
            table.add(
                id=fid,
                company_id=self.companies.start + 1 + company,
                round_type=round_type,
                announced_on=announced_on,
                announced_precision=precision,
                **quantity,
                **self.fact(rng, n > 0),
            )
            company_name = pools.company_names[company]
            label = RoundType(round_type).label
            amount = (
                format_quantity(value, None, quantity.get("qualifier"), currency)
                if value
                else "an undisclosed amount"
            )
            self.cite(
                rng,
                FundingRound,
                fid,
                n,
                self.fact_quote(company_name, f"raised {amount} ({label})"),
                "value",
            )
            if round_type not in NO_INVESTORS and pools.investors:
                backers = []
                for _ in range(rng.randint(0, 3)):
                    investor = rng.choice(pools.investors)
                    if investor != company and investor not in backers:
                        backers.append(investor)
                for index, investor in enumerate(backers):
                    iid = investments.next_id()
                    stake = {}
                    if value is not None and rng.random() < 0.3:
                        stake = {
                            "value": Decimal(round_sig(float(value) * rng.uniform(0.1, 0.5), 2)),
                            "qualifier": Qualifier.APPROXIMATE,
                            "currency": currency,
                        }
                    m = self.citation_count(rng, required=False)
                    investments.add(
                        id=iid,
                        investor_id=self.companies.start + 1 + investor,
                        company_id=self.companies.start + 1 + company,
                        funding_round_id=fid,
                        is_lead=index == 0 and rng.random() < 0.6,
                        description="",
                        **stake,
                        **self.fact(rng, m > 0),
                    )
                    self.cite(
                        rng,
                        Investment,
                        iid,
                        m,
                        self.fact_quote(
                            pools.company_names[investor], f"invested in {company_name}"
                        ),
                    )
            if i % CHUNK == CHUNK - 1:
                self.flush(table, investments)
        self.flush(table, investments)
        self.writer.copy_history(table)
        self.writer.copy_history(investments)

    def make_metrics(self, rng):
        table = Table(self.writer, Metric)
        pools = self.pools
        n_companies, n_products = self.sizes.companies, len(pools.product_names)
        if not n_companies:
            return
        types = self.metric_types
        pick_company_type = Weighted(
            types, [COMPANY_METRIC_WEIGHTS.get(t[1], DEFAULT_METRIC_WEIGHT) for t in types]
        )
        pick_product_type = Weighted(
            types, [PRODUCT_METRIC_WEIGHTS.get(t[1], DEFAULT_METRIC_WEIGHT) for t in types]
        )
        platform_pickers = {
            slug: Weighted([self.platforms.get(s) if s else None for s in slugs], weights)
            for slug, (slugs, weights) in METRIC_PLATFORMS.items()
        }
        platform_ids = sorted(self.platforms.values())
        companies_start, products_start = self.companies.start, self.products.start
        random_ = rng.random
        for i in range(self.sizes.metrics):
            mid = table.next_id()
            on_product = n_products and random_() < 0.4
            if on_product:
                product = int(n_products * random_() ** 2)
                company = pools.product_companies[product]
                type_id, slug, type_name, unit = pick_product_type(rng)
                subject = pools.product_names[product]
                company_id, product_id = None, products_start + 1 + product
            else:
                company = self.company_position(rng)
                type_id, slug, type_name, unit = pick_company_type(rng)
                subject = pools.company_names[company]
                company_id, product_id = companies_start + 1 + company, None
            claim_type = pick_target_claim(rng) if slug in TARGET_TYPES else pick_claim(rng)
            # The value, in the unit of the type.
            if unit == "rank":
                qualifier, value, value_high, currency, conversion = rank_value(rng)
            elif unit == "percent":
                qualifier, value, value_high, currency, conversion = percent_value(rng)
            else:
                qualifier, value, value_high, currency, conversion = self.amount_value(
                    rng, slug, unit, company
                )
            precision, period_start, period_end, period_until = metric_period(rng, unit, claim_type)
            window = self.metric_window(rng) if on_product and slug in WINDOW_TYPES else {}
            region = self.metric_region(rng, company)
            platform = pick_metric_platform(rng, slug, platform_pickers, platform_ids)

            n = self.citation_count(rng, required=True)
            table.add(
                id=mid,
                metric_type_id=type_id,
                company_id=company_id,
                product_id=product_id,
                value=value,
                value_high=value_high,
                qualifier=qualifier,
                currency=currency,
                **conversion,
                unit=unit,
                period_start=period_start,
                period_end=period_end,
                period_until=period_until,
                period_precision=precision,
                **window,
                region=region,
                platform_id=platform,
                **self.fact(rng, n > 0, claim_type),
            )
            shown = format_quantity(value, value_high, qualifier, currency)
            quote = quote_of(METRIC_QUOTES, subject=subject, metric=type_name.lower(), value=shown)
            self.cite(rng, Metric, mid, n, quote, "value")
            if i % CHUNK == CHUNK - 1:
                self.flush(table)
        self.flush(table)
        self.writer.copy_history(table)
        for version in range(2, self.sizes.metric_versions + 1):
            self.writer.edit(table, version, f"Checked again (version {version}).")

    def amount_value(self, rng, slug: str, unit: str, company: int) -> tuple:
        """(qualifier, value, value_high, currency, conversion) of a count or an amount:
        spread log-normally by type, rounded as sources round their figures; money in the
        company's currency or another, perhaps with its US dollar conversion (a range has
        none)."""
        qualifier = pick_qualifier(rng)
        mu, sigma = VALUE_SPREAD.get(slug) or DEFAULT_SPREAD.get(unit, (9.0, 2.5))
        amount = min(rng.lognormvariate(mu, sigma), 1e13)
        sig = 3 if qualifier == Qualifier.EXACT else 2
        currency, conversion = "", {}
        if unit == "money":
            country_currency = COUNTRY_CURRENCY.get(self.pools.company_countries[company])
            currency = (
                country_currency if country_currency and rng.random() < 0.7 else pick_currency(rng)
            )
            value, conversion = self.money(rng, amount, currency, sig)
        else:
            value = Decimal(round_sig(amount, sig + 2 if qualifier == Qualifier.EXACT else sig))
        value_high = None
        if qualifier == Qualifier.RANGE:
            value_high = Decimal(round_sig(float(value) * (1.1 + rng.random()), 2)).max(value)
            conversion = {}
        return qualifier, value, value_high, currency, conversion

    def metric_window(self, rng) -> dict:
        """The window of a product's downloads or users: now and then, counted within days
        of the launch or of an event."""
        r = rng.random()
        if r < 0.05:
            return {"window_days": rng.choice((1, 7, 14, 30, 90)), "window_anchor": "launch"}
        n_events = self.sizes.events
        if r < 0.06 and n_events:
            return {
                "window_days": rng.choice((1, 7, 30)),
                "window_anchor": "event",
                "anchor_event_id": self.events.start + 1 + rng.randrange(n_events),
            }
        return {}

    def metric_region(self, rng, company: int) -> str:
        """Not said, worldwide, the company's country or another country."""
        r = rng.random()
        if r < 0.25:
            return ""
        if r < 0.55:
            return WORLDWIDE
        if r < 0.8:
            return self.pools.company_countries[company] or WORLDWIDE
        return pick_country(rng) or WORLDWIDE


def link_event(through: Table, event_id: int, column: str, start: int, positions: list[int]):
    """The rows of an event's many-to-many table, once for each record, in order."""
    for position in sorted(set(positions)):
        through.add(id=through.next_id(), event_id=event_id, **{column: start + 1 + position})


def rank_value(rng: random.Random) -> tuple:
    """(qualifier, value, value_high, currency, conversion) of a rank: 1 to 200, more
    often near the top."""
    qualifier = pick_rank_qualifier(rng)
    value = Decimal(1 + int(199 * rng.random() ** 2))
    value_high = None
    if qualifier == Qualifier.RANGE:
        value_high = min(value + rng.randint(1, 20), Decimal(200))
    return qualifier, value, value_high, "", {}


def percent_value(rng: random.Random) -> tuple:
    """(qualifier, value, value_high, currency, conversion) of a percentage, to one
    decimal place."""
    qualifier = pick_qualifier(rng)
    low = round(rng.random() * 100, 1)
    value = Decimal(f"{low:.1f}")
    value_high = None
    if qualifier == Qualifier.RANGE:
        value_high = Decimal(f"{min(100.0, low + rng.random() * 10):.1f}")
    return qualifier, value, value_high, "", {}


def metric_period(rng: random.Random, unit: str, claim_type: str) -> tuple:
    """(precision, period_start, period_end, period_until): a single date (ranks), a
    period, a span of periods, or not said (precision ""); a target's in the coming
    years."""
    if unit == "rank":
        precision = DatePrecision.DAY if rng.random() < 0.8 else DatePrecision.MONTH
    else:
        precision = pick_period_precision(rng)
    if not precision:
        return precision, None, None, None
    if claim_type == ClaimType.TARGET:
        year = rng.randint(LAST_YEAR + 1, LAST_YEAR + 6)
    else:
        year = recent_year(rng, 2015)
    start = datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randrange(365))
    period_start = truncate_date(start, precision)
    period_end = None
    months = PRECISION_MONTHS.get(precision)
    if months and rng.random() < 0.15:
        period_end = add_months(period_start, months * rng.randint(1, 3))
    return precision, period_start, period_end, last_day_of(period_end or period_start, precision)


def pick_metric_platform(rng: random.Random, slug: str, pickers: dict, platform_ids: list):
    """The id of the platform a metric is about, or None: by its type's own weights, or
    for other types now and then any platform."""
    if slug in pickers:
        return pickers[slug](rng)
    if platform_ids and rng.random() < 0.1:
        return rng.choice(platform_ids)
    return None


def generate(
    sizes: Sizes,
    seed: int = 1,
    log: Callable | None = None,
    using: str = DEFAULT_DB_ALIAS,
    reason: str = CHANGE_REASON,
) -> Report:
    return Synth(connections[using], sizes, seed, log, reason).run()
