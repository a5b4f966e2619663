"""Measure export_snapshot and import_snapshot against PostgreSQL's own COPY.

Run by `make bench` (benchmarks/run) after the API benchmark, against the database of
DATABASE_URL (filled by `manage.py synth`). In one run it measures:

1. COPY (SELECT * FROM t ORDER BY pk) TO STDOUT WITH CSV HEADER of every table a snapshot
   holds, in one REPEATABLE READ transaction as the export reads them, each written to a
   file: the raw cost of reading the tables out;
2. `manage.py export_snapshot --out <x>.zip` (the default format) and `--format dir`,
   as commands, with their peak RSS. Steps 1 and 2 are repeated (--rounds, default 2)
   and each ratio is taken within its round, the machine's load varying meanwhile;
3. COPY t FROM STDIN WITH CSV HEADER of the files of 1 into a scratch database at the
   same migrations (BENCH_IMPORT_DB, default <database>_import), its tables emptied, in
   one transaction with the foreign keys checked at commit: the raw cost of loading;
4. `manage.py import_snapshot <x>.zip` into the same scratch database, emptied again, as
   a command, with its peak RSS.

The commands' times include starting Python and Django (about a second). Before each
step PostgreSQL is made to CHECKPOINT, so that no step pays for the writes of the one
before. Results go to benchmarks/last-snapshot-run.json.
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factbase.settings")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.db import connection  # noqa: E402

from events.models import Metric  # noqa: E402
from factbase.snapshots.tables import snapshot_tables  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
BLOCK = 1 << 20
TARGETS = {"export": 2.0, "import": 3.0, "rss_mb": 300}


def url_with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def checkpoint() -> None:
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def copy_to(directory: Path) -> dict:
    """Every snapshot table, raw, into directory/<table>.csv, in one transaction."""
    directory.mkdir(parents=True)
    qn = connection.ops.quote_name
    tables, total_bytes, total_rows = {}, 0, 0
    connection.close()
    connection.ensure_connection()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for table in snapshot_tables():
            table_started = time.perf_counter()
            sql = (
                f"COPY (SELECT * FROM {qn(table.db_table)} ORDER BY {qn(table.pk)}) "
                "TO STDOUT WITH (FORMAT csv, HEADER true)"
            )
            with (
                open(directory / f"{table.name}.csv", "wb", buffering=BLOCK) as out,
                cursor.cursor.copy(sql) as copy,
            ):
                for data in copy:
                    out.write(data)
            rows = cursor.cursor.rowcount
            size = (directory / f"{table.name}.csv").stat().st_size
            tables[table.name] = {
                "rows": rows,
                "bytes": size,
                "seconds": round(time.perf_counter() - table_started, 3),
            }
            total_rows += rows
            total_bytes += size
        cursor.execute("COMMIT")
    return {
        "seconds": time.perf_counter() - started,
        "rows": total_rows,
        "bytes": total_bytes,
        "tables": tables,
    }


def empty_tables(conn) -> None:
    """Truncate every snapshot table of the scratch database (users too, with what refers
    to them), inside the caller's transaction."""
    names = [table.db_table for table in snapshot_tables()]
    quoted = ", ".join(f'"{name}"' for name in names)
    conn.execute(f"TRUNCATE {quoted} CASCADE")


def copy_from(url: str, directory: Path) -> dict:
    """The files of copy_to, back into the scratch database's emptied tables."""
    tables = {}
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        empty_tables(conn)
        for table in snapshot_tables():
            table_started = time.perf_counter()
            sql = f'COPY "{table.db_table}" FROM STDIN WITH (FORMAT csv, HEADER true)'
            with (
                open(directory / f"{table.name}.csv", "rb") as file,
                conn.cursor() as cursor,
                cursor.copy(sql) as copy,
            ):
                while data := file.read(BLOCK):
                    copy.write(data)
            tables[table.name] = {"seconds": round(time.perf_counter() - table_started, 3)}
        copied = time.perf_counter()
        conn.commit()  # the deferred foreign-key checks run here
        finished = time.perf_counter()
    return {
        "seconds": finished - started,
        "copy_seconds": copied - started,
        "commit_seconds": finished - copied,
        "tables": tables,
    }


