"""Text search indexes of partnerships, funding rounds, investments, metric types, metrics
and events on PostgreSQL: see factbase/core/migrations/0004_search_indexes.py. Nothing on
SQLite."""

from django.db import migrations


def document(table, *columns, index=None):
    index = index or f"{table}_search"
    text = " || ' ' || ".join(f"COALESCE(\"{column}\", '')" for column in columns)
    return (
        f"CREATE INDEX IF NOT EXISTS {index} ON {table} USING gin "
        f"(to_tsvector('simple'::regconfig, f_unaccent(left({text}, 100000))))",
        f"DROP INDEX IF EXISTS {index}",
    )


def trigram(table, column):
    return (
        f"CREATE INDEX IF NOT EXISTS {table}_{column}_trgm ON {table} USING gin "
        f"(f_unaccent(\"{column}\") gin_trgm_ops)",
        f"DROP INDEX IF EXISTS {table}_{column}_trgm",
    )


def on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


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
