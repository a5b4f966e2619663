"""On PostgreSQL a page's briefs and child rows are read by statements built by hand
(factbase/api/rows.py: briefs_of, child_rows): each must give exactly what the ORM's
query gives, value for value and type for type, for every model and every kind's
readers, on the demo data (its amounts, dates, nulls and citations)."""

import psycopg
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from factbase import urls  # noqa: F401 (every serializer registered, as in the server)
from factbase.api.fields import BRIEF_SERIALIZERS
from factbase.api.rows import (
    Reader,
    _child_statement,
    _detail_statement,
    briefs,
    briefs_of,
    child_rows,
    detail_row,
)
from factbase.core.kinds import kinds
from factbase.core.models import Citation
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
        for _, child, link, generic in reader.children if reader is not None else ():
            where = {f"{link}__in": parents}
            if generic:
                where["content_type"] = ContentType.objects.get_for_model(kind.model)
            orm = list(child.rows(child.model._default_manager.filter(**where)))
            assert typed(child_rows(child, link, where)) == typed(orm), (kind.name, child.model)
            if _child_statement(child, link, generic) is not None and orm:
                checked += 1
    assert checked >= 3  # citations, parties, aliases at least


def prepared_statements() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        return {row[0] for row in cursor.fetchall()}


def test_a_pages_statements_are_prepared_and_answer_the_same(demo, anon_api):
    """The briefs and the child rows are prepared on the connection (the ids sent apart,
    factbase/core/prepared.py); a page read by them is the page read without preparing
    (as while queries are logged), byte for byte, the second time from the kept plans."""
    path = "/api/v1/metrics/?limit=50"
    with CaptureQueriesContext(connection):  # logged: nothing prepared
        unprepared = anon_api.get(path)
    assert unprepared.status_code == 200
    assert not prepared_statements()
    first, second = anon_api.get(path), anon_api.get(path)
    statements = prepared_statements()
    assert any("json_build_array" in sql for sql in statements), statements
    assert any('FROM "factbase_citation"' in sql for sql in statements), statements
    assert all("= ANY($" in sql for sql in statements), statements
    assert first.content == second.content == unprepared.content


def test_a_page_in_the_past_is_not_prepared(demo, anon_api):
    """Read at an instant, the statements are rewritten for it: their text is new each
    time, so they are sent as Django sends its own."""
    response = anon_api.get("/api/v1/metrics/?limit=50&as_of=2100-01-01T00:00:00Z")
    assert response.status_code == 200, response.content
    assert response.json()["results"]
    assert not prepared_statements()


