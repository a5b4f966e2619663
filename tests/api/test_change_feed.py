"""`/api/v1/changes/?after=<cursor>`: the change feed, oldest first in commit order, that a
program can follow without missing a change or reading one twice."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from companies.models import Company
from factbase.core.services import record_save

pytestmark = pytest.mark.django_db


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json() if status != 204 else None


def add(api, slug):
    body = {"name": slug.title(), "slug": slug, "kind": "technology"}
    return ok(api.post("/api/v1/companies/", body, format="json"), 201)


def feed(api, cursor, **params):
    return ok(api.get("/api/v1/changes/", {"after": cursor, **params}))


def follow(api, cursor, **params) -> tuple[list[dict], str]:
    """Every change after `cursor`, following `next`; and the cursor to go on from."""
    seen = []
    page = feed(api, cursor, **params)
    while True:
        seen += page["results"]
        if page["next"] is None:
            return seen, page["cursor"]
        page = ok(api.get(page["next"]))


def test_the_feed_gives_every_change_once_oldest_first(editor_api, anon_api):
    start = feed(anon_api, "0", limit=1000)["cursor"]  # the vocabulary's versions
    add(editor_api, "acme")
    ok(editor_api.patch("/api/v1/companies/acme/", {"note": "edited"}, format="json"))
    add(editor_api, "beta")
    ok(editor_api.delete("/api/v1/companies/acme/"), 204)

    seen, cursor = follow(anon_api, start, limit=2)
    assert [(c["action"], c["kind"], c["id"]) for c in seen] == [
        ("create", "companies", seen[0]["id"]),
        ("update", "companies", seen[0]["id"]),
        ("create", "companies", seen[2]["id"]),
        ("delete", "companies", seen[0]["id"]),
    ]
    cursors = [int(c["cursor"]) for c in seen]
    assert cursors == sorted(cursors) and len(set(cursors)) == 4
    assert cursor == seen[-1]["cursor"]
    # Nothing new: no rows, and the same cursor to ask again with.
    again = feed(anon_api, cursor)
    assert again["results"] == [] and again["cursor"] == cursor and again["next"] is None
    # The next change is the only one after it.
    add(editor_api, "gamma")
    later, _ = follow(anon_api, cursor)
    assert [c["action"] for c in later] == ["create"]
    assert {"field": "slug", "old": None, "new": "gamma"} in later[0]["changes"]
    # The newest-first log and the record's history show the same cursors.
    newest = ok(anon_api.get("/api/v1/changes/", {"kind": "companies", "limit": 5}))["results"]
    assert [c["cursor"] for c in newest[:5]] == [later[0]["cursor"], *map(str, reversed(cursors))]


def test_filters_apply_to_the_feed(editor_api, anon_api):
    start = feed(anon_api, "0", limit=1000)["cursor"]
    add(editor_api, "acme")
    ok(
        editor_api.post(
            "/api/v1/metrics/",
            {"company": "acme", "metric_type": "downloads", "qualifier": "exact", "value": "5"},
            format="json",
        ),
        201,
    )
    metrics, _ = follow(anon_api, start, kind="metrics")
    assert [c["kind"] for c in metrics] == ["metrics"]
    creates, _ = follow(anon_api, start, action="create")
    assert [c["kind"] for c in creates] == ["companies", "metrics"]


def test_the_feed_as_csv_follows_commit_order(editor_api, anon_api):
    start = feed(anon_api, "0", limit=1000)["cursor"]
    for slug in ("one", "two", "three"):
        add(editor_api, slug)
    response = anon_api.get("/api/v1/changes/", {"after": start, "format": "csv"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].endswith(",history_id,version,cursor")
    cursors = [int(line.rsplit(",", 1)[1]) for line in lines[1:]]
    assert len(cursors) == 3 and cursors == sorted(cursors)
    assert cursors[0] == int(start) + 1


@pytest.mark.parametrize(
    "params, name",
    [
        ({"after": "x"}, "after"),
        ({"after": "-1"}, "after"),
        ({"after": "99999999999999999999999"}, "after"),
        ({"after": "3", "offset": "10"}, "offset"),
    ],
)
def test_a_bad_cursor_is_a_400_naming_it(anon_api, params, name):
    response = anon_api.get("/api/v1/changes/", params)
    assert response.status_code == 400
    assert name in response.json()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's test database has one writer"
)
def test_a_change_that_commits_late_is_not_skipped(anon_api):
    """The case of a timestamp cursor's failure: a transaction writes company A, and
    commits seconds later; meanwhile another writes company B. A poller must see A, and
    then B, never B alone: B's writer waits at the change clock until A has committed, so
    the feed's order is the order of the commits, and whatever a poller sees is complete
    up to its cursor."""
    start = feed(anon_api, "0", limit=1000)["cursor"]
    a_written, a_may_commit = threading.Event(), threading.Event()
    b_started, b_done = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                record_save(Company(name="Slow", slug="slow", kind="technology"))
                a_written.set()
                a_may_commit.wait(timeout=30)
        finally:
            connections.close_all()

    def quick_writer():
        try:
            b_started.set()
            record_save(Company(name="Quick", slug="quick", kind="technology"))
            b_done.set()
        finally:
            connections.close_all()

    slow = threading.Thread(target=slow_writer)
    slow.start()
    assert a_written.wait(timeout=30)
    quick = threading.Thread(target=quick_writer)
    quick.start()
    assert b_started.wait(timeout=30)
    time.sleep(0.5)  # time enough for B to commit, were it not waiting for A
    assert not b_done.is_set()
    polled = feed(anon_api, start)
    assert polled["results"] == [] and polled["cursor"] == start
    a_may_commit.set()
    slow.join(timeout=30)
    quick.join(timeout=30)
    assert b_done.is_set()
    seen, _ = follow(anon_api, polled["cursor"])
    slugs = {c["id"]: s for s, c in zip(("slow", "quick"), seen, strict=False)}
    assert [c["action"] for c in seen] == ["create", "create"]
    assert [Company.objects.get(pk=pk).slug for pk in slugs] == ["slow", "quick"]


def test_a_status_set_in_bulk_is_in_the_feed(editor_api, anon_api, editor):
    """The admin's bulk actions (verify, dispute...) write their versions in bulk: they
    are numbered like any other, and dated at the instant the records say."""
    from factbase.core.services import facts_set_status

    for slug in ("one", "two"):
        add(editor_api, slug)
    start = feed(anon_api, "0", limit=1000)["cursor"]
    facts_set_status(
        Company.objects.filter(slug__in=["one", "two"]), status="disputed", user=editor
    )
    seen, _ = follow(anon_api, start)
    assert [(c["action"], c["changes"]) for c in seen] == [
        ("update", [{"field": "status", "old": "unverified", "new": "disputed"}])
    ] * 2
    for company in Company.objects.filter(slug__in=["one", "two"]):
        assert company.history.latest("history_date").history_date == company.updated_at


def test_a_batch_inside_a_batch_is_numbered_with_it(anon_api):
    """Writes in a batch opened inside another (an import that fills dollar values, say)
    hold their places in the outer one and are numbered with it: each version once, in
    the order written."""
    from factbase.core import feed as numbering

    start = feed(anon_api, "0", limit=1000)["cursor"]
    with numbering.batch("default"):
        record_save(Company(name="Outer", slug="outer", kind="technology"))
        with numbering.batch("default"):
            record_save(Company(name="Inner", slug="inner", kind="technology"))
        record_save(Company(name="After", slug="after", kind="technology"))
    seen, _ = follow(anon_api, start)
    slugs = {c.id: c.slug for c in Company.objects.all()}
    assert [slugs[c["id"]] for c in seen] == ["outer", "inner", "after"]
    assert all(int(c["cursor"]) > 0 for c in seen)


def test_a_status_set_in_bulk_inside_a_batch_keeps_its_place(anon_api, editor):
    """Versions written in bulk inside a batch (a status set while importing, say) are
    numbered with the batch, in the order written: not straight away, before the batch's
    earlier writes."""
    from factbase.core import feed as numbering
    from factbase.core.services import facts_set_status

    start = feed(anon_api, "0", limit=1000)["cursor"]
    with numbering.batch("default"):
        record_save(Company(name="First", slug="first", kind="technology"))
        record_save(Company(name="Second", slug="second", kind="technology"))
        facts_set_status(Company.objects.filter(slug="first"), status="disputed", user=editor)
        record_save(Company(name="Last", slug="last", kind="technology"))
    seen, _ = follow(anon_api, start)
    slugs = {c.id: c.slug for c in Company.objects.all()}
    assert [(c["action"], slugs[c["id"]]) for c in seen] == [
        ("create", "first"),
        ("create", "second"),
        ("update", "first"),
        ("create", "last"),
    ]
    cursors = [int(c["cursor"]) for c in seen]
    assert cursors == sorted(cursors) and cursors[0] > 0


def test_a_cursor_past_the_last_change_is_a_400(editor_api, anon_api):
    """A follower that went on from a cursor no change has yet (mistyped, or another
    database's) would skip every change numbered up to it: refused, naming the last."""
    add(editor_api, "acme")
    last = int(feed(anon_api, "0", limit=1000)["cursor"])
    assert feed(anon_api, str(last))["results"] == []
    said = f"No change has that cursor yet: the last is {last}."
    response = anon_api.get("/api/v1/changes/", {"after": str(last + 1)})
    assert response.status_code == 400, response.content
    assert response.json() == {"after": [said]}
    response = anon_api.get("/api/v1/changes/", {"after": str(last + 1), "format": "csv"})
    assert response.status_code == 400, response.content
    assert response.content.decode() == f"field,value\nafter,{said}\n"
    add(editor_api, "beta")  # the cursor refused a moment ago is now a change's
    (entry,) = feed(anon_api, str(last))["results"]
    assert int(entry["cursor"]) == last + 1
    assert feed(anon_api, str(last + 1))["results"] == []
