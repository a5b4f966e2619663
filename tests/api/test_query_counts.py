"""A page costs the same number of queries for 5 rows and for 500 (the per-endpoint tests
in base.py compare 5 and 50 rows; this one goes to 500 on the busiest endpoint)."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Metric, MetricType
from factbase.core.models import Citation

from ..factories import CompanyFactory, SourceFactory

pytestmark = pytest.mark.django_db


def add_metrics(count, company, source, metric_type):
    metrics = Metric.objects.bulk_create(
        Metric(
            metric_type=metric_type,
            unit=metric_type.unit_kind,
            company=company,
            value=Decimal(i),
            qualifier="exact",
            region="FR",
        )
        for i in range(count)
    )
    content_type = ContentType.objects.get_for_model(Metric)
    Citation.objects.bulk_create(
        Citation(source=source, content_type=content_type, object_id=m.pk, quote="Acme Robotics")
        for m in metrics
    )


def queries_for_page(client, path):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(response.json()["results"]), len(captured)


def test_metrics_page_of_5_and_of_500_rows_cost_the_same(anon_api):
    metric_type = MetricType.objects.get(slug="downloads")
    company, source = CompanyFactory(), SourceFactory()
    path = "/api/v1/metrics/?limit=500&region=FR&metric_type=downloads"
    queries_for_page(anon_api, path)  # per-process caches (content types)
    add_metrics(5, company, source, metric_type)
    rows_small, queries_small = queries_for_page(anon_api, path)
    add_metrics(495, company, source, metric_type)
    rows_large, queries_large = queries_for_page(anon_api, path)
    assert (rows_small, rows_large) == (5, 500)
    assert queries_large == queries_small
