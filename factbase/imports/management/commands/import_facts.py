import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from factbase.imports.kinds import importable_kinds
from factbase.imports.reading import FORMATS, FileProblem, format_of
from factbase.imports.running import import_reason, run_import


class Command(BaseCommand):
    help = (
        "Import facts of one kind from a CSV or XLSX file with the columns of that kind's "
        "CSV export (plus citation_source and citation_quote), or from JSON lines (the "
        "fields of the API's POST body). Rows with an id update that record, others create "
        "one. Every row is validated and written through the services, with history; the "
        "whole file is one transaction: if any row fails, nothing is written and each "
        "failure is listed with its line and column (exit status 1). See docs/import.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The file: .csv, .xlsx, .jsonl (or give --format).")
        parser.add_argument(
            "--kind",
            required=True,
            choices=sorted(importable_kinds()),
            help="The kind of fact the file holds.",
        )
        parser.add_argument(
            "--format", choices=FORMATS, help="The file's format (default: from its extension)."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check and report every row; write nothing.",
        )
        parser.add_argument(
            "--user",
            help="The username the changes are recorded under (default: none).",
        )
        parser.add_argument(
            "--reason",
            default="",
            help="Why: the history says 'import <file name>: <reason>'.",
        )
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="Create the related records that rows name by a slug no record has "
            "(listed in the report), instead of refusing those rows.",
        )
        parser.add_argument(
            "--allow-duplicates",
            action="store_true",
            help="Create the companies, products or people whose name or an alias is close "
            "to a stored record's, instead of refusing those rows as likely duplicates.",
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help="Show rows done and rows a second on stderr (shown anyway on a terminal).",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            reason = import_reason(path.name, options["reason"])
        except ValidationError as error:
            raise CommandError(f"--reason: {' '.join(error.messages)}") from None
        user = None
        if options["user"]:
            model = get_user_model()
            try:
                user = model._default_manager.get_by_natural_key(options["user"])
            except model.DoesNotExist:
                raise CommandError(f"--user: no user {options['user']!r}.") from None
        try:
            file_format = format_of(path.name, options["format"])
        except FileProblem as problem:
            raise CommandError(str(problem)) from None
        try:
            stream = path.open("rb")
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        shows_progress = options["progress"] or sys.stderr.isatty()
        with stream:
            report = run_import(
                stream,
                kind=options["kind"],
                file_name=path.name,
                format=file_format,
                user=user,
                reason=reason,
                dry_run=options["dry_run"],
                create_missing=options["create_missing"],
                allow_duplicates=options["allow_duplicates"],
                progress=Progress(self.stderr) if shows_progress else None,
            )
        if shows_progress:
            self.stderr.write("")  # the end of the progress line
        for created in report.created:
            self.stdout.write(
                f"line {created.line}: created {created.kind} {created.label!r}"
                f"{'' if report.written else ' (undone)'}"
            )
        for line in report.error_lines():
            self.stderr.write(line)
        if report.truncated and report.failed:
            self.stderr.write(f"(the first {len(report.errors):,} rows refused are listed)")
        if report.failed:
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))


class Progress:
    """`12,000 rows, 850 rows/s` on one line of stderr, rewritten as rows go by."""

    def __init__(self, stream):
        self.stream = stream
        self.started = time.monotonic()

    def __call__(self, done: int) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        self.stream.write(f"\r{done:,} rows, {done / elapsed:,.0f} rows/s", ending="")
        self.stream.flush()
