"""Companies, products, people and platforms through the API."""

import pytest

from companies.models import Company, CompanyAlias, Product, Role
from events.models import Metric

from ..factories import (
    CitationFactory,
    CompanyAliasFactory,
    CompanyFactory,
    CompanyIdentifierFactory,
    FundingRoundFactory,
    MetricFactory,
    PartnershipPartyFactory,
    PersonAliasFactory,
    PersonFactory,
    PlatformFactory,
    ProductAliasFactory,
    ProductFactory,
    RoleFactory,
    SourceFactory,
    platform,
)
from .base import (
    REASON,
    FactRecordTests,
    RecordTests,
    SlugTests,
    assert_history,
    error_paths,
    row_counts,
)

pytestmark = pytest.mark.django_db


class TestCompanies(FactRecordTests, SlugTests):
    path = "companies"
    factory = CompanyFactory
    brief_fields = ("id", "url", "name", "slug")
    required = ("name", "slug", "kind")

    def enrich(self, obj, user):
        CompanyAliasFactory(company=obj, created_by=user)
        CompanyIdentifierFactory(company=obj, created_by=user)

    def create_data(self):
        return {
            "name": "Mistral AI",
            "slug": "mistral-ai",
            "kind": "ai_lab",
            "country": "FR",
            "headquarters": "Paris",
            "founded_on": "2023-04-01",
            "founded_precision": "month",
            "website": "https://mistral.ai/",
            "description": "French AI lab.",
            "aliases": [{"name": "Mistral"}, {"name": "Mistral AI SAS"}],
            "identifiers": [{"scheme": "wikidata", "value": "Q116800441"}],
            "confidence": "high",
            "claim_type": "reported",
            "note": "From the company's own site.",
        }

    def update_data(self, obj):
        return {
            "name": "Renamed Robotics",
            "slug": obj.slug,
            "kind": "enterprise",
            "country": "IT",
            "headquarters": "Milan",
            "founded_on": "2019-01-01",
            "founded_precision": "year",
            "website": "",
            "description": "",
            "status": "disputed",
            "confidence": "low",
            "claim_type": "estimate",
            "note": "Two sources disagree.",
        }


class TestProducts(FactRecordTests, SlugTests):
    path = "products"
    factory = ProductFactory
    brief_fields = ("id", "url", "name", "slug")
    required = ("name", "slug", "company", "kind")

    def enrich(self, obj, user):
        obj.platforms.set([platform("ios"), platform("web")])
        ProductAliasFactory(product=obj, created_by=user)

    def create_data(self):
        company = CompanyFactory()
        return {
            "name": "Le Chat",
            "slug": "le-chat",
            "company": company.slug,
            "kind": "assistant_app",
            "audience": "consumers",
            "launched_on": "2025-02-06",
            "launched_precision": "day",
            "platforms": ["ios", platform("android").pk],
            "description": "Assistant app.",
        }

    def update_data(self, obj):
        return {
            "name": "Le Chat Pro",
            "slug": obj.slug,
            "company": {"id": CompanyFactory().pk},
            "kind": "platform",
            "audience": "businesses",
            "launched_on": "2025-01-01",
            "launched_precision": "quarter",
            "platforms": [],
            "description": "",
        }


class TestPeople(FactRecordTests, SlugTests):
    path = "people"
    factory = PersonFactory
    brief_fields = ("id", "url", "name", "slug")
    required = ("name", "slug")

    def enrich(self, obj, user):
        PersonAliasFactory(person=obj, created_by=user)
        RoleFactory(person=obj, created_by=user)

    def create_data(self):
        company = CompanyFactory()
        return {
            "name": "Arthur Mensch",
            "slug": "arthur-mensch",
            "description": "Co-founder and CEO of Mistral AI",
            "wikidata_id": "Q116800484",
            "roles": [
                {
                    "company": company.slug,
                    "title": "CEO",
                    "started_on": "2023-04-01",
                    "started_precision": "month",
                }
            ],
        }

    def update_data(self, obj):
        return {
            "name": "A. Mensch",
            "slug": obj.slug,
            "description": "",
            "wikidata_id": "",
            "roles": [{"company": CompanyFactory().pk, "title": "Chair"}],
        }


class TestPlatforms(RecordTests, SlugTests):
    path = "platforms"
    factory = PlatformFactory
    brief_fields = ("id", "url", "slug", "name")
    required = ("slug", "name")
    tie = ("name", "Same name")

    def create_data(self):
        return {"slug": "visionos", "name": "visionOS"}

    def update_data(self, obj):
        return {"slug": f"{obj.slug}-new", "name": "Renamed"}

    def patch_data(self, obj):
        return {"name": "Renamed"}


