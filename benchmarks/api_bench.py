"""Measure the API beside an honest floor: the same answer, read and written by hand.

Run by `make bench` (benchmarks/run, part "api") against a server started with the
project's own gunicorn command, on a database filled by `manage.py synth`.

The floor of a JSON case reads the same rows as the API (the page, its count, its
citations, the records it shows in brief) through a psycopg connection of its own, with
hand-written statements, each prepared once (`prepare=True`) and run before the timing so
its plan is cached; it builds the same structure with plain Python and encodes it with
orjson. Before anything is timed, each floor's bytes are checked to EQUAL the API's bytes
for the same request (nothing normalised): the floor does the same work, no less. The
cases, each the median of `--repeat` runs, the API and the floors taking turns in one
loop (forwards, then backwards), so that a change in the machine's load weighs on all:

1. a filtered 100-row page of metrics with its citations;
2. the same page with `fields=` (12 columns) and with `brief=1`;
3. a keyset page 500,000 rows deep (`after=`) and the first page without a filter, each
   beside its floor and beside the filtered page;
4. a metric's detail;
5. a company search, `companies/?q=<a company's name>`, against a fixed time; beside it,
   the queries the API runs for it, replayed by themselves (prepared);
6. the filtered page with `as_of=<now>`, beside the page without;
7. throughput on the filtered page at 4 connections, with wrk: requests a second, p50, p99;
8. the full CSV of /api/v1/metrics/, beside COPY of the export's own statement (the same
   bytes, checked by their SHA-256), and the peak RSS (VmHWM) of the gunicorn workers
   meanwhile.

Beside them, `/healthz` (HTTP, gunicorn, Django's middleware and one `SELECT 1`): what any
answer costs, which no floor includes. And the floors of cases 1 to 4 served over HTTP by a
second server (benchmarks/floor_server.py: the same gunicorn settings, no Django), their
bytes checked equal to the API's too: the API's time over theirs is what Django and
Factbase add to an answer, theirs over the floor's what any answer over HTTP costs. The
targets stay against the floors in process; `--skip http-floor` leaves this out.

The load average is recorded with every group of measurements: the numbers of a busy
machine are slower, and the ratios noisier.
"""

import argparse
import datetime
import hashlib
import http.client
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factbase.settings")

import django

django.setup()

import orjson  # noqa: E402
import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client as DjangoClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from companies.models import Company  # noqa: E402
from events.api.serializers import MetricSerializer  # noqa: E402
from events.models import Metric  # noqa: E402
from factbase import urls  # noqa: E402, F401 (every serializer registered, as in the server)
from factbase.api.csv_export import NO_JIT, _copy_sql, select_columns  # noqa: E402
from factbase.api.shape import csv_columns  # noqa: E402

PAGE = "/api/v1/metrics/?metric_type=downloads&region=FR&limit=100"
FIELDS = (
    "id,value,region,period_start,company,metric_type,status,confidence,claim_type,note,"
    "version,updated_at"
)
CSV = "/api/v1/metrics/?format=csv"
LIMIT = 100
DEPTH = 500_000
CORROBORATED = 2  # independent sources (publishers) that make a fact corroborated


# --- measuring ---------------------------------------------------------------------------


def load() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def take_turns(cases: dict, repeat: int) -> dict[str, float]:
    """Median milliseconds of each function, called in turn (forwards on even rounds,
    backwards on odd ones). The warm-up calls are made by the caller."""
    times = {name: [] for name in cases}
    names = list(cases)
    for round_ in range(repeat):
        for name in names if round_ % 2 == 0 else reversed(names):
            start = time.perf_counter()
            cases[name]()
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


class Client:
    """One HTTP connection to the server (it closes connections after each answer; the
    next request opens another, as a client would)."""

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

    def stream(self, path: str, digest=None) -> int:
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status} {response.read(300)!r}")
        size = 0
        while chunk := response.read(1 << 20):
            size += len(chunk)
            if digest is not None:
                digest.update(chunk)
        return size


