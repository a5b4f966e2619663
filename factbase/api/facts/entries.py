"""A row of the review queue: a fact, what it is about (its subject), one line that says
it (its summary: the record's own name, `str()`), its status and how many independent
sources back it.

The subject of a fact follows from its model, so a new kind of fact has one without a
line here: a named fact (a record with a slug: a company, a product, a person) is its
own subject; another fact is about the first named fact its foreign keys point at, in
the order the model declares them (a metric: its company or product; a role: its person;
a funding round: its company; an investment: its investor); a fact that points at none
(a partnership, an event) is its own subject, named by its title.

The records of a page (or of a CSV chunk) are read one query per kind, with the related
records their names are made of and their source counts (factbase.core.corroboration),
never one query per row.
"""

from collections import defaultdict
from functools import cache

from rest_framework import serializers

from factbase.core.corroboration import source_count_expression
from factbase.core.kinds import Kind, kind_of
from factbase.core.selectors import name_relations

from ..csv_export import cell

CSV_HEADER = (
    "kind",
    "id",
    "subject_type",
    "subject_id",
    "subject_slug",
    "subject_name",
    "summary",
    "status",
    "confidence",
    "claim_type",
    "source_count",
    "updated_at",
)
# Times as the records' own `updated_at` shows them.
_TIME = serializers.DateTimeField()


def is_named(model) -> bool:
    kind = kind_of(model)
    return kind is not None and kind.is_fact and any(f.name == "slug" for f in model._meta.fields)


@cache
def subject_fields(model) -> tuple[str, ...]:
    """The foreign keys of `model` that may hold its subject, in order; none when a fact
    of `model` is its own subject."""
    if is_named(model):
        return ()
    return tuple(
        f.name for f in model._meta.concrete_fields if f.many_to_one and is_named(f.related_model)
    )


def subject_of(fact):
    for name in subject_fields(type(fact)):
        related = getattr(fact, name)
        if related is not None:
            return related
    return fact


def read_facts(kinds: dict[str, Kind], rows) -> dict[tuple[str, int], object]:
    """The facts of `rows` ((kind, id, ...) tuples) by (kind, id): one query per kind."""
    wanted: dict[str, list[int]] = defaultdict(list)
    for name, pk, *_ in rows:
        wanted[name].append(pk)
    found = {}
    for name, ids in wanted.items():
        model = kinds[name].model
        facts = (
            model._default_manager.select_related(*name_relations(model))
            .filter(pk__in=ids)
            .annotate(queue_source_count=source_count_expression(model))
            .order_by()
        )
        found.update(((name, fact.pk), fact) for fact in facts)
    return found


def entries(kinds: dict[str, Kind], rows, base: str) -> list[dict]:
    """The queue's rows as the API shows them. A fact deleted since the rows were read is
    left out."""
    facts = read_facts(kinds, rows)
    return [
        entry(kinds[name], facts[name, pk], base) for name, pk, *_ in rows if (name, pk) in facts
    ]


def entry(kind: Kind, fact, base: str) -> dict:
    return {
        "kind": kind.name,
        "id": fact.pk,
        "url": f"{base}{kind.name}/{fact.pk}/" if kind.endpoint else None,
        "subject": subject(subject_of(fact), base),
        "summary": str(fact),
        "status": fact.status,
        "confidence": fact.confidence,
        "claim_type": fact.claim_type,
        "source_count": fact.queue_source_count,
        "updated_at": _TIME.to_representation(fact.updated_at),
    }


def subject(record, base: str) -> dict:
    kind = kind_of(type(record))
    return {
        "type": record._meta.model_name,
        "id": record.pk,
        "url": f"{base}{kind.name}/{record.pk}/" if kind.endpoint else None,
        "slug": getattr(record, "slug", None),
        "name": str(record),
    }


def csv_line_cells(kinds: dict[str, Kind], rows) -> list[list[str]]:
    """The CSV cells of `rows`, in the spreadsheet CSV's forms (csv_export.cell)."""
    facts = read_facts(kinds, rows)
    lines = []
    for name, pk, *_ in rows:
        fact = facts.get((name, pk))
        if fact is None:
            continue
        about = subject_of(fact)
        lines.append(
            [
                name,
                cell(fact.pk),
                about._meta.model_name,
                cell(about.pk),
                cell(getattr(about, "slug", None)),
                cell(str(about)),
                cell(str(fact)),
                fact.status,
                fact.confidence,
                fact.claim_type,
                cell(fact.queue_source_count),
                cell(fact.updated_at),
            ]
        )
    return lines
