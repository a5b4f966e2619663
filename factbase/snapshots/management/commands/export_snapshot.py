import argparse
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from factbase.core.asof import parse_moment
from factbase.snapshots.errors import SnapshotFileError
from factbase.snapshots.export import FORMATS, export_snapshot
from factbase.snapshots.store import snapshot_take


def as_of_time(text: str):
    try:
        moment = parse_moment(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    # A snapshot stamped with a moment yet to come would claim a state that later writes
    # contradict.
    if moment > timezone.now():
        raise argparse.ArgumentTypeError(f"{moment.isoformat()} has not happened yet.")
    return moment


class Command(BaseCommand):
    help = (
        "Write a snapshot of the whole database: one CSV file per table (records, "
        "many-to-many links, history, and the ids and names of the users they name), "
        "read in one transaction, described by a Frictionless datapackage.json. A ZIP by default, "
        "or a folder with --format dir. The same data always gives the same CSV bytes. "
        "With --save, the ZIP goes into the app's storage instead and is listed in the "
        "admin and the API. See docs/snapshots.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out",
            help="Where to write it (default: snapshots/factbase-<UTC time>.zip, or a "
            "folder of that name with --format dir).",
        )
        parser.add_argument(
            "--format", choices=FORMATS, default="zip", help="zip (default) or dir."
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="Database alias (default 'default')."
        )
        parser.add_argument(
            "--as-of",
            type=as_of_time,
            help="Write the snapshot of that instant (ISO 8601, UTC unless it has an offset): "
            "what a snapshot taken then would have held, read from the history.",
        )
        parser.add_argument(
            "--pseudonymise",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Write every username as user-<id> (the same id always gives the same "
            "name, so the same data still gives the same bytes). By default the snapshot "
            "holds the real usernames; with --save, the SNAPSHOT_PSEUDONYMISE setting "
            "decides (default false).",
        )
        parser.add_argument(
            "--save",
            action="store_true",
            help="Keep the snapshot in the app: the ZIP in the storage (the media folder "
            "unless STORAGES says otherwise) and a record listed in the admin and at "
            "/api/v1/snapshots/. Takes no --out and no --format dir.",
        )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        per_table = verbosity >= 2 or (verbosity >= 1 and sys.stdout.isatty())

        def progress(table, rows, size, seconds):
            self.stdout.write(f"  {table:<40} {rows:>12,} rows {size:>15,} bytes {seconds:7.2f}s")

        if options["save"] and options["as_of"]:
            raise CommandError("--save keeps snapshots of the present; --as-of needs --out.")
        if options["save"]:
            self.save(options, progress if per_table else None)
            return
        try:
            summary = export_snapshot(
                options["out"],
                format=options["format"],
                using=options["database"],
                progress=progress if per_table else None,
                as_of=options["as_of"],
                pseudonymise=bool(options["pseudonymise"]),
            )
        except (SnapshotFileError, OSError) as error:
            raise CommandError(f"The snapshot was not written: {error}") from error
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Snapshot written to {summary['path']}: {summary['tables']} tables, "
                    f"{summary['rows']:,} rows, {summary['bytes']:,} bytes, "
                    f"{summary['seconds']:.1f}s."
                )
            )
            if summary["sha256"]:
                self.stdout.write(f"SHA-256 {summary['sha256']}")

    def save(self, options, progress):
        if options["out"] or options["format"] != "zip":
            raise CommandError("--save stores a ZIP in the app's storage: no --out or --format.")
        if options["database"] != DEFAULT_DB_ALIAS:
            raise CommandError("--save records the snapshot in the default database only.")
        try:
            snapshot = snapshot_take(progress=progress, pseudonymise=options["pseudonymise"])
        except (SnapshotFileError, OSError) as error:
            raise CommandError(f"The snapshot was not saved: {error}") from error
        if options["verbosity"] >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Snapshot {snapshot.pk} saved to the storage as {snapshot.file.name}: "
                    f"{snapshot.tables} tables, {snapshot.rows:,} rows, {snapshot.size:,} "
                    f"bytes, {snapshot.seconds:.1f}s."
                )
            )
            self.stdout.write(f"SHA-256 {snapshot.sha256}")
