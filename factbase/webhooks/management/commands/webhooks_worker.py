"""`manage.py webhooks_worker`: the process that delivers webhooks."""

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Deliver webhooks: a Celery worker on WEBHOOKS_BROKER_URL (Redis), with the "
        "scheduler that looks at the change feed every WEBHOOKS_POLL_SECONDS. Run one or "
        "more; each subscription is delivered by one worker at a time. Stop it with "
        "SIGTERM (or Ctrl-C): the deliveries under way finish first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--concurrency",
            type=int,
            default=2,
            help="Processes delivering at once (default 2): how many subscriptions can "
            "wait on slow receivers before the others wait too.",
        )
        parser.add_argument("--loglevel", default="INFO", help="DEBUG, INFO (default), WARNING.")

    def handle(self, *args, concurrency, loglevel, **options):
        from factbase.webhooks.queue import app

        app.worker_main(
            [
                "worker",
                "--beat",
                # The schedule is two intervals, nothing to keep between runs: held in
                # memory, no file for beat to write.
                "--scheduler=celery.beat:Scheduler",
                f"--concurrency={concurrency}",
                f"--loglevel={loglevel}",
                f"--queues={settings.WEBHOOKS_QUEUE}",
                "--hostname=webhooks@%h",
                "--without-gossip",
                "--without-mingle",
            ]
        )
