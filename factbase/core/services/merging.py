"""Merging a record into another that is the same real thing (a company entered twice), and
undoing it.

A merge moves to the kept record every row that refers to the merged one (its products,
roles, metrics, investments, parties, aliases, citations, quotes attributed to a person...)
and the lists that name it (an event's companies), keeps the merged record's name as an
alias, then deletes the merged record; each of these writes goes through the services,
with history and one reason. The relations are read from the models (every foreign key
and many-to-many list pointing at the model, and its generic relations: citations), so a
relation added later is moved too. What would collide on the kept record is found before
anything is written: an alias or a citation the kept record already has is left to go
with the merged record (listed, not a conflict); any other collision (the same role
twice, a company in a partnership twice, an investment in itself) refuses the merge,
naming each, for the editor to resolve first.

The `Merge` row records every change made (`moves`, JSON), which is what an undo puts
back: the merged record restored with its id and slug, every row and list moved back,
the alias added removed. factbase.core.merges reads what standing merges leave behind
(where an old id or slug lives now).
"""

import functools
import json
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models import UniqueConstraint

from .. import kinds
from ..feed import hold
from ..kinds import kind_of
from ..merges import fold, is_mergeable, later_merge, merge_of
from ..models import Citation, Merge, TrackedModel
from ..reasons import MAX_LENGTH, reason_text
from . import clock
from .deleting import record_delete
from .saving import STAMPED_FIELDS, RecordInvalid, error_dict, fact_require_citation, record_save
from .writing import record_write

FORMAT = 1  # of `Merge.moves`
MERGE = "Merge"  # the shortest history reason prefix of a merge's writes
SHOWN_ROWS = 100  # rows named per relation in a plan's answer; the others are counted

# What an editor thinks of a fact rather than what it states: two rows that differ only in
# these (and in their audit fields) state the same thing. Not its claim type: a target is
# not the figure reached.
JUDGEMENT_FIELDS = frozenset({"status", "confidence", "note"})


class MergeInvalid(RecordInvalid):
    """A merge or an undo asked wrongly: `errors` names the argument (`keep`, `merge`,
    `reason`) and what is wrong with it."""


class MergeConflict(Exception):
    """Rows of the merged record would collide with the kept record's: the merge is
    refused, nothing written. `conflicts` names each (Conflict)."""

    def __init__(self, conflicts: list["Conflict"]):
        self.conflicts = conflicts
        super().__init__(" ".join(conflict.detail for conflict in conflicts))


class UndoRefused(Exception):
    """A merge that cannot be undone as things stand: `problems` says what to do first."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(problems))


# --- the relations of a model ------------------------------------------------------------


@dataclass(frozen=True)
class Relation:
    """A way rows of `model` refer to a record: a foreign key (`link` "fk"), a
    many-to-many list without a through model of its own ("list": the row lists it), or
    a generic relation ("generic": a citation's fact, `field` its id and `ct_field` its
    content type)."""

    model: type[models.Model]
    field: str
    link: str
    ct_field: str = ""

    @property
    def key(self) -> str:
        """How `Merge.moves` names it: "events.metric.company"."""
        return f"{self.model._meta.label_lower}.{self.field}"

    @property
    def name(self) -> str:
        """How the API names it: the kind and the field, "metrics.company", "citations.fact"."""
        kind = kind_of(self.model)
        return f"{kind.name if kind else self.model._meta.label_lower}.{self.api_field}"

    @property
    def api_field(self) -> str:
        if self.link == "generic":
            for private in self.model._meta.private_fields:
                if isinstance(private, GenericForeignKey) and private.fk_field == self.field:
                    return private.name
        return self.field

    @property
    def label(self) -> str:
        """What an editor reads: "Metrics (company)", "Events (companies)"."""
        plural = str(self.model._meta.verbose_name_plural)
        if self.link == "generic":
            return plural.capitalize()
        verbose = self.model._meta.get_field(self.field).verbose_name
        return f"{plural.capitalize()} ({verbose})"

    def lookup(self, record_model, pk) -> dict:
        """The filter of the rows of `model` that refer to record `pk` this way."""
        if self.link == "generic":
            return {self.ct_field: ContentType.objects.get_for_model(record_model), self.field: pk}
        return {self.field: pk}


@functools.cache
def relations(model: type[models.Model]) -> tuple[Relation, ...]:
    """Every way other rows refer to records of `model`, from the models themselves."""
    found = []
    for relation in model._meta.related_objects:
        if relation.many_to_many:
            # A through model of its own (a partnership's parties) has foreign keys, each
            # a relation of its own; a list without one is a list.
            if relation.through._meta.auto_created:
                found.append(Relation(relation.related_model, relation.field.name, "list"))
        else:
            found.append(Relation(relation.related_model, relation.field.name, "fk"))
    for private in model._meta.private_fields:
        if isinstance(private, GenericRelation):
            found.append(
                Relation(
                    private.related_model,
                    private.object_id_field_name,
                    "generic",
                    private.content_type_field_name,
                )
            )
    return tuple(sorted(found, key=lambda relation: relation.key))


def relation_by_key(model: type[models.Model], key: str) -> Relation:
    for relation in relations(model):
        if relation.key == key:
            return relation
    raise LookupError(f"{model._meta.label} has no relation {key}.")


def aliases_of(model: type[models.Model]) -> Relation:
    """The relation of the model's aliases (factbase.core.kinds), as a merge moves it."""
    aliases = kinds.alias_relation(model)
    return Relation(aliases.related_model, aliases.field.name, "fk")


def joins(model: type[models.Model]) -> list[str]:
    """The records a row's label and rules read (its foreign keys, but users): read with it."""
    user = get_user_model()
    return [
        f.name for f in model._meta.concrete_fields if f.many_to_one and f.related_model is not user
    ]


