"""The vocabularies a fresh database starts with (platforms, metric types), as each kind
declares them (`Kind.seed`): written after `migrate`, and told apart from editors' rows
when a snapshot is imported into a database that holds only them."""

from .kinds import Kind, kinds
from .services import record_save

SEED_REASON = "Initial vocabulary"


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
