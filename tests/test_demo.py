"""The `load_demo` command: what it loads, that a second run writes nothing, and that every
citation quotes its source verbatim."""

import datetime
import hashlib
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from companies.models import Company, CompanyAlias, Person, Product, Role
from events.models import Event, Investment, Metric, MetricType, Partnership
from factbase.core.kinds import kinds
from factbase.core.models import Citation, Source
from factbase.demo import data

SOURCES_DIR = Path(__file__).resolve().parent.parent / "factbase" / "demo" / "sources"
IT_FILE = "2025-02-11-mistral-ai-action-summit.it.txt"
FR_FILE = "2025-02-le-chat-one-million-downloads.fr.txt"

pytestmark = pytest.mark.django_db


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo():
    load_demo()


def source(language: str) -> Source:
    return Source.objects.get(language=language)


def citation_languages(fact) -> list[str]:
    return sorted(fact.citations.values_list("source__language", flat=True))


def metric(metric_type: str, **filters) -> Metric:
    return Metric.objects.get(metric_type__slug=metric_type, **filters)


def fact_models():
    return [kind.model for kind in kinds() if kind.is_fact]


def history_models():
    return [m for m in apps.get_models() if m.__name__.startswith("Historical")]


def row_counts() -> dict[str, int]:
    return {
        m._meta.label: m._base_manager.count() for m in apps.get_models(include_auto_created=True)
    }


# Sources


def test_sources_hold_the_shipped_files_verbatim(demo):
    for language, name in (("it", IT_FILE), ("fr", FR_FILE)):
        raw = (SOURCES_DIR / name).read_bytes()
        stored = source(language)
        assert stored.text.encode("utf-8") == raw
        assert stored.text_sha256 == hashlib.sha256(raw).hexdigest()
        assert stored.kind == "news_article"
        assert stored.url is None
        assert stored.publisher.startswith("Unnamed publisher")


def test_sources_dates_and_titles(demo):
    italian, french = source("it"), source("fr")
    assert (italian.published_on, italian.published_precision) == (
        datetime.date(2025, 2, 11),
        "day",
    )
    assert italian.title == "Mistral si rilancia all’AI Action Summit di Parigi (grazie a Macron)"
    assert (french.published_on, french.published_precision) == (datetime.date(2025, 2, 1), "month")
    assert french.title.startswith("[No headline]")


# 1. Companies and people


def test_companies(demo):
    expected = {
        "mistral-ai": ("Mistral AI", "ai_lab", "FR"),
        "openai": ("OpenAI", "ai_lab", ""),
        "anthropic": ("Anthropic", "ai_lab", ""),
        "deepseek": ("DeepSeek", "ai_lab", "CN"),
        "google": ("Google", "technology", ""),
        "microsoft": ("Microsoft", "technology", ""),
        "france-travail": ("France Travail", "public_agency", ""),
        "veolia": ("Veolia", "enterprise", ""),
        "stellantis": ("Stellantis", "enterprise", ""),
        "helsing": ("Helsing", "technology", ""),
        "bpifrance": ("Bpifrance", "investor", ""),
        "mgx": ("MGX", "investor", "AE"),
    }
    found = {c.slug: (c.name, c.kind, c.country) for c in Company.objects.all()}
    assert found == expected
    assert list(CompanyAlias.objects.values_list("company__slug", "name")) == [
        ("mistral-ai", "Mistral")
    ]


def test_people_and_roles(demo):
    assert Person.objects.get(slug="emmanuel-macron").description == "President of France"
    assert set(Person.objects.values_list("slug", flat=True)) == {
        "arthur-mensch",
        "nicolas-dufourcq",
        "emmanuel-macron",
    }
    assert set(Role.objects.values_list("person__slug", "company__slug", "title")) == {
        ("arthur-mensch", "mistral-ai", "Co-founder and CEO"),
        ("nicolas-dufourcq", "bpifrance", "CEO"),
    }


# 2. Products


