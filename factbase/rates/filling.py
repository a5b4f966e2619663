"""Filling the US dollar value of money facts that have none, from the ECB's rates.

The money facts are the records of every kind whose model holds a `Quantity` (found in
the kinds registry) that have a value and a currency but no `value_usd`. Each is
converted on its own date:

- its first partial date: a funding round's `announced_on`, a metric's `period_start`
  (a month or a year is its first day, as stored);
- failing that, that of the record its kind lists it under (`Kind.parent`): an
  investment takes its round's `announced_on`;
- failing that, the day it was reported: the publication date of the earliest source
  citing it;

at the rate of that day, or of the last day before it with one (conversion.py). A fact
with no date, or no rate near it, is skipped and reported, not filled.

Each fact is written through `record_write` (validated, versioned, with a history row
naming the user and the reason), checked against the version read: a fact changed in
between is skipped, not overwritten. A range's high end needs no column of its own: it
is `value_high × usd_rate`, as everything that compares ranges reads it.
"""

import datetime
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models import Min

from factbase.core.feed import batch
from factbase.core.kinds import Kind, kind_of, kinds
from factbase.core.models import Citation, Quantity, Source
from factbase.core.services import (
    RecordInvalid,
    VersionConflict,
    error_dict,
    one_version_per_listing,
    record_write,
)

from .conversion import NoRate, RateBook, UsdRate

CHUNK = 500  # facts read, and their sources' dates asked, at a time

# Why a fact was skipped, as the summary counts them.
NO_DATE = "no date"
NO_RATE = "no rate"
REFUSED = "refused"
CHANGED = "changed meanwhile"


def money_kinds() -> list[Kind]:
    """The kinds whose records hold an amount that may be money; a kind listed under
    another (investments, under their round) after the others."""
    found = [kind for kind in kinds() if issubclass(kind.model, Quantity)]
    return sorted(found, key=lambda kind: kind.parent is not None)


@dataclass
class Conversion:
    """One fact, and what fill_usd made (or would make) of it."""

    kind: Kind
    fact: models.Model
    on: datetime.date | None = None
    dated_by: str = ""  # the field or record the date comes from
    rate: UsdRate | None = None
    value_usd: Decimal | None = None
    high_usd: Decimal | None = None
    skipped: str = ""  # one of the reasons above
    problem: str = ""  # what exactly


@dataclass
class FillReport:
    """How many facts were filled (by kind name), skipped (by reason), and found with a US
    dollar value already (by kind name)."""

    filled: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    had_usd: Counter = field(default_factory=Counter)


def fill_usd(
    *,
    kind_names: Iterable[str] | None = None,
    user=None,
    reason: str = "",
    dry_run: bool = False,
    sources: Iterable[Source] | None = None,
    each: Callable[[Conversion], None] | None = None,
) -> FillReport:
    """Fill the US dollar value of every money fact that has none (of the kinds named, all
    money kinds by default; of the facts `sources` cite, when given), in one transaction
    recorded at one instant.
    With `dry_run`, work out the same and write nothing. `each` is told of every fact, as
    it goes: the facts are not all kept, however many there are."""
    chosen = _chosen_kinds(kind_names)
    report = FillReport()
    book = RateBook()
    database = router.db_for_write(Citation)
    # One transaction at one instant, its versions numbered in one pass at the end
    # (factbase.core.feed); a round whose investments it fills gets one version for all
    # of them (services.one_version_per_listing). A dry run writes nothing: it takes no
    # lock that would keep editors waiting (batch takes the change clock first).
    writes = transaction.atomic(using=database) if dry_run else batch(database)
    with writes, one_version_per_listing(database):
        for kind in chosen:
            rows = _money_facts(kind, sources)
            report.had_usd[kind.name] = rows.filter(value_usd__isnull=False).count()
            for chunk in _chunks(rows.filter(value_usd__isnull=True)):
                reported = _reported_on(
                    kind, [fact for fact in chunk if not _own_date(kind, fact)[0]]
                )
                for fact in chunk:
                    conversion = _convert(kind, fact, book, reported)
                    if not conversion.skipped and not dry_run:
                        _write(conversion, user=user, reason=reason)
                    if conversion.skipped:
                        report.skipped[conversion.skipped] += 1
                    else:
                        report.filled[kind.name] += 1
                    if each is not None:
                        each(conversion)
    return report


