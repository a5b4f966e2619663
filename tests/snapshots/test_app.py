"""Snapshots kept in the app: taken in the admin, through the API and by
`export_snapshot --save`, stored through Django's storage, listed and served with the
API's permissions."""

import datetime
import hashlib
import io
import json
import zipfile
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from companies.models import Company
from events.models import Metric
from factbase.core.models import Snapshot
from factbase.snapshots.importer import import_snapshot
from factbase.snapshots.tables import _excluded, snapshot_tables
from tests.api.test_permissions import read_requires_login

from ..factories import CitationFactory, CompanyFactory, MetricFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/snapshots/"
CHANGELIST = "admin:factbase_snapshot_changelist"
TAKE = "admin:factbase_snapshot_take"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Snapshots are written under a temporary MEDIA_ROOT, never into the project."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def facts():
    company = CompanyFactory()
    CitationFactory(fact=MetricFactory(company=company))
    CompanyFactory()


@pytest.fixture
def superuser_client():
    client = Client()  # its own: editor_client and viewer_client share `client`
    client.force_login(get_user_model().objects.create_superuser("root", password=None))
    return client


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


def stored_files(media) -> list[str]:
    folder = media / "snapshots"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def take(editor_api) -> dict:
    response = editor_api.post(API)
    assert response.status_code == 201, response.content
    return response.json()


def record(created_at, **fields) -> Snapshot:
    """A record without a file, for what only reads the records."""
    values = {
        "created_at": created_at,
        "file": "snapshots/none.zip",
        "size": 10,
        "sha256": "0" * 64,
        "tables": 1,
        "rows": 1,
        "row_counts": {"users": 1},
        "seconds": 0.1,
    }
    return Snapshot.objects.create(**(values | fields))


# --- what a snapshot holds --------------------------------------------------------------


def test_the_snapshot_table_is_not_itself_in_a_snapshot(editor_api, facts):
    names = {table.name for table in snapshot_tables()}
    assert "factbase_snapshot" not in names
    assert "factbase_source" in names
    first = take(editor_api)
    second = take(editor_api)
    assert "factbase_snapshot" not in second["row_counts"]
    # The first snapshot's record does not change what the second holds.
    assert second["row_counts"] == first["row_counts"]


def test_history_and_many_to_many_tables_of_an_excluded_model_are_excluded_too():
    history = SimpleNamespace(instance_type=Snapshot, _meta=SimpleNamespace(auto_created=False))
    through = SimpleNamespace(_meta=SimpleNamespace(auto_created=Snapshot))
    history_of_through = SimpleNamespace(
        instance_type=through, _meta=SimpleNamespace(auto_created=False)
    )
    assert _excluded(Snapshot)
    assert _excluded(history) and _excluded(through) and _excluded(history_of_through)
    assert not _excluded(Company) and not _excluded(Company.history.model)
    assert not _excluded(Metric)


# --- the API ----------------------------------------------------------------------------


