"""The API's answers on the demo data, byte for byte: every list, detail and CSV of every
kind, the `fields=` and `brief=1` forms, and the OpenAPI schema, compared with the files in
tests/api/golden/. A change to the read path (how rows are queried, rendered, encoded)
must leave them as they are; a change on purpose rewrites them in the same commit:

    GOLDEN_UPDATE=1 .venv/bin/pytest tests/api/test_golden.py

Times are the only values that differ from run to run; they are replaced by `<time>`.
Ids are the same every run: the test database's sequences start again at 1."""

import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from factbase.core.kinds import kinds
from factbase.core.seeds import ensure_seeds, seeded_kinds

GOLDEN = Path(__file__).parent / "golden"
TIME = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")

# The demo has no funding round: one, with two investors and a citation, is added.
ROUND = {
    "company": "mistral-ai",
    "round_type": "series_b",
    "announced_on": "2024-06-11",
    "announced_precision": "day",
    "qualifier": "exact",
    "value": "600000000",
    "currency": "EUR",
    "valuation": "5800000000",
    "valuation_qualifier": "approximate",
    "valuation_currency": "EUR",
    "valuation_basis": "post",
    "status": "unverified",
    "investments": [
        {"investor": {"slug": "bpifrance"}, "is_lead": True, "status": "unverified"},
        {
            "investor": "mgx",
            "qualifier": "approximate",
            "value": "150000000.50",
            "currency": "EUR",
        },
    ],
}


def requests() -> dict[str, str]:
    """File name -> path, for every read the golden files hold."""
    paths = {}
    for kind in kinds():
        if not kind.endpoint:
            continue
        base = f"/api/v1/{kind.name}/"
        paths[f"{kind.name}.list.json"] = f"{base}?limit=1000"
        paths[f"{kind.name}.list.csv"] = f"{base}?format=csv"
        paths[f"{kind.name}.brief.json"] = f"{base}?brief=1&limit=1000"
        first = kind.model._default_manager.order_by("pk").first()
        if first is not None:
            paths[f"{kind.name}.detail.json"] = f"{base}{first.pk}/"
    paths["metrics.fields.json"] = "/api/v1/metrics/?fields=id,value,region,citations&limit=5"
    paths["metrics.fields.csv"] = "/api/v1/metrics/?fields=id,value,company&format=csv"
    paths["metrics.filtered.json"] = "/api/v1/metrics/?metric_type=downloads&limit=3"
    # Integer bounds in the schema are the database's (SQLite's integers are 64-bit).
    paths[f"schema.{connection.vendor}.yaml"] = "/api/schema/"
    return paths


def body(response) -> bytes:
    content = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    return TIME.sub(b"<time>", content)


def seed_from_one():
    """The seeded vocabularies (platforms, metric types) written again from id 1: a test
    database emptied by an earlier test is seeded again at its next ids."""
    for kind in seeded_kinds():
        kind.history.objects.all().delete()
        kind.model.objects.all().delete()
    ensure_seeds()


@pytest.mark.django_db(reset_sequences=True)
def test_answers_are_the_golden_files(anon_api, editor_api):
    seed_from_one()
    call_command("load_demo", verbosity=0)
    created = editor_api.post("/api/v1/funding-rounds/", ROUND, format="json")
    assert created.status_code == 201, created.content
    update = os.environ.get("GOLDEN_UPDATE") == "1"
    changed = []
    for name, path in requests().items():
        response = anon_api.get(path)
        assert response.status_code == 200, (path, response.content[:500])
        got = body(response)
        file = GOLDEN / name
        if update:
            file.write_bytes(got)
        elif not file.exists() or file.read_bytes() != got:
            changed.append(name)
    assert not changed, f"Answers differ from tests/api/golden/: {changed}"


ODD_TEXT = 'Zürich \u2028line\u2029para \x01\x1f "quoted" \\ / 🚀 \ud7ff \ufeff'


@pytest.mark.parametrize(
    "data",
    [
        {"text": ODD_TEXT, "n": [0, -1, 2**63 - 1], "none": None, "ok": True},
        {"nested": [{"a": ODD_TEXT}, []], "big": 2**80},  # past 64 bits: DRF's encoder
        [1, "two", {"3": 4.5}],
    ],
)
def test_json_is_drfs_byte_for_byte(data):
    """The API's JSON renderer (orjson) writes what DRF's JSONRenderer writes."""
    from rest_framework.renderers import JSONRenderer as DRFRenderer

    from factbase.api.renderers import JSONRenderer

    assert JSONRenderer().render(data) == DRFRenderer().render(data)
