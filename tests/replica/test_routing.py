"""Read replicas without a replica: which alias each read and write is sent to (the router,
installed as settings install it), and which one the middleware makes a request read
from, with read-your-writes. Only names of aliases are compared here; the reads themselves
go to a real streaming replica in test_live_replica.py."""

import runpy
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import router, transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory

from companies.models import Company
from factbase.core import pinning
from factbase.core.pinning import ReadReplicaMiddleware

SETTINGS = Path(__file__).resolve().parents[2] / "factbase" / "settings.py"
REPLICAS = ["replica_1", "replica_2"]
PIN_SECONDS = 5


@pytest.fixture
def routed(settings, monkeypatch):
    """The router and the middleware as two replicas configure them."""
    settings.DATABASE_ROUTERS = ["factbase.core.routing.ReplicaRouter"]
    settings.REPLICA_PIN_SECONDS = PIN_SECONDS
    monkeypatch.setattr(pinning, "replica_aliases", lambda: REPLICAS)


def reads_from(request):
    """A view answering where its reads go."""
    return HttpResponse(Company.objects.all().db, status=int(request.GET.get("status", 200)))


def serve(request, view=reads_from, user=None):
    """The request through the middleware, its client signed in as `user` (an editor
    unless said otherwise), as the view's authentication would leave it."""

    def signed_in(request):
        request.user = User(username="editor") if user is None else user
        return view(request)

    return ReadReplicaMiddleware(signed_in)(request)


def read_alias(response) -> str:
    return response.content.decode()


def settings_with(monkeypatch, replicas: str | None, primary: str | None = None) -> dict:
    if replicas is None:
        monkeypatch.delenv("DATABASE_REPLICA_URLS", raising=False)
    else:
        monkeypatch.setenv("DATABASE_REPLICA_URLS", replicas)
        # Replicas are PostgreSQL's: the settings refuse them beside SQLite.
        monkeypatch.setenv("DATABASE_URL", primary or "postgres://u@127.0.0.1:5432/fb")
    return runpy.run_path(str(SETTINGS))


