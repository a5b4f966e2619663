from django.db import migrations, models


def complete_half_offsets(apps, schema_editor):
    """A citation stored with a start and no end (the old constraint let it through) gets
    its end where the quote ends, if the quote stands at that start; otherwise neither
    offset: they are filled in again where the quote is at its next save, and
    `check_citations` lists it meanwhile."""
    Citation = apps.get_model("factbase", "Citation")
    half = Citation.objects.filter(char_start__isnull=False, char_end__isnull=True)
    for citation in half.select_related("source").iterator():
        start, quote, text = citation.char_start, citation.quote, citation.source.text
        if text[start : start + len(quote)] == quote:
            citation.char_end = start + len(quote)
        else:
            citation.char_start = None
        citation.save(update_fields=["char_start", "char_end"])


class Migration(migrations.Migration):
    dependencies = [
        ("factbase", "0007_merges"),
    ]

    operations = [
        migrations.RunPython(complete_half_offsets, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="citation",
            name="citation_offsets_ordered",
        ),
        migrations.AddConstraint(
            model_name="citation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("char_end__isnull", True), ("char_start__isnull", True)),
                    models.Q(
                        ("char_end__gt", models.F("char_start")),
                        ("char_end__isnull", False),
                        ("char_start__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="citation_offsets_ordered",
                violation_error_message="The quote's end offset must come after its start.",
            ),
        ),
    ]
