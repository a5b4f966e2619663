"""gunicorn settings, read by `gunicorn factbase.wsgi` from the working directory.

The same command runs the app locally (`make serve`), in benchmarks and in docker-compose;
only the environment differs.

Threaded workers (gthread): a worker answers /healthz and short reads while other threads
stream long CSV exports. Their `timeout` is a heartbeat of the worker's main loop, not a
limit on a request, so a CSV that streams for minutes is never cut mid-file by it (a sync
worker is killed after `timeout` seconds, whatever it is sending). Slow anonymous queries
are bounded by ANON_STATEMENT_TIMEOUT_MS instead, and exports by the `export` throttle.
"""

import gc
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
worker_class = "gthread"
# Two processes a core on the 2-core reference machine (docs/benchmarks.md#hardening): eight
# threads keep short reads answered while long exports stream. Without long exports, 2 x 2
# served about 20% more pages (docs/benchmarks.md, the server's layout).
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
# A worker takes a connection only when one of its threads is free, and closes it after
# the response: connections then go to the worker that can answer now, instead of queueing
# behind long requests (two CSV exports) in a worker that accepted more than it can serve.
worker_connections = threads
keepalive = 0
# A page of 100 records with their citations makes some 20,000 objects, which live until
# its answer is sent. With Python's default (a young collection every 700 new objects),
# each page runs some thirty collections that find nothing to free; a collection every
# 20,000 runs one or two. Measured: 9% less CPU a page on average, for 8 MB more resident
# memory a worker (docs/benchmarks.md).
YOUNG_OBJECTS = 20_000


def post_worker_init(worker):
    """Once the worker has loaded the app: its modules, settings, URL patterns and
    serializers live as long as the worker. Frozen (gc.freeze), they are left out of the
    collector's full passes, which otherwise walk all of them again now and then in the
    middle of a request, the pauses that set the tail of the latencies. Django reads its
    URL patterns (and imports the views and serializers) at the first request: read here,
    so that they are frozen too."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (the read is the point)
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])
