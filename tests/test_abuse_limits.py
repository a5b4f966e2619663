"""Limits that keep one client from taking the service from others: API rate limits,
the admin's login lockout, the snapshot quota, the anonymous statement timeout, and the
Content-Security-Policy of every page (docs/security.md)."""

import re
import runpy
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from rest_framework.throttling import SimpleRateThrottle

from factbase.core.models import Snapshot
from factbase.middleware import AnonymousStatementTimeout

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(monkeypatch):
    """Small rates, so that a test reaches them in a few requests."""

    def set_rates(**scopes):
        monkeypatch.setattr(
            SimpleRateThrottle,
            "THROTTLE_RATES",
            {"anon": None, "user": None, "export": None, **scopes},
        )

    return set_rates


def test_anonymous_reads_past_the_rate_are_429_with_retry_after(rates, anon_api):
    rates(anon="3/min")
    statuses = [anon_api.get("/api/v1/companies/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = anon_api.get("/api/v1/companies/")
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.json()["detail"].lower()


def test_each_user_has_a_rate_of_their_own(rates, editor_api, viewer_api):
    rates(user="2/min")
    assert [editor_api.get("/api/v1/companies/").status_code for _ in range(3)] == [200, 200, 429]
    assert viewer_api.get("/api/v1/companies/").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/metrics/", "/api/v1/changes/"])
def test_csv_exports_count_against_the_stricter_export_scope(rates, anon_api, path):
    rates(anon="100/min", export="2/hour")
    csv = [anon_api.get(path, {"format": "csv"}).status_code for _ in range(3)]
    assert csv == [200, 200, 429]
    # Page reads are not exports: they go on.
    assert anon_api.get(path).status_code == 200


def test_snapshots_per_user_per_hour_are_bounded(settings, editor_api, editor, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SNAPSHOT_QUOTA_PER_HOUR = 2
    assert editor_api.post("/api/v1/snapshots/").status_code == 201
    assert editor_api.post("/api/v1/snapshots/").status_code == 201
    refused = editor_api.post("/api/v1/snapshots/")
    assert refused.status_code == 429
    assert "2 snapshots in the last hour" in refused.json()["detail"]
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert Snapshot.objects.filter(created_by=editor).count() == 2


def test_the_admin_snapshot_button_keeps_the_same_quota(settings, client, editor, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SNAPSHOT_QUOTA_PER_HOUR = 1
    client.force_login(editor)
    take = reverse("admin:factbase_snapshot_take")
    client.post(take)
    page = client.post(take, follow=True)
    assert "1 snapshots in the last hour" in page.content.decode()
    assert Snapshot.objects.count() == 1


def login(client, password):
    page = client.get("/admin/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "editor", "password": password, "csrfmiddlewaretoken": token.decode()},
    )


def test_admin_logins_lock_after_repeated_wrong_passwords(settings, editor):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "wrong").status_code == 200  # the form again, with its error
    assert login(client, "wrong").status_code == 429  # the last failure allowed locks
    locked = login(client, "pw")  # the right password, too late
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    assert "_auth_user_id" not in client.session

    call_command("axes_reset")
    assert login(client, "pw").status_code == 302
    assert client.session["_auth_user_id"] == str(editor.pk)


def test_every_page_has_a_content_security_policy(client, editor):
    client.force_login(editor)
    for url in ["/admin/", "/api/v1/", "/api/v1/companies/?format=api", "/api/docs/"]:
        policy = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in policy, url
        assert "frame-ancestors 'none'" in policy, url


def test_swagger_ui_loads_nothing_from_another_site(client):
    page = client.get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources, page
    assert all(source.startswith("/") for source in sources), sources
    assert "<script>" not in page  # its start-up script is a file too, as CSP asks
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert b"SwaggerUIBundle" in script.content


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statement_timeout")
@pytest.mark.django_db(transaction=True)  # a cancelled statement ends its transaction
def test_a_slow_anonymous_read_is_cut_by_the_statement_timeout(settings, anon_api, token_api):
    settings.ANON_STATEMENT_TIMEOUT_MS = 50
    connection._statement_timeout = None  # the session's setting, as a new connection's

    def slow(execute, sql, params, many, context):
        if "companies_company" in sql:
            execute("SELECT pg_sleep(0.2)", None, False, context)
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(slow):
            refused = anon_api.get("/api/v1/companies/")
            assert refused.status_code == 503
            assert "0.05 s allowed to anonymous requests" in refused.json()["detail"]
            assert refused["Retry-After"]
            # A reader with a token is not bounded by it.
            assert token_api.get("/api/v1/companies/").status_code == 200
    finally:
        AnonymousStatementTimeout.set_timeout(connection, 0)  # the test database is flushed next


def test_gunicorn_never_cuts_a_long_export_nor_queues_behind_one():
    """Threaded workers: `timeout` is the worker's heartbeat, not a limit on a request, so
    a CSV that streams for minutes is not killed mid-file; a worker takes a connection only
    when a thread is free, so /healthz never waits behind two exports in one worker.
    (Measured under gunicorn in docs/benchmarks.md#hardening.)"""
    config = runpy.run_path(str(Path(settings.BASE_DIR) / "gunicorn.conf.py"))
    assert config["worker_class"] == "gthread"
    assert config["threads"] >= 2
    assert config["worker_connections"] == config["threads"]
    assert config["keepalive"] == 0