def test_products(demo):
    found = {p.slug: (p.name, p.company.slug, p.kind) for p in Product.objects.all()}
    assert found == {
        "le-chat": ("Le Chat", "mistral-ai", "assistant_app"),
        "chatgpt": ("ChatGPT", "openai", "assistant_app"),
        "gemini": ("Gemini", "google", "assistant_app"),
        "copilot": ("Copilot", "microsoft", "assistant_app"),
        "deepseek-app": ("DeepSeek app", "deepseek", "assistant_app"),
    }
    le_chat = Product.objects.get(slug="le-chat")
    assert le_chat.audience == "consumers_and_businesses"
    assert set(le_chat.platforms.values_list("slug", flat=True)) == {"ios", "android"}


# 3, 4, 11. Funding and investors


def test_total_funding(demo):
    funding = metric("total-funding", company__slug="mistral-ai")
    assert (funding.value, funding.qualifier, funding.currency) == (
        Decimal(1_000_000_000),
        "at_least",
        "USD",
    )
    assert funding.status == "verified"


def test_bpifrance_first_investor(demo):
    investment = Investment.objects.get(investor__slug="bpifrance", company__slug="mistral-ai")
    assert investment.funding_round is None
    assert investment.description == "one of the first investors"
    assert investment.status == "verified"


def test_mgx_is_speculation_with_low_confidence(demo):
    investment = Investment.objects.get(investor__slug="mgx", company__slug="mistral-ai")
    assert investment.funding_round is None
    assert investment.claim_type == "speculation"
    assert investment.confidence == "low"
    assert investment.status != "verified"
    assert investment.note
    assert citation_languages(investment) == ["it"]


# 5, 6, 7. Le Chat's ranks and downloads


def test_le_chat_first_on_ios_in_france_cited_by_both_articles(demo):
    rank = metric("app-store-rank", product__slug="le-chat", region="FR")
    assert (rank.value, rank.qualifier, rank.platform.slug) == (Decimal(1), "exact", "ios")
    assert rank.citations.count() == 2
    assert citation_languages(rank) == ["fr", "it"]
    assert rank.citations.values("source").distinct().count() == 2
    assert rank.status == "verified"


def test_le_chat_ranks_abroad(demo):
    germany = metric("app-store-rank", product__slug="le-chat", region="DE", value=66)
    assert (germany.value, germany.qualifier) == (Decimal(66), "exact")
    assert germany.platform.slug == "ios"
    assert germany.note
    for region in ("IT", "GB"):
        rank = metric("app-store-rank", product__slug="le-chat", region=region)
        assert (rank.value, rank.qualifier) == (Decimal(101), "at_least")
        assert rank.value_display == "≥ 101"
    # France; Germany twice (6, a typing mistake, and 66); Italy; the United Kingdom.
    # Spain's was deleted (see the story below).
    assert Metric.objects.filter(metric_type__slug="app-store-rank").count() == 5


def test_le_chat_million_downloads_in_14_days(demo):
    downloads = metric("downloads", product__slug="le-chat")
    assert (downloads.value, downloads.qualifier) == (Decimal(1_000_000), "at_least")
    assert (downloads.window_days, downloads.window_anchor) == (14, "launch")
    assert downloads.region == ""
    assert downloads.platform is None


# 8. The summit and Macron's endorsement


def test_macron_endorsement_at_the_summit(demo):
    summit = Event.objects.get(kind="summit")
    assert (summit.title, summit.place, summit.country) == ("AI Action Summit", "Paris", "FR")
    assert (summit.occurred_on, summit.occurred_precision) == (datetime.date(2025, 2, 1), "month")

    endorsement = Event.objects.get(kind="endorsement")
    assert endorsement.part_of == summit
    assert list(endorsement.people.values_list("slug", flat=True)) == ["emmanuel-macron"]
    assert set(endorsement.products.values_list("slug", flat=True)) == {"le-chat", "chatgpt"}
    assert set(endorsement.companies.values_list("slug", flat=True)) == {"mistral-ai", "openai"}
    assert set(citation_languages(endorsement)) == {"it", "fr"}
    macron = Person.objects.get(slug="emmanuel-macron")
    said = endorsement.citations.get(attributed_to=macron)
    assert said.quote.startswith("Quando la scaricate")


