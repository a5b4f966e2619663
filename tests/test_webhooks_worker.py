"""The webhooks worker, for real: `manage.py webhooks_worker` and `manage.py runserver` as
processes of their own, on a database they share with this test, Celery on the Redis at
WEBHOOKS_BROKER_URL, and a receiver on loopback in a thread of the test. Changes are made
through the API; the receiver answers 500, then closes its port, then comes back; every
change arrives, in order, signed, and the delivery log shows the failed attempts. Then a
replay sends them again.

The database: this test's own (transactional, so that what it writes is committed). On
PostgreSQL the processes open it by name; SQLite's test database lives in this process's
memory, so it is copied to a file first (SQLite's backup), already migrated, for the
processes to share.
"""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.docs_runner import ROOT, base_env, free_port, wait_until_up
from tests.test_webhooks import Receiver, verified

pytestmark = pytest.mark.django_db(transaction=True)

BROKER = os.environ.get("WEBHOOKS_BROKER_URL", "redis://127.0.0.1:6379/0")
WAIT = 90  # seconds before a wait gives up and says what it was waiting for


def shared_database(tmp_path: Path) -> str:
    """A DATABASE_URL other processes can open, holding this test's database."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        path = tmp_path / "shared.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(path)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        return f"sqlite:///{path}"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host, port = settings.get("HOST") or "127.0.0.1", settings.get("PORT") or 5432
    return f"postgres://{settings['USER']}{password}@{host}:{port}/{settings['NAME']}"


def redis_or_fail():
    import redis

    client = redis.Redis.from_url(BROKER)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis is not reachable at {BROKER} ({error}): start redis-server.")
    return client


def forget_queue(client, queue: str) -> None:
    """Remove what the broker kept for the test's queue."""
    keys = [key for key in client.scan_iter(match=f"*{queue}*")]
    if keys:
        client.delete(*keys)
    for member in client.zrange("_kombu.binding_deadlines", 0, -1):
        if queue.encode() in member:
            client.zrem("_kombu.binding_deadlines", member)


@contextmanager
def process(name: str, args: list[str], env: dict, workdir: Path):
    """`manage.py <args>` in a process group of its own, ended with it (SIGTERM, then
    SIGKILL): its children (the worker's pool and scheduler) go with it."""
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        child.log_path = log_path
        try:
            yield child
        finally:
            # The main process first: a worker's warm shutdown ends its pool itself.
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=20)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)  # whatever of the group is left
            child.wait()


