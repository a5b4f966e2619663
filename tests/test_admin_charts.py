"""Metric charts on admin pages (factbase.admin.charts): SVG drawn on the server, one
point per claim linked to its metric, the qualifier and status visible, ranks with 1 at
the top, the API link to the same data, a table for those who do not see the drawing,
nothing loaded from another host, and a fixed number of queries."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import Event, Metric, MetricType
from factbase.core.services import record_save

from .factories import CompanyFactory, ProductFactory, platform

pytestmark = pytest.mark.django_db


def change_url(record) -> str:
    opts = record._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])


def claim(subject, value, *, slug="downloads", qualifier="exact", month=2, **extra) -> Metric:
    field = "product" if subject._meta.model_name == "product" else "company"
    fields = {
        "metric_type": MetricType.objects.get(slug=slug),
        field: subject,
        "qualifier": qualifier,
        "value": Decimal(value),
        "region": "FR",
        "period_start": datetime.date(2025, month, 1),
        "period_precision": "month",
        **extra,
    }
    return record_save(Metric(**fields))


def get(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def csv_rows(response) -> int:
    assert response.status_code == 200
    return len(b"".join(response.streaming_content).decode().strip().splitlines())


def charts_of(page: str) -> dict[str, str]:
    """Each chart's section by its heading."""
    sections = re.findall(r'<section class="module related-chart".*?</section>', page, re.S)
    return {re.search(r"<h2[^>]*>([^<]+)</h2>", s).group(1): s for s in sections}


def points(chart: str) -> dict[int, str]:
    """Each point of a chart's SVG by its metric's id."""
    svg = re.search(r"<svg.*?</svg>", chart, re.S).group(0)
    found = re.findall(
        r'(<a href="[^"]*" class="point[^"]*" data-metric="(\d+)".*?</a>)', svg, re.S
    )
    return {int(pk): markup for markup, pk in found}


def circle_y(point: str) -> float:
    return float(re.search(r'<circle class="marker[^"]*"[^>]* cy="([\d.]+)"', point).group(1))


@pytest.fixture
def product():
    product = ProductFactory(name="Le Chat", slug="le-chat")
    product.claims = [
        claim(product, 1_000_000, month=1),
        claim(product, 2_000_000, qualifier="at_least", month=2),
        claim(product, 3_000_000, qualifier="approximate", month=3),
        claim(product, 1_500_000, qualifier="range", value_high=Decimal(2_500_000), month=4),
        claim(product, 9_000_000, month=5, status="disputed"),
        claim(product, 500_000, qualifier="at_most", month=6, platform=platform("ios")),
    ]
    claim(ProductFactory(name="ChatGPT"), 7_000_000)  # another product's
    return product


def test_a_product_page_draws_one_point_per_metric_each_linked(editor_client, product):
    chart = charts_of(get(editor_client, change_url(product)))["Downloads"]
    drawn = points(chart)
    assert set(drawn) == {m.pk for m in product.claims}
    for metric in product.claims:
        assert f'href="{change_url(metric)}"' in drawn[metric.pk]
    # One series per region and platform, in a legend.
    assert "France</text>" in chart and "France, iOS</text>" in chart


def test_the_qualifier_shows(editor_client, product):
    exact, at_least, approximate, in_range, _, at_most = product.claims
    drawn = points(charts_of(get(editor_client, change_url(product)))["Downloads"])
    assert 'class="marker open"' in drawn[at_least.pk] and 'fill="#fff"' in drawn[at_least.pk]
    assert 'class="marker open"' in drawn[at_most.pk]
    assert 'class="marker"' in drawn[exact.pk] and 'class="arrow"' not in drawn[exact.pk]
    assert 'class="approximate"' in drawn[approximate.pk]
    assert 'class="interval"' in drawn[in_range.pk]
    # At least points up (to larger values), at most down.
    up = re.search(r'class="arrow"[^>]* d="M[\d.]+,([\d.]+) V([\d.]+)', drawn[at_least.pk])
    down = re.search(r'class="arrow"[^>]* d="M[\d.]+,([\d.]+) V([\d.]+)', drawn[at_most.pk])
    assert float(up.group(2)) < float(up.group(1))
    assert float(down.group(2)) > float(down.group(1))


def test_disputed_claims_are_drawn_apart(editor_client, product):
    disputed = product.claims[4]
    drawn = points(charts_of(get(editor_client, change_url(product)))["Downloads"])
    assert "apart" in drawn[disputed.pk] and 'fill="none"' in drawn[disputed.pk]
    assert all("apart" not in markup for pk, markup in drawn.items() if pk != disputed.pk)


def test_ranks_have_1_at_the_top(editor_client):
    product = ProductFactory()
    first = claim(product, 1, slug="app-store-rank", month=1)
    fiftieth = claim(product, 50, slug="app-store-rank", month=2)
    chart = charts_of(get(editor_client, change_url(product)))["App-store rank"]
    assert 'data-rank="true"' in chart
    drawn = points(chart)
    assert circle_y(drawn[first.pk]) < circle_y(drawn[fiftieth.pk])

    # And counts the other way: the larger value higher up.
    small, large = claim(product, 10, month=1), claim(product, 1000, month=2)
    drawn = points(charts_of(get(editor_client, change_url(product)))["Downloads"])
    assert circle_y(drawn[large.pk]) < circle_y(drawn[small.pk])


