"""Events (summits, launches, plans, interviews...) and the companies, products and people
at each."""

import datetime
import random

from events.models import Event, EventKind
from factbase.core.choices import DatePrecision

from .choices import pick_event_kind
from .countries import CITIES, pick_country
from .dates import LAST_YEAR, partial_date
from .facts import citation_count, cite, fact, fact_quote, flush
from .state import Run
from .words import PLAN_TOPICS
from .writer import CHUNK, Table


def make_events(run: Run, rng: random.Random):
    run.events = table = Table(run.writer, Event)
    pools = run.pools
    m2ms = [Event._meta.get_field(name) for name in ("companies", "products", "people")]
    throughs = [Table(run.writer, m.remote_field.through) for m in m2ms]
    companies_through, products_through, people_through = throughs
    for i in range(run.sizes.events):
        eid = table.next_id()
        kind = pick_event_kind(rng)
        occurred_on, precision = partial_date(rng, 2015, LAST_YEAR)
        country = pick_country(rng)
        place = rng.choice(CITIES[country]) if country in CITIES else ""
        year = occurred_on.year if occurred_on else LAST_YEAR
        companies, people = event_parties(run, rng, kind)
        title, products = event_title(run, rng, kind, place, year, companies, people)
        ends_on = None
        if kind == EventKind.SUMMIT and precision == DatePrecision.DAY:
            ends_on = occurred_on + datetime.timedelta(days=rng.randint(0, 3))
        part_of = None
        if kind != EventKind.SUMMIT and pools.summits and rng.random() < 0.15:
            part_of = run.events.start + 1 + rng.choice(pools.summits)
        n = citation_count(run, rng, required=False)
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
            **fact(run, rng, n > 0),
        )
        cite(
            run,
            rng,
            Event,
            eid,
            n,
            fact_quote(title, f"{EventKind(kind).label.lower()} in {year}"),
        )
        for positions, through, column, start in (
            (companies, companies_through, "company_id", run.companies.start),
            (products, products_through, "product_id", run.products.start),
            (people, people_through, "person_id", run.people.start),
        ):
            link_event(through, eid, column, start, positions)
        if kind == EventKind.SUMMIT:
            pools.summits.append(i)
        if i % CHUNK == CHUNK - 1:
            flush(run, table, *throughs)
    flush(run, table, *throughs)
    run.writer.copy_history(table)
    for m2m, through in zip(m2ms, throughs, strict=True):
        run.writer.copy_m2m_history(table, through, m2m)


def event_parties(run: Run, rng: random.Random, kind: str) -> tuple[list[int], list[int]]:
    """(companies, people) at an event, by position: a company, a person interviewed
    or endorsing, and at a summit more of both."""
    n_companies, n_people = run.sizes.companies, len(run.pools.person_names)
    companies, people = [], []
    if n_companies:
        companies.append(run.company_position(rng))
    if n_people and kind in (EventKind.INTERVIEW, EventKind.ENDORSEMENT):
        people.append(rng.randrange(n_people))
    if kind == EventKind.SUMMIT:
        for _ in range(rng.randint(1, 5) if n_companies else 0):
            companies.append(run.company_position(rng))
        for _ in range(rng.randint(0, 3) if n_people else 0):
            people.append(rng.randrange(n_people))
    return companies, people


def event_title(
    run: Run, rng: random.Random, kind, place, year, companies, people
) -> tuple[str, list[int]]:
    """(title, products): what the event is called, after its first company and
    person; a launch names one of the company's products."""
    if kind == EventKind.SUMMIT:
        return f"{place or 'Global'} AI Summit {year}", []
    if not companies:
        return f"{EventKind(kind).label} {year}", []
    pools = run.pools
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


def link_event(through: Table, event_id: int, column: str, start: int, positions: list[int]):
    """The rows of an event's many-to-many table, once for each record, in order."""
    for position in sorted(set(positions)):
        through.add(id=through.next_id(), event_id=event_id, **{column: start + 1 + position})
