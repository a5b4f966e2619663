"""Every filter of every list: what it keeps and what it leaves out, and a bad value is a
400 naming the parameter. The cases hold on SQLite and on PostgreSQL alike."""

import datetime
from decimal import Decimal

import django_filters as df
import pytest
from django import forms
from django.http import QueryDict

from companies.filters import (
    CompanyFilterSet,
    PersonFilterSet,
    PlatformFilterSet,
    ProductFilterSet,
)
from events.filters import (
    EventFilterSet,
    FundingRoundFilterSet,
    InvestmentFilterSet,
    MetricFilterSet,
    MetricTypeFilterSet,
    PartnershipFilterSet,
)
from events.models import MetricType
from factbase.api.filters import CitationFilterSet, IdField, LanguageFilter, SourceFilterSet
from factbase.core.models import FactModel
from factbase.core.services import record_save

from ..factories import (
    CitationFactory,
    CompanyAliasFactory,
    CompanyFactory,
    EventFactory,
    FundingRoundFactory,
    InvestmentFactory,
    MetricFactory,
    MetricTypeFactory,
    PartnershipFactory,
    PartnershipPartyFactory,
    PersonFactory,
    PlatformFactory,
    ProductFactory,
    RoleFactory,
    SourceFactory,
    platform,
)
from .base import ids

pytestmark = pytest.mark.django_db

FILTERSETS = {
    "companies": CompanyFilterSet,
    "products": ProductFilterSet,
    "people": PersonFilterSet,
    "platforms": PlatformFilterSet,
    "partnerships": PartnershipFilterSet,
    "funding-rounds": FundingRoundFilterSet,
    "investments": InvestmentFilterSet,
    "metric-types": MetricTypeFilterSet,
    "metrics": MetricFilterSet,
    "events": EventFilterSet,
    "sources": SourceFilterSet,
    "citations": CitationFilterSet,
}
# Each list's factory, and a text field its `q` searches.
MAKERS = {
    "companies": (CompanyFactory, "name"),
    "products": (ProductFactory, "name"),
    "people": (PersonFactory, "name"),
    "platforms": (PlatformFactory, "name"),
    "partnerships": (PartnershipFactory, "title"),
    "funding-rounds": (FundingRoundFactory, "note"),
    "investments": (InvestmentFactory, "description"),
    "metric-types": (MetricTypeFactory, "name"),
    "metrics": (MetricFactory, "note"),
    "events": (EventFactory, "title"),
    "sources": (SourceFactory, "title"),
    "citations": (CitationFactory, "quote"),
}
FACT_PATHS = [path for path, (f, _) in MAKERS.items() if issubclass(f._meta.model, FactModel)]

OLD = datetime.datetime(2020, 5, 1, 12, 0, tzinfo=datetime.UTC)
NEW = datetime.datetime(2025, 5, 1, 12, 0, tzinfo=datetime.UTC)
DAY = {"precision": "day"}


def date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


# --- the cases -------------------------------------------------------------------------------
# Each case is (path, the parameters it exercises, build); build() creates the data and
# returns (query string, records it must return, records it must not return).

CASES = []


def case(path: str, *params: str):
    def register(build):
        CASES.append(pytest.param(path, params, build, id=f"{path}:{build.__name__}"))
        return build

    return register


def _common(path: str):
    factory, text_field = MAKERS[path]

    @case(path, "id")
    def by_id():
        a, b, c = factory(), factory(), factory()
        return f"id={a.pk},{b.pk}", [a, b], [c]

    @case(path, "created_after")
    def by_created_after():
        old, new = factory(created_at=OLD), factory(created_at=NEW)
        return "created_after=2024-01-01T00:00:00Z", [new], [old]

    @case(path, "created_before")
    def by_created_before():
        old, new = factory(created_at=OLD), factory(created_at=NEW)
        return "created_before=2024-01-01", [old], [new]

    @case(path, "updated_after")
    def by_updated_after():
        old, new = factory(updated_at=OLD), factory(updated_at=NEW)
        return "updated_after=2025-05-01T12:00:00%2B00:00", [new], [old]

    @case(path, "updated_before")
    def by_updated_before():
        old, new = factory(updated_at=OLD), factory(updated_at=NEW)
        # Before is strict: a record changed at that very instant is not before it.
        return "updated_before=2025-05-01T12:00:00Z", [old], [new]

    @case(path, "q")
    def by_text():
        hit = factory(**{text_field: "The Zephyrion initiative"})
        miss = factory(**{text_field: "Something else entirely"})
        return "q=zephyrion", [hit], [miss]

    @case(path, "q")
    def by_two_words():
        hit = factory(**{text_field: "Zephyrion Quokka"})
        half = factory(**{text_field: "Zephyrion alone"})
        return "q=zephyrion%20quokka", [hit], [half]


def backed_by_sources(factory):
    """Two publishers; two sources of one publisher (not independent); none."""
    two, one, uncited = factory(), factory(), factory()
    for fact, publishers in ((two, ["Le Monde", "Reuters"]), (one, ["Reuters", "Reuters"])):
        for publisher in publishers:
            CitationFactory(fact=fact, source=SourceFactory(publisher=publisher))
    return two, one, uncited


def _citations(path: str):
    """The review filters: facts with or without citations, backed by at most N."""
    factory, _ = MAKERS[path]

    @case(path, "source_count_max")
    def by_source_count_max():
        two, one, uncited = backed_by_sources(factory)
        return "source_count_max=1", [one, uncited], [two]

    @case(path, "has_citations")
    def by_has_citations():
        two, one, uncited = backed_by_sources(factory)
        return "has_citations=true", [two, one], [uncited]

    @case(path, "has_citations")
    def by_has_no_citations():
        two, one, uncited = backed_by_sources(factory)
        return "has_citations=false", [uncited], [two, one]


