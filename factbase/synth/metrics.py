"""Metrics of companies and products: their type, value, period, window, region and
platform, and the versions in their history."""

import datetime
import random
from decimal import Decimal

from events.models import Metric
from factbase.core.choices import ClaimType, DatePrecision, Qualifier
from factbase.core.codes import WORLDWIDE
from factbase.core.dates import period_end as last_day_of
from factbase.core.dates import truncate_date
from factbase.core.models import format_quantity

from .amounts import COUNTRY_CURRENCY, money, pick_currency, round_sig
from .choices import (
    pick_claim,
    pick_period_precision,
    pick_qualifier,
    pick_rank_qualifier,
    pick_target_claim,
)
from .countries import pick_country
from .dates import LAST_YEAR, PRECISION_MONTHS, add_months, recent_year
from .facts import citation_count, cite, fact, flush, quote_of
from .state import Run
from .weighted import Weighted
from .words import METRIC_QUOTES
from .writer import CHUNK, Table

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


def make_metrics(run: Run, rng: random.Random):
    table = Table(run.writer, Metric)
    pools = run.pools
    n_companies, n_products = run.sizes.companies, len(pools.product_names)
    if not n_companies:
        return
    types = run.metric_types
    pick_company_type = Weighted(
        types, [COMPANY_METRIC_WEIGHTS.get(t[1], DEFAULT_METRIC_WEIGHT) for t in types]
    )
    pick_product_type = Weighted(
        types, [PRODUCT_METRIC_WEIGHTS.get(t[1], DEFAULT_METRIC_WEIGHT) for t in types]
    )
    platform_pickers = {
        slug: Weighted([run.platforms.get(s) if s else None for s in slugs], weights)
        for slug, (slugs, weights) in METRIC_PLATFORMS.items()
    }
    platform_ids = sorted(run.platforms.values())
    companies_start, products_start = run.companies.start, run.products.start
    random_ = rng.random
    for i in range(run.sizes.metrics):
        mid = table.next_id()
        on_product = n_products and random_() < 0.4
        if on_product:
            product = int(n_products * random_() ** 2)
            company = pools.product_companies[product]
            type_id, slug, type_name, unit = pick_product_type(rng)
            subject = pools.product_names[product]
            company_id, product_id = None, products_start + 1 + product
        else:
            company = run.company_position(rng)
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
            qualifier, value, value_high, currency, conversion = amount_value(
                run, rng, slug, unit, company
            )
        precision, period_start, period_end, period_until = metric_period(rng, unit, claim_type)
        window = metric_window(run, rng) if on_product and slug in WINDOW_TYPES else {}
        region = metric_region(run, rng, company)
        platform = pick_metric_platform(rng, slug, platform_pickers, platform_ids)

        n = citation_count(run, rng, required=True)
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
            **fact(run, rng, n > 0, claim_type),
        )
        shown = format_quantity(value, value_high, qualifier, currency)
        quote = quote_of(METRIC_QUOTES, subject=subject, metric=type_name.lower(), value=shown)
        cite(run, rng, Metric, mid, n, quote, "value")
        if i % CHUNK == CHUNK - 1:
            flush(run, table)
    flush(run, table)
    run.writer.copy_history(table)
    for version in range(2, run.sizes.metric_versions + 1):
        run.writer.edit(table, version, f"Checked again (version {version}).")


def amount_value(run: Run, rng: random.Random, slug: str, unit: str, company: int) -> tuple:
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
        country_currency = COUNTRY_CURRENCY.get(run.pools.company_countries[company])
        currency = (
            country_currency if country_currency and rng.random() < 0.7 else pick_currency(rng)
        )
        value, conversion = money(rng, amount, currency, sig)
    else:
        value = Decimal(round_sig(amount, sig + 2 if qualifier == Qualifier.EXACT else sig))
    value_high = None
    if qualifier == Qualifier.RANGE:
        value_high = Decimal(round_sig(float(value) * (1.1 + rng.random()), 2)).max(value)
        conversion = {}
    return qualifier, value, value_high, currency, conversion


def metric_window(run: Run, rng: random.Random) -> dict:
    """The window of a product's downloads or users: now and then, counted within days
    of the launch or of an event."""
    r = rng.random()
    if r < 0.05:
        return {"window_days": rng.choice((1, 7, 14, 30, 90)), "window_anchor": "launch"}
    n_events = run.sizes.events
    if r < 0.06 and n_events:
        return {
            "window_days": rng.choice((1, 7, 30)),
            "window_anchor": "event",
            "anchor_event_id": run.events.start + 1 + rng.randrange(n_events),
        }
    return {}


def metric_region(run: Run, rng: random.Random, company: int) -> str:
    """Not said, worldwide, the company's country or another country."""
    r = rng.random()
    if r < 0.25:
        return ""
    if r < 0.55:
        return WORLDWIDE
    if r < 0.8:
        return run.pools.company_countries[company] or WORLDWIDE
    return pick_country(rng) or WORLDWIDE


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
