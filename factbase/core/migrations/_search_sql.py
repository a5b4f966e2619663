"""The SQL of the search indexes, shared by the `*_search_indexes` migrations of every app
(a module of the migrations package, frozen with them; the loader skips names that begin
with "_"). The expressions are those factbase/api/search.py builds, character for
character: the planner uses an index only for the very expression it holds."""


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
