"""Indexes on the history tables for reads with `as_of` (factbase/core/asof.py): (id,
history_date, history_id) finds the version of a row in force at an instant from the
index alone."""

from django.db import migrations

TABLES = [
    "companies_historicalcompany",
    "companies_historicalcompanyalias",
    "companies_historicalcompanyidentifier",
    "companies_historicalplatform",
    "companies_historicalproduct",
    "companies_historicalperson",
    "companies_historicalrole",
]


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {table}_version_idx "
            f"ON {table} (id, history_date, history_id)",
            f"DROP INDEX IF EXISTS {table}_version_idx",
        )
        for table in TABLES
    ]
