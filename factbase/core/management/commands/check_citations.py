from django.core.management.base import BaseCommand, CommandError

from factbase.core.models import Citation


class Command(BaseCommand):
    help = (
        "Re-check every citation against its source's stored text and report those whose "
        "quote is no longer found verbatim at its offsets. Exits with an error if any fails."
    )

    def handle(self, *args, **options):
        checked = 0
        failures = []
        citations = Citation.objects.select_related("source", "content_type").exclude(
            source__text=""
        )
        for citation in citations.iterator(chunk_size=2000):
            checked += 1
            problem = citation.check_against_source()
            if problem:
                failures.append((citation, problem))
        for citation, problem in failures:
            self.stderr.write(
                f"citation {citation.pk} ({citation.content_type.model} {citation.object_id}, "
                f"source {citation.source_id}): {problem}"
            )
        summary = f"{checked} citations checked against stored text, {len(failures)} failed."
        if failures:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
