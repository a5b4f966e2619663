"""Loads the demo dataset of `factbase.demo.data` through the services.

Every record is looked up by its natural key first and created only if it is missing, so
a second run writes nothing: no rows and no history.
"""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import models, transaction

from companies.models import Company, CompanyAlias, Person, Product, Role
from events.models import Event, Investment, Metric, Partnership, PartnershipParty
from factbase.core.models import Citation, Source
from factbase.core.services import record_write

from . import data

SOURCES_DIR = Path(__file__).resolve().parent / "sources"
REASON = "load_demo"
# What a demo citation sets; the service ties it to its fact.
CITATION_FIELDS = ("source", "quote", "translation", "field_name", "attributed_to")

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
    ),
    Citation: ("content_type", "object_id", "source", "quote"),
}

# In dependency order: a record (or a quote's speaker) only names records of the sections
# above it.
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
    """How many records of each kind were created and how many were already there."""

    counts: dict[str, Counter] = field(default_factory=dict)

    def add(self, label: str, *, created: bool) -> None:
        self.counts.setdefault(label, Counter())["created" if created else "present"] += 1

    @property
    def created(self) -> int:
        return sum(c["created"] for c in self.counts.values())

    @property
    def present(self) -> int:
        return sum(c["present"] for c in self.counts.values())


class _Loader:
    def __init__(self, user, reason: str = REASON):
        self.user = user
        self.reason = reason
        self.report = LoadReport()
        self.sources: dict[str, Source] = {}
        self._refs: dict[tuple[type[models.Model], str], models.Model] = {}

    def load(self) -> LoadReport:
        for key, spec in data.SOURCES.items():
            self.sources[key] = self.source(spec)
        for model, records in SECTIONS:
            for record in records:
                self.fact(model, record)
        return self.report

    def source(self, spec: dict) -> Source:
        values = {name: value for name, value in spec.items() if name != "file"}
        # Decoded from the bytes, not read in text mode, so that no newline is translated
        # and the stored text hashes like the shipped file.
        values["text"] = (SOURCES_DIR / spec["file"]).read_bytes().decode("utf-8")
        source, _ = self.ensure(Source, values)
        return source

    def fact(self, model: type[models.Model], record: dict) -> None:
        values = dict(record)
        quotes = values.pop("quotes")
        aliases = values.pop("aliases", [])
        parties = values.pop("parties", [])
        links = {f.name: values.pop(f.name) for f in model._meta.many_to_many if f.name in values}
        for name, value in values.items():
            related = model._meta.get_field(name)
            if related.many_to_one and isinstance(value, str):
                values[name] = self.ref(related.related_model, value)

        citations = [self.citation(quote) for quote in quotes]
        fact, created = self.ensure(model, values, citations=citations)
        if created:
            for _ in citations:
                self.report.add("citations", created=True)
        else:
            for citation in citations:
                citation.fact = fact
                self.ensure(Citation, citation)

        for name, refs in links.items():
            self.link(fact, name, refs)
        for alias in aliases:
            self.ensure(CompanyAlias, {"company": fact, "name": alias})
        for slug, role in parties:
            self.ensure(
                PartnershipParty,
                {"partnership": fact, "company": self.ref(Company, slug), "role": role},
            )

    def citation(self, quote: data.Quote) -> Citation:
        return Citation(
            source=self.sources[quote.source],
            quote=quote.text,
            translation=quote.translation,
            field_name=quote.field,
            attributed_to=self.ref(Person, quote.said_by) if quote.said_by else None,
        )

    def ensure(self, model, values, *, citations=()) -> tuple[models.Model, bool]:
        """The record with the natural key of `values`, created if missing.

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
        if existing is not None:
            self.report.add(label, created=False)
            return existing, False
        if instance is None:
            instance = model(**values)
        rows = [{name: getattr(c, name) for name in CITATION_FIELDS} for c in citations]
        record_write(
            instance,
            fields={},
            children={"citations": rows} if rows else {},
            user=self.user,
            reason=self.reason,
        )
        self.report.add(label, created=True)
        return instance, True

    def link(self, fact: models.Model, name: str, refs: list[str]) -> None:
        """Add the missing members of a many-to-many field; adding none writes nothing."""
        manager = getattr(fact, name)
        targets = [self.ref(manager.model, ref) for ref in refs]
        present = set(manager.values_list("pk", flat=True))
        missing = [target for target in targets if target.pk not in present]
        label = f"{fact._meta.verbose_name} {name} links"
        for target in targets:
            self.report.add(label, created=target in missing)
        if missing:
            # The history record of the change is written by django-simple-history from
            # these, as the services set them for a save.
            fact._history_user = self.user
            fact._change_reason = self.reason
            manager.add(*missing)

    def ref(self, model: type[models.Model], key: str) -> models.Model:
        """A record named in the data: by slug, or by title for events."""
        if (model, key) not in self._refs:
            lookup = {"title": key} if model is Event else {"slug": key}
            try:
                self._refs[model, key] = model.objects.get(**lookup)
            except model.DoesNotExist:
                raise DemoDataError(
                    f"No {model._meta.verbose_name} {key!r}. Platforms and metric types come "
                    "with `migrate`; other records must come earlier in the demo data."
                ) from None
        return self._refs[model, key]


@transaction.atomic
def load_demo(*, user=None, reason: str = REASON) -> LoadReport:
    """Create what is missing of the demo dataset, in one transaction, each record through
    `record_write` with the reason "load_demo". Returns what was created and what was
    already there."""
    return _Loader(user, reason).load()
