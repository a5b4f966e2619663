"""How many queries each endpoint costs, pinned per endpoint on the demo data (as NetBox
pins its own): a change that adds a query anywhere, or one per row, shows here as a changed
number. Lowering a number is welcome: update the table in the same commit. The table holds
SQLite's counts; where PostgreSQL's differ, the tables below it say by how much and why.
(tests/api/test_query_counts.py checks that a page of 500 rows costs what a page of 5
does.)"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from events.models import Metric
from factbase.core.kinds import kinds

from .base import NEW_COMPANY

pytestmark = pytest.mark.django_db

# (endpoint, request) -> queries. `list` is the first page, `csv` the whole CSV streamed,
# `detail` the first record. A list or detail reads its rows, then each related table once
# for the page (factbase/api/rows.py): more queries than one joining everything, each
# planned in a fraction of the time. Funding rounds have no rows in the demo data, so no
# detail. A list whose page is not full counts nothing: its rows are the count.
READS = {
    ("citations", "csv"): 1,
    ("citations", "detail"): 3,
    # The page, its count, the facts it cites (one query a kind: seven in the demo data,
    # a role's person besides), their sources and the people quoted.
    ("citations", "list"): 12,
    ("companies", "csv"): 1,
    ("companies", "detail"): 5,
    ("companies", "list"): 6,
    ("events", "csv"): 1,
    ("events", "detail"): 6,
    ("events", "list"): 8,
    ("funding-rounds", "csv"): 1,
    ("funding-rounds", "list"): 1,
    ("investments", "csv"): 1,
    ("investments", "detail"): 4,
    ("investments", "list"): 4,
    ("metric-types", "csv"): 1,
    ("metric-types", "detail"): 1,
    ("metric-types", "list"): 1,
    ("metrics", "csv"): 1,
    ("metrics", "detail"): 5,
    ("metrics", "list"): 7,
    ("partnerships", "csv"): 1,
    ("partnerships", "detail"): 7,
    ("partnerships", "list"): 7,
    ("people", "csv"): 1,
    ("people", "detail"): 6,
    ("people", "list"): 6,
    ("platforms", "csv"): 1,
    ("platforms", "detail"): 1,
    ("platforms", "list"): 1,
    ("products", "csv"): 1,
    ("products", "detail"): 6,
    ("products", "list"): 6,
    ("sources", "csv"): 1,
    ("sources", "detail"): 1,
    ("sources", "list"): 1,
}
# On PostgreSQL a full first page of a whole table first asks the planner how many rows
# it has (factbase/api/pagination.py), then counts them when they are few.
POSTGRESQL_ESTIMATES = {("citations", "list")}
# On PostgreSQL the records a page shows in brief come in one statement for all their
# models (factbase/api/rows.py briefs_of), with those its citations show when the page
# shows records in brief itself (a metric's company and a citation's source, say): the
# queries that saves, where a page shows more than one model in brief.
POSTGRESQL_BRIEFS_SAVE = {
    ("citations", "list"): 7,  # the facts of every kind in one, the sources and people in one
    ("companies", "list"): 1,
    ("events", "list"): 1,
    ("investments", "detail"): 1,
    ("investments", "list"): 1,
    ("metrics", "detail"): 2,
    ("metrics", "list"): 4,
    ("partnerships", "detail"): 1,
    ("partnerships", "list"): 1,
    ("products", "detail"): 1,
    ("products", "list"): 1,
}
# On PostgreSQL a CSV's COPY runs in a transaction of its own that turns JIT compilation
# off for it (factbase/api/csv_export.py): the setting, and here, inside the test's
# transaction, the savepoint around it and its release (a request's BEGIN and COMMIT are
# not statements Django counts).
POSTGRESQL_CSV_TRANSACTION = 3

# Writes by an editor (whose permissions a request reads first: 2 queries more, not
# counted here). A PATCH reads the record once, under its row lock, with its lists, and
# writes the rows that change: a citation given with the values it holds costs nothing,
# one that changes is read under its lock, checked against its source's text and written
# with its history record. The response shows the lists the write left alone as read.
# Each history record takes its number in the change feed (1 each, factbase.core.feed); on
# PostgreSQL a write's transaction also takes the feed's clock before any row lock (1, once
# a transaction: the test's transaction has taken it already, a request's pays it).
WRITES = {
    # A verified fact must keep a citation: a write that does not send them asks the
    # database whether it still has one (1); one that sends them has them at hand.
    "PATCH a metric's note": 10,
    "PATCH a metric's note with its citation unchanged": 9,
    "PATCH a metric's note with two citations unchanged": 9,
    # The record is written only if a row changes: its write waits in a savepoint (2).
    "PATCH changing one of two citations": 17,
    # The duplicate check reads the names and the aliases close to the new one (2).
    "POST a company": 12,
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
    if connection.vendor == "postgresql":
        for key in POSTGRESQL_ESTIMATES:
            measured[key] -= 1
        for key, saved in POSTGRESQL_BRIEFS_SAVE.items():
            measured[key] += saved
        for key in measured:
            if key[1] == "csv":
                measured[key] -= POSTGRESQL_CSV_TRANSACTION
    assert measured == READS


# What a page or a record costs in the forms that show less (`fields=`, `brief=1`): the
# rows alone, and only the related tables the fields shown need (factbase/api/rows.py
# Reader). The same on both databases.
SHAPED_READS = {
    "metrics/?fields=id,value,region": 1,
    "metrics/?brief=1": 1,
    "metrics/<first>/?brief=1": 1,
    "metrics/<first>/?fields=id,value": 1,
    "metrics/?fields=id,company": 2,  # and the companies, in brief
    "metrics/?fields=id,citations": 3,  # and the citations, with their sources in brief
}


def test_a_form_that_shows_less_reads_less(anon_api):
    call_command("load_demo", verbosity=0)
    first = Metric.objects.order_by("pk").first().pk
    measured, statements = {}, {}
    for form in SHAPED_READS:
        path = f"/api/v1/{form.replace('<first>', str(first))}"
        anon_api.get(path)  # per-process caches (content types) filled first
        with CaptureQueriesContext(connection) as captured:
            assert anon_api.get(path).status_code == 200, path
        measured[form] = len(captured)
        statements[form] = " ".join(query["sql"] for query in captured)
    assert measured == SHAPED_READS
    # Nothing of the citations or of a related record unless the fields shown are theirs.
    for form, sql in statements.items():
        assert ("factbase_citation" in sql) == ("citations" in form), form
        assert ("companies_company" in sql) == form.endswith("company"), form


def cited_metric(client, citations: int) -> tuple[str, list[dict]]:
    """The path of the first demo metric with that many citations, and its citations as a
    client sends them back."""
    metric = (
        Metric.objects.annotate(cited=Count("citations"))
        .filter(cited=citations)
        .order_by("pk")
        .first()
    )
    path = f"/api/v1/metrics/{metric.pk}/"
    rows = [
        {"id": c["id"], "source": c["source"]["id"], "quote": c["quote"]}
        for c in client.get(path).json()["citations"]
    ]
    return path, rows


def test_writes_cost_what_the_table_says(editor, editor_api):
    call_command("load_demo", verbosity=0)
    editor.get_all_permissions()  # a request reads them (2 queries); the test's user keeps them
    path, citations = cited_metric(editor_api, 1)
    path2, (first, second) = cited_metric(editor_api, 2)
    measured = {
        "PATCH a metric's note": count(editor_api, "patch", path, {"note": "checked"}),
        "PATCH a metric's note with its citation unchanged": count(
            editor_api, "patch", path, {"note": "again", "citations": citations}
        ),
        "PATCH a metric's note with two citations unchanged": count(
            editor_api, "patch", path2, {"note": "twice", "citations": [first, second]}
        ),
        "PATCH changing one of two citations": count(
            editor_api,
            "patch",
            path2,
            {"citations": [first, {**second, "translation": "Checked again."}]},
        ),
        # A name the demo data has not: a likely duplicate is refused (409).
        "POST a company": count(
            editor_api,
            "post",
            "/api/v1/companies/",
            {**NEW_COMPANY, "name": "Globex Robotics", "slug": "new-co"},
        ),
    }
    assert measured == WRITES
