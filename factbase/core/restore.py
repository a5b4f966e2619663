"""Restoring a deleted record: it comes back as it was when deleted, with its citations
and the rows its delete removed with it, each recorded in history. A write like those of
factbase.core.services, kept apart for its size."""

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, router, transaction

from .feed import hold
from .merges import is_mergeable, merge_of
from .models import Citation, FactModel, TrackedModel
from .reasons import reason_text
from .services import clock, fact_require_citation
from .services.saving import STAMPED_FIELDS, save_with_lists, version_listing

RESTORED = "Restored"  # what a restore's history reason says first


class RecordExists(Exception):
    """A restore was asked for a record that is not deleted."""


def _history_rows(model, pk) -> list:
    """The record's last two history rows, newest first."""
    return list(model.history.filter(id=pk).order_by("-history_date", "-history_id")[:2])


def _check_references(instance: models.Model) -> None:
    """A restored row may only point at records that exist: name each field that does not."""
    errors = {}
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if not field.many_to_one or value is None:
            continue
        if field.related_model is get_user_model():
            continue  # audit fields: a deleted user is forgotten below, as SET_NULL does
        if not field.related_model._default_manager.filter(pk=value).exists():
            errors[field.name] = (
                f"The {field.related_model._meta.verbose_name} {value} it refers to is deleted: "
                "restore that first."
            )
    if isinstance(instance, Citation) and instance.content_type_id and not errors:
        fact_model = instance.content_type.model_class()
        if not fact_model._default_manager.filter(pk=instance.object_id).exists():
            errors["fact"] = (
                f"The {fact_model._meta.verbose_name} {instance.object_id} it cites is deleted: "
                "restore that first."
            )
    if errors:
        raise ValidationError(errors)


def _restore_row(row, *, previous, user, reason: str, parent=None) -> TrackedModel:
    """Insert the record `row` (its last history row) describes, with the many-to-many
    lists of `previous` (a delete row has none: they go before the record does). A row
    of `parent`'s list is validated against `parent` as given (the record a revert
    writes), not as stored."""
    instance = row.instance
    instance._state.adding = True
    if parent is not None:
        for field in instance._meta.concrete_fields:
            if (
                field.many_to_one
                and isinstance(parent, field.related_model)
                and getattr(instance, field.attname) == parent.pk
            ):
                field.set_cached_value(instance, parent)
    _check_references(instance)
    # Created when it was first created (by a user who may since be gone, as SET_NULL
    # would have it); changed now, by whoever restores it.
    creator = instance.created_by_id
    if creator is not None and not get_user_model().objects.filter(pk=creator).exists():
        instance.created_by = None
    instance.version = (row.version or 0) + 1
    # The restore's one instant (record_restore), for the record, its history row and
    # the rows restored with it: `as_of=<its updated_at>` shows it back, with them.
    instance.updated_at = instance._history_date = clock.now()
    instance.updated_by = user
    instance.full_clean()
    instance._history_user = user
    instance._change_reason = reason or None
    lists = {}
    for field in row._history_m2m_fields:
        if previous is None:
            break
        target = field.m2m_reverse_field_name()
        ids = list(getattr(previous, field.name).values_list(f"{target}_id", flat=True))
        present = set(
            field.related_model._default_manager.filter(pk__in=ids).values_list("pk", flat=True)
        )
        gone = sorted(set(ids) - present)
        if gone:
            name = field.related_model._meta.verbose_name
            raise ValidationError(
                {field.name: f"The {name} {gone[0]} is deleted: restore it first."}
            )
        if ids:
            lists[field.name] = ids
    # One version, its history row holding the lists (services.save_with_lists).
    save_with_lists(instance, lists, force_insert=True)
    return instance


def _deleted_with(model, pk, *, moment) -> list:
    """The delete rows of records that went with record `pk`: its citations and its
    cascaded child rows, which record_delete records at the record's own instant."""
    window = {"history_type": "-", "history_date": moment}
    found = []
    if issubclass(model, FactModel):
        content_type = ContentType.objects.get_for_model(model)
        found += Citation.history.filter(content_type=content_type, object_id=pk, **window)
    for relation in model._meta.related_objects:
        child = relation.related_model
        if (
            not isinstance(relation, models.ManyToOneRel)
            or relation.on_delete is not models.CASCADE
            or not hasattr(child, "history")
        ):
            continue
        found += child.history.filter(**{relation.field.attname: pk}, **window)
    return found


def _restore_tree(model, pk, *, user, reason: str, restored: list, parent=None) -> TrackedModel:
    rows = _history_rows(model, pk)
    if not rows:
        raise model.DoesNotExist(f"No {model._meta.verbose_name} {pk} was ever recorded.")
    last, previous = rows[0], (rows[1] if len(rows) > 1 else None)
    instance = _restore_row(last, previous=previous, user=user, reason=reason, parent=parent)
    restored.append(instance)
    for row in _deleted_with(model, pk, moment=last.history_date):
        child = row.instance_type
        if child._default_manager.filter(pk=row.id).exists():
            continue
        if _history_rows(child, row.id)[0].history_id != row.history_id:
            continue  # restored since, and deleted again later on its own
        _restore_tree(child, row.id, user=user, reason=reason, restored=restored)
    return instance


