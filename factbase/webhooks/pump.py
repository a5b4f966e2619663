"""A subscription's deliveries: its changes in cursor order, one at a time, each until it
is delivered.

One worker at a time delivers for a subscription: it holds the subscription's claim (a
random id and a time it runs out, `claim`, `claimed_until`) and extends it before each
attempt. A claim is taken with a conditional UPDATE, which every database makes atomic;
a worker that dies lets go when its claim runs out, and the change it was sending is sent
again (at least once). The cursor moves only past a change that was delivered (or that is
not of the subscription's kinds), by an UPDATE conditional on the cursor and the replay
count the worker read: a replay made meanwhile is never undone.

A failed attempt sets the next attempt after an exponential backoff and ends the run; the
dispatcher (factbase.webhooks.queue) hands the subscription to a worker again when that
time comes. So a failing receiver holds back its own subscription and no other, and
occupies no worker while it waits.
"""

import time
import uuid
from datetime import timedelta

from django.db import IntegrityError
from django.db.models import F, Q
from django.utils import timezone

from factbase.api.renderers import JSONRenderer
from factbase.core.feed import last_number

from . import changes, conf, sending, signing
from .models import DeliveryAttempt, Outcome, State, Subscription

BATCH = 100  # changes read at once
RUN_SECONDS = 60  # a run then ends, and the dispatcher hands the rest to a worker again
DELIVERY_IDS = uuid.UUID("6f0b9e0c-55a7-4d1c-9a39-3f0f5a8f3c21")  # their uuid5 namespace


def delivery_id(subscription: Subscription, cursor: int) -> uuid.UUID:
    """The same for every attempt at one change; new with each replay."""
    return uuid.uuid5(DELIVERY_IDS, f"{subscription.pk}:{subscription.replays}:{cursor}")


def payload(subscription: Subscription, entry: dict) -> tuple[bytes, uuid.UUID]:
    """The feed's entry, with the subscription and the delivery id, as the API's JSON."""
    delivery = delivery_id(subscription, int(entry["cursor"]))
    body = {**entry, "subscription": subscription.pk, "delivery": str(delivery)}
    return JSONRenderer().render(body), delivery


# --- claims ----------------------------------------------------------------------------


def _free(now) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def claim_due() -> list[tuple[int, uuid.UUID]]:
    """Claim every active subscription with changes after its cursor whose next attempt
    is due and that no worker holds; the claims, to hand to workers."""
    now = timezone.now()
    due = Subscription.objects.filter(
        _free(now),
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        active=True,
        cursor__lt=last_number("default"),
    ).values_list("pk", flat=True)
    claimed = []
    until = now + timedelta(seconds=conf.claim_seconds())
    for pk in due:
        claim = uuid.uuid4()
        if Subscription.objects.filter(_free(now), pk=pk).update(claim=claim, claimed_until=until):
            claimed.append((pk, claim))
    return claimed


def _held(pk: int, claim: uuid.UUID) -> Subscription | None:
    """The subscription read again, its claim extended; None when the claim was lost
    (run out and taken by another worker) or the subscription deleted."""
    until = timezone.now() + timedelta(seconds=conf.claim_seconds())
    if not Subscription.objects.filter(pk=pk, claim=claim).update(claimed_until=until):
        return None
    return Subscription.objects.filter(pk=pk).first()


def _release(pk: int, claim: uuid.UUID) -> None:
    Subscription.objects.filter(pk=pk, claim=claim).update(claim=None, claimed_until=None)


def _unchanged(subscription: Subscription):
    """The subscription as the worker read it: no replay since."""
    return Subscription.objects.filter(
        pk=subscription.pk, cursor=subscription.cursor, replays=subscription.replays
    )


# --- a run -----------------------------------------------------------------------------


def run(pk: int, claim: uuid.UUID) -> None:
    """Deliver the subscription's changes in order until it is up to date, an attempt
    fails, or the run has lasted RUN_SECONDS."""
    deadline = time.monotonic() + RUN_SECONDS
    try:
        while time.monotonic() < deadline:
            subscription = _held(pk, claim)
            if subscription is None or not _ready(subscription):
                return
            batch = changes.pending(subscription, BATCH)
            for entry in batch.entries:
                delivered = attempt(subscription, entry)
                subscription = _held(pk, claim)
                if not delivered or subscription is None or not _ready(subscription):
                    return
                if subscription.cursor != int(entry["cursor"]):
                    break  # replayed meanwhile: read again from the new cursor
            else:
                if batch.upto > subscription.cursor:
                    _unchanged(subscription).update(cursor=batch.upto)
                if batch.complete:
                    return
    finally:
        _release(pk, claim)


def _ready(subscription: Subscription) -> bool:
    waiting = subscription.next_attempt_at and subscription.next_attempt_at > timezone.now()
    return subscription.active and not waiting


def _log(subscription, entry, delivery, at, result) -> None:
    DeliveryAttempt.objects.create(
        subscription=subscription,
        delivery=delivery,
        cursor=int(entry["cursor"]),
        kind=entry["kind"],
        record_id=entry["id"],
        action=entry["action"],
        attempt=subscription.failures + 1,
        at=at,
        outcome=Outcome.DELIVERED if result.delivered else Outcome.FAILED,
        status_code=result.status_code,
        error=result.error,
        duration_ms=result.duration_ms,
    )


def attempt(subscription: Subscription, entry: dict) -> bool:
    """POST one change, log the attempt, and move the cursor past it if delivered, or
    set the next attempt; whether it was delivered."""
    body, delivery = payload(subscription, entry)
    headers = {**signing.headers(subscription.secret, body), signing.DELIVERY_HEADER: str(delivery)}
    at = timezone.now()
    result = sending.post(
        subscription.target_url, body, headers, conf.get("WEBHOOKS_TIMEOUT_SECONDS")
    )
    cursor = int(entry["cursor"])
    try:
        _log(subscription, entry, delivery, at, result)
    except IntegrityError:
        return False  # the subscription was deleted meanwhile: nothing more to do
    if result.delivered:
        _unchanged(subscription).update(
            cursor=cursor,
            failures=0,
            state=State.OK,
            next_attempt_at=None,
            last_error="",
            last_delivered_at=timezone.now(),
        )
        return True
    failures = subscription.failures + 1
    failing = failures >= conf.get("WEBHOOKS_FAILING_AFTER")
    _unchanged(subscription).update(
        failures=F("failures") + 1,
        state=State.FAILING if failing else subscription.state,
        next_attempt_at=timezone.now() + timedelta(seconds=conf.retry_delay(failures)),
        last_error=result.error or f"HTTP {result.status_code}",
    )
    return False
