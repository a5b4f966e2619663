"""The admin's import: the link on a fact kind's list, the upload, the preview of every row
from a dry run, then "Confirm import" (all rows or none) or "Cancel"."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from events.models import Metric
from tests.factories import CompanyFactory, MetricFactory
from tests.imports.helpers import history_count

pytestmark = pytest.mark.django_db

METRICS = "/admin/events/metric/"
IMPORT = f"{METRICS}import/"
GOOD = "id,note\n{id},Checked against the annual report.\n"


def upload(client, name: str, content: str, **fields):
    file = SimpleUploadedFile(name, content.encode(), content_type="text/csv")
    return client.post(IMPORT, {"file": file, **fields})


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


def test_the_list_of_a_fact_kind_links_to_its_import(editor_client):
    page = editor_client.get(METRICS).content.decode()
    assert f'<a href="{IMPORT}" class="importlink">Import</a>' in page
    assert "importlink" not in editor_client.get("/admin/companies/platform/").content.decode()


def test_viewers_see_no_import_and_may_not_open_it(client, viewer):
    client.force_login(viewer)
    assert "importlink" not in client.get(METRICS).content.decode()
    assert client.get(IMPORT).status_code == 403


def test_upload_preview_then_confirm_writes_every_row(editor_client, editor, import_dir):
    stored = MetricFactory()
    acme = CompanyFactory(slug="acme")
    content = (
        "id,company_slug,metric_type_slug,qualifier,value,note\n"
        f"{stored.pk},{stored.company.slug},downloads,exact,1000,Checked.\n"
        f"{stored.pk},{stored.company.slug},downloads,exact,1000,Checked.\n"
        ",acme,downloads,at_least,5000,New.\n"
    )
    before = history_count()

    preview = upload(editor_client, "q1.csv", content, reason="Q1 review")

    assert preview.status_code == 200
    page = preview.content.decode()
    assert "q1.csv: 3 rows (1 new, 1 update, 1 unchanged, 0 error). Dry run" in page
    for line, outcome in ((2, "update"), (3, "unchanged"), (4, "new")):
        assert re.search(
            rf'<tr class="outcome-{outcome}">\s*<td>{line}</td>\s*<td>{outcome}</td>', page
        ), (line, outcome)
    assert 'value="Confirm import"' in page
    assert history_count() == before  # a preview writes nothing
    token = token_of(preview)
    assert (import_dir / token).read_text() == content  # kept on the server...
    assert content not in str(dict(editor_client.session))  # ...not in the session

    confirmed = editor_client.post(f"{IMPORT}confirm/", {"token": token})

    assert confirmed.status_code == 302 and confirmed.url == METRICS
    stored.refresh_from_db()
    assert stored.note == "Checked."
    created = Metric.objects.get(company=acme)
    assert created.history.get().history_change_reason == "import q1.csv: Q1 review"
    assert created.history.get().history_user == editor
    assert not (import_dir / token).exists()
    message = editor_client.get(METRICS).content.decode()
    assert "Imported q1.csv: 1 new, 1 updated, 1 unchanged." in message
    # Confirmed once: the token is spent.
    again = editor_client.post(f"{IMPORT}confirm/", {"token": token})
    assert again.status_code == 302 and again.url == IMPORT
    assert Metric.objects.count() == 2


def test_a_preview_with_a_refused_row_offers_no_confirmation(editor_client):
    stored = MetricFactory()
    before = history_count()
    content = f"id,value\n{stored.pk},12\n{stored.pk},twelve\n"

    preview = upload(editor_client, "bad.csv", content)

    page = preview.content.decode()
    assert "bad.csv: 2 rows (0 new, 1 update, 0 unchanged, 1 error)" in page
    assert "<code>value</code>: A valid number is required." in page
    assert 'value="Confirm import"' not in page
    # Posted anyway: refused as a whole.
    confirmed = editor_client.post(f"{IMPORT}confirm/", {"token": token_of(preview)})
    assert confirmed.status_code == 200
    assert "Nothing was imported" in confirmed.content.decode()
    assert history_count() == before


def test_cancel_deletes_the_waiting_file(editor_client, import_dir):
    stored = MetricFactory()
    preview = upload(editor_client, "notes.csv", GOOD.format(id=stored.pk))
    token = token_of(preview)
    assert (import_dir / token).exists()
    response = editor_client.post(f"{IMPORT}cancel/", {"token": token})
    assert response.status_code == 302
    assert not (import_dir / token).exists()
    assert editor_client.post(f"{IMPORT}confirm/", {"token": token}).url == IMPORT
    stored.refresh_from_db()
    assert stored.version == 1


def test_a_file_is_read_with_the_kind_it_was_uploaded_for(editor_client):
    stored = MetricFactory()
    token = token_of(upload(editor_client, "notes.csv", GOOD.format(id=stored.pk)))
    response = editor_client.post("/admin/events/event/import/confirm/", {"token": token})
    assert response.url == "/admin/events/event/import/"
    stored.refresh_from_db()
    assert stored.version == 1


def test_the_form_refuses_what_it_cannot_import(editor_client):
    response = upload(editor_client, "notes.txt", "id\n")
    assert "Cannot tell the format of" in response.content.decode()
    response = upload(editor_client, "notes.csv", "id\n", reason="x" * 95)
    assert "A reason has at most" in response.content.decode()
    assert editor_client.get(IMPORT).status_code == 200


def test_a_file_that_cannot_be_read_is_explained_in_the_preview(editor_client):
    response = upload(editor_client, "wrong.csv", "id,colour\n1,red\n")
    page = response.content.decode()
    assert 'id="file-problem"' in page
    assert "line 1: Unknown columns: colour." in page
    assert 'value="Confirm import"' not in page


def test_an_xlsx_workbook_is_previewed_and_imported(editor_client, tmp_path):
    from openpyxl import Workbook

    CompanyFactory(slug="acme")
    book = Workbook()
    book.active.append(["company_slug", "metric_type_slug", "qualifier", "value"])
    book.active.append(["acme", "downloads", "exact", 1500000])
    path = tmp_path / "acme.xlsx"
    book.save(path)
    file = SimpleUploadedFile("acme.xlsx", path.read_bytes())

    preview = editor_client.post(IMPORT, {"file": file})

    assert "acme.xlsx: 1 row (1 new, 0 update, 0 unchanged, 0 error). Dry run" in (
        preview.content.decode()
    )
    editor_client.post(f"{IMPORT}confirm/", {"token": token_of(preview)})
    assert Metric.objects.get(company__slug="acme").value == 1500000