def test_a_pages_briefs_and_its_citations_are_one_statement_but_in_the_past(demo, anon_api):
    """The records a page of metrics shows in brief and those its citations show (sources)
    come in one statement; at a past instant, where each table it reads becomes a scan of
    its history, in one statement a page, which measured faster than one for both."""

    def briefs(query: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            response = anon_api.get(f"/api/v1/metrics/?limit=50{query}")
        assert response.status_code == 200, response.content
        assert any(m["citations"] for m in response.json()["results"])
        return [q["sql"] for q in captured if "json_build_array" in q["sql"]]

    (present,) = briefs("")
    assert '"companies_company"' in present and '"factbase_source"' in present
    past = briefs("&as_of=2100-01-01T00:00:00Z")
    assert len(past) == 2
    assert ['"factbase_source"' in sql.split(") SELECT", 1)[-1] for sql in past] == [False, True]


def test_off_nothing_is_prepared(demo, anon_api, settings):
    """PREPARED_STATEMENTS=false (behind a pooler that loses them): sent as Django sends
    its own statements, the same answer."""
    prepared = anon_api.get("/api/v1/metrics/?limit=50").content
    connection.connection.execute("DEALLOCATE ALL")
    settings.PREPARED_STATEMENTS = False
    assert anon_api.get("/api/v1/metrics/?limit=50").content == prepared
    assert not prepared_statements()


def test_djangos_own_statements_stay_unprepared(demo, anon_api):
    """Preparing is on for the page's own statements only: psycopg's threshold is back
    to Django's (None) after them, so it neither prepares nor keeps the text of Django's
    statements."""
    assert anon_api.get("/api/v1/metrics/?limit=50").status_code == 200
    assert prepared_statements()
    assert connection.connection.prepare_threshold is None


@pytest.mark.django_db(transaction=True)
def test_a_kept_plan_outlives_a_column_changed_by_a_migration(anon_api):
    """A migration run by another process changes a column a kept plan returns: the next
    page drops the kept plans and prepares again, rather than failing on every page of
    that connection ("cached plan must not change result type")."""
    call_command("load_demo", verbosity=0)
    path = "/api/v1/metrics/?limit=50"
    before = anon_api.get(path)
    assert before.status_code == 200
    assert any('FROM "factbase_citation"' in sql for sql in prepared_statements())
    column = Citation._meta.get_field("locator")
    other = psycopg.connect(**connection.get_connection_params(), autocommit=True)
    try:
        other.execute("ALTER TABLE factbase_citation ALTER COLUMN locator TYPE text")
        after = anon_api.get(path)
        assert after.status_code == 200, after.content
        assert after.content == before.content
    finally:
        other.execute(
            f"ALTER TABLE factbase_citation ALTER COLUMN locator TYPE varchar({column.max_length})"
        )
        other.close()


def test_a_filter_by_slug_or_id_is_read_by_a_prepared_statement(demo, anon_api):
    """`?metric_type=<slug>` and `?company=<id>` name their records through one prepared
    statement per kind (factbase.resolution.refs), and give the page the logged (unprepared)
    run gives; a slug of nothing is the usual 400 naming it."""
    first = anon_api.get("/api/v1/metrics/?limit=1").json()["results"][0]
    company, kind = first["company"]["id"], first["metric_type"]["slug"]
    path = f"/api/v1/metrics/?metric_type={kind},{first['metric_type']['id']}&company={company}"
    with CaptureQueriesContext(connection):  # logged: nothing prepared
        unprepared = anon_api.get(path)
    assert unprepared.status_code == 200, unprepared.content
    prepared = anon_api.get(path)
    statements = prepared_statements()
    assert (
        'SELECT "id", "slug" FROM "events_metrictype" '
        'WHERE "id" = ANY($1::bigint[]) OR "slug" = ANY($2::text[])'
    ) in statements, statements
    assert any(sql.startswith('SELECT "id", "slug" FROM "companies_company"') for sql in statements)
    assert prepared.content == unprepared.content
    assert unprepared.json()["results"]
    refused = anon_api.get(f"/api/v1/metrics/?metric_type={kind},no-such-type")
    assert refused.status_code == 400
    assert refused.json() == {"metric_type": ["Unknown metric type: no-such-type."]}


def test_a_detail_by_statement_is_the_orms(demo):
    """A record's row read by its prepared statement (factbase.api.rows.detail_row) is the
    ORM's, value for value and type for type, by id and by slug, for every kind; a record
    that is not there is None."""
    checked = 0
    for kind in kinds():
        if not kind.endpoint:
            continue
        reader = Reader.cached(serializer_of(kind), nested=False, fields=None)
        if reader is None:
            continue
        queryset = kind.model._default_manager.all()
        keys = ["pk", *(["slug"] if any(f.name == "slug" for f in kind.model._meta.fields) else [])]
        for record in queryset.order_by("pk")[:5]:
            for key in keys:
                value = str(getattr(record, key))
                orm = reader.rows(queryset, extra=("version",)).filter(**{key: value}).first()
                assert typed(detail_row(reader, queryset, key, value, ("version",))) == typed(orm)
                checked += _detail_statement(reader, key, ("version",)) is not None
        assert detail_row(reader, queryset, "pk", "999999999", ("version",)) is None
    assert checked >= 30


def test_a_detail_of_a_restricted_queryset_keeps_its_restriction(demo):
    """A view whose queryset holds rows back (a filter, a slice) is read by the ORM's
    query, which keeps them back: the statement reads whole tables only."""
    kind = next(k for k in kinds() if k.model.__name__ == "Metric")
    reader = Reader.cached(serializer_of(kind), nested=False, fields=None)
    record = kind.model._default_manager.order_by("pk").first()
    everything = kind.model._default_manager.all()
    assert detail_row(reader, everything, "pk", str(record.pk))["id"] == record.pk
    held_back = everything.exclude(pk=record.pk)
    assert detail_row(reader, held_back, "pk", str(record.pk)) is None
    sliced = everything.order_by("-pk")[:1]
    assert sliced[0].pk != record.pk
    with pytest.raises(TypeError):  # the ORM refuses to filter a slice: never the table
        detail_row(reader, sliced, "pk", str(record.pk))


def test_a_detail_is_read_by_a_prepared_statement(demo, anon_api):
    """The detail's own row is prepared (with its briefs and citations), and the answer
    is the one read unprepared."""
    first = anon_api.get("/api/v1/metrics/?limit=1").json()["results"][0]
    path = f"/api/v1/metrics/{first['id']}/"
    with CaptureQueriesContext(connection):  # logged: nothing prepared
        unprepared = anon_api.get(path)
    assert unprepared.status_code == 200
    prepared = anon_api.get(path)
    statements = prepared_statements()
    assert any(
        sql.startswith('SELECT "events_metric".') and sql.endswith('"id" = $1::bigint')
        for sql in statements
    ), statements
    assert prepared.content == unprepared.content
    assert prepared["ETag"] == unprepared["ETag"]
    assert anon_api.get("/api/v1/metrics/999999999/").status_code == 404