def same_bytes(name: str, api: bytes, floor: bytes) -> None:
    """The floor's answer must be the API's, byte for byte."""
    if api == floor:
        return
    at = next((i for i, (a, b) in enumerate(zip(api, floor, strict=False)) if a != b), None)
    at = min(len(api), len(floor)) if at is None else at
    raise SystemExit(
        f"{name}: the floor's bytes differ from the API's at byte {at} "
        f"(API {len(api)} bytes, floor {len(floor)}):\n"
        f"  API   ...{api[max(at - 120, 0) : at + 120]!r}\n"
        f"  floor ...{floor[max(at - 120, 0) : at + 120]!r}"
    )


# --- the floor ---------------------------------------------------------------------------


def dec(value):
    """A decimal as the API writes it: plain digits, no trailing zeros."""
    if value is None:
        return None
    return format(value.normalize(), "f") if value else "0"


def day(value):
    return None if value is None else value.isoformat()


def moment(value):
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def encode(data) -> bytes:
    # As the API's renderer: line and paragraph separators escaped.
    return (
        orjson.dumps(data).replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
    )


METRIC = "SELECT {columns} FROM events_metric"
FULL = (
    "id, company_id, product_id, metric_type_id, qualifier, value, value_high, currency, "
    "value_usd, usd_rate, usd_rate_on, usd_rate_source, unit, period_start, period_end, "
    "period_precision, period_until, window_days, window_anchor, anchor_event_id, region, "
    "platform_id, status, confidence, claim_type, note, version, created_at, updated_at, "
    "created_by_id, updated_by_id"
)
FIELD_COLUMNS = (
    "id, company_id, metric_type_id, value, period_start, region, status, confidence, "
    "claim_type, note, version, updated_at"
)
BRIEF = "id, qualifier, value, value_high, currency, unit"
WHERE = {
    "filtered": "WHERE metric_type_id = %s AND region = %s ORDER BY id LIMIT %s",
    "after": "WHERE id > %s ORDER BY id LIMIT %s",
    "first": "ORDER BY id LIMIT %s",
    "detail": "WHERE id = %s",
}
STATEMENTS = {
    "type_id": "SELECT id FROM events_metrictype WHERE slug = %s",
    "count_filtered": (
        "SELECT count(*) FROM events_metric WHERE metric_type_id = %s AND region = %s"
    ),
    "count_all": "SELECT count(*) FROM events_metric",
    "estimate_all": "EXPLAIN (FORMAT JSON) SELECT id FROM events_metric ORDER BY id",
    "companies": "SELECT id, name, slug FROM companies_company WHERE id = ANY(%s)",
    "products": "SELECT id, name, slug FROM companies_product WHERE id = ANY(%s)",
    "metric_types": "SELECT id, slug, name, unit_kind FROM events_metrictype WHERE id = ANY(%s)",
    "events": "SELECT id, title FROM events_event WHERE id = ANY(%s)",
    "platforms": "SELECT id, slug, name FROM companies_platform WHERE id = ANY(%s)",
    "users": "SELECT id, username FROM auth_user WHERE id = ANY(%s)",
    "citations": (
        "SELECT id, object_id, source_id, quote, translation, char_start, char_end, "
        "locator, field_name, attributed_to_id FROM factbase_citation "
        "WHERE content_type_id = %s AND object_id = ANY(%s) ORDER BY id"
    ),
    "sources": (
        "SELECT id, title, publisher, url, published_on, published_precision, language "
        "FROM factbase_source WHERE id = ANY(%s)"
    ),
    "people": "SELECT id, name, slug FROM companies_person WHERE id = ANY(%s)",
}


