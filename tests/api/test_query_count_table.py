"""How many queries each endpoint costs, pinned per endpoint on the demo data (as NetBox
pins its own): a change that adds a query anywhere, or one per row, shows here as a changed
number. Lowering a number is welcome: update the table in the same commit. The counts are
the same on SQLite and PostgreSQL. (tests/api/test_query_counts.py checks that a page of
500 rows costs what a page of 5 does.)"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Metric
from factbase.core.kinds import kinds

from .base import NEW_COMPANY

pytestmark = pytest.mark.django_db

# (endpoint, request) -> queries. `list` is the first page, `csv` the whole CSV streamed,
# `detail` the first record. Funding rounds have no rows in the demo data, so no detail.
READS = {
    ("citations", "list"): 10,
    ("citations", "csv"): 1,
    ("citations", "detail"): 2,
    ("companies", "list"): 5,
    ("companies", "csv"): 1,
    ("companies", "detail"): 4,
    ("events", "list"): 6,
    ("events", "csv"): 1,
    ("events", "detail"): 5,
    ("funding-rounds", "list"): 1,
    ("funding-rounds", "csv"): 1,
    ("investments", "list"): 3,
    ("investments", "csv"): 1,
    ("investments", "detail"): 2,
    ("metric-types", "list"): 2,
    ("metric-types", "csv"): 1,
    ("metric-types", "detail"): 1,
    ("metrics", "list"): 3,
    ("metrics", "csv"): 1,
    ("metrics", "detail"): 2,
    ("partnerships", "list"): 5,
    ("partnerships", "csv"): 1,
    ("partnerships", "detail"): 4,
    ("people", "list"): 4,
    ("people", "csv"): 1,
    ("people", "detail"): 3,
    ("platforms", "list"): 2,
    ("platforms", "csv"): 1,
    ("platforms", "detail"): 1,
    ("products", "list"): 4,
    ("products", "csv"): 1,
    ("products", "detail"): 3,
    ("sources", "list"): 2,
    ("sources", "csv"): 1,
    ("sources", "detail"): 1,
}

# Writes by an editor. A PATCH reads the record more than once and writes its citations
# one by one: the read-path issue brings the first under 25.
WRITES = {
    "PATCH a metric's note": 65,
    "PATCH a metric's note with its citation unchanged": 78,
    "POST a company": 21,
}


def count(client, method, path, body=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(path, body, format="json")
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code in (200, 201), (path, response.content)
    return len(captured)


def test_reads_cost_what_the_table_says(anon_api):
    call_command("load_demo", verbosity=0)
    measured = {}
    for kind in kinds():
        if not kind.endpoint:
            continue
        paths = {"list": f"/api/v1/{kind.name}/", "csv": f"/api/v1/{kind.name}/?format=csv"}
        first = kind.model._default_manager.order_by("pk").first()
        if first is not None:
            paths["detail"] = f"/api/v1/{kind.name}/{first.pk}/"
        for label, path in paths.items():
            anon_api.get(path)  # per-process caches (content types) filled first
            measured[kind.name, label] = count(anon_api, "get", path)
    assert measured == READS


def test_writes_cost_what_the_table_says(editor_api):
    call_command("load_demo", verbosity=0)
    metric = Metric.objects.filter(citations__isnull=False).order_by("pk").first()
    path = f"/api/v1/metrics/{metric.pk}/"
    citations = [
        {"id": c["id"], "source": c["source"]["id"], "quote": c["quote"]}
        for c in editor_api.get(path).json()["citations"]
    ]
    assert len(citations) == 1
    measured = {
        "PATCH a metric's note": count(editor_api, "patch", path, {"note": "checked"}),
        "PATCH a metric's note with its citation unchanged": count(
            editor_api, "patch", path, {"note": "again", "citations": citations}
        ),
        "POST a company": count(
            editor_api, "post", "/api/v1/companies/", {**NEW_COMPANY, "slug": "new-co"}
        ),
    }
    assert measured == WRITES
