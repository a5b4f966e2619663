"""Undoing a merge (merge_undo): what its `Merge` row recorded put back. The merged record
restored with its id, slug and the rows deleted with it, every row and list moved put back,
the alias added removed; refused, saying what to do first, when things changed since (a
later merge of the kept record, a moved row deleted or changed, the slug taken again)."""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, router, transaction

from ...feed import hold
from ...merges import is_mergeable, later_merge, merge_of
from ...models import Merge
from .. import clock
from ..deleting import record_delete
from ..saving import error_dict, fact_require_citation
from ..writing import record_write
from .errors import UndoRefused
from .moves import FORMAT
from .plan import _link_moving_rows
from .relations import joins, relation_by_key, write_order
from .rows import _Moving
from .writes import _history_reason, _write, check_reason, version_listing_records


def merge_undo(merge: Merge, *, user=None, reason: str) -> Merge:
    """Undo `merge`: the merged record restored with its id, slug and the rows deleted with
    it, every row and list it moved put back, the alias it added removed; each write with
    its history row and the reason, in one transaction. Returns the Merge, marked undone.

    UndoRefused says what stands in the way (a later merge of the kept record, a moved row
    deleted or changed since, the slug taken again); MergeInvalid names a bad reason."""
    reason = check_reason(reason, prefix="Undo of merge")
    with transaction.atomic():
        return _undo(merge, user=user, reason=reason)


def _model(label: str) -> type[models.Model]:
    return apps.get_model(label)


def _undo(merge: Merge, *, user, reason: str) -> Merge:
    model = ContentType.objects.get_for_id(merge.content_type_id).model_class()
    hold(router.db_for_write(model))
    # Every write at one instant, taken once this writer holds the change clock: the kept
    # record's version lists the rows it gives back.
    with clock.one_instant():
        return _undo_held(model, merge, user=user, reason=reason)


def _undo_held(model, merge: Merge, *, user, reason: str) -> Merge:
    from ...restore import _restore_tree  # restore builds on the services

    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise UndoRefused([f"Merge {merge.pk} was undone already, on {merge.undone_at:%Y-%m-%d}."])
    later = later_merge(merge)
    if later is not None:
        raise UndoRefused(
            [
                f"The kept {model._meta.verbose_name} was merged since into another "
                f"(merge {later.pk}, {later.merged_name} into {later.kept_id}): undo that "
                "merge first."
            ]
        )
    moves = merge.moved
    if moves.get("format") != FORMAT:
        raise UndoRefused([f"Merge {merge.pk} does not record what it moved: it cannot be undone."])
    problems, rows = _undo_problems(model, merge, moves)
    if problems:
        raise UndoRefused(problems)
    kept = model._default_manager.select_for_update().get(pk=merge.kept_id)
    note = _history_reason(
        reason,
        [
            f"Undo of the merge of {merge.merged_name} ({merge.merged_slug}) into {kept.name}",
            f"Undo of the merge of {merge.merged_slug} into {kept.slug}",
            f"Undo of merge {merge.pk}",
            "Undo of merge",
        ],
    )
    merge.undone_at, merge.undone_by = clock.now(), user
    merge.save(update_fields=["undone_at", "undone_by"])
    restored: list = []
    try:
        _restore_tree(model, merge.merged_id, user=user, reason=note, restored=restored)
    except ValidationError as error:
        name = model._meta.verbose_name
        raise UndoRefused(
            [
                f"The {name} {merge.merged_id} cannot be restored: "
                + "; ".join(
                    f"{key}: {' '.join(values)}" for key, values in error_dict(error).items()
                )
            ]
        ) from error
    # Versions of the kept record and of the others whose answers list a row moved back,
    # before the rows (see _merge).
    linked = [(_model(item["model"]), item["id"]) for item in moves["linked"]]
    version_listing_records(kept, rows, written=linked, user=user, reason=note)
    order = write_order({type(row) for row, _ in rows})
    rows.sort(key=lambda pair: (order.index(type(pair[0])), pair[0].pk))
    for row, fields in rows:
        for name in fields:
            setattr(row, row._meta.get_field(name).attname, merge.merged_id)
    _link_moving_rows({(type(row), row.pk): _Moving(row) for row, _ in rows})
    for row, fields in rows:
        _write(row, fields, user=user, reason=note, refused=_undo_refused(row))
    for item in moves["linked"]:
        referrer = _model(item["model"])._default_manager.get(pk=item["id"])
        listed = set(getattr(referrer, item["field"]).values_list("pk", flat=True))
        listed = (listed - ({merge.kept_id} if item["kept_added"] else set())) | {merge.merged_id}
        record_write(
            referrer, fields={}, m2m={item["field"]: sorted(listed)}, user=user, reason=note
        )
    for item in moves["added"]:
        added = _model(item["model"])._default_manager.filter(pk=item["id"]).first()
        if added is not None and getattr(added, "name", None) == item.get("name"):
            # The kept record's version that lists it removed is written above.
            record_delete(added, user=user, reason=note, listing_versioned=True)
    for instance in (*restored, kept):
        try:
            fact_require_citation(instance)
        except ValidationError as error:
            name = instance._meta.verbose_name
            raise UndoRefused(
                [
                    f"The kept {name} {kept.pk} is verified and would keep no citation: the "
                    "undo gives the merged one back its citations. Cite a source for it, or "
                    "mark it unverified, first."
                    if instance is kept
                    else f"The {name} {instance.pk} was verified without a citation when "
                    "it was merged, which no record may be: it cannot come back as it was."
                ]
            ) from error
    return merge


