"""Django's PostgreSQL backend, its connection health check made free for a connection
that has nothing to read.

With CONN_HEALTH_CHECKS, Django checks a kept connection before the first statement of
each request by sending `SELECT 1`: a round trip more for every request, on loopback a
tenth of a millisecond, across a network a whole latency. But a server that ends a
connection (a restart, `pg_terminate_backend`, `idle_session_timeout`) says so before it
closes it, and its operating system closes the socket: either makes the socket readable.
So a connection between two requests whose socket has nothing to read has not been ended
by its server, and is used without asking; one with something to read (that end, or a
notice) is asked with Django's `SELECT 1`, as before. What no check can see in advance,
a server gone without a word (a network cut), `SELECT 1` would have waited on too.
"""

import select

import psycopg
from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            # Left in a transaction (a failed one, say) by something Django did not see:
            # `SELECT 1` says whether it can still be used, as before.
            return super().is_usable()
        try:
            poller = select.poll()  # not select(): no limit on the descriptor's number
            poller.register(connection.pgconn.socket, select.POLLIN)
            waiting = poller.poll(0)
        except (OSError, psycopg.Error):
            return False
        if not waiting:
            return True
        return super().is_usable()
