"""Helpers of the snapshot tests: taking snapshots, reading and retouching their files,
emptying the database, running manage.py against another database."""

import csv
import hashlib
import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command
from django.db import connection

from factbase.core.seeds import ensure_seeds
from factbase.snapshots.export import export_snapshot
from factbase.snapshots.tables import USERS, snapshot_tables

ROOT = Path(__file__).resolve().parents[2]
PG_HOST, PG_PORT = "127.0.0.1", 5432


def export_dir(path: Path, **options) -> Path:
    export_snapshot(path, format="dir", **options)
    return path


def data_files(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((path / "data").iterdir())}


def descriptor(path: Path) -> dict:
    return json.loads((path / "datapackage.json").read_text())


def rows(path: Path, table: str) -> list[list[str]]:
    with open(path / "data" / f"{table}.csv", newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def retouch(path: Path, table: str, change, *, update_descriptor: bool = True) -> None:
    """Rewrite a table's CSV with `change(text) -> text`; by default also the size, hash
    and row count the descriptor gives, as someone editing a snapshot by hand would, so
    that only the edit itself is wrong."""
    file = path / "data" / f"{table}.csv"
    data = change(file.read_text(encoding="utf-8")).encode()
    file.write_bytes(data)
    if update_descriptor:
        package = descriptor(path)
        for resource in package["resources"]:
            if resource["name"] == table:
                resource["bytes"] = len(data)
                resource["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
                resource["rows"] = len(list(csv.reader(io.StringIO(data.decode())))) - 1
        write_descriptor(path, package)


def write_descriptor(path: Path, package: dict) -> None:
    (path / "datapackage.json").write_text(json.dumps(package, indent=2))


def replace_line(text: str, line: int, change) -> str:
    lines = text.split("\n")
    lines[line - 1] = change(lines[line - 1])
    return "\n".join(lines)


def set_cell(text: str, line: int, column: str, value: str) -> str:
    """`text` with the cell of `column` on `line` (a single-line record) set to `value`."""
    header = next(csv.reader([text.split("\n", 1)[0]]))
    index = header.index(column)

    def change(record):
        cells = next(csv.reader([record]))
        cells[index] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(cells)
        return out.getvalue()

    return replace_line(text, line, change)


def drop_column(text: str, column: str) -> str:
    records = list(csv.reader(io.StringIO(text, newline="")))
    index = records[0].index(column)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for record in records:
        writer.writerow(record[:index] + record[index + 1 :])
    return out.getvalue()


def table_counts() -> dict[str, int]:
    return {t.name: t.model._base_manager.count() for t in snapshot_tables() if t.name != USERS}


def empty_database() -> None:
    """What a freshly migrated database holds: nothing but the seeded vocabulary."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in reversed(snapshot_tables()):
            if table.name != USERS:
                cursor.execute(f"DELETE FROM {qn(table.db_table)}")
    ensure_seeds()


def load_demo() -> None:
    call_command("load_demo", stdout=io.StringIO())


def postgres_answers() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


def manage(*args: str, database_url: str) -> str:
    """Run manage.py in a subprocess against `database_url`; its output."""
    env = {**os.environ, "DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode:
        raise AssertionError(
            f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result.stdout
