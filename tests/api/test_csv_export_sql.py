"""The CSV export's statement: each row's source count as the JSON gives it, and its lists,
from one grouped pass over the kind's citations and items joined to the rows (PostgreSQL,
when there are many rows) or from a lookup per row, and the same bytes whichever way the
rows are written."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import CharField, Value
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import timezone

from events.models import Event, Metric
from factbase.api import csv_export
from factbase.api.csv_export import Column, select_columns, stream_rows
from factbase.api.shape import csv_columns, read_queryset

from ..factories import (
    CitationFactory,
    CompanyAliasFactory,
    CompanyFactory,
    CompanyIdentifierFactory,
    EventFactory,
    FundingRoundFactory,
    InvestmentFactory,
    MetricFactory,
    PartnershipFactory,
    PartnershipPartyFactory,
    PersonFactory,
    ProductFactory,
    RoleFactory,
    SourceFactory,
)
from .base import csv_rows, results
from .resources import RESOURCES

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the COPY statement is PostgreSQL's"
)
CORRELATED = '"object_id" = ("events_metric"."id")'  # the subquery of each row
LIST_OF_EACH_ROW = 'items."key" = "events_metric"."id" LIMIT 1'  # a lateral lookup


def cited(fact, *publishers):
    for publisher in publishers:
        CitationFactory(fact=fact, source=SourceFactory(publisher=publisher))
    return fact


@pytest.fixture
def counted():
    """Metrics by the number of independent sources they have: none, one, one cited
    twice, one publisher twice, two publishers, three publishers among four citations."""
    once = SourceFactory(publisher="Reuters")
    twice = MetricFactory()
    CitationFactory(fact=twice, source=once)
    CitationFactory(fact=twice, source=once)
    return {
        twice: 1,
        MetricFactory(): 0,
        cited(MetricFactory(), "Le Monde"): 1,
        cited(MetricFactory(), "Le Monde", "Le Monde"): 1,
        cited(MetricFactory(), "Le Monde", "Il Sole 24 Ore"): 2,
        cited(MetricFactory(), "Le Monde", "Le Monde", "Il Sole 24 Ore", "Reuters"): 3,
    }


@pytest.fixture(params=["grouped", "per row"])
def counting(request, monkeypatch):
    """Both ways of counting a filtered export: one grouped pass whatever the number of
    rows, or a subquery per row whatever the number (SQLite always writes the rows in
    Python, with the subquery)."""
    threshold = 0 if request.param == "grouped" else 10**12
    monkeypatch.setattr(csv_export, "GROUPED_FROM_ROWS", threshold)
    return request.param


def json_counts(api, query: str) -> dict[int, int]:
    fields = "" if "fields=" in query else "&fields=id,source_count"  # a parameter once
    rows = results(api.get(f"/api/v1/metrics/?{query}{fields}&limit=1000"))
    return {row["id"]: row["source_count"] for row in rows}


def csv_counts(api, query: str) -> dict[int, int]:
    header, rows = csv_rows(api.get(f"/api/v1/metrics/?{query}&format=csv"))
    assert "source_count" in header
    return {int(row["id"]): int(row["source_count"]) for row in rows}


@pytest.mark.parametrize(
    "query",
    [
        "",
        "fields=id,source_count",
        "ordering=-id",
        "region=&value_min=1",
        "corroborated=true",
        "corroborated=false&fields=id,source_count",
        "source_count_min=1&ordering=-value",
        "publisher=Le Monde",
    ],
)
def test_csv_counts_are_the_json_counts(anon_api, counted, counting, query):
    expected = {metric.pk: n for metric, n in counted.items()}
    json = json_counts(anon_api, query)
    assert csv_counts(anon_api, query) == json
    assert json.items() <= expected.items()
    assert json


def test_filtered_by_id(anon_api, counted, counting):
    for metric, n in counted.items():
        query = f"id={metric.pk}&fields=id,source_count"
        assert csv_counts(anon_api, query) == json_counts(anon_api, query) == {metric.pk: n}


def test_the_source_count_alone(anon_api, counted, counting):
    ids = ",".join(str(metric.pk) for metric in counted)
    body = b"".join(
        anon_api.get(f"/api/v1/metrics/?id={ids}&fields=source_count&format=csv").streaming_content
    )
    in_order = [n for _, n in sorted((metric.pk, n) for metric, n in counted.items())]
    assert body.decode() == "source_count\n" + "".join(f"{n}\n" for n in in_order)
    everything = b"".join(
        anon_api.get("/api/v1/metrics/?fields=source_count&format=csv").streaming_content
    )
    assert everything == body


def test_citations_of_another_kind_with_the_same_id_do_not_count(anon_api, counting):
    metric = cited(MetricFactory(), "Le Monde")
    event = EventFactory()
    Event.objects.filter(pk=event.pk).update(id=metric.pk)
    cited(Event.objects.get(pk=metric.pk), "Reuters", "AP")
    assert csv_counts(anon_api, "") == {metric.pk: 1}
    assert csv_counts(anon_api, f"id={metric.pk}") == {metric.pk: 1}
    _, events = csv_rows(anon_api.get("/api/v1/events/?format=csv&fields=id,source_count"))
    assert events == [{"id": str(metric.pk), "source_count": "2"}]


def test_counts_as_they_were(anon_api, counting):
    metric = cited(MetricFactory(), "Le Monde")
    before = timezone.now().isoformat()
    cited(metric, "Reuters", "Le Monde")
    for query, n in (("", 1), (f"&id={metric.pk}", 1)):
        assert csv_counts(anon_api, f"as_of={before}{query}") == {metric.pk: n}
        assert json_counts(anon_api, f"as_of={before}{query}") == {metric.pk: n}
    assert csv_counts(anon_api, "") == {metric.pk: 2}


# --- the statement ----------------------------------------------------------------------------


def explained(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def metric_columns(fields=None):
    return select_columns(
        csv_columns(resolve("/api/v1/metrics/").func.cls.serializer_class), fields
    )


@postgresql_only
def test_every_row_is_counted_in_one_grouped_pass(anon_api, counted):
    with CaptureQueriesContext(connection) as captured:
        b"".join(anon_api.get("/api/v1/metrics/?format=csv").streaming_content)
    (planned,) = [q["sql"] for q in captured if q["sql"].startswith("EXPLAIN")]
    sql = planned.removeprefix("EXPLAIN (FORMAT JSON) ")
    assert CORRELATED not in sql
    assert LIST_OF_EACH_ROW not in sql and "LATERAL" not in sql
    # The independent sources and the cited sources' ids: one grouped pass over the
    # citations, joined once.
    assert sql.count('FROM "factbase_citation"') == 1
    assert (
        '"grouped_0" ("key", "sources", "ids") ON ("grouped_0"."key" = "events_metric"."id")' in sql
    )
    assert "grouped_1" not in sql
    assert "STRING_AGG(" in sql and "COUNT(DISTINCT" in sql
    assert "GROUP BY" in sql
    assert "SubPlan" not in explained(sql)  # no subquery run for each row


@postgresql_only
def test_a_lists_columns_are_read_in_one_join(counted):
    """A list's labels and ids come from one grouped query joined once (a partnership's
    parties), whichever of its columns are asked for and in whatever order."""
    serializer = resolve("/api/v1/partnerships/").func.cls.serializer_class
    queryset = read_queryset(serializer).order_by("id")
    for fields in (["parties"], ["parties_company_ids", "id", "title", "parties"]):
        sql = csv_export._copy_sql(queryset, select_columns(csv_columns(serializer), fields))
        assert sql.count('FROM "events_partnershipparty"') == 1
        assert '("key", "labels", "ids")' in sql or '("key", "ids", "labels")' in sql
        assert "SubPlan" not in explained(sql)


@postgresql_only
def test_many_filtered_rows_are_counted_in_one_grouped_pass(anon_api, counted, monkeypatch):
    streamed = []

    def copy_sql(queryset, cols, planned_rows=None):
        streamed.append(original(queryset, cols, planned_rows))
        return streamed[-1]

    original = csv_export._copy_sql
    monkeypatch.setattr(csv_export, "_copy_sql", copy_sql)
    monkeypatch.setattr(csv_export, "GROUPED_FROM_ROWS", 1)  # whatever the planner expects
    b"".join(anon_api.get("/api/v1/metrics/?value_min=1&format=csv").streaming_content)
    planned, copied = streamed
    # Planned before the planner said how many rows: a lookup of each row's own.
    assert CORRELATED in planned and LIST_OF_EACH_ROW in planned
    assert CORRELATED not in copied and "LATERAL" not in copied
    assert "SubPlan" not in explained(copied)

    streamed.clear()
    monkeypatch.setattr(csv_export, "GROUPED_FROM_ROWS", 10**12)
    b"".join(anon_api.get("/api/v1/metrics/?value_min=1&format=csv").streaming_content)
    # A few rows: a few lookups.
    assert all(CORRELATED in sql and LIST_OF_EACH_ROW in sql for sql in streamed)


@postgresql_only
def test_the_statement_selects_only_the_asked_columns(counted):
    queryset = Metric.objects.order_by("id")
    sql = csv_export._copy_sql(queryset, metric_columns(["id", "source_count"]))
    assert sql.startswith('SELECT "csv_column_0" AS "id", "csv_column_1" AS "source_count" FROM')
    assert "GROUP BY" in sql
    sql = csv_export._copy_sql(queryset, metric_columns(["id", "value"]))
    assert "factbase_citation" not in sql
    # The count alone, or the cited sources alone: a pass of their own.
    sql = csv_export._copy_sql(queryset, metric_columns(["id", "citations_source_ids"]))
    assert '("key", "ids")' in sql and "COUNT(" not in sql


# --- the same bytes ---------------------------------------------------------------------------


def python_bytes(queryset, cols) -> bytes:
    rows = csv_export._stream_python(csv_export.with_computed_columns(queryset, cols), cols, 3)
    return "".join(rows).encode()


def copied_bytes(queryset, cols) -> bytes:
    """What stream_rows gives: COPY's bytes on PostgreSQL, Python's text elsewhere."""
    return b"".join(
        chunk.encode() if isinstance(chunk, str) else chunk for chunk in stream_rows(queryset, cols)
    )


@pytest.fixture
def awkward(counted):
    """Metrics whose cells test every rule of the CSV's text forms."""
    company = CompanyFactory(name="=HYPERLINK(1)", description="")
    product = ProductFactory(company=company, name='@Bot, "the" one\nsecond line')
    for note in ("-2+3", "\tTab", "\rReturn", "+1", "", "Société – 東京", "plain"):
        MetricFactory(company=company, note=note, value=Decimal("0.0001"))
    MetricFactory(
        company=None,
        product=product,
        value=Decimal("98765432101.25"),
        period_start=datetime.date(2024, 2, 1),
        period_precision="month",
    )