# 9. Partnerships


def test_partnerships_and_their_parties(demo):
    expected = {
        "france-travail": ("public_sector", "customer"),
        "veolia": ("commercial", "customer"),
        "stellantis": ("commercial", "customer"),
        "helsing": ("defence", "partner"),
    }
    assert Partnership.objects.count() == 4
    for slug, (kind, role) in expected.items():
        partnership = Partnership.objects.get(companies__slug=slug)
        assert partnership.kind == kind
        parties = set(partnership.parties.values_list("company__slug", "role"))
        assert parties == {("mistral-ai", "provider"), (slug, role)}
    stellantis = Partnership.objects.get(companies__slug="stellantis")
    assert (stellantis.starts_on, stellantis.starts_precision) == (
        datetime.date(2025, 1, 1),
        "year",
    )
    assert stellantis.starts_expected is True
    assert stellantis.note
    france_travail = Partnership.objects.get(companies__slug="france-travail")
    assert france_travail.citations.get().attributed_to.slug == "arthur-mensch"


# 10. Revenue


def test_revenue_target_and_revenue(demo):
    target = metric("revenue-target", company__slug="mistral-ai")
    assert (target.claim_type, target.value, target.currency) == (
        "target",
        Decimal(500_000_000),
        "EUR",
    )
    assert (target.period_start, target.period_precision) == (datetime.date(2025, 1, 1), "year")

    revenue = metric("revenue", company__slug="mistral-ai")
    assert revenue.claim_type == "reported"
    assert (revenue.qualifier, revenue.value, revenue.value_high, revenue.currency) == (
        "range",
        Decimal(10_000_000),
        Decimal(99_999_999),
        "EUR",
    )
    assert (revenue.period_start, revenue.period_precision) == (datetime.date(2024, 1, 1), "year")
    assert revenue.note


# 11. The data centre


def test_data_centre_plan_and_planned_investment(demo):
    plan = Event.objects.get(kind="plan")
    assert (plan.place, plan.country) == ("Essonne", "FR")
    assert list(plan.companies.values_list("slug", flat=True)) == ["mistral-ai"]

    investment = metric("planned-investment", company__slug="mistral-ai")
    assert (investment.claim_type, investment.qualifier) == ("target", "at_least")
    assert (investment.value, investment.currency, investment.region) == (
        Decimal(1_000_000_000),
        "EUR",
        "FR",
    )
    assert "miliardi" in investment.note


# 12, 13, 14. ChatGPT and DeepSeek downloads


def test_chatgpt_november_2023_claim_is_disputed(demo):
    claim = metric("downloads", product__slug="chatgpt", window_days=6)
    assert (claim.value, claim.window_anchor) == (Decimal(500_000), "launch")
    assert (claim.period_start, claim.period_precision) == (datetime.date(2023, 11, 1), "month")
    assert (claim.region, claim.platform.slug) == ("US", "ios")
    assert claim.status == "disputed"
    assert "May 2023" in claim.note


def test_chatgpt_350_million_downloads(demo):
    downloads = metric("downloads", product__slug="chatgpt", window_days=None)
    assert (downloads.value, downloads.qualifier) == (Decimal(350_000_000), "at_least")
    assert (downloads.period_start, downloads.period_precision) == (
        datetime.date(2025, 2, 1),
        "month",
    )
    assert downloads.region == ""


def test_deepseek_million_downloads_in_january(demo):
    downloads = metric("downloads", product__slug="deepseek-app")
    assert (downloads.value, downloads.qualifier) == (Decimal(1_000_000), "at_least")
    assert (downloads.period_start, downloads.period_end, downloads.period_precision) == (
        datetime.date(2025, 1, 10),
        datetime.date(2025, 1, 31),
        "day",
    )