def test_an_editor_takes_a_snapshot_and_anyone_downloads_it(editor_api, anon_api, editor, facts):
    data = take(editor_api)
    snapshot = Snapshot.objects.get()
    assert data["id"] == snapshot.pk
    assert data["created_by"] == "editor" and snapshot.created_by == editor
    assert data["row_counts"]["companies_company"] == Company.objects.count() == 2
    assert data["row_counts"]["events_metric"] == 1
    assert data["rows"] == sum(data["row_counts"].values())
    assert data["tables"] == len(data["row_counts"]) == len(snapshot_tables())
    assert data["format_version"] == "factbase-snapshot/1"
    assert data["download_url"] == f"http://testserver{API}{snapshot.pk}/download/"
    assert snapshot.file.name.startswith("snapshots/factbase-")
    assert snapshot.file.name.endswith(".zip")

    response = anon_api.get(data["download_url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert snapshot.file.name.rsplit("/", 1)[-1] in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(content) == data["size"]
    assert hashlib.sha256(content).hexdigest() == data["sha256"]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        descriptor = json.loads(archive.read("datapackage.json"))
    assert {r["name"]: r["rows"] for r in descriptor["resources"]} == data["row_counts"]


@pytest.mark.parametrize("query", ["format=AAA", "format=csv"])
def test_a_download_in_a_format_it_has_not_is_a_400_naming_the_parameter(
    editor_api, anon_api, facts, query
):
    data = take(editor_api)
    response = anon_api.get(f"{data['download_url']}?{query}")
    assert response.status_code == 400, response.content[:200]
    assert response["Content-Type"] == "application/json"
    assert "Unknown format" in response.json()["format"][0]
    assert anon_api.get(f"{data['download_url']}?format=json").status_code == 200


def test_the_downloaded_zip_is_a_snapshot_an_import_accepts(editor_api, anon_api, facts, tmp_path):
    data = take(editor_api)
    path = tmp_path / "downloaded.zip"
    path.write_bytes(b"".join(anon_api.get(data["download_url"]).streaming_content))
    report = import_snapshot(path, dry_run=True, replace=True)
    assert report.rows == data["rows"]
    out = io.StringIO()
    call_command("import_snapshot", str(path), "--dry-run", "--replace", stdout=out)
    assert "The snapshot is valid" in out.getvalue()


def test_a_token_editor_takes_one_with_an_empty_json_body(token_api, editor):
    response = token_api.post(API, {}, format="json")
    assert response.status_code == 201
    assert response.json()["created_by"] == "editor"


def test_a_body_with_fields_is_refused(editor_api, media):
    response = editor_api.post(API, {"format": "dir"}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert not Snapshot.objects.exists() and stored_files(media) == []


@pytest.mark.parametrize(("who", "status"), [("anon_api", 401), ("viewer_api", 403)])
def test_only_editors_take_snapshots(request, who, status, media):
    client = request.getfixturevalue(who)
    assert client.post(API).status_code == status
    assert not Snapshot.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize("who", ["anon_api", "viewer_api", "editor_api", "token_api"])
def test_everyone_lists_retrieves_and_downloads(request, editor_api, who):
    data = take(editor_api)
    client = request.getfixturevalue(who)
    listed = client.get(API).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == data["id"]
    assert client.get(f"{API}{data['id']}/").json()["sha256"] == data["sha256"]
    assert client.get(data["download_url"]).status_code == 200


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_snapshot_is_never_changed_or_deleted_through_the_api(editor_api, method):
    data = take(editor_api)
    response = getattr(editor_api, method)(f"{API}{data['id']}/", {}, format="json")
    assert response.status_code == 405
    assert Snapshot.objects.get().sha256 == data["sha256"]


def test_with_read_requires_login_anonymous_users_get_nothing(
    editor_api, anon_api, viewer_api, monkeypatch
):
    data = take(editor_api)
    with read_requires_login(monkeypatch):
        assert anon_api.get(API).status_code == 401
        assert anon_api.get(f"{API}{data['id']}/").status_code == 401
        assert anon_api.get(data["download_url"]).status_code == 401
        assert viewer_api.get(data["download_url"]).status_code == 200
        assert viewer_api.post(API).status_code == 403


def test_the_list_is_newest_first_in_a_fixed_number_of_queries(anon_api, django_assert_num_queries):
    day = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    for i in range(2):
        record(day + datetime.timedelta(days=i))
    with django_assert_num_queries(2):  # count, page
        first = anon_api.get(API).json()
    assert [r["created_at"] for r in first["results"]] == [
        "2026-01-02T00:00:00Z",
        "2026-01-01T00:00:00Z",
    ]
    for i in range(2, 20):
        user = get_user_model().objects.create_user(f"user{i}")
        record(day + datetime.timedelta(days=i), created_by=user)
    with django_assert_num_queries(2):
        page = anon_api.get(API, {"limit": 5, "offset": 5}).json()
    assert page["count"] == 20 and len(page["results"]) == 5
    assert page["results"][0]["created_at"] == "2026-01-15T00:00:00Z"


def test_a_missing_file_is_404_not_500(editor_api, anon_api, media):
    data = take(editor_api)
    (media / Snapshot.objects.get().file.name).unlink()
    response = anon_api.get(data["download_url"])
    assert response.status_code == 404
    assert "missing from the storage" in response.json()["detail"]
    for key in ["999999", "9" * 30, "abc", "%C2%84", "²"]:
        for path in (f"{API}{key}/", f"{API}{key}/download/"):
            response = anon_api.get(path)
            assert response.status_code == 404, path
            assert response["Content-Type"] == "application/json", path  # as documented


def test_the_file_is_deleted_when_the_record_cannot_be_saved(editor, media, monkeypatch):
    from factbase.snapshots.store import snapshot_take

    def refuse(self, *args, **kwargs):
        raise IntegrityError("refused")

    monkeypatch.setattr(Snapshot, "save", refuse)
    with pytest.raises(IntegrityError):
        snapshot_take(user=editor)
    assert stored_files(media) == []


# --- the command ------------------------------------------------------------------------


def test_export_snapshot_save_stores_and_records_one(facts, media):
    out = io.StringIO()
    call_command("export_snapshot", "--save", stdout=out)
    snapshot = Snapshot.objects.get()
    assert snapshot.created_by is None
    assert f"Snapshot {snapshot.pk} saved" in out.getvalue()
    assert stored_files(media) == [snapshot.file.name.rsplit("/", 1)[-1]]
    content = (media / snapshot.file.name).read_bytes()
    assert hashlib.sha256(content).hexdigest() == snapshot.sha256
    assert snapshot.row_counts["companies_company"] == 2


@pytest.mark.parametrize("option", [["--out", "x.zip"], ["--format", "dir"]])
def test_export_snapshot_save_takes_no_path_or_folder(option, media):
    with pytest.raises(CommandError, match="--save"):
        call_command("export_snapshot", "--save", *option, stdout=io.StringIO())
    assert not Snapshot.objects.exists()


# --- the admin --------------------------------------------------------------------------


def test_an_editor_takes_one_with_the_button(editor_client, editor, facts, media):
    page = editor_client.get(reverse(CHANGELIST)).content.decode()
    assert "Take a snapshot" in page and reverse(TAKE) in page
    response = editor_client.post(reverse(TAKE), follow=True)
    assert response.redirect_chain[-1][0] == reverse(CHANGELIST)
    snapshot = Snapshot.objects.get()
    assert snapshot.created_by == editor
    page = response.content.decode()
    assert f"Snapshot taken: {snapshot.rows:,} rows," in page
    assert f'href="{API}{snapshot.pk}/download/"' in page
    assert snapshot.sha256[:12] in page
    assert stored_files(media) == [snapshot.file.name.rsplit("/", 1)[-1]]
    # The link the admin shows serves the file to the same browser session.
    download = editor_client.get(f"{API}{snapshot.pk}/download/")
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == snapshot.sha256


def test_a_viewer_sees_snapshots_but_cannot_take_one(viewer_client, editor_api, media):
    data = take(editor_api)
    page = viewer_client.get(reverse(CHANGELIST)).content.decode()
    assert f"{API}{data['id']}/download/" in page
    assert "Take a snapshot" not in page
    assert viewer_client.post(reverse(TAKE)).status_code == 403
    assert Snapshot.objects.count() == 1 and len(stored_files(media)) == 1


def test_the_take_view_needs_a_post_and_a_staff_login(editor_client, client):
    assert editor_client.get(reverse(TAKE)).status_code == 405
    editor_client.logout()
    response = client.post(reverse(TAKE))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Snapshot.objects.exists()


def test_there_is_no_add_form_and_the_detail_page_is_read_only(editor_client, editor_api, facts):
    assert editor_client.get(reverse("admin:factbase_snapshot_add")).status_code == 403
    data = take(editor_api)
    page = editor_client.get(reverse("admin:factbase_snapshot_change", args=[data["id"]]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "companies_company" in text and "rows per table" in text.lower()
    assert 'name="_save"' not in text
    assert (
        editor_client.post(
            reverse("admin:factbase_snapshot_change", args=[data["id"]]), {"sha256": "x"}
        ).status_code
        == 403
    )
    assert Snapshot.objects.get().sha256 == data["sha256"]


def test_only_a_superuser_deletes_a_snapshot_and_its_file(
    editor_client, superuser_client, editor_api, media, django_capture_on_commit_callbacks
):
    data = take(editor_api)
    delete = reverse("admin:factbase_snapshot_delete", args=[data["id"]])
    assert editor_client.post(delete, {"post": "yes"}).status_code == 403
    assert len(stored_files(media)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(delete, {"post": "yes"})
    assert response.status_code == 302
    assert not Snapshot.objects.exists()
    assert stored_files(media) == []


def test_deleting_several_in_the_changelist_removes_their_files(
    superuser_client, editor_api, media, django_capture_on_commit_callbacks
):
    ids = [take(editor_api)["id"] for _ in range(2)]
    assert len(stored_files(media)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(
            reverse(CHANGELIST),
            {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
        )
    assert response.status_code == 302
    assert not Snapshot.objects.exists()
    assert stored_files(media) == []
