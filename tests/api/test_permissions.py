"""Who may do what: anyone reads, editors write, viewers only read; tokens and sessions
both work; with API_READ_REQUIRES_LOGIN, reading needs a login too."""

import contextlib
import runpy
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest  # django-axes checks logins against the request
from django.test import override_settings
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.views import APIView

import factbase.settings
from companies.models import Company

from ..factories import CompanyFactory
from .base import NEW_COMPANY, REASON, assert_history, row_counts, token_client
from .resources import RESOURCES

pytestmark = pytest.mark.django_db

PATHS = [resource.path for resource in RESOURCES]


@contextlib.contextmanager
def read_requires_login(monkeypatch):
    """The REST_FRAMEWORK settings as factbase/settings.py builds them when
    API_READ_REQUIRES_LOGIN is on. DRF reads the permission classes into APIView when it
    is imported, so they are set there too; both are undone on exit."""
    with monkeypatch.context() as patch:
        patch.setenv("API_READ_REQUIRES_LOGIN", "true")
        rest_framework = runpy.run_path(str(Path(factbase.settings.__file__)))["REST_FRAMEWORK"]
    with override_settings(REST_FRAMEWORK=rest_framework), monkeypatch.context() as patch:
        patch.setattr(APIView, "permission_classes", api_settings.DEFAULT_PERMISSION_CLASSES)
        yield


def test_the_setting_turns_anonymous_reads_off_and_back_on(anon_api, viewer_api, monkeypatch):
    company = CompanyFactory()
    with read_requires_login(monkeypatch):
        for path in PATHS:
            assert anon_api.get(f"/api/v1/{path}/").status_code == 401, path
            assert anon_api.get(f"/api/v1/{path}/?format=csv").status_code == 401, path
            assert viewer_api.get(f"/api/v1/{path}/").status_code == 200, path
        assert anon_api.get(f"/api/v1/companies/{company.slug}/").status_code == 401
        assert viewer_api.get(f"/api/v1/companies/{company.slug}/").status_code == 200
    for path in PATHS:
        assert anon_api.get(f"/api/v1/{path}/").status_code == 200, path


def test_with_the_setting_editors_still_write(editor_api, anon_api, monkeypatch):
    with read_requires_login(monkeypatch):
        assert editor_api.post("/api/v1/companies/", NEW_COMPANY).status_code == 201
        before = row_counts()
        other = {**NEW_COMPANY, "slug": "other"}
        assert anon_api.post("/api/v1/companies/", other).status_code == 401
        assert row_counts() == before


def test_session_login_of_an_editor_can_write(editor):
    client = APIClient()
    assert client.login(request=HttpRequest(), username="editor", password="pw")
    response = client.post("/api/v1/companies/", NEW_COMPANY, HTTP_X_CHANGE_REASON=REASON)
    assert response.status_code == 201, response.json()
    company = Company.objects.get(slug="mistral-ai")
    assert_history(company.history.first(), kind="+", user=editor, reason=REASON)


def test_session_writes_need_the_csrf_token(editor):
    client = APIClient(enforce_csrf_checks=True)
    client.login(request=HttpRequest(), username="editor", password="pw")
    before = row_counts()
    assert client.post("/api/v1/companies/", NEW_COMPANY).status_code == 403
    assert row_counts() == before


def test_a_token_of_a_viewer_cannot_write(viewer):
    client = token_client(viewer)
    before = row_counts()
    assert client.get("/api/v1/companies/").status_code == 200
    assert client.post("/api/v1/companies/", NEW_COMPANY).status_code == 403
    assert row_counts() == before


@pytest.mark.parametrize("header", ["Token wrong", "Token ", "Bearer abc", "Token a b"])
def test_a_bad_token_is_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    before = row_counts()
    response = client.post("/api/v1/companies/", NEW_COMPANY)
    assert response.status_code == 401
    assert row_counts() == before


def test_a_staff_user_without_a_group_cannot_write(db):
    user = get_user_model().objects.create_user("nobody", password="pw", is_staff=True)
    client = APIClient()
    client.force_authenticate(user)
    assert client.get("/api/v1/companies/").status_code == 200
    assert client.post("/api/v1/companies/", NEW_COMPANY).status_code == 403


def test_a_superuser_can_write(db):
    user = get_user_model().objects.create_superuser("root", password="pw")
    response = token_client(user).post("/api/v1/companies/", NEW_COMPANY)
    assert response.status_code == 201
    assert Company.objects.get(slug="mistral-ai").created_by == user


def test_an_anonymous_write_answers_how_to_authenticate(anon_api):
    response = anon_api.post("/api/v1/companies/", NEW_COMPANY)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
