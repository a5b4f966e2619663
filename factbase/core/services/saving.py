"""Saving one record: validated, stamped with who and when, versioned, with history."""

import datetime
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connections, models, router, transaction

from ..choices import Status
from ..feed import hold, recorder_of
from ..kinds import kind_of
from ..models import Citation, FactModel, TrackedModel
from ..reasons import reason_text
from . import clock


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
    now = clock.now()
    if instance._state.adding:
        instance.created_at = now
        instance.created_by = user
        instance.version = 1
    else:
        instance.version += 1
    instance.updated_at = now
    instance.updated_by = user
    # The history row carries the same instant as the record: `as_of=<updated_at>` shows
    # this version (simple-history would stamp its own, a few milliseconds later).
    instance._history_date = now
    instance._history_user = user
    instance._change_reason = reason_text(reason) or None


def fact_require_citation(fact: models.Model) -> None:
    """A fact can only be marked verified with at least one citation."""
    # Asked of the database, not `fact.citations`: a fact read with its citations
    # prefetched would answer from the list it had before this write. A fact not saved
    # yet has none.
    if (
        isinstance(fact, FactModel)
        and fact.status == Status.VERIFIED
        and (
            fact.pk is None
            or not Citation.objects.filter(
                content_type=ContentType.objects.get_for_model(fact), object_id=fact.pk
            ).exists()
        )
    ):
        raise ValidationError(
            {"status": "A fact cannot be verified without at least one citation."}
        )


def citation_leaves_verified_fact(citation: Citation) -> ValidationError | None:
    """The refusal of a stored citation moved to another fact when it is the only
    citation of the verified fact it cited, which would be left verified without one;
    None otherwise. Asked by the citation's own writes (the API, its admin page), not by a
    merge, which moves every citation of a record it then deletes."""
    stored = citation._stored_values()
    before = (stored.get("content_type_id"), stored.get("object_id"))
    if citation._state.adding or None in before:
        return None
    if before == (citation.content_type_id, citation.object_id):
        return None
    model = ContentType.objects.get_for_id(before[0]).model_class()
    fact = model._default_manager.filter(pk=before[1]).first() if model else None
    if getattr(fact, "status", None) != Status.VERIFIED:
        return None
    cited = Citation.objects.filter(content_type_id=before[0], object_id=before[1])
    if cited.exclude(pk=citation.pk).exists():
        return None
    return ValidationError(
        {
            "object_id": f"This is the only citation of {fact}, which is verified: cite "
            "another source for it, or mark it unverified, before moving this one."
        }
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
    locked: bool = False,
) -> TrackedModel:
    """Validate and save `instance` (create or update), with its history record. A record
    with its rows (citations, child lists) is written by `record_write`, on this.

    `expected_version`, when given, is the version the caller read: if the stored row
    has moved on, VersionConflict is raised and nothing is written. `fields`, when given,
    names the only fields the caller changed: every other field is taken from the row
    read under the lock, so a writer that read the record earlier does not put back
    values that another writer changed since. `locked` says the caller read `instance`
    with select_for_update in this transaction (the API's update does): its row is then
    the one under the lock, and is not read again. `check_citations` is turned off only
    by callers that validate and save the citations themselves right after, in the same
    transaction (the admin's inline formset).
    """
    hold(instance._state.db or router.db_for_write(type(instance)))
    return _save(
        instance,
        user=user,
        reason=reason,
        check_citations=check_citations,
        expected_version=expected_version,
        fields=fields,
        current=instance if locked else None,
    )


@transaction.atomic
def record_version(instance: TrackedModel, *, user=None, reason: str = "") -> TrackedModel:
    """A version of the stored record `instance` that changes nothing of its own, for a
    caller that writes rows its answer shows in the same transaction and instant (a merge
    moves the merged record's aliases to the kept one, a role to another company; its undo
    moves them back): the record's version and ETag move with its answer, and its history
    lists those rows. Read again under its lock; not validated, as nothing of it changes
    (a record stored before a rule was tightened would otherwise refuse the merge).
    Returns the record as written."""
    hold(instance._state.db or router.db_for_write(type(instance)))
    current = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    _write(current, user=user, reason=reason)
    return current


