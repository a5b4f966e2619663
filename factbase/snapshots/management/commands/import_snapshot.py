import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from factbase.snapshots.importer import import_snapshot
from factbase.snapshots.problems import SnapshotInvalid


class Command(BaseCommand):
    help = (
        "Load a snapshot (a ZIP or a folder written by export_snapshot) into an empty "
        "database. Everything is checked first (format, migrations, files, hashes, row "
        "counts, columns, types, keys, constraints); any problem is listed with its file, "
        "line and column, and nothing is written. The platforms and metric types that "
        "migrate seeds do not count as data: they are replaced by the snapshot's. "
        "See docs/snapshots.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The snapshot: a .zip file or a folder.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the snapshot; write nothing."
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete what the tables hold first (in the same transaction) and load the "
            "snapshot in its place.",
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="Database alias (default 'default')."
        )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        per_table = verbosity >= 2 or (verbosity >= 1 and sys.stdout.isatty())

        def progress(phase, table, rows, size, seconds):
            self.stdout.write(
                f"  {phase:<8} {table:<40} {rows:>12,} rows {size:>15,} bytes {seconds:7.2f}s"
            )

        try:
            report = import_snapshot(
                options["path"],
                using=options["database"],
                dry_run=options["dry_run"],
                replace=options["replace"],
                progress=progress if per_table else None,
            )
        except SnapshotInvalid as error:
            for problem in error.problems.lines():
                self.stderr.write(problem)
            raise CommandError(error.summary) from error
        if verbosity >= 1:
            for warning in report.warnings:
                self.stdout.write(self.style.WARNING(f"warning: {warning}"))
            if report.warning_count > len(report.warnings):
                more = report.warning_count - len(report.warnings)
                self.stdout.write(self.style.WARNING(f"... and {more:,} more warnings."))
            totals = (
                f"{report.tables} tables, {report.rows:,} rows, {report.bytes:,} bytes, "
                f"{report.seconds:.1f}s"
            )
            if report.dry_run:
                message = f"The snapshot is valid: {totals}. Nothing was written (--dry-run)."
            else:
                message = f"Snapshot loaded: {totals}."
                if report.users_created:
                    message += f" {report.users_created} users created (without a password)."
            self.stdout.write(self.style.SUCCESS(message))