def _facts(path: str):
    factory, _ = MAKERS[path]

    @case(path, "status")
    def by_status():
        verified, disputed = factory(status="verified"), factory(status="disputed")
        return "status=verified,disputed", [verified, disputed], [factory()]

    @case(path, "confidence")
    def by_confidence():
        high, low = factory(confidence="high"), factory(confidence="low")
        return "confidence=high,low", [high, low], [factory(confidence="medium")]

    @case(path, "claim_type")
    def by_claim_type():
        target, estimate = factory(claim_type="target"), factory(claim_type="estimate")
        return "claim_type=target,estimate", [target, estimate], [factory()]

    def cited():
        le_monde = SourceFactory(publisher="Le Monde", language="fr")
        other = SourceFactory(publisher="Example News", language="en")
        a, b, uncited = factory(), factory(), factory()
        CitationFactory(fact=a, source=le_monde)
        CitationFactory(fact=a, source=le_monde)  # two citations, one row
        CitationFactory(fact=b, source=other)
        return le_monde, other, a, b, uncited

    @case(path, "source")
    def by_source():
        le_monde, other, a, b, uncited = cited()
        return f"source={le_monde.pk}", [a], [b, uncited]

    @case(path, "source")
    def by_sources():
        le_monde, other, a, b, uncited = cited()
        return f"source={le_monde.pk},{other.pk}", [a, b], [uncited]

    @case(path, "publisher")
    def by_publisher():
        le_monde, other, a, b, uncited = cited()
        return "publisher=le%20monde", [a], [b, uncited]

    @case(path, "language")
    def by_language():
        le_monde, other, a, b, uncited = cited()
        return "language=FR", [a], [b, uncited]

    def backed():
        return backed_by_sources(factory)

    @case(path, "corroborated")
    def by_corroborated():
        two, one, uncited = backed()
        return "corroborated=true", [two], [one, uncited]

    @case(path, "corroborated")
    def by_not_corroborated():
        two, one, uncited = backed()
        return "corroborated=false", [one, uncited], [two]

    @case(path, "source_count_min")
    def by_source_count_min():
        two, one, uncited = backed()
        return "source_count_min=1", [two, one], [uncited]


for _path in MAKERS:
    _common(_path)
for _path in FACT_PATHS:
    _facts(_path)
    _citations(_path)


# companies


@case("companies", "kind")
def company_kind():
    lab, investor = CompanyFactory(kind="ai_lab"), CompanyFactory(kind="investor")
    return "kind=ai_lab,investor", [lab, investor], [CompanyFactory(kind="technology")]


@case("companies", "country")
def company_country():
    fr, it = CompanyFactory(country="FR"), CompanyFactory(country="IT")
    return "country=FR,IT", [fr, it], [CompanyFactory(country="DE"), CompanyFactory(country="")]


@case("companies", "slug")
def company_slug():
    a, b = CompanyFactory(slug="mistral-ai"), CompanyFactory(slug="stellantis")
    return "slug=mistral-ai,stellantis", [a, b], [CompanyFactory()]


@case("companies", "founded_after", "founded_before")
def company_founded():
    old = CompanyFactory(founded_on=date("2001-01-01"), founded_precision="year")
    new = CompanyFactory(founded_on=date("2023-04-01"), founded_precision="month")
    between = CompanyFactory(founded_on=date("2015-06-01"), founded_precision="day")
    query = "founded_after=2010-01-01&founded_before=2020-01-01"
    return query, [between], [old, new, CompanyFactory()]


@case("companies", "has_products")
def company_has_products():
    maker = ProductFactory().company
    return "has_products=true", [maker], [CompanyFactory()]


@case("companies", "has_products")
def company_has_no_products():
    maker = ProductFactory().company
    return "has_products=false", [CompanyFactory()], [maker]


@case("companies", "has_partnerships")
def company_has_partnerships():
    party = PartnershipPartyFactory().company
    return "has_partnerships=1", [party], [CompanyFactory()]


@case("companies", "has_partnerships")
def company_has_no_partnerships():
    party = PartnershipPartyFactory().company
    return "has_partnerships=0", [CompanyFactory()], [party]


@case("companies", "has_funding")
def company_has_funding():
    raised = FundingRoundFactory().company
    return "has_funding=True", [raised], [CompanyFactory()]


@case("companies", "has_funding")
def company_has_no_funding():
    raised = FundingRoundFactory().company
    return "has_funding=false", [CompanyFactory()], [raised]


@case("companies", "q")
def company_by_alias():
    company = CompanyFactory(name="Mistral AI")
    CompanyAliasFactory(company=company, name="Zorblax")
    CompanyAliasFactory(company=company, name="Zorblax SAS")
    return "q=zorblax", [company], [CompanyFactory()]


@case("companies", "q")
def company_by_description():
    company = CompanyFactory(description="Builds quokka robots.")
    return "q=Quokka", [company], [CompanyFactory()]


# products


@case("products", "company")
def product_company():
    company = CompanyFactory()
    a, b = ProductFactory(company=company), ProductFactory(company=company)
    return f"company={company.slug}", [a, b], [ProductFactory()]


@case("products", "company")
def product_companies_by_id_and_slug():
    a, b = ProductFactory(), ProductFactory()
    return f"company={a.company.pk},{b.company.slug}", [a, b], [ProductFactory()]


@case("products", "company_id")
def product_company_id():
    a, b = ProductFactory(), ProductFactory()
    return f"company_id={a.company_id},{b.company_id}", [a, b], [ProductFactory()]


@case("products", "kind")
def product_kind():
    model, api = ProductFactory(kind="model"), ProductFactory(kind="api")
    return "kind=model,api", [model, api], [ProductFactory(kind="assistant_app")]


@case("products", "audience")
def product_audience():
    consumers = ProductFactory(audience="consumers")
    return "audience=consumers", [consumers], [ProductFactory(audience="businesses")]


@case("products", "platform")
def product_platform():
    ios, both, web = ProductFactory(), ProductFactory(), ProductFactory()
    ios.platforms.set([platform("ios")])
    both.platforms.set([platform("ios"), platform("android")])
    web.platforms.set([platform("web")])
    query = f"platform=ios,{platform('android').pk}"
    return query, [ios, both], [web, ProductFactory()]


