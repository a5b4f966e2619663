"""Writes. Every create, update and delete of every record goes through these functions,
so each one is validated, stamped with who and when, and recorded in history, in one
transaction. The API, the admin and the management commands all call them.
"""

from collections.abc import Iterable, Sequence

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, models, transaction
from django.db.models import ProtectedError
from django.db.models.deletion import Collector
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from .choices import Status
from .models import Citation, FactModel, TrackedModel
from .reasons import reason_text

RESTORED = "Restored"  # what a restore's history reason says first


class VersionConflict(Exception):
    """The record changed since the caller read it (its version moved on)."""

    def __init__(self, instance: models.Model, current_version: int):
        self.instance = instance
        self.current_version = current_version
        super().__init__(
            f"{instance._meta.verbose_name} {instance.pk} is at version {current_version}, "
            f"not {instance.version}."
        )


def _stamp(instance: TrackedModel, *, user, reason: str) -> None:
    """Audit fields, and what django-simple-history reads for its record."""
    now = timezone.now()
    if instance._state.adding:
        instance.created_at = now
        instance.created_by = user
        instance.version = 1
    else:
        instance.version += 1
    instance.updated_at = now
    instance.updated_by = user
    instance._history_user = user
    instance._change_reason = reason_text(reason) or None


def fact_require_citation(fact: models.Model) -> None:
    """A fact can only be marked verified with at least one citation."""
    # Asked of the database, not `fact.citations`: a fact read with its citations
    # prefetched would answer from the list it had before this write.
    if (
        isinstance(fact, FactModel)
        and fact.status == Status.VERIFIED
        and not Citation.objects.filter(
            content_type=ContentType.objects.get_for_model(fact), object_id=fact.pk
        ).exists()
    ):
        raise ValidationError(
            {"status": "A fact cannot be verified without at least one citation."}
        )


@transaction.atomic
def record_save(
    instance: TrackedModel,
    *,
    user=None,
    reason: str = "",
    citations: Sequence[Citation] = (),
    check_citations: bool = True,
    expected_version: int | None = None,
    fields: Iterable[str] | None = None,
) -> TrackedModel:
    """Validate and save `instance` (create or update), with its history record.

    `citations` are unsaved citations to attach to the fact in the same transaction.
    `expected_version`, when given, is the version the caller read: if the stored row
    has moved on, VersionConflict is raised and nothing is written. `fields`, when given,
    names the only fields the caller changed: every other field is taken from the row
    read under the lock, so a writer that read the record earlier does not put back
    values that another writer changed since. `check_citations` is turned off only by
    callers that validate and save the citations themselves right after, in the same
    transaction (the admin's inline formset).
    """
    if not instance._state.adding:
        current = type(instance).objects.select_for_update().get(pk=instance.pk)
        if expected_version is not None and current.version != expected_version:
            raise VersionConflict(instance, current.version)
        if fields is not None:
            changed = set(fields)
            for field in instance._meta.concrete_fields:
                if field.name not in changed and field.attname not in changed:
                    setattr(instance, field.attname, getattr(current, field.attname))
        instance.version = current.version
    instance.full_clean()
    _stamp(instance, user=user, reason=reason)
    instance.save()
    for citation in citations:
        citation.fact = instance
        record_save(citation, user=user, reason=reason)
    if check_citations:
        fact_require_citation(instance)
    return instance


def m2m_referrers(instance: models.Model, limit: int = 20) -> list[models.Model]:
    """Records that list `instance` in a many-to-many field (events naming a company).

    Deleting would silently drop it from their lists, so such a delete is refused, as a
    PROTECT foreign key refuses it."""
    referrers = []
    for relation in instance._meta.related_objects:
        # Explicit through models (partnership parties) have foreign keys that protect.
        if relation.many_to_many and relation.through._meta.auto_created:
            accessor = relation.get_accessor_name()
            referrers.extend(getattr(instance, accessor).all()[:limit])
    return referrers[:limit]


@transaction.atomic
def record_delete(
    instance: TrackedModel, *, user=None, reason: str = "", check_citations: bool = True
) -> None:
    """Delete `instance` with its history record, and the rows the delete cascades to
    (a fact's citations, a company's aliases...), each with its own history record, so
    nothing disappears unrecorded. Deleting the last citation of a verified fact is
    refused (unless the caller checks it itself), and so is deleting a record that others
    list in a many-to-many field (ProtectedError)."""
    referrers = m2m_referrers(instance)
    if referrers:
        raise ProtectedError(
            f"{instance} is referred to by other records: remove it from them first.",
            set(referrers),
        )
    # Every row this delete removes is recorded at the same instant: that is how a
    # restore tells what went with the record from what was deleted on its own.
    moment = timezone.now()
    fact = instance.fact if isinstance(instance, Citation) else None
    # Collected here rather than by instance.delete(), so that the rows the delete
    # cascades to (the citations of a fact through its generic relation, a company's
    # aliases, a partnership's parties) carry the same author and reason in history.
    collector = Collector(using=instance._state.db or DEFAULT_DB_ALIAS)
    collector.collect([instance])
    for rows in collector.data.values():
        for row in rows:
            row._history_user = user
            row._change_reason = reason_text(reason) or None
            row._history_date = moment
    collector.delete()
    if check_citations and fact is not None:
        fact_require_citation(fact)


