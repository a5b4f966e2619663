"""Funding rounds of companies and the investments of investor companies in them."""

import random
from decimal import Decimal

from events.models import FundingRound, Investment, RoundType
from events.models.funding import ValuationBasis
from factbase.core.choices import Qualifier
from factbase.core.quantities import format_quantity

from .amounts import COUNTRY_CURRENCY, money, round_sig
from .choices import pick_round, pick_round_qualifier
from .dates import LAST_YEAR, partial_date
from .facts import citation_count, cite, fact, fact_quote, flush
from .state import Run
from .writer import CHUNK, Table

# The usual size of a round of each type, in US dollars: amounts spread around it.
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
# Rounds no investor company takes part in.
NO_INVESTORS = {RoundType.GRANT, RoundType.DEBT, RoundType.IPO}
VALUATION_QUALIFIERS = [Qualifier.APPROXIMATE, Qualifier.EXACT, Qualifier.AT_LEAST]
VALUATION_QUALIFIER_WEIGHTS = [6, 3, 1]
VALUATION_BASES = [ValuationBasis.POST, ValuationBasis.PRE, ValuationBasis.UNKNOWN]
VALUATION_BASIS_WEIGHTS = [7, 1, 2]


def valuation(rng: random.Random, raised: Decimal, currency: str) -> dict:
    """A valuation of a few times the amount raised, with its own qualifier, currency
    (now and then in US dollars, as foreign press reports it) and basis."""
    return {
        "valuation": Decimal(round_sig(float(raised) * rng.uniform(4, 12), 2)),
        "valuation_qualifier": rng.choices(VALUATION_QUALIFIERS, VALUATION_QUALIFIER_WEIGHTS)[0],
        "valuation_currency": currency if rng.random() < 0.9 else "USD",
        "valuation_basis": rng.choices(VALUATION_BASES, VALUATION_BASIS_WEIGHTS)[0],
    }


def make_funding_rounds(run: Run, rng: random.Random):
    table = Table(run.writer, FundingRound)
    investments = Table(run.writer, Investment)
    pools = run.pools
    if not run.sizes.companies:
        return
    for i in range(run.sizes.funding_rounds):
        fid = table.next_id()
        company = run.company_position(rng)
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
            value, conversion = money(rng, usd, currency, sig)
            quantity = {"value": value, "qualifier": qualifier, "currency": currency}
            if qualifier == Qualifier.RANGE:
                high = round_sig(float(value) * rng.uniform(1.1, 1.6), 2)
                quantity["value_high"] = Decimal(high).max(value)
            else:
                quantity.update(conversion)
            if round_type not in NO_INVESTORS and rng.random() < 0.4:
                quantity.update(valuation(rng, value, currency))
        n = citation_count(run, rng, required=False)
        table.add(
            id=fid,
            company_id=run.companies.start + 1 + company,
            round_type=round_type,
            announced_on=announced_on,
            announced_precision=precision,
            **quantity,
            **fact(run, rng, n > 0),
        )
        company_name = pools.company_names[company]
        label = RoundType(round_type).label
        amount = (
            format_quantity(value, None, quantity.get("qualifier"), currency)
            if value
            else "an undisclosed amount"
        )
        cite(
            run,
            rng,
            FundingRound,
            fid,
            n,
            fact_quote(company_name, f"raised {amount} ({label})"),
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
                m = citation_count(run, rng, required=False)
                investments.add(
                    id=iid,
                    investor_id=run.companies.start + 1 + investor,
                    company_id=run.companies.start + 1 + company,
                    funding_round_id=fid,
                    is_lead=index == 0 and rng.random() < 0.6,
                    description="",
                    **stake,
                    **fact(run, rng, m > 0),
                )
                cite(
                    run,
                    rng,
                    Investment,
                    iid,
                    m,
                    fact_quote(pools.company_names[investor], f"invested in {company_name}"),
                )
        if i % CHUNK == CHUNK - 1:
            flush(run, table, investments)
    flush(run, table, investments)
    run.writer.copy_history(table)
    run.writer.copy_history(investments)
