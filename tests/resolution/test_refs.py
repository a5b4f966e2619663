"""Records named by alias, name, or the old slug or id of a merged record: in filters
(`?company=Mistral`) and in writes (`"company": "Mistral"`)."""

from urllib.parse import unquote

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from companies.models import Company, Product
from events.models import Event, Metric
from factbase.core.models import Merge
from factbase.core.services import record_delete
from factbase.resolution.refs import resolve_refs

from ..factories import (
    CompanyAliasFactory,
    CompanyFactory,
    EventFactory,
    MetricFactory,
    PersonAliasFactory,
    PersonFactory,
    ProductAliasFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db

METRICS = "/api/v1/metrics/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:500]
    return sorted(row["id"] for row in response.json()["results"])


@pytest.fixture
def mistral(db):
    company = CompanyFactory(name="Mistral AI", slug="mistral-ai")
    CompanyAliasFactory(company=company, name="Mistral")
    return company


def merge(record, into, *, undone=False) -> Merge:
    """A merge as the merge service records it: the merged record is gone, its id and
    slug kept in a Merge row."""
    row = Merge.objects.create(
        content_type=ContentType.objects.get_for_model(type(record)),
        merged_id=record.pk,
        merged_slug=record.slug,
        merged_name=record.name,
        kept_id=into.pk,
        reason="The same company.",
        merged_at=timezone.now(),
        undone_at=timezone.now() if undone else None,
    )
    record_delete(record, user=None, reason="Merged.")
    return row


# --- filters ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Mistral", "mistral", "MISTRAL", "Mîstral", "Mistral AI"])
def test_a_filter_takes_an_alias_or_a_name_accents_and_case_aside(anon_api, mistral, value):
    mine = MetricFactory(company=mistral)
    MetricFactory()
    assert ids(anon_api.get(METRICS, {"company": value})) == [mine.pk]


@pytest.mark.parametrize("query", ["%20Mistral", "Mistral%20%20", "%09mistral%20ai%20"])
def test_spaces_around_an_alias_or_a_name_are_not_part_of_it(anon_api, mistral, query):
    """SQLite and PostgreSQL compare names in different SQL: both find the company."""
    mine = MetricFactory(company=mistral)
    MetricFactory()
    assert ids(anon_api.get(f"{METRICS}?company={query}")) == [mine.pk]
    named = unquote(query)
    assert resolve_refs(Company, [named]) == {named: mistral.pk}


def test_an_alias_is_matched_exactly_not_by_resemblance(anon_api, mistral):
    for value in ("Mistra", "Mistral AI SAS", "Mistrals"):
        response = anon_api.get(METRICS, {"company": value})
        assert response.status_code == 400, value
        assert response.json() == {"company": [f"Unknown company: {value}."]}


def test_slugs_ids_and_aliases_mix(anon_api, mistral):
    other = CompanyFactory(slug="other")
    third = CompanyFactory()
    CompanyAliasFactory(company=third, name="Third Co")
    metrics = [MetricFactory(company=c) for c in (mistral, other, third)]
    MetricFactory()
    response = anon_api.get(METRICS, {"company": f"Mistral,other,{third.pk}"})
    assert ids(response) == sorted(m.pk for m in metrics)
    response = anon_api.get(METRICS, {"company": "third co,mistral-ai"})
    assert ids(response) == sorted([metrics[0].pk, metrics[2].pk])


def test_an_alias_that_names_two_records_is_a_400_naming_both(anon_api, mistral):
    other = CompanyFactory(name="Mistral Capital", slug="mistral-capital")
    CompanyAliasFactory(company=other, name="MISTRAL")
    response = anon_api.get(METRICS, {"company": "Mistral"})
    assert response.status_code == 400
    [message] = response.json()["company"]
    assert "more than one company" in message
    assert "mistral-ai" in message and "mistral-capital" in message
    # its slug still names each
    assert anon_api.get(METRICS, {"company": "mistral-capital"}).status_code == 200


def test_product_and_person_aliases(anon_api, mistral):
    product = ProductFactory(name="Le Chat", slug="le-chat", company=mistral)
    ProductAliasFactory(product=product, name="LeChat")
    metric = MetricFactory(company=None, product=product)
    assert ids(anon_api.get(METRICS, {"product": "lechat"})) == [metric.pk]
    person = PersonFactory(name="Arthur Mensch", slug="arthur-mensch")
    PersonAliasFactory(person=person, name="Arthur Mensch-Dupont")
    event = EventFactory()
    event.people.add(person)
    EventFactory()
    response = anon_api.get("/api/v1/events/", {"person": "arthur mensch-dupont"})
    assert ids(response) == [event.pk]


def test_the_old_slug_and_id_of_a_merged_record_find_the_kept_ones_facts(anon_api, mistral):
    old = CompanyFactory(name="Mistral AI SAS", slug="mistral-ai-sas")
    old_pk = old.pk
    kept = MetricFactory(company=mistral)
    merge(old, into=mistral)
    assert not Company.objects.filter(pk=old_pk).exists()
    assert ids(anon_api.get(METRICS, {"company": "mistral-ai-sas"})) == [kept.pk]
    assert ids(anon_api.get(METRICS, {"company": str(old_pk)})) == [kept.pk]


def test_merges_are_followed_to_the_last_record(anon_api):
    a, b, c = (CompanyFactory(slug=slug) for slug in ("a-co", "b-co", "c-co"))
    metric = MetricFactory(company=c)
    merge(a, into=b)
    merge(b, into=c)
    assert ids(anon_api.get(METRICS, {"company": "a-co"})) == [metric.pk]
    assert resolve_refs(Company, ["a-co", "b-co", "c-co"]) == {
        "a-co": c.pk,
        "b-co": c.pk,
        "c-co": c.pk,
    }


def test_an_undone_merge_no_longer_answers(anon_api, mistral):
    old = CompanyFactory(slug="mistral-old")
    merge(old, into=mistral, undone=True)
    response = anon_api.get(METRICS, {"company": "mistral-old"})
    assert response.status_code == 400
    assert list(response.json()) == ["company"]


def test_an_unknown_value_is_still_a_400_naming_the_parameter(anon_api, mistral):
    response = anon_api.get(METRICS, {"company": "mistral-ai,nobody"})
    assert response.status_code == 400
    assert response.json() == {"company": ["Unknown company: nobody."]}
    response = anon_api.get("/api/v1/products/", {"company": "Nobody At All"})
    assert response.status_code == 400
    assert list(response.json()) == ["company"]


def test_an_alias_given_later_matches_nothing_before_it(anon_api, mistral):
    """Under as_of, a name the company had only later is not a typo: an empty list."""
    MetricFactory(company=mistral)
    response = anon_api.get(METRICS, {"company": "Mistral", "as_of": "2000-01-01T00:00:00Z"})
    assert response.status_code == 200, response.content[:300]
    assert response.json()["results"] == []


def test_an_id_filter_of_a_kind_that_is_never_merged_costs_no_query(anon_api, mistral):
    """A metric type, an event, a source... is never merged: its id goes into the
    condition as it is. A company's id is looked up (it may be a merged one's)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    metric = MetricFactory(company=mistral)

    def queries(**params) -> int:
        anon_api.get(METRICS, params)  # per-process caches first
        with CaptureQueriesContext(connection) as captured:
            assert anon_api.get(METRICS, params).status_code == 200
        return len(captured)

    unfiltered = queries()
    assert queries(metric_type=str(metric.metric_type_id)) == unfiltered
    assert queries(company=str(mistral.pk)) == unfiltered + 1


def test_a_slug_or_id_costs_one_query(django_assert_num_queries, mistral):
    with django_assert_num_queries(1):
        assert resolve_refs(Company, ["mistral-ai", str(mistral.pk)]) == {
            "mistral-ai": mistral.pk,
            str(mistral.pk): mistral.pk,
        }
    with django_assert_num_queries(2):  # then the names and aliases
        assert resolve_refs(Company, ["mistral"]) == {"mistral": mistral.pk}


def test_the_schema_says_what_a_filter_takes():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/metrics/"]["get"]["parameters"]}
    assert "slugs, ids or aliases" in parameters["company"]["description"]
    assert "slugs, ids or aliases" in parameters["product"]["description"]
    # a kind without aliases says what it said
    assert "alias" not in parameters["metric_type"]["description"]
    assert "alias" not in parameters["company_id"]["description"]


# --- writes -----------------------------------------------------------------------------


def metric(**refs) -> dict:
    return {"metric_type": "downloads", "value": "1000", "qualifier": "exact", **refs}


def test_a_write_names_a_related_record_by_alias(editor_api, mistral):
    response = editor_api.post(METRICS, metric(company="Mistral"), format="json")
    assert response.status_code == 201, response.content[:500]
    assert Metric.objects.get(pk=response.json()["id"]).company == mistral
    data = {"name": "Le Chat", "slug": "le-chat", "kind": "assistant_app", "company": "mistral"}
    response = editor_api.post("/api/v1/products/", data, format="json")
    assert response.status_code == 201, response.content[:500]
    assert Product.objects.get(slug="le-chat").company == mistral
    event = {"title": "AI Action Summit", "kind": "summit", "companies": ["Mistral AI"]}
    response = editor_api.post("/api/v1/events/", event, format="json")
    assert response.status_code == 201, response.content[:500]
    assert list(Event.objects.get(pk=response.json()["id"]).companies.all()) == [mistral]


def test_a_write_names_a_related_record_by_alias_with_spaces_around(editor_api, mistral):
    """A filter's form strips its values; a write's body is read as sent."""
    response = editor_api.post(METRICS, metric(company=" Mistral\t"), format="json")
    assert response.status_code == 201, response.content[:500]
    assert response.json()["company"]["id"] == mistral.pk


def test_a_write_names_a_merged_record_by_its_old_slug_or_id(editor_api, mistral):
    old = CompanyFactory(slug="mistral-old")
    old_pk = old.pk
    merge(old, into=mistral)
    for ref in ("mistral-old", old_pk, {"id": old_pk}, {"slug": "mistral-old"}):
        response = editor_api.post(METRICS, metric(company=ref), format="json")
        assert response.status_code == 201, (ref, response.content[:500])
        assert response.json()["company"]["id"] == mistral.pk


def test_a_write_naming_an_ambiguous_alias_is_a_400_naming_the_field(editor_api, mistral):
    CompanyAliasFactory(company=CompanyFactory(slug="mistral-capital"), name="Mistral")
    before = Metric.objects.count()
    response = editor_api.post(METRICS, metric(company="Mistral"), format="json")
    assert response.status_code == 400
    [message] = response.json()["company"]
    assert "more than one company" in message and "mistral-capital" in message
    assert Metric.objects.count() == before


def test_a_write_naming_no_record_is_a_400_naming_the_field(editor_api, mistral):
    response = editor_api.post(METRICS, metric(company="Mistrale"), format="json")
    assert response.status_code == 400
    assert response.json() == {"company": ["No company with slug, name or alias 'Mistrale'."]}
    response = editor_api.post(METRICS, metric(company=999999), format="json")
    assert response.status_code == 400
    assert response.json() == {"company": ["No company with id 999999."]}
