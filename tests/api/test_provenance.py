"""Sources and citations through the API."""

import pytest

from companies.models import Company
from factbase.core.models import Citation, Source

from ..factories import (
    ARTICLE,
    CitationFactory,
    CompanyFactory,
    MetricFactory,
    PersonFactory,
    RoleFactory,
    SourceFactory,
)
from .base import REASON, RecordTests, assert_history, error_paths, latest_history, row_counts

pytestmark = pytest.mark.django_db


class TestSources(RecordTests):
    path = "sources"
    factory = SourceFactory
    brief_fields = (
        "id",
        "url",
        "title",
        "publisher",
        "source_url",
        "published_on",
        "published_precision",
        "language",
    )
    required = ("title", "publisher", "language", "kind")
    renames = {"source_url": "url"}

    def create_data(self):
        return {
            "title": "Mistral AI lève 600 millions d'euros",
            "publisher": "Le Monde",
            "author": "A. Journaliste",
            "source_url": "https://example.com/mistral-600m",
            "published_on": "2024-06-11",
            "published_precision": "day",
            "language": "fr",
            "kind": "news_article",
            "retrieved_at": "2024-06-12T08:30:00Z",
            "text": "Mistral AI a levé 600 millions d'euros.",
        }

    def update_data(self, obj):
        return {
            "title": "Renamed",
            "publisher": "Other Publisher",
            "author": "",
            "source_url": None,
            "published_on": "2024-01-01",
            "published_precision": "year",
            "language": "pt-BR",
            "kind": "press_release",
            "retrieved_at": None,
            "text": obj.text,
        }

    def patch_data(self, obj):
        return {"author": "Someone"}


class TestCitations(RecordTests):
    path = "citations"
    factory = CitationFactory
    brief_fields = ("id", "url", "quote")
    required = ("fact_type", "fact_id", "source", "quote")
    renames = {"fact_type": None, "fact_id": "object_id"}

    def enrich(self, obj, user):
        # Citations of several kinds of fact, each shown in brief.
        if obj.pk % 2:
            obj.fact = self.shared("metric", MetricFactory)
        else:
            obj.fact = self.shared("role", RoleFactory)
        obj.attributed_to = self.shared("speaker", PersonFactory)
        obj.save()

    def create_data(self):
        return {
            "fact_type": "company",
            "fact_id": CompanyFactory().pk,
            "source": SourceFactory().pk,
            "quote": "partnership with Globex",
            "translation": "partnership with Globex",
            "locator": "",
            "field_name": "name",
            "attributed_to": PersonFactory().slug,
        }

    def update_data(self, obj):
        return {
            "fact_type": "metric",
            "fact_id": MetricFactory().pk,
            "source": obj.source.pk,
            "quote": "reached two million users",
            "translation": "",
            "locator": "¶ 1",
            "field_name": "value",
            "attributed_to": None,
        }

    def patch_data(self, obj):
        return {"translation": "An English translation."}


def test_a_source_gets_the_sha256_of_its_text(editor_api):
    response = editor_api.post("/api/v1/sources/", TestSources().create_data(), format="json")
    assert response.status_code == 201
    source = Source.objects.get(pk=response.json()["id"])
    assert len(source.text_sha256) == 64
    assert response.json()["text_sha256"] == source.text_sha256


@pytest.mark.parametrize(
    "change, path",
    [
        ({"language": "French"}, "language"),
        ({"source_url": "not a url"}, "source_url"),
        ({"published_precision": ""}, "published_precision"),
        ({"kind": "blog"}, "kind"),
        ({"text_sha256": "0" * 64}, "text_sha256"),
    ],
    ids=str,
)
def test_an_invalid_source_is_refused(editor_api, change, path):
    before = row_counts()
    data = {**TestSources().create_data(), **change}
    response = editor_api.post("/api/v1/sources/", data, format="json")
    assert response.status_code == 400
    assert path in error_paths(response.json())
    assert row_counts() == before


