"""Indexes on the history tables for reads with `as_of` (factbase/core/asof.py).

Each history table gets (id, history_date, history_id), which finds the version of a row
in force at an instant from the index alone. The historical metrics also get the indexes
that serve the same filters and orders on the metrics themselves, ending with the columns
that pick a version (VERSION), so that counting a filtered page of the past reads these
indexes alone rather than every version of the metric type.
"""

from django.db import migrations

VERSION = "history_date, history_id, history_type"

INDEXES = [
    ("events_historicalpartnership", "version", "id, history_date, history_id"),
    ("events_historicalpartnershipparty", "version", "id, history_date, history_id"),
    ("events_historicalfundinground", "version", "id, history_date, history_id"),
    ("events_historicalinvestment", "version", "id, history_date, history_id"),
    ("events_historicalmetrictype", "version", "id, history_date, history_id"),
    ("events_historicalmetric", "version", "id, history_date, history_id"),
    ("events_historicalmetric", "type_region", f"metric_type_id, region, id, {VERSION}"),
    ("events_historicalmetric", "period", f"period_start, period_until, {VERSION}"),
    ("events_historicalmetric", "company", f"company_id, id, {VERSION}"),
    ("events_historicalmetric", "product", f"product_id, id, {VERSION}"),
    ("events_historicalevent", "version", "id, history_date, history_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0002_metric_period_until"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {table}_{name}_idx ON {table} ({columns})",
            f"DROP INDEX IF EXISTS {table}_{name}_idx",
        )
        for table, name, columns in INDEXES
    ]
