import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from factbase.snapshots.export import FORMATS, export_snapshot
from factbase.snapshots.package import SnapshotFileError


class Command(BaseCommand):
    help = (
        "Write a snapshot of the whole database: one CSV file per table (records, "
        "many-to-many links, history, and the users' ids and names), read in one "
        "transaction, described by a Frictionless datapackage.json. A ZIP by default, "
        "or a folder with --format dir. The same data always gives the same CSV bytes. "
        "See docs/snapshots.md."
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

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        per_table = verbosity >= 2 or (verbosity >= 1 and sys.stdout.isatty())

        def progress(table, rows, size, seconds):
            self.stdout.write(f"  {table:<40} {rows:>12,} rows {size:>15,} bytes {seconds:7.2f}s")

        try:
            summary = export_snapshot(
                options["out"],
                format=options["format"],
                using=options["database"],
                progress=progress if per_table else None,
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
