"""A CSV cell that would be lost or misread is refused, naming its line and column: a child
list's labels that disagree with its ids, a translation without its citation, a flag
that is not true or false; a citation
already held is not added again, however its source's id is spelled; and a problem of the
whole file is listed in `errors` as every other problem is."""

import pytest

from events.models import Metric, Partnership
from tests.imports.helpers import csv_of, export, history_count, rows_of

pytestmark = pytest.mark.django_db


def post(client, kind: str, text: str):
    return client.post(f"/api/v1/{kind}/import/", text.encode(), content_type="text/csv")


def parties(pk) -> list[tuple[str, str]]:
    return [(p.company.slug, p.role) for p in Partnership.objects.get(pk=pk).parties.all()]


def partnership_row(client) -> dict:
    """The exported row of the demo's partnership of Mistral AI and Helsing."""
    (row,) = [
        row
        for row in rows_of(export(client, "partnerships"))
        if row["parties"] == "mistral-ai (provider); helsing (partner)"
    ]
    return row


def a_metric() -> Metric:
    return Metric.objects.filter(citations__isnull=False).order_by("pk").first()


def test_a_child_label_edited_beside_its_exported_id_is_refused(editor_api, demo):
    row = partnership_row(editor_api)
    helsing = row["parties_company_ids"].split(";")[1]
    row["parties"] = "mistral-ai (provider); openai (partner)"  # the ids left as exported
    before, stored = history_count(), parties(row["id"])
    response = post(editor_api, "partnerships", csv_of([row]))
    assert response.status_code == 400, response.content
    (error,) = response.json()["errors"]
    assert (error["line"], error["column"]) == (2, "parties")
    assert f"item 2: 'openai' is not parties_company_ids {helsing} (helsing)" in error["message"]
    assert (history_count(), parties(row["id"])) == (before, stored)


def test_child_labels_that_agree_with_their_ids_import_unchanged(editor_api, demo):
    row = partnership_row(editor_api)
    response = post(editor_api, "partnerships", csv_of([row]))
    assert response.status_code == 201, response.content
    assert response.json()["counts"]["unchanged"] == 1


@pytest.mark.parametrize("cell", ["on", "t", "null", "oui"])
def test_a_flag_cell_is_true_or_false_nothing_else(editor_api, demo, cell):
    row = partnership_row(editor_api)
    row["ends_expected"] = cell
    before = history_count()
    response = post(editor_api, "partnerships", csv_of([row]))
    assert response.status_code == 400, response.content
    (error,) = response.json()["errors"]
    assert (error["line"], error["column"]) == (2, "ends_expected")
    assert "Enter true or false." in error["message"]
    assert history_count() == before


@pytest.mark.parametrize(("cell", "value"), [("Yes", True), ("1", True), ("FALSE", False)])
def test_a_flag_cell_takes_the_words_a_query_flag_takes(editor_api, demo, cell, value):
    row = partnership_row(editor_api)
    row["ends_expected"] = cell
    response = post(editor_api, "partnerships", csv_of([row]))
    assert response.status_code == 201, response.content
    assert Partnership.objects.get(pk=row["id"]).ends_expected is value


def test_a_citation_source_with_leading_zeros_is_the_same_source(editor_api, demo):
    metric = a_metric()
    stored, count = metric.citations.first(), metric.citations.count()
    source = f"00{stored.source_id}"
    row = {"id": str(metric.pk), "citation_source": source, "citation_quote": stored.quote}
    response = post(editor_api, "metrics", csv_of([row]))
    assert response.status_code == 201, response.content
    assert response.json()["counts"]["unchanged"] == 1
    assert metric.citations.count() == count


def test_a_held_citations_translation_given_anew_is_written_not_dropped(editor_api, editor, demo):
    metric = a_metric()
    stored, count = metric.citations.first(), metric.citations.count()
    row = {
        "id": str(metric.pk),
        "citation_source": str(stored.source_id),
        "citation_quote": stored.quote,
        "citation_translation": f"{stored.translation} (reviewed)",
    }
    response = post(editor_api, "metrics", csv_of([row]))
    assert response.status_code == 201, response.content
    assert response.json()["counts"]["update"] == 1, response.json()
    stored.refresh_from_db()
    assert stored.translation == row["citation_translation"]
    assert metric.citations.count() == count
    history = stored.history.order_by("-history_id").first()
    assert history.translation == row["citation_translation"]
    assert history.history_user == editor

    # The same translation again, or none: nothing to write.
    for translation in (row["citation_translation"], ""):
        before = history_count()
        again = {**row, "citation_translation": translation}
        response = post(editor_api, "metrics", csv_of([again]))
        assert response.status_code == 201, response.content
        assert response.json()["counts"]["unchanged"] == 1, response.json()
        assert history_count() == before


def test_a_translation_without_its_source_and_quote_is_refused(editor_api, demo):
    before = history_count()
    body = f"id,citation_source,citation_quote,citation_translation\n{a_metric().pk},,,in English\n"
    response = post(editor_api, "metrics", body)
    assert response.status_code == 400, response.content
    (error,) = response.json()["errors"]
    assert (error["line"], error["column"]) == (2, "citation_translation")
    assert "citation_source and citation_quote" in error["message"]
    assert history_count() == before


def test_a_header_problem_is_listed_in_errors_on_line_1(editor_api, demo):
    body = "product_slug,metric_type_slug,qualifier,value,colour\nle-chat,downloads,exact,5,red\n"
    response = post(editor_api, "metrics", body)
    assert response.status_code == 400, response.content
    (error,) = response.json()["errors"]
    assert (error["line"], error["column"]) == (1, "colour")
    assert error["message"].startswith("Unknown columns: colour.")
    assert response.json()["report"]["file_error"].startswith("line 1: Unknown columns: colour.")


def test_a_problem_further_in_the_file_is_listed_on_its_line(editor_api, demo):
    body = b"id,note\n%d,fine\n%d,caf\xe9\n" % (a_metric().pk, a_metric().pk)
    response = editor_api.post("/api/v1/metrics/import/", body, content_type="text/csv")
    assert response.status_code == 400, response.content
    (error,) = response.json()["errors"]
    assert (error["line"], error["column"]) == (3, None)
    assert error["message"].startswith("Not UTF-8: byte ")


@pytest.mark.parametrize("note", ["'-ish", "'=A1", "''+1", "'\tindented"])
def test_text_that_starts_with_an_apostrophe_and_a_formula_round_trips(editor_api, demo, note):
    """The export escapes it with one apostrophe more, which the import takes off."""
    pk = a_metric().pk
    response = editor_api.patch(f"/api/v1/metrics/{pk}/", {"note": note}, format="json")
    assert response.status_code == 200, response.content
    version = Metric.objects.get(pk=pk).version
    text = export(editor_api, "metrics")
    (row,) = [row for row in rows_of(text) if row["id"] == str(pk)]
    assert row["note"] == "'" + note
    response = post(editor_api, "metrics", text)
    assert response.status_code == 201, response.content
    assert response.json()["counts"]["update"] == 0
    stored = Metric.objects.get(pk=pk)
    assert (stored.note, stored.version) == (note, version)
