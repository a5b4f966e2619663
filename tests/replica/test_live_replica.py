"""Read replicas for real: the app served (runserver, started as tests/docs_runner.py starts
it) on a throwaway database of the primary with the demo data, DATABASE_REPLICA_URLS naming
the same database on a streaming replica of that primary, and checked through HTTP.

REPLICA_URL names the replica's server (`postgres://postgres@127.0.0.1:5433`, as
`.ci/replica start` prints it): a hot standby of the PostgreSQL server DATABASE_URL names,
connected to as a superuser, since the tests pause its replay. Without REPLICA_URL this
module is skipped.

Where a request's statements went is read two ways: from the server's query log (DEBUG
logs each statement with its database alias), and from the data itself: while the
replica's replay is paused, a write on the primary is seen only by reads of the primary.
"""

import datetime
import http.cookies
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
import pytest
from django.conf import settings

from ..docs_runner import ROOT, base_env, demo_database, demo_server, vendor_of, workdir_for

pytestmark = pytest.mark.replica

REPLICA_URL = os.environ.get("REPLICA_URL", "")
# Deadlines, not measures: how long the replica may take to replay, the server to log.
REPLAY_SECONDS = 120
LOG_SECONDS = 30
EDITOR = "replica-editor"
PRIMARY = "default"
REPLICA = "replica_1"
STATEMENT = re.compile(r"; alias=(\w+)$", re.MULTILINE)


def on_database(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


@dataclass
class Answer:
    status: int
    headers: object
    body: bytes
    aliases: set[str]  # the databases the request's statements went to (the query log)

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


class Client:
    """A client of the server: anonymous, or with a token; keeping the cookies it is
    given (a browser), or not (a script)."""

    def __init__(self, server: "Server", *, token: str | None = None, cookies: bool = True):
        self.server, self.token, self.keeps_cookies = server, token, cookies
        self.cookies: dict[str, str] = {}

    def get(self, path: str) -> Answer:
        return self.send("GET", path)

    def send(self, method: str, path: str, body: dict | None = None) -> Answer:
        headers = {}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            self.server.base + path, data=data, headers=headers, method=method
        )
        start = self.server.log.stat().st_size
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, answer_headers, content = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, answer_headers, content = error.code, error.headers, error.read()
        if self.keeps_cookies:
            for line in answer_headers.get_all("Set-Cookie") or []:
                for name, morsel in http.cookies.SimpleCookie(line).items():
                    self.cookies[name] = morsel.value
        aliases = self.server.statements(start, method, path, status)
        return Answer(status, answer_headers, content, aliases)


@dataclass
class Server:
    base: str
    log: Path
    token: str
    primary_admin: str  # the primary's and the replica's maintenance databases
    replica_admin: str

    def client(self, **kwargs) -> Client:
        return Client(self, **kwargs)

    def statements(self, start: int, method: str, path: str, status: int) -> set[str]:
        """The aliases of the statements logged for one request: the query log from
        `start` to the request's line in the access log, which comes after them."""
        line = f'"{method} {path} HTTP/1.1" {status}'.encode()
        deadline = time.monotonic() + LOG_SECONDS
        while True:
            logged = self.log.read_bytes()[start:]
            if line in logged:
                before = logged[: logged.index(line)].decode(errors="replace")
                return set(STATEMENT.findall(before))
            if time.monotonic() > deadline:
                raise AssertionError(f"{line!r} not in the server's log: {logged[-2000:]!r}")
            time.sleep(0.05)

    def wait_replayed(self) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        with psycopg.connect(self.primary_admin, autocommit=True) as primary:
            (lsn,) = primary.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        deadline = time.monotonic() + REPLAY_SECONDS
        with psycopg.connect(self.replica_admin, autocommit=True) as replica:
            query = "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn"
            while not replica.execute(query, [lsn]).fetchone()[0]:
                assert time.monotonic() < deadline, f"the replica has not replayed {lsn}"
                time.sleep(0.1)

    @contextmanager
    def replay_paused(self):
        """The replica replays nothing of what the primary writes inside the block."""
        with psycopg.connect(self.replica_admin, autocommit=True) as replica:
            replica.execute("SELECT pg_wal_replay_pause()")
            try:
                yield
            finally:
                replica.execute("SELECT pg_wal_replay_resume()")