def test_the_chart_links_to_the_same_data_in_the_api(editor_client, product):
    chart = charts_of(get(editor_client, change_url(product)))["Downloads"]
    csv_url = "/api/v1/metrics/?product=le-chat&amp;metric_type=downloads&amp;format=csv"
    assert f'href="{csv_url}"' in chart
    response = editor_client.get(csv_url.replace("&amp;", "&"))
    assert response.status_code == 200
    assert csv_rows(response) == 1 + len(product.claims)


def test_a_company_chart_has_its_metrics_and_its_products(editor_client):
    company = CompanyFactory(name="Mistral AI", slug="mistral")
    product = ProductFactory(company=company, name="Le Chat")
    own = claim(company, 100_000_000, slug="revenue", currency="EUR")
    of_product = claim(product, 1_000, slug="revenue", currency="EUR")
    claim(CompanyFactory(), 5, slug="revenue", currency="EUR")
    chart = charts_of(get(editor_client, change_url(company)))["Revenue"]
    assert set(points(chart)) == {own.pk, of_product.pk}
    assert "Mistral AI, France, EUR</text>" in chart and "Le Chat, France, EUR</text>" in chart
    assert 'href="/api/v1/metrics/?company=mistral&amp;metric_type=revenue&amp;format=csv"' in chart


def test_undated_claims_are_listed_not_drawn_and_windows_from_their_anchor(editor_client):
    product = ProductFactory(launched_on=datetime.date(2025, 2, 6), launched_precision="day")
    undated = claim(product, 5, period_start=None, period_precision="")
    windowed = claim(
        product,
        1_000_000,
        period_start=None,
        period_precision="",
        window_days=14,
        window_anchor="launch",
    )
    summit = Event.objects.create(
        title="Summit",
        kind="summit",
        occurred_on=datetime.date(2025, 2, 10),
        occurred_precision="day",
    )
    after_event = claim(
        product,
        2_000_000,
        period_start=None,
        period_precision="",
        window_days=7,
        window_anchor="event",
        anchor_event=summit,
        region="DE",
    )
    chart = charts_of(get(editor_client, change_url(product)))["Downloads"]
    assert set(points(chart)) == {windowed.pk, after_event.pk}
    table = re.search(r"<details.*?</details>", chart, re.S).group(0)
    for metric in (undated, windowed, after_event):
        assert f'href="{change_url(metric)}"' in table
    assert "1 without a date" in chart


def test_each_chart_is_described_for_assistive_technology(editor_client, product):
    chart = charts_of(get(editor_client, change_url(product)))["Downloads"]
    svg_open = re.search(r"<svg [^>]*>", chart).group(0)
    assert 'role="img"' in svg_open
    labelled = re.search(r'aria-labelledby="([^"]+)"', svg_open).group(1).split()
    for element_id in labelled:
        assert f'id="{element_id}"' in chart
    assert re.search(r"<title id=[^>]*>Downloads</title>", chart)
    assert "6 claims of downloads" in chart and "1 disputed or retracted" in chart
    assert "<details" in chart and chart.count('<tr class="status-') == 6


def test_nothing_is_loaded_from_another_host(editor_client, product):
    page = get(editor_client, change_url(product))
    tags = re.findall(r"<(?:script|link|img)\b[^>]*>", page, re.I)
    assert tags  # the admin's own
    assert not [t for t in tags if re.search(r'(?:src|href)="(?:https?:)?//', t)]


def test_a_metric_type_page_draws_it_across_subjects_by_region(editor_client):
    le_chat, chatgpt = ProductFactory(name="Le Chat"), ProductFactory(name="ChatGPT")
    in_france = [claim(le_chat, 1_000_000), claim(chatgpt, 5_000_000)]
    in_germany = claim(chatgpt, 3_000_000, region="DE")
    downloads = MetricType.objects.get(slug="downloads")

    every = charts_of(get(editor_client, change_url(downloads)))
    (chart,) = every.values()
    assert set(points(chart)) == {*(m.pk for m in in_france), in_germany.pk}
    assert "Le Chat, France</text>" in chart and "ChatGPT, Germany</text>" in chart
    assert 'href="?region=DE"' in chart and 'href="?region=FR"' in chart

    only_france = charts_of(get(editor_client, change_url(downloads) + "?region=FR"))
    (chart,) = only_france.values()
    assert set(points(chart)) == {m.pk for m in in_france}
    assert "Downloads in France" in chart
    csv_url = "/api/v1/metrics/?region=FR&amp;metric_type=downloads&amp;format=csv"
    assert f'href="{csv_url}"' in chart
    response = editor_client.get(csv_url.replace("&amp;", "&"))
    assert csv_rows(response) == 1 + len(in_france)


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_charts_cost_the_same_queries_with_3_or_30_metrics(
    editor_client, django_assert_max_num_queries
):
    few, many = ProductFactory(), ProductFactory()
    for product, n in ((few, 3), (many, 30)):
        for i in range(n):
            claim(product, i + 1, month=i % 12 + 1, region=("FR", "DE", "IT")[i % 3])
            claim(product, i + 1, slug="app-store-rank", month=i % 12 + 1)
    queries_of(editor_client, change_url(few))
    with_few = queries_of(editor_client, change_url(few))
    with django_assert_max_num_queries(with_few):
        page = get(editor_client, change_url(many))
    assert len(points(charts_of(page)["Downloads"])) == 30

    downloads = MetricType.objects.get(slug="downloads")
    with django_assert_max_num_queries(with_few):
        get(editor_client, change_url(downloads))