@pytest.mark.parametrize(
    "change, path",
    [
        ({"retrieved_at": "2999-02-01T10:00:00Z"}, "retrieved_at"),
        ({"published_on": "2025-02-01", "published_precision": ""}, "published_precision"),
        ({"published_on": "2025-03-01", "retrieved_at": "2025-01-01T10:00:00Z"}, "retrieved_at"),
    ],
    ids=str,
)
def test_a_source_with_a_text_refused_for_its_dates_names_only_them(editor_api, change, path):
    """Only the field the client got wrong: not the rule on the text's hash, which the
    service fills in."""
    before = row_counts()
    data = {**TestSources().create_data(), **change}
    refused_on(editor_api.post("/api/v1/sources/", data, format="json"), path)
    assert row_counts() == before


def test_two_sources_with_the_same_url_are_refused(editor_api):
    SourceFactory(url="https://example.com/mistral-600m")
    before = row_counts()
    response = editor_api.post("/api/v1/sources/", TestSources().create_data(), format="json")
    assert response.status_code == 400
    assert error_paths(response.json()) == {"source_url"}
    assert row_counts() == before


def test_two_sources_without_a_url_are_fine(editor_api):
    for title in ("One", "Two"):
        data = {**TestSources().create_data(), "source_url": None, "title": title}
        assert editor_api.post("/api/v1/sources/", data, format="json").status_code == 201
    assert Source.objects.filter(url__isnull=True).count() == 2


def test_deleting_a_cited_source_is_409(editor_api):
    citation = CitationFactory()
    before = row_counts()
    response = editor_api.delete(f"/api/v1/sources/{citation.source_id}/")
    assert response.status_code == 409
    assert f"citation {citation.pk}" in response.json()["detail"]
    assert row_counts() == before


def test_a_text_that_drops_a_cited_quote_is_400_naming_the_citation(editor_api):
    """The fact would stand on words the source no longer holds, and could not be saved
    again."""
    citation = CitationFactory(quote="partnership with Globex", char_start=106, char_end=129)
    source = citation.source
    path = f"/api/v1/sources/{source.pk}/"
    before = row_counts()
    dropped = source.text.replace("partnership with Globex", "deal")
    response = editor_api.patch(path, {"text": dropped}, format="json")
    body = refused_on(response, "text")
    assert f"citation {citation.pk}: “partnership with Globex”" in body["text"][0]
    assert row_counts() == before


def test_a_text_that_moves_cited_words_moves_their_citations_with_its_reason(editor_api, editor):
    """Words only moved keep their citations, which move with them: each citation and the
    fact that lists it get a version, with the source's author and reason, at its
    instant. A citation before the edit keeps its offsets and is not written."""
    company = CompanyFactory()
    source = SourceFactory()
    first = CitationFactory(source=source, fact=company, quote="Acme Robotics said")
    first.char_start, first.char_end = 0, len(first.quote)
    first.save()
    later = "partnership with Globex"
    moved = CitationFactory(
        source=source,
        fact=company,
        quote=later,
        char_start=ARTICLE.index(later),
        char_end=ARTICLE.index(later) + len(later),
    )
    company_version = Company.objects.get(pk=company.pk).version
    edited = ARTICLE.replace("two million", "over two million")
    assert edited.index(later) == ARTICLE.index(later) + len("over ")

    response = editor_api.patch(
        f"/api/v1/sources/{source.pk}/",
        {"text": edited},
        format="json",
        HTTP_X_CHANGE_REASON=REASON,
    )

    assert response.status_code == 200, response.content
    moved.refresh_from_db()
    assert (moved.char_start, moved.char_end) == (edited.index(later), edited.index(later) + 23)
    assert moved.check_against_source() is None
    assert moved.version == 2
    assert_history(latest_history(Citation, moved.pk), kind="~", user=editor, reason=REASON)
    assert moved.updated_at == Source.objects.get(pk=source.pk).updated_at
    written = Company.objects.get(pk=company.pk)
    assert written.version == company_version + 1
    assert_history(latest_history(Company, company.pk), kind="~", user=editor, reason=REASON)
    # The citation before the edit stands where it stood: no version of it.
    assert Citation.objects.get(pk=first.pk).version == first.version
    # The fact's answer shows the citation where it is now.
    shown = editor_api.get(f"/api/v1/companies/{company.pk}/").json()["citations"]
    assert {(c["id"], c["char_start"]) for c in shown} == {
        (first.pk, 0),
        (moved.pk, edited.index(later)),
    }


THRICE = "Globex grew. Then Globex grew. Then Globex grew."