def listing_link(model: type[models.Model]) -> str | None:
    """The field of a `model` row that names the record whose answer lists it among its
    rows (a citation: its fact's id; a role: its person), or None for a record no other
    lists so."""
    if issubclass(model, Citation):
        return "object_id"
    kind = kind_of(model)
    return kind.parent if kind is not None else None


def listing_record(row: models.Model, values: dict | None = None) -> tuple | None:
    """The record, as (model, id), whose answer lists `row` among its rows, by the row's
    values `values` (by attname: what is stored, say), or by its own when None; None if
    no record lists it."""
    link = listing_link(type(row))
    if link is None:
        return None
    values = row.__dict__ if values is None else values
    if isinstance(row, Citation):
        content_type, pk = values.get("content_type_id"), values.get("object_id")
        if content_type is None or pk is None:
            return None
        return ContentType.objects.get_for_id(content_type).model_class(), pk
    field = row._meta.get_field(link)
    pk = values.get(field.attname)
    return (field.related_model, pk) if pk is not None else None


def version_listing(*rows: TrackedModel, user=None, reason: str = "") -> None:
    """A version (record_version) of each record whose answer lists one of `rows` among
    its rows (a fact its citations, a person its roles, a round its investments), and of
    the one that listed it before, if it moved, for rows written or deleted on their own:
    that record's version and ETag move with its answer, and a writer holding its older
    ETag cannot replace the list without seeing the new row. Each record once, however
    many of its rows (a status set on many roles of one person: one version of the
    person), and once for a whole one_version_per_listing block. Called before the rows'
    own writes, at their instant, so that the listing record's version is the one that
    lists them. Not for rows written as part of their listing record's own write, which
    is that record's version."""
    listing = set()
    for row in rows:
        listing |= {listing_record(row, row._stored_values()), listing_record(row)} - {None}
    block = _block_instant.get()
    for model, pk in sorted(listing, key=lambda pair: (pair[0]._meta.label, pair[1])):
        if block is not None and _updated_at_held(model, pk) == block:
            continue  # it has a version at this instant already, which lists the row
        try:
            record_version(model(pk=pk), user=user, reason=reason)
        except ObjectDoesNotExist:
            continue  # a row of a record deleted since: no record to version


_block_instant: ContextVar[datetime.datetime | None] = ContextVar("block", default=None)


@contextmanager
def one_version_per_listing(using: str) -> Iterator[None]:
    """One transaction of many writes of rows on their own (an import of investments,
    fill_usd), recorded at one instant, in which a record listing some of those rows
    (their round) gets one version for all of them rather than one a row
    (version_listing): the first version it gets in the block, its own write or the one
    its first row gives it, lists every row of the instant (the API's history reads a
    version's rows by its instant). Its ETag moves once: as the rows commit together, no
    reader holds an ETag taken between two of them. Whether a record has its version
    already is read from the record itself (`updated_at` is the block's instant), so a
    version undone with the savepoint of a refused row is written again for the next row.

    Entered once the transaction holds the change clock (feed.batch), so that the
    instant is taken where writers queue, as record_write takes its own. Inside an
    instant set around it (`clock.writing_at`: the demo's past), which a record may hold
    from an earlier transaction, it changes nothing: each row versions its record."""
    if not connections[using].in_atomic_block:
        raise RuntimeError("one_version_per_listing needs a transaction open around it")
    if clock.fixed() is not None:
        yield
        return
    with clock.one_instant() as instant:
        token = _block_instant.set(instant)
        try:
            yield
        finally:
            _block_instant.reset(token)


def written_in_block(record: TrackedModel) -> bool:
    """Whether `record`, as read, was written in the enclosing one_version_per_listing
    block (an import: by an earlier row of the file)."""
    block = _block_instant.get()
    return block is not None and record.updated_at == block


def _updated_at_held(model: type[TrackedModel], pk) -> datetime.datetime | None:
    """When a record was last written, read under its lock, as record_version reads it."""
    hold(router.db_for_write(model))
    return (
        model._default_manager.select_for_update()
        .filter(pk=pk)
        .values_list("updated_at", flat=True)
        .first()
    )