def _chosen_kinds(names: Iterable[str] | None) -> list[Kind]:
    available = {kind.name: kind for kind in money_kinds()}
    if names is None:
        return list(available.values())
    names = list(names)  # read twice below: a generator would be spent by the first
    unknown = [name for name in names if name not in available]
    if unknown:
        raise ValueError(
            f"not a kind of record with money: {', '.join(unknown)} "
            f"(the kinds are {', '.join(available)})"
        )
    # In money_kinds' order, whatever the order named: a round before its investments,
    # so that the round's own write is the version its investments' values are listed in,
    # rather than a second version at the run's one instant.
    return [kind for kind in available.values() if kind.name in names]


def _money_facts(kind: Kind, sources) -> models.QuerySet:
    rows = kind.model._default_manager.filter(value__isnull=False).exclude(currency="")
    if sources is not None:
        cited = Citation.objects.filter(
            content_type=ContentType.objects.get_for_model(kind.model), source__in=sources
        ).values("object_id")
        rows = rows.filter(pk__in=cited)
    return rows


def _chunks(rows: models.QuerySet):
    """The rows in order of id, CHUNK at a time: a write never moves a row between reads."""
    parent = _parent_link(rows.model)
    rows = rows.select_related(parent) if parent else rows
    last = 0
    while True:
        chunk = list(rows.filter(pk__gt=last).order_by("pk")[:CHUNK])
        if not chunk:
            return
        yield chunk
        last = chunk[-1].pk


def _date_field(model) -> str | None:
    partial = getattr(model, "partial_dates", ())
    return partial[0][0] if partial else None


def _parent_link(model) -> str | None:
    kind = kind_of(model)
    if kind and kind.parent and _date_field(kind.parent_field.related_model):
        return kind.parent
    return None


def _own_date(kind: Kind, fact) -> tuple[datetime.date | None, str]:
    """The fact's date and the field it comes from: its own, or its parent's."""
    own = _date_field(kind.model)
    if own and getattr(fact, own):
        return getattr(fact, own), own
    parent_link = _parent_link(kind.model)
    parent = getattr(fact, parent_link) if parent_link else None
    if parent is not None:
        parent_field = _date_field(type(parent))
        if getattr(parent, parent_field):
            return getattr(parent, parent_field), f"{parent_link}.{parent_field}"
    return None, ""


def _reported_on(kind: Kind, facts: list) -> dict[int, datetime.date]:
    """The publication date of the earliest source citing each fact, by id: one query."""
    if not facts:
        return {}
    rows = (
        Citation.objects.filter(
            content_type=ContentType.objects.get_for_model(kind.model),
            object_id__in=[fact.pk for fact in facts],
            source__published_on__isnull=False,
        )
        .values("object_id")
        .annotate(first=Min("source__published_on"))
    )
    return {row["object_id"]: row["first"] for row in rows}


def _convert(kind: Kind, fact, book: RateBook, reported: dict) -> Conversion:
    conversion = Conversion(kind, fact)
    on, dated_by = _own_date(kind, fact)
    if on is None and fact.pk in reported:
        on, dated_by = reported[fact.pk], "its earliest source's publication date"
    if on is None:
        conversion.skipped = NO_DATE
        conversion.problem = "no date: none of its own, and no source citing it has one"
        return conversion
    conversion.on, conversion.dated_by = on, dated_by
    try:
        rate = book.usd_rate(fact.currency, on)
    except NoRate as error:
        conversion.skipped, conversion.problem = NO_RATE, str(error)
        return conversion
    conversion.rate = rate
    conversion.value_usd = rate.convert(fact.value)
    if fact.value_high is not None:
        conversion.high_usd = rate.convert(fact.value_high)
    return conversion


def _write(conversion: Conversion, *, user, reason: str) -> None:
    rate = conversion.rate
    fields = {
        "value_usd": conversion.value_usd,
        "usd_rate": rate.rate,
        "usd_rate_on": rate.day,
        "usd_rate_source": rate.source,
    }
    fact = conversion.fact
    try:
        record_write(fact, fields=fields, user=user, reason=reason, expected_version=fact.version)
    except VersionConflict as error:
        conversion.skipped, conversion.problem = CHANGED, f"{error} Run again."
    except ValidationError as error:
        errors = error.errors if isinstance(error, RecordInvalid) else error_dict(error)
        messages = "; ".join(
            f"{name}: {' '.join(map(str, detail))}" for name, detail in errors.items()
        )
        conversion.skipped, conversion.problem = REFUSED, f"refused: {messages}"
