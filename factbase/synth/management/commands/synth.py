from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from factbase.core.reasons import command_reason
from factbase.synth.run import generate
from factbase.synth.sizes import Sizes, SynthError


def count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Generate synthetic companies, products, people, sources, metrics and the other "
        "records, with citations and history, for benchmarks. The same options and seed "
        "on the same database give the same rows. Rows are always appended: ids start "
        "after the largest id in use in each table and slugs and URLs carry the id, so "
        "running it again adds another set rather than failing. History rows have the "
        "change reason 'synth'. Needs the platforms and metric types that migrate creates."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="Database alias (default 'default')."
        )
        parser.add_argument("--companies", type=count, default=1000, help="Default 1000.")
        parser.add_argument("--metrics", type=count, default=10_000, help="Default 10000.")
        parser.add_argument("--products", type=count, help="Default: 2 per company.")
        parser.add_argument("--people", type=count, help="Default: 1 per company.")
        parser.add_argument(
            "--sources", type=count, help="Default: 1 per 4 metrics plus 1 per 2 companies."
        )
        parser.add_argument("--partnerships", type=count, help="Default: 1 per 2 companies.")
        parser.add_argument("--funding-rounds", type=count, help="Default: 1 per company.")
        parser.add_argument("--events", type=count, help="Default: 1 per 5 companies.")
        parser.add_argument(
            "--reason",
            default="",
            help="Why you run it: the history rows say 'synth: <reason>' instead of 'synth'.",
        )
        parser.add_argument(
            "--citations-per-fact",
            type=float,
            default=1.0,
            help="Average citations per fact (default 1). Every metric has at least one.",
        )
        parser.add_argument(
            "--metric-versions",
            type=count,
            default=1,
            help="Versions of each metric in its history (default 1: as created). Each "
            "later version changes the note, 30 days after the one before.",
        )

    def handle(self, *args, **options):
        sizes = Sizes(
            companies=options["companies"],
            metrics=options["metrics"],
            products=options["products"],
            people=options["people"],
            sources=options["sources"],
            partnerships=options["partnerships"],
            funding_rounds=options["funding_rounds"],
            events=options["events"],
            citations_per_fact=options["citations_per_fact"],
            metric_versions=options["metric_versions"],
        )
        verbose = options["verbosity"] > 0
        try:
            report = generate(
                sizes,
                seed=options["seed"],
                log=self.stdout.write if verbose else None,
                using=options["database"],
                reason=command_reason("synth", options["reason"]),
            )
        except SynthError as error:
            raise CommandError(str(error)) from error
        if not verbose:
            return
        width = max((len(table) for table in report.rows), default=0)
        for table, rows in sorted(report.rows.items()):
            self.stdout.write(f"  {table:<{width}}  {rows:>10,}")
        total = sum(report.rows.values())
        self.stdout.write(
            self.style.SUCCESS(f"{total:,} rows in {report.seconds:.1f}s (seed {options['seed']}).")
        )
