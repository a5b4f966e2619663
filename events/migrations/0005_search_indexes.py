"""Text search indexes of partnerships, funding rounds, investments, metric types, metrics
and events on PostgreSQL: see factbase/core/migrations/0004_search_indexes.py. Nothing on
SQLite."""

from django.db import migrations

from factbase.core.migrations._search_sql import document, on_postgresql, trigram


INDEXES = [
    document("events_partnership", "title", "summary"),
    trigram("events_partnership", "title"),
    document("events_fundinground", "note"),
    document("events_investment", "description"),
    document("events_metrictype", "name", "slug", "description"),
    trigram("events_metrictype", "name"),
    document("events_metrictype", "name", index="events_metrictype_name_search"),
    document("events_metric", "note"),
    document("events_event", "title", "summary", "place"),
    trigram("events_event", "title"),
]


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0004_metric_window_days_positive'),
        ('factbase', '0004_search_indexes'),
    ]

    operations = [
        migrations.RunPython(
            on_postgresql([create for create, _ in INDEXES]),
            on_postgresql([drop for _, drop in INDEXES]),
        ),
    ]