@case("products", "slug")
def product_slug():
    chat = ProductFactory(slug="le-chat")
    return "slug=le-chat", [chat], [ProductFactory()]


@case("products", "launched_after", "launched_before")
def product_launched():
    early = ProductFactory(launched_on=date("2023-01-01"), launched_precision="year")
    launch = ProductFactory(launched_on=date("2025-02-06"), launched_precision="day")
    late = ProductFactory(launched_on=date("2025-12-01"), launched_precision="month")
    query = "launched_after=2025-02-06&launched_before=2025-02-06"
    return query, [launch], [early, late, ProductFactory()]


@case("products", "q")
def product_by_company_name():
    product = ProductFactory(company=CompanyFactory(name="Zorblax Industries"))
    return "q=zorblax", [product], [ProductFactory()]


# people


@case("people", "slug")
def person_slug():
    person = PersonFactory(slug="arthur-mensch")
    return "slug=arthur-mensch", [person], [PersonFactory()]


@case("people", "company")
def person_company():
    role = RoleFactory()
    RoleFactory(person=role.person, company=role.company, title="Chair")
    other = RoleFactory()
    return f"company={role.company.slug}", [role.person], [other.person, PersonFactory()]


@case("people", "company")
def person_company_by_id():
    a, b = RoleFactory(), RoleFactory()
    return f"company={a.company_id},{b.company.slug}", [a.person, b.person], [PersonFactory()]


@case("people", "company_id")
def person_company_id():
    role = RoleFactory()
    return f"company_id={role.company_id}", [role.person], [RoleFactory().person]


# platforms and metric types


@case("platforms", "slug")
def platform_slug():
    return "slug=ios,web", [platform("ios"), platform("web")], [platform("android")]


@case("metric-types", "slug")
def metric_type_slug():
    downloads = MetricType.objects.get(slug="downloads")
    return "slug=downloads", [downloads], [MetricType.objects.get(slug="revenue")]


@case("metric-types", "unit_kind")
def metric_type_unit_kind():
    money = list(MetricType.objects.filter(unit_kind="money"))
    rank = MetricTypeFactory(unit_kind="rank")
    return (
        "unit_kind=money,rank",
        [*money, rank],
        list(MetricType.objects.filter(unit_kind="count")),
    )


# sources and citations


@case("sources", "publisher")
def source_publisher():
    le_monde = SourceFactory(publisher="Le Monde")
    return "publisher=LE%20MONDE", [le_monde], [SourceFactory(publisher="Le Monde diplomatique")]


@case("sources", "language")
def source_language():
    fr, pt = SourceFactory(language="fr"), SourceFactory(language="pt-BR")
    return "language=fr,pt-BR", [fr, pt], [SourceFactory(language="en")]


@case("sources", "kind")
def source_kind():
    release = SourceFactory(kind="press_release")
    return "kind=press_release,filing", [release], [SourceFactory(kind="news_article")]


@case("sources", "published_after", "published_before")
def source_published():
    before = SourceFactory(published_on=date("2025-02-10"))
    on = SourceFactory(published_on=date("2025-02-11"))
    after = SourceFactory(published_on=date("2025-02-12"))
    query = "published_after=2025-02-11&published_before=2025-02-11"
    return query, [on], [before, after]


@case("sources", "q")
def source_by_author():
    source = SourceFactory(author="Zoe Zephyrion")
    return "q=zephyrion", [source], [SourceFactory()]


@case("citations", "source")
def citation_source():
    a, b = CitationFactory(), CitationFactory()
    return f"source={a.source_id}", [a], [b]


@case("citations", "fact_type")
def citation_fact_type():
    of_metric, of_event = (
        CitationFactory(fact=MetricFactory()),
        CitationFactory(fact=EventFactory()),
    )
    of_company = CitationFactory()
    return "fact_type=metric,event", [of_metric, of_event], [of_company]


@case("citations", "fact_id")
def citation_fact_id():
    a, b = CitationFactory(), CitationFactory()
    return f"fact_id={a.object_id}", [a], [b]


@case("citations", "attributed_to")
def citation_attributed_to():
    person = PersonFactory()
    said = CitationFactory(attributed_to=person)
    return f"attributed_to={person.pk}", [said], [CitationFactory()]


@case("citations", "language")
def citation_language():
    fr = CitationFactory(source=SourceFactory(language="fr"))
    return "language=fr", [fr], [CitationFactory()]


@case("citations", "q")
def citation_by_translation():
    citation = CitationFactory(quote="Mistral a levé", translation="Zephyrion raised")
    return "q=zephyrion", [citation], [CitationFactory()]


# partnerships


def _partnership(*companies, **kwargs):
    partnership = PartnershipFactory(**kwargs)
    for company in companies:
        PartnershipPartyFactory(partnership=partnership, company=company)
    return partnership


@case("partnerships", "company")
def partnership_any_party():
    mistral, stellantis, cma = CompanyFactory(), CompanyFactory(), CompanyFactory()
    both = _partnership(mistral, stellantis)
    only = _partnership(mistral)
    other = _partnership(stellantis, cma)
    return f"company={mistral.slug}", [both, only], [other, PartnershipFactory()]


@case("partnerships", "company")
def partnership_any_of_several():
    a, b, c = CompanyFactory(), CompanyFactory(), CompanyFactory()
    with_a, with_b, with_c = _partnership(a), _partnership(b), _partnership(c)
    return f"company={a.pk},{b.slug}", [with_a, with_b], [with_c]


@case("partnerships", "companies")
def partnership_all_parties():
    mistral, stellantis, cma = CompanyFactory(), CompanyFactory(), CompanyFactory()
    both = _partnership(mistral, stellantis)
    all_three = _partnership(mistral, stellantis, cma)
    only = _partnership(mistral)
    other = _partnership(stellantis, cma)
    query = f"companies={mistral.slug},{stellantis.pk}"
    return query, [both, all_three], [only, other, PartnershipFactory()]


