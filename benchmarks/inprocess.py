"""One API request timed in process: Django's test client, no HTTP, no gunicorn.

    python benchmarks/inprocess.py URL [REQUESTS]

Prints the wall-clock time and the CPU time of this process per request, after 5 untimed
requests (per-process caches filled). Run from a checkout, with the bench settings in the
environment (DATABASE_URL of the bench database, DEBUG=false, ALLOWED_HOSTS=testserver);
two checkouts taking turns compare two commits on a busy machine by their CPU time
(docs/benchmarks.md). With PROFILE=tottime (or cumulative) it also prints a cProfile of
the timed requests.
"""

import cProfile
import os
import pstats
import sys
import time

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factbase.settings")

import django

django.setup()

from django.test import Client  # noqa: E402

from factbase import urls  # noqa: E402, F401 (every serializer registered, as in the server)


def main() -> None:
    url = sys.argv[1]
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    client = Client()
    for _ in range(5):
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(requests):
        client.get(url)
    wall = (time.perf_counter() - wall) / requests * 1000
    cpu = (time.process_time() - cpu) / requests * 1000
    print(f"{url}: {wall:.2f} ms wall, {cpu:.2f} ms cpu")
    order = os.environ.get("PROFILE")
    if order:
        profile = cProfile.Profile()
        profile.runcall(lambda: [client.get(url) for _ in range(requests)])
        pstats.Stats(profile).sort_stats(order).print_stats(35)


if __name__ == "__main__":
    main()
