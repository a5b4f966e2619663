"""`GET /api/v1/facts/`: the review queue, every fact of every kind in one list."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.generators import SchemaGenerator

from factbase.api.facts.queue import FactQueuePagination
from factbase.core.kinds import kind_of, kinds

from ..factories import (
    CitationFactory,
    CompanyFactory,
    EventFactory,
    FundingRoundFactory,
    InvestmentFactory,
    MetricFactory,
    PartnershipFactory,
    PersonFactory,
    ProductFactory,
    RoleFactory,
    SourceFactory,
)
from .base import API, csv_rows, results

pytestmark = pytest.mark.django_db
QUEUE = f"{API}facts/"
T0 = datetime.datetime(2025, 2, 1, 9, 0, tzinfo=datetime.UTC)
FORMULA = '=HYPERLINK("http://example.com") launch'


def at(hour: int) -> datetime.datetime:
    return T0 + datetime.timedelta(hours=hour)


def cite(fact, *publishers: str) -> None:
    for publisher in publishers:
        CitationFactory(fact=fact, source=SourceFactory(publisher=publisher))


@pytest.fixture
def facts() -> dict:
    """One fact of each kind or more, changed an hour apart in the order written here."""
    made = {}
    made["acme"] = CompanyFactory(
        name="Acme", slug="acme", status="verified", confidence="high", updated_at=at(1)
    )
    made["fund"] = CompanyFactory(name="Fund", slug="fund", kind="investor", updated_at=at(2))
    made["chat"] = ProductFactory(
        company=made["acme"], name="Acme Chat", slug="acme-chat", updated_at=at(3)
    )
    made["ada"] = PersonFactory(name="Ada", slug="ada", status="verified", updated_at=at(4))
    made["ceo"] = RoleFactory(
        person=made["ada"],
        company=made["acme"],
        title="CEO",
        status="disputed",
        confidence="low",
        updated_at=at(5),
    )
    made["downloads"] = MetricFactory(
        product=made["chat"],
        company=None,
        status="disputed",
        claim_type="estimate",
        updated_at=at(6),
    )
    made["target"] = MetricFactory(
        company=made["acme"],
        status="verified",
        claim_type="target",
        confidence="high",
        updated_at=at(7),
    )
    made["deal"] = PartnershipFactory(title="Acme – Globex", status="retracted", updated_at=at(8))
    made["seed"] = FundingRoundFactory(
        company=made["acme"], claim_type="speculation", confidence="low", updated_at=at(9)
    )
    made["stake"] = InvestmentFactory(
        investor=made["fund"], company=made["acme"], updated_at=at(10)
    )
    made["launch"] = EventFactory(title=FORMULA, status="disputed", updated_at=at(11))
    cite(made["acme"], "A", "B")
    cite(made["chat"], "A")
    cite(made["ada"], "A")
    cite(made["ceo"], "B")
    cite(made["target"], "A", "A")  # one publisher twice: one independent source
    cite(made["seed"], "A", "B")
    cite(made["stake"], "C")
    cite(made["launch"], "B")
    return made


NEWEST_FIRST = [
    "launch",
    "stake",
    "seed",
    "deal",
    "target",
    "downloads",
    "ceo",
    "ada",
    "chat",
    "fund",
    "acme",
]
UNCITED = ["deal", "downloads", "fund"]


def key(record) -> tuple[str, int]:
    return kind_of(type(record)).name, record.pk


def names(facts: dict, rows: list[dict]) -> list[str]:
    by_key = {key(record): name for name, record in facts.items()}
    return [by_key[row["kind"], int(row["id"])] for row in rows]


def queue(client, query: str = "") -> list[dict]:
    return results(client.get(f"{QUEUE}?{query}"))


def queue_csv(client, query: str = "") -> list[dict]:
    response = client.get(f"{QUEUE}?format=csv&{query}")
    assert response.status_code == 200
    header, rows = csv_rows(response)
    assert header == [
        "kind",
        "id",
        "subject_type",
        "subject_id",
        "subject_slug",
        "subject_name",
        "summary",
        "status",
        "confidence",
        "claim_type",
        "source_count",
        "updated_at",
    ]
    return rows


# --- what a row says ---------------------------------------------------------------------


def test_every_kind_of_fact_is_in_the_queue_newest_first(anon_api, facts):
    rows = queue(anon_api)
    assert names(facts, rows) == NEWEST_FIRST
    assert {row["kind"] for row in rows} == {kind.name for kind in kinds() if kind.is_fact}


def test_a_row_says_what_the_fact_is_about(anon_api, facts):
    rows = {name: row for name, row in zip(NEWEST_FIRST, queue(anon_api), strict=True)}

    def subject(name) -> tuple:
        about = rows[name]["subject"]
        return about["type"], about["id"], about["slug"], about["name"]

    acme, fund, chat, ada = (facts[n].pk for n in ("acme", "fund", "chat", "ada"))
    # A company, a product, a person: itself.
    assert subject("acme") == ("company", acme, "acme", "Acme")
    assert subject("chat") == ("product", chat, "acme-chat", "Acme Chat")
    assert subject("ada") == ("person", ada, "ada", "Ada")
    # A metric: its product or its company; a role: its person; a round: its company; an
    # investment: its investor.
    assert subject("downloads") == ("product", chat, "acme-chat", "Acme Chat")
    assert subject("target") == ("company", acme, "acme", "Acme")
    assert subject("ceo") == ("person", ada, "ada", "Ada")
    assert subject("seed") == ("company", acme, "acme", "Acme")
    assert subject("stake") == ("company", fund, "fund", "Fund")
    # A partnership, an event: itself, by its title.
    assert subject("deal") == ("partnership", facts["deal"].pk, None, "Acme – Globex")
    assert subject("launch") == ("event", facts["launch"].pk, None, FORMULA)
    assert rows["downloads"]["subject"]["url"] == f"http://testserver{API}products/{chat}/"

    ceo = rows["ceo"]
    assert ceo == {
        "kind": "roles",
        "id": facts["ceo"].pk,
        "url": None,  # a role has no page of its own
        "subject": {
            "type": "person",
            "id": ada,
            "url": f"http://testserver{API}people/{ada}/",
            "slug": "ada",
            "name": "Ada",
        },
        "summary": "Ada, CEO, Acme",
        "status": "disputed",
        "confidence": "low",
        "claim_type": "reported",
        "source_count": 1,
        "updated_at": "2025-02-01T14:00:00Z",
    }
    metric = rows["downloads"]
    assert metric["url"] == f"http://testserver{API}metrics/{facts['downloads'].pk}/"
    assert metric["summary"] == "Acme Chat · Downloads: 1,000"
    for name, row in rows.items():
        assert row["summary"] == str(facts[name])
    assert {name: row["source_count"] for name, row in rows.items()} == {
        "acme": 2,
        "fund": 0,
        "chat": 1,
        "ada": 1,
        "ceo": 1,
        "downloads": 0,
        "target": 1,
        "deal": 0,
        "seed": 2,
        "stake": 1,
        "launch": 1,
    }


# --- filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=metrics", ["target", "downloads"]),
        ("kind=roles,partnerships", ["deal", "ceo"]),
        ("kind=roles&kind=events", ["launch", "ceo"]),  # repeated, as generated clients send
        ("status=disputed", ["launch", "downloads", "ceo"]),
        ("status=retracted,unverified", ["stake", "seed", "deal", "chat", "fund"]),
        ("confidence=low", ["seed", "ceo"]),
        ("confidence=high,low", ["seed", "target", "ceo", "acme"]),
        ("claim_type=target", ["target"]),
        ("claim_type=estimate,speculation", ["seed", "downloads"]),
        ("has_citations=false", UNCITED),
        ("has_citations=true", [n for n in NEWEST_FIRST if n not in UNCITED]),
        ("source_count_min=2", ["seed", "acme"]),
        ("source_count_max=0", UNCITED),
        (
            "source_count_min=1&source_count_max=1",
            ["launch", "stake", "target", "ceo", "ada", "chat"],
        ),
        ("updated_after=2025-02-01T18:00:00Z", ["launch", "stake", "seed"]),  # at or after
        ("updated_before=2025-02-01T12:00:00Z", ["fund", "acme"]),  # strictly before
        ("updated_after=2025-02-01T21:00:00%2B03:00", ["launch", "stake", "seed"]),
        ("kind=metrics,roles&status=disputed", ["downloads", "ceo"]),
        ("kind=companies&has_citations=false", ["fund"]),
        ("status=retracted&confidence=low", []),
    ],
)
def test_each_filter_keeps_what_it_says(anon_api, facts, query, expected):
    assert names(facts, queue(anon_api, query)) == expected
    assert names(facts, queue_csv(anon_api, query)) == expected


def test_an_empty_item_is_a_400_as_in_the_other_lists(anon_api, facts):
    for query in ("kind=metrics,", "kind=,", "kind=,&ordering=source_count", "status=,"):
        param = query.split("=")[0]
        for suffix in ("", "&format=csv"):
            response = anon_api.get(f"{QUEUE}?{query}{suffix}")
            assert response.status_code == 400, (query, response.content)
            if suffix:  # the error as field,value lines
                lines = list(csv.reader(io.StringIO(response.content.decode())))
                assert [line[0] for line in lines[1:]] == [param]
            else:
                assert set(response.json()) == {param}
    # Given empty as a whole, a parameter is not given.
    assert names(facts, queue(anon_api, "kind=&status=")) == NEWEST_FIRST


def test_every_disputed_fact_in_one_request(anon_api, facts):
    body = anon_api.get(f"{QUEUE}?status=disputed").json()
    assert body["count"] == 3
    assert [(row["kind"], row["status"]) for row in body["results"]] == [
        ("events", "disputed"),
        ("metrics", "disputed"),
        ("roles", "disputed"),
    ]
    rows = queue_csv(anon_api, "status=disputed")
    assert names(facts, rows) == ["launch", "downloads", "ceo"]
    assert {row["status"] for row in rows} == {"disputed"}


def test_facts_with_no_citation_in_one_request(anon_api, facts):
    body = anon_api.get(f"{QUEUE}?has_citations=false").json()
    assert body["count"] == 3
    assert [(row["kind"], row["source_count"]) for row in body["results"]] == [
        ("partnerships", 0),
        ("metrics", 0),
        ("companies", 0),
    ]
    rows = queue_csv(anon_api, "has_citations=false")
    assert names(facts, rows) == UNCITED
    assert {row["source_count"] for row in rows} == {"0"}


# --- order and pages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("-updated_at", NEWEST_FIRST),
        ("updated_at", NEWEST_FIRST[::-1]),
        # Fewest sources first, then newest.
        (
            "source_count",
            ["deal", "downloads", "fund", "launch", "stake", "target", "ceo", "ada", "chat"]
            + ["seed", "acme"],
        ),
        (
            "-source_count",
            ["seed", "acme", "launch", "stake", "target", "ceo", "ada", "chat"]
            + ["deal", "downloads", "fund"],
        ),
    ],
)
def test_orderings_and_pages(anon_api, facts, ordering, expected):
    assert names(facts, queue(anon_api, f"ordering={ordering}")) == expected
    assert names(facts, queue_csv(anon_api, f"ordering={ordering}")) == expected
    # Pages of 4 follow one another without a gap or a repeat, each counting them all.
    seen, path, pages = [], f"{QUEUE}?ordering={ordering}&limit=4", 0
    while path:
        response = anon_api.get(path)
        body = response.json()
        assert (body["count"], body["count_estimated"]) == (len(expected), False)
        seen += names(facts, body["results"])
        path, pages = body["next"], pages + 1
    assert (seen, pages) == (expected, 3)
    body = anon_api.get(f"{QUEUE}?ordering={ordering}&limit=4&offset=4").json()
    assert body["previous"] == f"http://testserver{QUEUE}?limit=4&ordering={ordering}"


def test_ties_are_broken_by_kind_then_id(anon_api):
    first, second = CompanyFactory(updated_at=T0), CompanyFactory(updated_at=T0)
    event = EventFactory(updated_at=T0)
    rows = [(row["kind"], row["id"]) for row in queue(anon_api)]
    assert rows == [("companies", second.pk), ("companies", first.pk), ("events", event.pk)]
    rows = [(row["kind"], row["id"]) for row in queue(anon_api, "ordering=updated_at")]
    assert rows == [("companies", first.pk), ("companies", second.pk), ("events", event.pk)]


def test_an_offset_past_the_end_is_an_empty_page(anon_api, facts):
    for offset in (11, 500, 723883867327357954191688357380096):
        body = anon_api.get(f"{QUEUE}?offset={offset}").json()
        assert (body["count"], body["results"], body["next"]) == (11, [], None)


def test_only_the_whole_queue_is_estimated(anon_api, facts, monkeypatch):
    """On PostgreSQL, a queue without a condition on rows takes the planner's estimate
    past a size (here: any); a filtered one is counted. SQLite counts every one."""
    monkeypatch.setattr(FactQueuePagination, "ESTIMATE_ABOVE", -1)
    estimated = connection.vendor == "postgresql"
    for query in ("limit=2", "limit=2&kind=companies,metrics&ordering=source_count"):
        body = anon_api.get(f"{QUEUE}?{query}").json()
        assert body["count_estimated"] is estimated, query
        assert isinstance(body["count"], int) and len(body["results"]) == 2
    assert anon_api.get(f"{QUEUE}?limit=2").json()["count"] == 11 or estimated
    body = anon_api.get(f"{QUEUE}?limit=2&status=disputed").json()
    assert (body["count"], body["count_estimated"]) == (3, False)
    body = anon_api.get(f"{QUEUE}?limit=2&kind=metrics&has_citations=true").json()
    assert (body["count"], body["count_estimated"], body["next"]) == (1, False, None)


# --- CSV ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["", "status=disputed", "has_citations=false", "ordering=source_count&kind=roles"]
)
def test_csv_equals_json_row_for_row(anon_api, facts, query):
    entries = queue(anon_api, f"limit=1000&{query}")
    rows = queue_csv(anon_api, query)
    assert len(rows) == len(entries) > 0
    for entry, row in zip(entries, rows, strict=True):
        about = entry["subject"]
        summary = entry["summary"]
        assert row == {
            "kind": entry["kind"],
            "id": str(entry["id"]),
            "subject_type": about["type"],
            "subject_id": str(about["id"]),
            "subject_slug": about["slug"] or "",
            "subject_name": ("'" if about["name"].startswith("=") else "") + about["name"],
            "summary": ("'" if summary.startswith("=") else "") + summary,
            "status": entry["status"],
            "confidence": entry["confidence"],
            "claim_type": entry["claim_type"],
            "source_count": str(entry["source_count"]),
            "updated_at": row["updated_at"],
        }
        assert parse_datetime(row["updated_at"]) == parse_datetime(entry["updated_at"])


def test_csv_cells_are_safe_for_spreadsheets(anon_api, facts):
    launch = queue_csv(anon_api, "kind=events")[0]
    # A title that a spreadsheet would run as a formula is text; times are UTC.
    assert launch["summary"] == "'" + FORMULA
    assert launch["subject_name"] == "'" + FORMULA
    assert launch["updated_at"] == "2025-02-01T20:00:00.000000Z"
    response = anon_api.get(f"{QUEUE}?format=csv")
    assert response["Content-Disposition"] == 'attachment; filename="facts.csv"'


# --- time travel ----------------------------------------------------------------------------


def test_as_of_reads_the_queue_as_it_was(editor_api, anon_api):
    before = timezone.now().isoformat()
    response = editor_api.post(
        f"{API}companies/",
        {"name": "Acme", "slug": "acme", "kind": "technology"},
        format="json",
        HTTP_X_CHANGE_REASON="From the registry",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    created = timezone.now().isoformat()
    response = editor_api.patch(
        f"{API}companies/{pk}/",
        {"status": "disputed"},
        format="json",
        HTTP_X_CHANGE_REASON="Two registries disagree",
    )
    assert response.status_code == 200, response.content

    assert [(r["id"], r["status"]) for r in queue(anon_api, "status=disputed")] == [
        (pk, "disputed")
    ]
    when = {"as_of": created}
    assert results(anon_api.get(QUEUE, {"status": "disputed", **when})) == []
    then = results(anon_api.get(QUEUE, when))
    assert [(r["kind"], r["id"], r["status"]) for r in then] == [("companies", pk, "unverified")]
    response = anon_api.get(QUEUE, {"format": "csv", **when})
    _, rows = csv_rows(response)
    assert [(r["id"], r["status"]) for r in rows] == [(str(pk), "unverified")]
    body = anon_api.get(QUEUE, {"as_of": before}).json()
    assert (body["count"], body["results"]) == (0, [])


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("kind", "bogus"),
        ("kind", "metrics,metric-types"),  # not a fact
        ("kind", "company-aliases"),
        ("status", "nope"),
        ("confidence", "sure"),
        ("claim_type", "rumour"),
        ("has_citations", "maybe"),
        ("source_count_min", "-1"),
        ("source_count_max", "1.5"),
        ("source_count_min", "²"),
        ("updated_after", "yesterday"),
        ("updated_before", "2025-13-01T00:00:00Z"),
        ("updated_after", "0001-01-01T00:00:00+05:00"),
        ("ordering", "id"),
        ("ordering", "-updated_at,id"),
        ("limit", "0"),
        ("offset", "-1"),
        ("as_of", "garbage"),
        # Not offered here: an unknown parameter, not ignored.
        ("fields", "id,kind"),
        ("after", "3"),
        ("q", "acme"),
        ("compnay", "acme"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(anon_api, facts, param, value):
    # A CSV holds every row: like the other lists' it reads no paging parameter.
    formats = ["json"] if param in ("limit", "offset") else ["json", "csv"]
    for query in ({param: value, "format": format_} for format_ in formats):
        response = anon_api.get(QUEUE, query)
        assert response.status_code == 400, (query, response.content)
        assert param in response.content.decode(), response.content


# --- cost -----------------------------------------------------------------------------------


def more_facts(n: int) -> None:
    for i in range(n):
        company = CompanyFactory()
        person = PersonFactory()
        product = ProductFactory(company=company)
        RoleFactory(person=person, company=company)
        MetricFactory(product=product, company=None)
        cite(MetricFactory(company=company), "A", "B")
        PartnershipFactory()
        FundingRoundFactory(company=company)
        InvestmentFactory(investor=CompanyFactory(kind="investor"), company=company)
        cite(EventFactory(), f"P{i}")


def test_a_page_costs_one_query_and_one_per_kind_on_it(anon_api, facts):
    every_kind = len([kind for kind in kinds() if kind.is_fact])

    def cost(query: str) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            rows = queue(anon_api, query)
        return len(rows), len(queries)

    def export_cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = anon_api.get(f"{QUEUE}?format=csv&has_citations=true")
            b"".join(response.streaming_content)
        return len(queries)

    cost("has_citations=true")  # content types and other per-process caches
    # The union, then each kind's facts with their subjects and sources; a last page is
    # not counted.
    assert cost("limit=1000") == (11, 1 + every_kind)
    # Every kind has a cited fact but partnerships.
    assert cost("limit=1000&has_citations=true&ordering=source_count") == (8, 1 + 8)
    assert cost("limit=3&kind=companies") == (2, 1 + 1)
    # A page that is not the last: and its count (on PostgreSQL, for a queue without a
    # condition on rows, the planner's estimate is asked first).
    assert cost("limit=1&kind=companies&status=verified,unverified") == (1, 1 + 1 + 1)
    postgres = connection.vendor == "postgresql"
    assert cost("limit=1&kind=companies") == (1, 1 + 1 + 1 + postgres)
    small_export = export_cost()
    assert small_export == 1 + 8

    more_facts(12)
    assert cost("limit=1000") == (11 + 12 * 11, 1 + every_kind)
    assert cost("limit=1000&has_citations=true&ordering=source_count") == (8 + 24, 1 + 8)
    assert export_cost() == small_export


# --- the schema -------------------------------------------------------------------------------


def test_the_schema_lists_every_parameter_and_its_values():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/facts/"]["get"]
    params = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert set(params) == {
        "kind",
        "status",
        "confidence",
        "claim_type",
        "has_citations",
        "source_count_min",
        "source_count_max",
        "updated_after",
        "updated_before",
        "ordering",
        "limit",
        "offset",
        "as_of",
        "format",
    }
    fact_kinds = sorted(kind.name for kind in kinds() if kind.is_fact)
    assert params["kind"]["items"]["enum"] == fact_kinds
    assert params["status"]["items"]["enum"] == ["disputed", "retracted", "unverified", "verified"]
    assert sorted(params["ordering"]["enum"]) == [
        "-source_count",
        "-updated_at",
        "source_count",
        "updated_at",
    ]
    assert params["updated_after"]["format"] == "date-time"
    assert params["has_citations"]["type"] == "boolean"
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