@case("partnerships", "kind")
def partnership_kind():
    defence = PartnershipFactory(kind="defence")
    return "kind=defence,research", [defence], [PartnershipFactory(kind="commercial")]


@case("partnerships", "stage")
def partnership_stage():
    active, ended = PartnershipFactory(stage="active"), PartnershipFactory(stage="ended")
    return "stage=active,ended", [active, ended], [PartnershipFactory(stage="announced")]


@case("partnerships", "product")
def partnership_product():
    chat = ProductFactory()
    with_chat = PartnershipFactory()
    with_chat.products.add(chat)
    with_other = PartnershipFactory()
    with_other.products.add(ProductFactory())
    return f"product={chat.slug}", [with_chat], [with_other, PartnershipFactory()]


@case("partnerships", "product")
def partnership_product_by_id():
    chat = ProductFactory()
    with_chat = PartnershipFactory()
    with_chat.products.add(chat, ProductFactory())
    return f"product={chat.pk}", [with_chat], [PartnershipFactory()]


@case("partnerships", "announced_after", "announced_before")
def partnership_announced():
    jan = PartnershipFactory(announced_on=date("2025-01-16"), announced_precision="day")
    feb = PartnershipFactory(announced_on=date("2025-02-01"), announced_precision="month")
    query = "announced_after=2025-02-01&announced_before=2025-12-31"
    return query, [feb], [jan, PartnershipFactory()]


@case("partnerships", "q")
def partnership_by_party_name():
    partnership = _partnership(CompanyFactory(name="Zorblax Motors"))
    return "q=zorblax", [partnership], [_partnership(CompanyFactory())]


# funding rounds and investments


@case("funding-rounds", "company")
def round_company():
    a, b = FundingRoundFactory(), FundingRoundFactory()
    return f"company={a.company.slug},{b.company_id}", [a, b], [FundingRoundFactory()]


@case("funding-rounds", "company_id")
def round_company_id():
    a = FundingRoundFactory()
    return f"company_id={a.company_id}", [a], [FundingRoundFactory()]


def _rounds_with_investors():
    lead, follower = CompanyFactory(kind="investor"), CompanyFactory(kind="investor")
    led, followed, other = FundingRoundFactory(), FundingRoundFactory(), FundingRoundFactory()
    InvestmentFactory(investor=lead, company=led.company, funding_round=led, is_lead=True)
    InvestmentFactory(investor=follower, company=led.company, funding_round=led)
    InvestmentFactory(investor=lead, company=followed.company, funding_round=followed)
    InvestmentFactory(company=other.company, funding_round=other, is_lead=True)
    return lead, follower, led, followed, other


@case("funding-rounds", "investor")
def round_investor():
    lead, follower, led, followed, other = _rounds_with_investors()
    return f"investor={lead.slug}", [led, followed], [other]


@case("funding-rounds", "investor")
def round_investor_by_id():
    lead, follower, led, followed, other = _rounds_with_investors()
    return f"investor={follower.pk}", [led], [followed, other]


@case("funding-rounds", "lead_investor")
def round_lead_investor():
    lead, follower, led, followed, other = _rounds_with_investors()
    return f"lead_investor={lead.slug},{follower.pk}", [led], [followed, other]


@case("funding-rounds", "round_type")
def round_type():
    seed, ipo = FundingRoundFactory(round_type="seed"), FundingRoundFactory(round_type="ipo")
    return "round_type=seed,ipo", [seed, ipo], [FundingRoundFactory(round_type="series_a")]


@case("funding-rounds", "announced_after", "announced_before")
def round_announced():
    old = FundingRoundFactory(announced_on=date("2023-06-01"), announced_precision="month")
    new = FundingRoundFactory(announced_on=date("2024-06-11"), announced_precision="day")
    query = "announced_after=2024-01-01&announced_before=2024-06-11"
    return query, [new], [old, FundingRoundFactory()]


@case("funding-rounds", "currency")
def round_currency():
    usd = FundingRoundFactory(currency="USD")
    return "currency=USD,GBP", [usd], [FundingRoundFactory(currency="EUR")]


@case("funding-rounds", "qualifier")
def round_qualifier():
    about = FundingRoundFactory(qualifier="approximate")
    return "qualifier=approximate,at_least", [about], [FundingRoundFactory(qualifier="exact")]


@case("funding-rounds", "value_min", "value_max")
def round_value_between():
    small = FundingRoundFactory(value=Decimal("105000000"))
    large = FundingRoundFactory(value=Decimal("600000000"))
    exact = FundingRoundFactory(value=Decimal("500000000"))
    query = "value_min=105000000&value_max=500000000.0"
    return query, [small, exact], [large, FundingRoundFactory(value=Decimal("104999999.99"))]


def usd(value_usd: str, rate: str = "1.1") -> dict:
    """A US dollar value with its rate, date and source (the four go together)."""
    return {
        "value_usd": Decimal(value_usd),
        "usd_rate": Decimal(rate),
        "usd_rate_on": datetime.date(2024, 6, 28),
        "usd_rate_source": "ECB reference rate",
    }


@case("funding-rounds", "value_usd_min", "value_usd_max")
def round_value_in_usd_between():
    euros = FundingRoundFactory(value=Decimal("95000000"), **usd("105003500", "1.1053"))
    pounds = FundingRoundFactory(
        value=Decimal("120000000"), currency="GBP", **usd("94800000", "0.79")
    )
    query = "value_usd_min=100000000&value_usd_max=200000000"
    return query, [euros], [pounds, FundingRoundFactory(value=Decimal("900000000"))]


@case("funding-rounds", "q")
def round_by_company_name():
    found = FundingRoundFactory(company=CompanyFactory(name="Zorblax"))
    return "q=zorblax", [found], [FundingRoundFactory()]


@case("investments", "company")
def investment_company():
    a, b = InvestmentFactory(), InvestmentFactory()
    return f"company={a.company.slug},{b.company_id}", [a, b], [InvestmentFactory()]


