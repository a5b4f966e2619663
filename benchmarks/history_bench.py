"""Measure what history costs: reads with `?as_of=` beside the same reads without it, and a
write that records its version beside the same write that does not.

Run by `make bench` (benchmarks/run, part "history") on a database filled by `manage.py
synth --metric-versions 2`, so every metric has two versions to choose from.

- Reads go to the server started with the project's own gunicorn command: the filtered
  100-row page of api_bench.py, a keyset page deep in the data and a metric's detail, each
  without `as_of` and with `as_of` at three instants: now (every version written, the
  latest shown); half-way through the metrics' creations (the later half not created yet);
  half-way through their edits (half of them in their first version, half in their
  second); and the first page without a filter, which counts every row, now. synth writes
  each version 30 days after the one before, so no instant has metrics of all three kinds
  at once. The variants of a case take turns, repetition by repetition, so a change in the
  machine's load weighs on all of them alike.
- Writes are PATCH /api/v1/metrics/<id>/ with a token, through the whole API stack in this
  process (DRF's APIClient), each to a different metric: with history, and with
  django-simple-history switched off by its own setting (SIMPLE_HISTORY_ENABLED=False),
  taking turns. Each write runs in a transaction rolled back afterwards, so the data stays
  as generated (a write without history would leave a version that history lacks); the
  commit, the same for both, is left out, which makes the ratio stricter, not looser.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factbase.settings")

import django

django.setup()

from api_bench import Client as HTTPClient  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Max, Min  # noqa: E402
from django.test import override_settings  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from events.models import Metric  # noqa: E402

PAGE = "/api/v1/metrics/?metric_type=downloads&region=FR&limit=100"


def take_turns(cases: dict, repeat: int) -> dict[str, float]:
    """Median milliseconds of each function, the functions called in turn (the first one
    first on even rounds, last on odd ones), after one warm-up call each."""
    for function in cases.values():
        function()
    times = {name: [] for name in cases}
    names = list(cases)
    for round_ in range(repeat):
        for name in names if round_ % 2 == 0 else reversed(names):
            start = time.perf_counter()
            cases[name]()
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


class Client(HTTPClient):
    """api_bench's keep-alive connection, answering parsed JSON."""

    def get(self, path: str) -> dict:
        return json.loads(super().get(path))


def with_as_of(path: str, moment: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}as_of={quote(moment)}"


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def halfway(history_type: str) -> str:
    """The instant half-way between the first and the last metric version of this kind
    ("+" created, "~" changed)."""
    span = Metric.history.filter(history_type=history_type).aggregate(
        first=Min("history_date"), last=Max("history_date")
    )
    return iso(span["first"] + (span["last"] - span["first"]) / 2)