# Statuses and citations


def test_everything_is_verified_but_what_waits_for_review(demo):
    not_verified = [
        (type(fact).__name__, fact.status, str(fact))
        for model in fact_models()
        for fact in model.objects.exclude(status="verified")
    ]
    assert sorted(not_verified) == [
        ("Event", "unverified", "Le Chat launches on iOS and Android"),
        ("Investment", "unverified", "MGX → Mistral AI"),
        ("Metric", "disputed", "ChatGPT · Downloads: ≥ 500,000"),
        ("Metric", "unverified", "Le Chat · App-store rank: 66"),
    ]


def test_every_fact_has_a_citation_but_the_launch_awaiting_a_source(demo):
    facts = [fact for model in fact_models() for fact in model.objects.all()]
    assert len(facts) > 40
    uncited = [str(fact) for fact in facts if not fact.citations.exists()]
    assert uncited == ["Le Chat launches on iOS and Android"]


def test_every_quote_is_verbatim_at_its_offsets_and_outside_the_related_headlines(demo):
    headlines_start = source("it").text.index("POTREBBE INTERESSARTI")
    citations = Citation.objects.select_related("source")
    assert citations.count() > 40
    for citation in citations:
        text = citation.source.text
        assert text[citation.char_start : citation.char_end] == citation.quote
        assert citation.translation
        if citation.source.language == "it":
            assert citation.char_end <= headlines_start, citation.quote


def test_check_citations_passes_after_loading(demo):
    out = StringIO()
    call_command("check_citations", stdout=out)
    assert f"{Citation.objects.count()} citations checked against stored text, 0 failed" in (
        out.getvalue()
    )


def test_quotes_by_people_are_attributed(demo):
    speakers = set(
        Citation.objects.exclude(attributed_to=None).values_list("attributed_to__slug", flat=True)
    )
    assert speakers == {"arthur-mensch", "emmanuel-macron", "nicolas-dufourcq"}


def test_history_records_the_reason(demo):
    later = {
        f"load_demo: {record[step].why}"
        for records in (data.EVENTS, data.METRICS)
        for record in records
        for step in ("recorded", "corrected", "deleted")
        if step in record
    }
    assert len(later) == 4
    for model in history_models():
        if not any(f.name == "history_change_reason" for f in model._meta.fields):
            continue  # the rows of a many-to-many field's history
        reasons = set(model.objects.values_list("history_change_reason", flat=True))
        assert reasons <= {"load_demo", "Initial vocabulary", *later}, model


# Idempotence


def test_running_twice_changes_nothing():
    first = load_demo()
    assert not first.splitlines()[-1].startswith("Demo data loaded: 0 created")
    counts = row_counts()
    history = sum(m.objects.count() for m in history_models())
    assert history > 0

    second = load_demo()

    assert row_counts() == counts
    assert sum(m.objects.count() for m in history_models()) == history
    assert second.splitlines()[-1].startswith("Demo data loaded: 0 created,")


def test_a_missing_citation_is_added_back_on_the_next_run(demo):
    rank = metric("app-store-rank", product__slug="le-chat", region="FR")
    french = rank.citations.get(source__language="fr")
    french.delete()
    started = timezone.now()

    output = load_demo()

    assert citation_languages(rank) == ["fr", "it"]
    assert "citations: 1 created" in output
    # Added now: the demo's past is written once, on a fresh database.
    assert rank.citations.get(source__language="fr").created_at >= started


def test_a_missing_link_is_added_back_on_the_next_run_as_a_version(demo):
    event = Event.objects.filter(companies__isnull=False).distinct().order_by("pk").first()
    listed = sorted(event.companies.values_list("pk", flat=True))
    event.companies.remove(listed[0])
    version = event.version

    output = load_demo()

    event = Event.objects.get(pk=event.pk)
    assert sorted(event.companies.values_list("pk", flat=True)) == listed
    assert "event companies links: 1 created" in output
    # Written through the services: a version of the event, by the demo, which lists it.
    assert event.version == version + 1
    assert event.history.first().history_change_reason.startswith("load_demo")