@case("investments", "company_id")
def investment_company_id():
    a = InvestmentFactory()
    return f"company_id={a.company_id}", [a], [InvestmentFactory()]


@case("investments", "investor")
def investment_investor():
    a, b = InvestmentFactory(), InvestmentFactory()
    return f"investor={a.investor.slug},{b.investor_id}", [a, b], [InvestmentFactory()]


@case("investments", "investor_id")
def investment_investor_id():
    a = InvestmentFactory()
    return f"investor_id={a.investor_id}", [a], [InvestmentFactory()]


@case("investments", "funding_round")
def investment_funding_round():
    funding_round = FundingRoundFactory()
    inside = InvestmentFactory(company=funding_round.company, funding_round=funding_round)
    outside = InvestmentFactory(company=funding_round.company)
    return f"funding_round={funding_round.pk}", [inside], [outside]


@case("investments", "has_round")
def investment_has_round():
    funding_round = FundingRoundFactory()
    inside = InvestmentFactory(company=funding_round.company, funding_round=funding_round)
    return "has_round=true", [inside], [InvestmentFactory()]


@case("investments", "has_round")
def investment_has_no_round():
    funding_round = FundingRoundFactory()
    inside = InvestmentFactory(company=funding_round.company, funding_round=funding_round)
    return "has_round=false", [InvestmentFactory()], [inside]


@case("investments", "is_lead")
def investment_is_lead():
    return "is_lead=true", [InvestmentFactory(is_lead=True)], [InvestmentFactory()]


@case("investments", "is_lead")
def investment_is_not_lead():
    return "is_lead=0", [InvestmentFactory()], [InvestmentFactory(is_lead=True)]


@case("investments", "round_type")
def investment_round_type():
    seed = FundingRoundFactory(round_type="seed")
    in_seed = InvestmentFactory(company=seed.company, funding_round=seed)
    series_a = FundingRoundFactory(round_type="series_a")
    in_a = InvestmentFactory(company=series_a.company, funding_round=series_a)
    return "round_type=seed", [in_seed], [in_a, InvestmentFactory()]


def _invested(value, **kwargs):
    return InvestmentFactory(
        value=Decimal(value), **{"qualifier": "exact", "currency": "EUR"} | kwargs
    )


@case("investments", "currency")
def investment_currency():
    return "currency=USD", [_invested("10", currency="USD")], [_invested("10"), InvestmentFactory()]


@case("investments", "qualifier")
def investment_qualifier():
    at_least = _invested("10", qualifier="at_least")
    return "qualifier=at_least", [at_least], [_invested("10"), InvestmentFactory()]


@case("investments", "value_min", "value_max")
def investment_value_between():
    query = "value_min=10.5&value_max=20"
    inside = [_invested("10.5"), _invested("20")]
    return query, inside, [_invested("10.4999"), _invested("20.0001"), InvestmentFactory()]


@case("investments", "value_usd_min", "value_usd_max")
def investment_value_in_usd_between():
    inside = _invested("10", **usd("11"))
    outside = [_invested("10", **usd("9", "0.9")), _invested("30")]
    return "value_usd_min=10&value_usd_max=20", [inside], outside


@case("investments", "q")
def investment_by_investor_name():
    found = InvestmentFactory(investor=CompanyFactory(name="Zorblax Capital", kind="investor"))
    return "q=zorblax", [found], [InvestmentFactory()]


# metrics


def _metric(**kwargs):
    """A metric saved through the services, so that `unit` and `period_until` are derived."""
    if "product" in kwargs:
        kwargs.setdefault("company", None)
    else:
        kwargs.setdefault("company", CompanyFactory())
    return record_save(MetricFactory.build(**kwargs))


@case("metrics", "company")
def metric_company_and_its_products():
    company = CompanyFactory()
    own = _metric(company=company)
    of_product = _metric(product=ProductFactory(company=company))
    other_company = _metric()
    other_product = _metric(product=ProductFactory())
    query = f"company={company.slug}"
    return query, [own, of_product], [other_company, other_product]


@case("metrics", "company")
def metric_company_by_id():
    a, b = _metric(), _metric(product=ProductFactory())
    return f"company={a.company_id},{b.product.company.slug}", [a, b], [_metric()]


@case("metrics", "company_id")
def metric_company_id():
    company = CompanyFactory()
    own, of_product = _metric(company=company), _metric(product=ProductFactory(company=company))
    return f"company_id={company.pk}", [own, of_product], [_metric()]


@case("metrics", "product")
def metric_product():
    chat = ProductFactory()
    a, b = _metric(product=chat), _metric(product=ProductFactory())
    return f"product={chat.slug},{b.product_id}", [a, b], [_metric(company=chat.company)]


@case("metrics", "product_id")
def metric_product_id():
    a = _metric(product=ProductFactory())
    return f"product_id={a.product_id}", [a], [_metric(product=ProductFactory())]


@case("metrics", "metric_type")
def metric_metric_type():
    users = _metric(metric_type=MetricType.objects.get(slug="users"))
    rank = _metric(metric_type=MetricType.objects.get(slug="app-store-rank"))
    rank_id = rank.metric_type_id
    return f"metric_type=users,{rank_id}", [users, rank], [_metric()]


@case("metrics", "metric_type_id")
def metric_metric_type_id():
    users = _metric(metric_type=MetricType.objects.get(slug="users"))
    return f"metric_type_id={users.metric_type_id}", [users], [_metric()]


@case("metrics", "region")
def metric_region():
    fr, world = _metric(region="FR"), _metric(region="001")
    return "region=FR,001", [fr, world], [_metric(region="IT"), _metric(region="")]


@case("metrics", "platform")
def metric_platform():
    ios, android = _metric(platform=platform("ios")), _metric(platform=platform("android"))
    query = f"platform=ios,{platform('android').pk}"
    return query, [ios, android], [_metric(platform=platform("web")), _metric()]


