"""Text search (`q=`, see factbase/api/search.py) on PostgreSQL: the unaccent and pg_trgm
extensions; f_unaccent, unaccent as an IMMUTABLE function so that indexes may use it; and
the search indexes of sources (their text too) and citations.

Each kind has a GIN index of the full-text document of its own searched columns
(`<table>_search`) and a trigram GIN index of its name or title (`<table>_<column>_trgm`);
a name that other kinds search through a relation (a company's, an alias's) also has a
document of its own (`<table>_<column>_search`). The expressions are those the API's filter
builds, character for character: the planner uses an index only for the very expression it
holds. A document covers the first 100,000 characters of its columns, so that no tsvector
reaches PostgreSQL's 1 MB limit. Nothing happens on SQLite.
"""

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations

from factbase.core.migrations._search_sql import document, on_postgresql, trigram

F_UNACCENT = """
CREATE OR REPLACE FUNCTION public.f_unaccent(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
"""


INDEXES = [
    document("factbase_source", "title", "publisher", "author", "text"),
    trigram("factbase_source", "title"),
    document("factbase_citation", "quote", "translation"),
]


class Migration(migrations.Migration):

    dependencies = [
        ('factbase', '0003_history_indexes'),
    ]

    operations = [
        UnaccentExtension(),
        TrigramExtension(),
        migrations.RunPython(
            on_postgresql([F_UNACCENT]),
            on_postgresql(["DROP FUNCTION IF EXISTS public.f_unaccent(text)"]),
        ),
        migrations.RunPython(
            on_postgresql([create for create, _ in INDEXES]),
            on_postgresql([drop for _, drop in INDEXES]),
        ),
    ]