@postgresql_only
@pytest.mark.parametrize(
    ("ordering", "where"), [(("id",), {}), (("id",), {"value__gte": 0}), (("-value", "id"), {})]
)
def test_copy_writes_the_bytes_python_writes(awkward, counting, ordering, where):
    serializer = resolve("/api/v1/metrics/").func.cls.serializer_class
    queryset = read_queryset(serializer).filter(**where).order_by(*ordering)
    for fields in (
        None,
        {"id", "source_count"},
        {"company", "note", "source_count", "value"},
        {"citations", "id"},
    ):
        cols = metric_columns(fields)
        assert copied_bytes(queryset, cols) == python_bytes(queryset, cols)


@postgresql_only
@pytest.mark.parametrize("where", [{}, {"pk__gt": 0}], ids=["every row", "filtered"])
@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.path)
def test_every_kind_copies_the_bytes_python_writes(editor, resource, counting, where):
    resource = resource()
    source = SourceFactory(publisher="-Minus")
    made = [resource.make_rich(editor, source) for _ in range(3)]
    resource.make()  # its lists empty
    if resource.is_fact:
        cited(made[0], "Le Monde", "Reuters", "Le Monde")
    serializer = resolve(resource.url()).func.cls.serializer_class
    cols = select_columns(csv_columns(serializer), None)
    queryset = read_queryset(serializer).filter(**where).order_by("id")
    assert copied_bytes(queryset, cols) == python_bytes(queryset, cols)


