"""The kinds of record: one registry, read by everything that lists them.

Each app declares its kinds in its own `kinds.py` (a tuple `KINDS`), registered by its
AppConfig.ready(). A kind names its model, the name the API and the change log give it (the
URL prefix `/api/v1/<name>/` when it has an endpoint), and, for rows shown inside another
record's page (a person's roles, a company's aliases), the field that links them to it.
Whether a kind is a fact (it carries status, confidence and citations) follows from its
model: FactModel. The routers, citations' `fact_type`, the change log, time travel, the
staff groups and the tests all read this registry, so they cannot disagree.

Adding a kind: its model (with `history = HistoricalRecords()`), a line in its app's
kinds.py, and, if it has an endpoint, a viewset registered under the same name.
"""

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db import models


@dataclass(frozen=True)
class Seed:
    """The rows a fresh database starts with (a vocabulary editors extend): `migrate`
    writes those missing (factbase.core.seeds). The first field is the natural key."""

    fields: tuple[str, ...]
    rows: tuple[tuple, ...]


@dataclass(frozen=True)
class Kind:
    model: type[models.Model]
    name: str
    endpoint: bool = True  # has its own /api/v1/<name>/
    parent: str | None = None  # the link to the record whose page lists it among its rows
    seed: Seed | None = None

    @property
    def is_fact(self) -> bool:
        from .models import FactModel

        return issubclass(self.model, FactModel)

    @property
    def history(self) -> type[models.Model]:
        from .models import history_model_of

        return history_model_of(self.model)

    @property
    def parent_field(self) -> models.ForeignKey | None:
        return self.model._meta.get_field(self.parent) if self.parent else None

    @property
    def fact_type(self) -> str:
        """What a citation's `fact_type` calls it (the content type's model name)."""
        return self.model._meta.model_name


_KINDS: dict[type[models.Model], Kind] = {}


def register(*kinds: Kind) -> None:
    for kind in kinds:
        taken = {other.name for other in _KINDS.values() if other.model is not kind.model}
        if kind.name in taken:
            raise ValueError(f"Two kinds are named {kind.name!r}.")
        _KINDS[kind.model] = kind


def kinds() -> list[Kind]:
    """Every kind, in the order the apps declare them."""
    return list(_KINDS.values())


def kind_of(model: type[models.Model]) -> Kind | None:
    return _KINDS.get(model)


def by_name() -> dict[str, Kind]:
    return {kind.name: kind for kind in sorted(_KINDS.values(), key=lambda kind: kind.name)}


def fact_kinds() -> dict[str, Kind]:
    """The kinds a citation can support, by `fact_type`."""
    return {kind.fact_type: kind for kind in kinds() if kind.is_fact}


def record_apps() -> tuple[str, ...]:
    """The apps that hold kinds: what has history, what a snapshot holds, what the staff
    groups may change."""
    return tuple(dict.fromkeys(kind.model._meta.app_label for kind in kinds()))


def alias_relation(model):
    """The reverse relation to a kind's aliases (an `aliases` list of rows with a `name`:
    companies, products, people), or None for a kind without aliases. Aliases are how a
    record is also named (filters, references) and what a merged record's name becomes."""
    try:
        relation = model._meta.get_field("aliases")
    except FieldDoesNotExist:
        return None
    return relation if relation.one_to_many else None
