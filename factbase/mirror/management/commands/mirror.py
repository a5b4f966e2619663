import argparse
import os
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from factbase.mirror.client import Origin, OriginError
from factbase.mirror.errors import MirrorError
from factbase.mirror.following import PAGE, follow, record_error
from factbase.mirror.models import MirrorOrigin
from factbase.mirror.starting import is_empty, start

MIRROR_USER = "mirror"


def positive(kind):
    def read(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number above 0.")
        return value

    return read


class Command(BaseCommand):
    help = (
        "Keep this database a copy of another Factbase: an empty database first loads a "
        "snapshot of the origin, then applies the origin's change feed, change by change, "
        "through the services (history by the mirror's user, the reason naming the "
        "origin's author, time and reason). Polls every --interval seconds, or stops when "
        'caught up with --once. See docs/scaling.md, "Mirroring".'
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="origin",
            required=True,
            metavar="URL",
            help="The origin's address, such as https://facts.example.org.",
        )
        parser.add_argument(
            "--token",
            default=os.environ.get("MIRROR_TOKEN"),
            help="An API token of the origin (default: the MIRROR_TOKEN environment "
            "variable), sent with every request. An editor's lets an empty mirror ask the "
            "origin for a new snapshot instead of the newest it lists.",
        )
        parser.add_argument(
            "--once", action="store_true", help="Stop when caught up, instead of polling."
        )
        parser.add_argument(
            "--interval",
            type=positive(float),
            default=60.0,
            metavar="SECONDS",
            help="Seconds between two polls of the origin (default 60).",
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help=f"Whom the history here names for the changes applied (default "
            f"{MIRROR_USER!r}, created without a password if missing).",
        )
        parser.add_argument(
            "--page",
            type=positive(int),
            default=PAGE,
            metavar="N",
            help=f"Changes asked for at a time, each page applied in one transaction "
            f"(default {PAGE}; at most 1000, the origin's largest page).",
        )

    def handle(self, *args, **options):
        try:
            origin = Origin(options["origin"], options["token"])
        except ValueError as error:
            raise CommandError(f"--from: {error}") from error
        state = self.state(origin)
        user = self.user(options["user"])
        log = self.stdout.write if options["verbosity"] >= 1 else (lambda text: None)
        try:
            while True:
                try:
                    progress = follow(origin, state, user=user, page=options["page"], log=log)
                except (MirrorError, OriginError) as error:
                    record_error(state, str(error))
                    raise CommandError(str(error)) from error
                if progress.applied or options["once"]:
                    log(f"Caught up with {origin.url} at cursor {progress.cursor}.")
                if options["once"]:
                    return
                time.sleep(options["interval"])
        except KeyboardInterrupt:
            log(f"Stopped at cursor {state.cursor}.")

    def state(self, origin: Origin) -> MirrorOrigin:
        """Where this database left the origin's feed; a new mirror starts from a
        snapshot."""
        state = MirrorOrigin.objects.filter(url=origin.url).first()
        if state is not None:
            return state
        other = MirrorOrigin.objects.exclude(url=origin.url).first()
        if other is not None:
            raise CommandError(
                f"This database mirrors {other.url}, not {origin.url}: a database mirrors "
                "one origin."
            )
        if not is_empty():
            raise CommandError(
                "This database is not empty and mirrors nothing: a mirror starts in an "
                "empty database (created by `migrate` alone)."
            )
        try:
            return start(origin, log=self.stdout.write)
        except (MirrorError, OriginError) as error:
            raise CommandError(str(error)) from error

    def user(self, username: str | None):
        users = get_user_model()._default_manager
        if username is not None:
            found = users.filter(username=username).first()
            if found is None:
                raise CommandError(f"--user: there is no user {username!r} here.")
            return found
        found = users.filter(username=MIRROR_USER).first()
        if found is None:
            found = users.create_user(MIRROR_USER)  # no password: it never logs in
        return found
