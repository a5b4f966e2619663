"""People and the roles they hold in companies."""

import random

from django.utils.text import slugify

from companies.models import Person, Role
from factbase.core.dates import truncate_date

from .dates import LAST_YEAR, partial_date, random_date
from .facts import citation_count, cite, fact, fact_quote, flush
from .state import Run
from .weighted import Weighted
from .words import FIRST_NAMES, LAST_NAMES, PERSON_DESCRIPTIONS, ROLE_TITLES
from .writer import CHUNK, Table

# How many roles a person holds.
pick_role_count = Weighted([0, 1, 2], [5, 80, 15])


def make_people(run: Run, rng: random.Random):
    run.people = table = Table(run.writer, Person)
    # Names first, so that citations of people can attribute quotes to anyone.
    for _ in range(run.sizes.people):
        run.pools.person_names.append(f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}")
    for position, name in enumerate(run.pools.person_names):
        pid = table.next_id()
        n = citation_count(run, rng, required=False)
        table.add(
            id=pid,
            name=name,
            slug=f"{slugify(name)}-{pid}",
            description=rng.choice(PERSON_DESCRIPTIONS),
            **fact(run, rng, n > 0),
        )
        cite(run, rng, Person, pid, n, fact_quote(name, "interview"))
        if position % CHUNK == CHUNK - 1:
            flush(run, table)
    flush(run, table)
    run.writer.copy_history(table)


def make_roles(run: Run, rng: random.Random):
    table = Table(run.writer, Role)
    pools = run.pools
    if not run.sizes.companies:
        return
    for position, person_name in enumerate(pools.person_names):
        count = pick_role_count(rng)
        for _ in range(count):
            rid = table.next_id()
            company = run.company_position(rng)
            title = rng.choice(ROLE_TITLES)
            first = min(max(pools.company_years[company], 1990), LAST_YEAR - 1)
            started_on, started_precision = partial_date(rng, first, LAST_YEAR - 1)
            ended_on, ended_precision = None, ""
            if started_on and rng.random() < 0.2:
                ended_precision = started_precision
                ended_on = truncate_date(
                    random_date(rng, started_on.year + 1, LAST_YEAR), ended_precision
                )
            n = citation_count(run, rng, required=False)
            table.add(
                id=rid,
                person_id=run.people.start + 1 + position,
                company_id=run.companies.start + 1 + company,
                title=title,
                started_on=started_on,
                started_precision=started_precision,
                ended_on=ended_on,
                ended_precision=ended_precision,
                **fact(run, rng, n > 0),
            )
            claim = f"{title} of {pools.company_names[company]}"
            cite(run, rng, Role, rid, n, fact_quote(person_name, claim), "title")
        if position % CHUNK == CHUNK - 1:
            flush(run, table)
    flush(run, table)
    run.writer.copy_history(table)
