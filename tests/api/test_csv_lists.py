"""A record's lists in its CSV (docs/api.md, "CSV", "Lists"): each list's columns for
records with no item, one and several, in the JSON's order, with names escaped; `fields=`
with a list; lists as they were with `as_of`."""

from decimal import Decimal

import pytest
from django.utils import timezone

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
    PlatformFactory,
    ProductFactory,
    RoleFactory,
    SourceFactory,
    platform,
)
from .base import csv_rows, results

pytestmark = pytest.mark.django_db


def csv_by_id(api, path: str, records, fields: str) -> dict[int, dict[str, str]]:
    keys = ",".join(str(record.pk) for record in records)
    header, rows = csv_rows(api.get(f"{path}?id={keys}&fields=id,{fields}&format=csv"))
    return {int(row.pop("id")): row for row in rows}


def test_a_companys_aliases_and_identifiers(anon_api):
    none, one, several = CompanyFactory(), CompanyFactory(), CompanyFactory()
    CompanyAliasFactory(company=one, name="=1+1")
    CompanyIdentifierFactory(company=one, scheme="wikidata", value="Q42")
    # Aliases in the order of their names; identifiers in the order of their schemes.
    for name in ("Gamma 100%", "Alpha; Beta (FR)", "Beta"):
        CompanyAliasFactory(company=several, name=name)
    CompanyIdentifierFactory(company=several, scheme="wikidata", value="Q43")
    CompanyIdentifierFactory(company=several, scheme="lei", value="969500X (old)")
    rows = csv_by_id(anon_api, "/api/v1/companies/", [none, one, several], "aliases,identifiers")
    assert rows == {
        none.pk: {"aliases": "", "identifiers": ""},
        one.pk: {"aliases": "'=1+1", "identifiers": "Q42 (wikidata)"},
        several.pk: {
            "aliases": "Alpha%3B Beta %28FR%29; Beta; Gamma 100%25",
            "identifiers": "969500X %28old%29 (lei); Q43 (wikidata)",
        },
    }


def test_a_products_platforms(anon_api):
    none, one, several = ProductFactory(), ProductFactory(), ProductFactory()
    tv, android, web = PlatformFactory(slug="tv", name="TV"), platform("android"), platform("web")
    one.platforms.set([web])
    several.platforms.set([web, tv, android])
    rows = csv_by_id(anon_api, "/api/v1/products/", [none, one, several], "platforms")
    # In the order of the platforms' names: Android, TV, Web.
    assert rows == {
        none.pk: {"platforms": "", "platforms_ids": ""},
        one.pk: {"platforms": "web", "platforms_ids": str(web.pk)},
        several.pk: {
            "platforms": "android; tv; web",
            "platforms_ids": f"{android.pk};{tv.pk};{web.pk}",
        },
    }


def test_a_persons_roles(anon_api):
    none, one, several = PersonFactory(), PersonFactory(), PersonFactory()
    first, second = CompanyFactory(slug="mistral-ai"), CompanyFactory(slug="-dash")
    RoleFactory(person=one, company=second, title="CEO")
    RoleFactory(person=several, company=second, title="Co-founder; CTO (interim)")
    RoleFactory(person=several, company=first, title="Adviser")
    rows = csv_by_id(anon_api, "/api/v1/people/", [none, one, several], "roles")
    # In the order of the companies' ids, as the JSON lists them.
    assert rows == {
        none.pk: {"roles": "", "roles_company_ids": ""},
        one.pk: {"roles": "'-dash (CEO)", "roles_company_ids": str(second.pk)},
        several.pk: {
            "roles": "mistral-ai (Adviser); -dash (Co-founder%3B CTO %28interim%29)",
            "roles_company_ids": f"{first.pk};{second.pk}",
        },
    }


def test_a_partnerships_parties_and_products(anon_api):
    none, one, several = PartnershipFactory(), PartnershipFactory(), PartnershipFactory()
    mistral = CompanyFactory(slug="mistral-ai")
    microsoft = CompanyFactory(slug="microsoft")
    france = CompanyFactory(slug="france-travail")
    PartnershipPartyFactory(partnership=one, company=mistral, role="provider")
    for company, role in ((mistral, "provider"), (microsoft, "investor"), (france, "customer")):
        PartnershipPartyFactory(partnership=several, company=company, role=role)
    le_chat, assistant = ProductFactory(name="Le Chat"), ProductFactory(name="Assistant")
    one.products.set([le_chat])
    several.products.set([le_chat, assistant])
    fields = "parties,products"
    rows = csv_by_id(anon_api, "/api/v1/partnerships/", [none, one, several], fields)
    assert rows == {
        none.pk: {"parties": "", "parties_company_ids": "", "products": "", "products_ids": ""},
        one.pk: {
            "parties": "mistral-ai (provider)",
            "parties_company_ids": str(mistral.pk),
            "products": le_chat.slug,
            "products_ids": str(le_chat.pk),
        },
        several.pk: {
            # Parties in the order they were added; products by name.
            "parties": "mistral-ai (provider); microsoft (investor); france-travail (customer)",
            "parties_company_ids": f"{mistral.pk};{microsoft.pk};{france.pk}",
            "products": f"{assistant.slug}; {le_chat.slug}",
            "products_ids": f"{assistant.pk};{le_chat.pk}",
        },
    }


