"""Which database a request reads from, with read replicas (factbase.core.routing), and
read-your-writes: a client that has just written reads the primary for a while.

A replica replays the primary's changes a moment later. A client that writes and then
reads could otherwise miss its own write, so after a request that wrote (a POST, PUT,
PATCH or DELETE answered 2xx or 3xx) the same client's reads go to the primary for
REPLICA_PIN_SECONDS. Only signed-in clients are pinned; the client is recognised by

- a signed cookie (browsers, the browsable API, admin sessions): nothing shared between
  app servers is needed, the client brings it;
- for token-authenticated clients, which rarely keep cookies, an entry keyed by a hash of
  the token in Django's cache: app servers must share the cache (CACHES: Redis with
  REDIS_URL) for a write on one to pin the reads on another.

Reads of a request that writes go to the primary: a write reads what it changes. The
admin's pages read a replica like the API's (an editor who saved is pinned, and a form
read a moment stale is refused at saving by its version, never saved over a newer one);
sessions are always read on the primary (factbase.core.routing), so that a login is never
lost to a replica's lag.
"""

import hashlib
import random

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed

from .routing import reading_from, replica_aliases, streamed_from

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PIN_COOKIE = "factbase_primary"
# Signed (and its age checked) so that a client cannot keep itself on the primary by
# sending an old or made-up cookie: the primary's load is not for clients to choose.
PIN_SALT = "factbase.core.pinning"


def token_key(request) -> str | None:
    """The key of an `Authorization: Token <key>` header, unchecked (DRF checks it)."""
    parts = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(parts) == 2 and parts[0].lower() == "token":
        return parts[1]
    return None


def token_pin(key: str) -> str:
    # A hash: the cache (Redis) never holds a usable token.
    return "replica-pin:" + hashlib.sha256(key.encode()).hexdigest()


class ReadReplicaMiddleware:
    """Chooses the database a request reads from, and pins a client that wrote to the
    primary. Listed in MIDDLEWARE only when there are replicas, before anything reads
    (the session, the user)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.replicas = replica_aliases()
        if not self.replicas:
            raise MiddlewareNotUsed
        self.seconds = settings.REPLICA_PIN_SECONDS

    def __call__(self, request):
        alias = self.reads_from(request)
        with reading_from(alias):
            response = self.get_response(request)
        if alias is not None and response.streaming:
            response.streaming_content = streamed_from(alias, response.streaming_content)
        if request.method not in SAFE_METHODS and 200 <= response.status_code < 400:
            self.pin(request, response)
        return response

    def reads_from(self, request) -> str | None:
        """The replica of this request's reads, chosen at random; None: the primary."""
        if request.method not in SAFE_METHODS or self.pinned(request):
            return None
        return random.choice(self.replicas)

    def pinned(self, request) -> bool:
        if self.seconds <= 0:
            return False
        cookie = request.get_signed_cookie(
            PIN_COOKIE, default=None, salt=PIN_SALT, max_age=self.seconds
        )
        if cookie is not None:
            return True
        key = token_key(request)
        return key is not None and cache.get(token_pin(key)) is not None

    def pin(self, request, response) -> None:
        # Only a signed-in client is pinned (a session, or a token DRF has checked): an
        # anonymous one could otherwise keep itself on the primary with a refused login
        # (answered 200), and fill the cache with made-up tokens.
        user = getattr(request, "user", None)
        if self.seconds <= 0 or user is None or not user.is_authenticated:
            return
        response.set_signed_cookie(
            PIN_COOKIE,
            "1",
            salt=PIN_SALT,
            max_age=self.seconds,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        key = token_key(request)
        if key is not None:
            cache.set(token_pin(key), 1, timeout=self.seconds)