def command(args: list[str], env: dict | None = None, log: Path | None = None) -> dict:
    """A manage.py command under /usr/bin/time: wall time and peak RSS."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        started = time.perf_counter()
        result = subprocess.run(
            ["/usr/bin/time", "-o", timing.name, "-f", "%M %U %S", PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        rss_kb, user, system = timing.read().strip().splitlines()[-1].split()
    if log is not None:
        log.write_text(result.stdout + result.stderr)
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    output = result.stdout.strip().splitlines()
    # The command's own total, without starting Python and Django.
    reported = [m for line in output if (m := re.search(r" ([0-9.]+)s\.$", line))]
    return {
        "command": "manage.py " + " ".join(args),
        "seconds": seconds,
        "command_seconds": float(reported[-1].group(1)) if reported else None,
        "peak_rss_mb": round(int(rss_kb) / 1024, 1),
        "cpu_seconds": float(user) + float(system),  # of the command, not of PostgreSQL
        "output": output,
    }


def prepare_scratch(url: str, name: str) -> dict:
    """The scratch database, created when missing and migrated like the measured one."""
    admin = url_with_database(url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{name}"')
    env = dict(os.environ, DATABASE_URL=url)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    return env


def reset_scratch(url: str) -> None:
    with psycopg.connect(url) as conn:
        empty_tables(conn)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--import-db", help="scratch database (default <database>_import)")
    parser.add_argument(
        "--workdir", help="where the files go (default: a temporary folder, removed after)"
    )
    parser.add_argument("--no-dir", action="store_true", help="skip export --format dir")
    parser.add_argument(
        "--rounds", type=int, default=2, help="rounds of COPY TO and the exports (default 2)"
    )
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("benchmarks run against PostgreSQL: set DATABASE_URL")

    settings = connection.settings_dict
    source_url = os.environ["DATABASE_URL"]
    scratch_name = args.import_db or f"{settings['NAME']}_import"
    scratch_url = url_with_database(source_url, scratch_name)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="snapshot-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    keep = args.workdir is not None
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    results = {
        "metrics": Metric.objects.count(),
        "machine": f"{platform.node()} {os.cpu_count()} cores",
        "postgresql": server_version,
        "python": platform.python_version(),
        "database": settings["NAME"],
        "scratch_database": scratch_name,
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    scratch_env = prepare_scratch(scratch_url, scratch_name)
    zip_path = work / "snapshot.zip"
    dir_path = work / "snapshot"
    try:
        # The machine may be busy with other work: each round measures COPY and both
        # exports back to back, and the ratios are taken within a round.
        rounds = []
        for number in range(1, args.rounds + 1):
            for path in (work / "raw", zip_path, dir_path):
                if path.is_dir():
                    shutil.rmtree(path)
                path.unlink(missing_ok=True)
            round_ = {}
            print(f"round {number}: COPY ... TO STDOUT of every table", flush=True)
            checkpoint()
            round_["copy_to"] = copy_to(work / "raw")
            print(f"round {number}: export_snapshot (zip)", flush=True)
            checkpoint()
            round_["export_zip"] = command(["export_snapshot", "-v", "2", "--out", str(zip_path)])
            round_["export_zip"]["bytes"] = zip_path.stat().st_size
            if not args.no_dir:
                print(f"round {number}: export_snapshot --format dir", flush=True)
                checkpoint()
                round_["export_dir"] = command(
                    ["export_snapshot", "-v", "2", "--format", "dir", "--out", str(dir_path)]
                )
                round_["export_dir"]["bytes"] = sum(
                    p.stat().st_size for p in dir_path.rglob("*") if p.is_file()
                )
                shutil.rmtree(dir_path)
            rounds.append(round_)
        results["export_rounds"] = [
            {
                "copy_to_seconds": round(r["copy_to"]["seconds"], 2),
                **{
                    f"{name}_{key}": round(r[name][key], 2)
                    for name in ("export_zip", "export_dir")
                    if name in r
                    for key in ("seconds", "peak_rss_mb")
                },
                **{
                    f"{name}_ratio": round(r[name]["seconds"] / r["copy_to"]["seconds"], 2)
                    for name in ("export_zip", "export_dir")
                    if name in r
                },
            }
            for r in rounds
        ]
        # The details (per table, command output) of the last round.
        results.update(rounds[-1])

        print(f"COPY ... FROM STDIN into {scratch_name}", flush=True)
        checkpoint()
        results["copy_from"] = copy_from(scratch_url, work / "raw")
        shutil.rmtree(work / "raw")

        print(f"import_snapshot (zip) into {scratch_name}", flush=True)
        reset_scratch(scratch_url)
        checkpoint()
        results["import_zip"] = command(
            ["import_snapshot", "-v", "2", str(zip_path)], env=scratch_env
        )
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)

    export_rounds = results["export_rounds"]

    def median(key: str) -> float:
        return round(statistics.median(r[key] for r in export_rounds), 2)

    summary = {"copy_to_seconds": median("copy_to_seconds")}
    for name in ("export_zip", "export_dir"):
        if f"{name}_seconds" in export_rounds[0]:
            summary[f"{name}_seconds"] = median(f"{name}_seconds")
            summary[f"{name}_ratio"] = median(f"{name}_ratio")
            summary[f"{name}_peak_rss_mb"] = max(r[f"{name}_peak_rss_mb"] for r in export_rounds)
    summary["copy_from_seconds"] = round(results["copy_from"]["seconds"], 2)
    summary["import_zip_seconds"] = round(results["import_zip"]["seconds"], 2)
    summary["import_zip_ratio"] = round(
        results["import_zip"]["seconds"] / results["copy_from"]["seconds"], 2
    )
    summary["import_zip_peak_rss_mb"] = results["import_zip"]["peak_rss_mb"]
    results["summary"] = summary
    for part in results.values():
        if isinstance(part, dict):
            for key, value in part.items():
                if isinstance(value, float):
                    part[key] = round(value, 2)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    report(results)


def report(r: dict) -> None:
    s = r["summary"]
    rounds = len(r["export_rounds"])
    rows = [("COPY ... TO STDOUT, all tables", s["copy_to_seconds"], None, None, None)]
    for name, label in (("export_zip", "export_snapshot (zip)"), ("export_dir", "  --format dir")):
        if f"{name}_seconds" in s:
            rows.append(
                (
                    label,
                    s[f"{name}_seconds"],
                    s[f"{name}_ratio"],
                    TARGETS["export"],
                    s[f"{name}_peak_rss_mb"],
                )
            )
    rows += [
        ("COPY ... FROM STDIN, all tables", s["copy_from_seconds"], None, None, None),
        (
            "import_snapshot (zip)",
            s["import_zip_seconds"],
            s["import_zip_ratio"],
            TARGETS["import"],
            s["import_zip_peak_rss_mb"],
        ),
    ]
    print()
    print(
        f"{r['metrics']:,} metrics, {r['copy_to']['rows']:,} rows in "
        f"{len(r['copy_to']['tables'])} tables, {r['copy_to']['bytes']:,} bytes of CSV "
        f"(zip {r['export_zip']['bytes']:,} bytes)"
    )
    print(f"exports: median of {rounds} rounds, each ratio taken within its round")
    print(f"{'':34} {'seconds':>9} {'ratio':>7} {'target':>7} {'peak RSS':>10}")
    for name, seconds, ratio, target, peak in rows:
        ratio_text = f"{ratio:.2f}x" if ratio is not None else ""
        target_text = f"<={target:g}x" if target is not None else ""
        peak_text = f"{peak:.0f} MB" if peak is not None else ""
        verdict = ""
        if ratio is not None:
            verdict = "met" if ratio <= target and peak < TARGETS["rss_mb"] else "MISSED"
        print(
            f"{name:34} {seconds:9.1f} {ratio_text:>7} {target_text:>7} {peak_text:>10} {verdict}"
        )
    for number, round_ in enumerate(r["export_rounds"], start=1):
        print(f"  round {number}: " + ", ".join(f"{k} {v}" for k, v in round_.items()))
    print(f"(peak RSS target: under {TARGETS['rss_mb']} MB)")


if __name__ == "__main__":
    main()
