from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0007_person_wikidata_id_checked"),
        ("events", "0010_metric_rank_whole"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterConstraint(
            model_name="fundinground",
            name="funding_round_value_not_negative",
            constraint=models.CheckConstraint(
                condition=models.Q(("value__isnull", True), ("value__gte", 0), _connector="OR"),
                name="funding_round_value_not_negative",
                violation_error_message="An amount raised cannot be negative.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="investment",
            name="investment_value_has_currency",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("value__isnull", True),
                    models.Q(("value__gte", 0), models.Q(("currency", ""), _negated=True)),
                    _connector="OR",
                ),
                name="investment_value_has_currency",
                violation_error_message="An amount of money is not negative and has its currency.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="metric",
            name="metric_period_end_has_start",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("period_end__isnull", True), ("period_start__isnull", False), _connector="OR"
                ),
                name="metric_period_end_has_start",
                violation_error_message="A period with an end needs its start.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="metric",
            name="metric_period_until_covers_start",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("period_start__isnull", True), ("period_until__isnull", True)),
                    ("period_until__gte", models.F("period_start")),
                    _connector="OR",
                ),
                name="metric_period_until_covers_start",
                violation_error_message="A period runs to a day on or after its start.",
            ),
        ),
    ]
