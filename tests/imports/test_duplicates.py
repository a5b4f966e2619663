"""An import creates no likely duplicate of a stored company, product or person (as the
API's create refuses one, factbase.resolution), unless told the record is another one:
`?allow_duplicate=true`, `--allow-duplicates`, or the admin's "Allow likely duplicates"."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from companies.models import Company
from tests.factories import CompanyFactory
from tests.imports.helpers import history_count, run_command

pytestmark = pytest.mark.django_db

URL = "/api/v1/companies/import/"
NDJSON = "application/x-ndjson"


def lines(*rows: dict) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


@pytest.fixture
def mistral(db):
    return CompanyFactory(name="Mistral AI", slug="mistral-ai", kind="ai_lab")


def test_a_likely_duplicate_is_refused_naming_the_stored_record(editor_api, mistral):
    before = (Company.objects.count(), history_count())
    body = lines(
        {"name": "Globex Robotics", "slug": "globex", "kind": "technology"},
        {"name": "Mistral AI SAS", "slug": "mistral-sas", "kind": "ai_lab"},
    )
    response = editor_api.post(URL, body, content_type=NDJSON)
    assert response.status_code == 400, response.content
    (error,) = response.json()["errors"]
    assert (error["line"], error["column"]) == (2, "name")
    assert "Likely a duplicate of Mistral AI (mistral-ai)" in error["message"]
    assert (Company.objects.count(), history_count()) == before


def test_allow_duplicate_creates_it(editor_api, mistral):
    body = lines({"name": "Mistral", "slug": "mistral-2", "kind": "ai_lab"})
    response = editor_api.post(f"{URL}?allow_duplicate=true", body, content_type=NDJSON)
    assert response.status_code == 201, response.content
    assert Company.objects.filter(slug="mistral-2").exists()


def test_a_row_that_repeats_an_earlier_row_of_the_file_is_refused(editor_api):
    body = lines(
        {"name": "DeepSeek", "slug": "deepseek", "kind": "ai_lab"},
        {"name": "Deepseek", "slug": "deepseek-2", "kind": "ai_lab"},
    )
    response = editor_api.post(URL, body, content_type=NDJSON)
    assert response.status_code == 400
    assert [e["line"] for e in response.json()["errors"]] == [2]
    assert not Company.objects.exists()


def test_the_command_refuses_then_allows(tmp_path, mistral):
    path = tmp_path / "companies.csv"
    path.write_text("name,slug,kind\nMistral,mistral-2,ai_lab\n", encoding="utf-8")
    status, out, err = run_command(path, "--kind", "companies")
    assert status != 0
    assert "line 2, column name: Likely a duplicate of Mistral AI (mistral-ai)" in out + err
    assert not Company.objects.filter(slug="mistral-2").exists()
    status, out, err = run_command(path, "--kind", "companies", "--allow-duplicates")
    assert status == 0, out + err
    assert Company.objects.filter(slug="mistral-2").exists()


def test_the_admin_preview_shows_it_and_the_editor_may_allow_it(editor_client, mistral):
    def upload(**fields):
        file = SimpleUploadedFile(
            "companies.csv", b"name,slug,kind\nMistral,mistral-2,ai_lab\n", "text/csv"
        )
        return editor_client.post("/admin/companies/company/import/", {"file": file, **fields})

    refused = upload().content.decode()
    assert "Likely a duplicate of Mistral AI (mistral-ai)" in refused
    assert 'value="Confirm import"' not in refused
    allowed = upload(allow_duplicates="on").content.decode()
    assert "Likely a duplicate" not in allowed
    assert 'value="Confirm import"' in allowed


# A metric of a company named by a slug no record has, and a name the demo's OpenAI has:
# `create_missing` would make it.
OPEN_AI_METRIC = (
    b"company_slug,company_name,metric_type_slug,qualifier,value\n"
    b"open-ai,OpenAI,downloads,exact,5\n"
)


def test_create_missing_refuses_a_likely_duplicate(editor_api, demo):
    before = (Company.objects.count(), history_count())
    response = editor_api.post(
        "/api/v1/metrics/import/?create_missing=true", OPEN_AI_METRIC, content_type="text/csv"
    )
    assert response.status_code == 400, response.content
    (error,) = response.json()["errors"]
    assert (error["line"], error["column"]) == (2, "company_slug")
    assert "Likely a duplicate of OpenAI (openai)" in error["message"]
    assert (Company.objects.count(), history_count()) == before


def test_create_missing_with_duplicates_allowed_creates_it(editor_api, demo):
    response = editor_api.post(
        "/api/v1/metrics/import/?create_missing=true&allow_duplicate=true",
        OPEN_AI_METRIC,
        content_type="text/csv",
    )
    assert response.status_code == 201, response.content
    assert Company.objects.filter(slug="open-ai", name="OpenAI").exists()
