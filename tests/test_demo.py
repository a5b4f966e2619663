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

from companies.models import Company, CompanyAlias, Person, Product, Role
from events.models import Event, Investment, Metric, Partnership
from factbase.core.kinds import kinds
from factbase.core.models import Citation, Source

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
    germany = metric("app-store-rank", product__slug="le-chat", region="DE")
    assert (germany.value, germany.qualifier) == (Decimal(66), "exact")
    assert germany.platform.slug == "ios"
    assert germany.note
    for region in ("IT", "ES", "GB"):
        rank = metric("app-store-rank", product__slug="le-chat", region=region)
        assert (rank.value, rank.qualifier) == (Decimal(101), "at_least")
        assert rank.value_display == "≥ 101"
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


def test_everything_is_verified_but_the_disputed_claim_and_the_speculation(demo):
    not_verified = [
        (type(fact).__name__, str(fact))
        for model in fact_models()
        for fact in model.objects.exclude(status="verified")
    ]
    assert sorted(not_verified) == [
        ("Investment", "MGX → Mistral AI"),
        ("Metric", "ChatGPT · Downloads: ≥ 500,000"),
    ]


def test_every_fact_has_a_citation(demo):
    facts = [fact for model in fact_models() for fact in model.objects.all()]
    assert len(facts) > 40
    uncited = [str(fact) for fact in facts if not fact.citations.exists()]
    assert uncited == []


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
    for model in history_models():
        if not any(f.name == "history_change_reason" for f in model._meta.fields):
            continue  # the rows of a many-to-many field's history
        reasons = set(model.objects.values_list("history_change_reason", flat=True))
        assert reasons <= {"load_demo", "Initial vocabulary"}, model


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

    output = load_demo()

    assert citation_languages(rank) == ["fr", "it"]
    assert "citations: 1 created" in output
