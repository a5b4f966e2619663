"""Companies, their aliases, and their products with the platforms they run on."""

import random

from django.utils.text import slugify

from companies.models import Company, CompanyAlias, CompanyKind, Product, ProductKind
from factbase.core.codes import region_name
from factbase.core.dates import truncate_date

from .choices import pick_audience, pick_company_kind, pick_product_kind
from .countries import CITIES, pick_country
from .dates import LAST_YEAR, partial_date, random_date
from .facts import citation_count, cite, fact, fact_quote, flush
from .state import Run
from .words import COMPANY_SUFFIXES, PRODUCT_WORDS, STEMS_A, STEMS_B
from .writer import CHUNK, Table

# The platforms (by slug) a product of a kind may run on; it gets some of them.
PRODUCT_PLATFORMS = {
    ProductKind.ASSISTANT_APP: ["ios", "android", "web", "windows", "macos"],
    ProductKind.MODEL: ["api", "web"],
    ProductKind.API: ["api"],
    ProductKind.PLATFORM: ["web", "windows", "macos", "linux"],
    ProductKind.OTHER: ["web", "linux"],
}


def make_companies(run: Run, rng: random.Random):
    run.companies = table = Table(run.writer, Company)
    aliases = Table(run.writer, CompanyAlias)
    pools = run.pools
    for i in range(run.sizes.companies):
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
        n = citation_count(run, rng, required=False)
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
            **fact(run, rng, n > 0),
        )
        year = founded_on.year if founded_on else 2010  # for later dates, if unknown
        claim = f"founded in {year}" if founded_on else CompanyKind(kind).label.lower()
        cite(run, rng, Company, cid, n, fact_quote(name, claim))
        if suffix and rng.random() < 0.2:
            now = run.now()
            aliases.add(
                id=aliases.next_id(), company_id=cid, name=stem, created_at=now, updated_at=now
            )
        pools.company_names.append(name)
        pools.company_countries.append(country)
        pools.company_years.append(year)
        if kind == CompanyKind.INVESTOR:
            pools.investors.append(i)
        if i % CHUNK == CHUNK - 1:
            flush(run, table, aliases)
    flush(run, table, aliases)
    run.writer.copy_history(table)
    run.writer.copy_history(aliases)


def make_products(run: Run, rng: random.Random):
    run.products = table = Table(run.writer, Product)
    m2m = Product._meta.get_field("platforms")
    through = Table(run.writer, m2m.remote_field.through)
    pools = run.pools
    for i in range(run.sizes.products):
        pid = table.next_id()
        company = run.company_position(rng)
        company_name = pools.company_names[company]
        name = f"{company_name.split(' ')[0]} {rng.choice(PRODUCT_WORDS)}"
        if rng.random() < 0.3:
            name += f" {rng.randint(1, 5)}"
        kind = pick_product_kind(rng)
        founded = pools.company_years[company]
        launched_on, precision = partial_date(rng, max(founded, 2008), LAST_YEAR)
        n = citation_count(run, rng, required=False)
        table.add(
            id=pid,
            company_id=run.companies.start + 1 + company,
            name=name,
            slug=f"{slugify(name)}-{pid}",
            kind=kind,
            audience=pick_audience(rng),
            launched_on=launched_on,
            launched_precision=precision,
            description="",
            **fact(run, rng, n > 0),
        )
        year = launched_on.year if launched_on else max(founded, 2020)
        cite(run, rng, Product, pid, n, fact_quote(name, f"launched in {year}"))
        candidates = [p for p in PRODUCT_PLATFORMS[kind] if p in run.platforms]
        if candidates:
            count = rng.randint(0, len(candidates))
            for slug in sorted(rng.sample(candidates, count)):
                through.add(id=through.next_id(), product_id=pid, platform_id=run.platforms[slug])
        pools.product_names.append(name)
        pools.product_companies.append(company)
        pools.company_products.setdefault(company, []).append(i)
        if i % CHUNK == CHUNK - 1:
            flush(run, table, through)
    flush(run, table, through)
    run.writer.copy_history(table)
    run.writer.copy_m2m_history(table, through, m2m)
