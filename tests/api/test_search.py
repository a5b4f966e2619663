"""Text search, `q=`: word beginnings, accents, aliases and other related names, a source's
text, typos, and on PostgreSQL the indexes that serve it (factbase/api/filters.py)."""

import hashlib
import importlib

import pytest
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.test.utils import CaptureQueriesContext

from companies.filters import CompanyFilterSet
from companies.models import Company, CompanyAlias
from factbase.api import search
from factbase.api.filters import RecordFilterSet
from factbase.api.search import InIds, related_model, search_tiers

from ..factories import (
    CompanyAliasFactory,
    CompanyFactory,
    MetricFactory,
    PartnershipFactory,
    PartnershipPartyFactory,
    ProductFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="accent folding, word order, typos and indexes are PostgreSQL's; SQLite matches "
    "the text as typed",
)


def found(client, path: str, query: str, **params) -> list[int]:
    response = client.get(f"/api/v1/{path}/", {"q": query, "limit": 1000, **params})
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def source(text: str, **kwargs):
    digest = hashlib.sha256(text.encode()).hexdigest()
    return SourceFactory(text=text, text_sha256=digest, **kwargs)


# --- what it finds, on either database ---------------------------------------------------------


def test_the_beginning_of_a_word_finds_the_name(anon_api):
    mistral = CompanyFactory(name="Mistral AI")
    CompanyFactory(name="Kyutai")
    assert found(anon_api, "companies", "mistr") == [mistral.pk]
    assert found(anon_api, "companies", "MISTRAL") == [mistral.pk]


def test_every_word_must_be_found(anon_api):
    mistral = CompanyFactory(name="Mistral AI")
    assert found(anon_api, "companies", "mistral ai") == [mistral.pk]
    assert found(anon_api, "companies", "mistral labs") == []


def test_an_alias_finds_its_company_once(anon_api):
    mistral = CompanyFactory(name="Mistral AI")
    CompanyAliasFactory(company=mistral, name="Zorblax")
    CompanyAliasFactory(company=mistral, name="Zorblax SAS")
    CompanyFactory(name="Kyutai")
    assert found(anon_api, "companies", "zorbl") == [mistral.pk]


def test_the_name_of_a_related_record_finds_the_record(anon_api):
    mistral, other = CompanyFactory(name="Mistral AI"), CompanyFactory(name="Kyutai")
    product = ProductFactory(company=mistral, name="Le Chat")
    ProductFactory(company=other, name="Moshi")
    metric = MetricFactory(company=mistral)
    MetricFactory(company=other)
    partnership = PartnershipFactory(title="A deal")
    PartnershipPartyFactory(partnership=partnership, company=mistral)
    PartnershipPartyFactory(partnership=partnership, company=CompanyFactory(name="Stellantis"))
    assert found(anon_api, "products", "mistr") == [product.pk]
    assert found(anon_api, "metrics", "mistr") == [metric.pk]
    assert found(anon_api, "partnerships", "mistr") == [partnership.pk]


def test_a_source_is_found_by_its_text(anon_api):
    hit = source("Analysts call it quokkanomics: growth without revenue.")
    source("Nothing to see here.")
    assert found(anon_api, "sources", "quokkanomics") == [hit.pk]
    assert found(anon_api, "sources", "quokkanom") == [hit.pk]