# --- children written with their parent, atomically ------------------------------------


def test_company_with_bad_aliases_and_citations_writes_nothing(editor_api):
    source = SourceFactory()
    data = {
        **TestCompanies().create_data(),
        "kind": "not-a-kind",
        "aliases": [{"name": "Fine"}, {"name": ""}, {"nickname": "x"}],
        "citations": [{"source": source.pk, "quote": "Acme Robotics said on Monday"}, {}],
    }
    before = row_counts()
    response = editor_api.post("/api/v1/companies/", data, format="json")
    assert response.status_code == 400, response.content[:800]
    assert error_paths(response.json()) >= {
        "kind",
        "aliases.1.name",
        "aliases.2.nickname",
        "citations.1.source",
        "citations.1.quote",
    }
    assert row_counts() == before


def test_errors_of_every_child_list_are_named_together(editor_api):
    """Rules the models check (unique aliases, Wikidata ids, quotes in the source's text)
    are reported for every list at once, not one list per attempt."""
    source = SourceFactory()
    data = {
        **TestCompanies().create_data(),
        "aliases": [{"name": "Same"}, {"name": "Same"}],
        "identifiers": [
            {"scheme": "wikidata", "value": "Q1"},
            {"scheme": "wikidata", "value": "not-a-q-id"},
        ],
        "citations": [{"source": source.pk, "quote": "never said"}],
    }
    before = row_counts()
    response = editor_api.post("/api/v1/companies/", data, format="json")
    assert response.status_code == 400, response.content[:800]
    assert error_paths(response.json()) == {
        "aliases.1.non_field_errors",
        "identifiers.1.value",
        "citations.0.quote",
    }
    assert row_counts() == before


def test_errors_of_the_record_and_its_children_are_named_together(editor_api):
    source = SourceFactory()
    data = {
        **TestCompanies().create_data(),
        "founded_on": "2023-04-01",
        "founded_precision": "",
        "citations": [{"source": source.pk, "quote": "never said"}],
    }
    before = row_counts()
    response = editor_api.post("/api/v1/companies/", data, format="json")
    assert response.status_code == 400, response.content[:800]
    assert error_paths(response.json()) == {"founded_precision", "citations.0.quote"}
    assert row_counts() == before


def test_aliases_are_replaced_by_the_list_given(editor_api, editor):
    company = CompanyFactory()
    kept, dropped = (
        CompanyAliasFactory(company=company, name="Keep"),
        CompanyAliasFactory(company=company, name="Drop"),
    )
    response = editor_api.patch(
        f"/api/v1/companies/{company.pk}/",
        {"aliases": [{"id": kept.pk, "name": "Kept"}, {"name": "New"}]},
        format="json",
        HTTP_X_CHANGE_REASON=REASON,
    )
    assert response.status_code == 200, response.json()
    assert list(company.aliases.order_by("id").values_list("id", "name")) == [
        (kept.pk, "Kept"),
        (company.aliases.get(name="New").pk, "New"),
    ]
    dropped_history = CompanyAlias.history.filter(id=dropped.pk).first()
    assert_history(dropped_history, kind="-", user=editor, reason=REASON)


def test_an_alias_that_is_the_name_or_another_alias_but_for_case_or_accents_is_refused(
    editor_api,
):
    data = {
        **TestCompanies().create_data(),
        "name": "Énergie Solaire",
        "aliases": [{"name": "ES"}, {"name": "energie  SOLAIRE"}, {"name": "És"}],
    }
    before = row_counts()
    response = editor_api.post("/api/v1/companies/", data, format="json")
    assert response.status_code == 400, response.content[:800]
    errors = response.json()["aliases"]
    assert set(errors) == {"1", "2"}  # the first is fine
    assert errors["1"] == {
        "name": [
            "“energie  SOLAIRE” is the company's name, “Énergie Solaire”, but for case, "
            "accents or spacing: it is matched as an alias would be."
        ]
    }
    assert errors["2"] == {
        "name": ["“És” is the company's alias “ES” but for case, accents or spacing."]
    }
    assert row_counts() == before

    # The same rules on a product's and a person's aliases; one that differs is written.
    product = ProductFactory(name="Le Chat")
    response = editor_api.patch(
        f"/api/v1/products/{product.pk}/",
        {"aliases": [{"name": "le chat"}]},
        format="json",
    )
    assert error_paths(response.json()) == {"aliases.0.name"}
    response = editor_api.patch(
        f"/api/v1/products/{product.pk}/", {"aliases": [{"name": "Le Chat Pro"}]}, format="json"
    )
    assert response.status_code == 200, response.json()
    person = PersonFactory(name="Léa Martin")
    response = editor_api.patch(
        f"/api/v1/people/{person.pk}/", {"aliases": [{"name": "LEA MARTIN"}]}, format="json"
    )
    assert error_paths(response.json()) == {"aliases.0.name"}