@transaction.atomic
def record_restore(
    model: type[TrackedModel],
    pk: int,
    *,
    user=None,
    reason: str = "",
    listed_by: TrackedModel | None = None,
) -> list:
    """Bring back the deleted record `pk` of `model` as its last history row shows it,
    with what was deleted with it: its citations and the child rows its delete cascaded
    to (a company's aliases, a round's investments), each with their own citations.

    Each restored row keeps its id and creation stamp, goes up one version, and gets a
    "+" history row by `user` with the reason "Restored" (and `reason`, if given);
    many-to-many lists come back as they were before the delete (a "~" row each).
    Returns the restored records, `model`'s first. Raises RecordExists if the record
    exists, `model.DoesNotExist` if it never did, and ValidationError (by field) if it
    refers to a record that is deleted, or no longer passes validation.

    A row restored on its own (a citation, a role) is a version of the record that lists
    it (services.record_delete). A row restored as part of that record's write
    (revert_children) is given it as `listed_by`, as the write leaves it: its version is
    the caller's, and the row is validated against it."""
    hold(router.db_for_write(model))
    if model._default_manager.filter(pk=pk).exists():
        raise RecordExists(f"{model._meta.verbose_name} {pk} exists: there is nothing to restore.")
    merge = merge_of(model, pk) if is_mergeable(model) else None
    if merge is not None:  # its rows live on the kept record: only an undo brings them back
        raise ValidationError(
            f"{model._meta.verbose_name.capitalize()} {pk} was merged into another (merge "
            f"{merge.pk}): undo the merge to bring it back with what it moved."
        )
    note = reason_text(reason, prefix=RESTORED)
    restored: list = []
    try:
        with transaction.atomic(), clock.one_instant():
            last = _history_rows(model, pk)[:1]
            if last and listed_by is None:
                version_listing(last[0].instance, user=user, reason=note)
            _restore_tree(model, pk, user=user, reason=note, restored=restored, parent=listed_by)
    except IntegrityError as error:  # restored by someone else meanwhile
        if model._default_manager.filter(pk=pk).exists():
            raise RecordExists(
                f"{model._meta.verbose_name} {pk} exists: there is nothing to restore."
            ) from error
        raise
    for instance in restored:
        fact_require_citation(instance)
    return restored


# --- reverting to a version -------------------------------------------------------------


def version_rows(row, names) -> dict[str, list]:
    """The child rows of the record's version `row` (its history row), for each list in
    `names` (reverse relations: a company's `aliases`): each child's history row as it
    stood until the record's next version, or until now for the latest. The rows written
    with a version come after the record's own history row (services.record_write), and
    rows changed on their own before the next version count as that version's."""
    model = row.instance_type
    following = (
        model.history.filter(id=row.id)
        .filter(
            models.Q(history_date__gt=row.history_date)
            | models.Q(history_date=row.history_date, history_id__gt=row.history_id)
        )
        .order_by("history_date", "history_id")
        .first()
    )
    found = {}
    for name in names:
        relation = model._meta.get_field(name)
        link = relation.field.attname
        history = relation.related_model.history.all()
        if following is not None:
            history = history.filter(history_date__lt=following.history_date)
        ever_linked = history.filter(**{link: row.id}).values("id")
        latest: dict = {}
        for child in history.filter(id__in=ever_linked).order_by(
            "id", "-history_date", "-history_id"
        ):
            latest.setdefault(child.id, child)
        found[name] = [
            child
            for child in latest.values()
            if child.history_type != "-" and getattr(child, link) == row.id
        ]
    return found


def revert_children(record, rows: dict, *, user, reason: str) -> tuple[dict, bool]:
    """The child lists for services.record_write that put back `rows` (version_rows) on
    `record`, as the revert writes it: each row by its id with the values it held then; a
    row deleted since is restored first (record_restore: its id, its citations, checked
    against `record`), in the caller's transaction and instant.
    And whether any was: then the write is a version even if nothing else changes
    (record_write's `rows_written`)."""
    children, restored = {}, False
    for name, history_rows in rows.items():
        relation = record._meta.get_field(name)
        child_model = relation.related_model
        # What record_write sets from the parent itself (the link, inherited fields).
        skip = {relation.field.name, *getattr(child_model, "inherits_from_parent", ())}
        fields = [
            f
            for f in child_model._meta.concrete_fields
            if not f.primary_key and f.name not in skip and f.name not in STAMPED_FIELDS
        ]
        listed = []
        for row in history_rows:
            if not child_model._default_manager.filter(pk=row.id).exists():
                record_restore(child_model, row.id, user=user, reason=reason, listed_by=record)
                restored = True
            listed.append({"id": row.id, **{f.attname: getattr(row, f.attname) for f in fields}})
        children[name] = listed
    return children, restored