class Floor:
    """The API's metric answers, built by hand from prepared statements."""

    def __init__(self, base: str, count_estimated_key: bool):
        db = settings.DATABASES["default"]
        self.connection = psycopg.connect(
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            dbname=db["NAME"],
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            autocommit=True,
        )
        self.connection.execute("SET TimeZone = 'UTC'")
        self.cursor = self.connection.cursor()
        self.base = base
        self.api = f"{base}/api/v1/"
        # Whether the list envelope says if its count is estimated (read from the API's
        # answer: the byte check holds the floor to it).
        self.count_estimated_key = count_estimated_key
        self.content_type = self.one(
            "SELECT id FROM django_content_type WHERE app_label = 'events' AND model = 'metric'"
        )

    def rows(self, sql: str, params=None) -> list:
        return self.cursor.execute(sql, params, prepare=True).fetchall()

    def one(self, sql: str, params=None):
        return self.rows(sql, params)[0][0]

    def statement(self, name: str, params=None) -> list:
        return self.rows(STATEMENTS[name], params)

    def briefs(self, name: str, kind: str, ids: set) -> dict:
        if not ids:
            return {}
        prefix = f"{self.api}{kind}/"
        rows = self.statement(name, (list(ids),))
        if name in ("companies", "products", "people"):
            return {i: {"id": i, "url": f"{prefix}{i}/", "name": n, "slug": s} for i, n, s in rows}
        if name == "metric_types":
            return {
                i: {"id": i, "url": f"{prefix}{i}/", "slug": s, "name": n, "unit_kind": u}
                for i, s, n, u in rows
            }
        if name == "events":
            return {i: {"id": i, "url": f"{prefix}{i}/", "title": t} for i, t in rows}
        if name == "platforms":
            return {i: {"id": i, "url": f"{prefix}{i}/", "slug": s, "name": n} for i, s, n in rows}
        raise KeyError(name)

    # --- lists and details of metrics ----------------------------------------------------

    def page(self, where: str, params: tuple, form: str, query: dict) -> bytes:
        """A list page: `where` one of WHERE's first three, `query` the request's query."""
        count, estimated = None, False
        if where == "filtered":
            type_id = self.one(STATEMENTS["type_id"], (params[0],))
            params = (type_id, *params[1:])
            count = self.statement("count_filtered", params)[0][0]
        elif where == "first":
            # As the API: a whole table of more than 100,000 rows (the planner's estimate)
            # is not counted, when its answers say whether the count is estimated.
            if self.count_estimated_key:
                plan = self.statement("estimate_all")[0][0]
                count = int(plan[0]["Plan"]["Plan Rows"])
                estimated = count > 100_000
            if not estimated:
                count = self.statement("count_all")[0][0]
        rows = self.read(where, (*params, LIMIT + 1), form)
        more = len(rows) > LIMIT
        rows = rows[:LIMIT]
        results = self.render(rows, form)
        next_link = None
        if more:
            after = {k: v for k, v in query.items() if k != "offset"}
            after |= {"limit": str(LIMIT), "after": str(rows[-1][0])}
            next_link = f"{self.api}metrics/?{urlencode(sorted(after.items()))}"
        data = {"count": count}
        if self.count_estimated_key:
            data["count_estimated"] = estimated
        data |= {"next": next_link, "previous": None, "results": results}
        return encode(data)

    def detail(self, pk: int) -> bytes:
        return encode(self.render(self.read("detail", (pk,), "full"), "full")[0])

    def read(self, where: str, params: tuple, form: str) -> list:
        columns = {"full": FULL, "fields": FIELD_COLUMNS, "brief": BRIEF}[form]
        return self.rows(f"{METRIC.format(columns=columns)} {WHERE[where]}", params)

    def render(self, rows: list, form: str) -> list:
        prefix = f"{self.api}metrics/"
        if form == "brief":
            return [
                {
                    "id": i,
                    "url": f"{prefix}{i}/",
                    "qualifier": q,
                    "value": dec(v),
                    "value_high": dec(high),
                    "currency": currency,
                    "unit": unit,
                }
                for i, q, v, high, currency, unit in rows
            ]
        companies = self.briefs("companies", "companies", {r[1] for r in rows} - {None})
        if form == "fields":
            types = self.briefs("metric_types", "metric-types", {r[2] for r in rows})
            # In the order `fields=` names them, as the API gives them.
            return [
                {
                    "id": i,
                    "value": dec(v),
                    "region": reg,
                    "period_start": day(ps),
                    "company": None if c is None else companies[c],
                    "metric_type": types[t],
                    "status": st,
                    "confidence": conf,
                    "claim_type": ct,
                    "note": note,
                    "version": ver,
                    "updated_at": moment(up),
                }
                for i, c, t, v, ps, reg, st, conf, ct, note, ver, up in rows
            ]
        products = self.briefs("products", "products", {r[2] for r in rows} - {None})
        types = self.briefs("metric_types", "metric-types", {r[3] for r in rows})
        events = self.briefs("events", "events", {r[19] for r in rows} - {None})
        platforms = self.briefs("platforms", "platforms", {r[21] for r in rows} - {None})
        user_ids = {r[29] for r in rows} | {r[30] for r in rows}
        users = (
            dict(self.statement("users", (list(user_ids - {None}),))) if user_ids - {None} else {}
        )
        citations, publishers = self.citations([r[0] for r in rows])
        results = []
        for row in rows:
            (i, c, p, t, qualifier, value, value_high, currency, value_usd, usd_rate) = row[:10]
            (usd_rate_on, usd_rate_source, unit, period_start, period_end) = row[10:15]
            (period_precision, period_until, window_days, window_anchor, event) = row[15:20]
            (region, platform_, status, confidence, claim_type, note, version) = row[20:27]
            (created_at, updated_at, created_by, updated_by) = row[27:31]
            company = None if c is None else companies[c]
            product = None if p is None else products[p]
            subject = (
                {"type": "company", **company} if c is not None else {"type": "product", **product}
            )
            sources = publishers.get(i, 0)
            results.append(
                {
                    "id": i,
                    "url": f"{prefix}{i}/",
                    "subject": subject,
                    "company": company,
                    "product": product,
                    "metric_type": types[t],
                    "qualifier": qualifier,
                    "value": dec(value),
                    "value_high": dec(value_high),
                    "currency": currency,
                    "value_usd": dec(value_usd),
                    "usd_rate": dec(usd_rate),
                    "usd_rate_on": day(usd_rate_on),
                    "usd_rate_source": usd_rate_source,
                    "unit": unit,
                    "period_start": day(period_start),
                    "period_end": day(period_end),
                    "period_precision": period_precision,
                    "period_until": day(period_until),
                    "window_days": window_days,
                    "window_anchor": window_anchor,
                    "anchor_event": None if event is None else events[event],
                    "region": region,
                    "platform": None if platform_ is None else platforms[platform_],
                    "status": status,
                    "confidence": confidence,
                    "claim_type": claim_type,
                    "note": note,
                    "citations": citations.get(i, []),
                    "source_count": sources,
                    "corroborated": sources >= CORROBORATED,
                    "version": version,
                    "created_at": moment(created_at),
                    "updated_at": moment(updated_at),
                    "created_by": None if created_by is None else users[created_by],
                    "updated_by": None if updated_by is None else users[updated_by],
                }
            )
        return results

    def citations(self, ids: list) -> tuple[dict, dict]:
        """Each fact's citations, and its number of independent sources (publishers)."""
        rows = self.statement("citations", (self.content_type, ids))
        source_ids = {r[2] for r in rows}
        sources = {}
        if source_ids:
            prefix = f"{self.api}sources/"
            sources = {
                i: {
                    "id": i,
                    "url": f"{prefix}{i}/",
                    "title": title,
                    "publisher": publisher,
                    "source_url": url,
                    "published_on": day(published_on),
                    "published_precision": precision,
                    "language": language,
                }
                for i, title, publisher, url, published_on, precision, language in self.statement(
                    "sources", (list(source_ids),)
                )
            }
        people = self.briefs("people", "people", {r[9] for r in rows} - {None})
        groups, publishers = defaultdict(list), defaultdict(set)
        for i, fact, source, quote_, translation, start, end, locator, field, person in rows:
            groups[fact].append(
                {
                    "id": i,
                    "source": sources[source],
                    "quote": quote_,
                    "translation": translation,
                    "char_start": start,
                    "char_end": end,
                    "locator": locator,
                    "field_name": field,
                    "attributed_to": None if person is None else people[person],
                }
            )
            publishers[fact].add(sources[source]["publisher"])
        return groups, {fact: len(names) for fact, names in publishers.items()}

    # --- CSV ---------------------------------------------------------------------------

    def copy(self, sql: str, digest=None) -> int:
        """COPY of the export's statement, run as the export runs it (without JIT)."""
        size = 0
        copy_sql = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)"
        with self.connection.transaction():
            self.cursor.execute(NO_JIT)
            with self.cursor.copy(copy_sql) as copy:
                for block in copy:
                    size += len(block)
                    if digest is not None:
                        digest.update(block)
        return size

    def replay(self, queries: list[str]) -> None:
        for sql in queries:
            self.cursor.execute(sql, prepare=True)
            if self.cursor.description is not None:
                self.cursor.fetchall()


