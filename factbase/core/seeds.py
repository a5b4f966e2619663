"""The vocabularies a fresh database starts with (platforms, metric types), as each kind
declares them (`Kind.seed`): written after `migrate`, and told apart from editors' rows
when a snapshot is imported into a database that holds only them."""

import datetime

from .kinds import Kind, kinds
from .services import record_save
from .services.clock import writing_at

SEED_REASON = "Initial vocabulary"
# The vocabulary is what a database starts with, so it is recorded before any record can
# be: at the Unix epoch. Data loaded with its own past (the demo, recorded in February
# 2025) then never refers to a platform or metric type recorded after it, which time
# travel (`as_of`) would show as missing.
SEEDED_AT = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def seeded_kinds(app_label: str | None = None) -> list[Kind]:
    return [
        kind for kind in kinds() if kind.seed and app_label in (None, kind.model._meta.app_label)
    ]


def ensure_seeds(app_label: str | None = None) -> None:
    """Write the seed rows that are missing, each with its history row."""
    for kind in seeded_kinds(app_label):
        key = kind.seed.fields[0]
        existing = set(kind.model.objects.values_list(key, flat=True))
        for row in kind.seed.rows:
            values = dict(zip(kind.seed.fields, row, strict=True))
            if values[key] not in existing:
                with writing_at(SEEDED_AT):
                    record_save(kind.model(**values), reason=SEED_REASON)


def only_seeds(model, using: str) -> bool:
    """True when the table of `model` (a record or its history) holds only what `migrate`
    seeds, untouched."""
    for kind in seeded_kinds():
        if model is kind.model:
            rows = model._base_manager.using(using)
            if rows.filter(version__gt=1).exists():
                return False
            seeded = set(kind.seed.rows)
            return all(row in seeded for row in rows.values_list(*kind.seed.fields).iterator())
        if model is kind.history:
            rows = model._base_manager.using(using)
            return not rows.exclude(history_type="+", history_change_reason=SEED_REASON).exists()
    return False