def test_nothing_is_written_again_after_the_examples_of_the_docs(demo, editor_api):
    """The resolve and restore of docs/api.md leave the demo complete: a new run finds
    every record (the restored rank in Spain among them) and writes nothing."""
    six, sixty_six = germany(6), germany(66)
    resolved = editor_api.post(
        "/api/v1/conflicts/resolve/",
        {"keep": sixty_six.pk, "dispute": six.pk, "reason": "66th in the article"},
        format="json",
    )
    assert resolved.status_code == 200, resolved.content
    restored = editor_api.post(f"/api/v1/metrics/{spain_id()}/restore/", {}, format="json")
    assert restored.status_code == 201, restored.content
    counts = row_counts()

    assert load_demo().splitlines()[-1].startswith("Demo data loaded: 0 created,")
    assert row_counts() == counts


# How it was recorded: the articles' readings, then the editors' later writes, each at its
# own instant (data.py's docstring), shown through the API as time travel, history, the
# change log, a restore, a conflict and the review filters show them.

IT_READ, FR_READ = data.READ["it"], data.READ["fr"]
CORRECTED = datetime.datetime(2025, 2, 13, 8, 15, tzinfo=datetime.UTC)
DELETED = datetime.datetime(2025, 2, 14, 16, 40, tzinfo=datetime.UTC)
ADDED = datetime.datetime(2025, 3, 3, 10, 0, tzinfo=datetime.UTC)


def germany(rank: int) -> Metric:
    return metric("app-store-rank", product__slug="le-chat", region="DE", value=rank)


def spain_id() -> int:
    (row,) = Metric.history.filter(region="ES", history_type="-")
    return row.id


def test_each_article_is_recorded_when_it_was_read(demo):
    assert source("it").created_at == IT_READ
    assert source("fr").created_at == FR_READ
    # Cited by the Italian article: recorded at its reading; the French one added its
    # citation when it was read.
    rank = metric("app-store-rank", product__slug="le-chat", region="FR")
    assert rank.created_at == IT_READ
    assert sorted(c.created_at for c in rank.citations.all()) == [IT_READ, FR_READ]
    # Cited by the French article alone: recorded at its reading.
    assert metric("downloads", product__slug="le-chat").created_at == FR_READ
    assert Product.objects.get(slug="gemini").created_at == FR_READ
    assert Company.objects.get(slug="mistral-ai").history.get().history_date == IT_READ


def test_as_of_before_the_french_reading_shows_the_italian_facts(demo, anon_api):
    before = anon_api.get(
        "/api/v1/metrics/?product=le-chat&as_of=2025-02-15T12:00:00Z&fields=region,value,metric_type"
    ).json()["results"]
    assert [(row["region"], row["value"]) for row in before] == [
        ("FR", "1"),
        ("DE", "6"),
        ("IT", "101"),
        ("GB", "101"),
    ]
    # The vocabulary is there then too: it is recorded before any record.
    assert {row["metric_type"]["slug"] for row in before} == {"app-store-rank"}
    first = anon_api.get("/api/v1/sources/?as_of=2025-02-15&fields=language").json()
    assert [row["language"] for row in first["results"]] == ["it"]


def test_the_revenue_target_typed_in_dollars_was_corrected_to_euros(demo, anon_api):
    path = "/api/v1/metrics/?metric_type=revenue-target&fields=currency"
    then = anon_api.get(f"{path}&as_of=2025-02-13T08:14:59Z").json()["results"]
    assert then == [{"currency": "USD"}]
    assert anon_api.get(path).json()["results"] == [{"currency": "EUR"}]
    target = metric("revenue-target", company__slug="mistral-ai")
    versions = anon_api.get(f"/api/v1/metrics/{target.pk}/history/").json()["results"]
    correction = next(v for v in versions if v["version"] == 2)
    assert correction["at"] == "2025-02-13T08:15:00Z"
    assert correction["reason"].startswith("load_demo: “500 milioni di euro”")
    assert correction["changes"] == [{"field": "currency", "old": "USD", "new": "EUR"}]