def write_order(models_: set) -> list:
    """`models_` ordered so that a model comes after those it refers to: a row is moved
    after the rows its rules read (an investment after its round, whose company it must
    share)."""
    ordered: list = []

    def visit(model, path=()):
        if model in ordered or model in path:
            return
        for f in model._meta.concrete_fields:
            if f.many_to_one and f.related_model in models_ and f.related_model is not model:
                visit(f.related_model, (*path, model))
        ordered.append(model)

    for model in sorted(models_, key=lambda m: m._meta.label_lower):
        visit(model)
    return ordered


# --- the plan ----------------------------------------------------------------------------


@dataclass
class Row:
    model: str  # "events.metric"
    id: int
    label: str

    @classmethod
    def of(cls, row: models.Model, label: str | None = None) -> "Row":
        return cls(row._meta.label_lower, row.pk, str(row) if label is None else label)


@dataclass
class Conflict:
    """Why the merge cannot be made as things stand: `kind` is "duplicate" (the kept
    record already has the same row: the same role twice), "unique" (a rule that allows
    one such row: the same company twice in a partnership) or "invalid" (the row would
    break another rule: an investment in itself). `rows` are the row moved and, where
    there is one, the row it collides with."""

    kind: str
    relation: str
    rows: list[Row]
    detail: str


@dataclass
class RelationMoves:
    """What a merge does to one relation's rows: `moved` to the kept record (for a list,
    the rows that list the kept record instead); `dropped` (already on the kept record: an
    alias, a citation) go with the merged record."""

    relation: Relation
    moved: list[Row] = field(default_factory=list)
    dropped: list[Row] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.moved)


@dataclass
class _Moving:
    row: models.Model
    fields: list[Relation] = field(default_factory=list)
    label: str = ""


@dataclass
class _Link:
    row: models.Model
    relation: Relation
    kept_added: bool  # False: it listed the kept record already


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


def _content(row: models.Model) -> tuple:
    """What a row states, for telling two rows that state the same thing."""
    return tuple(
        getattr(row, f.attname)
        for f in row._meta.concrete_fields
        if not f.primary_key and f.name not in STAMPED_FIELDS and f.name not in JUDGEMENT_FIELDS
    )


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
    taken = {fold(keep.name)} | {fold(row.name) for row in kept.get(aliases.model, {}).values()}
    conflicts, writes = [], []
    for entry in moving.values():
        row, relation = entry.row, entry.fields[0]
        if relation.key == aliases.key and fold(row.name) in taken:
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
    moved_aliases = {fold(entry.row.name) for entry in writes if aliases in entry.fields}
    order = write_order({type(entry.row) for entry in writes})
    writes.sort(key=lambda entry: (order.index(type(entry.row)), entry.row.pk))
    return MergePlan(
        keep=keep,
        merge=merge,
        moves=[moves for moves in by_relation.values() if moves.moved or moves.dropped],
        alias=None if fold(merge.name) in taken | moved_aliases else merge.name,
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


# --- merging -----------------------------------------------------------------------------


def _history_reason(reason: str, prefixes: list[str]) -> str:
    """The history reason of every write: the first prefix, the most telling, that leaves
    room for the editor's reason (check_reason made sure that the last one does)."""
    for prefix in prefixes:
        if len(prefix) + 2 + len(reason) <= MAX_LENGTH:
            return f"{prefix}: {reason}"
    return reason_text(reason, prefix=prefixes[-1])  # raises: it does not fit


def check_reason(reason: str, prefix: str = MERGE) -> str:
    if not (reason or "").strip():
        raise MergeInvalid({"reason": ["Say why: the reason is kept in every record's history."]})
    try:
        reason_text(reason, prefix=prefix)
    except ValidationError as error:
        raise MergeInvalid({"reason": error.messages}) from error
    return reason.strip()


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


def _write(row, fields: list[str], *, user, reason: str, refused) -> None:
    """Save the fields a merge or its undo changed on `row`; a refusal, named for the row."""
    try:
        record_save(row, fields=fields, user=user, reason=reason)
    except ValidationError as error:
        raise refused(
            [
                f"{key}: {message}" if key != "non_field_errors" else message
                for key, values in error_dict(error).items()
                for message in values
            ]
        ) from error


# --- undoing -----------------------------------------------------------------------------


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
    from ..restore import _restore_tree  # restore builds on the services

    model = ContentType.objects.get_for_id(merge.content_type_id).model_class()
    hold(router.db_for_write(model))
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
    moves = json.loads(merge.moves or "{}")
    if moves.get("format") != FORMAT:
        raise UndoRefused([f"Merge {merge.pk} does not record what it moved: it cannot be undone."])
    problems, rows = _undo_problems(model, merge, moves)
    if problems:
        raise UndoRefused(problems)
    kept = model._default_manager.get(pk=merge.kept_id)
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
            record_delete(added, user=user, reason=note)
    for instance in restored:
        fact_require_citation(instance)
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


def merge_counts(merge: Merge) -> dict[str, int]:
    """How many rows a merge moved, by relation as the API names it ("metrics.company")."""
    model = ContentType.objects.get_for_id(merge.content_type_id).model_class()
    moves = json.loads(merge.moves or "{}")
    counts: dict[str, int] = {}
    for item in moves.get("moved", []):
        for field_name in item["fields"]:
            relation = relation_by_key(model, f"{item['model']}.{field_name}")
            counts[relation.name] = counts.get(relation.name, 0) + 1
    for item in moves.get("linked", []):
        relation = relation_by_key(model, f"{item['model']}.{item['field']}")
        counts[relation.name] = counts.get(relation.name, 0) + 1
    return dict(sorted(counts.items()))
