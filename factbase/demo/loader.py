"""Loads the demo dataset of `factbase.demo.data` through the services.

On a fresh database the demo is written as it was recorded (data.py tells how): each
article's facts at the instant it was read, then the editors' later writes (a correction,
a delete, records added later), each write through the services at its own instant
(`writing_at`), with its history row and reason. Time travel, the change log, restores and
the conflicts list then have a past to show.

Every record is looked up by its natural key first and created only if it is missing, so
a second run writes nothing: no rows and no history. On a database that holds the demo
already, what is missing is added now, as the data has it (the past is not rewritten).
"""

import datetime
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from django.db import models, transaction

from companies.models import Company, CompanyAlias, Person, Platform, Product, Role
from events.models import (
    Event,
    Investment,
    Metric,
    MetricType,
    Partnership,
    PartnershipParty,
)
from factbase.core.models import Citation, Source
from factbase.core.reasons import reason_text
from factbase.core.services import record_delete, record_write
from factbase.core.services.clock import writing_at
from factbase.rates.demo import fill_demo_usd

from . import data

SOURCES_DIR = Path(__file__).resolve().parent / "sources"
REASON = "load_demo"
# What a demo citation sets; the service ties it to its fact.
CITATION_FIELDS = ("source", "quote", "translation", "field_name", "attributed_to")
# What a record of the data says about how it was recorded, rather than what it holds.
STORY = ("quotes", "aliases", "parties", "recorded", "typed_first", "corrected", "deleted")

# What identifies a record, so that a second run finds what the first one wrote.
NATURAL_KEYS: dict[type[models.Model], tuple[str, ...]] = {
    Source: ("title", "publisher"),
    Company: ("slug",),
    CompanyAlias: ("company", "name"),
    Person: ("slug",),
    Role: ("person", "company", "title"),
    Product: ("slug",),
    Event: ("title",),
    Partnership: ("title",),
    PartnershipParty: ("partnership", "company"),
    Investment: ("investor", "company", "funding_round"),
    # With its value: two claims of the same measure (Le Chat's rank in Germany, 6 and
    # 66) are two records.
    Metric: (
        "metric_type",
        "company",
        "product",
        "claim_type",
        "region",
        "platform",
        "period_start",
        "period_end",
        "window_days",
        "window_anchor",
        "value",
    ),
    Citation: ("content_type", "object_id", "source", "quote"),
}

# In dependency order: a record (or a quote's speaker) only names records of the sections
# above it, or recorded at an earlier reading.
SECTIONS: list[tuple[type[models.Model], list[dict]]] = [
    (Person, data.PEOPLE),
    (Company, data.COMPANIES),
    (Role, data.ROLES),
    (Product, data.PRODUCTS),
    (Event, data.EVENTS),
    (Partnership, data.PARTNERSHIPS),
    (Investment, data.INVESTMENTS),
    (Metric, data.METRICS),
]


class DemoDataError(Exception):
    """The demo data names a record that does not exist."""


@dataclass
class LoadReport:
    """How many records of each kind were created and how many were already there, and
    whether they were written at the demo's own instants (`dated`) or, if not, why."""

    counts: dict[str, Counter] = field(default_factory=dict)
    dated: bool = False
    undated_because: str = ""

    def add(self, label: str, *, created: bool) -> None:
        self.counts.setdefault(label, Counter())["created" if created else "present"] += 1

    @property
    def created(self) -> int:
        return sum(c["created"] for c in self.counts.values())

    @property
    def present(self) -> int:
        return sum(c["present"] for c in self.counts.values())


def vocabulary() -> dict[type[models.Model], set[str]]:
    """The platforms and metric types the demo refers to, by slug: `migrate` writes them."""
    platforms = {record["platform"] for record in data.METRICS if record.get("platform")}
    for record in data.PRODUCTS:
        platforms.update(record.get("platforms", ()))
    return {
        Platform: platforms,
        MetricType: {record["metric_type"] for record in data.METRICS},
    }


def later_reason(step: data.Later) -> str:
    """The history reason of an editor's later write in the demo: "load_demo: <why>"."""
    return reason_text(step.why, prefix=REASON)