@case("metrics", "is_target")
def metric_is_target():
    revenue_target = MetricType.objects.get(slug="revenue-target")
    target = _metric(metric_type=revenue_target, currency="EUR", claim_type="target")
    return "is_target=true", [target], [_metric(), _metric(claim_type="estimate")]


@case("metrics", "is_target")
def metric_is_not_target():
    target = _metric(claim_type="target")
    return "is_target=false", [_metric(), _metric(claim_type="estimate")], [target]


@case("metrics", "period_after")
def metric_period_after_overlaps():
    feb = _metric(period_start=date("2025-02-01"), period_precision="month")
    jan = _metric(period_start=date("2025-01-01"), period_precision="month")
    year = _metric(period_start=date("2025-01-01"), period_precision="year")
    span = _metric(
        period_start=date("2024-11-01"), period_end=date("2025-02-01"), period_precision="month"
    )
    no_period = _metric()
    # Feb 2025 runs to the 28th: it overlaps a period from the 20th on.
    return "period_after=2025-02-20", [feb, year, span], [jan, no_period]


@case("metrics", "period_before")
def metric_period_before_overlaps():
    feb = _metric(period_start=date("2025-02-01"), period_precision="month")
    mar = _metric(period_start=date("2025-03-01"), period_precision="month")
    day = _metric(period_start=date("2025-02-20"), period_precision="day")
    return "period_before=2025-02-20", [feb, day], [mar, _metric()]


@case("metrics", "period_after", "period_before")
def metric_period_window():
    feb = _metric(period_start=date("2025-02-01"), period_precision="month")
    q1 = _metric(period_start=date("2025-01-01"), period_precision="quarter")
    jan = _metric(period_start=date("2025-01-01"), period_precision="month")
    apr = _metric(period_start=date("2025-04-01"), period_precision="month")
    return "period_after=2025-02-20&period_before=2025-03-31", [feb, q1], [jan, apr]


@case("metrics", "currency")
def metric_currency():
    revenue = MetricType.objects.get(slug="revenue")
    eur, usd = (
        _metric(metric_type=revenue, currency="EUR"),
        _metric(metric_type=revenue, currency="USD"),
    )
    return "currency=EUR", [eur], [usd, _metric()]


@case("metrics", "qualifier")
def metric_qualifier():
    at_least = _metric(qualifier="at_least")
    return "qualifier=at_least,at_most", [at_least], [_metric(qualifier="exact")]


@case("metrics", "value_usd_min", "value_usd_max")
def metric_value_in_usd_between():
    revenue = MetricType.objects.get(slug="revenue")
    inside = MetricFactory(metric_type=revenue, currency="EUR", **usd("1500", "1.5"))
    below = MetricFactory(metric_type=revenue, currency="EUR", **usd("999", "0.999"))
    return "value_usd_min=1000&value_usd_max=2000", [inside], [below, MetricFactory()]


def _windowed(days, anchor="launch", event=None):
    return MetricFactory(
        product=ProductFactory(),
        company=None,
        period_start=None,
        window_days=days,
        window_anchor=anchor,
        anchor_event=event,
    )


@case("metrics", "window_days")
def metric_window_days():
    fortnight = _windowed(14)
    return "window_days=14,30", [fortnight], [_windowed(7), MetricFactory()]


@case("metrics", "window_days_max")
def metric_window_days_max():
    week = _windowed(7)
    return "window_days_max=14", [week, _windowed(14)], [_windowed(15), MetricFactory()]


@case("metrics", "window_anchor", "anchor_event")
def metric_window_anchor():
    summit = EventFactory()
    after_event = _windowed(14, "event", summit)
    query = f"window_anchor=event&anchor_event={summit.pk}"
    return query, [after_event], [_windowed(14), _windowed(14, "event", EventFactory())]


@case("metrics", "value_min")
def metric_value_min():
    big, small = _metric(value=Decimal("1000000")), _metric(value=Decimal("999999.9999"))
    return "value_min=1000000", [big], [small]


@case("metrics", "value_max")
def metric_value_max():
    big, small = _metric(value=Decimal("1000000.0001")), _metric(value=Decimal("1000000"))
    return "value_max=1e6", [small], [big]


@case("metrics", "q")
def metric_by_product_name():
    found = _metric(product=ProductFactory(name="Zorblax Chat"))
    return "q=zorblax", [found], [_metric(product=ProductFactory())]


# events


@case("events", "kind")
def event_kind():
    summit, launch = EventFactory(kind="summit"), EventFactory(kind="launch")
    return "kind=summit,launch", [summit, launch], [EventFactory(kind="plan")]


def _event_with(**related):
    event = EventFactory()
    for name, values in related.items():
        getattr(event, name).add(*values)
    return event


@case("events", "company")
def event_company():
    mistral = CompanyFactory()
    with_it = _event_with(companies=[mistral, CompanyFactory()])
    without = _event_with(companies=[CompanyFactory()])
    return f"company={mistral.slug}", [with_it], [without, EventFactory()]


@case("events", "company")
def event_company_by_id():
    a, b = CompanyFactory(), CompanyFactory()
    with_a, with_b = _event_with(companies=[a]), _event_with(companies=[b])
    return f"company={a.pk},{b.slug}", [with_a, with_b], [_event_with(companies=[CompanyFactory()])]


@case("events", "product")
def event_product():
    chat = ProductFactory()
    with_it = _event_with(products=[chat])
    return f"product={chat.slug}", [with_it], [_event_with(products=[ProductFactory()])]


@case("events", "product")
def event_product_by_id():
    chat = ProductFactory()
    with_it = _event_with(products=[chat])
    return f"product={chat.pk}", [with_it], [EventFactory()]


@case("events", "person")
def event_person():
    macron = PersonFactory()
    with_him = _event_with(people=[macron, PersonFactory()])
    query = f"person={macron.slug}"
    return query, [with_him], [_event_with(people=[PersonFactory()]), EventFactory()]


