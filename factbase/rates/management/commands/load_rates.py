from django.core.management.base import BaseCommand, CommandError

from factbase.core.quantities import format_number
from factbase.rates.ecb import EcbFileError, read_rates_file
from factbase.rates.loading import load_rates
from factbase.rates.models import ECB_SOURCE


class Command(BaseCommand):
    help = (
        "Load the ECB's euro foreign exchange reference rates from a file downloaded from "
        "its website: eurofxref-hist.csv (every business day), eurofxref.csv (the latest "
        "day), or the ZIP either comes in. Adds the rates not stored yet and updates those "
        "the file gives otherwise; loading the same file again changes nothing. The file "
        "is checked whole first: a problem is reported with its line and column, and "
        "nothing is loaded. factbase/rates/data/ holds a small sample. See docs/api.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The rates file: a CSV or a ZIP holding one.")
        parser.add_argument(
            "--source",
            default=ECB_SOURCE,
            help=f"Where the rates come from, stored with each (default: {ECB_SOURCE!r}).",
        )

    def handle(self, *args, **options):
        try:
            rates = read_rates_file(options["file"])
        except EcbFileError as error:
            raise CommandError(f"{options['file']}: {error} Nothing was loaded.") from error
        try:
            result = load_rates(rates, source=options["source"])
        except ValueError as error:
            raise CommandError(f"--source: {error}.") from error
        days = sorted(rates.days)
        self.stdout.write(
            f"{rates.name}: {result.read:,} rates of {len(rates.currencies)} currencies over "
            f"{len(days)} days, {days[0].isoformat()} to {days[-1].isoformat()} "
            f"({rates.missing:,} cells without a rate, N/A)."
        )
        for change in result.changes:
            note = (
                f" (source: {change.new_source})" if change.old_source != change.new_source else ""
            )
            self.stdout.write(
                f"updated {change.currency} on {change.day.isoformat()}: "
                f"{format_number(change.old)} → {format_number(change.new)}{note}"
            )
        if not result.added and not result.updated:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Nothing changed: the {result.read:,} rates were already loaded."
                )
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.added:,} added, {result.updated:,} updated, "
                f"{result.unchanged:,} unchanged."
            )
        )