def test_a_long_text_is_saved_and_found_by_its_beginning(anon_api):
    # 300,000 characters of distinct two-letter words: a tsvector of all of them would pass
    # PostgreSQL's 1 MB limit, so the index covers the first 100,000 characters only.
    words = " ".join(chr(0x20000 + i // 2000) + chr(0x20000 + i % 2000) for i in range(100_000))
    hit = source("Quokkanomics, at length. " + words)
    assert found(anon_api, "sources", "quokkanomics") == [hit.pk]


def test_results_come_in_id_order_and_page_by_id(anon_api):
    made = sorted(CompanyFactory(name=f"Mistral {n}").pk for n in range(5))
    CompanyFactory(name="Kyutai")
    assert found(anon_api, "companies", "mistral") == made
    assert found(anon_api, "companies", "mistral", ordering="-id") == made[::-1]
    page = anon_api.get("/api/v1/companies/", {"q": "mistral", "limit": 3}).json()
    assert [row["id"] for row in page["results"]] == made[:3]
    rest = anon_api.get(page["next"]).json()
    assert [row["id"] for row in rest["results"]] == made[3:]


def test_a_query_without_words_finds_nothing_and_a_long_one_answers(anon_api):
    CompanyFactory(name="Mistral AI")
    assert found(anon_api, "companies", "!!! ??") == []
    response = anon_api.get("/api/v1/companies/", {"q": " ".join(["mistral"] * 125)})
    assert response.status_code == 200  # 999 characters, of which the first 10 words count
    response = anon_api.get("/api/v1/companies/", {"q": " ".join(["mistral"] * 2000)})
    assert response.status_code == 400
    assert list(response.json()) == ["q"]


def test_the_csv_export_searches_too(anon_api):
    mistral = CompanyFactory(name="Mistral AI")
    CompanyAliasFactory(company=mistral, name="Zorblax")
    CompanyFactory(name="Kyutai")
    response = anon_api.get("/api/v1/companies/", {"q": "zorbl", "format": "csv"})
    rows = b"".join(response.streaming_content).decode().splitlines()[1:]
    assert [int(row.split(",")[0]) for row in rows] == [mistral.pk]


def test_as_of_searches_the_past(anon_api):
    mistral = CompanyFactory(name="Mistral AI")
    assert found(anon_api, "companies", "mistral", as_of="2999-01-01T00:00:00Z") == [mistral.pk]


def test_a_word_typed_with_a_combining_accent_is_the_word(anon_api):
    energie = CompanyFactory(name="Énergie Solaire")
    CompanyFactory(name="Nergie Labs")
    assert found(anon_api, "companies", "E\u0301nergie") == [energie.pk]
    assert found(anon_api, "companies", "\u00c9nergie") == [energie.pk]


# --- PostgreSQL: accents, word order, typos --------------------------------------------------


@postgresql_only
def test_accents_fold_both_ways(anon_api):
    energie = CompanyFactory(name="Énergie Solaire")
    verte = CompanyFactory(name="Energie Verte")
    assert found(anon_api, "companies", "energie") == [energie.pk, verte.pk]
    assert found(anon_api, "companies", "Énergie") == [energie.pk, verte.pk]
    assert found(anon_api, "companies", "solaire ENERG") == [energie.pk]


@postgresql_only
def test_words_match_in_any_order_and_column(anon_api):
    mistral = CompanyFactory(name="Mistral AI", description="Builds open models.")
    assert found(anon_api, "companies", "ai mistral") == [mistral.pk]
    assert found(anon_api, "companies", "mistral models") == [mistral.pk]


@postgresql_only
def test_a_typo_finds_the_name_when_nothing_matches_exactly(anon_api):
    mistral = CompanyFactory(name="Mistral AI")
    mistrel = CompanyFactory(name="Mistrel Labs")
    CompanyFactory(name="Kyutai")
    assert found(anon_api, "companies", "mistrall") == [mistral.pk]
    # An exact match leaves the names that only resemble it out.
    assert found(anon_api, "companies", "mistral") == [mistral.pk]
    assert found(anon_api, "companies", "mistrul") == [mistral.pk, mistrel.pk]


@postgresql_only
def test_a_typo_in_an_alias_or_a_related_name(anon_api):
    mistral = CompanyFactory(name="Mistral AI")
    CompanyAliasFactory(company=mistral, name="Zorblax")
    product = ProductFactory(company=mistral, name="Le Chat")
    assert found(anon_api, "companies", "zorblx") == [mistral.pk]
    assert found(anon_api, "products", "mistrl") == [product.pk]


# --- PostgreSQL: the indexes -------------------------------------------------------------------


def filtersets():
    """The FilterSet of every kind: the subclasses of RecordFilterSet with a model."""

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for module in ("companies.filters", "events.filters"):
        importlib.import_module(module)
    found = {fs for fs in subclasses(RecordFilterSet) if getattr(fs, "Meta", None)}
    return sorted(found, key=lambda fs: fs.__name__)


FILTERSETS = filtersets()


def expected_indexes(filterset) -> tuple[set[str], set[str]]:
    """The indexes a kind's search needs, from its declarations: for the precise tier, its
    document and the document of each related name; for the similar tier, the trigrams of
    its names and of each related name."""
    model = filterset.Meta.model
    table = model._meta.db_table
    paths = [path.split("__") for path in filterset.search_fields]
    precise = {f"{table}_search"} if any(len(path) == 1 for path in paths) else set()
    similar = {f"{table}_{model._meta.get_field(c).column}_trgm" for c in filterset.search_names}
    for *relation, column in (path for path in paths if len(path) > 1):
        target = related_model(model, relation)
        name = f"{target._meta.db_table}_{target._meta.get_field(column).column}"
        precise.add(f"{name}_search")
        similar.add(f"{name}_trgm")
    return precise, similar


def plan(queryset) -> str:
    with connection.cursor() as cursor:
        # The tables are nearly empty: without this, reading them whole is cheapest.
        cursor.execute("SET enable_seqscan = off")
        try:
            return queryset.explain()
        finally:
            cursor.execute("RESET enable_seqscan")


def assert_reads(plan: str, indexes: set[str]):
    for index in indexes:
        assert f"Bitmap Index Scan on {index}" in plan, (index, plan)
    assert "Seq Scan" not in plan, plan


@pytest.mark.parametrize("filterset", FILTERSETS, ids=lambda fs: fs.__name__)
def test_names_are_searched_columns(filterset):
    own = {path for path in filterset.search_fields if "__" not in path}
    assert set(filterset.search_names) <= own


@postgresql_only
@pytest.mark.parametrize("filterset", FILTERSETS, ids=lambda fs: fs.__name__)
def test_each_tier_reads_its_indexes(filterset):
    model = filterset.Meta.model
    precise, similar = search_tiers(model, filterset, ["mistr", "labs"])
    precise_indexes, similar_indexes = expected_indexes(filterset)
    assert_reads(plan(model.objects.filter(InIds("pk", precise))), precise_indexes)
    if similar_indexes:
        assert_reads(plan(model.objects.filter(InIds("pk", similar))), similar_indexes)
    else:
        assert similar is None


@postgresql_only
@pytest.mark.parametrize("filterset", FILTERSETS, ids=lambda fs: fs.__name__)
def test_each_tier_reads_its_indexes_as_prepared_whatever_the_words(filterset):
    """The statements a search runs prepared (search.TierStatement): their plan for any
    words, the one PostgreSQL may keep after a few runs, reads the same indexes."""
    model = filterset.Meta.model
    words = ["mistr", "labs"]
    statements = search._tier_statements(model, filterset, len(words))
    for statement, indexes in zip(statements, expected_indexes(filterset), strict=True):
        if not indexes:
            assert statement is None
            continue
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("SET plan_cache_mode = force_generic_plan")
            try:
                # Prepared as a search prepares it, then its plan asked for by name.
                connection.connection.execute("DEALLOCATE ALL")
                statement.ids(words, connection.alias)
                cursor.execute("SELECT name FROM pg_prepared_statements WHERE NOT from_sql")
                ((name,),) = cursor.fetchall()
                values = statement.values(words)
                cursor.execute(f"EXPLAIN EXECUTE {name}({', '.join(['%s'] * len(values))})", values)
                shown = "\n".join(row[0] for row in cursor.fetchall())
                assert "$1" in shown, shown  # the plan for any words, not for these
                assert_reads(shown, indexes)
            finally:
                cursor.execute("RESET plan_cache_mode")
                cursor.execute("RESET enable_seqscan")


def searched(params: dict) -> tuple[str, str]:
    """The plan of the search that answered for `params` (the ids it found), and the SQL
    of the list's query the filter then builds."""
    queryset = Company.objects.order_by("id")
    with CaptureQueriesContext(connection) as queries:
        listed = CompanyFilterSet(params, queryset=queryset).qs
        try:
            sql = str(listed.query)
        except EmptyResultSet:  # nothing found: the list asks the database nothing
            sql = ""
    search = queries.captured_queries[-1]  # the tier that answered: precise, else similar
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute(f"EXPLAIN {search['sql']}")
            return "\n".join(row[0] for row in cursor.fetchall()), sql
        finally:
            cursor.execute("RESET enable_seqscan")


@postgresql_only
def test_the_list_query_reads_the_indexes():
    """The search the filter runs, as the API runs it: precise when a record matches,
    similar names otherwise; the list's query then reads the ids it found."""
    # Statistics of tables of a realistic size: what tests before this one left in the
    # tables' statistics (a few rows) would make reading a whole small index cheapest.
    filler = Company.objects.create(name="Filler", slug="filler", kind="technology")
    CompanyAlias.objects.bulk_create(
        CompanyAlias(company=filler, name=f"Alias {i:05d}") for i in range(5000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE companies_companyalias")
        cursor.execute("ANALYZE companies_company")
    similar, _ = searched({"q": "mistrall"})
    assert "Bitmap Index Scan on companies_company_name_trgm" in similar, similar
    assert "Bitmap Index Scan on companies_companyalias_name_trgm" in similar, similar
    mistral = CompanyFactory(name="Mistral AI")
    precise, listed = searched({"q": "mistral"})
    assert "Bitmap Index Scan on companies_company_search" in precise, precise
    assert "Bitmap Index Scan on companies_companyalias_name_search" in precise, precise
    assert "_trgm" not in precise
    assert "Seq Scan" not in precise + similar
    # The list reads the id found, not the search again.
    assert f'"companies_company"."id" IN ({mistral.pk})' in listed, listed
    assert "to_tsvector" not in listed


@postgresql_only
def test_past_so_many_matches_the_search_is_a_subquery(anon_api, monkeypatch):
    """Past SEARCH_IDS_AT_MOST matches the ids are not read out: the list's queries run
    the search as a subquery; the answer is the same."""
    made = sorted(CompanyFactory(name=f"Mistral {n}").pk for n in range(3))
    CompanyAliasFactory(company_id=made[0], name="Mistral Labs")  # found twice, listed once
    assert found(anon_api, "companies", "mistral") == made
    monkeypatch.setattr(search, "SEARCH_IDS_AT_MOST", 2)
    with CaptureQueriesContext(connection) as queries:
        assert found(anon_api, "companies", "mistral") == made
    assert any("= ANY(ARRAY((SELECT" in q["sql"] for q in queries.captured_queries)


@postgresql_only
def test_a_search_is_built_once_per_kind_and_number_of_words(anon_api, monkeypatch):
    """The ORM builds a search's statements once per kind and number of words
    (search.TierStatement): other words, as many, are run by the same statements, and
    each search finds its own records, precisely or by similar names."""
    mistral, kyutai = CompanyFactory(name="Mistral AI"), CompanyFactory(name="Kyutai Labs")
    search._tier_statements.cache_clear()
    built = []
    tiers = search.search_tiers
    monkeypatch.setattr(
        search, "search_tiers", lambda *args: built.append(len(args[2])) or tiers(*args)
    )
    assert found(anon_api, "companies", "mistral ai") == [mistral.pk]
    assert found(anon_api, "companies", "kyutai labs") == [kyutai.pk]
    assert found(anon_api, "companies", "kyutai") == [kyutai.pk]
    assert found(anon_api, "companies", "mistrall") == [mistral.pk]  # a similar name
    assert found(anon_api, "companies", "labs ai") == []
    assert built == [2, 1]