@pytest.mark.parametrize(
    "edited, start",
    [
        # An edit after the words: they stand where they stood.
        (THRICE + " It was a good year.", 18),
        # Before them: they move by what the edit added or took away.
        ("Note: " + THRICE, 24),
        (THRICE.replace("Then", "And then", 1), 22),
        (THRICE.replace("Globex grew. ", "", 1), 5),
        # Around them: the place of the words nearest where they stood.
        ("Globex grew. Globex grew fast. Then Globex grew.", 13),
    ],
)
def test_cited_words_are_followed_to_where_the_edit_leaves_them(editor_api, edited, start):
    """The second of three same quotes is cited: an edit moves it by its own words, not to
    the first place the quote is found."""
    quote = "Globex grew"
    source = SourceFactory(text=THRICE)
    assert THRICE.index(quote, 1) == 18
    citation = CitationFactory(source=source, quote=quote, char_start=18, char_end=29)

    response = editor_api.patch(f"/api/v1/sources/{source.pk}/", {"text": edited}, format="json")

    assert response.status_code == 200, response.content
    citation.refresh_from_db()
    assert (citation.char_start, citation.char_end) == (start, start + len(quote))
    assert edited[citation.char_start : citation.char_end] == quote


def test_a_text_stored_for_the_first_time_places_its_citations(editor_api):
    """Quotes cited before the source's text was stored have no offsets: they are placed
    where the text holds them."""
    source = SourceFactory(text="")
    citation = CitationFactory(
        source=source, quote="two million users", char_start=None, char_end=None
    )
    response = editor_api.patch(f"/api/v1/sources/{source.pk}/", {"text": ARTICLE}, format="json")
    assert response.status_code == 200, response.content
    citation.refresh_from_db()
    assert ARTICLE[citation.char_start : citation.char_end] == "two million users"


def test_a_refused_text_moves_no_citation(editor_api):
    later = "partnership with Globex"
    citation = CitationFactory(
        quote=later, char_start=ARTICLE.index(later), char_end=ARTICLE.index(later) + 23
    )
    before = row_counts()
    response = editor_api.patch(
        f"/api/v1/sources/{citation.source_id}/",
        {"text": "Updated. " + ARTICLE, "language": ""},
        format="json",
    )
    refused_on(response, "language")
    assert row_counts() == before
    citation.refresh_from_db()
    assert citation.char_start == ARTICLE.index(later)


def test_the_same_words_cited_twice_are_400_on_the_second(editor_api):
    source = SourceFactory()
    quote = "partnership with Globex"
    company = CompanyFactory()
    path = f"/api/v1/companies/{company.pk}/"
    before = row_counts()
    twice = [{"source": source.pk, "quote": quote}, {"source": source.pk, "quote": quote}]
    response = editor_api.patch(path, {"citations": twice}, format="json")
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {"citations.1.quote"}, response.json()
    assert "cites these words of this source already (row 1" in str(response.json())
    assert row_counts() == before

    # Once, then again beside the stored one: the same refusal.
    response = editor_api.patch(path, {"citations": twice[:1]}, format="json")
    assert response.status_code == 200, response.content
    (stored,) = response.json()["citations"]
    again = [{"id": stored["id"]}, twice[0]]
    response = editor_api.patch(path, {"citations": again}, format="json")
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {"citations.1.quote"}, response.json()


def test_the_same_words_cited_again_on_their_own_are_400_naming_the_stored_citation(editor_api):
    """POST /citations/ of words its fact cites already, or a PATCH that makes a citation
    the same as another of its fact: refused, as in the fact's own list."""
    stored = CitationFactory(quote="partnership with Globex", char_start=None, char_end=None)
    stored.full_clean()
    stored.save()
    other = CitationFactory(source=stored.source, fact=stored.fact, quote="Acme Robotics said")
    again = {
        "fact_type": "company",
        "fact_id": stored.object_id,
        "source": stored.source_id,
        "quote": stored.quote,
    }
    before = row_counts()
    body = refused_on(editor_api.post("/api/v1/citations/", again, format="json"), "quote")
    assert f"already (citation {stored.pk})" in str(body)
    body = refused_on(
        editor_api.patch(f"/api/v1/citations/{other.pk}/", {"quote": stored.quote}, format="json"),
        "quote",
    )
    assert f"already (citation {stored.pk})" in str(body)
    assert row_counts() == before

    # The same words for another fact, or other words of the same fact, are taken.
    elsewhere = {**again, "fact_id": CompanyFactory().pk}
    assert editor_api.post("/api/v1/citations/", elsewhere, format="json").status_code == 201
    other_words = {**again, "quote": "two million users"}
    assert editor_api.post("/api/v1/citations/", other_words, format="json").status_code == 201