def round_body(company, *investments) -> dict:
    return {
        "company": company.slug,
        "round_type": "series_b",
        "announced_on": "2024-06-11",
        "announced_precision": "day",
        "investments": [{"investor": slug, "is_lead": lead} for slug, lead in investments],
    }


def test_a_funding_rounds_investors_written_through_the_api(anon_api, editor_api):
    company = CompanyFactory()
    slugs = ("general-catalyst", "lightspeed", "bpi")
    general, light, bpi = (CompanyFactory(slug=slug) for slug in slugs)
    made = {}
    for name, investments in {
        "none": (),
        "one": (("lightspeed", False),),
        "several": (("general-catalyst", True), ("lightspeed", False), ("bpi", True)),
    }.items():
        response = editor_api.post(
            "/api/v1/funding-rounds/", round_body(company, *investments), format="json"
        )
        assert response.status_code == 201, response.content
        made[name] = response.json()["id"]
    keys = ",".join(str(pk) for pk in made.values())
    header, rows = csv_rows(
        anon_api.get(f"/api/v1/funding-rounds/?id={keys}&fields=id,investments&format=csv")
    )
    assert header == ["id", "investments", "investments_investor_ids"]
    assert {int(row.pop("id")): row for row in rows} == {
        made["none"]: {"investments": "", "investments_investor_ids": ""},
        made["one"]: {"investments": "lightspeed", "investments_investor_ids": str(light.pk)},
        made["several"]: {
            "investments": "general-catalyst (lead); lightspeed; bpi (lead)",
            "investments_investor_ids": f"{general.pk};{light.pk};{bpi.pk}",
        },
    }


def test_an_events_companies_products_and_people(anon_api):
    none, one, several = EventFactory(), EventFactory(), EventFactory()
    a, b = CompanyFactory(name="A company"), CompanyFactory(name="B company")
    chat = ProductFactory()
    macron, mensch = PersonFactory(name="Emmanuel Macron"), PersonFactory(name="Arthur Mensch")
    one.companies.set([b])
    one.people.set([macron])
    several.companies.set([b, a])
    several.products.set([chat])
    several.people.set([macron, mensch])
    fields = "companies,products,people"
    rows = csv_by_id(anon_api, "/api/v1/events/", [none, one, several], fields)
    empty = dict.fromkeys(
        ["companies", "companies_ids", "products", "products_ids", "people", "people_ids"], ""
    )
    assert rows == {
        none.pk: empty,
        one.pk: {
            **empty,
            "companies": b.slug,
            "companies_ids": str(b.pk),
            "people": macron.slug,
            "people_ids": str(macron.pk),
        },
        several.pk: {
            "companies": f"{a.slug}; {b.slug}",
            "companies_ids": f"{a.pk};{b.pk}",
            "products": chat.slug,
            "products_ids": str(chat.pk),
            "people": f"{mensch.slug}; {macron.slug}",
            "people_ids": f"{mensch.pk};{macron.pk}",
        },
    }


@pytest.mark.parametrize(
    ("path", "factory"),
    [("/api/v1/metrics/", MetricFactory), ("/api/v1/investments/", InvestmentFactory)],
)
def test_a_facts_cited_sources(anon_api, path, factory):
    none, one, several = factory(), factory(), factory()
    le_monde, reuters = SourceFactory(), SourceFactory()
    CitationFactory(fact=one, source=reuters)
    for source in (reuters, le_monde, reuters):
        CitationFactory(fact=several, source=source)
    rows = csv_by_id(anon_api, path, [none, one, several], "citations,source_count")
    # In the order of the citations: a source cited twice is there twice.
    assert rows == {
        none.pk: {"citations_source_ids": "", "source_count": "0"},
        one.pk: {"citations_source_ids": str(reuters.pk), "source_count": "1"},
        several.pk: {
            "citations_source_ids": f"{reuters.pk};{le_monde.pk};{reuters.pk}",
            "source_count": "1",
        },
    }


# --- fields= ------------------------------------------------------------------------------


