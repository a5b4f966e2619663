"""Every write of a subscription: validated, stamped with who and when, and entered in the
admin's log (LogEntry), whether it came from the admin or the API, so that the
subscription's history page in the admin tells who created, changed, replayed or
deleted it.

Only the fields a write changes are saved: the worker updates the delivery fields
(cursor, failures, state) of the same row at any time, and must not be overwritten with
what a form read earlier.
"""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from factbase.core.feed import last_number

from . import signing
from .models import Subscription

EDITABLE = ("target_url", "kinds", "active")


def _log(user, subscription: Subscription, flag: int, message: str) -> None:
    if user is None or not user.is_authenticated:
        return  # a command: nobody to name
    LogEntry.objects.log_actions(
        user.pk,
        Subscription.objects.filter(pk=subscription.pk),
        flag,
        change_message=message,
        single_object=True,
    )


def _check_secret(secret: str) -> None:
    try:
        signing.validate_secret(secret)
    except ValidationError as error:
        raise ValidationError({"secret": error.messages}) from error


def _clean(subscription: Subscription, fields) -> None:
    """The model's rules for the fields given (the others are the worker's)."""
    subscription.full_clean(
        exclude=[f.name for f in Subscription._meta.fields if f.name not in fields]
    )


def subscription_create(
    *, user, target_url: str, kinds=(), secret: str | None = None, active: bool = True
) -> tuple[Subscription, str]:
    """A new subscription, sent every change committed after this one; and its secret,
    to be shown once (made here when not given)."""
    if secret is None or secret == "":
        secret = signing.new_secret()
    _check_secret(secret)
    now, author = timezone.now(), _author(user)
    subscription = Subscription(
        target_url=target_url,
        kinds=list(kinds),
        secret=secret,
        active=active,
        created_at=now,
        created_by=author,
        updated_at=now,
        updated_by=author,
    )
    _clean(subscription, EDITABLE)
    with transaction.atomic():
        # The changes after the last one committed: whoever sees number n has seen every
        # change below it (factbase.core.feed), so none is skipped, none sent from before.
        subscription.cursor = last_number(DEFAULT_DB_ALIAS)
        subscription.save()
        _log(user, subscription, ADDITION, f"Created, from cursor {subscription.cursor}.")
    return subscription, secret


def subscription_update(subscription: Subscription, *, user, **changes) -> Subscription:
    """Change the target URL, the kinds, the active flag or the secret. A new target or
    a subscription made active again is tried at once, whatever the backoff said."""
    unknown = set(changes) - {*EDITABLE, "secret"}
    if unknown:
        raise ValidationError({name: ["Not a field of a subscription."] for name in unknown})
    if changes.get("secret") in (None, "") and "secret" in changes:
        del changes["secret"]  # none given: the secret stays
    if "secret" in changes:
        _check_secret(changes["secret"])
    with transaction.atomic():
        stored = Subscription.objects.select_for_update().get(pk=subscription.pk)
        changed = [name for name, value in changes.items() if getattr(stored, name) != value]
        if not changed:
            return stored
        for name in changed:
            setattr(stored, name, changes[name])
        _clean(stored, EDITABLE)
        saved = set(changed)
        if {"target_url", "active"} & saved:
            stored.next_attempt_at = None
            saved.add("next_attempt_at")
        stored.updated_at, stored.updated_by = timezone.now(), _author(user)
        stored.save(update_fields=[*sorted(saved), "updated_at", "updated_by"])
        shown = ["a new secret" if name == "secret" else name for name in changed]
        _log(user, stored, CHANGE, f"Changed {', '.join(shown)}.")
    return stored


def subscription_delete(subscription: Subscription, *, user) -> None:
    """Delete a subscription and its delivery log; nothing more is sent to it."""
    with transaction.atomic():
        _log(user, subscription, DELETION, "Deleted.")
        Subscription.objects.filter(pk=subscription.pk).delete()


def subscription_replay(subscription: Subscription, *, user, after: int) -> Subscription:
    """Send again every change after the cursor `after` (in order, from the next one):
    the subscription's cursor is set back (or forward) to it. Deliveries in flight are
    finished; the worker then goes on from the new cursor."""
    last = last_number(DEFAULT_DB_ALIAS)
    if not isinstance(after, int) or after < 0:
        raise ValidationError({"after": ["Give a cursor: a change's `cursor`, or 0."]})
    if after > last:
        raise ValidationError({"after": [f"No change has that cursor yet: the last is {last}."]})
    with transaction.atomic():
        stored = Subscription.objects.select_for_update().get(pk=subscription.pk)
        stored.cursor = after
        # A new series of delivery ids: a receiver that drops ids it has seen would drop
        # the replayed changes otherwise.
        stored.replays += 1
        stored.failures = 0
        stored.next_attempt_at = None
        stored.updated_at, stored.updated_by = timezone.now(), _author(user)
        stored.save(
            update_fields=[
                "cursor",
                "replays",
                "failures",
                "next_attempt_at",
                "updated_at",
                "updated_by",
            ]
        )
        _log(user, stored, CHANGE, f"Replay from cursor {after}.")
    return stored


def subscription_retry(subscription: Subscription, *, user) -> Subscription:
    """Try the waiting change now rather than when the backoff says."""
    with transaction.atomic():
        stored = Subscription.objects.select_for_update().get(pk=subscription.pk)
        stored.next_attempt_at = None
        stored.updated_at, stored.updated_by = timezone.now(), _author(user)
        stored.save(update_fields=["next_attempt_at", "updated_at", "updated_by"])
        _log(user, stored, CHANGE, "Retry now.")
    return stored


def _author(user):
    return user if user is not None and user.is_authenticated else None