class _Loader:
    def __init__(self, user, reason: str = REASON):
        self.user = user
        self.reason = reason
        self.report = LoadReport()
        self.sources: dict[str, Source] = {}
        self._refs: dict[tuple[type[models.Model], str], models.Model] = {}
        self._counted: set = set()  # what the report counts already: each thing once
        self._written: dict[int, models.Model] = {}  # id(record of the data) → created now

    def load(self) -> LoadReport:
        self.report.undated_because = self.undated_because()
        self.report.dated = not self.report.undated_because
        for at, step in self.steps():
            with self.at(at):
                step()
        return self.report

    def at(self, instant: datetime.datetime):
        """The block where writes are recorded at `instant`, when the past is written."""
        return writing_at(instant) if self.report.dated else nullcontext()

    @property
    def last_instant(self) -> datetime.datetime:
        return self.steps()[-1][0]

    def undated_because(self) -> str:
        """Why the demo cannot be written at its own instants; "" when it can. History is
        read in order of its instants: a past written after what is already recorded of
        the same records, or before the vocabulary it names, would rewrite that past."""
        titles = [spec["title"] for spec in data.SOURCES.values()]
        if Source.history.filter(title__in=titles).exists():
            return "the demo was recorded here before"
        start = min(data.READ.values())
        for model, slugs in vocabulary().items():
            later = model.history.filter(slug__in=slugs, history_type="+", history_date__gt=start)
            if later.exists():
                return (
                    f"the {model._meta.verbose_name_plural} it names were recorded after "
                    f"{start:%Y-%m-%d}"
                )
        return ""

    def steps(self) -> list[tuple[datetime.datetime, Callable[[], None]]]:
        """What the loader writes, in the order of the instants it was recorded at: the
        readings, the records added later, and (only when the past is written, on a fresh
        database) the corrections and deletes."""
        steps = [(data.READ[key], partial(self.reading, key)) for key in data.SOURCES]
        for model, records in SECTIONS:
            for record in records:
                if "recorded" in record:
                    reason = later_reason(record["recorded"])
                    write = partial(self.fact, model, record, record["quotes"], reason)
                    steps.append((record["recorded"].at, write))
                if self.report.dated and "corrected" in record:
                    steps.append((record["corrected"].at, partial(self.correct, model, record)))
                if self.report.dated and "deleted" in record:
                    steps.append((record["deleted"].at, partial(self.delete, record)))
        return sorted(steps, key=lambda step: step[0])

    def reading(self, key: str) -> None:
        """An article read: its source, and every fact it backs with its quotes (a fact
        recorded at an earlier reading gets this article's citations)."""
        self.sources[key] = self.source(data.SOURCES[key])
        for model, records in SECTIONS:
            for record in records:
                quotes = [quote for quote in record["quotes"] if quote.source == key]
                if quotes and "recorded" not in record:
                    self.fact(model, record, quotes, self.reason)

    def source(self, spec: dict) -> Source:
        values = {name: value for name, value in spec.items() if name != "file"}
        # Decoded from the bytes, not read in text mode, so that no newline is translated
        # and the stored text hashes like the shipped file.
        values["text"] = (SOURCES_DIR / spec["file"]).read_bytes().decode("utf-8")
        source, _ = self.ensure(Source, values, reason=self.reason)
        return source

    def values(self, model: type[models.Model], record: dict) -> dict:
        """The field values of `record`, records named by slug or title resolved."""
        values = dict(record)
        for name, value in values.items():
            related = model._meta.get_field(name)
            if related.many_to_one and isinstance(value, str):
                values[name] = self.ref(related.related_model, value)
        return values

    def fact(self, model: type[models.Model], record: dict, quotes: list, reason: str) -> None:
        values = {name: value for name, value in record.items() if name not in STORY}
        if self.report.dated:
            values |= record.get("typed_first", {})
        links = {f.name: values.pop(f.name) for f in model._meta.many_to_many if f.name in values}
        values = self.values(model, values)

        citations = [self.citation(quote) for quote in quotes]
        # A new record's rows are written with it, in its first version, as an editor
        # types them; a record found here gets those it lacks, each a version of its own.
        rows = {
            "aliases": [{"name": alias} for alias in record.get("aliases", ())],
            "parties": [
                {"company": self.ref(Company, slug), "role": role}
                for slug, role in record.get("parties", ())
            ],
        }
        fact, created = self.ensure(
            model,
            values,
            citations=citations,
            rows={name: listed for name, listed in rows.items() if listed},
            m2m={name: self.targets(model, name, refs) for name, refs in links.items()},
            reason=reason,
            stays_deleted="deleted" in record,
        )
        if fact is None:
            return
        if created:
            self._written[id(record)] = fact
            for _ in citations:
                self.report.add("citations", created=True)
        else:
            for citation in citations:
                citation.fact = fact
                self.ensure(Citation, citation, reason=reason)

        for name, refs in links.items():
            self.link(fact, name, refs, reason, created=created)
        for alias in record.get("aliases", ()):
            self.ensure(CompanyAlias, {"company": fact, "name": alias}, reason=reason)
        for slug, role in record.get("parties", ()):
            self.ensure(
                PartnershipParty,
                {"partnership": fact, "company": self.ref(Company, slug), "role": role},
                reason=reason,
            )

    def correct(self, model: type[models.Model], record: dict) -> None:
        """Put right what was typed first, on a record this run created."""
        fact = self._written.get(id(record))
        if fact is not None:
            fields = {name: record[name] for name in record["typed_first"]}
            record_write(
                fact,
                fields=self.values(model, fields),
                user=self.user,
                reason=later_reason(record["corrected"]),
            )

    def delete(self, record: dict) -> None:
        """Delete a record this run created, as an editor did then."""
        fact = self._written.get(id(record))
        if fact is not None:
            record_delete(fact, user=self.user, reason=later_reason(record["deleted"]))

    def citation(self, quote: data.Quote) -> Citation:
        return Citation(
            source=self.sources[quote.source],
            quote=quote.text,
            translation=quote.translation,
            field_name=quote.field,
            attributed_to=self.ref(Person, quote.said_by) if quote.said_by else None,
        )

    def ensure(
        self,
        model,
        values,
        *,
        reason: str,
        citations=(),
        rows: dict | None = None,
        m2m: dict | None = None,
        stays_deleted: bool = False,
    ) -> tuple[models.Model | None, bool]:
        """The record with the natural key of `values`, created if missing, with its
        `citations`, its lists of child `rows` and its many-to-many lists `m2m` (by name);
        None for a record the demo deletes (`stays_deleted`) that was recorded here
        before: it is not brought back but by a restore.

        `values` is a dict of field values, or an unsaved instance (a citation)."""
        instance = values if isinstance(values, models.Model) else None
        keys = NATURAL_KEYS[model]
        if instance is not None:
            lookup = {name: getattr(instance, name) for name in keys}
        else:
            lookup = {
                name: values.get(name, model._meta.get_field(name).get_default()) for name in keys
            }
        label = str(model._meta.verbose_name_plural)
        existing = model.objects.filter(**lookup).first()
        if existing is None and stays_deleted and model.history.filter(**lookup).exists():
            self.count(label, ("deleted", model, tuple(lookup.items())), created=False)
            return None, False
        if existing is not None:
            self.count(label, (model, existing.pk), created=False)
            return existing, False
        if instance is None:
            instance = model(**values)
        children = dict(rows or {})
        if citations:
            children["citations"] = [
                {name: getattr(c, name) for name in CITATION_FIELDS} for c in citations
            ]
        record_write(
            instance,
            fields={},
            m2m={name: listed for name, listed in (m2m or {}).items() if listed},
            children=children,
            user=self.user,
            reason=reason,
        )
        self.count(label, (model, instance.pk), created=True)
        for name in rows or {}:
            for row in getattr(instance, name).all():
                self.count(str(row._meta.verbose_name_plural), (type(row), row.pk), created=True)
        return instance, True

    def count(self, label: str, key, *, created: bool) -> None:
        """Count a record once, however many readings find it."""
        if key not in self._counted:
            self._counted.add(key)
            self.report.add(label, created=created)

    def targets(self, model: type[models.Model], name: str, refs: list[str]) -> list:
        """The records a many-to-many field of `model` lists, named in the data."""
        return [self.ref(model._meta.get_field(name).related_model, ref) for ref in refs]

    def link(
        self, fact: models.Model, name: str, refs: list[str], reason: str, *, created: bool
    ) -> None:
        """Count the members of a many-to-many field; on a record found here (not
        `created` with them), add those missing, as a version of it: adding none writes
        nothing."""
        targets = self.targets(type(fact), name, refs)
        present = set() if created else set(getattr(fact, name).values_list("pk", flat=True))
        missing = [target for target in targets if target.pk not in present]
        label = f"{fact._meta.verbose_name} {name} links"
        for target in targets:
            self.count(label, (label, fact.pk, target.pk), created=target in missing)
        if missing and not created:
            listed = sorted(present | {target.pk for target in missing})
            record_write(fact, fields={}, m2m={name: listed}, user=self.user, reason=reason)

    def ref(self, model: type[models.Model], key: str) -> models.Model:
        """A record named in the data: by slug, or by title for events."""
        if (model, key) not in self._refs:
            lookup = {"title": key} if model is Event else {"slug": key}
            try:
                self._refs[model, key] = model.objects.get(**lookup)
            except model.DoesNotExist:
                raise DemoDataError(
                    f"No {model._meta.verbose_name} {key!r}. Platforms and metric types come "
                    "with `migrate`; other records must come earlier in the demo data (an "
                    "earlier section, or an article read earlier)."
                ) from None
        return self._refs[model, key]


@transaction.atomic
def load_demo(*, user=None, reason: str = REASON) -> LoadReport:
    """Create what is missing of the demo dataset, in one transaction, each record through
    the services with the reason "load_demo" (an editor's later write in the demo:
    "load_demo: <why>"), at the demo's own instants on a fresh database. Returns what was
    created and what was already there."""
    loader = _Loader(user, reason)
    report = loader.load()
    # Once every fact is there: the sample ECB rates, and the US dollar values of the
    # demo's money facts, written as `fill_usd` writes them (at the end of the demo's
    # past, when it is written).
    with loader.at(loader.last_instant):
        fill_demo_usd(report, sources=loader.sources.values(), user=user, reason=reason)
    return report
