"""Text search indexes of companies (and their aliases), products, people and platforms on
PostgreSQL: see factbase/core/migrations/0004_search_indexes.py. Nothing on SQLite."""

from django.db import migrations

from factbase.core.migrations._search_sql import document, on_postgresql, trigram


INDEXES = [
    document("companies_company", "name", "slug", "description"),
    trigram("companies_company", "name"),
    document("companies_company", "name", index="companies_company_name_search"),
    trigram("companies_companyalias", "name"),
    document("companies_companyalias", "name", index="companies_companyalias_name_search"),
    document("companies_product", "name", "slug", "description"),
    trigram("companies_product", "name"),
    document("companies_product", "name", index="companies_product_name_search"),
    document("companies_person", "name", "slug", "description"),
    trigram("companies_person", "name"),
    document("companies_platform", "name", "slug"),
    trigram("companies_platform", "name"),
]


class Migration(migrations.Migration):

    dependencies = [
        ('companies', '0002_history_indexes'),
        ('factbase', '0004_search_indexes'),
    ]

    operations = [
        migrations.RunPython(
            on_postgresql([create for create, _ in INDEXES]),
            on_postgresql([drop for _, drop in INDEXES]),
        ),
    ]