def _save(
    instance: TrackedModel,
    *,
    user,
    reason: str,
    check_citations: bool = True,
    expected_version: int | None = None,
    fields: Iterable[str] | None = None,
    current: TrackedModel | None = None,
    write: bool = True,
) -> TrackedModel:
    """record_save, in the caller's transaction; `current` is the row if the caller read
    it under its lock (`instance` itself, or a fresher read of it). Everything that can
    refuse the write is asked before anything is written (saving a fact does not change
    its citations, so the citation rule is asked first too): a caller that goes on after
    a refusal, as record_write does to name every invalid row, needs no savepoint to undo
    a write. With `write` false the record is only checked: the caller writes it with
    _write, once it knows the write changes something."""
    if not instance._state.adding:
        current = _under_lock(instance, fields, current)
        if expected_version is not None and current.version != expected_version:
            raise VersionConflict(instance, current.version)
        instance.version = current.version
    instance.full_clean()
    if check_citations:
        fact_require_citation(instance)
    if write:
        _write(instance, user=user, reason=reason)
    return instance


def _write(instance: TrackedModel, *, user, reason: str, m2m: dict | None = None) -> None:
    """Stamp and save `instance`, checked by _save, with its history row; and set its
    many-to-many lists `m2m` (name: records or ids) in the same version."""
    _stamp(instance, user=user, reason=reason)
    if not m2m:
        instance.save()
        return
    save_with_lists(instance, m2m)


def save_with_lists(instance: TrackedModel, m2m: dict, **save) -> None:
    """Save `instance` and set its many-to-many lists with one history row, written once
    the lists are set, which holds them. simple-history writes one for the save, then one
    more for each list's removals and each list's additions: several rows of one version,
    each showing a state never stored (a list emptied before it is filled)."""
    created = instance._state.adding or save.get("force_insert", False)
    instance.skip_history_when_saving = True
    try:
        instance.save(**save)
        for name, value in m2m.items():
            getattr(instance, name).set(value)
    finally:
        del instance.skip_history_when_saving
    recorder_of(type(instance)).create_historical_record(
        instance, "+" if created else "~", using=instance._state.db
    )


# What a write stamps (_stamp), not what it changes: the fields of TrackedModel itself.
STAMPED_FIELDS = frozenset(field.name for field in TrackedModel._meta.fields)


def holds_stored_row(instance: TrackedModel) -> bool:
    """Every field of the stored `instance` but those a write stamps holds the value of
    the row as read (under the lock, by _save): saving it would change nothing."""
    unchanged = instance.unchanged_fields()
    return bool(unchanged) and all(
        field.name in unchanged
        for field in instance._meta.concrete_fields
        if field.name not in STAMPED_FIELDS
    )


def _under_lock(instance: TrackedModel, fields, current: TrackedModel | None) -> TrackedModel:
    """The stored row of `instance` under its lock: `current`, or read now. The fields the
    caller did not change (all but those named in `fields`, when given) are taken from it."""
    if current is None:
        current = type(instance).objects.select_for_update().get(pk=instance.pk)
    if current is instance:
        return current
    if fields is not None:
        changed = set(fields)
        for field in instance._meta.concrete_fields:
            if field.name not in changed and field.attname not in changed:
                setattr(instance, field.attname, getattr(current, field.attname))
    # What full_clean() counts as unchanged is what the row holds under the lock.
    instance.take_stored_row(current)
    return current


class RecordInvalid(ValidationError):
    """A write refused. `errors` names every invalid field, by the model's field names, and
    for a list of child rows each row's errors (`{}` for a valid row), so one answer can
    name them all."""

    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__(
            [f"{name}: {_as_text(detail)}" for name, detail in errors.items()] or ["Invalid."]
        )


def _as_text(detail) -> str:
    """A field's errors as words (an admin message shows them), not a Python list; a
    list's rows as "row N: ..." for each invalid one."""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, dict):
        return "; ".join(f"{name}: {_as_text(value)}" for name, value in detail.items())
    if isinstance(detail, list | tuple):
        if all(isinstance(item, dict) for item in detail):
            return "; ".join(
                f"row {index + 1}: {_as_text(item)}" for index, item in enumerate(detail) if item
            )
        return " ".join(_as_text(item) for item in detail)
    return str(detail)


def error_dict(error: ValidationError) -> dict:
    """A ValidationError by field name; errors of the whole record as non_field_errors."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if key == "__all__" else key): value
            for key, value in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}
