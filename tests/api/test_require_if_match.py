"""API_REQUIRE_IF_MATCH: writes that do not say which version they change are refused."""

import pytest

from ..factories import CompanyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def required(settings):
    settings.API_REQUIRE_IF_MATCH = True


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_write_without_if_match_is_428_and_writes_nothing(required, editor_api, method):
    company = CompanyFactory(note="before")
    call = getattr(editor_api, method)
    body = {"name": company.name, "slug": company.slug, "kind": "technology", "note": "after"}
    response = call(f"/api/v1/companies/{company.pk}/", body, format="json")
    assert response.status_code == 428, response.content
    assert "If-Match" in response.json()["detail"]
    company.refresh_from_db()
    assert company.note == "before"
    assert company.history.count() == 1  # no new version, no deletion


def test_a_write_with_if_match_goes_through(required, editor_api):
    company = CompanyFactory(note="before")
    etag = editor_api.get(f"/api/v1/companies/{company.pk}/")["ETag"]
    response = editor_api.patch(
        f"/api/v1/companies/{company.pk}/", {"note": "after"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200, response.content
    assert (
        editor_api.patch(
            f"/api/v1/companies/{company.pk}/", {"note": "again"}, format="json", HTTP_IF_MATCH="*"
        ).status_code
        == 200
    )


def test_without_the_setting_if_match_stays_optional(editor_api):
    company = CompanyFactory()
    response = editor_api.patch(f"/api/v1/companies/{company.pk}/", {"note": "x"}, format="json")
    assert response.status_code == 200
