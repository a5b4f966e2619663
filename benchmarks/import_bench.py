"""Measure `manage.py import_facts` on a large metrics CSV: rows a second and peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fb_import \\
        .venv/bin/python benchmarks/import_bench.py --rows 100000

On a scratch PostgreSQL database (it is migrated, and the rows imported stay there): the
script makes sure of a few companies and a source whose stored text holds the quote every
row cites, writes a CSV of `--rows` new metrics (existing companies and metric types,
varied values, regions and months, each row citing the source with that quote), and runs
the command on it in a process of its own, timed from start to exit, its peak resident
memory read from the kernel when it ends (`os.wait4`: the child's `ru_maxrss`, what
`resource.getrusage(RUSAGE_CHILDREN)` reports for it). A small import (`--small` rows)
runs first, so that the two peaks show whether memory grows with the file.

Every row is validated by the API's serializer and written through the services with its
citation and history, in one transaction: the numbers are those of a real import, not of
a bulk load.
"""

import argparse
import csv
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factbase.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from companies.models import Company  # noqa: E402
from events.models import Metric, MetricType  # noqa: E402
from factbase.core.models import Source  # noqa: E402
from factbase.core.services import record_write  # noqa: E402

QUOTE = "the assistant passed one million downloads in its first two weeks"
SOURCE_URL = "https://bench.example.org/import-benchmark"
COMPANIES = 50
REGIONS = ("FR", "DE", "IT", "ES", "GB", "US", "001", "")
COUNT_TYPES = ("downloads", "users", "employees")
HEADER = (
    "company_slug",
    "metric_type_slug",
    "qualifier",
    "value",
    "region",
    "period_start",
    "period_precision",
    "status",
    "confidence",
    "note",
    "citation_source",
    "citation_quote",
)


def fixtures() -> tuple[list[str], int]:
    """The companies the rows name and the source they cite, made once, through the
    services."""
    slugs = []
    for number in range(1, COMPANIES + 1):
        slug = f"bench-company-{number}"
        if not Company.objects.filter(slug=slug).exists():
            record_write(
                Company(),
                fields={"name": f"Bench Company {number}", "slug": slug, "kind": "technology"},
                reason="import_bench",
            )
        slugs.append(slug)
    source = Source.objects.filter(url=SOURCE_URL).first()
    if source is None:
        text = f"A benchmark article. Its company said {QUOTE}, and more since."
        source = record_write(
            Source(),
            fields={
                "title": "Import benchmark source",
                "publisher": "Bench News",
                "url": SOURCE_URL,
                "language": "en",
                "kind": "news_article",
                "text": text,
            },
            reason="import_bench",
        )
    missing = set(COUNT_TYPES) - set(MetricType.objects.values_list("slug", flat=True))
    if missing:
        raise SystemExit(f"Seeded metric types missing: {', '.join(sorted(missing))}.")
    return slugs, source.pk


def write_csv(path: Path, rows: int, companies: list[str], source_id: int) -> None:
    """`rows` new metrics: every company, count type, region and month in turn."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(HEADER)
        for index in range(rows):
            month = datetime.date(2020 + (index // 12) % 6, index % 12 + 1, 1)
            writer.writerow(
                (
                    companies[index % len(companies)],
                    COUNT_TYPES[index % len(COUNT_TYPES)],
                    "at_least" if index % 3 else "exact",
                    str(1000 + index * 7),
                    REGIONS[index % len(REGIONS)],
                    month.isoformat(),
                    "month",
                    "verified" if index % 2 else "unverified",
                    "medium",
                    f"Benchmark row {index + 1}.",
                    str(source_id),
                    QUOTE,
                )
            )


def run_import(path: Path, *, dry_run: bool) -> dict:
    """import_facts on `path` in a child process: its seconds, exit status, peak RSS."""
    command = [
        sys.executable,
        str(ROOT / "manage.py"),
        "import_facts",
        str(path),
        "--kind",
        "metrics",
        "--reason",
        "import_bench",
        "--progress",
    ]
    if dry_run:
        command.append("--dry-run")
    started = time.monotonic()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    child.stdout.close()
    return {
        "seconds": seconds,
        "status": child.returncode,
        "peak_rss_mb": usage.ru_maxrss / 1024,  # Linux gives kilobytes
        "output": output.strip(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=2_000, help="rows of the first import")
    parser.add_argument("--dry-run", action="store_true", help="measure dry runs (nothing is kept)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Run it on PostgreSQL: DATABASE_URL=postgres://.../a-scratch-database")
    call_command("migrate", verbosity=0)
    companies, source_id = fixtures()
    before = Metric.objects.count()
    database = settings.DATABASES["default"]
    print(
        f"PostgreSQL {connection.cursor().connection.info.server_version}, database "
        f"{database['NAME']}; Python {platform.python_version()}; {os.cpu_count()} cores; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    results = []
    with tempfile.TemporaryDirectory() as directory:
        for rows in (args.small, args.rows):
            path = Path(directory) / f"metrics-{rows}.csv"
            write_csv(path, rows, companies, source_id)
            size = path.stat().st_size
            result = run_import(path, dry_run=args.dry_run)
            if result["status"] != 0:
                raise SystemExit(f"import_facts failed:\n{result['output']}")
            results.append((rows, size, result))
            print(result["output"])
    written = Metric.objects.count() - before
    expected = 0 if args.dry_run else args.small + args.rows
    assert written == expected, (written, expected)
    print()
    print("| rows | file | seconds | rows/s | peak RSS |")
    print("|---:|---:|---:|---:|---:|")
    for rows, size, result in results:
        print(
            f"| {rows:,} | {size / 1e6:.1f} MB | {result['seconds']:.1f} | "
            f"{rows / result['seconds']:,.0f} | {result['peak_rss_mb']:.0f} MB |"
        )
    what = "dry runs" if args.dry_run else "written"
    print(f"\n{what}; load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