def _undo_refused(row):
    def refused(messages: list[str]) -> Exception:
        name = row._meta.verbose_name
        return UndoRefused(
            [f"{name.capitalize()} {row.pk} cannot move back: {'; '.join(messages)}"]
        )

    return refused


def _undo_problems(model, merge: Merge, moves: dict) -> tuple[list[str], list]:
    """What stands in the way of undoing `merge`, and the rows to move back with the
    fields to set on each."""
    name = model._meta.verbose_name
    problems = []
    if not model._default_manager.filter(pk=merge.kept_id).exists():
        problems.append(f"The kept {name} {merge.kept_id} is deleted since: restore it first.")
    if model._default_manager.filter(pk=merge.merged_id).exists():
        problems.append(f"The {name} {merge.merged_id} exists again: there is nothing to restore.")
    taken = (
        model._default_manager.filter(slug=merge.merged_slug).exclude(pk=merge.merged_id).first()
    )
    if taken is not None:
        problems.append(
            f"The slug {merge.merged_slug!r} is taken since by {name} {taken.pk} ({taken}): "
            "give that one another slug first."
        )
    content_type_id = merge.content_type_id
    by_model: dict[str, list] = {}
    for item in moves["moved"]:
        by_model.setdefault(item["model"], []).append(item)
    rows = []
    for label, items in sorted(by_model.items()):
        row_model = _model(label)
        stored = row_model._default_manager.select_related(*joins(row_model)).in_bulk(
            [item["id"] for item in items]
        )
        for item in items:
            row = stored.get(item["id"])
            row_name = row_model._meta.verbose_name
            if row is None:
                problems.append(_gone(row_model, item["id"], "moved"))
                continue
            for field_name in item["fields"]:
                f = row._meta.get_field(field_name)
                relation = relation_by_key(model, f"{label}.{field_name}")
                points_at = getattr(row, f.attname)
                same_kind = (
                    relation.link != "generic"
                    or getattr(row, f"{relation.ct_field}_id") == content_type_id
                )
                if points_at != merge.kept_id or not same_kind:
                    problems.append(
                        f"{row_name.capitalize()} {row.pk} ({row}) no longer refers to the "
                        f"kept {name} {merge.kept_id}: its {f.verbose_name} changed since. "
                        "Set it back first, or leave the merge as it is."
                    )
            rows.append((row, item["fields"]))
    for item in moves["linked"]:
        referrer_model = _model(item["model"])
        if not referrer_model._default_manager.filter(pk=item["id"]).exists():
            problems.append(_gone(referrer_model, item["id"], f"listed in its {item['field']}"))
    return problems, rows


def _gone(model, pk, what: str) -> str:
    name = model._meta.verbose_name
    text = f"{name.capitalize()} {pk}, which the merge {what}, is deleted since"
    merged_away = merge_of(model, pk) if is_mergeable(model) else None
    if merged_away is not None:
        return f"{text}: it was merged (merge {merged_away.pk}); undo that merge first."
    return f"{text}: restore it first."