# --- the cases ---------------------------------------------------------------------------


def api_queries(base: str, path: str) -> list[str]:
    """The SQL the API runs for `path`, answered in this process (same code, same
    settings but the server's)."""
    host = urlsplit(base).netloc
    client = DjangoClient(HTTP_HOST=host, HTTP_ACCEPT="application/json")
    client.get(path)  # caches (content types, and the like) as a running worker has them
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"{path} in process: {response.status_code}")
    return [query["sql"] for query in captured.captured_queries]


def query_of(path: str) -> dict:
    return dict(part.split("=", 1) for part in urlsplit(path).query.split("&"))


def json_cases(args, client: Client, results: dict) -> dict:
    """Cases 1 to 6: every request and every floor, taking turns in one loop; unless
    `--skip http-floor`, each floor served over HTTP too (FloorServer)."""
    page_body = client.get(PAGE)
    floor = Floor(args.base, "count_estimated" in orjson.loads(page_body))
    deep_id = Metric.objects.order_by("id").values_list("id", flat=True)[DEPTH]
    name = Company.objects.order_by("id").values_list("name", flat=True)[50_000]
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    results |= {"deep_after_id": deep_id, "search_name": name, "as_of": now}
    fields_path = f"{PAGE}&fields={FIELDS}"
    search_path = f"/api/v1/companies/?q={quote(name)}"
    filtered = ["downloads", "FR"]
    paths = {
        "page": PAGE,
        "fields": fields_path,
        "brief": f"{PAGE}&brief=1",
        "deep": f"/api/v1/metrics/?limit={LIMIT}&after={deep_id}",
        "first": f"/api/v1/metrics/?limit={LIMIT}",
        "detail": f"/api/v1/metrics/{deep_id}/",
        "as_of": f"{PAGE}&as_of={quote(now)}",
        "search": search_path,
        # What any answer costs: HTTP, gunicorn, Django's middleware and one SELECT 1.
        "healthz": "/healthz",
    }
    # Each floor: the Floor method and its arguments (JSON, for the floor's server too).
    specs = {
        "page": ["page", "filtered", filtered, "full", query_of(PAGE)],
        "fields": ["page", "filtered", filtered, "fields", query_of(fields_path)],
        "brief": ["page", "filtered", filtered, "brief", query_of(paths["brief"])],
        "deep": ["page", "after", [deep_id], "full", query_of(paths["deep"])],
        "first": ["page", "first", [], "full", query_of(paths["first"])],
        "detail": ["detail", deep_id],
    }
    floors = {
        case: lambda method=method, args=args: getattr(floor, method)(*args)
        for case, (method, *args) in specs.items()
    }
    search_queries = api_queries(args.base, search_path)
    results["search_queries"] = len(search_queries)
    floors["search"] = lambda: floor.replay(search_queries)

    # The check, once per case (also the warm-up: every statement prepared, every page
    # read once).
    for case, make in floors.items():
        api = client.get(paths[case])
        if case != "search":
            same_bytes(case, api, make())
        else:
            make()
    client.get(paths["as_of"])
    results["search_matches"] = orjson.loads(client.get(search_path)).get("count")
    results["json_checked"] = "floor bytes equal to the API's for " + ", ".join(
        case for case in floors if case != "search"
    )

    cases = {}
    for case, path in paths.items():
        cases[f"{case}_api"] = lambda path=path: client.get(path)
        if case in floors:
            cases[f"{case}_floor"] = floors[case]
    http_floor = None
    if "http-floor" not in args.skip:
        served = {paths[case]: spec for case, spec in specs.items()}
        http_floor = FloorServer(args.floor_port, served, args.base, floor.count_estimated_key)
    try:
        if http_floor is not None:
            # The same answers served over HTTP: held to the API's bytes too (and warmed:
            # each of the server's threads prepares its statements on first use).
            for case in specs:
                api = client.get(paths[case])
                for _ in range(20):
                    same_bytes(f"{case} over HTTP", api, http_floor.client.get(paths[case]))
                cases[f"{case}_http_floor"] = lambda path=paths[case]: http_floor.client.get(path)
            results["json_checked"] += "; the same over HTTP"
        before = load()
        times = take_turns(cases, args.repeat)
        results["json_load"] = [before, load()]
    finally:
        if http_floor is not None:
            http_floor.stop()
    return times


