"""Planning a merge: what merging a record into another would do, read before anything is
written. The rows that refer to the merged record (each once, with the relations it refers
by), the lists that name it, the alias its name adds, the rows that go with it because the
kept record has them already, and the conflicts that refuse the merge. merge_plan answers
a preview; record_merge writes what the same plan lists, under a lock."""

from dataclasses import dataclass, field

from django.db import models

from ...merges import is_mergeable
from ...text import fold_name
from .conflicts import _content, _entry_conflicts
from .errors import MergeInvalid
from .relations import Relation, aliases_of, joins, relations, write_order
from .rows import Conflict, RelationMoves, Row, _Link, _Moving

SHOWN_ROWS = 100  # rows named per relation in a plan's answer; the others are counted


@dataclass
class MergePlan:
    """What merging `merge` into `keep` would do (merge_plan): nothing is written."""

    keep: models.Model
    merge: models.Model
    moves: list[RelationMoves]
    alias: str | None  # the merged record's name, added as an alias of the kept record
    conflicts: list[Conflict]
    writes: list[_Moving] = field(default_factory=list, repr=False)
    links: list[_Link] = field(default_factory=list, repr=False)


def merge_plan(keep: models.Model, merge: models.Model) -> MergePlan:
    """What merging `merge` into `keep` would do: the rows it moves by relation (with their
    labels), the rows it leaves to go with the merged record, the alias it adds, and the
    conflicts that refuse it. Reads only. MergeInvalid if the two cannot be merged."""
    check_pair(keep, merge)
    return _plan(keep, merge)


def check_pair(keep, merge) -> None:
    errors = {}
    if not isinstance(keep, models.Model) or not is_mergeable(type(keep)):
        errors["keep"] = ["Only companies, products and people are merged."]
    elif type(merge) is not type(keep):
        errors["merge"] = [
            f"Not a {keep._meta.verbose_name}: a record is merged into one of its kind."
        ]
    elif keep.pk is None or merge.pk is None:
        errors["merge" if keep.pk else "keep"] = ["Not a stored record."]
    elif keep.pk == merge.pk:
        errors["merge"] = ["A record cannot be merged into itself."]
    if errors:
        raise MergeInvalid(errors)


def _rows(relation: Relation, record_model, pk) -> list:
    queryset = relation.model._default_manager.filter(**relation.lookup(record_model, pk))
    return list(queryset.select_related(*joins(relation.model)).order_by("pk"))


def _plan(keep, merge) -> MergePlan:
    model = type(keep)
    aliases = aliases_of(model)
    by_relation = {relation.key: RelationMoves(relation) for relation in relations(model)}
    moving, links = _referring(keep, merge, by_relation)
    kept = _kept_rows(keep, moving)
    for entry in moving.values():
        for relation in entry.fields:
            setattr(entry.row, relation.field, keep.pk if relation.link == "generic" else keep)
    _link_moving_rows(moving)
    taken = {fold_name(keep.name)} | {
        fold_name(row.name) for row in kept.get(aliases.model, {}).values()
    }
    conflicts, writes = [], []
    for entry in moving.values():
        row, relation = entry.row, entry.fields[0]
        if relation.key == aliases.key and fold_name(row.name) in taken:
            by_relation[relation.key].dropped.append(Row.of(row, entry.label))
            continue
        found = _entry_conflicts(entry, kept)
        if found is None:  # the kept record has it already, and it goes with the merged one
            by_relation[relation.key].dropped.append(Row.of(row, entry.label))
            continue
        conflicts += found
        if not found:
            writes.append(entry)
            for moved_by in entry.fields:
                by_relation[moved_by.key].moved.append(Row.of(row, entry.label))
    moved_aliases = {fold_name(entry.row.name) for entry in writes if aliases in entry.fields}
    order = write_order({type(entry.row) for entry in writes})
    writes.sort(key=lambda entry: (order.index(type(entry.row)), entry.row.pk))
    return MergePlan(
        keep=keep,
        merge=merge,
        moves=[moves for moves in by_relation.values() if moves.moved or moves.dropped],
        alias=None if fold_name(merge.name) in taken | moved_aliases else merge.name,
        conflicts=conflicts,
        writes=writes,
        links=links,
    )


def _referring(keep, merge, by_relation: dict) -> tuple[dict, list]:
    """The rows that refer to `merge` (each once, with the relations it refers by), and
    the rows whose lists name it."""
    model = type(keep)
    moving: dict[tuple, _Moving] = {}
    links: list[_Link] = []
    for relation in relations(model):
        if relation.link != "list":
            for row in _rows(relation, model, merge.pk):
                entry = moving.setdefault((type(row), row.pk), _Moving(row, label=str(row)))
                entry.fields.append(relation)
            continue
        manager = relation.model._default_manager
        referrers = list(manager.filter(**{relation.field: merge.pk}).order_by("pk"))
        listing_kept = set(
            manager.filter(
                pk__in=[r.pk for r in referrers], **{relation.field: keep.pk}
            ).values_list("pk", flat=True)
        )
        for referrer in referrers:
            links.append(_Link(referrer, relation, kept_added=referrer.pk not in listing_kept))
            by_relation[relation.key].moved.append(Row.of(referrer))
    return moving, links


def _kept_rows(keep, moving: dict) -> dict[type, dict[tuple, models.Model]]:
    """What the kept record already has, by model and by what each row states (_content),
    where rows of that model move to it; and its aliases, always."""
    model = type(keep)
    aliases = aliases_of(model).key
    wanted = {relation for entry in moving.values() for relation in entry.fields}
    kept: dict[type, dict[tuple, models.Model]] = {}
    for relation in relations(model):
        if relation in wanted or relation.key == aliases:
            for row in _rows(relation, model, keep.pk):
                kept.setdefault(relation.model, {}).setdefault(_content(row), row)
    return kept


def _link_moving_rows(moving: dict) -> None:
    """A moving row that refers to another moving row reads it as it will be (an
    investment's round, moved to the kept company too), not as stored."""
    for entry in moving.values():
        for f in entry.row._meta.concrete_fields:
            if not f.many_to_one:
                continue
            other = moving.get((f.related_model, getattr(entry.row, f.attname)))
            if other is not None and other is not entry:
                f.set_cached_value(entry.row, other.row)