class Api:
    def __init__(self, port: int, token: str):
        self.base = f"http://127.0.0.1:{port}"
        self.token = token

    def __call__(self, method: str, path: str, body=None):
        request = urllib.request.Request(
            self.base + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def ok(self, method: str, path: str, body=None, status=(200, 201)):
        got, answer = self(method, path, body)
        assert got in status, (method, path, got, answer)
        return answer


def wait_for(what: str, check, processes):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        for child in processes:
            if child.poll() is not None:
                pytest.fail(f"{child.args[2]} stopped:\n{child.log_path.read_text()[-3000:]}")
        time.sleep(0.1)
    logs = "\n".join(child.log_path.read_text()[-2000:] for child in processes)
    pytest.fail(f"waited {WAIT}s for {what}\n{logs}")


def test_the_worker_delivers_every_change_in_order_through_a_receiver_outage(
    tmp_path, django_user_model
):
    client = redis_or_fail()
    user = django_user_model.objects.create_superuser("root", password="pw")
    token = Token.objects.create(user=user).key
    database_url = shared_database(tmp_path)
    port = free_port()
    queue = f"webhooks-test-{uuid.uuid4().hex[:12]}"
    env = base_env(database_url, tmp_path) | {
        "WEBHOOKS_BROKER_URL": BROKER,
        "WEBHOOKS_QUEUE": queue,
        "WEBHOOKS_POLL_SECONDS": "0.2",
        "WEBHOOKS_RETRY_BASE_SECONDS": "0.2",
        "WEBHOOKS_RETRY_MAX_SECONDS": "1",
        "WEBHOOKS_FAILING_AFTER": "3",
        "WEBHOOKS_TIMEOUT_SECONDS": "5",
        "WEBHOOKS_SITE_URL": f"http://127.0.0.1:{port}",
    }
    receiver = Receiver().start()
    with ExitStack() as stack:
        stack.callback(forget_queue, client, queue)
        stack.callback(receiver.stop)
        server = stack.enter_context(
            process(
                "server",
                ["runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
                env,
                tmp_path,
            )
        )
        worker = stack.enter_context(
            process("worker", ["webhooks_worker", "--concurrency=1"], env, tmp_path)
        )
        wait_until_up(port, server, server.log_path)
        running = [server, worker]
        api = Api(port, token)
        made = api.ok("POST", "/api/v1/webhooks/", {"target_url": receiver.url})
        url = f"/api/v1/webhooks/{made['id']}/"

        def company(slug):
            body = {"name": slug.title(), "slug": slug, "kind": "technology"}
            api.ok("POST", "/api/v1/companies/", body)

        def note(slug, text):
            api.ok("PATCH", f"/api/v1/companies/{slug}/", {"note": text})

        def attempts(**params):
            query = "&".join(f"{k}={v}" for k, v in {"limit": 1000, **params}.items())
            return api.ok("GET", f"{url}deliveries/?{query}")["results"]

        # Delivered as they come.
        company("acme")
        company("beta")
        note("acme", "one")
        wait_for("the first 3 changes", lambda: len(receiver.delivered()) >= 3, running)

        # The receiver fails: the subscription waits at its change, then is marked failing.
        receiver.status = 500
        note("beta", "two")
        note("acme", "three")
        wait_for(
            "3 attempts answered 500, and the subscription marked failing",
            lambda: (
                len(attempts(outcome="failed")) >= 3 and api.ok("GET", url)["state"] == "failing"
            ),
            running,
        )
        # Then its port is closed for a while.
        receiver.stop()
        company("gamma")
        wait_for(
            "an attempt that could not connect",
            lambda: any(a["status_code"] is None for a in attempts(outcome="failed")),
            running,
        )

        # It comes back: everything arrives.
        receiver.status = 200
        receiver.start()
        feed = api.ok("GET", f"/api/v1/changes/?after={made['cursor']}&limit=1000")["results"]
        assert len(feed) == 6
        wanted = [entry["cursor"] for entry in feed]

        def arrived():
            unique = {d["delivery"]: d["cursor"] for d in receiver.delivered()}
            return list(unique.values()) == wanted

        wait_for("every change, once the receiver is back", arrived, running)
        delivered = receiver.delivered()
        cursors = [int(d["cursor"]) for d in delivered]
        assert cursors == sorted(cursors)  # in order (at least once: a repeat stays in place)
        by_record = {}
        for sent in delivered:
            by_record.setdefault((sent["kind"], sent["id"]), []).append(int(sent["cursor"]))
        assert all(seq == sorted(seq) for seq in by_record.values())
        first_ids = {sent["delivery"] for sent in delivered}
        entries = {entry["cursor"]: entry for entry in feed}
        for sent in delivered:
            request = sent.pop("_request")
            assert verified(made["secret"], request["headers"], request["body"])
            assert request["headers"]["X-Factbase-Delivery"] == sent.pop("delivery")
            assert sent.pop("subscription") == made["id"]
            assert sent == entries[sent["cursor"]]  # exactly what the feed shows

        # The delivery log: the attempts answered 500 and those refused, at the change the
        # subscription waited at, numbered; then delivered, and the subscription is well.
        log = attempts()
        stuck = wanted[3]
        failed = [a for a in log if a["outcome"] == "failed"]
        assert {a["cursor"] for a in failed} == {stuck}
        assert {a["status_code"] for a in failed} == {500, None}
        assert any("refused" in a["error"].lower() for a in failed if a["status_code"] is None)
        numbers = sorted(a["attempt"] for a in failed)
        assert numbers == list(range(1, len(failed) + 1))
        assert all(a["duration_ms"] >= 0 and a["at"] for a in log)
        state = api.ok("GET", url)
        assert (state["state"], state["failures"], state["cursor"]) == ("ok", 0, wanted[-1])

        # A replay from the second change sends the rest again, in order, as new deliveries.
        before = len(delivered)
        api.ok("POST", f"{url}replay/", {"after": wanted[1]})
        wait_for(
            "the replayed changes",
            lambda: [d["cursor"] for d in receiver.delivered()[before:]] == wanted[2:],
            running,
        )
        replayed = receiver.delivered()[before:]
        assert not first_ids & {d["delivery"] for d in replayed}
        for sent in replayed:
            assert verified(made["secret"], sent["_request"]["headers"], sent["_request"]["body"])
