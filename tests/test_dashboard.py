"""The admin index's dashboard: the work waiting, each number linked to the list of its rows;
who changed facts this week; the latest snapshot; the editor's own recent changes. Its
query count does not grow with the data."""

import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from companies.models import Company
from events.models import Metric
from factbase.admin.dashboard import CACHE_KEY
from factbase.core.models import Citation, Snapshot
from factbase.core.services import record_save

from .factories import (
    CitationFactory,
    CompanyFactory,
    ProductFactory,
    SourceFactory,
    downloads_claim,
)

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")


def row(html: str, row_class: str, label: str) -> str:
    """The cell of the dashboard's row `label` in the rows of class `row_class`."""
    match = re.search(
        rf'<tr class="{row_class}"><th scope="row">{re.escape(label)}</th><td>(.*?)</td></tr>',
        html,
        re.S,
    )
    assert match, f"no row {label!r} of class {row_class!r}"
    return match.group(1).strip()


def link(cell: str) -> tuple[str, str]:
    """(the URL, the text) of the one link in a cell."""
    match = re.search(r'<a href="([^"]*)">([^<]*)</a>', cell)
    assert match, cell
    return match.group(1).replace("&amp;", "&"), match.group(2)


def claim(product, qualifier, value, user=None) -> Metric:
    return downloads_claim(product, qualifier, value, user=user, reason="From the store")


@pytest.fixture
def work(editor):
    """Two conflicting metrics (uncited, saved by the editor), a cited company (the
    editor's), an uncited one (a command's), and a citation whose offsets no longer hold
    its quote in the source's text."""
    product = ProductFactory(name="Le Chat")
    claim(product, "at_least", 1_000_000, user=editor)
    claim(product, "exact", 500_000, user=editor)
    cited = record_save(CompanyFactory.build(name="Acme Robotics", slug="acme"), user=editor)
    CitationFactory(fact=cited)
    record_save(CompanyFactory.build(name="Bare", slug="bare"))
    moved = CitationFactory(fact=cited)
    Citation.objects.filter(pk=moved.pk).update(char_start=1, char_end=29)
    return moved


def test_the_index_shows_the_work_waiting_each_number_linked_to_its_list(editor_client, work):
    html = editor_client.get(INDEX).content.decode()

    url, text = link(row(html, "waiting", "Open conflicts between metrics"))
    assert (url, text) == (reverse("admin:events_metric_conflicts"), "1")
    assert "1,000,000" in editor_client.get(url).content.decode()

    url, text = link(row(html, "unverified", "Metrics"))
    assert text == "2"
    listed = editor_client.get(url)
    assert listed.status_code == 200 and listed.context["cl"].result_count == 2

    url, text = link(row(html, "uncited", "Companies"))
    assert text == "2"  # Bare and the product's company; Acme has citations
    listed = editor_client.get(url)
    assert listed.status_code == 200
    assert {c.name for c in listed.context["cl"].result_list} == {"Bare", product_company()}

    url, text = link(row(html, "waiting", "Citations whose quote no longer matches"))
    assert text == "1"
    listed = editor_client.get(url)
    assert [c.pk for c in listed.context["cl"].result_list] == [work.pk]


def product_company() -> str:
    return Company.objects.exclude(slug__in=["acme", "bare"]).get().name


def test_the_mismatch_count_is_what_check_citations_reports(editor_client, work):
    """The dashboard's SQL and Citation.check_against_source are one test: they agree."""
    source = SourceFactory(text="Acme Robotics said on Monday, again.")
    kept = CitationFactory(fact=CompanyFactory(), source=source)
    found_elsewhere = CitationFactory(fact=CompanyFactory(), source=source)
    Citation.objects.filter(pk=found_elsewhere.pk).update(char_start=None, char_end=None)
    # An end past the text's: the slice is the quote, the span is not.
    past_the_end = CitationFactory(fact=CompanyFactory(), source=source, quote="again.")
    Citation.objects.filter(pk=past_the_end.pk).update(char_start=30, char_end=40)
    failing = {c.pk for c in Citation.objects.select_related("source") if c.check_against_source()}
    assert failing == {work.pk, found_elsewhere.pk, past_the_end.pk} and kept.pk not in failing

    html = editor_client.get(INDEX).content.decode()
    url, text = link(row(html, "waiting", "Citations whose quote no longer matches"))
    assert text == str(len(failing))
    with pytest.raises(CommandError, match=f"{len(failing)} failed"):
        call_command("check_citations")


