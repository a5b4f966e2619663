import hashlib

from django.core.management.base import BaseCommand, CommandError

from factbase.core.models import Citation, Source


class Command(BaseCommand):
    help = (
        "Re-check every source's stored text against its SHA-256, and every citation against "
        "its source's stored text: report the texts that changed and the citations whose "
        "quote is no longer found verbatim at its offsets. Exits with an error if any fails."
    )

    def handle(self, *args, **options):
        changed = self.check_texts()
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
        summary = (
            f"{changed[0]} stored texts checked against their SHA-256, {changed[1]} changed; "
            f"{checked} citations checked against stored text, {len(failures)} failed."
        )
        if failures or changed[1]:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

    def check_texts(self) -> tuple[int, int]:
        """Each stored text against the SHA-256 recorded when it was saved: a text changed
        behind the application's back (an edit in SQL, a damaged restore) would silently
        move every quote's offsets."""
        checked = changed = 0
        sources = Source.objects.exclude(text="").values_list("pk", "text", "text_sha256")
        for pk, text, recorded in sources.iterator(chunk_size=500):
            checked += 1
            if hashlib.sha256(text.encode()).hexdigest() != recorded:
                changed += 1
                self.stderr.write(
                    f"source {pk}: its stored text does not match its SHA-256 ({recorded})."
                )
        return checked, changed
