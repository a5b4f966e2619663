"""Deleting never loses data: a deleted record comes back, with its citations and the
rows deleted with it, through the API (`POST <kind>/<id>/restore/`) and the admin."""

import pytest
from django.urls import reverse

from companies.models import Company, CompanyAlias, Product
from events.models import Event, Investment
from factbase.core.models import Citation, Source
from factbase.core.services import record_delete, record_save

from .api.base import API, error_paths, latest_history, row_counts
from .factories import (
    CitationFactory,
    CompanyAliasFactory,
    CompanyFactory,
    EventFactory,
    FundingRoundFactory,
    InvestmentFactory,
    ProductFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db


def cited_company(status="unverified", **kwargs):
    company = record_save(CompanyFactory.build(**kwargs), reason="made")
    source = SourceFactory()
    record_save(CitationFactory.build(fact=company, source=source))
    record_save(CitationFactory.build(fact=company, source=source, quote="its assistant"))
    company.status = status
    return record_save(company)


def delete(record, **kwargs) -> int:
    """Delete through the services; the id it had (Django forgets it)."""
    pk = record.pk
    record_delete(record, **kwargs)
    return pk


def restore(client, path: str, **kwargs):
    return client.post(f"{API}{path}/restore/", format="json", **kwargs)


def test_restore_brings_back_the_record_and_its_citations(editor_api, editor, anon_api):
    company = cited_company(status="verified")
    pk, name, version = company.pk, company.name, company.version
    citations = sorted(Citation.objects.values_list("pk", "quote"))
    response = editor_api.delete(f"{API}companies/{pk}/", HTTP_X_CHANGE_REASON="Duplicate?")
    assert response.status_code == 204
    assert not Citation.objects.exists()

    response = restore(editor_api, f"companies/{pk}", data={"reason": "Not a duplicate"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == pk and body["name"] == name and body["status"] == "verified"
    assert body["version"] == version + 1
    assert response["ETag"] == f'"{version + 1}"'
    assert sorted((c["id"], c["quote"]) for c in body["citations"]) == citations

    restored = Company.objects.get(pk=pk)
    assert restored.updated_by == editor
    row = latest_history(Company, pk)
    assert (row.history_type, row.history_user, row.history_change_reason) == (
        "+",
        editor,
        "Restored: Not a duplicate",
    )
    for citation_pk, _ in citations:
        row = latest_history(Citation, citation_pk)
        assert (row.history_type, row.history_user) == ("+", editor)
        assert row.history_change_reason == "Restored: Not a duplicate"

    versions = anon_api.get(f"{API}companies/{pk}/history/").json()["results"]
    assert [v["action"] for v in versions] == ["create", "delete", "update", "create"]
    assert versions[0]["reason"] == "Restored: Not a duplicate"


def test_reason_from_the_header_and_none(editor_api):
    company, other = cited_company(), cited_company()
    company, other = delete(company), delete(other)
    response = restore(editor_api, f"companies/{company}", HTTP_X_CHANGE_REASON="Header")
    assert response.status_code == 201
    assert latest_history(Company, company).history_change_reason == "Restored: Header"
    assert restore(editor_api, f"companies/{other}").status_code == 201
    assert latest_history(Company, other).history_change_reason == "Restored"


def test_citations_deleted_before_on_their_own_stay_deleted(editor_api):
    company = cited_company()
    first, second = Citation.objects.order_by("pk")
    delete(first, reason="wrong quote")
    company.refresh_from_db()
    company.note = "checked again"
    record_save(company)
    pk = delete(company, reason="gone")

    assert restore(editor_api, f"companies/{pk}").status_code == 201
    assert list(Citation.objects.values_list("pk", flat=True)) == [second.pk]


def test_a_citation_deleted_just_before_the_record_stays_deleted(editor_api):
    """Only what the record's own delete removed comes back, however close in time."""
    company = cited_company()
    first, second = Citation.objects.order_by("pk")
    assert editor_api.delete(f"{API}citations/{first.pk}/").status_code == 204
    assert editor_api.delete(f"{API}companies/{company.pk}/").status_code == 204

    assert restore(editor_api, f"companies/{company.pk}").status_code == 201
    assert list(Citation.objects.values_list("pk", flat=True)) == [second.pk]


def test_cascaded_rows_come_back_too(editor_api):
    company = record_save(CompanyFactory.build())
    alias = record_save(CompanyAliasFactory.build(company=company))
    round_ = record_save(FundingRoundFactory.build(company=company))
    investment = record_save(
        InvestmentFactory.build(investor=CompanyFactory(), company=company, funding_round=round_)
    )
    record_save(CitationFactory.build(fact=investment, source=SourceFactory()))
    pk = delete(round_, reason="wrong round")
    assert not Investment.objects.exists() and not Citation.objects.exists()

    assert restore(editor_api, f"funding-rounds/{pk}").status_code == 201
    assert Investment.objects.get().pk == investment.pk
    assert Citation.objects.get().object_id == investment.pk
    assert latest_history(Investment, investment.pk).history_change_reason == "Restored"

    assert CompanyAlias.objects.get().pk == alias.pk  # not touched


def test_a_company_comes_back_with_its_aliases(editor_api):
    company = record_save(CompanyFactory.build())
    alias = record_save(CompanyAliasFactory.build(company=company))
    pk = delete(company)
    assert not CompanyAlias.objects.exists()
    assert restore(editor_api, f"companies/{pk}").status_code == 201
    assert CompanyAlias.objects.get().pk == alias.pk


def test_many_to_many_links_come_back(editor_api):
    company, product = CompanyFactory(), ProductFactory()
    event = record_save(EventFactory.build())
    event._history_user = None
    event.companies.add(company)
    event.products.add(product)
    pk = delete(event)

    assert restore(editor_api, f"events/{pk}").status_code == 201
    event = Event.objects.get(pk=pk)
    assert list(event.companies.all()) == [company]
    assert list(event.products.all()) == [product]


def test_a_record_that_exists_is_409_and_one_that_never_did_is_404(editor_api):
    company = CompanyFactory()
    before = row_counts()
    assert restore(editor_api, f"companies/{company.pk}").status_code == 409
    assert restore(editor_api, "companies/999999").status_code == 404
    assert restore(editor_api, f"companies/{company.slug}").status_code == 404
    assert restore(editor_api, "companies/99999999999999999999999").status_code == 404
    assert row_counts() == before


def test_a_deleted_reference_is_400_naming_the_field(editor_api):
    owner = record_save(CompanyFactory.build())
    product = record_save(ProductFactory.build(company=owner))
    product, owner = delete(product), delete(owner)
    before = row_counts()

    response = restore(editor_api, f"products/{product}")
    assert response.status_code == 400
    assert error_paths(response.json()) == {"company"}
    assert "restore that first" in response.json()["company"][0]
    assert row_counts() == before

    assert restore(editor_api, f"companies/{owner}").status_code == 201
    assert restore(editor_api, f"products/{product}").status_code == 201
    assert Product.objects.get().company_id == owner


def test_a_citation_of_a_deleted_source_is_400(editor_api):
    company = cited_company()
    pk = delete(company)
    for source in Source.objects.all():
        record_delete(source)
    before = row_counts()
    response = restore(editor_api, f"companies/{pk}")
    assert response.status_code == 400
    assert error_paths(response.json()) == {"source"}
    assert row_counts() == before


def test_a_taken_slug_is_400(editor_api):
    company = cited_company(slug="acme")
    pk = delete(company)
    record_save(CompanyFactory.build(slug="acme"))
    response = restore(editor_api, f"companies/{pk}")
    assert response.status_code == 400
    assert error_paths(response.json()) == {"slug"}


def test_only_editors_restore(viewer_api, anon_api, editor_api):
    pk = delete(cited_company())
    assert restore(anon_api, f"companies/{pk}").status_code in (401, 403)
    assert restore(viewer_api, f"companies/{pk}").status_code == 403
    response = restore(editor_api, f"companies/{pk}", data={"name": "x"})
    assert response.status_code == 400
    assert error_paths(response.json()) == {"name"}
    assert not Company.objects.exists()


def test_a_record_last_edited_by_a_deleted_user_is_restored(editor_api, editor):
    from django.contrib.auth import get_user_model

    gone = get_user_model().objects.create_user("gone")
    company = cited_company()
    company.note = "edited by someone who left"
    record_save(company, user=gone)
    pk = delete(company, user=gone)
    gone.delete()

    response = restore(editor_api, f"companies/{pk}")
    assert response.status_code == 201, response.content
    restored = Company.objects.get(pk=pk)
    assert (restored.updated_by, restored.note) == (editor, "edited by someone who left")


def test_token_users_restore_as_themselves(token_api, editor):
    pk = delete(cited_company())
    assert restore(token_api, f"companies/{pk}").status_code == 201
    assert latest_history(Company, pk).history_user == editor


# --- the admin -------------------------------------------------------------------------


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_admin_lists_deleted_records_and_restores_one_with_its_citations(editor_client, editor):
    company = cited_company(status="verified", name="Gone Corp")
    citations = set(Citation.objects.values_list("pk", flat=True))
    kept = CompanyFactory(name="Still here")
    response = editor_client.post(admin_url(Company, "delete", company.pk), {"post": "yes"})
    assert response.status_code == 302
    pk = company.pk or Company.history.filter(history_type="-").get().id

    changelist = editor_client.get(admin_url(Company, "changelist"))
    assert admin_url(Company, "deleted").encode() in changelist.content

    page = editor_client.get(admin_url(Company, "deleted"))
    assert page.status_code == 200
    assert b"Gone Corp" in page.content
    assert b"Still here" not in page.content
    assert admin_url(Company, "restore", pk).encode() in page.content

    confirm = editor_client.get(admin_url(Company, "restore", pk))
    assert confirm.status_code == 200
    assert b"Gone Corp" in confirm.content
    response = editor_client.post(
        admin_url(Company, "restore", pk), {"change_reason": "Deleted by mistake"}
    )
    assert response.status_code == 302
    assert response["Location"] == admin_url(Company, "change", pk)

    restored = Company.objects.get(pk=pk)
    assert restored.status == "verified"
    assert set(Citation.objects.values_list("pk", flat=True)) == citations
    row = latest_history(Company, pk)
    assert (row.history_type, row.history_user, row.history_change_reason) == (
        "+",
        editor,
        "Restored: Deleted by mistake",
    )
    deleted = editor_client.get(admin_url(Company, "deleted")).content
    assert admin_url(Company, "restore", pk).encode() not in deleted
    assert editor_client.get(admin_url(Company, "history", pk)).status_code == 200
    assert kept.pk != pk


def test_admin_history_of_a_deleted_record_renders(editor_client):
    pk = delete(cited_company())
    assert editor_client.get(admin_url(Company, "history", pk)).status_code == 200


def test_viewers_see_deleted_records_but_cannot_restore(client, viewer):
    pk = delete(cited_company(name="Gone Corp"))
    client.force_login(viewer)
    page = client.get(admin_url(Company, "deleted"))
    assert page.status_code == 200 and b"Gone Corp" in page.content
    assert admin_url(Company, "restore", pk).encode() not in page.content
    assert client.get(admin_url(Company, "restore", pk)).status_code == 403
    assert client.post(admin_url(Company, "restore", pk)).status_code == 403
    assert not Company.objects.exists()


def test_admin_restore_that_cannot_happen_says_why_and_changes_nothing(editor_client):
    owner = record_save(CompanyFactory.build())
    product = delete(record_save(ProductFactory.build(company=owner)))
    delete(owner)
    before = row_counts()
    response = editor_client.post(admin_url(Product, "restore", product), follow=True)
    assert response.status_code == 200
    assert b"Not restored. company: The company" in response.content
    assert row_counts() == before

    existing = CompanyFactory()
    response = editor_client.post(admin_url(Company, "restore", existing.pk), follow=True)
    assert b"there is nothing to restore" in response.content
    assert editor_client.get(admin_url(Company, "restore", 999999)).status_code == 404
    assert editor_client.get(admin_url(Company, "restore", "abc")).status_code == 404


@pytest.mark.parametrize("reason", ["dup\x00licate", "x" * 101])
def test_admin_reasons_are_checked_before_anything_is_deleted_or_restored(editor_client, reason):
    company = cited_company(name="Kept Corp")
    response = editor_client.post(
        admin_url(Company, "delete", company.pk), {"post": "yes", "change_reason": reason}
    )
    assert response.status_code == 302
    assert Company.objects.filter(pk=company.pk).exists()  # not deleted

    pk = delete(company)
    before = row_counts()
    response = editor_client.post(admin_url(Company, "restore", pk), {"change_reason": reason})
    assert response.status_code == 200  # the form again, with its error
    assert b"errorlist" in response.content
    assert row_counts() == before


def test_the_deleted_list_costs_the_same_queries_for_3_and_30_rows(editor_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def make(n):
        for _ in range(n):
            fact, source = CompanyFactory(), SourceFactory()
            citation = record_save(CitationFactory.build(fact=fact, source=source))
            delete(citation, check_citations=False)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert editor_client.get(admin_url(Citation, "deleted")).status_code == 200
        return len(queries)

    make(3)
    three = count()
    make(27)
    assert count() == three