def test_counts_are_kept_in_the_cache_for_a_while(editor_client, work):
    first = editor_client.get(INDEX).content.decode()
    record_save(CompanyFactory.build(name="Later", slug="later"))
    again = editor_client.get(INDEX).content.decode()
    assert link(row(again, "uncited", "Companies")) == link(row(first, "uncited", "Companies"))


def test_who_changed_facts_this_week_links_to_their_facts(editor_client, editor, work):
    html = editor_client.get(INDEX).content.decode()
    week = html.split('id="week-changes"')[1].split('id="latest-snapshot"')[0]
    # The editor saved two metrics and a company; the bare company has no user.
    assert re.search(r"<th scope=\"row\">editor</th>\s*<td class=\"number\">3</td>", week)
    assert "no user (commands and imports)" in week
    url = next(u for u, t in re.findall(r'<a href="([^"]*)">([^<]*)</a>', week) if t == "metrics 2")
    listed = editor_client.get(url.replace("&amp;", "&"))
    assert listed.status_code == 200 and listed.context["cl"].result_count == 2


def test_the_latest_snapshot_and_the_editors_own_changes(editor_client, editor, work):
    Snapshot.objects.create(
        created_at=timezone.now(),
        created_by=editor,
        file="snapshots/x.zip",
        size=2048,
        sha256="0" * 64,
        tables=3,
        rows=42,
        seconds=1.5,
    )
    html = editor_client.get(INDEX).content.decode()
    snapshot = html.split('id="latest-snapshot"')[1].split("</div>")[0]
    assert "42 rows in 3 tables" in snapshot and "taken by editor" in snapshot

    own = html.split('id="own-changes"')[1].split("</div>")[0]
    items = re.findall(r'<a href="([^"]*)">([^<]*)</a>', own)
    assert [text for _, text in items] == [
        "Company " + str(Company.objects.get(slug="acme").pk),
        *[f"Metric {pk}" for pk in Metric.objects.order_by("-pk").values_list("pk", flat=True)],
    ]
    assert "From the store" in own
    assert editor_client.get(items[0][0]).status_code == 200


def test_the_has_citations_filter_on_fact_lists(editor_client, work):
    url = reverse("admin:companies_company_changelist")
    cited = editor_client.get(url, {"has_citations": "yes"}).context["cl"].result_list
    assert [c.slug for c in cited] == ["acme"]
    response = editor_client.get(url, {"_facets": "True"})
    spec = next(f for f in response.context["cl"].filter_specs if f.title == "has citations")
    choices = [c["display"] for c in spec.choices(response.context["cl"])]
    assert choices == ["All", "Yes (1)", "No (2)"]


def test_the_dashboard_costs_the_same_queries_for_more_data(
    editor_client, work, django_assert_max_num_queries
):
    """Counted (cold cache): a fixed number of queries, whatever the rows (on PostgreSQL
    each count's budget adds a savepoint and the timeout around it); from the cache, the
    session, the editor, their permissions, the snapshot and their own changes."""
    with django_assert_max_num_queries(29):
        assert editor_client.get(INDEX).status_code == 200
    with CaptureQueriesContext(connection) as few:
        cache.clear()
        editor_client.get(INDEX)
    product = ProductFactory()
    for value in (10, 20, 30):
        claim(product, "exact", value)
    CitationFactory(fact=CompanyFactory())
    with CaptureQueriesContext(connection) as more:
        cache.clear()
        editor_client.get(INDEX)
    assert len(more) == len(few)
    with django_assert_max_num_queries(6):
        assert editor_client.get(INDEX).status_code == 200


def test_a_viewer_sees_the_dashboard_and_others_pages_count_nothing(client, viewer, work):
    client.force_login(viewer)
    assert "Work waiting" in client.get(INDEX).content.decode()
    cache.clear()
    client.get(reverse("admin:companies_company_changelist"))
    assert cache.get(CACHE_KEY) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a statement timeout")
def test_a_count_past_its_budget_reads_not_counted(editor_client, work, monkeypatch):
    from factbase.admin import dashboard

    def slow() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_sleep(0.5)")
        return 1

    slow_item = dashboard.Waiting("slow work", Metric, "admin:events_metric_changelist", slow)
    monkeypatch.setattr(dashboard, "_WAITING", [slow_item])
    monkeypatch.setattr(dashboard, "BUDGET_MS", 50)
    html = editor_client.get(INDEX).content.decode()
    assert "not counted" in row(html, "waiting", "Slow work")
    # The timeout was the count's alone: the rest of the page and the next ones read on.
    assert link(row(html, "unverified", "Metrics"))[1] == "2"
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"
