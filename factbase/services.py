"""Writes. Every create, update and delete of every record goes through these functions,
so each one is validated, stamped with who and when, and recorded in history, in one
transaction. The API, the admin and the management commands all call them.
"""

from collections.abc import Iterable, Sequence

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from .choices import Status
from .models import Citation, FactModel, TrackedModel


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
    instance._change_reason = reason or None


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
) -> TrackedModel:
    """Validate and save `instance` (create or update), with its history record.

    `citations` are unsaved citations to attach to the fact in the same transaction.
    `expected_version`, when given, is the version the caller read: if the stored row
    has moved on, VersionConflict is raised and nothing is written. `check_citations`
    is turned off only by callers that validate and save the citations themselves right
    after, in the same transaction (the admin's inline formset).
    """
    if not instance._state.adding:
        current = type(instance).objects.select_for_update().values_list("version", flat=True)
        current_version = current.get(pk=instance.pk)
        if expected_version is not None and current_version != expected_version:
            raise VersionConflict(instance, current_version)
        instance.version = current_version
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
    """Delete `instance` with its history record. A fact's citations are deleted first,
    each with its own history record, so nothing disappears unrecorded. Deleting the
    last citation of a verified fact is refused (unless the caller checks it itself), and
    so is deleting a record that others list in a many-to-many field (ProtectedError)."""
    referrers = m2m_referrers(instance)
    if referrers:
        raise ProtectedError(
            f"{instance} is referred to by other records: remove it from them first.",
            set(referrers),
        )
    if isinstance(instance, FactModel):
        for citation in instance.citations.all():
            citation._history_user = user
            citation._change_reason = reason or None
            citation.delete()
    fact = instance.fact if isinstance(instance, Citation) else None
    instance._history_user = user
    instance._change_reason = reason or None
    instance.delete()
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
        default_change_reason=reason or None,
    )
    return len(facts)
