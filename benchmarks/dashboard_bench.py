"""The admin index (its dashboard) timed in process: Django's test client, no HTTP.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/factbase_bench DEBUG=false \\
        SECRET_KEY=bench ALLOWED_HOSTS=testserver python benchmarks/dashboard_bench.py [N]

After one untimed request (per-process caches filled), N requests with the dashboard's
cache emptied before each (cold: every figure counted) and N with it filled (warm); prints
each median and what the figures were. WEEK_DAYS=1000 widens "the last 7 days" so that
every history row the generated data holds falls in it (as after a bulk import this week).
It writes nothing that stays: the superuser it logs
in as, the session and everything else are written in one transaction, rolled back.
"""

import datetime
import os
import statistics
import sys
import time

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factbase.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from factbase import urls  # noqa: E402, F401 (the admin registered, as in the server)
from factbase.admin import dashboard  # noqa: E402


def timed(client: Client, *, cold: bool) -> float:
    if cold:
        cache.clear()
    start = time.perf_counter()
    response = client.get("/admin/", secure=True)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, response.status_code
    return elapsed


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    if os.environ.get("WEEK_DAYS"):
        dashboard.WEEK = datetime.timedelta(days=int(os.environ["WEEK_DAYS"]))
    print(f"database {connection.settings_dict['NAME']}, {repeat} requests each")
    with transaction.atomic():
        user = get_user_model().objects.create_superuser("dashboard-bench", password=None)
        client = Client()
        client.force_login(user)
        timed(client, cold=True)
        cold = [timed(client, cold=True) for _ in range(repeat)]
        warm = [timed(client, cold=False) for _ in range(repeat)]
        figures = cache.get(dashboard.CACHE_KEY)
        transaction.set_rollback(True)
    print(f"cold (figures counted): median {statistics.median(cold):.1f} ms")
    print(f"warm (figures cached): median {statistics.median(warm):.1f} ms")
    for fact_type, counts in figures["facts"].items():
        print(f"  {fact_type}: {counts}")
    print(f"  waiting: {figures['waiting']}")
    print(f"  mismatched citations: {figures['mismatched']}")
    print(f"  changes in 7 days: {figures['week']}")


if __name__ == "__main__":
    main()
