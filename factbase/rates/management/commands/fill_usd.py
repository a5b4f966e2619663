from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from factbase.core.quantities import format_money, format_number, format_quantity
from factbase.core.reasons import command_reason
from factbase.rates.conversion import MAX_DAYS_BACK
from factbase.rates.filling import Conversion, fill_usd, money_kinds

DEFAULT_REASON = "ECB reference rates"


class Command(BaseCommand):
    help = (
        "Fill the US dollar value of every money fact that has a value and a currency but "
        "none in US dollars, from the ECB reference rates loaded by load_rates: on the "
        "fact's own date (a round's announcement, a metric's period start; an investment's "
        "round's; else its earliest source's publication), or the last day before it with "
        f"a rate, at most {MAX_DAYS_BACK} days before. Facts without a date or a rate are "
        "skipped and listed. Every write goes through the services, with history. "
        "See docs/api.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print what would be filled; write nothing.",
        )
        parser.add_argument(
            "--kind",
            action="append",
            choices=[kind.name for kind in money_kinds()],
            help="Only this kind of record (may be given more than once; default: every "
            "kind that holds money).",
        )
        parser.add_argument(
            "--user",
            help="The username the changes are recorded under (default: none; the reason "
            "names the command).",
        )
        parser.add_argument(
            "--reason",
            default=DEFAULT_REASON,
            help=f"Why: the history says 'fill_usd: <reason>' (default {DEFAULT_REASON!r}).",
        )

    def handle(self, *args, **options):
        reason = command_reason("fill_usd", options["reason"])
        user = None
        if options["user"]:
            try:
                user = get_user_model()._default_manager.get_by_natural_key(options["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"--user: no user {options['user']!r}.") from None
        dry_run = options["dry_run"]

        def tell(conversion: Conversion) -> None:
            self.stdout.write(describe(conversion, dry_run=dry_run))

        try:
            report = fill_usd(
                kind_names=options["kind"], user=user, reason=reason, dry_run=dry_run, each=tell
            )
        except ValueError as error:  # a kind given by name to call_command, unparsed
            raise CommandError(f"--kind: {error}.") from error
        skipped = report.skipped
        why = ", ".join(f"{count} {cause}" for cause, count in sorted(skipped.items()))
        summary = (
            f"{report.filled.total()} {'would be filled' if dry_run else 'filled'}, "
            f"{skipped.total()} skipped{f' ({why})' if why else ''}, "
            f"{report.had_usd.total()} already had a US dollar value."
        )
        if dry_run:
            summary = f"Dry run, nothing written: {summary}"
        self.stdout.write(self.style.SUCCESS(summary) if not skipped else summary)


def describe(conversion: Conversion, *, dry_run: bool) -> str:
    """One line per fact: which, its value, the rate and its day, and the result."""
    fact = conversion.fact
    head = f"{conversion.kind.name} {fact.pk} ({fact}): "
    value = format_quantity(fact.value, fact.value_high, fact.qualifier, fact.currency)
    if conversion.skipped:
        return f"{head}{value} skipped: {conversion.problem}."
    rate = conversion.rate
    usd = format_number(conversion.value_usd)
    if conversion.high_usd is not None:
        usd = f"{usd}–{format_number(conversion.high_usd)}"
    dated = f"{conversion.on.isoformat()} ({conversion.dated_by})"
    return (
        f"{head}{value} × {format_number(rate.rate)} USD per {fact.currency} "
        f"(rate of {rate.day.isoformat()}, for {dated}) = {format_money(usd, 'USD')}"
        f"{' (dry run)' if dry_run else ''}"
    )
