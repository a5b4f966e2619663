from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from factbase.core.reasons import command_reason
from factbase.demo import data
from factbase.demo.loader import DemoDataError, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo dataset: two news articles about Mistral AI and Le Chat, and the facts "
        "they state, each with its citations. On a fresh database it is recorded at its own "
        "dates in February and March 2025 (a correction, a delete, an open conflict "
        "included). Creates only what is missing, so running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reason",
            default="",
            help="Why you run it: the history says 'load_demo: <reason>' instead of 'load_demo'.",
        )

    def handle(self, *args, **options):
        try:
            report = load_demo(reason=command_reason("load_demo", options["reason"]))
        except (DemoDataError, ValidationError) as error:
            raise CommandError(f"The demo data was not loaded: {error}") from error
        # Citations last: they belong to every kind of record above them.
        rows = sorted(report.counts.items(), key=lambda row: row[0] == "citations")
        for label, counts in rows:
            self.stdout.write(
                f"{label}: {counts['created']} created, {counts['present']} already present"
            )
        if report.dated:
            first, last = min(data.READ.values()), max(data.READ.values())
            self.stdout.write(
                f"Recorded as it was: the articles read on {first:%Y-%m-%d} and "
                f"{last:%Y-%m-%d}, then the editors' later changes (see `as_of`)."
            )
        elif report.created:
            self.stdout.write(
                f"Recorded now, not at the demo's own dates: {report.undated_because}."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded: {report.created} created, {report.present} already present."
            )
        )
