"""On PostgreSQL a page's briefs and child rows are read by statements built by hand
(factbase/api/rows.py: briefs_of, child_rows): each must give exactly what the ORM's
query gives, value for value and type for type, for every model and every kind's
readers, on the demo data (its amounts, dates, nulls and citations)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection

from factbase import urls  # noqa: F401 (every serializer registered, as in the server)
from factbase.api.fields import BRIEF_SERIALIZERS
from factbase.api.rows import Reader, _child_statement, briefs, briefs_of, child_rows
from factbase.core.kinds import kinds
from factbase.imports.kinds import serializer_of

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the statements are PostgreSQL's"),
]
BASE = "http://testserver/api/v1/"


@pytest.fixture
def demo():
    call_command("load_demo", verbosity=0)


def typed(rows):
    """Values with their types: 1 and 1.0, a date and its text, are not the same."""
    if isinstance(rows, dict):
        return {key: typed(value) for key, value in rows.items()}
    if isinstance(rows, list):
        return [typed(value) for value in rows]
    return (type(rows).__name__, rows)


def test_briefs_in_one_statement_are_the_orms(demo):
    wanted = {
        model: set(model._default_manager.values_list("pk", flat=True)[:50])
        for model in BRIEF_SERIALIZERS
    }
    assert sum(bool(ids) for ids in wanted.values()) >= 8  # the demo has most kinds
    together = briefs_of(wanted, BASE)
    for model, ids in wanted.items():
        assert typed(together[model]) == typed(briefs(model, ids, BASE)), model


def test_child_rows_by_statement_are_the_orms(demo):
    checked = 0
    for kind in kinds():
        if not kind.endpoint:
            continue
        reader = Reader.cached(serializer_of(kind), nested=False, fields=None)
        parents = set(kind.model._default_manager.values_list("pk", flat=True))
        for child, link, generic in reader.children if reader is not None else ():
            where = {f"{link}__in": parents}
            if generic:
                where["content_type"] = ContentType.objects.get_for_model(kind.model)
            orm = list(child.rows(child.model._default_manager.filter(**where)))
            assert typed(child_rows(child, link, where)) == typed(orm), (kind.name, child.model)
            if _child_statement(child, link, generic) is not None and orm:
                checked += 1
    assert checked >= 3  # citations, parties, aliases at least
