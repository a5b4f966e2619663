"""Writes. Every create, update and delete of every record goes through these functions,
so each one is validated, stamped with who and when, and recorded in history, in one
transaction. The API, the admin and the management commands all call them.
"""

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.db.models import ProtectedError
from django.db.models.deletion import Collector
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from .choices import Status
from .models import Citation, FactModel, TrackedModel
from .reasons import reason_text


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
    check_citations: bool = True,
    expected_version: int | None = None,
    fields: Iterable[str] | None = None,
) -> TrackedModel:
    """Validate and save `instance` (create or update), with its history record. A record
    with its rows (citations, child lists) is written by `record_write`, on this.

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
    if check_citations:
        fact_require_citation(instance)
    return instance


class RecordInvalid(ValidationError):
    """A write refused. `errors` names every invalid field, by the model's field names, and
    for a list of child rows each row's errors (`{}` for a valid row), so one answer can
    name them all."""

    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__([f"{name}: {detail}" for name, detail in errors.items()] or ["Invalid."])


def error_dict(error: ValidationError) -> dict:
    """A ValidationError by field name; errors of the whole record as non_field_errors."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if key == "__all__" else key): value
            for key, value in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


@transaction.atomic
def record_write(
    instance: TrackedModel,
    *,
    fields: dict,
    m2m: dict | None = None,
    children: dict | None = None,
    user=None,
    reason: str = "",
    expected_version: int | None = None,
) -> TrackedModel:
    """Create or update `instance` with its rows, in one transaction, with history: the
    write of a record as the API and the demo loader make it.

    `fields` are the values to set (on an update, only those: the others are read again
    under the row lock); `m2m` the many-to-many lists to set; `children` the lists of rows
    written with the record (`citations`, or a reverse relation such as a partnership's
    `parties`), each row a dict of values, with `id` for a row to keep: a list given
    replaces the stored one (rows without an id are created, stored rows not listed are
    deleted; a row given as its `id` alone is kept unchanged). A verified fact must keep a
    citation once everything is written.

    Raises RecordInvalid naming every invalid field and row; nothing is written then. An
    invalid record's rows are still checked, so that one answer names them all."""
    m2m, children = m2m or {}, children or {}
    for name, value in fields.items():
        setattr(instance, name, value)
    try:
        record_save(
            instance,
            user=user,
            reason=reason,
            check_citations=False,
            expected_version=expected_version,
            fields=fields.keys(),
        )
    except ValidationError as error:
        errors = error_dict(error)
        errors.update(_rows_errors(instance, children, user=user, reason=reason))
        raise RecordInvalid(errors) from error
    for name, value in m2m.items():
        getattr(instance, name).set(value)
    errors = _rows_errors(instance, children, user=user, reason=reason)
    if errors:
        raise RecordInvalid(errors)
    try:
        fact_require_citation(instance)
    except ValidationError as error:
        raise RecordInvalid(error_dict(error)) from error
    return instance


def _rows_errors(parent, children: dict, *, user, reason) -> dict:
    errors = {}
    for name, rows in children.items():
        row_errors = _write_rows(parent, name, rows, user=user, reason=reason)
        if any(row_errors):
            errors[name] = row_errors
    return errors


def _write_rows(parent, name: str, rows, *, user, reason) -> list[dict]:
    """Replace the parent's rows of list `name` with `rows`; each row's errors, `{}` for a
    valid one. When the parent is unsaved (it is invalid), the rows are only validated,
    without the fields that would tie them to it."""
    if name == "citations":
        child_model, link = Citation, {"fact": parent}
        link_fields = ("content_type", "object_id")
    else:
        relation = parent._meta.get_field(name)
        child_model, link = relation.related_model, {relation.field.name: parent}
        # What a row takes from its parent (an investment: its round's company).
        inherited = getattr(child_model, "inherits_from_parent", ())
        link |= {key: getattr(parent, key) for key in inherited}
        link_fields = tuple(link)
    saving = not parent._state.adding
    existing = {}
    if saving:
        existing = {child.pk: child for child in getattr(parent, name).all()}
    errors, kept = [], set()
    for row in rows:
        row = dict(row)
        pk = row.pop("id", None)
        if pk is not None and pk not in existing:
            errors.append({"id": [f"No {child_model._meta.verbose_name} {pk} here."]})
            continue
        if pk is not None and not row:  # a row named by its id alone is kept as it is
            errors.append({})
            kept.add(pk)
            continue
        child = existing.get(pk) or child_model()
        for key, value in row.items():
            setattr(child, key, value)
        try:
            if saving:
                for key, value in link.items():
                    setattr(child, key, value)
                # A child fact (a role, an investment) obeys the citation rule too.
                record_save(child, user=user, reason=reason)
            else:
                child.full_clean(exclude=link_fields)
            errors.append({})
        except ValidationError as error:
            errors.append(error_dict(error))
        kept.add(child.pk)
    if saving and not any(errors):
        for pk, child in existing.items():
            if pk not in kept:
                record_delete(child, user=user, reason=reason, check_citations=False)
    return errors


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
