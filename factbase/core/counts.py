"""Counting records on a page anyone may open: the planner's statistics for a large table,
an exact count for a small one, all the exact ones in one statement. Shared by the admin's
dashboard (factbase.admin.dashboard) and the front door (factbase.front)."""

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Model, QuerySet

# Lower than the API's limit for counting a table (Pagination.ESTIMATE_ABOVE): the admin
# index counts two things of every kind, and a count without citations is an anti-join.
ESTIMATE_ABOVE = 20_000


def table_sizes(models: list[type[Model]]) -> dict[type[Model], int]:
    """Each model's rows as the planner last counted them: 0 everywhere but PostgreSQL,
    and for a table never analysed (reltuples -1, new and small as a rule; a large one is
    still counted within the budget)."""
    # The database the models are read from (a replica, when there are).
    connection = connections[router.db_for_read(models[0]) if models else DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return dict.fromkeys(models, 0)
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.name, c.reltuples FROM unnest(%s::text[]) AS t(name)"
            " JOIN pg_class c ON c.oid = to_regclass(quote_ident(t.name))",
            [tables],
        )
        tuples = dict(cursor.fetchall())
    return {model: max(int(tuples.get(model._meta.db_table, 0)), 0) for model in models}


def count_each(querysets: dict[str, QuerySet]) -> dict[str, int]:
    """The rows of each queryset, in one statement."""
    if not querysets:
        return {}
    parts, params = [], []
    for key, queryset in querysets.items():
        sql, sql_params = queryset.order_by().values("pk").query.sql_with_params()
        parts.append(f"SELECT %s, COUNT(*) FROM ({sql}) AS counted")
        params += [key, *sql_params]
    # The database the querysets read (a replica, when there are).
    using = next(iter(querysets.values())).db
    with connections[using].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return dict(cursor.fetchall())