class FloorServer:
    """The floor's answers over HTTP (benchmarks/floor_server.py), under gunicorn with the
    project's own settings (gunicorn.conf.py and the same environment as the API's
    server): what any answer served over HTTP costs, without Django."""

    def __init__(self, port: int, served: dict, api_base: str, count_estimated: bool):
        root = Path(__file__).resolve().parent.parent
        env = os.environ | {
            "FLOOR_CASES": json.dumps(served),
            "FLOOR_API_BASE": api_base,
            "FLOOR_COUNT_ESTIMATED": "1" if count_estimated else "0",
            "BIND": f"127.0.0.1:{port}",
        }
        command = [str(Path(sys.executable).parent / "gunicorn"), "--pythonpath", "benchmarks"]
        self.process = subprocess.Popen([*command, "floor_server:app"], cwd=root, env=env)
        self.client = Client(f"http://127.0.0.1:{port}")
        for _ in range(100):
            try:
                self.client.get(next(iter(served)))
                return
            except (OSError, http.client.HTTPException):
                self.client = Client(f"http://127.0.0.1:{port}")
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"the floor's server did not answer on port {port}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def throughput(args) -> dict:
    """wrk on the filtered page at 4 connections, after a short warm-up."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return {"error": "wrk is not installed (apt-get install -y wrk)"}
    url = f"{args.base}{PAGE}"
    subprocess.run([wrk, "-t2", "-c4", "-d3s", url], capture_output=True, check=True)
    before = load()
    command = [wrk, "-t2", "-c4", f"-d{args.wrk_seconds}s", "--timeout", "30s", "--latency", url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    after = load()
    latency = dict(re.findall(r"^\s+(\d+)%\s+([\d.]+\w+)", out, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "command": " ".join(command),
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": duration_ms(latency["50"]),
        "p90_ms": duration_ms(latency["90"]),
        "p99_ms": duration_ms(latency["99"]),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "load": [before, after],
    }


def duration_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def workers(server_pid: int | None) -> list[int]:
    if server_pid is None:
        return []
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    return 0


def reset_peaks(pids: list[int]) -> bool:
    """Reset the peak RSS (VmHWM) of each process (Linux: clear_refs 5)."""
    try:
        for pid in pids:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def csv_case(args, client: Client, floor_base: str) -> dict:
    """The full CSV through the API, beside COPY of the export's statement."""
    total = Metric.objects.count()
    columns = select_columns(csv_columns(MetricSerializer), None)
    # The export's own statement (factbase.api.csv_export), run by COPY on our connection.
    copy_sql = _copy_sql(Metric.objects.order_by("id"), columns)
    floor = Floor(floor_base, False)
    pids = workers(args.server_pid)
    result = {"rows": total, "workers": pids}
    result["peak_rss_before_mb"] = max((status_kb(p, "VmHWM") for p in pids), default=0) / 1024
    result["peak_reset"] = reset_peaks(pids)
    api_digest, copy_digest = hashlib.sha256(), hashlib.sha256()
    before = load()
    # The check (and warm-up): the same bytes from both.
    result["api_bytes"] = client.stream(CSV, api_digest)
    result["copy_bytes"] = floor.copy(copy_sql, copy_digest)
    if api_digest.digest() != copy_digest.digest():
        raise SystemExit(
            f"CSV: the API's bytes ({result['api_bytes']}) differ from COPY's "
            f"({result['copy_bytes']})"
        )
    times = take_turns(
        {"api": lambda: client.stream(CSV), "copy": lambda: floor.copy(copy_sql)},
        args.csv_repeat,
    )
    result["load"] = [before, load()]
    result["api_ms"], result["copy_ms"] = times["api"], times["copy"]
    result["api_rows_per_s"] = round(total / times["api"] * 1000)
    result["copy_rows_per_s"] = round(total / times["copy"] * 1000)
    result["peak_rss_mb"] = {p: status_kb(p, "VmHWM") / 1024 for p in pids}
    return result