def test_aliases_are_compared_as_the_write_leaves_the_list(editor_api):
    company = CompanyFactory(name="Mistral AI")
    stored = CompanyAliasFactory(company=company, name="Mistral")
    path = f"/api/v1/companies/{company.pk}/"
    # The stored alias is replaced by its new spelling: the list is not checked against
    # what it held before.
    response = editor_api.patch(path, {"aliases": [{"name": "MISTRAL"}]}, format="json")
    assert response.status_code == 200, response.json()
    assert list(company.aliases.values_list("name", flat=True)) == ["MISTRAL"]
    # An alias renamed by a row listed after the one that takes its old spelling.
    caps = company.aliases.get()
    response = editor_api.patch(
        path,
        {"aliases": [{"name": "mistral"}, {"id": caps.pk, "name": "Le Mistral"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert sorted(company.aliases.values_list("name", flat=True)) == ["Le Mistral", "mistral"]
    assert not CompanyAlias.objects.filter(pk=stored.pk).exists()


def test_aliases_stored_before_the_rule_do_not_block_other_changes(editor_api, editor_client):
    company = CompanyFactory(name="Foo Robotics")
    # Stored as they were before the rule, past the services' checks.
    first = CompanyAliasFactory(company=company, name="Foo")
    CompanyAliasFactory(company=company, name="FOO")
    CompanyAliasFactory(company=company, name="foo robotics")
    path = f"/api/v1/companies/{company.pk}/"
    response = editor_api.patch(path, {"description": "Robots."}, format="json")
    assert response.status_code == 200, response.json()
    listed = [{"id": alias.pk} for alias in company.aliases.order_by("pk")]
    response = editor_api.patch(path, {"aliases": [*listed, {"name": "Bar"}]}, format="json")
    assert response.status_code == 200, response.json()
    # One of them written again is checked.
    response = editor_api.patch(
        path, {"aliases": [{"id": first.pk, "name": "foo"}, *listed[1:]]}, format="json"
    )
    assert error_paths(response.json()) == {"aliases.0.name"}


def test_person_with_an_unknown_role_company_writes_nothing(editor_api):
    company = CompanyFactory()
    data = {
        "name": "Someone",
        "slug": "someone",
        "roles": [
            {"company": company.slug, "title": "CEO"},
            {"company": "no-such-company", "title": "Chair"},
            {"company": company.pk},
        ],
    }
    before = row_counts()
    response = editor_api.post("/api/v1/people/", data, format="json")
    assert response.status_code == 400, response.content[:800]
    assert error_paths(response.json()) == {"roles.1.company", "roles.2.title"}
    assert row_counts() == before


def test_person_role_dates_are_checked_by_the_model(editor_api):
    company = CompanyFactory()
    role = {
        "company": company.slug,
        "title": "CTO",
        "started_on": "2024-01-01",
        "started_precision": "day",
        "ended_on": "2023-01-01",
        "ended_precision": "day",
    }
    before = row_counts()
    data = {
        "name": "Someone",
        "slug": "someone",
        "roles": [{"company": company.pk, "title": "x"}, role],
    }
    response = editor_api.post("/api/v1/people/", data, format="json")
    assert response.status_code == 400, response.content[:800]
    assert error_paths(response.json()) == {"roles.1.ended_on"}
    assert row_counts() == before


def test_a_role_cannot_be_verified_without_citations(editor_api):
    company = CompanyFactory()
    data = {
        "name": "Someone",
        "slug": "someone",
        "roles": [{"company": company.slug, "title": "CEO", "status": "verified"}],
    }
    before = row_counts()
    response = editor_api.post("/api/v1/people/", data, format="json")
    assert response.status_code == 400, response.content[:800]
    assert "roles.0.status" in error_paths(response.json())
    assert row_counts() == before


def test_person_roles_are_stored_with_history(editor_api, editor):
    response = editor_api.post(
        "/api/v1/people/", TestPeople().create_data(), format="json", HTTP_X_CHANGE_REASON=REASON
    )
    assert response.status_code == 201, response.content[:800]
    role = Role.objects.get(person_id=response.json()["id"])
    assert role.title == "CEO"
    assert_history(role.history.first(), kind="+", user=editor, reason=REASON)
    assert response.json()["roles"][0]["company"]["slug"] == role.company.slug


# --- references ----------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["id", "slug", "id-string", "object-id", "object-slug"])
def test_a_company_is_named_by_id_slug_or_object(editor_api, form):
    company = CompanyFactory()
    ref = {
        "id": company.pk,
        "slug": company.slug,
        "id-string": str(company.pk),
        "object-id": {"id": company.pk},
        "object-slug": {"slug": company.slug},
    }[form]
    data = {"name": "P", "slug": "p", "kind": "model", "company": ref}
    response = editor_api.post("/api/v1/products/", data, format="json")
    assert response.status_code == 201, response.json()
    assert Product.objects.get(slug="p").company == company
    assert response.json()["company"] == {
        "id": company.pk,
        "url": f"http://testserver/api/v1/companies/{company.pk}/",
        "name": company.name,
        "slug": company.slug,
    }


@pytest.mark.parametrize("ref", [True, 1.5, [1], {"name": "x"}, None, "no-such-company", 987654])
def test_a_bad_reference_is_a_400_naming_the_field(editor_api, ref):
    data = {"name": "P", "slug": "p", "kind": "model", "company": ref}
    before = row_counts()
    response = editor_api.post("/api/v1/products/", data, format="json")
    assert response.status_code == 400, response.content[:800]
    assert error_paths(response.json()) == {"company"}
    assert row_counts() == before


# --- deleting what others refer to ---------------------------------------------------------


@pytest.mark.parametrize(
    "referrer",
    [
        lambda company: ProductFactory(company=company),
        lambda company: PartnershipPartyFactory(company=company),
        lambda company: FundingRoundFactory(company=company),
        lambda company: MetricFactory(company=company),
        lambda company: RoleFactory(company=company),
    ],
    ids=["product", "partnership", "funding-round", "metric", "role"],
)
def test_deleting_a_company_others_refer_to_is_409(editor_api, referrer):
    company = CompanyFactory()
    CitationFactory(fact=company)
    CompanyAliasFactory(company=company)
    blocker = referrer(company)
    before = row_counts()
    response = editor_api.delete(f"/api/v1/companies/{company.slug}/")
    assert response.status_code == 409, response.content[:800]
    detail = response.json()["detail"]
    assert "refer to this one" in detail
    assert f"{blocker._meta.verbose_name} {blocker.pk}" in detail
    assert row_counts() == before
    assert Company.objects.filter(pk=company.pk).exists()


def test_deleting_a_product_with_metrics_is_409(editor_api):
    metric = MetricFactory(company=None, product=ProductFactory())
    before = row_counts()
    response = editor_api.delete(f"/api/v1/products/{metric.product_id}/")
    assert response.status_code == 409, response.content[:800]
    assert f"metric {metric.pk}" in response.json()["detail"]
    assert row_counts() == before
    assert Metric.objects.filter(pk=metric.pk).exists()


def test_identifiers_sent_back_as_read_change_nothing(editor_api):
    """A company's identifiers as a read shows them, or by their ids alone, write no
    version; one that another company holds is still refused, naming its row."""
    response = editor_api.post(
        "/api/v1/companies/",
        {
            **TestCompanies().create_data(),
            "identifiers": [{"scheme": "wikidata", "value": "Q999999"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    company = response.json()
    path = f"/api/v1/companies/{company['id']}/"
    read = company["identifiers"]
    for identifiers in (read, [{"id": row["id"]} for row in read]):
        before = row_counts()
        response = editor_api.patch(path, {"identifiers": identifiers}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["version"] == company["version"]
        assert row_counts() == before
    other = CompanyFactory()
    before = row_counts()
    response = editor_api.patch(
        f"/api/v1/companies/{other.pk}/",
        {"identifiers": [{"scheme": "wikidata", "value": "Q999999"}]},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "identifiers" in response.json()
    assert row_counts() == before


@pytest.mark.parametrize("twice", [["ios", "ios"], ["ios", "IOS-ID"]])
def test_a_record_named_twice_in_a_list_is_400_not_stored_once(editor_api, twice):
    """A product's platforms: the second name was dropped without a word."""
    product = ProductFactory()
    ios = platform("ios")
    body = {"platforms": [ios.pk if name == "IOS-ID" else name for name in twice]}
    before = row_counts()
    response = editor_api.patch(f"/api/v1/products/{product.pk}/", body, format="json")
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {"platforms"}
    assert "Items 0 and 1 name the same record" in str(response.json())
    assert row_counts() == before
