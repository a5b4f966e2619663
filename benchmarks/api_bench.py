"""Measure the API against PostgreSQL doing the same work by itself.

Run by `make bench` (benchmarks/run), against a server started with the project's own
gunicorn command, on a database filled by `manage.py synth`. For each case it reports the
median of repeated runs, in the same run as the raw SQL it is compared with:

- a 100-row filtered page of metrics, beside the page's SQL fetched and JSON-encoded;
- a page 500,000 rows deep, by offset and by keyset (`after`), beside the first page;
- the full CSV of /api/v1/metrics/, beside PostgreSQL's COPY ... TO STDOUT CSV of the
  same columns.
"""

import argparse
import http.client
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factbase.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

from events.api.serializers import MetricSerializer  # noqa: E402
from events.models import Metric, MetricType  # noqa: E402
from factbase.api.csv_export import select_columns, with_computed_columns  # noqa: E402
from factbase.api.shape import csv_columns, read_queryset  # noqa: E402


def median_ms(function, repeat: int) -> float:
    function()  # warm caches and connections
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


class Client:
    """One keep-alive HTTP connection, like a real client paging through results."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)

    def get(self, path: str) -> bytes:
        self.connection.request("GET", path, headers={"Accept": "application/json"})
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status} {body[:300]!r}")
        return body

    def stream(self, path: str) -> int:
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        size = 0
        while chunk := response.read(1 << 20):
            size += len(chunk)
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status}")
        return size


def raw_page(sql: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [c.name for c in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    json.dumps(rows, default=str)


def copy_csv(sql: str, params) -> int:
    with connection.cursor() as cursor:
        query = cursor.mogrify(sql, params)
        size = 0
        with cursor.connection.cursor().copy(f"COPY ({query}) TO STDOUT WITH CSV HEADER") as copy:
            for block in copy:
                size += len(block)
    return size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--csv-repeat", type=int, default=3)
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("benchmarks run against PostgreSQL: set DATABASE_URL")

    client = Client(args.base)
    total = Metric.objects.count()
    downloads = MetricType.objects.get(slug="downloads")
    results = {"metrics": total, "machine": f"{platform.node()} {os.cpu_count()} cores"}

    # 1. A 100-row filtered page.
    path = "/api/v1/metrics/?metric_type=downloads&region=FR&limit=100"
    queryset = Metric.objects.filter(metric_type=downloads, region="FR").order_by("id")
    page_qs = (
        read_queryset(MetricSerializer).filter(metric_type=downloads, region="FR").order_by("id")
    )
    sql, params = page_qs[:100].query.sql_with_params()
    results["filtered_rows"] = queryset.count()
    results["page_api_ms"] = median_ms(lambda: client.get(path), args.repeat)
    results["page_raw_ms"] = median_ms(lambda: raw_page(sql, params), args.repeat)

    # 2. A page 500,000 rows deep: by offset, and by keyset as the next links do it.
    depth = min(500_000, max(total - 100, 0))
    deep_id = Metric.objects.order_by("id").values_list("id", flat=True)[depth]
    results["depth"] = depth
    results["first_page_api_ms"] = median_ms(
        lambda: client.get("/api/v1/metrics/?limit=100"), args.repeat
    )
    results["deep_offset_api_ms"] = median_ms(
        lambda: client.get(f"/api/v1/metrics/?limit=100&offset={depth}"), args.repeat
    )
    results["deep_keyset_api_ms"] = median_ms(
        lambda: client.get(f"/api/v1/metrics/?limit=100&after={deep_id}"), args.repeat
    )
    deep_qs = read_queryset(MetricSerializer).filter(pk__gt=deep_id).order_by("id")[:100]
    deep_sql, deep_params = deep_qs.query.sql_with_params()
    results["deep_keyset_raw_ms"] = median_ms(lambda: raw_page(deep_sql, deep_params), args.repeat)

    # 3. The full CSV export beside COPY of the same columns.
    columns = select_columns(csv_columns(MetricSerializer), None)
    csv_qs = with_computed_columns(Metric.objects.order_by("id"), columns).values_list(
        *[c.path for c in columns]
    )
    csv_sql, csv_params = csv_qs.query.sql_with_params()
    sizes = {}
    results["csv_api_ms"] = median_ms(
        lambda: sizes.__setitem__("api", client.stream("/api/v1/metrics/?format=csv")),
        args.csv_repeat,
    )
    results["csv_copy_ms"] = median_ms(
        lambda: sizes.__setitem__("copy", copy_csv(csv_sql, csv_params)), args.csv_repeat
    )
    results["csv_api_bytes"] = sizes["api"]
    results["csv_copy_bytes"] = sizes["copy"]
    results["csv_api_rows_per_s"] = round(total / results["csv_api_ms"] * 1000)
    results["csv_copy_rows_per_s"] = round(total / results["csv_copy_ms"] * 1000)

    for key, value in results.items():
        if isinstance(value, float):
            results[key] = round(value, 2)
    print(json.dumps(results, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    report(results)


def report(r: dict) -> None:
    page_ratio = r["page_api_ms"] / r["page_raw_ms"]
    deep_ratio = r["deep_keyset_api_ms"] / r["first_page_api_ms"]
    csv_ratio = r["csv_api_rows_per_s"] / r["csv_copy_rows_per_s"]
    print()
    print(
        f"filtered page: API {r['page_api_ms']} ms, raw SQL+JSON {r['page_raw_ms']} ms "
        f"-> {page_ratio:.1f}x (target <= 5x)"
    )
    print(
        f"deep page (keyset) {r['deep_keyset_api_ms']} ms vs first page "
        f"{r['first_page_api_ms']} ms -> {deep_ratio:.2f}x; by offset "
        f"{r['deep_offset_api_ms']} ms"
    )
    print(
        f"CSV: API {r['csv_api_rows_per_s']} rows/s, COPY {r['csv_copy_rows_per_s']} rows/s "
        f"-> {csv_ratio:.2f} of COPY (target >= 0.5)"
    )


if __name__ == "__main__":
    main()
