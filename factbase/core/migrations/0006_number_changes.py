"""Every version written before the change feed gets its number, in the order of its time,
and the clock starts after the last one (factbase.core.feed)."""

from django.db import migrations

from ._change_seq import number_unnumbered


def number_existing(apps, schema_editor):
    clock = apps.get_model("factbase", "ChangeClock")
    clock.objects.using(schema_editor.connection.alias).get_or_create(id=1, defaults={"last": 0})
    tables = sorted(
        model._meta.db_table
        for label in ("factbase", "companies", "events")
        for model in apps.get_app_config(label).get_models()
        if any(f.name == "change_seq" for f in model._meta.fields)
    )
    number_unnumbered(schema_editor.connection, tables, clock._meta.db_table)


class Migration(migrations.Migration):
    dependencies = [
        ("factbase", "0005_change_seq"),
        ("companies", "0004_change_seq"),
        ("events", "0008_change_seq"),
    ]

    operations = [migrations.RunPython(number_existing, migrations.RunPython.noop)]
