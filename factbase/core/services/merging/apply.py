"""Carrying a merge out (record_merge): under a lock on both records, the plan made again,
a version of the kept record, every row and list it lists moved to the kept record through
the services (each with a history row and one reason, all at one instant), the merged
record's name kept as an alias, the merged record deleted, and a `Merge` row written that
records every change made, for merge_undo."""

import json

from django.contrib.contenttypes.models import ContentType
from django.db import models, router, transaction

from ...feed import hold
from ...models import Merge
from .. import clock
from ..deleting import record_delete
from ..saving import record_save
from ..writing import record_write
from .errors import MergeConflict, MergeInvalid
from .moves import FORMAT
from .plan import _plan, check_pair
from .relations import aliases_of
from .rows import Conflict, Row, _Moving
from .writes import MERGE, _history_reason, _write, check_reason, version_listing_records


def record_merge(keep: models.Model, merge: models.Model, *, user=None, reason: str) -> Merge:
    """Merge `merge` into `keep`, two records of one kind that are the same real thing, in
    one transaction: every row and list that refers to `merge` moved to `keep` (through
    the services, each with a history row), its citations with them, its aliases and its
    name kept as aliases of `keep`, then `merge` deleted. Returns the `Merge` row, whose
    `moves` lists every change made, for merge_undo.

    MergeInvalid names what is wrong with the arguments (two kinds, the same record, a
    deleted one, no reason); MergeConflict lists the rows that would collide. Nothing is
    written then."""
    check_pair(keep, merge)
    reason = check_reason(reason)
    with transaction.atomic():
        return _merge(keep, merge, user=user, reason=reason)


def _merge(keep, merge, *, user, reason: str) -> Merge:
    model = type(keep)
    hold(router.db_for_write(model))
    # Every write at one instant, taken once this writer holds the change clock: the kept
    # record's version lists the rows it gains.
    with clock.one_instant():
        return _merge_held(model, keep, merge, user=user, reason=reason)


def _merge_held(model, keep, merge, *, user, reason: str) -> Merge:
    locked = model._default_manager.select_for_update().in_bulk([keep.pk, merge.pk])
    missing = {"keep": keep.pk, "merge": merge.pk}
    errors = {
        name: [f"No {model._meta.verbose_name} {pk}: it is deleted."]
        for name, pk in missing.items()
        if pk not in locked
    }
    if errors:
        raise MergeInvalid(errors)
    keep, merge = locked[keep.pk], locked[merge.pk]
    plan = _plan(keep, merge)
    if plan.conflicts:
        raise MergeConflict(plan.conflicts)
    note = _history_reason(
        reason,
        [
            f"{MERGE} of {merge.name} ({merge.slug}) into {keep.name}",
            f"{MERGE} of {merge.slug} into {keep.slug}",
            f"{MERGE} into {keep.slug}",
            MERGE,
        ],
    )
    # Versions of the kept record and of the others whose answers list a row moved,
    # before the rows: their histories list them, their versions and ETags move.
    version_listing_records(
        keep,
        [(entry.row, [relation.field for relation in entry.fields]) for entry in plan.writes],
        written=[(type(link.row), link.row.pk) for link in plan.links],
        user=user,
        reason=note,
    )
    moves: dict = {"format": FORMAT, "moved": [], "linked": [], "dropped": [], "added": []}
    for entry in plan.writes:
        fields = [relation.field for relation in entry.fields]
        _write(entry.row, fields, user=user, reason=note, refused=_conflict_of(entry))
        moves["moved"].append(
            {"model": entry.row._meta.label_lower, "id": entry.row.pk, "fields": sorted(fields)}
        )
    for link in plan.links:
        listed = set(getattr(link.row, link.relation.field).values_list("pk", flat=True))
        listed = (listed - {merge.pk}) | {keep.pk}
        record_write(
            link.row, fields={}, m2m={link.relation.field: sorted(listed)}, user=user, reason=note
        )
        moves["linked"].append(
            {
                "model": link.row._meta.label_lower,
                "id": link.row.pk,
                "field": link.relation.field,
                "kept_added": link.kept_added,
            }
        )
    if plan.alias is not None:
        aliases = aliases_of(model)
        alias = record_save(
            aliases.model(**{aliases.field: keep, "name": plan.alias}), user=user, reason=note
        )
        moves["added"].append(
            {"model": alias._meta.label_lower, "id": alias.pk, "name": alias.name}
        )
    for moved in plan.moves:
        moves["dropped"] += [
            {"model": r.model, "id": r.id, "label": r.label} for r in moved.dropped
        ]
    moves["deleted"] = {"model": model._meta.label_lower, "id": merge.pk}
    merged = Merge(
        content_type=ContentType.objects.get_for_model(model),
        merged_id=merge.pk,
        merged_slug=merge.slug,
        merged_name=merge.name,
        kept_id=keep.pk,
        reason=reason,
        merged_at=clock.now(),
        merged_by=user,
    )
    # What is left of the merged record goes with it: the rows already on the kept one.
    record_delete(merge, user=user, reason=note)
    for key in ("moved", "linked", "dropped", "added"):
        moves[key].sort(key=lambda item: (item["model"], item["id"]))
    merged.moves = json.dumps(moves, sort_keys=True, ensure_ascii=False)
    merged.save()
    return merged


def _conflict_of(entry: _Moving):
    def refused(messages: list[str]) -> Exception:
        name = entry.row._meta.verbose_name
        return MergeConflict(
            [
                Conflict(
                    kind="invalid",
                    relation=entry.fields[0].name,
                    rows=[Row.of(entry.row, entry.label)],
                    detail=f"{name.capitalize()} {entry.row.pk} ({entry.label}), moved, "
                    f"would break a rule: {'; '.join(messages)}",
                )
            ]
        )

    return refused
