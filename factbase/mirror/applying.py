"""Applying the origin's changes here, through the services, in the order of its feed.

- create: the record with the origin's id, so that later changes and references name the
  same record. A record the origin restored has history here too, ending in its delete:
  it comes back as that version held it (the mirror applied the same changes), with the
  fields the change lists. A new record has the fields the change lists and no others
  (a creation lists every field with a value).
- update: only the fields the change lists; many-to-many lists as given.
- delete: record_delete. The rows it cascades to (a fact's citations, a company's
  aliases) arrive as changes of their own; one whose row a delete here already took is
  done.

Each change is applied on its own, where the origin wrote several in one transaction:
between two of them a rule that holds at every commit may not hold yet. The services
leave the citation rule (a verified fact keeps a citation) to the caller in record_save
and record_delete, and the mirror leaves it to the origin, which checked it at its
commit. record_write, which sets many-to-many lists, checks it: a verified fact written
with its lists before its citations (as the origin writes a new fact, or restores one)
gets the citation its write created first (`_cite_first`).
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import DatabaseError

from factbase.core.choices import Status
from factbase.core.models import Citation, FactModel
from factbase.core.services import error_dict, record_delete, record_save, record_write

from .changes import Change
from .errors import MirrorError
from .reasons import mirror_reason
from .values import empty_value


class NeedMore(Exception):
    """The write a change belongs to goes on past the changes read so far."""


class Refused(Exception):
    """This database cannot take the change as it stands."""


class Applier:
    """Applies a page of changes, in order, as the mirror's `user`."""

    def __init__(self, *, user):
        self.user = user

    def apply_all(self, changes: list[Change], *, complete: bool) -> None:
        """Apply `changes`, in the caller's transaction. `complete`: nothing follows them
        in the feed yet, so the last write among them is whole; otherwise NeedMore says
        when one needs the changes after them."""
        self.changes = changes
        self.complete = complete
        self.applied: set[int] = set()  # cursors
        for index, change in enumerate(changes):
            if change.cursor not in self.applied:
                self._apply(index)

    def _apply(self, index: int) -> None:
        change = self.changes[index]
        self.applied.add(change.cursor)
        try:
            {"create": self._create, "update": self._update, "delete": self._delete}[change.action](
                change, index
            )
        except (Refused, ValidationError, ObjectDoesNotExist, DatabaseError) as error:
            raise MirrorError(f"{change} cannot be applied here: {_say(error)}") from error

    # --- the three actions -------------------------------------------------------------

    def _create(self, change: Change, index: int) -> None:
        model = change.model
        if model._default_manager.filter(pk=change.pk).exists():
            raise Refused("a record with this id is here already.")
        instance = model(pk=change.pk)
        last = _last_version(model, change.pk)
        for field in _editable_fields(model):
            value = getattr(last, field.attname) if last is not None else empty_value(field)
            setattr(instance, field.attname, value)
        for attname, value in change.values.items():
            setattr(instance, attname, value)
        self._write(instance, change, index)

    def _update(self, change: Change, index: int) -> None:
        instance = change.model._default_manager.filter(pk=change.pk).first()
        if instance is None:
            raise Refused("there is no such record here.")
        if not change.values and not change.lists:
            return  # a version of what the services stamp (its version, its time) alone
        for attname, value in change.values.items():
            setattr(instance, attname, value)
        self._write(instance, change, index)

    def _delete(self, change: Change, index: int) -> None:
        instance = change.model._default_manager.filter(pk=change.pk).first()
        if instance is None:
            last = _last_version(change.model, change.pk)
            if last is not None and last.history_type == "-":
                return  # deleted here with the record whose delete cascaded to it
            raise Refused("there is no such record here.")
        record_delete(
            instance, user=self.user, reason=mirror_reason(change.entry), check_citations=False
        )

    def _write(self, instance, change: Change, index: int) -> None:
        reason = mirror_reason(change.entry)
        if change.lists:
            created = instance._state.adding
            if not created:
                self._cite_first(instance, index)
            # A record created with its lists is one version, which its citations and rows
            # follow in the feed: they need it to be there, as on the origin, which wrote
            # them with it.
            record_write(
                instance,
                fields=change.values,
                m2m=change.lists,
                user=self.user,
                reason=reason,
                rows_follow=created,
            )
        else:
            record_save(
                instance,
                user=self.user,
                reason=reason,
                check_citations=False,
                fields=None if instance._state.adding else list(change.values),
            )

    def _cite_first(self, instance, index: int) -> None:
        """Before record_write checks that a verified fact has a citation: if it has none
        here yet, apply the first citation of it that the same write (the changes that
        follow with the same author and reason) creates."""
        if not isinstance(instance, FactModel) or instance.status != Status.VERIFIED:
            return
        if (
            not instance._state.adding
            and Citation.objects.filter(
                content_type=ContentType.objects.get_for_model(instance), object_id=instance.pk
            ).exists()
        ):
            return
        change = self.changes[index]
        fact = (instance._meta.model_name, instance.pk)
        for later in range(index + 1, len(self.changes)):
            other = self.changes[later]
            if other.author != change.author:
                return  # that write ended without one: record_write says what is wrong
            if (
                other.model is Citation
                and other.action == "create"
                and other.fact == fact
                and other.cursor not in self.applied
            ):
                self._apply(later)
                return
        if not self.complete:
            raise NeedMore


def _editable_fields(model) -> list:
    """The fields a change lists: what the services stamp or derive is theirs."""
    return [f for f in model._meta.concrete_fields if f.editable and not f.primary_key]


def _last_version(model, pk):
    """The last history row of record `pk` here, or None if it never was here."""
    return model.history.filter(id=pk).order_by("-history_date", "-history_id").first()


def _say(error: Exception) -> str:
    """An error as one line: each invalid field with what is wrong with it."""
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{name}: {' '.join(str(message) for message in messages)}"
            if name != "non_field_errors"
            else " ".join(str(message) for message in messages)
            for name, messages in error_dict(error).items()
        )
    if error.args and isinstance(error.args[0], str):
        return error.args[0]
    return str(error)
