"""The admin through an editor's browser: pages render, saves go through the services
(history with the editor as author), bad input is a form error, never a 500."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from companies.models import Company
from events.models import Metric, MetricType
from factbase.core.kinds import record_apps
from factbase.core.models import Citation
from factbase.core.services import record_save

from .factories import (
    CitationFactory,
    CompanyFactory,
    EventFactory,
    FundingRoundFactory,
    InvestmentFactory,
    MetricFactory,
    PartnershipFactory,
    PersonFactory,
    ProductFactory,
    RoleFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

# Snapshots have no add form and are taken, not typed: tests/snapshots/test_app.py; nor
# have merges, made by an action: tests/merging/test_admin.py.
MODEL_ADMINS = [
    model
    for model in admin.site._registry
    if model._meta.app_label in record_apps()
    and model._meta.label not in ("factbase.Snapshot", "factbase.Merge")
]


@pytest.fixture
def one_of_each():
    company = CompanyFactory()
    product = ProductFactory(company=company)
    CitationFactory(fact=company)
    RoleFactory(company=company)
    PersonFactory()
    PartnershipFactory()
    FundingRoundFactory(company=company)
    InvestmentFactory(company=company)
    EventFactory()
    MetricFactory(company=None, product=product)
    SourceFactory()


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODEL_ADMINS, ids=lambda m: m._meta.label)
def test_list_add_change_and_history_pages_render_for_an_editor(model, editor_client, one_of_each):
    obj = model.objects.first()
    assert obj is not None, f"no {model._meta.label} to show"
    for page in (
        url(model, "changelist"),
        url(model, "changelist") + "?q=a",
        url(model, "add"),
        url(model, "change", obj.pk),
        url(model, "history", obj.pk),
    ):
        response = editor_client.get(page)
        assert response.status_code == 200, page


def test_viewer_can_look_but_not_change(client, viewer, one_of_each):
    client.force_login(viewer)
    company = Company.objects.first()
    assert client.get(url(Company, "changelist")).status_code == 200
    assert client.get(url(Company, "change", company.pk)).status_code == 200
    assert client.get(url(Company, "add")).status_code == 403
    response = client.post(url(Company, "change", company.pk), {"name": "Renamed"})
    assert response.status_code == 403
    company.refresh_from_db()
    assert company.name != "Renamed"


CITATION_PREFIX = "factbase-citation-content_type-object_id"


def citation_forms(*citations):
    data = {
        f"{CITATION_PREFIX}-TOTAL_FORMS": str(len(citations)),
        f"{CITATION_PREFIX}-INITIAL_FORMS": "0",
    }
    for i, citation in enumerate(citations):
        for key, value in citation.items():
            data[f"{CITATION_PREFIX}-{i}-{key}"] = value
    return data


def metric_form(**overrides):
    company = CompanyFactory()
    data = {
        "metric_type": str(MetricType.objects.get(slug="downloads").pk),
        "company": str(company.pk),
        "qualifier": "at_least",
        "value": "1000000",
        "period_start": "Feb 2025",
        "period_precision": "month",
        "region": "FR",
        "status": "unverified",
        "confidence": "high",
        "claim_type": "reported",
    }
    data.update(overrides)
    return data


def test_editor_adds_a_metric_with_a_citation_and_history_names_the_editor(editor_client, editor):
    source = SourceFactory()
    data = {
        **metric_form(status="verified"),
        **citation_forms(
            {"source": str(source.pk), "quote": "reached two million users", "translation": ""}
        ),
    }
    response = editor_client.post(url(Metric, "add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    metric = Metric.objects.get()
    assert metric.status == "verified"
    assert str(metric.period_start) == "2025-02-01"  # a month is stored as its first day
    citation = metric.citations.get()
    assert (citation.char_start, citation.char_end) == (48, 73)
    assert metric.history.get().history_user == editor
    assert citation.history.get().history_user == editor
    assert metric.created_by == editor and metric.version == 1


def test_editor_change_is_recorded_with_what_changed(editor_client, editor):
    metric = MetricFactory()
    data = {**metric_form(company=str(metric.company_id), value="2000"), **citation_forms()}
    data["loaded_version"] = str(metric.version)  # what the page opened
    response = editor_client.post(url(Metric, "change", metric.pk), data)
    assert response.status_code == 302
    latest = metric.history.first()
    assert latest.history_user == editor
    assert latest.history_type == "~"
    changed = {change.field for change in latest.diff_against(latest.prev_record).changes}
    assert "value" in changed
    page = editor_client.get(url(Metric, "history", metric.pk))
    assert b"2000" in page.content


def test_constraint_violation_is_a_form_error_not_a_500(editor_client):
    data = {**metric_form(qualifier="range", value="10", value_high="5"), **citation_forms()}
    response = editor_client.post(url(Metric, "add"), data)
    assert response.status_code == 200
    assert b"The high value cannot be below the low value" in response.content
    assert not Metric.objects.exists()


def test_unknown_quote_is_a_form_error(editor_client):
    source = SourceFactory()
    data = {
        **metric_form(),
        **citation_forms({"source": str(source.pk), "quote": "words nobody wrote"}),
    }
    response = editor_client.post(url(Metric, "add"), data)
    assert response.status_code == 200
    assert b"not found verbatim" in response.content
    assert not Metric.objects.exists() and not Citation.objects.exists()


def test_a_fact_cannot_be_verified_without_a_citation(editor_client):
    response = editor_client.post(
        url(Metric, "add"), {**metric_form(status="verified"), **citation_forms()}
    )
    assert response.status_code == 200
    assert b"cannot be verified without at least one citation" in response.content
    assert not Metric.objects.exists()


def test_bulk_verify_leaves_one_history_entry_per_fact(editor_client, editor):
    source = SourceFactory()
    metrics = [MetricFactory(value=Decimal(i)) for i in range(50)]
    for metric in metrics:
        CitationFactory(fact=metric, source=source)
    response = editor_client.post(
        url(Metric, "changelist"),
        {
            "action": "mark_verified",
            "_selected_action": [m.pk for m in metrics],
            "post": "yes",  # confirmed on the action's page, with a reason
            "change_reason": "Checked against the sources",
        },
    )
    assert response.status_code == 302
    assert Metric.objects.filter(status="verified").count() == 50
    entries = Metric.history.filter(history_type="~", status="verified")
    assert entries.count() == 50
    assert set(entries.values_list("history_user", flat=True)) == {editor.pk}


def test_bulk_verify_refuses_facts_without_citations_and_changes_nothing(editor_client):
    cited, uncited = MetricFactory(), MetricFactory()
    CitationFactory(fact=cited)
    response = editor_client.post(
        url(Metric, "changelist"),
        {
            "action": "mark_verified",
            "_selected_action": [cited.pk, uncited.pk],
            "post": "yes",  # confirmed on the action's page, with a reason
            "change_reason": "Checked against the sources",
        },
        follow=True,
    )
    assert b"Cannot mark verified without a citation" in response.content
    assert not Metric.objects.filter(status="verified").exists()
    assert not Metric.history.filter(history_type="~").exists()


def test_deleting_a_fact_records_its_citations_deletion_too(editor_client, editor):
    metric = MetricFactory()
    citation = CitationFactory(fact=metric)
    response = editor_client.post(url(Metric, "delete", metric.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Metric.objects.exists() and not Citation.objects.exists()
    assert Metric.history.get(history_type="-").history_user == editor
    assert Citation.history.get(id=citation.pk, history_type="-").history_user == editor


def test_company_page_shows_its_products_metrics_and_funding(editor_client):
    company = CompanyFactory()
    ProductFactory(company=company, name="Le Widget")
    FundingRoundFactory(company=company)
    MetricFactory(company=company)
    page = editor_client.get(url(Company, "change", company.pk)).content.decode()
    assert "Le Widget" in page
    assert "Series A" in page
    assert "Downloads" in page


def test_a_form_opened_before_someone_elses_save_is_refused(editor_client, editor):
    metric = MetricFactory()
    page = editor_client.get(url(Metric, "change", metric.pk)).content.decode()
    assert 'name="loaded_version" value="1"' in page

    # Someone else saves in between.
    metric.value = Decimal(5)
    record_save(metric)

    data = {
        **metric_form(company=str(metric.company_id), value="7"),
        **citation_forms(),
        "loaded_version": "1",
    }
    response = editor_client.post(url(Metric, "change", metric.pk), data)
    assert response.status_code == 200
    assert b"after you opened it" in response.content
    metric.refresh_from_db()
    assert metric.value == 5 and metric.version == 2

    data["loaded_version"] = "2"
    assert editor_client.post(url(Metric, "change", metric.pk), data).status_code == 302
    metric.refresh_from_db()
    assert metric.value == 7 and metric.version == 3


def test_a_company_listed_by_an_event_cannot_be_deleted(editor_client):
    company = CompanyFactory()
    event = EventFactory()
    event.companies.add(company)
    page = editor_client.get(url(Company, "delete", company.pk))
    assert b"would require deleting the following protected" in page.content
    assert str(event).encode() in page.content
    response = editor_client.post(url(Company, "delete", company.pk), {"post": "yes"})
    assert response.status_code in (200, 403)
    assert Company.objects.filter(pk=company.pk).exists()


def test_an_edit_writes_the_record_and_only_the_rows_that_changed(editor_client, editor):
    """The admin writes through services.record_write: one new version of the record, one
    of the citation edited, none of the one left alone, and the one removed deleted, all
    with the editor's reason."""
    metric = MetricFactory()
    kept, edited, removed = (CitationFactory(fact=metric) for _ in range(3))
    rows = []
    for citation in (kept, edited, removed):
        row = {
            "id": str(citation.pk),
            "source": str(citation.source_id),
            "quote": citation.quote,
            "translation": "",
            "field_name": "",
            "locator": "",
            "attributed_to": "",
        }
        rows.append(row)
    rows[1]["locator"] = "p. 2"
    rows[2]["DELETE"] = "on"
    data = {
        **metric_form(company=str(metric.company_id), value="2000"),
        **citation_forms(*rows),
        f"{CITATION_PREFIX}-INITIAL_FORMS": "3",
        "loaded_version": str(metric.version),
        "change_reason": "Checked against the article",
    }
    response = editor_client.post(url(Metric, "change", metric.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert metric.history.count() == 2
    assert metric.history.first().history_change_reason == "Checked against the article"
    assert kept.history.count() == 1  # left alone: no new version
    edited.refresh_from_db()
    assert (edited.locator, edited.version, edited.updated_by) == ("p. 2", 2, editor)
    assert not Citation.objects.filter(pk=removed.pk).exists()
    deletion = Citation.history.filter(id=removed.pk, history_type="-").get()
    assert deletion.history_change_reason == "Checked against the article"
