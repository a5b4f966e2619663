"""A row written through its record needs the permission its kind needs on its own: a
staff member who may change a fact but not add citations adds none, neither through the
API's list of the fact's citations, nor from the source reader, nor from the fact's admin
page; and one who may change companies but not delete their aliases deletes none."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from companies.models import Company, CompanyAlias
from factbase.core.models import Citation
from factbase.core.services import record_save
from tests.api.base import row_counts, token_client
from tests.factories import CompanyFactory, MetricFactory, SourceFactory

pytestmark = pytest.mark.django_db

TEXT = "Revenue was 5 million."


def staff(*codenames):
    user = get_user_model().objects.create_user("carl", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return get_user_model().objects.get(pk=user.pk)  # its permissions read afresh


@pytest.fixture
def metric():
    return MetricFactory.create()


@pytest.fixture
def source():
    return SourceFactory.create(text=TEXT)


CHANGES_METRICS = ("view_metric", "change_metric", "view_citation", "view_source")


def test_the_api_adds_no_citation_for_a_user_who_may_not_add_one(metric, source):
    api = token_client(staff(*CHANGES_METRICS))
    before = row_counts()
    body = {"citations": [{"source": source.pk, "quote": "Revenue"}]}
    response = api.patch(f"/api/v1/metrics/{metric.pk}/", body, format="json")
    assert response.status_code == 403, response.content
    assert response.json()["detail"] == "You may not add citations: nothing was written."
    assert row_counts() == before
    # The note alone, which the permission to change metrics covers, is written.
    response = api.patch(f"/api/v1/metrics/{metric.pk}/", {"note": "n"}, format="json")
    assert response.status_code == 200, response.content


def test_with_the_permission_the_same_write_adds_it(metric, source):
    api = token_client(staff(*CHANGES_METRICS, "add_citation"))
    body = {"citations": [{"source": source.pk, "quote": "Revenue"}]}
    response = api.patch(f"/api/v1/metrics/{metric.pk}/", body, format="json")
    assert response.status_code == 200, response.content
    assert metric.citations.get().quote == "Revenue"


def test_the_api_deletes_no_alias_for_a_user_who_may_not_delete_one():
    company = CompanyFactory.create()
    record_save(CompanyAlias(company=company, name="Old name"))
    api = token_client(staff("view_company", "change_company", "add_companyalias"))
    before = row_counts()
    body = {"aliases": [{"name": "New name"}]}  # the list replaces the stored one
    response = api.patch(f"/api/v1/companies/{company.slug}/", body, format="json")
    assert response.status_code == 403, response.content
    detail = response.json()["detail"]
    assert detail == "You may not delete company aliases: nothing was written."
    assert row_counts() == before
    assert list(Company.objects.get().aliases.values_list("name", flat=True)) == ["Old name"]


def test_the_source_reader_offers_no_citing_and_refuses_it(client, metric, source):
    client.force_login(staff(*CHANGES_METRICS))
    page = client.get(reverse("admin:factbase_source_change", args=[source.pk]))
    assert page.status_code == 200
    assert page.context["reader_can_cite"] is False
    before = row_counts()
    response = client.post(
        reverse("admin:factbase_source_cite", args=[source.pk]),
        {
            "fact": f"metric:{metric.pk}",
            "quote": "Revenue was 5 million.",
            "char_start": 0,
            "char_end": len(TEXT),
            "translation": "",
            "change_reason": "cited",
        },
    )
    assert response.status_code == 403
    assert row_counts() == before
    assert not Citation.objects.exists()