def reads(client: Client, repeat: int) -> dict:
    moments = {
        "now": iso(datetime.datetime.now(datetime.UTC)),
        "creations": halfway("+"),
        "edits": halfway("~"),
    }
    results = {"moments": moments}

    def case(name: str, paths: dict[str, str]) -> None:
        rows = {}
        for label, path in paths.items():
            answer = client.get(path)
            if "results" in answer:
                rows[label] = len(answer["results"])
                if not answer["results"]:
                    raise RuntimeError(f"{path}: no rows")  # nothing would be measured
        timed = take_turns({label: lambda p=p: client.get(p) for label, p in paths.items()}, repeat)
        results[name] = {label: round(ms, 2) for label, ms in timed.items()}
        results[name]["paths"] = paths
        if rows:
            results[name]["rows"] = rows

    # The filtered page of api_bench.py.
    case(
        "page",
        {"plain": PAGE, **{f"as_of_{label}": with_as_of(PAGE, m) for label, m in moments.items()}},
    )
    results["page"]["rows_matching"] = {
        "plain": client.get(PAGE + "&fields=id")["count"],
        **{
            label: client.get(with_as_of(PAGE, moment) + "&fields=id")["count"]
            for label, moment in moments.items()
        },
    }

    # The first page without a filter counts every metric (`count`): at an instant, every
    # version of every metric. The next links (keyset) do not count.
    first = "/api/v1/metrics/?limit=100"
    case("first_page", {"plain": first, "as_of_now": with_as_of(first, moments["now"])})

    # A keyset page half-way through the metrics that exist at the instant, by the next
    # links' `after`, beside the same page without as_of.
    for label, moment in moments.items():
        created = Metric.objects.filter(created_at__lte=moment).order_by("id")
        depth = created.count() // 2
        after = created.values_list("id", flat=True)[depth]
        path = f"/api/v1/metrics/?limit=100&after={after}"
        case(f"deep_{label}", {"plain": path, "as_of": with_as_of(path, moment)})
        results[f"deep_{label}"]["depth"] = depth

    # The detail of a metric that exists at the instant.
    for label, moment in moments.items():
        created = Metric.objects.filter(created_at__lte=moment).order_by("id")
        metric = created.values_list("id", flat=True)[created.count() // 2]
        path = f"/api/v1/metrics/{metric}/"
        case(f"detail_{label}", {"plain": path, "as_of": with_as_of(path, moment)})

    for name, result in results.items():
        if name == "moments":
            continue
        for label in [label for label in result if label.startswith("as_of")]:
            result[f"{label}_ratio"] = round(result[label] / result["plain"], 2)
    return results


def bench_token() -> str:
    user, _ = get_user_model().objects.get_or_create(
        username="bench-editor", defaults={"is_staff": True}
    )
    user.groups.add(Group.objects.get(name="editor"))
    return Token.objects.get_or_create(user=user)[0].key


def writes(repeat: int) -> dict:
    client = APIClient(HTTP_HOST="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Token {bench_token()}")
    # Metrics spread over the whole table, a different one for every write.
    total = Metric.objects.count()
    step = max(total // (2 * repeat + 8), 1)
    ids = iter(Metric.objects.order_by("id").values_list("id", flat=True)[::step])

    def patch(check: int | None = None):
        metric = next(ids)
        with transaction.atomic():
            before = Metric.history.filter(id=metric).count() if check is not None else 0
            response = client.patch(
                f"/api/v1/metrics/{metric}/",
                {"note": f"Benchmark write to metric {metric}."},
                format="json",
                HTTP_X_CHANGE_REASON="benchmark",
            )
            if response.status_code != 200:
                detail = response.content[:300]
                raise RuntimeError(f"PATCH metric {metric}: {response.status_code} {detail!r}")
            if check is not None:
                written = Metric.history.filter(id=metric).count() - before
                if written != check:
                    raise RuntimeError(
                        f"PATCH metric {metric}: {written} history rows, not {check}"
                    )
            transaction.set_rollback(True)

    def without_history(check: int | None = None):
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            patch(check)

    # Each variant writes what it should: one history row, or none.
    patch(check=1)
    without_history(check=0)
    timed = take_turns({"with_history": patch, "without_history": without_history}, repeat)
    result = {label: round(ms, 2) for label, ms in timed.items()}
    result["ratio"] = round(timed["with_history"] / timed["without_history"], 2)
    result["writes_each"] = repeat
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--write-repeat", type=int, default=100)
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("benchmarks run against PostgreSQL: set DATABASE_URL")

    metrics = Metric.objects.count()
    results = {
        "metrics": metrics,
        "metric_history_rows": Metric.history.count(),
        "machine": f"{platform.node()} {os.cpu_count()} cores",
        "reads": reads(Client(args.base), args.repeat),
        "writes": writes(args.write_repeat),
    }
    print(json.dumps(results, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    report(results)


def report(r: dict) -> None:
    print()
    print(f"{r['metrics']:,} metrics, {r['metric_history_rows']:,} versions in their history")
    moments = r["reads"]["moments"]
    print("as_of " + ", ".join(f"{label}: {moment}" for label, moment in moments.items()))
    for name, case in r["reads"].items():
        if name == "moments":
            continue
        variants = ", ".join(
            f"{label} {case[label]} ms ({case[label + '_ratio']}x)"
            for label in case
            if label.startswith("as_of") and not label.endswith("_ratio")
        )
        target = " (target <= 3x)" if name == "page" else ""
        print(f"{name}: without as_of {case['plain']} ms; {variants}{target}")
    w = r["writes"]
    print(
        f"PATCH: with history {w['with_history']} ms, without {w['without_history']} ms "
        f"-> {w['ratio']}x (target <= 1.5x; median of {w['writes_each']} each)"
    )


if __name__ == "__main__":
    main()
