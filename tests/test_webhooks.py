"""Webhooks: subscriptions through the API and the admin, the signature a receiver checks,
and delivery, in-process through the queue's tasks and end to end by the real worker."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from factbase.webhooks import signing
from factbase.webhooks.models import DeliveryAttempt, Subscription

pytestmark = pytest.mark.django_db

WEBHOOKS = "/api/v1/webhooks/"


# --- a receiver, as the docs show it ----------------------------------------------------


def verified(secret: str, headers, body: bytes, tolerance: int = 300) -> bool:
    """The receiver's check from docs/api.md ("Verifying a delivery"), word for word."""
    timestamp = headers["X-Factbase-Timestamp"]
    expected = (
        "sha256="
        + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    fresh = abs(time.time() - int(timestamp)) <= tolerance
    return fresh and hmac.compare_digest(expected, headers["X-Factbase-Signature"])


class Receiver:
    """An HTTP server on loopback in a thread of the test: records every POST and answers
    `status`; stopped, its port is closed until it starts again on the same port."""

    def __init__(self):
        self.status = 200
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.server = None
        self.port = 0

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.status
                with receiver.lock:
                    receiver.requests.append(
                        {"headers": dict(self.headers), "body": body, "status": status}
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def delivered(self) -> list[dict]:
        """The payloads answered 2xx, in the order they arrived."""
        with self.lock:
            return [
                {**json.loads(r["body"]), "_request": r}
                for r in self.requests
                if 200 <= r["status"] < 300
            ]


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


# --- the signature -----------------------------------------------------------------------


def test_the_signature_is_the_hmac_of_timestamp_and_body_and_a_receiver_verifies_it():
    secret, body = "a-secret-of-some-length", b'{"kind":"companies","id":1}'
    headers = signing.headers(secret, body, timestamp=1_700_000_000)
    expected = hmac.new(secret.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert headers == {
        "X-Factbase-Timestamp": "1700000000",
        "X-Factbase-Signature": f"sha256={expected}",
    }
    now = signing.headers(secret, body)
    assert verified(secret, now, body)
    assert signing.verify(secret, body, now["X-Factbase-Timestamp"], now["X-Factbase-Signature"])
    assert not verified(secret, now, body + b" ")  # the body changed
    assert not verified("another-secret-entirely", now, body)
    assert not verified(secret, headers, body)  # signed long ago: a replayed request
    assert not signing.verify(secret, body, "1700000000", headers["X-Factbase-Signature"])
    assert not signing.verify(secret, body, "soon", headers["X-Factbase-Signature"])


# --- subscriptions through the API ------------------------------------------------------


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root", password="pw")


@pytest.fixture
def root_api(root):
    client = APIClient()
    client.force_authenticate(root)
    return client


def create(api, **body):
    return api.post(WEBHOOKS, {"target_url": "https://hooks.example.org/in", **body}, format="json")


def last_cursor(api) -> str:
    page = api.get("/api/v1/changes/", {"after": "0", "limit": 1000}).json()
    while page["next"]:
        page = api.get(page["next"]).json()
    return page["cursor"]


def test_staff_with_the_permissions_manage_subscriptions_others_are_refused(
    root_api, editor_api, viewer_api, anon_api
):
    assert anon_api.get(WEBHOOKS).status_code in (401, 403)
    assert create(anon_api).status_code in (401, 403)
    # The editor and viewer groups give no permission on webhooks.
    for api in (editor_api, viewer_api):
        assert api.get(WEBHOOKS).status_code == 403
        assert create(api).status_code == 403
    # Not staff, even with the permissions: refused.
    plain = get_user_model().objects.create_user("plain", password="pw")
    plain.user_permissions.set(Permission.objects.filter(content_type__app_label="webhooks"))
    plain_api = APIClient()
    plain_api.force_authenticate(plain)
    assert plain_api.get(WEBHOOKS).status_code == 403
    # Staff given them: allowed, and only as far as given.
    staff = get_user_model().objects.create_user("ops", password="pw", is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(codename__in=["view_subscription", "add_subscription"])
    )
    staff_api = APIClient()
    staff_api.force_authenticate(staff)
    made = create(staff_api)
    assert made.status_code == 201, made.content
    url = f"{WEBHOOKS}{made.json()['id']}/"
    assert staff_api.get(url).status_code == 200
    assert staff_api.patch(url, {"active": False}, format="json").status_code == 403
    assert staff_api.post(f"{url}replay/", {"after": "0"}, format="json").status_code == 403
    assert staff_api.delete(url).status_code == 403
    assert root_api.delete(url).status_code == 204


def test_a_subscription_shows_its_secret_once_and_starts_after_the_last_change(root_api):
    cursor = last_cursor(root_api)
    response = create(root_api, kinds=["companies", "metrics"])
    assert response.status_code == 201, response.content
    made = response.json()
    secret = made["secret"]
    assert len(secret) >= 40
    assert made["secret_hint"].endswith(secret[-4:]) and secret not in made["secret_hint"]
    assert made["cursor"] == cursor
    assert made["kinds"] == ["companies", "metrics"]
    assert (made["active"], made["state"], made["failures"]) == (True, "ok", 0)
    assert made["created_by"] == "root" and made["created_at"]
    # Never again in full: not in the list, not in the record, not after a change.
    url = f"{WEBHOOKS}{made['id']}/"
    for answer in (
        root_api.get(WEBHOOKS),
        root_api.get(url),
        root_api.patch(url, {"secret": "another-secret-of-enough-length"}, format="json"),
    ):
        assert answer.status_code == 200, answer.content
        assert secret not in answer.content.decode()
        assert b'"secret"' not in answer.content
    assert Subscription.objects.get().secret == "another-secret-of-enough-length"
    # A secret given is the one shown back on creation.
    given = create(root_api, secret="s" * 16).json()
    assert given["secret"] == "s" * 16
    # Who did what is in the admin's log.
    messages = list(
        LogEntry.objects.filter(object_id=str(made["id"])).values_list("change_message", flat=True)
    )
    assert messages == ["Changed a new secret.", f"Created, from cursor {cursor}."]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target_url": "ftp://hooks.example.org/in"}, "target_url"),
        ({"target_url": "javascript:alert(1)"}, "target_url"),
        ({"target_url": "https:///no-host"}, "target_url"),
        ({"target_url": "https://user:pw@hooks.example.org/"}, "target_url"),
        ({"target_url": "https://hooks.example.org:99999/"}, "target_url"),
        ({"target_url": "https://hooks example.org/"}, "target_url"),
        ({"target_url": "https://hooks.example.org/" + "a" * 2000}, "target_url"),
        ({"target_url": ""}, "target_url"),
        ({"kinds": ["companies", "bogus"]}, "kinds"),
        ({"kinds": "companies"}, "kinds"),
        ({"kinds": ["companies", "companies"]}, "kinds"),
        ({"secret": "short"}, "secret"),
        ({"secret": "has spaces in it, too many"}, "secret"),
        ({"active": "perhaps"}, "active"),
        ({"cursor": "5"}, "cursor"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_subscription_is_a_400_naming_the_field(root_api, body, field):
    response = create(root_api, **body)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Subscription.objects.exists()


def test_single_label_hosts_and_addresses_are_accepted(root_api):
    for url in ("http://receiver:9000/hook", "http://127.0.0.1:8080/", "https://[::1]/in"):
        assert create(root_api, target_url=url).status_code == 201, url


def test_unknown_kinds_name_the_known_ones(root_api):
    message = create(root_api, kinds=["bogus"]).json()["kinds"][0]
    assert message.startswith("Unknown: bogus. Known: ")
    assert "companies" in message and "metrics" in message


def test_replay_retry_change_and_delete(root_api):
    made = create(root_api).json()
    url = f"{WEBHOOKS}{made['id']}/"
    for bad in ({"after": "abc"}, {"after": "-1"}, {"after": 5}, {}, {"after": "1", "x": 1}):
        response = root_api.post(f"{url}replay/", bad, format="json")
        assert response.status_code == 400, (bad, response.content)
    future = str(int(last_cursor(root_api)) + 1)
    response = root_api.post(f"{url}replay/", {"after": future}, format="json")
    assert response.status_code == 400
    assert response.json()["after"][0].startswith("No change has that cursor yet")
    replayed = root_api.post(f"{url}replay/", {"after": "0"}, format="json")
    assert replayed.status_code == 200 and replayed.json()["cursor"] == "0"
    assert root_api.post(f"{url}retry/", {}, format="json").status_code == 200
    assert root_api.post(f"{url}retry/", {"now": True}, format="json").status_code == 400
    changed = root_api.patch(url, {"kinds": ["people"], "active": False}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["kinds"], changed.json()["active"]) == (["people"], False)
    assert root_api.patch(url, {"state": "ok"}, format="json").status_code == 400
    assert root_api.get(f"{url}deliveries/").json()["results"] == []
    assert root_api.get(f"{url}deliveries/", {"outcome": "bogus"}).status_code == 400
    assert root_api.get(f"{WEBHOOKS}abc/").status_code == 404
    assert root_api.get(WEBHOOKS, {"offset": "9" * 30}).status_code == 200
    assert root_api.get(f"{url}deliveries/", {"offset": "9" * 30}).status_code == 200
    assert root_api.get(f"{WEBHOOKS}99999999999999999999/").status_code == 404
    assert root_api.delete(url).status_code == 204
    assert root_api.get(url).status_code == 404


# --- the admin ----------------------------------------------------------------------------


def test_the_admin_pages_render_and_write_through_the_services(admin_client, receiver):
    assert admin_client.get("/admin/webhooks/subscription/").status_code == 200
    assert admin_client.get("/admin/webhooks/subscription/add/").status_code == 200
    response = admin_client.post(
        "/admin/webhooks/subscription/add/",
        {"target_url": receiver.url, "kinds": ["companies"], "active": "on", "new_secret": ""},
    )
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.secret in response.content.decode()  # shown once, here
    assert subscription.created_by.username == "admin"
    page = admin_client.get(f"/admin/webhooks/subscription/{subscription.pk}/change/")
    assert page.status_code == 200
    assert subscription.secret not in page.content.decode()
    assert subscription.secret_hint in page.content.decode()
    # A bad URL is an error on the form.
    bad = admin_client.post(
        f"/admin/webhooks/subscription/{subscription.pk}/change/",
        {"target_url": "ftp://x.example.org/", "kinds": [], "active": "on", "new_secret": ""},
    )
    assert bad.status_code == 200 and b"Give an http or https URL." in bad.content
    # The replay action asks from which cursor, then sets it.
    action = {"action": "replay", "_selected_action": [subscription.pk]}
    asked = admin_client.post("/admin/webhooks/subscription/", action)
    assert asked.status_code == 200 and b"After cursor" in asked.content
    done = admin_client.post("/admin/webhooks/subscription/", {**action, "post": "yes", "after": 0})
    assert done.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.cursor, subscription.replays) == (0, 1)
    log = admin_client.get(f"/admin/webhooks/subscription/{subscription.pk}/history/")
    assert b"Replay from cursor 0." in log.content
    assert admin_client.get("/admin/webhooks/deliveryattempt/").status_code == 200
    filtered = admin_client.get(
        "/admin/webhooks/deliveryattempt/",
        {"subscription__id__exact": subscription.pk, "outcome": "failed"},
    )
    assert filtered.status_code == 200


# --- delivery through the queue's tasks, in this process -------------------------------


@pytest.fixture
def eager(settings):
    """The queue's tasks run where they are sent, without a broker."""
    from factbase.webhooks.queue import app

    settings.WEBHOOKS_RETRY_BASE_SECONDS = 0
    settings.WEBHOOKS_FAILING_AFTER = 3
    settings.WEBHOOKS_TIMEOUT_SECONDS = 5
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = False


def dispatch():
    from factbase.webhooks.queue import dispatch

    return dispatch.apply().get()


def test_each_change_is_delivered_as_the_feed_shows_it_in_order_until_it_gets_through(
    root_api, receiver, eager
):
    made = create(root_api, target_url=receiver.url, kinds=["companies"]).json()
    for slug in ("acme", "beta"):
        body = {"name": slug.title(), "slug": slug, "kind": "technology"}
        assert root_api.post("/api/v1/companies/", body, format="json").status_code == 201
    assert (
        root_api.patch("/api/v1/companies/acme/", {"note": "x"}, format="json").status_code == 200
    )
    metric = {"company": "beta", "metric_type": "downloads", "qualifier": "exact", "value": "5"}
    assert root_api.post("/api/v1/metrics/", metric, format="json").status_code == 201

    receiver.status = 500
    for _ in range(4):
        dispatch()
    subscription = Subscription.objects.get()
    assert (subscription.state, subscription.failures) == ("failing", 4)
    assert receiver.delivered() == []
    receiver.status = 200
    dispatch()

    feed = root_api.get("/api/v1/changes/", {"after": made["cursor"], "kind": "companies"})
    expected = feed.json()["results"]
    delivered = receiver.delivered()
    assert [d["cursor"] for d in delivered] == [e["cursor"] for e in expected]
    for sent, entry in zip(delivered, expected, strict=True):
        request = sent.pop("_request")
        assert verified(made["secret"], request["headers"], request["body"])
        assert request["headers"]["X-Factbase-Delivery"] == sent["delivery"]
        assert sent.pop("subscription") == made["id"]
        sent.pop("delivery")
        assert sent == {**entry, "url": entry["url"].replace("http://testserver", "")}
    subscription.refresh_from_db()
    assert (subscription.state, subscription.failures, subscription.cursor) == (
        "ok",
        0,
        int(last_cursor(root_api)),
    )  # past the metric too, not of its kinds
    attempts = DeliveryAttempt.objects.order_by("id")
    failed = [a for a in attempts if a.outcome == "failed"]
    assert [(a.attempt, a.status_code, a.cursor) for a in failed] == [
        (n, 500, int(expected[0]["cursor"])) for n in (1, 2, 3, 4)
    ]
    assert len({a.delivery for a in attempts if a.cursor == failed[0].cursor}) == 1
    log = root_api.get(f"{WEBHOOKS}{made['id']}/deliveries/", {"outcome": "failed"}).json()
    assert [row["status_code"] for row in log["results"]] == [500] * 4


def test_a_failing_receiver_holds_back_its_own_subscription_only(root_api, receiver, eager):
    broken = Receiver()
    broken.status = 503
    broken.start()
    try:
        create(root_api, target_url=broken.url)
        create(root_api, target_url=receiver.url)
        body = {"name": "Acme", "slug": "acme", "kind": "technology"}
        assert root_api.post("/api/v1/companies/", body, format="json").status_code == 201
        dispatch()
        dispatch()
    finally:
        broken.stop()
    assert len(receiver.delivered()) == 1
    assert [r["status"] for r in broken.requests] == [503, 503]


def test_an_inactive_subscription_is_sent_nothing_and_a_replay_sends_again(
    root_api, receiver, eager
):
    made = create(root_api, target_url=receiver.url, active=False).json()
    body = {"name": "Acme", "slug": "acme", "kind": "technology"}
    assert root_api.post("/api/v1/companies/", body, format="json").status_code == 201
    dispatch()
    assert receiver.requests == []
    url = f"{WEBHOOKS}{made['id']}/"
    assert root_api.patch(url, {"active": True}, format="json").status_code == 200
    dispatch()
    first = receiver.delivered()
    assert [d["action"] for d in first] == ["create"]
    root_api.post(f"{url}replay/", {"after": made["cursor"]}, format="json")
    dispatch()
    again = receiver.delivered()[1:]
    assert [d["cursor"] for d in again] == [d["cursor"] for d in first]
    assert again[0]["delivery"] != first[0]["delivery"]  # a replay's deliveries are new


@pytest.mark.parametrize("change", [{"active": "yes"}, {"target_url": 5}, {"kinds": [1]}])
def test_a_subscription_body_has_its_fields_types(root_api, change):
    response = create(root_api, **change)
    assert response.status_code == 400, response.content
    assert set(response.json()) == set(change)
    assert not Subscription.objects.exists()