@case("events", "person")
def event_person_by_id():
    macron = PersonFactory()
    with_him = _event_with(people=[macron])
    return f"person={macron.pk}", [with_him], [EventFactory()]


@case("events", "country")
def event_country():
    fr = EventFactory(country="FR")
    return "country=FR", [fr], [EventFactory(country="IN"), EventFactory()]


@case("events", "part_of")
def event_part_of():
    summit = EventFactory()
    talk = EventFactory(part_of=summit)
    return f"part_of={summit.pk}", [talk], [summit, EventFactory()]


@case("events", "date_after", "date_before")
def event_date():
    summit = EventFactory(occurred_on=date("2025-02-10"), occurred_precision="day")
    later = EventFactory(occurred_on=date("2025-03-01"), occurred_precision="month")
    earlier = EventFactory(occurred_on=date("2024-01-01"), occurred_precision="year")
    query = "date_after=2025-02-10&date_before=2025-02-28"
    return query, [summit], [later, earlier, EventFactory()]


@case("events", "q")
def event_by_place():
    found = EventFactory(place="Zorblax Palace")
    return "q=zorblax", [found], [EventFactory()]


# --- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("path, params, build", CASES)
def test_filter(anon_api, path, params, build):
    query, included, excluded = build()
    assert included and excluded
    response = anon_api.get(f"/api/v1/{path}/?{query}&limit=1000")
    got = ids(response)
    assert len(got) == len(set(got)), "a row repeats"
    assert {obj.pk for obj in included} <= set(got)
    assert not {obj.pk for obj in excluded} & set(got)


def test_every_filter_has_a_case():
    covered = {(values[0], name) for values in (c.values for c in CASES) for name in values[1]}
    declared = {(path, name) for path, fs in FILTERSETS.items() for name in fs.base_filters}
    assert declared - covered == set()


def test_a_filter_and_its_csv_agree(anon_api):
    """Filters apply to the CSV export too."""
    a, b, c = CompanyFactory(kind="ai_lab"), CompanyFactory(kind="ai_lab"), CompanyFactory()
    response = anon_api.get("/api/v1/companies/?kind=ai_lab&format=csv")
    body = b"".join(response.streaming_content).decode()
    rows = body.splitlines()[1:]
    assert sorted(int(row.split(",")[0]) for row in rows) == [a.pk, b.pk]
    assert str(c.pk) not in [row.split(",")[0] for row in rows]


def bad_value(name: str, flt) -> str | None:
    """A value the filter must refuse, or None for free text (any text is a search)."""
    if isinstance(flt, df.BooleanFilter):
        return "maybe"
    if isinstance(flt, LanguageFilter):
        return "!!!"  # no source's language could be that
    if isinstance(flt, df.ChoiceFilter):
        return "not-a-choice"
    if isinstance(flt, df.NumberFilter):
        return "1,abc" if isinstance(flt, df.BaseInFilter) else "abc"
    if isinstance(flt, df.IsoDateTimeFilter):
        return "yesterday"
    if isinstance(flt, df.DateFilter):
        return "2025-02-30"
    if isinstance(flt, df.CharFilter) and flt.method not in (None, "filter_q", "filter_cited_by"):
        return "no-such-record"  # names records by slug or id
    return None


BAD_VALUES = [
    pytest.param(path, name, value, id=f"{path}:{name}={value}")
    for path, filterset in FILTERSETS.items()
    for name, flt in filterset.base_filters.items()
    if (value := bad_value(name, flt)) is not None
]


@pytest.mark.parametrize("path, name, value", BAD_VALUES)
def test_a_bad_value_is_a_400_naming_the_parameter(anon_api, path, name, value):
    for url in (f"/api/v1/{path}/?{name}={value}", f"/api/v1/{path}/?{name}={value}&format=csv"):
        response = anon_api.get(url)
        assert response.status_code == 400, (url, response.content[:300])
        if "format=csv" not in url:
            assert list(response.json()) == [name]
        else:
            assert name.encode() in response.content


