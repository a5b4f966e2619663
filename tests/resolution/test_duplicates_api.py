"""Likely duplicates before they happen, through the API: creating a company, product or
person whose name or an alias is close to a stored one answers 409 with the candidates,
unless `?allow_duplicate=true`."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from companies.models import Company, CompanyAlias, Person, Product
from factbase.resolution.duplicates import SAME, SIMILAR, likely_duplicates

from ..api.base import row_counts
from ..factories import (
    CompanyAliasFactory,
    CompanyFactory,
    PersonAliasFactory,
    PersonFactory,
    ProductAliasFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db

COMPANIES = "/api/v1/companies/"
PRODUCTS = "/api/v1/products/"
PEOPLE = "/api/v1/people/"


def company(name: str, slug: str, **extra) -> dict:
    return {"name": name, "slug": slug, "kind": "ai_lab", **extra}


@pytest.fixture
def mistral(db):
    return CompanyFactory(name="Mistral AI", slug="mistral-ai")


@pytest.mark.parametrize(
    "name",
    ["Mistral", "Mistral AI SAS", "mistral ai", "MISTRAL-AI", "Mîstral A.I.", "Mistral AI, Inc."],
)
def test_a_company_named_like_a_stored_one_is_409_with_the_candidate(editor_api, mistral, name):
    before = row_counts()
    response = editor_api.post(COMPANIES, company(name, "new-one"), format="json")
    assert response.status_code == 409, response.content[:500]
    body = response.json()
    assert "?allow_duplicate=true" in body["detail"]
    assert body["candidates"] == [
        {
            "id": mistral.pk,
            "url": f"http://testserver/api/v1/companies/{mistral.pk}/",
            "name": "Mistral AI",
            "slug": "mistral-ai",
            "matched": "Mistral AI",
            "given": name,
            "score": 1.0,
            "why": SAME,
        }
    ]
    assert row_counts() == before


def test_deepseek_and_deepseek(editor_api):
    stored = CompanyFactory(name="DeepSeek", slug="deepseek")
    response = editor_api.post(COMPANIES, company("Deepseek", "deepseek-2"), format="json")
    assert response.status_code == 409
    assert [c["id"] for c in response.json()["candidates"]] == [stored.pk]
    response = editor_api.post(COMPANIES, company("Deep Seek", "deepseek-3"), format="json")
    assert response.status_code == 409


def test_allow_duplicate_creates_it(editor_api, mistral):
    response = editor_api.post(
        f"{COMPANIES}?allow_duplicate=true", company("Mistral AI SAS", "mistral-sas"), format="json"
    )
    assert response.status_code == 201, response.content[:500]
    assert Company.objects.filter(slug="mistral-sas", name="Mistral AI SAS").exists()
    # false is the default: checked again
    response = editor_api.post(
        f"{COMPANIES}?allow_duplicate=false", company("Mistral", "mistral-3"), format="json"
    )
    assert response.status_code == 409
    assert {c["slug"] for c in response.json()["candidates"]} == {"mistral-ai", "mistral-sas"}


def test_a_bad_allow_duplicate_is_a_400_naming_it(editor_api, mistral):
    response = editor_api.post(
        f"{COMPANIES}?allow_duplicate=maybe", company("Other", "other"), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["allow_duplicate"]
    assert not Company.objects.filter(slug="other").exists()


def test_an_alias_given_or_stored_counts(editor_api, mistral):
    CompanyAliasFactory(company=mistral, name="La Plateforme")
    # A new name, with an alias that is the stored record's name.
    data = company("Totally New Name", "new-one", aliases=[{"name": "Mistral AI SAS"}])
    response = editor_api.post(COMPANIES, data, format="json")
    assert response.status_code == 409
    [candidate] = response.json()["candidates"]
    assert (candidate["id"], candidate["given"], candidate["matched"]) == (
        mistral.pk,
        "Mistral AI SAS",
        "Mistral AI",
    )
    # A name that is a stored record's alias.
    response = editor_api.post(COMPANIES, company("la plateforme", "lp"), format="json")
    assert response.status_code == 409
    [candidate] = response.json()["candidates"]
    assert (candidate["id"], candidate["matched"]) == (mistral.pk, "La Plateforme")
    assert not CompanyAlias.objects.filter(name="Mistral AI SAS").exists()


def test_a_name_that_begins_a_stored_one_is_a_similar_name(editor_api):
    stored = CompanyFactory(name="Helsing Robotics", slug="helsing-robotics")
    response = editor_api.post(COMPANIES, company("Helsing", "helsing"), format="json")
    assert response.status_code == 409
    [candidate] = response.json()["candidates"]
    assert candidate["id"] == stored.pk
    assert candidate["why"] == SIMILAR
    assert 0 < candidate["score"] < 1


@pytest.mark.parametrize(
    "stored, new",
    [
        ("Mistral AI", "Anthropic"),
        ("OpenAI", "Open Source Initiative"),
        ("Company 1", "Company 2"),  # names that differ in a number
        ("Google", "Microsoft"),
        ("Le", "Le Chat Group"),  # too short to count as the beginning of another
    ],
)
def test_no_false_alarm_on_clearly_different_names(editor_api, stored, new):
    CompanyFactory(name=stored, slug="stored")
    response = editor_api.post(COMPANIES, company(new, "new"), format="json")
    assert response.status_code == 201, response.content[:500]


def test_products_are_compared_within_their_company(editor_api, mistral):
    ProductFactory(name="Le Chat", slug="le-chat", company=mistral)
    other = CompanyFactory()
    data = {"name": "le chat", "slug": "le-chat-2", "kind": "assistant_app"}
    response = editor_api.post(PRODUCTS, {**data, "company": other.slug}, format="json")
    assert response.status_code == 201, response.content[:500]
    response = editor_api.post(
        PRODUCTS, {**data, "slug": "le-chat-3", "company": "mistral-ai"}, format="json"
    )
    assert response.status_code == 409
    assert [c["slug"] for c in response.json()["candidates"]] == ["le-chat"]


def test_a_product_named_like_another_by_an_alias(editor_api, mistral):
    product = ProductFactory(name="Le Chat Pro", slug="le-chat-pro", company=mistral)
    ProductAliasFactory(product=product, name="Le Chat")
    data = {"name": "Le Chat", "slug": "le-chat", "kind": "assistant_app", "company": "mistral-ai"}
    response = editor_api.post(PRODUCTS, data, format="json")
    assert response.status_code == 409
    assert response.json()["candidates"][0]["matched"] == "Le Chat"
    assert not Product.objects.filter(slug="le-chat").exists()


def test_gpt_4_is_not_gpt_5(editor_api):
    openai = CompanyFactory(name="OpenAI", slug="openai")
    ProductFactory(name="GPT-4", slug="gpt-4", company=openai)
    data = {"name": "GPT-5", "slug": "gpt-5", "kind": "model", "company": "openai"}
    assert editor_api.post(PRODUCTS, data, format="json").status_code == 201


def test_people(editor_api):
    stored = PersonFactory(name="Arthur Mensch", slug="arthur-mensch")
    PersonAliasFactory(person=stored, name="A. Mensch")
    response = editor_api.post(
        PEOPLE, {"name": "ARTHUR  MENSCH", "slug": "arthur-mensch-2"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["candidates"][0]["id"] == stored.pk
    response = editor_api.post(PEOPLE, {"name": "a mensch", "slug": "am"}, format="json")
    assert response.status_code == 409
    assert response.json()["candidates"][0]["matched"] == "A. Mensch"
    response = editor_api.post(PEOPLE, {"name": "Timothée Lacroix", "slug": "tl"}, format="json")
    assert response.status_code == 201
    assert Person.objects.filter(slug="tl").exists()


def test_updates_are_not_checked(editor_api, mistral):
    other = CompanyFactory(name="Other", slug="other")
    response = editor_api.patch(f"{COMPANIES}{other.pk}/", {"name": "Mistral"}, format="json")
    assert response.status_code == 200
    # and allow_duplicate is not a parameter of an update
    response = editor_api.patch(
        f"{COMPANIES}{other.pk}/?allow_duplicate=true", {"name": "Mistral"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["allow_duplicate"]


def test_the_schema_declares_allow_duplicate_on_the_three_creates():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in ("/api/v1/companies/", "/api/v1/products/", "/api/v1/people/"):
        names = {p["name"] for p in schema["paths"][path]["post"]["parameters"]}
        assert {"allow_duplicate", "X-Change-Reason"} <= names, path
        assert "allow_duplicate" not in {
            p["name"] for p in schema["paths"][f"{path}{{id}}/"]["patch"]["parameters"]
        }
    metrics = {p["name"] for p in schema["paths"]["/api/v1/metrics/"]["post"]["parameters"]}
    assert "allow_duplicate" not in metrics


def test_the_check_takes_two_queries(django_assert_num_queries, mistral):
    """One for the names, one for the aliases, however many records and aliases match."""
    for n in range(5):
        CompanyAliasFactory(company=CompanyFactory(name=f"Mistral {n} AI"), name=f"Mistral {n}")
    CompanyAliasFactory(company=mistral, name="Mistral")
    with django_assert_num_queries(2):
        found = likely_duplicates(Company, "Mistral AI SAS", ["Mistral"])
    assert [c.record.pk for c in found] == [mistral.pk]
    product = ProductFactory(company=mistral)
    with django_assert_num_queries(2):
        likely_duplicates(Product, product.name, scope=mistral)