# --- the report --------------------------------------------------------------------------


def rows_of(r: dict) -> list[dict]:
    """The table: each case, what it is compared with, the ratio and its target."""
    t = r["times_ms"]
    load_ = r["json_load"]

    def row(case, api, other, other_name, target):
        ratio = api / other if other else None
        met = None if target is None else (ratio if other is not None else api) <= target
        return {
            "case": case,
            "api": api,
            "other": other,
            "compared_with": other_name,
            "ratio": ratio,
            "target": target,
            "met": met,
            "load": load_,
        }

    table = [
        row("0. /healthz (any answer)", t["healthz_api"], None, "", None),
        row("1. filtered page", t["page_api"], t["page_floor"], "floor", 2.5),
        row("2. fields= (12 columns)", t["fields_api"], t["fields_floor"], "floor", 1.5),
        row("2. brief=1", t["brief_api"], t["brief_floor"], "floor", 1.5),
        row("3. keyset 500,000 deep", t["deep_api"], t["deep_floor"], "floor", None),
        row("3. keyset 500,000 deep", t["deep_api"], t["page_api"], "filtered page (API)", 1.1),
        row("3. first page, no filter", t["first_api"], t["first_floor"], "floor", None),
        row("3. first page, no filter", t["first_api"], t["page_api"], "filtered page (API)", 1.5),
        row("4. metric detail", t["detail_api"], t["detail_floor"], "floor", 3.0),
        row("5. companies ?q=", t["search_api"], None, "(10 ms)", 10.0),
        row("5. companies ?q=", t["search_api"], t["search_floor"], "its queries alone", None),
        row("6. as_of=now", t["as_of_api"], t["page_api"], "filtered page (API)", 2.0),
    ]
    if "page_http_floor" in t:
        # Beside the targets, not in their place: the floor served over HTTP under the
        # same gunicorn settings, so that the API's time splits into what any answer over
        # HTTP costs and what Django and Factbase add to it.
        over_http = [
            ("1. filtered page", "page"),
            ("2. fields= (12 columns)", "fields"),
            ("2. brief=1", "brief"),
            ("3. keyset 500,000 deep", "deep"),
            ("3. first page, no filter", "first"),
            ("4. metric detail", "detail"),
        ]
        for label, case in over_http:
            table.append(
                row(label, t[f"{case}_api"], t[f"{case}_http_floor"], "floor over HTTP", None)
            )
    return table


