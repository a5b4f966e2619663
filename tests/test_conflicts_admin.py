"""The admin page of open conflicts: claims side by side with their citations, and the
forms that resolve one (editors only), recorded in history."""

import pytest
from django.urls import reverse

from events.models import Metric

from .factories import CitationFactory, ProductFactory, SourceFactory, downloads_claim

pytestmark = pytest.mark.django_db

URL = reverse("admin:events_metric_conflicts")


claim = downloads_claim


@pytest.fixture
def conflict():
    product = ProductFactory(name="Le Chat")
    first = claim(product, "at_least", 1_000_000)
    second = claim(product, "exact", 500_000)
    CitationFactory(
        fact=first, source=SourceFactory(title="Le Chat passe le million", publisher="Le Monde")
    )
    CitationFactory(fact=second, source=SourceFactory(title="Half a million", publisher="Reuters"))
    return first, second


def resolve(client, keep, dispute, reason="The store's own figure"):
    return client.post(URL, {"keep": keep.pk, "dispute": dispute.pk, "reason": reason})


def test_editor_sees_the_claims_side_by_side_with_their_citations(editor_client, conflict):
    response = editor_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 open conflict" in page
    assert "at least 1,000,000 vs exactly 500,000" in page
    for text in ("≥ 1,000,000", "500,000", "Le Monde: Le Chat passe le million"):
        assert text in page
    assert "Reuters: Half a million" in page
    assert "Acme Robotics said on Monday" in page  # the quotes
    assert page.count('name="reason"') == 2
    assert "csrfmiddlewaretoken" in page


def test_the_metric_list_links_to_the_conflicts(editor_client):
    page = editor_client.get(reverse("admin:events_metric_changelist")).content.decode()
    assert URL in page


def test_an_editor_resolves_a_conflict_with_a_reason_kept_in_history(
    editor_client, editor, conflict
):
    keep, dispute = conflict
    response = resolve(editor_client, keep, dispute)
    assert response.status_code == 302
    keep.refresh_from_db()
    dispute.refresh_from_db()
    assert (keep.status, dispute.status) == ("verified", "disputed")
    for metric in (keep, dispute):
        record = metric.history.order_by("-history_date", "-history_id").first()
        assert record.history_user == editor
        assert record.history_change_reason == "The store's own figure"
        assert record.status == metric.status
    page = editor_client.get(response["Location"]).content.decode()
    assert "No open conflicts." in page
    assert "Kept" in page  # the message


@pytest.mark.parametrize("reason", ["", "x" * 101, "\u2060"])
def test_a_resolution_needs_a_reason_of_at_most_100_characters(editor_client, conflict, reason):
    keep, dispute = conflict
    response = resolve(editor_client, keep, dispute, reason)
    assert response.status_code == 200
    assert "Not resolved" in response.content.decode()
    assert set(Metric.objects.values_list("status", flat=True)) == {"unverified"}


def test_a_claim_without_a_citation_cannot_be_kept(editor_client, conflict):
    keep, dispute = conflict
    keep.citations.all().delete()
    response = resolve(editor_client, keep, dispute)
    assert response.status_code == 200
    assert "without a citation" in response.content.decode()
    assert set(Metric.objects.values_list("status", flat=True)) == {"unverified"}


def test_two_metrics_that_do_not_conflict_are_refused(editor_client, conflict):
    keep, _ = conflict
    unrelated = claim(ProductFactory(), "exact", 3)
    response = resolve(editor_client, keep, unrelated)
    assert "not an open conflict" in response.content.decode()
    assert set(Metric.objects.values_list("status", flat=True)) == {"unverified"}


def test_a_viewer_sees_the_conflicts_but_cannot_resolve(client, viewer, conflict):
    client.force_login(viewer)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "at least 1,000,000 vs exactly 500,000" in page
    assert 'name="reason"' not in page
    keep, dispute = conflict
    assert resolve(client, keep, dispute).status_code == 403
    assert set(Metric.objects.values_list("status", flat=True)) == {"unverified"}


def test_anonymous_is_sent_to_the_login_page(client, conflict):
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("page", ["1", "7", "x"])
def test_the_page_runs_the_conflict_search_once(editor_client, conflict, page):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(URL, {"page": page})
    assert response.status_code == 200
    assert "1 open conflict" in response.content.decode()
    searches = [q for q in queries if "b.id > a.id" in q["sql"]]
    # past the end: a count of its own, then the last page
    assert len(searches) == (1 if page != "7" else 3)
