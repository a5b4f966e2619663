"""A citation written or deleted on its own (`/citations/`) is a version of its fact: the
fact's answer lists its citations, so its version and ETag move with them, and a writer
holding the older ETag cannot replace the list without having seen the new citation."""

import pytest

from factbase.core.models import Citation

from ..factories import CitationFactory, CompanyFactory

pytestmark = pytest.mark.django_db

QUOTE = "Acme Robotics said on Monday"


def etag(api, company) -> str:
    response = api.get(f"/api/v1/companies/{company.pk}/")
    assert response.status_code == 200
    return response["ETag"]


def newest_version(api, company) -> dict:
    response = api.get(f"/api/v1/companies/{company.pk}/history/")
    assert response.status_code == 200
    return response.json()["results"][0]


def test_a_citation_added_on_its_own_moves_its_facts_etag(editor_api):
    cited = CitationFactory()
    company = cited.fact
    before = etag(editor_api, company)
    data = {
        "fact_type": "company",
        "fact_id": company.pk,
        "source": cited.source_id,
        "quote": "Monday",
    }
    added = editor_api.post("/api/v1/citations/", data, format="json")
    assert added.status_code == 201, added.json()
    assert etag(editor_api, company) != before
    version = newest_version(editor_api, company)
    (change,) = version["changes"]
    assert change["field"] == "citations" and change["old"] is None
    assert change["new"]["id"] == added.json()["id"]

    # A writer that read the company before the citation, replacing its list of
    # citations with the one it knew, is refused: the new citation is not lost.
    response = editor_api.patch(
        f"/api/v1/companies/{company.pk}/",
        {"citations": [{"id": cited.pk}]},
        format="json",
        HTTP_IF_MATCH=before,
    )
    assert response.status_code == 412
    assert Citation.objects.filter(pk=added.json()["id"]).exists()


def test_a_citation_deleted_on_its_own_is_a_version_of_its_fact(editor_api):
    company = CompanyFactory()
    kept, gone = CitationFactory(fact=company), CitationFactory(fact=company)
    before = etag(editor_api, company)
    assert editor_api.delete(f"/api/v1/citations/{gone.pk}/").status_code == 204
    assert etag(editor_api, company) != before
    (change,) = newest_version(editor_api, company)["changes"]
    assert (change["field"], change["new"], change["old"]["id"]) == ("citations", None, gone.pk)
    assert [c.pk for c in Citation.objects.filter(object_id=company.pk)] == [kept.pk]


def test_a_citation_moved_to_another_fact_is_a_version_of_both(editor_api):
    citation = CitationFactory()
    first, second = citation.fact, CompanyFactory()
    before = etag(editor_api, first), etag(editor_api, second)
    response = editor_api.patch(
        f"/api/v1/citations/{citation.pk}/", {"fact_id": second.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert etag(editor_api, first) != before[0]
    assert etag(editor_api, second) != before[1]
    (gone,) = newest_version(editor_api, first)["changes"]
    assert (gone["field"], gone["old"]["id"], gone["new"]) == ("citations", citation.pk, None)
    (came,) = newest_version(editor_api, second)["changes"]
    assert (came["field"], came["old"], came["new"]["id"]) == ("citations", None, citation.pk)


def test_a_citation_changed_on_its_own_is_a_version_of_its_fact(editor_api):
    citation = CitationFactory()
    company = citation.fact
    before = etag(editor_api, company)
    response = editor_api.patch(
        f"/api/v1/citations/{citation.pk}/", {"locator": "p. 2"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert etag(editor_api, company) != before
    (change,) = newest_version(editor_api, company)["changes"]
    assert change["field"] == "citations"
    assert change["new"] == {"id": citation.pk, "locator": "p. 2"}


def test_a_citation_written_unchanged_is_no_version(editor_api):
    citation = CitationFactory()
    company = citation.fact
    before = etag(editor_api, company)
    response = editor_api.patch(
        f"/api/v1/citations/{citation.pk}/", {"quote": QUOTE}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert etag(editor_api, company) == before