def manage(env: dict, workdir: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args, "--skip-checks"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not REPLICA_URL:
        pytest.skip(
            "REPLICA_URL is not set: no streaming replica to read from "
            "(`.ci/replica start` makes one and prints its URL)"
        )
    database = settings.DATABASES["default"]
    if vendor_of(database) != "postgresql":
        pytest.fail("REPLICA_URL is a replica of a PostgreSQL server: DATABASE_URL names it")
    with psycopg.connect(on_database(REPLICA_URL, "postgres"), autocommit=True) as replica:
        (standby,) = replica.execute("SELECT pg_is_in_recovery()").fetchone()
    assert standby, f"{REPLICA_URL} is not a hot standby: it is not in recovery"
    tmp = tmp_path_factory.mktemp("replica")
    workdir = workdir_for(tmp)
    with demo_database(database, tmp) as primary_url:
        name = urlsplit(primary_url).path.lstrip("/")
        env = base_env(primary_url, workdir) | {
            "DATABASE_REPLICA_URLS": on_database(REPLICA_URL, name),
            # Longer than the tests: a client that wrote reads the primary throughout.
            "REPLICA_PIN_SECONDS": "3600",
            # Each statement logged with its database's alias.
            "DJANGO_SETTINGS_MODULE": "tests.replica.server_settings",
            "THROTTLE_ANON": "off",
            "THROTTLE_USER": "off",
            "THROTTLE_EXPORT": "off",
        }
        with demo_server(env, workdir) as port:
            manage(env, workdir, "setup_groups", "--add", EDITOR, "editor")
            token = manage(env, workdir, "api_token", EDITOR).strip()
            live = Server(
                base=f"http://127.0.0.1:{port}",
                log=workdir / "server.log",
                token=token,
                primary_admin=on_database(primary_url, "postgres"),
                replica_admin=on_database(REPLICA_URL, "postgres"),
            )
            live.wait_replayed()
            yield live


def feed_end(client: Client) -> str:
    """The change feed's cursor after every change the client can see."""
    page = client.get("/api/v1/changes/?after=0&limit=1000").json()
    while page["next"]:
        page = client.get(page["next"].removeprefix(client.server.base)).json()
    return page["cursor"]


READS = [
    "/api/v1/companies/",
    "/api/v1/companies/mistral-ai/",
    "/api/v1/companies/?format=csv",
    "/api/v1/metrics/?format=csv",
    "/api/v1/companies/?as_of=2025-03-01",
    "/api/v1/companies/?as_of=2025-03-01&format=csv",
    "/api/v1/changes/?after=0",
    "/",
]


@pytest.mark.parametrize("path", READS)
def test_a_read_goes_to_the_replica(server, path):
    answer = server.client().get(path)
    assert answer.status == 200, answer.text[:500]
    assert answer.aliases == {REPLICA}


def test_lists_details_csv_and_the_change_feed_answer_from_the_replica(server):
    reader = server.client()
    listed = reader.get("/api/v1/companies/").json()
    assert "mistral-ai" in [company["slug"] for company in listed["results"]]
    detail = reader.get("/api/v1/companies/mistral-ai/")
    assert detail.json()["name"] == "Mistral AI"
    assert detail.headers["ETag"]
    exported = reader.get("/api/v1/companies/?format=csv")
    assert exported.headers["Content-Type"].startswith("text/csv")
    header, *rows = exported.text.splitlines()
    assert "slug" in header.split(",")
    assert len(rows) == listed["count"]
    assert any(",mistral-ai," in row for row in rows)
    feed = reader.get("/api/v1/changes/?after=0").json()
    cursors = [int(entry["cursor"]) for entry in feed["results"]]
    assert cursors and cursors == sorted(cursors)
    assert feed["cursor"] == str(cursors[-1])


def test_as_of_reads_the_past_on_the_replica(server):
    editor = server.client(token=server.token)
    created = editor.send(
        "POST",
        "/api/v1/companies/",
        {"name": "Replica Past", "slug": "replica-past", "kind": "technology"},
    )
    assert created.status == 201, created.text[:500]
    moment = quote(datetime.datetime.now(datetime.UTC).isoformat())
    renamed = editor.send("PATCH", "/api/v1/companies/replica-past/", {"name": "Replica Now"})
    assert renamed.status == 200, renamed.text[:500]
    server.wait_replayed()

    reader = server.client()
    then = reader.get(f"/api/v1/companies/replica-past/?as_of={moment}")
    assert (then.status, then.aliases) == (200, {REPLICA}), then.text[:500]
    assert then.json()["name"] == "Replica Past"
    assert reader.get("/api/v1/companies/replica-past/").json()["name"] == "Replica Now"
    # The CSV's COPY goes past Django's cursor: it reads the past on the replica too.
    exported = reader.get(f"/api/v1/companies/?format=csv&as_of={moment}&fields=slug,name")
    assert (exported.status, exported.aliases) == (200, {REPLICA}), exported.text[:500]
    assert "replica-past,Replica Past" in exported.text.splitlines()
    before = reader.get("/api/v1/companies/?as_of=2000-01-01")
    assert (before.status, before.json()["results"]) == (200, [])


def test_writes_go_to_the_primary_and_the_writer_reads_them_at_once(server):
    script = server.client(token=server.token, cookies=False)  # pinned by its token
    browser = server.client()  # the cookie of that write, without the token
    stranger = server.client()  # never wrote: reads the replica
    feed_before = feed_end(stranger)
    with server.replay_paused():
        created = script.send(
            "POST",
            "/api/v1/companies/",
            {"name": "Replica Write", "slug": "replica-write", "kind": "technology"},
        )
        assert created.status == 201, created.text[:500]
        assert created.aliases == {PRIMARY}
        path = f"/api/v1/companies/{created.json()['id']}/"
        patched = script.send("PATCH", path, {"description": "Written on the primary."})
        assert (patched.status, patched.aliases) == (200, {PRIMARY}), patched.text[:500]
        browser.cookies.update(
            {
                name: morsel.value
                for line in created.headers.get_all("Set-Cookie")
                for name, morsel in http.cookies.SimpleCookie(line).items()
            }
        )

        for pinned in (script, browser):
            mine = pinned.get(path)
            assert (mine.status, mine.aliases) == (200, {PRIMARY})
            assert mine.json()["description"] == "Written on the primary."
            assert "Replica Write" in pinned.get("/api/v1/companies/?format=csv").text

        # The replica has not replayed the write: every read of the stranger misses it.
        assert stranger.get(path).status == 404
        assert "Replica Write" not in stranger.get("/api/v1/companies/?format=csv").text
        feed = stranger.get(f"/api/v1/changes/?after={feed_before}")
        assert (feed.json()["results"], feed.aliases) == ([], {REPLICA})
        assert script.get(f"/api/v1/changes/?after={feed_before}").json()["results"]

    # Replayed, the replica shows it to everyone.
    server.wait_replayed()
    seen = stranger.get(path)
    assert (seen.status, seen.aliases) == (200, {REPLICA})
    assert seen.json()["description"] == "Written on the primary."
    changes = stranger.get(f"/api/v1/changes/?after={feed_before}").json()["results"]
    assert [(e["kind"], e["action"]) for e in changes] == [
        ("companies", "create"),
        ("companies", "update"),
    ]
