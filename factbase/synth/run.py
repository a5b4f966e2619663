"""Generated data for benchmarks (`manage.py synth`): one run, stage by stage.

Every value comes from `random.Random` instances seeded from the run's seed and the name
of the stage (so the size of one kind of record does not change what the others draw),
and every timestamp from a fixed base time plus one second per record: the same options
and seed on the same database give the same rows, ids included. Everything is written in
one transaction, in bulk and with its history (writer.py).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from companies.models import Company, CompanyAlias, Person, Platform, Product, Role
from events.models import (
    Event,
    FundingRound,
    Investment,
    Metric,
    MetricType,
    Partnership,
    PartnershipParty,
)
from factbase.core.feed import number_unnumbered
from factbase.core.models import Citation, Source, history_model_of

from .companies import make_companies, make_products
from .events import make_events
from .funding import make_funding_rounds
from .metrics import make_metrics
from .partnerships import make_partnerships
from .people import make_people, make_roles
from .sizes import Sizes, SynthError
from .sources import make_sources
from .state import BASE_TIME, Run
from .writer import CHANGE_REASON, Table, Writer

# In creation order: each stage refers only to records made before it. The name seeds
# the stage's random stream.
STAGES = [
    ("sources", Source, make_sources),
    ("people", Person, make_people),
    ("companies", Company, make_companies),
    ("products", Product, make_products),
    ("roles", Role, make_roles),
    ("events", Event, make_events),
    ("partnerships", Partnership, make_partnerships),
    ("funding rounds", FundingRound, make_funding_rounds),
    ("metrics", Metric, make_metrics),
]
# The models the stages write rows of, besides their history and many-to-many tables.
MODELS_WRITTEN = [
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


@dataclass
class Report:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def generate(
    sizes: Sizes,
    seed: int = 1,
    log: Callable | None = None,
    using: str = DEFAULT_DB_ALIAS,
    reason: str = CHANGE_REASON,
) -> Report:
    connection = connections[using]
    sizes = sizes.resolved()
    sizes.check()
    run = Run(connection, sizes, seed, reason)
    return fill(run, log or (lambda message: None))


def fill(run: Run, log: Callable) -> Report:
    """Run every stage, in one transaction, and the upkeep before and after them."""
    started = time.monotonic()
    read_vocabulary(run)
    with transaction.atomic(using=run.connection.alias), run.connection.cursor() as cursor:
        date_vocabulary(run)
        run.writer = writer = Writer(run.connection, cursor, run.reason)
        writer.lock([model._meta.db_table for model in tables_written()])
        writer.defer_upkeep(expected_rows(run.sizes))
        # Every stage cites: the citations are one table, written along with each stage.
        run.citations = Table(writer, Citation)
        for name, model, make in STAGES:
            stage_started = time.monotonic()
            before = sum(writer.rows.values())
            make(run, run.rng(name))
            made = writer.rows[model._meta.db_table]
            rows = sum(writer.rows.values()) - before
            log(
                f"{name}: {made:,} {model._meta.db_table} rows, {rows:,} rows with "
                f"their links and history, {time.monotonic() - stage_started:.1f}s"
            )
        run.citations.flush()
        writer.copy_history(run.citations)
        log(f"citations: {run.citations.count:,} rows, with their history")
        writer.finish()
        number_unnumbered(run.connection.alias)  # the change feed's order (core.feed)
    return Report(rows=dict(writer.rows), seconds=time.monotonic() - started)


def read_vocabulary(run: Run) -> None:
    """The platforms and metric types (made by `migrate`) that records refer to."""
    alias = run.connection.alias
    run.platforms = dict(Platform.objects.using(alias).values_list("slug", "id"))
    run.metric_types = list(
        MetricType.objects.using(alias)
        .order_by("id")
        .values_list("id", "slug", "name", "unit_kind")
    )
    if run.sizes.metrics and not run.metric_types:
        raise SynthError("There are no metric types: run `manage.py migrate` first.")


def date_vocabulary(run: Run) -> None:
    """The generated records are dated from BASE_TIME on, usually long before `migrate`
    created the platforms and metric types they use. Give each of those a creation in
    history at BASE_TIME, so that the records read "as of" any of their moments still
    find their vocabulary."""
    alias = run.connection.alias
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
                history_change_reason=run.reason,
            )
            for row in missing.order_by("id")
        )


def tables_written() -> list:
    """Every model a run writes rows of: MODELS_WRITTEN, their history, their
    many-to-many tables and the history of those."""
    written = list(MODELS_WRITTEN)
    for model in MODELS_WRITTEN:
        history = history_model_of(model)
        written.append(history)
        for m2m in model._meta.local_many_to_many:
            if m2m.remote_field.through._meta.auto_created:
                written.append(m2m.remote_field.through)
                if m2m in history._history_m2m_fields:
                    written.append(getattr(history, m2m.name).model)
    return written


def expected_rows(sizes: Sizes) -> dict:
    """About how many rows each large table will get."""
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
