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
# `detail` the first record. A list or detail reads its rows, then each related table once
# for the page (factbase/api/rows.py): more queries than one joining everything, each
# planned in a fraction of the time. Funding rounds have no rows in the demo data, so no
# detail.
READS = {
    ("citations", "csv"): 1,
    ("citations", "detail"): 2,
    ("citations", "list"): 10,
    ("companies", "csv"): 1,
    ("companies", "detail"): 5,
    ("companies", "list"): 7,
    ("events", "csv"): 1,
    ("events", "detail"): 6,
    ("events", "list"): 9,
    ("funding-rounds", "csv"): 1,
    ("funding-rounds", "list"): 1,
    ("investments", "csv"): 1,
    ("investments", "detail"): 4,
    ("investments", "list"): 5,
    ("metric-types", "csv"): 1,
    ("metric-types", "detail"): 1,
    ("metric-types", "list"): 2,
    ("metrics", "csv"): 1,
    ("metrics", "detail"): 5,
    ("metrics", "list"): 8,
    ("partnerships", "csv"): 1,
    ("partnerships", "detail"): 7,
    ("partnerships", "list"): 8,
    ("people", "csv"): 1,
    ("people", "detail"): 5,
    ("people", "list"): 6,
    ("platforms", "csv"): 1,
    ("platforms", "detail"): 1,
    ("platforms", "list"): 2,
    ("products", "csv"): 1,
    ("products", "detail"): 5,
    ("products", "list"): 6,
    ("sources", "csv"): 1,
    ("sources", "detail"): 1,
    ("sources", "list"): 2,
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
