"""What the import tests share: reading and writing CSV, exporting a list, importing a
file through the command."""

import csv
import io
from io import StringIO

from django.apps import apps
from django.core.management import CommandError, call_command


def export(client, kind: str, query: str = "") -> str:
    """The list's CSV export, as the API streams it."""
    response = client.get(f"/api/v1/{kind}/?format=csv{'&' if query else ''}{query}")
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content).decode()


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def csv_of(rows: list[dict], header: list[str] | None = None) -> str:
    header = header or list(rows[0])
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def run_command(path, *args) -> tuple[int, str, str]:
    """import_facts on `path`: (exit status, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("import_facts", str(path), *args, stdout=out, stderr=err)
    except CommandError as error:
        return 1, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


def history_count() -> int:
    """Rows in every history table: what any write adds to."""
    return sum(
        model._base_manager.count()
        for model in apps.get_models()
        if model.__name__.startswith("Historical")
    )