@pytest.mark.parametrize(
    "query, name",
    [
        ("status=verified,bogus", "status"),
        ("company=mistral-ai,no-such-company", "company"),
        ("created_after=2025-02-30T00:00:00Z", "created_after"),
        ("value_min=1O0", "value_min"),
        ("id=1,2,x", "id"),
    ],
)
def test_one_bad_value_among_good_ones_is_a_400(anon_api, query, name):
    CompanyFactory(slug="mistral-ai")
    response = anon_api.get(f"/api/v1/metrics/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [name]


@pytest.mark.parametrize("path", FILTERSETS)
def test_free_text_filters_never_fail(anon_api, path):
    free = [
        name for name, flt in FILTERSETS[path].base_filters.items() if bad_value(name, flt) is None
    ]
    for name in free:
        for value in ("", "%25", "'", "a%20OR%201=1", '"unclosed', "-", "!", "&&", "%C3%A9t%C3%A9"):
            response = anon_api.get(f"/api/v1/{path}/?{name}={value}")
            assert response.status_code == 200, (name, value)


def test_an_id_past_the_largest_is_a_400_not_a_database_error(anon_api):
    response = anon_api.get("/api/v1/metrics/", {"company": "99999999999999999999"})
    assert response.status_code == 400
    assert "company" in response.json()


def test_a_filterset_shares_its_form_fields_but_not_its_filters():
    """The filters and form fields are built once per FilterSet class (factbase.api.filters
    SharedFilters): each request still gets filters of its own, whose methods run on its own
    FilterSet, and the choices are checked as before."""
    first = MetricFilterSet(QueryDict("region=FR&is_target=false"))
    second = MetricFilterSet(QueryDict("region=NOPE"))
    assert first.filters["region"] is not second.filters["region"]
    assert first.filters["is_target"].parent is first
    assert second.filters["is_target"].parent is second
    assert first.form.fields["region"] is second.form.fields["region"]
    assert first.is_valid()
    assert not second.is_valid()
    assert "region" in second.errors


def test_a_filter_form_cleans_only_the_fields_given():
    """Only the parameters a request gives are cleaned (factbase.api.filters
    GivenFieldsOnly): the others are not in `cleaned_data`, so no filter runs for them. A
    bad value among them is still refused by name."""
    given = MetricFilterSet(QueryDict("region=FR&status=verified&value_min=10"))
    assert given.is_valid(), given.errors
    assert set(given.form.cleaned_data) == {"region", "status", "value_min"}
    assert given.form.cleaned_data["value_min"] == Decimal(10)
    assert len(MetricFilterSet.base_filters) > 20  # of which three were cleaned
    refused = MetricFilterSet(QueryDict("region=FR&period_after=someday"))
    assert not refused.is_valid()
    assert set(refused.errors) == {"period_after"}


@pytest.mark.django_db
def test_languages_are_several_and_of_any_case_on_sources_citations_and_facts(anon_api):
    """BCP 47 tags are the same whatever their case (`pt-br` is `pt-BR`); a list takes
    several, comma-separated or repeated, on every kind that filters by language."""
    from ..factories import CitationFactory, MetricFactory, SourceFactory

    sources = {tag: SourceFactory(language=tag) for tag in ("fr", "it", "pt-BR", "en")}
    metrics = {tag: MetricFactory() for tag in sources}
    citations = {
        tag: CitationFactory(fact=metrics[tag], source=source) for tag, source in sources.items()
    }

    def found(path, query, made):
        response = anon_api.get(f"/api/v1/{path}/?{query}&limit=1000")
        assert response.status_code == 200, response.content[:300]
        ids = {row["id"] for row in response.json()["results"]}
        return sorted(tag for tag, record in made.items() if record.pk in ids)

    for path, made in (("sources", sources), ("citations", citations), ("metrics", metrics)):
        assert found(path, "language=FR,it", made) == ["fr", "it"], path
        assert found(path, "language=fr&language=IT", made) == ["fr", "it"], path
        assert found(path, "language=pt-br", made) == ["pt-BR"], path


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("metrics/?id=,", "id"),
        ("metrics/?product_id=3,", "product_id"),
        ("metrics/?region=FR,", "region"),
        ("metrics/?region=FR&region=", "region"),
        ("citations/?fact_id=,", "fact_id"),
        ("conflicts/?product_id=,", "product_id"),
        ("conflicts/?metric_type_id=,", "metric_type_id"),
        ("companies/?country=,FR", "country"),
    ],
)
def test_an_empty_item_in_a_list_is_a_400_naming_the_parameter(anon_api, path, param):
    response = anon_api.get(f"/api/v1/{path}")
    assert response.status_code == 400, response.content
    assert set(response.json()) == {param}


@pytest.mark.parametrize("query", ["id=", "region=", "product_id=&region="])
def test_a_list_parameter_given_empty_is_not_given(anon_api, query):
    made = {MetricFactory(region="FR").pk, MetricFactory(region="DE").pk}
    response = anon_api.get(f"/api/v1/metrics/?{query}")
    assert response.status_code == 200, response.content
    assert {row["id"] for row in response.json()["results"]} == made


@pytest.mark.parametrize("value", ["%25", "a%25s", "%25(x)s"])
def test_a_language_tag_with_a_percent_sign_is_a_400_not_a_500(anon_api, value):
    response = anon_api.get(f"/api/v1/sources/?language={value}")
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()) == ["language"]


def other_digits(flt) -> list[str]:
    """Values of a number or date filter that Python reads as numbers and dates, which no
    one types on purpose: digits of other scripts, underscores, a whole number's exponent."""
    if isinstance(flt, df.NumberFilter):
        whole = issubclass(flt.field_class, IdField | forms.IntegerField) and not issubclass(
            flt.field_class, forms.DecimalField
        )
        return ["\uff17", "\u0661\u0664", "1_000", *(["1e3"] if whole else [])]
    if isinstance(flt, df.IsoDateTimeFilter | df.DateFilter):
        return ["\uff12025-01-01", "2025-01-0\u0661"]
    return []


OTHER_DIGITS = [
    pytest.param(path, name, value, id=f"{path}:{name}={value}")
    for path, filterset in FILTERSETS.items()
    for name, flt in filterset.base_filters.items()
    for value in other_digits(flt)
]


@pytest.mark.parametrize("path, name, value", OTHER_DIGITS)
def test_numbers_and_dates_are_ascii_digits_or_a_400_naming_the_parameter(
    anon_api, path, name, value
):
    response = anon_api.get(f"/api/v1/{path}/", {name: value})
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()) == [name]
    assert "ASCII digits" in response.json()[name][0]


def test_an_amount_bound_takes_decimals_and_the_schema_says_number(anon_api):
    metric = MetricFactory(value=Decimal("1234567.25"))
    MetricFactory(value=Decimal("1234567"))
    found = anon_api.get("/api/v1/metrics/", {"value_min": "1234567.25", "fields": "id"})
    assert found.json()["results"] == [{"id": metric.pk}]
    schema = anon_api.get("/api/schema/", {"format": "json"})
    parameters = schema.json()["paths"]["/api/v1/metrics/"]["get"]["parameters"]
    types = {p["name"]: p["schema"].get("type") for p in parameters}
    assert {types[name] for name in ("value_min", "value_max", "value_usd_min")} == {"number"}
    assert types["window_days_max"] == "integer"


def test_a_time_filter_reads_an_unencoded_offset_as_as_of_does(anon_api):
    """`+01:00` unencoded in a URL arrives as ` 01:00`: understood, as for `as_of`."""
    MetricFactory()
    encoded = anon_api.get("/api/v1/metrics/?created_after=2025-02-13T00:00:00%2B01:00")
    unencoded = anon_api.get("/api/v1/metrics/?created_after=2025-02-13T00:00:00+01:00")
    assert encoded.status_code == unencoded.status_code == 200, unencoded.content
    assert encoded.json() == unencoded.json()
    assert encoded.json()["count"] == 1
