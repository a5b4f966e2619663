"""The worker's queue: Celery on Redis (WEBHOOKS_BROKER_URL). docs/scaling.md says why
Celery rather than a queue in PostgreSQL.

Three tasks. `dispatch`, sent by the scheduler (Celery beat, run inside each worker) every
WEBHOOKS_POLL_SECONDS, reads which subscriptions have changes to deliver and are due, and
claims each for a `pump` task, which delivers its changes in order (factbase.webhooks.pump).
`prune` empties the delivery log of old attempts, hourly.

Changes reach the queue by this reading of the feed, not by a message sent when a write
commits: the web process never talks to the broker, so a write never waits for it nor
fails with it, and a message lost (a broker restarted, a worker killed) loses nothing,
since the next look at the feed finds the same changes still after the same cursors.
Several workers, each with its scheduler, are safe: a subscription is claimed by one.
"""

from datetime import timedelta

from celery import Celery
from django.conf import settings
from django.utils import timezone

from . import conf, pump

app = Celery("factbase.webhooks")
_poll = conf.get("WEBHOOKS_POLL_SECONDS")
app.conf.update(
    broker_url=settings.WEBHOOKS_BROKER_URL,
    broker_connection_retry_on_startup=True,
    task_default_queue=settings.WEBHOOKS_QUEUE,
    task_ignore_result=True,
    # One message at a time per worker process: a pump can take long, and the messages
    # behind it are better taken by a free process.
    worker_prefetch_multiplier=1,
    # Nothing is asked of a running worker: no remote-control queue to keep in Redis.
    worker_enable_remote_control=False,
    timezone="UTC",
    beat_schedule={
        "dispatch": {
            "task": "webhooks.dispatch",
            "schedule": _poll,
            # A look at the feed that waited past the next one is useless: dropped.
            "options": {"expires": max(5 * _poll, 5.0)},
        },
        "prune": {"task": "webhooks.prune", "schedule": 3600.0},
    },
)


@app.task(name="webhooks.dispatch")
def dispatch() -> int:
    claimed = pump.claim_due()
    for pk, claim in claimed:
        deliver.delay(pk, str(claim))
    return len(claimed)


@app.task(name="webhooks.pump")
def deliver(subscription_id: int, claim: str) -> None:
    import uuid

    pump.run(subscription_id, uuid.UUID(claim))


@app.task(name="webhooks.prune")
def prune() -> int:
    from .models import DeliveryAttempt

    before = timezone.now() - timedelta(days=conf.get("WEBHOOKS_LOG_DAYS"))
    deleted, _ = DeliveryAttempt.objects.filter(at__lt=before).delete()
    return deleted