@pytest.fixture
def awkward_lists():
    """Lists whose labels test every rule of their form: names escaped, formulas
    neutralised, quotes, commas and line feeds, empty lists, items past a chunk."""
    minus = CompanyFactory(slug="-minus", name="Minus")
    for name in ('A "quoted", name\nsecond line', "100% (approx.)", "Société – 東京"):
        CompanyAliasFactory(company=minus, name=name)
    CompanyIdentifierFactory(company=minus, scheme="other", value="x;y (z) 5%")
    CompanyAliasFactory(name="=SUM(1;2)")
    CompanyFactory()  # no alias, no identifier
    partnership = PartnershipFactory()
    for company in (minus, *(CompanyFactory() for _ in range(5))):
        PartnershipPartyFactory(partnership=partnership, company=company, role="investor")
    PartnershipFactory()  # no party
    person = PersonFactory()
    RoleFactory(person=person, company=minus, title="=Chair; (acting)")
    RoleFactory(person=person, title="CTO")
    funding_round = FundingRoundFactory(company=minus)
    for lead in (False, True, False):
        InvestmentFactory(funding_round=funding_round, company=minus, is_lead=lead)


@pytest.mark.parametrize("path", ["companies", "partnerships", "people", "funding-rounds"])
def test_list_labels_write_the_same_bytes_every_way(awkward_lists, counting, path):
    serializer = resolve(f"/api/v1/{path}/").func.cls.serializer_class
    cols = [c for c in csv_columns(serializer) if c.is_list or c.header == "id"]
    for where in ({}, {"pk__gt": 0}):
        queryset = read_queryset(serializer).filter(**where).order_by("-id")
        written = python_bytes(queryset, cols)
        assert copied_bytes(queryset, cols) == written
        for cell in WRITTEN[path]:
            assert cell.encode() in written, cell