@pytest.fixture
def partnership():
    partnership = PartnershipFactory(title="Mistral AI – Microsoft")
    mistral, microsoft = CompanyFactory(slug="mistral-ai"), CompanyFactory(slug="microsoft")
    PartnershipPartyFactory(partnership=partnership, company=mistral, role="provider")
    PartnershipPartyFactory(partnership=partnership, company=microsoft, role="investor")
    return partnership


def test_fields_with_a_list_give_its_columns_in_the_order_asked(anon_api, partnership):
    query = f"id={partnership.pk}&format=csv&fields=id,title,parties"
    header, rows = csv_rows(anon_api.get(f"/api/v1/partnerships/?{query}"))
    assert header == ["id", "title", "parties", "parties_company_ids"]
    ids = ";".join(str(p.company_id) for p in partnership.parties.order_by("id"))
    assert rows == [
        {
            "id": str(partnership.pk),
            "title": "Mistral AI – Microsoft",
            "parties": "mistral-ai (provider); microsoft (investor)",
            "parties_company_ids": ids,
        }
    ]
    query = f"id={partnership.pk}&format=csv&fields=parties,id"
    header, _ = csv_rows(anon_api.get(f"/api/v1/partnerships/?{query}"))
    assert header == ["parties", "parties_company_ids", "id"]


def test_fields_take_a_lists_column_name_too(anon_api, partnership):
    query = f"id={partnership.pk}&fields=parties_company_ids,id"
    header, rows = csv_rows(anon_api.get(f"/api/v1/partnerships/?{query}&format=csv"))
    assert header == ["parties_company_ids", "id"]
    assert rows[0]["id"] == str(partnership.pk)
    # In JSON a column's name stands for its field.
    (row,) = results(anon_api.get(f"/api/v1/partnerships/?{query}"))
    assert list(row) == ["parties", "id"]
    ids = ";".join(str(party["company"]["id"]) for party in row["parties"])
    assert ids == rows[0]["parties_company_ids"]


# --- a question in one request ---------------------------------------------------------------


def test_funding_rounds_over_100m_in_2024_in_any_currency_with_their_investors(anon_api):
    general, light = CompanyFactory(slug="general-catalyst"), CompanyFactory(slug="lightspeed")

    def funding_round(announced_on, value, currency, rate, *investors):
        made = FundingRoundFactory(
            announced_on=announced_on,
            announced_precision="day",
            value=Decimal(value),
            currency=currency,
            value_usd=Decimal(value) * Decimal(rate),
            usd_rate=Decimal(rate),
            usd_rate_on=announced_on,
            usd_rate_source="ECB reference rate",
        )
        for investor, is_lead in investors:
            InvestmentFactory(
                funding_round=made, company=made.company, investor=investor, is_lead=is_lead
            )
        return made

    euros = funding_round("2024-06-11", "600000000", "EUR", "1.08", (general, True), (light, False))
    dollars = funding_round("2024-09-02", "150000000", "USD", "1", (light, True))
    funding_round("2024-03-01", "90000000", "EUR", "1.08", (general, True))  # under $100M
    funding_round("2023-12-10", "385000000", "EUR", "1.09", (light, True))  # 2023
    funding_round("2025-01-15", "200000000", "USD", "1")  # 2025
    query = (
        "value_usd_min=100000000&announced_after=2024-01-01&announced_before=2024-12-31"
        "&format=csv&ordering=announced_on"
    )
    header, rows = csv_rows(anon_api.get(f"/api/v1/funding-rounds/?{query}"))
    assert {"value", "currency", "value_usd", "investments"} <= set(header)
    assert [(int(row["id"]), row["currency"], row["investments"]) for row in rows] == [
        (euros.pk, "EUR", "general-catalyst (lead); lightspeed"),
        (dollars.pk, "USD", "lightspeed (lead)"),
    ]
    assert [Decimal(row["value_usd"]) for row in rows] == [Decimal("648000000"), 150000000]


# --- as it was ---------------------------------------------------------------------------


def test_lists_as_they_were(anon_api, editor_api, partnership):
    before = timezone.now().isoformat()
    other = CompanyFactory(slug="france-travail")
    kept = partnership.parties.get(role="provider")
    body = {"parties": [{"id": kept.pk}, {"company": other.pk}]}
    response = editor_api.patch(f"/api/v1/partnerships/{partnership.pk}/", body, format="json")
    assert response.status_code == 200, response.content
    path = "/api/v1/partnerships/?format=csv&fields=id,parties"
    for query, parties in (
        (f"&as_of={before}", "mistral-ai (provider); microsoft (investor)"),
        (f"&as_of={before}&id={partnership.pk}", "mistral-ai (provider); microsoft (investor)"),
        ("", "mistral-ai (provider); france-travail (partner)"),
    ):
        _, rows = csv_rows(anon_api.get(path + query.replace("+", "%2B")))
        assert [row["parties"] for row in rows] == [parties], query
