"""What would collide on the kept record, found before a merge writes anything: a row the
kept record already has (the same role twice), a row a rule allows only once (the same
company twice in a partnership), a row that would break another rule once moved (an
investment in itself). An alias or a citation the kept record already has is no conflict:
it goes with the merged record."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import UniqueConstraint

from ...models import Citation, TrackedModel
from ..saving import STAMPED_FIELDS, error_dict
from .relations import Relation
from .rows import Conflict, Row, _Moving

# What an editor thinks of a fact rather than what it states: two rows that differ only in
# these (and in their audit fields) state the same thing. Not its claim type: a target is
# not the figure reached.
JUDGEMENT_FIELDS = frozenset({"status", "confidence", "note"})


def _content(row: models.Model) -> tuple:
    """What a row states, for telling two rows that state the same thing."""
    return tuple(
        getattr(row, f.attname)
        for f in row._meta.concrete_fields
        if not f.primary_key and f.name not in STAMPED_FIELDS and f.name not in JUDGEMENT_FIELDS
    )


def _goes_with_record(relation: Relation) -> bool:
    """A row of this relation is deleted with the record it refers to (its alias, its
    citation), rather than protecting it."""
    if relation.link == "generic":
        return True
    return relation.model._meta.get_field(relation.field).remote_field.on_delete is models.CASCADE


def _entry_conflicts(entry: _Moving, kept: dict) -> list[Conflict] | None:
    """The conflicts that moving `entry` would cause; None when the kept record has the
    same row already and this one can go with the merged record (a citation twice)."""
    row, relation = entry.row, entry.fields[0]
    if not isinstance(row, TrackedModel):
        return [_untracked(relation, row, entry.label)]
    same = kept.get(type(row), {}).get(_content(row))
    if same is not None:
        if isinstance(row, Citation) and all(map(_goes_with_record, entry.fields)):
            return None
        return [_duplicate(relation, row, entry.label, same)]
    return _row_conflicts(entry)


def _untracked(relation: Relation, row, label: str) -> Conflict:
    return Conflict(
        kind="invalid",
        relation=relation.name,
        rows=[Row.of(row, label)],
        detail=f"{row._meta.verbose_name.capitalize()} {row.pk} ({label}) has no history: a "
        "merge cannot move it through the services.",
    )


def _duplicate(relation: Relation, row, label: str, same) -> Conflict:
    name = row._meta.verbose_name
    return Conflict(
        kind="duplicate",
        relation=relation.name,
        rows=[Row.of(row, label), Row.of(same)],
        detail=f"{name.capitalize()} {row.pk} ({label}) is {name} {same.pk} of the kept "
        f"record: the same {name} twice. Delete one (its citations moved to the other) first.",
    )


def _unique_sets(model) -> list[tuple[tuple[str, ...], models.Q | None, object]]:
    """Each set of fields that at most one row may hold together (with its condition)."""
    sets = [
        ((f.name,), None, None)
        for f in model._meta.concrete_fields
        if f.unique and not f.primary_key
    ]
    sets += [(tuple(names), None, None) for names in model._meta.unique_together]
    sets += [
        (tuple(c.fields), c.condition, c)
        for c in model._meta.constraints
        if isinstance(c, UniqueConstraint) and c.fields and not c.expressions
    ]
    return sets


def _row_conflicts(entry: _Moving) -> list[Conflict]:
    """What would keep the row of `entry`, moved, from being saved: a row it would collide
    with, or a rule it would break (full_clean, as the save will ask)."""
    row, relation, label = entry.row, entry.fields[0], entry.label
    name = row._meta.verbose_name
    moved = {moved_by.field for moved_by in entry.fields}
    conflicts, said = [], set()
    for names, condition, constraint in _unique_sets(type(row)):
        if not moved & set(names):
            continue
        values = {f.attname: getattr(row, f.attname) for f in map(row._meta.get_field, names)}
        if None in values.values():
            continue  # NULLs never collide
        others = type(row)._default_manager.filter(**values).exclude(pk=row.pk)
        if condition is not None:
            others = others.filter(condition)
        other = others.order_by("pk").first()
        if other is None:
            continue
        custom = constraint is not None and (
            constraint.violation_error_message != constraint.default_violation_error_message
        )
        if custom:
            message = constraint.get_violation_error_message()
        else:
            message = row.unique_error_message(type(row), names).messages[0]
        said.add(message)
        conflicts.append(
            Conflict(
                kind="unique",
                relation=relation.name,
                rows=[Row.of(row, label), Row.of(other)],
                detail=f"{name.capitalize()} {row.pk} ({label}) would collide with {name} "
                f"{other.pk} ({other}): {message}",
            )
        )
    try:
        row.full_clean()
    except ValidationError as error:
        messages = [
            f"{key}: {message}" if key != "non_field_errors" else message
            for key, values in error_dict(error).items()
            for message in values
            if message not in said
        ]
        if messages:
            conflicts.append(
                Conflict(
                    kind="invalid",
                    relation=relation.name,
                    rows=[Row.of(row, label)],
                    detail=f"{name.capitalize()} {row.pk} ({label}), moved, would break a "
                    f"rule: {'; '.join(messages)}",
                )
            )
    return conflicts
