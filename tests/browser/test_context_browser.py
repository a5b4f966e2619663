"""Facts in their context, in a real browser: the source reader's highlights lead to the
facts they support, a product's chart draws one point per metric the API lists, and the API's
documentation renders from the project's own files, with nothing fetched from elsewhere."""

import datetime
import json
import urllib.request
from decimal import Decimal

from selenium.webdriver.common.by import By

from events.models import MetricType
from tests.factories import (
    CitationFactory,
    CompanyFactory,
    MetricFactory,
    ProductFactory,
    SourceFactory,
)

TEXT = "Mistral AI lance Le Chat. Le Chat compte un million d'utilisateurs."


def test_each_highlight_links_to_the_fact_it_supports(editor_browser):
    source = SourceFactory.create(text=TEXT, language="fr")
    mistral = CompanyFactory.create(name="Mistral AI")
    users = MetricFactory.create(value=Decimal("1000000"))
    first = CitationFactory.create(
        source=source, fact=mistral, quote="Mistral AI", char_start=0, char_end=10
    )
    start = TEXT.index("un million")
    second = CitationFactory.create(
        source=source, fact=users, quote="un million", char_start=start, char_end=start + 10
    )

    editor_browser.open(f"/admin/factbase/source/{source.pk}/change/")
    links = {
        int(link.get_attribute("data-citation")): link.get_attribute("href")
        for link in editor_browser.driver.find_elements(By.CSS_SELECTOR, "a.cite-ref")
    }
    base = editor_browser.base_url
    assert links == {
        first.pk: f"{base}/admin/companies/company/{mistral.pk}/change/",
        second.pk: f"{base}/admin/events/metric/{users.pk}/change/",
    }
    marks = editor_browser.driver.find_elements(By.CSS_SELECTOR, "mark.quote")
    assert [mark.text for mark in marks] == ["Mistral AI", "un million"]


def test_a_products_chart_draws_one_point_per_metric_the_api_lists(editor_browser, live_server):
    product = ProductFactory.create(name="Le Chat")
    ranks = MetricType.objects.get(slug="app-store-rank")
    for month, (downloads, rank) in enumerate([(100, 3), (250, 1), (400, 2)], start=1):
        period = {"period_start": datetime.date(2025, month, 1), "period_precision": "month"}
        MetricFactory.create(product=product, company=None, value=Decimal(downloads), **period)
        MetricFactory.create(
            product=product, company=None, metric_type=ranks, value=Decimal(rank), **period
        )

    editor_browser.open(f"/admin/companies/product/{product.pk}/change/")
    drawn = {
        int(point.get_attribute("data-metric"))
        for point in editor_browser.driver.find_elements(
            By.CSS_SELECTOR, "svg.metric-chart a.point"
        )
    }
    url = f"{live_server.url}/api/v1/metrics/?product={product.slug}&fields=id&limit=100"
    with urllib.request.urlopen(url) as response:
        listed = {row["id"] for row in json.load(response)["results"]}
    assert len(listed) == 6
    assert drawn == listed
    charts = editor_browser.driver.find_elements(By.CSS_SELECTOR, "svg.metric-chart")
    assert [chart.get_attribute("data-rank") for chart in charts].count("true") == 1


def test_the_api_docs_render_from_the_projects_own_files(browser):
    browser.open("/api/docs/")
    title = browser.wait_for(By.CSS_SELECTOR, ".swagger-ui .info .title")
    assert title.text.startswith("Factbase API")
    browser.wait_for(By.CSS_SELECTOR, ".swagger-ui .opblock")  # the operations, from the schema
    loaded = browser.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded, "nothing was loaded"
    elsewhere = [name for name in loaded if not name.startswith(browser.base_url)]
    assert elsewhere == []
