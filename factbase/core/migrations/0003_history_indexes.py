"""Indexes on the history tables for reads with `as_of` (factbase/core/asof.py).

(id, history_date, history_id) finds the version of a row in force at an instant from the
index alone; the historical citations also get the index that finds a fact's citations.
"""

from django.db import migrations

INDEXES = [
    ("factbase_historicalsource", "version", "id, history_date, history_id"),
    ("factbase_historicalcitation", "version", "id, history_date, history_id"),
    ("factbase_historicalcitation", "fact", "content_type_id, object_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("factbase", "0002_snapshot"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {table}_{name}_idx ON {table} ({columns})",
            f"DROP INDEX IF EXISTS {table}_{name}_idx",
        )
        for table, name, columns in INDEXES
    ]
