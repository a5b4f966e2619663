"""Partnerships between companies: their parties, with their roles, and the products
they are about."""

import datetime
import random

from events.models import Partnership, PartnershipParty, PartnershipStage, PartyRole
from factbase.core.dates import truncate_date

from .choices import pick_partnership_kind, pick_stage
from .dates import LAST_YEAR, partial_date
from .facts import citation_count, cite, fact, fact_quote, flush
from .state import Run
from .words import PARTNERSHIP_TOPICS
from .writer import CHUNK, Table


def make_partnerships(run: Run, rng: random.Random):
    table = Table(run.writer, Partnership)
    parties = Table(run.writer, PartnershipParty)
    m2m = Partnership._meta.get_field("products")
    products_through = Table(run.writer, m2m.remote_field.through)
    pools = run.pools
    if run.sizes.companies < 2:
        return
    for i in range(run.sizes.partnerships):
        members = []
        while len(members) < (3 if rng.random() < 0.2 else 2):
            company = run.company_position(rng)
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
        n = citation_count(run, rng, required=False)
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
            **fact(run, rng, n > 0),
        )
        cite(
            run,
            rng,
            Partnership,
            pid,
            n,
            fact_quote(" and ".join(names), "partnership announced"),
        )
        supplier = rng.random() < 0.5
        for index, company in enumerate(members):
            if supplier and index < 2:
                role = (PartyRole.PROVIDER, PartyRole.CUSTOMER)[index]
            else:
                role = PartyRole.PARTNER
            now = run.now()
            parties.add(
                id=parties.next_id(),
                partnership_id=pid,
                company_id=run.companies.start + 1 + company,
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
                    product_id=run.products.start + 1 + product,
                )
        if i % CHUNK == CHUNK - 1:
            flush(run, table, parties, products_through)
    flush(run, table, parties, products_through)
    run.writer.copy_history(table)
    run.writer.copy_history(parties)
    run.writer.copy_m2m_history(table, products_through, m2m)