@transaction.atomic
def records_delete(instances: Iterable[TrackedModel], *, user=None, reason: str = "") -> int:
    count = 0
    for instance in instances:
        record_delete(instance, user=user, reason=reason)
        count += 1
    return count


@transaction.atomic
def facts_set_status(queryset: models.QuerySet, *, status: str, user=None, reason: str = "") -> int:
    """Set the status of many facts at once: one history record per fact, in bulk.

    Marking verified refuses the whole batch if any fact lacks a citation.
    """
    model = queryset.model
    # Re-select by pk: the caller's queryset may carry annotations that FOR UPDATE refuses.
    facts = list(model.objects.select_for_update().filter(pk__in=queryset.values("pk")))
    if status == Status.VERIFIED:
        cited = set(
            Citation.objects.filter(
                content_type=ContentType.objects.get_for_model(model),
                object_id__in=[fact.pk for fact in facts],
            ).values_list("object_id", flat=True)
        )
        uncited = [fact for fact in facts if fact.pk not in cited]
        if uncited:
            names = ", ".join(str(fact) for fact in uncited[:5])
            more = f" and {len(uncited) - 5} more" if len(uncited) > 5 else ""
            raise ValidationError(
                f"Cannot mark verified without a citation: {names}{more}. Nothing was changed."
            )
    now = timezone.now()
    for fact in facts:
        fact.status = status
        fact.updated_at = now
        fact.updated_by = user
        fact.version += 1
    bulk_update_with_history(
        facts,
        model,
        ["status", "updated_at", "updated_by", "version"],
        default_user=user,
        default_change_reason=reason_text(reason) or None,
    )
    return len(facts)


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


def _restore_row(row, *, previous, user, reason: str) -> TrackedModel:
    """Insert the record `row` (its last history row) describes, with the many-to-many
    lists of `previous` (a delete row has none: they go before the record does)."""
    instance = row.instance
    instance._state.adding = True
    _check_references(instance)
    # Created when it was first created (by a user who may since be gone, as SET_NULL
    # would have it); changed now, by whoever restores it.
    creator = instance.created_by_id
    if creator is not None and not get_user_model().objects.filter(pk=creator).exists():
        instance.created_by = None
    instance.version = (row.version or 0) + 1
    instance.updated_at = timezone.now()
    instance.updated_by = user
    instance.full_clean()
    instance._history_user = user
    instance._change_reason = reason or None
    instance.save(force_insert=True)
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
            getattr(instance, field.name).set(ids)
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


def _restore_tree(model, pk, *, user, reason: str, restored: list) -> TrackedModel:
    rows = _history_rows(model, pk)
    if not rows:
        raise model.DoesNotExist(f"No {model._meta.verbose_name} {pk} was ever recorded.")
    last, previous = rows[0], (rows[1] if len(rows) > 1 else None)
    instance = _restore_row(last, previous=previous, user=user, reason=reason)
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
def record_restore(model: type[TrackedModel], pk: int, *, user=None, reason: str = "") -> list:
    """Bring back the deleted record `pk` of `model` as its last history row shows it,
    with what was deleted with it: its citations and the child rows its delete cascaded
    to (a company's aliases, a round's investments), each with their own citations.

    Each restored row keeps its id and creation stamp, goes up one version, and gets a
    "+" history row by `user` with the reason "Restored" (and `reason`, if given);
    many-to-many lists come back as they were before the delete (a "~" row each).
    Returns the restored records, `model`'s first. Raises RecordExists if the record
    exists, `model.DoesNotExist` if it never did, and ValidationError (by field) if it
    refers to a record that is deleted, or no longer passes validation."""
    if model._default_manager.filter(pk=pk).exists():
        raise RecordExists(f"{model._meta.verbose_name} {pk} exists: there is nothing to restore.")
    note = reason_text(reason, prefix=RESTORED)
    restored: list = []
    try:
        with transaction.atomic():
            _restore_tree(model, pk, user=user, reason=note, restored=restored)
    except IntegrityError as error:  # restored by someone else meanwhile
        if model._default_manager.filter(pk=pk).exists():
            raise RecordExists(
                f"{model._meta.verbose_name} {pk} exists: there is nothing to restore."
            ) from error
        raise
    for instance in restored:
        fact_require_citation(instance)
    return restored