def test_an_edit_that_leaves_one_place_of_words_cited_twice_moves_neither_onto_the_other(
    editor_api,
):
    """A fact cites the same words at two places; the edit removes the second place. The
    second citation is not moved onto the first (it would be the same citation twice): it
    stays, flagged, for an editor to delete."""
    text = "Globex grew. Then Globex grew."
    source = SourceFactory(text=text)
    company = CompanyFactory()
    first = CitationFactory(
        source=source, fact=company, quote="Globex grew", char_start=0, char_end=11
    )
    second = CitationFactory(
        source=source, fact=company, quote="Globex grew", char_start=18, char_end=29
    )
    response = editor_api.patch(
        f"/api/v1/sources/{source.pk}/", {"text": "Globex grew. Then it fell."}, format="json"
    )
    assert response.status_code == 200, response.content
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.char_start, first.version) == (0, 1)
    assert (second.char_start, second.version) == (18, 1)
    assert second.check_against_source() == "quote found, but not at the recorded offsets"


def refused_on(response, path):
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {path}, response.json()
    return response.json()


def test_a_citation_is_located_in_its_source(editor_api, editor):
    response = editor_api.post(
        "/api/v1/citations/",
        TestCitations().create_data(),
        format="json",
        HTTP_X_CHANGE_REASON=REASON,
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert ARTICLE[body["char_start"] : body["char_end"]] == "partnership with Globex"
    company = Company.objects.get(pk=body["fact_id"])
    assert body["fact"] == {
        "id": company.pk,
        "url": f"http://testserver/api/v1/companies/{company.pk}/",
        "name": company.name,
        "slug": company.slug,
    }
    assert body["fact_type"] == "company"
    citation = Citation.objects.get(pk=body["id"])
    assert citation.fact == company
    assert_history(citation.history.first(), kind="+", user=editor, reason=REASON)


@pytest.mark.parametrize(
    "change, path",
    [
        ({"fact_type": "planet"}, "fact_type"),
        ({"fact_type": "source"}, "fact_type"),
        ({"fact_id": 987654}, "fact_id"),
        ({"fact_id": 0}, "fact_id"),
        ({"source": 987654}, "source"),
        ({"quote": "words the article never says"}, "quote"),
        ({"quote": ""}, "quote"),
        ({"field_name": "no_such_field"}, "field_name"),
        ({"char_start": 3}, "char_start"),
        ({"attributed_to": "nobody-at-all"}, "attributed_to"),
    ],
    ids=str,
)
def test_an_invalid_citation_is_refused(editor_api, change, path):
    data = {**TestCitations().create_data(), **change}
    before = row_counts()
    response = editor_api.post("/api/v1/citations/", data, format="json")
    assert response.status_code == 400, response.json()
    assert error_paths(response.json()) == {path}
    assert row_counts() == before


def test_a_citation_of_a_role_is_shown_with_its_person(anon_api):
    role = RoleFactory()
    citation = CitationFactory(fact=role)
    response = anon_api.get(f"/api/v1/citations/{citation.pk}/")
    assert response.status_code == 200
    assert response.json()["fact_type"] == "role"
    assert response.json()["fact"]["id"] == role.pk


def test_deleting_the_last_citation_of_a_verified_fact_is_refused(editor_api):
    company = CompanyFactory(status="verified")
    citation = CitationFactory(fact=company)
    before = row_counts()
    response = editor_api.delete(f"/api/v1/citations/{citation.pk}/")
    assert response.status_code == 400
    assert "status" in error_paths(response.json())
    assert row_counts() == before


def test_deleting_one_of_two_citations_of_a_verified_fact_is_fine(editor_api, editor):
    company = CompanyFactory(status="verified")
    citation, _ = CitationFactory(fact=company), CitationFactory(fact=company)
    response = editor_api.delete(f"/api/v1/citations/{citation.pk}/", HTTP_X_CHANGE_REASON=REASON)
    assert response.status_code == 204
    assert_history(latest_history(Citation, citation.pk), kind="-", user=editor, reason=REASON)