def fmt(value, digits=1) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def report(r: dict) -> None:
    print()
    print(f"load at start: {r['uptime_start']}")
    header = f"{'case':<28} {'API ms':>9} {'vs ms':>9} {'ratio':>7} {'target':>8} {'met':>5}  vs"
    print(header)
    print("-" * len(header))
    for item in r["table"]:
        target = item["target"]
        if target is not None and item["other"] is None:
            target_text = f"<={target:g} ms"
        elif target is not None:
            target_text = f"<={target:g}x"
        else:
            target_text = ""
        met = {True: "yes", False: "NO", None: ""}[item["met"]]
        ratio = f"{item['ratio']:.2f}x" if item["ratio"] is not None else ""
        print(
            f"{item['case']:<28} {fmt(item['api']):>9} {fmt(item['other']):>9} {ratio:>7} "
            f"{target_text:>8} {met:>5}  {item['compared_with']}"
        )
    w = r.get("throughput")
    if w is None:
        pass
    elif "error" in w:
        print(f"7. throughput: {w['error']}")
    else:
        ratio = w["p99_ms"] / w["p50_ms"]
        met = w["requests_per_s"] >= 108 and ratio <= 3
        print(
            f"7. wrk, 4 connections: {w['requests_per_s']:.1f} req/s (target >= 108), "
            f"p50 {w['p50_ms']:.1f} ms, p99 {w['p99_ms']:.1f} ms = {ratio:.1f}x p50 "
            f"(target <= 3x): {'met' if met else 'NOT met'}; load {w['load']}"
        )
    c = r.get("csv", {})
    if "error" in c:
        print(f"8. CSV: {c['error']}")
    elif c:
        peak = max(c["peak_rss_mb"].values(), default=0)
        print(
            f"8. CSV: API {c['api_rows_per_s']:,} rows/s ({c['api_ms'] / 1000:.1f} s), COPY "
            f"{c['copy_rows_per_s']:,} rows/s ({c['copy_ms'] / 1000:.1f} s) = "
            f"{c['api_rows_per_s'] / c['copy_rows_per_s']:.2f} of COPY (target >= 200,000 "
            f"rows/s: {'met' if c['api_rows_per_s'] >= 200_000 else 'NOT met'}); worker peak "
            f"RSS {peak:.0f} MB (target < 150 MB: {'met' if peak < 150 else 'NOT met'}); "
            f"load {c['load']}"
        )
    print(f"load at end:   {r['uptime_end']}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--csv-repeat", type=int, default=3)
    parser.add_argument("--wrk-seconds", type=int, default=20)
    parser.add_argument("--server-pid", type=int, help="gunicorn's master: its workers' RSS")
    parser.add_argument("--skip", default="", help="comma-separated: wrk, csv, http-floor")
    parser.add_argument(
        "--floor-port", type=int, help="the floor's server over HTTP (default: the API's + 1)"
    )
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("benchmarks run against PostgreSQL: set DATABASE_URL")
    skip = args.skip = set(filter(None, args.skip.split(",")))
    if args.floor_port is None:
        args.floor_port = urlsplit(args.base).port + 1

    client = Client(args.base)
    results = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {os.cpu_count()} cores",
        "metrics": Metric.objects.count(),
        "uptime_start": uptime(),
    }
    results["times_ms"] = json_cases(args, client, results)
    results["table"] = rows_of(results)
    if "wrk" not in skip:
        results["throughput"] = throughput(args)
    if "csv" not in skip:
        try:
            results["csv"] = csv_case(args, client, args.base)
        except (RuntimeError, http.client.HTTPException, OSError) as error:
            results["csv"] = {"error": f"{type(error).__name__}: {error}"}
    results["uptime_end"] = uptime()
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2, default=str) + "\n")
    report(results)


if __name__ == "__main__":
    main()
