"""Past one machine, measured: how fast a mirror applies an origin's changes, and how long
a change takes to reach a webhook receiver.

    python benchmarks/feed_bench.py [--changes 300] [--hooks 40]

On the PostgreSQL server of PG_URL (default postgres://postgres@127.0.0.1:5432/postgres):
two throwaway databases, an origin with the demo data served by `manage.py runserver`, and
a mirror of it (`manage.py mirror --once`); then the webhooks worker (Celery on the Redis at
WEBHOOKS_BROKER_URL) delivering to a receiver on loopback. The databases are dropped at the
end. Prints one line per measurement (docs/benchmarks.md records them).
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
SERVER = PG_URL.rsplit("/", 1)[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(database: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"{SERVER}/{database}",
        "DEBUG": "true",
        "THROTTLE_ANON": "off",
        "THROTTLE_USER": "off",
        "THROTTLE_EXPORT": "off",
        "WEBHOOKS_POLL_SECONDS": os.environ.get("WEBHOOKS_POLL_SECONDS", "1"),
    }


def manage(database: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment(database),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@contextmanager
def database(name: str):
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def running(database: str, *args: str):
    child = subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment(database),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield child
    finally:
        os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def call(base: str, token: str, method: str, path: str, body=None):
    request = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


def wait_until(check, what: str, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise SystemExit(f"gave up waiting for {what}")


class Receiver:
    """Records the moment each delivery arrives."""

    def __init__(self):
        self.arrivals: list[tuple[float, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.arrivals.append((time.monotonic(), json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def metrics(base: str, token: str) -> list[int]:
    return [
        row["id"]
        for row in call(base, token, "GET", "/api/v1/metrics/?limit=1000&fields=id")["results"]
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=300, help="changes the mirror applies")
    parser.add_argument("--hooks", type=int, default=40, help="changes delivered to a webhook")
    options = parser.parse_args()
    run = uuid.uuid4().hex[:8]
    with ExitStack() as stack:
        origin = stack.enter_context(database(f"fb_feedbench_origin_{run}"))
        copy = stack.enter_context(database(f"fb_feedbench_mirror_{run}"))
        for name in (origin, copy):
            manage(name, "migrate", "--noinput", "-v", "0")
        manage(origin, "load_demo")
        manage(origin, "setup_groups", "--add", "bench", "editor")
        token = manage(origin, "api_token", "bench").strip()
        os.environ["DJANGO_SUPERUSER_PASSWORD"] = "bench-only-password"
        manage(origin, "createsuperuser", "--noinput", "--username", "ops", "--email", "o@x.org")
        ops = manage(origin, "api_token", "ops").strip()
        port = free_port()
        stack.enter_context(running(origin, "runserver", "--noreload", f"127.0.0.1:{port}"))
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _up(base), "the origin server")

        # A mirror: caught up once (the snapshot), then timed applying `changes` edits.
        manage(copy, "mirror", "--from", base, "--once", "--token", ops)
        ids = metrics(base, token)
        for i in range(options.changes):
            call(base, token, "PATCH", f"/api/v1/metrics/{ids[i % len(ids)]}/", {"note": f"n{i}"})
        started = time.perf_counter()
        manage(copy, "mirror", "--from", base, "--once", "--token", ops)
        seconds = time.perf_counter() - started
        print(
            f"mirror: {options.changes} changes applied in {seconds:.2f} s "
            f"({options.changes / seconds:,.0f} changes/s, the command's start included)"
        )

        # Webhooks: the time from a write's answer to its delivery's arrival.
        receiver = Receiver()
        call(
            base,
            ops,
            "POST",
            "/api/v1/webhooks/",
            {"target_url": f"http://127.0.0.1:{receiver.port}/", "kinds": ["metrics"]},
        )
        stack.enter_context(running(origin, "webhooks_worker", "--loglevel", "WARNING"))
        time.sleep(3)  # the worker connects and its scheduler starts
        answered = []
        for i in range(options.hooks):
            call(base, token, "PATCH", f"/api/v1/metrics/{ids[i % len(ids)]}/", {"note": f"h{i}"})
            answered.append(time.monotonic())
            time.sleep(0.25)
        wait_until(lambda: len(receiver.arrivals) >= options.hooks, "every delivery")
        latencies = [
            (arrived - sent) * 1000
            for (arrived, _), sent in zip(receiver.arrivals, answered, strict=False)
        ]
        print(
            f"webhooks: {options.hooks} changes, latency from the write's answer to the "
            f"receiver: median {statistics.median(latencies):.0f} ms, "
            f"p90 {statistics.quantiles(latencies, n=10)[-1]:.0f} ms, "
            f"max {max(latencies):.0f} ms (WEBHOOKS_POLL_SECONDS "
            f"{environment(origin)['WEBHOOKS_POLL_SECONDS']})"
        )


def _up(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=2):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    main()
