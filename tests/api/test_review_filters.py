"""The filters editors and consumers review facts with: facts with or without citations,
backed by at most N independent sources, and metrics by their window."""

import pytest

from ..factories import (
    CitationFactory,
    CompanyFactory,
    EventFactory,
    MetricFactory,
    ProductFactory,
    SourceFactory,
)
from .base import results

pytestmark = pytest.mark.django_db


def ids(client, url) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return {row["id"] for row in results(response)}


def test_facts_with_and_without_citations(anon_api):
    cited, uncited = CompanyFactory(), CompanyFactory()
    CitationFactory(fact=cited)
    assert ids(anon_api, "/api/v1/companies/?has_citations=true") == {cited.pk}
    assert ids(anon_api, "/api/v1/companies/?has_citations=false") == {uncited.pk}
    response = anon_api.get("/api/v1/companies/?has_citations=maybe")
    assert response.status_code == 400
    assert "has_citations" in response.json()


def test_facts_backed_by_at_most_n_independent_sources(anon_api):
    none, one, two = CompanyFactory(), CompanyFactory(), CompanyFactory()
    CitationFactory(fact=one, source=SourceFactory(publisher="A"))
    CitationFactory(fact=one, source=SourceFactory(publisher="A"))  # the same publisher
    CitationFactory(fact=two, source=SourceFactory(publisher="A"))
    CitationFactory(fact=two, source=SourceFactory(publisher="B"))
    assert ids(anon_api, "/api/v1/companies/?source_count_max=0") == {none.pk}
    assert ids(anon_api, "/api/v1/companies/?source_count_max=1") == {none.pk, one.pk}
    assert ids(anon_api, "/api/v1/companies/?source_count_max=2") == {none.pk, one.pk, two.pk}
    both = "/api/v1/companies/?source_count_min=1&source_count_max=1"
    assert ids(anon_api, both) == {one.pk}
    assert anon_api.get("/api/v1/companies/?source_count_max=-1").status_code == 400


def test_metrics_within_14_days_of_a_launch(anon_api):
    product = ProductFactory()
    summit = EventFactory()
    week = MetricFactory(
        product=product, company=None, window_days=7, window_anchor="launch", period_start=None
    )
    fortnight = MetricFactory(
        product=product, company=None, window_days=14, window_anchor="launch", period_start=None
    )
    after_event = MetricFactory(
        product=product,
        company=None,
        window_days=14,
        window_anchor="event",
        anchor_event=summit,
        period_start=None,
    )
    dated = MetricFactory()
    url = "/api/v1/metrics/"
    assert ids(anon_api, f"{url}?window_days_max=14&window_anchor=launch") == {
        week.pk,
        fortnight.pk,
    }
    assert ids(anon_api, f"{url}?window_days=14") == {fortnight.pk, after_event.pk}
    assert ids(anon_api, f"{url}?anchor_event={summit.pk}") == {after_event.pk}
    assert dated.pk not in ids(anon_api, f"{url}?window_anchor=launch,event")
    response = anon_api.get(f"{url}?window_anchor=sunrise")
    assert response.status_code == 400
    assert "window_anchor" in response.json()