# What some of those cells hold (in the CSV's quoting).
WRITTEN = {
    "companies": (
        ',"100%25 %28approx.%29; A ""quoted"", name\nsecond line; Société – 東京",',
        ",x%3By %28z%29 5%25 (other),",
        ",'=SUM%281%3B2%29,",  # escaped, then neutralised: the cell starts a formula
    ),
    "partnerships": (",'-minus (investor); company-",),
    "people": (",'-minus (=Chair%3B %28acting%29); company-",),
    "funding-rounds": ("; company-", " (lead); company-"),
}


def test_a_csv_with_lists_is_one_statement(anon_api, awkward_lists):
    """Each cell of a list is written by the database in the statement that reads the rows
    (planned, on PostgreSQL, before it is copied): no query per list, chunk or row."""
    for _ in range(5):
        PartnershipPartyFactory(partnership=PartnershipFactory())
    # Once before, as a running worker has: its content types cached.
    b"".join(anon_api.get("/api/v1/partnerships/?format=csv").streaming_content)
    with CaptureQueriesContext(connection) as captured:
        response = anon_api.get("/api/v1/partnerships/?format=csv")
        lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 1 + 7
    assert {"parties", "products", "citations_source_ids"} <= set(lines[0].split(","))
    # Beside the one statement: the COPY's transaction (a savepoint inside the test's) and
    # its setting, no read.
    reads = [q["sql"] for q in captured if not CONTROL.match(q["sql"])]
    assert len(reads) == 1, reads


CONTROL = re.compile(r'(SAVEPOINT|RELEASE SAVEPOINT) "\w+"$|SET LOCAL jit = off$')


def test_a_computed_text_column_with_parameters(counted):
    """A computed column without a grouped count is computed in the query, its
    parameters given as often as the text form reads it."""
    label = Column("label", "label", "label", lambda model: Value("=1+2", output_field=CharField()))
    queryset = Metric.objects.order_by("id")
    lines = copied_bytes(queryset, [metric_columns({"id"})[0], label]).decode().splitlines()
    assert lines[0] == "id,label"
    assert lines[1:] == [f"{metric.pk},'=1+2" for metric in sorted(counted, key=lambda m: m.pk)]


def test_a_csv_of_a_search_by_similarity(anon_api):
    """The search's similarity tier writes pg_trgm's `%>` into the statement the export plans
    and copies: it is run as it is, not read for placeholders."""
    from tests.factories import CompanyFactory

    CompanyFactory(name="Mistral AI")
    response = anon_api.get("/api/v1/companies/?q=mistrall&format=csv&fields=name")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0] == "name"


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_export_is_not_compiled_and_leaves_its_connection_as_it_found_it(anon_api, monkeypatch):
    """The COPY runs without JIT compilation (it cost the full export more than it saved),
    set for its own transaction only: the connection, kept for the next request, reads as
    before, whether the client read the whole file or went away in the middle."""
    for _ in range(3):
        cited(MetricFactory(), "Reuters", "AP")

    def jit():
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            return cursor.fetchone()[0]

    # What the COPY's transaction holds once the export has set it: read on the same
    # cursor right after each setting the export sends (the COPY follows on that cursor).
    during = []

    def read_setting(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith("SET"):
            context["cursor"].execute("SHOW jit")
            during.append((sql, context["cursor"].fetchone()[0]))
        return result

    with connection.cursor() as cursor:
        cursor.execute("SET jit = on")  # the server's default, whatever this one's is
    try:
        with connection.execute_wrapper(read_setting):
            response = anon_api.get("/api/v1/metrics/?format=csv")
            lines = b"".join(response.streaming_content).decode().splitlines()
        assert len(lines) == 1 + 3
        assert during == [("SET LOCAL jit = off", "off")]
        assert jit() == "on"
        assert connection.get_autocommit()

        # A client that goes away after the first piece (a line here): closed mid-COPY.
        monkeypatch.setattr(csv_export, "PIECE_BYTES", 1)
        response = anon_api.get("/api/v1/metrics/?format=csv")
        stream = iter(response.streaming_content)
        assert next(stream).startswith(b"id,")
        assert next(stream).count(b"\n") == 1
        assert connection.in_atomic_block  # where SET LOCAL holds
        response.close()
        assert jit() == "on"
        assert not connection.in_atomic_block
        assert anon_api.get("/api/v1/metrics/?format=csv").status_code == 200
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET jit")