def test_replicas_beside_sqlite_are_refused(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_REPLICA_URLS needs PostgreSQL"):
        settings_with(monkeypatch, "postgres://u@127.0.0.1:5433/fb", "sqlite:///db.sqlite3")


def test_without_replicas_one_database_no_router_no_middleware(monkeypatch):
    found = settings_with(monkeypatch, None)
    assert list(found["DATABASES"]) == ["default"]
    assert "DATABASE_ROUTERS" not in found
    assert not [m for m in found["MIDDLEWARE"] if "pinning" in m]


def test_replica_urls_add_aliases_the_router_and_the_middleware(monkeypatch):
    found = settings_with(
        monkeypatch, "postgres://u@127.0.0.1:5433/fb, postgres://u@127.0.0.1:5434/fb"
    )
    databases = found["DATABASES"]
    assert list(databases) == ["default", "replica_1", "replica_2"]
    assert [databases[a]["PORT"] for a in REPLICAS] == [5433, 5434]
    assert all(databases[a]["NAME"] == "fb" for a in REPLICAS)
    assert all(databases[a]["TEST"] == {"MIRROR": "default"} for a in REPLICAS)
    assert found["DATABASE_ROUTERS"] == ["factbase.core.routing.ReplicaRouter"]
    middleware = found["MIDDLEWARE"]
    # Before anything that reads: the session and the user.
    assert middleware.index("factbase.core.pinning.ReadReplicaMiddleware") < middleware.index(
        "django.contrib.sessions.middleware.SessionMiddleware"
    )


def test_writes_and_migrations_go_to_the_primary(routed):
    assert router.db_for_write(Company) == "default"
    assert router.allow_migrate("default", "companies", model_name="company")
    assert not router.allow_migrate("replica_1", "companies", model_name="company")
    assert router.allow_relation(Company(), Company())


def test_reads_outside_a_request_go_to_the_primary(routed):
    # Commands and the shell: nothing chooses a replica.
    assert Company.objects.all().db == "default"


def test_a_get_reads_one_of_the_replicas(routed):
    factory = RequestFactory()
    seen = {read_alias(serve(factory.get("/api/v1/companies/"))) for _ in range(60)}
    assert seen == set(REPLICAS)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_request_that_writes_reads_the_primary(routed, method):
    response = serve(getattr(RequestFactory(), method)("/api/v1/companies/"))
    assert read_alias(response) == "default"


def test_the_admin_reads_a_replica_and_sessions_the_primary(routed):
    from django.contrib.sessions.models import Session

    def reads(request):
        return HttpResponse(f"{Company.objects.all().db} {Session.objects.all().db}")

    company, session = read_alias(
        serve(RequestFactory().get("/admin/companies/company/"), reads)
    ).split()
    assert company in REPLICAS and session == "default"


def test_reads_in_a_transaction_on_the_primary_go_to_the_primary(routed, transactional_db):
    def locks_and_reads(request):
        with transaction.atomic():
            return HttpResponse(Company.objects.all().db)

    assert read_alias(serve(RequestFactory().get("/"), locks_and_reads)) == "default"


def test_a_streamed_answer_reads_where_its_view_did(routed):
    def streams(request):
        chosen = Company.objects.all().db
        # Each chunk is made while the server sends the answer, after the view returned.
        rows = (f"{chosen}={Company.objects.all().db}\n" for _ in range(3))
        return StreamingHttpResponse(rows)

    response = serve(RequestFactory().get("/api/v1/companies/?format=csv"), streams)
    lines = b"".join(response.streaming_content).decode().splitlines()
    chosen = lines[0].split("=")[0]
    assert chosen in REPLICAS
    assert lines == [f"{chosen}={chosen}"] * 3


def pin_cookie(response) -> dict:
    morsel = response.cookies.get(pinning.PIN_COOKIE)
    return {pinning.PIN_COOKIE: morsel.value} if morsel is not None else {}


@pytest.mark.parametrize("status", [201, 204, 302])
def test_after_a_write_the_client_reads_the_primary(routed, status):
    factory = RequestFactory()
    wrote = serve(factory.post(f"/api/v1/companies/?status={status}"))
    morsel = wrote.cookies[pinning.PIN_COOKIE]
    assert morsel["max-age"] == PIN_SECONDS
    assert morsel["httponly"]

    pinned = factory.get("/api/v1/companies/")
    pinned.COOKIES.update(pin_cookie(wrote))
    assert read_alias(serve(pinned)) == "default"
    assert read_alias(serve(factory.get("/api/v1/companies/"))) in REPLICAS


@pytest.mark.parametrize("status", [400, 409, 500])
def test_a_refused_write_pins_nothing(routed, status):
    factory = RequestFactory()
    auth = {"HTTP_AUTHORIZATION": "Token abc123"}
    wrote = serve(factory.post(f"/api/v1/companies/?status={status}", **auth))
    assert pin_cookie(wrote) == {}
    assert read_alias(serve(factory.get("/api/v1/companies/", **auth))) in REPLICAS


@pytest.mark.parametrize("status", [200, 302])
def test_an_anonymous_client_is_never_pinned(routed, status):
    # A refused login is answered 200 with the form: it must not buy a stay on the primary,
    # nor a cache entry per made-up token.
    factory = RequestFactory()
    auth = {"HTTP_AUTHORIZATION": "Token made-up"}
    wrote = serve(factory.post(f"/admin/login/?status={status}", **auth), user=AnonymousUser())
    assert pin_cookie(wrote) == {}
    assert cache.get(pinning.token_pin("made-up")) is None
    assert read_alias(serve(factory.get("/api/v1/companies/", **auth))) in REPLICAS


def test_a_token_client_is_pinned_without_cookies(routed):
    factory = RequestFactory()
    serve(factory.post("/api/v1/companies/?status=201", HTTP_AUTHORIZATION="Token abc123"))
    mine = factory.get("/api/v1/companies/", HTTP_AUTHORIZATION="Token abc123")
    other = factory.get("/api/v1/companies/", HTTP_AUTHORIZATION="Token def456")
    assert read_alias(serve(mine)) == "default"
    assert read_alias(serve(other)) in REPLICAS


def test_the_pin_ends_after_replica_pin_seconds(routed, monkeypatch):
    factory = RequestFactory()
    auth = {"HTTP_AUTHORIZATION": "Token abc123"}
    wrote = serve(factory.post("/api/v1/companies/?status=201", **auth))
    later = factory.get("/api/v1/companies/", **auth)
    later.COOKIES.update(pin_cookie(wrote))
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + PIN_SECONDS + 1)
    assert read_alias(serve(later)) in REPLICAS


@pytest.mark.parametrize("value", ["1", "1:forged:signature"])
def test_a_cookie_the_server_did_not_sign_pins_nothing(routed, value):
    request = RequestFactory().get("/api/v1/companies/")
    request.COOKIES[pinning.PIN_COOKIE] = value
    assert read_alias(serve(request)) in REPLICAS
