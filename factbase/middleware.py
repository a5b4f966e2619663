"""A statement timeout for anonymous reads, so that nobody without an account can keep
the database busy for long (docs/security.md)."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import OperationalError, connections, router
from django.http import JsonResponse

try:
    from psycopg.errors import QueryCanceled
except ImportError:  # SQLite-only installs
    QueryCanceled = None


class AnonymousStatementTimeout:
    """On PostgreSQL, the statements of an anonymous GET or HEAD view run under
    `statement_timeout = ANON_STATEMENT_TIMEOUT_MS`; one that runs longer is a 503 that
    says so. Logged-in requests run without it, and so does a CSV that streams after the
    view returns (the `export` throttle bounds those instead).

    The setting is a session setting of the connection: it is changed only when the
    request needs another value than the connection has (a persistent connection serving
    anonymous reads sets it once), directly on the driver's connection, so it adds no
    query to a request's count."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The connection the request reads from: a replica's, when there are replicas
        # (factbase.core.routing chose it for this request before this runs).
        connection = connections[router.db_for_read(ContentType)]
        if connection.vendor != "postgresql":
            return self.get_response(request)
        self.set_timeout(
            connection, settings.ANON_STATEMENT_TIMEOUT_MS if self.applies(request) else 0
        )
        response = self.get_response(request)
        if response.streaming:
            self.set_timeout(connection, 0)
        return response

    @staticmethod
    def set_timeout(connection, milliseconds: int) -> None:
        # The request's health check first (CONN_HEALTH_CHECKS): a connection it finds
        # closed is replaced now, not at the first statement, after the setting would
        # have gone to the closed one and the new one read without it.
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        raw = connection.connection
        # The driver's connection itself, not its id(): a new connection may be given the
        # address of the one it replaces, and would then pass for it.
        done = getattr(connection, "_statement_timeout", None)
        if done is not None and done[0] is raw and done[1] == milliseconds:
            return
        raw.execute(f"SET statement_timeout = {int(milliseconds)}")
        connection._statement_timeout = (raw, milliseconds)

    @staticmethod
    def applies(request) -> bool:
        return (
            request.method in {"GET", "HEAD"}
            and not request.user.is_authenticated
            and "HTTP_AUTHORIZATION" not in request.META  # a token: DRF authenticates it
        )

    def process_exception(self, request, exception):
        if not (
            QueryCanceled is not None
            and isinstance(exception, OperationalError)
            and isinstance(exception.__cause__, QueryCanceled)
        ):
            return None
        seconds = settings.ANON_STATEMENT_TIMEOUT_MS / 1000
        response = JsonResponse(
            {
                "detail": (
                    f"This read took longer than the {seconds:g} s allowed to anonymous "
                    "requests. Narrow it with filters, or authenticate with a token."
                )
            },
            status=503,
        )
        response["Retry-After"] = "60"
        return response
