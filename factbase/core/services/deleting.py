"""Deleting records (with what they protect checked first) and changing facts' status."""

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, models, router, transaction
from django.db.models import ProtectedError
from django.db.models.deletion import Collector
from simple_history.utils import bulk_update_with_history

from ..choices import Status
from ..feed import hold, number_unnumbered
from ..models import Citation, TrackedModel
from ..reasons import reason_text
from . import clock
from .saving import fact_require_citation, version_listing


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
    instance: TrackedModel,
    *,
    user=None,
    reason: str = "",
    check_citations: bool = True,
    listing_versioned: bool = False,
) -> None:
    """Delete `instance` with its history record, and the rows the delete cascades to
    (a fact's citations, a company's aliases...), each with its own history record, so
    nothing disappears unrecorded. Deleting the last citation of a verified fact is
    refused (unless the caller checks it itself), and so is deleting a record that others
    list in a many-to-many field (ProtectedError).

    A row deleted on its own (a citation, a role: not one its listing record's write
    replaces, nor a change a mirror applies, which turn `check_citations` off) is a
    version of the record that lists it (version_listing), unless `listing_versioned`
    says the caller writes that version itself (a merge's undo)."""
    hold(instance._state.db or router.db_for_write(type(instance)))
    referrers = m2m_referrers(instance)
    if referrers:
        raise ProtectedError(
            f"{instance} is referred to by other records: remove it from them first.",
            set(referrers),
        )
    # Every row this delete removes is recorded at the same instant: that is how a
    # restore tells what went with the record from what was deleted on its own.
    with clock.one_instant() as moment:
        fact = instance.fact if isinstance(instance, Citation) else None
        if check_citations and not listing_versioned:
            version_listing(instance, user=user, reason=reason)
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
    """record_delete of each of `instances`, at one instant: the records whose answers
    list them (a person, for roles deleted from the list) get one version each."""
    instances = list(instances)
    with clock.one_instant():
        version_listing(*instances, user=user, reason=reason)
        for instance in instances:
            record_delete(instance, user=user, reason=reason, listing_versioned=True)
    return len(instances)


@transaction.atomic
def facts_set_status(queryset: models.QuerySet, *, status: str, user=None, reason: str = "") -> int:
    """Set the status of many facts at once: one history record per fact changed, in bulk;
    the number changed. A fact that has the status already is left alone (no version, no
    history record), as any write that changes nothing.

    Marking verified refuses the whole batch if any fact lacks a citation.
    """
    hold(queryset.db)
    model = queryset.model
    # Re-select by pk: the caller's queryset may carry annotations that FOR UPDATE refuses.
    selected = model.objects.select_for_update().filter(pk__in=queryset.values("pk"))
    facts = [fact for fact in selected if fact.status != status]
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
    with clock.one_instant() as now:
        # A role's or an investment's status shows in its person's or round's answer:
        # a version of each, once, before the rows (services.version_listing).
        version_listing(*facts, user=user, reason=reason)
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
            default_date=now,  # the instant the records say they were updated (time travel)
        )
    # Written in bulk, past the signal that numbers a version: numbered now, in this
    # transaction, so the change feed has them (factbase.core.feed).
    number_unnumbered(queryset.db)
    return len(facts)
