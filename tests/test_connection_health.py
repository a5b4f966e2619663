"""A kept database connection is checked before each request uses it (CONN_HEALTH_CHECKS),
without a round trip when its server has said nothing (factbase/core/postgresql/base.py).

Requests go through the WSGI application itself: Django's test client leaves out the
request signals that run the check."""

import io
import select
import sys
import time
from unittest import mock

import psycopg
import pytest
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connection

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend's"),
    pytest.mark.django_db(transaction=True),
]

PATH = "/api/v1/metric-types/"


@pytest.fixture
def kept(monkeypatch):
    """The test's connection kept from one request to the next, as the server keeps it."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    connection.close()  # opened again with the age above
    yield
    connection.close()


def get(path: str) -> tuple[str, list[str]]:
    """The status of an anonymous GET of `path`, and the statements it sent."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "HTTP_ACCEPT": "application/json",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
    }
    sent, statuses = [], []
    execute = psycopg.Cursor.execute

    def spy(cursor, query, *args, **kwargs):
        sent.append(str(query))
        return execute(cursor, query, *args, **kwargs)

    with mock.patch.object(psycopg.Cursor, "execute", spy):
        body = get_wsgi_application()(environ, lambda status, headers: statuses.append(status))
        b"".join(body)
        body.close()  # request_finished, as a server sends it
    return statuses[0], sent


def backend_pid() -> int:
    return connection.connection.info.backend_pid


def other_connection():
    return psycopg.connect(**connection.get_connection_params(), autocommit=True)


def wait_until_readable() -> None:
    """Until what the server sent has reached the kept connection's socket."""
    poller = select.poll()
    poller.register(connection.connection.pgconn.socket, select.POLLIN)
    deadline = time.monotonic() + 5
    while not poller.poll(50):
        assert time.monotonic() < deadline, "nothing arrived on the connection"


def test_a_healthy_kept_connection_is_used_without_a_select_1(kept):
    assert get(PATH)[0] == "200 OK"  # the connection opened (a new one needs no check)
    pid = backend_pid()
    for _ in range(3):
        status, sent = get(PATH)
        assert status == "200 OK"
        assert sent, "the request read nothing"
        assert "SELECT 1" not in sent
        assert backend_pid() == pid  # the same connection, kept


def test_a_connection_its_server_ended_is_replaced_before_the_request_uses_it(kept):
    assert get(PATH)[0] == "200 OK"
    pid = backend_pid()
    with other_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", (pid,))
    wait_until_readable()

    status, sent = get(PATH)

    assert status == "200 OK"
    assert backend_pid() != pid
    # Asked, found closed, replaced: and the new connection got the anonymous statement
    # timeout before the request's first read (the check runs before it is set).
    assert sent[0] == "SELECT 1"
    timeout = f"SET statement_timeout = {settings.ANON_STATEMENT_TIMEOUT_MS}"
    assert timeout in sent
    first_read = next(i for i, q in enumerate(sent) if "events_metrictype" in q)
    assert sent.index(timeout) < first_read
    (shown,) = connection.connection.execute("SHOW statement_timeout").fetchone()
    assert shown != "0"


def test_a_connection_with_something_to_read_is_asked_and_kept_when_it_answers(kept):
    assert get(PATH)[0] == "200 OK"
    pid = backend_pid()
    connection.connection.execute("LISTEN factbase_health_test")
    with other_connection() as other:
        other.execute("NOTIFY factbase_health_test")
    wait_until_readable()

    status, sent = get(PATH)

    assert status == "200 OK"
    assert sent[0] == "SELECT 1"  # a notice, not the end: asked, and it answered
    assert backend_pid() == pid
    connection.connection.execute("UNLISTEN *")


def test_a_connection_left_in_a_failed_transaction_is_asked_and_replaced(kept):
    assert get(PATH)[0] == "200 OK"
    pid = backend_pid()
    raw = connection.connection
    raw.execute("BEGIN")
    with pytest.raises(psycopg.errors.DivisionByZero):
        raw.execute("SELECT 1 / 0")

    status, sent = get(PATH)

    assert status == "200 OK"  # not the failed transaction's error
    assert sent[0] == "SELECT 1"
    assert backend_pid() != pid