def test_the_rank_in_spain_deleted_as_a_duplicate_is_restored_with_its_citations(
    demo, anon_api, editor_api
):
    assert not Metric.objects.filter(region="ES").exists()
    pk = spain_id()
    (deleted,) = Metric.history.filter(id=pk, history_type="-")
    assert deleted.history_date == DELETED
    assert deleted.history_change_reason.startswith("load_demo: Duplicate of Le Chat's rank")
    gone = Citation.history.filter(object_id=pk, history_type="-", history_date=DELETED)
    assert gone.count() == 2
    on_the_13th = anon_api.get("/api/v1/metrics/?region=ES&as_of=2025-02-13").json()
    assert [row["id"] for row in on_the_13th["results"]] == [pk]

    restored = editor_api.post(
        f"/api/v1/metrics/{pk}/restore/", {"reason": "Spain, not Italy"}, format="json"
    )

    assert restored.status_code == 201, restored.content
    assert restored.json()["region"] == "ES"
    assert len(restored.json()["citations"]) == 2


def test_the_open_conflict_is_le_chat_in_germany_and_resolves(demo, anon_api, editor_api):
    six, sixty_six = germany(6), germany(66)
    assert (six.status, six.created_at) == ("verified", IT_READ)
    assert (sixty_six.status, sixty_six.created_at) == ("unverified", ADDED)
    (row,) = anon_api.get("/api/v1/conflicts/").json()["results"]
    assert row["reason"] == "exactly 6 vs exactly 66"
    assert [claim["id"] for claim in row["claims"]] == [six.pk, sixty_six.pk]

    resolved = editor_api.post(
        "/api/v1/conflicts/resolve/",
        {"keep": sixty_six.pk, "dispute": six.pk, "reason": "66th in the article"},
        format="json",
    )

    assert resolved.status_code == 200, resolved.content
    assert anon_api.get("/api/v1/conflicts/").json()["results"] == []


def test_the_review_filters_find_the_launch_and_the_disputed_claim(demo, anon_api):
    uncited = anon_api.get("/api/v1/events/?has_citations=false&fields=title,status").json()
    assert uncited["results"] == [
        {"title": "Le Chat launches on iOS and Android", "status": "unverified"}
    ]
    disputed = anon_api.get("/api/v1/metrics/?status=disputed&fields=window_days").json()
    assert disputed["results"] == [{"window_days": 6}]


def test_the_change_log_tells_the_story_newest_first(demo, anon_api):
    rows = anon_api.get("/api/v1/changes/?kind=metrics&limit=100").json()["results"]
    ats = [row["at"] for row in rows]
    assert ats == sorted(ats, reverse=True)
    assert {(row["at"], row["action"]) for row in rows if row["at"] > "2025-02-12T09:30:00Z"} == {
        ("2025-03-03T10:00:00Z", "create"),  # Germany's 66
        ("2025-03-03T10:00:00Z", "update"),  # the US dollar values, once everything is there
        ("2025-02-20T14:00:00Z", "create"),  # the French article's metrics
        ("2025-02-20T14:00:00Z", "update"),  # Le Chat's rank in France, cited by it too
        ("2025-02-14T16:40:00Z", "delete"),  # Spain's rank
        ("2025-02-13T08:15:00Z", "update"),  # the revenue target in euros
    }


def test_the_past_is_written_only_after_the_vocabulary_it_names():
    """A database whose metric types were recorded after the demo's first reading gets
    the demo now: its past would name a vocabulary that did not exist yet."""
    MetricType.history.filter(slug="downloads").update(history_date=timezone.now())
    started = timezone.now()

    output = load_demo()

    assert "Recorded now, not at the demo's own dates: the metric types it names" in output
    assert Source.objects.get(language="it").created_at >= started
    assert Metric.objects.filter(region="ES").exists()  # the past's delete is not replayed
