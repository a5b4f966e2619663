"""The demo's metrics CSV imports back: unchanged as exported, one edit one update, and a
file with one bad row writes nothing and names the row and the column."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Metric
from tests.imports.helpers import csv_of, export, history_count, rows_of, run_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported(demo, client, tmp_path):
    """The demo's metrics as the API exports them, in metrics.csv."""
    text = export(client, "metrics")
    path = tmp_path / "metrics.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_export_imports_back_unchanged_and_writes_nothing(exported, editor):
    before = history_count()
    versions = dict(Metric.objects.values_list("pk", "version"))
    status, out, err = run_command(exported, "--kind", "metrics", "--user", "editor")
    assert status == 0, err
    count = len(versions)
    assert f"metrics.csv: {count} rows (0 new, 0 update, {count} unchanged, 0 error)" in out
    assert "Written." in out
    assert history_count() == before
    assert dict(Metric.objects.values_list("pk", "version")) == versions


def test_a_note_longer_than_the_csv_modules_default_limit_imports_back(demo, client, tmp_path):
    """Python's csv reads 131,072 characters a cell by default: a longer note, which the API
    takes, would make its own export a file the import cannot read."""
    metric = Metric.objects.order_by("pk").first()
    note = ("Détail du rapport. " * 10_000).strip()  # 189,999 characters
    Metric.objects.filter(pk=metric.pk).update(note=note)
    text = export(client, "metrics", f"id={metric.pk}")
    assert note in text
    path = tmp_path / "metrics.csv"
    path.write_text(text, encoding="utf-8")
    status, out, err = run_command(path, "--kind", "metrics", "--dry-run")
    assert status == 0, err
    assert "(0 new, 0 update, 1 unchanged, 0 error)" in out


def test_one_edited_value_is_one_update_recorded_with_the_file_name(exported, editor, client):
    rows = rows_of(exported.read_text(encoding="utf-8"))
    row = next(
        row for row in rows if row["metric_type_slug"] == "downloads" and row["region"] == ""
    )
    row["value"] = "1200000"
    edited = exported.with_name("metrics-edited.csv")
    edited.write_text(csv_of(rows), encoding="utf-8")
    before = history_count()

    status, out, err = run_command(edited, "--kind", "metrics", "--user", "editor")

    assert status == 0, err
    assert f"(0 new, 1 update, {len(rows) - 1} unchanged, 0 error)" in out
    assert history_count() == before + 1
    metric = Metric.objects.get(pk=row["id"])
    assert str(metric.value) == "1200000.0000"
    assert metric.version == int(row["version"]) + 1
    last = metric.history.latest("history_date")
    assert (last.history_change_reason, last.history_user) == ("import metrics-edited.csv", editor)
    # What the API shows of it now is what the file says.
    again = rows_of(export(client, "metrics", f"id={row['id']}"))[0]
    assert again["value"] == "1200000"


def test_the_versions_written_follow_in_the_change_feed(exported, anon_api, editor_api):
    rows = rows_of(exported.read_text(encoding="utf-8"))
    for row in rows:
        row["note"] = (row["note"] + " (checked)").strip()
    exported.write_text(csv_of(rows), encoding="utf-8")
    cursor = int(anon_api.get("/api/v1/changes/?after=0&limit=1000").json()["cursor"])

    status, _, err = run_command(exported, "--kind", "metrics")

    assert status == 0, err
    changes = anon_api.get(f"/api/v1/changes/?after={cursor}&limit=1000").json()["results"]
    assert [(c["kind"], c["action"]) for c in changes] == [("metrics", "update")] * len(rows)
    assert [c["id"] for c in changes] == [int(row["id"]) for row in rows]  # in file order
    numbers = [int(c["cursor"]) for c in changes]
    assert numbers == list(range(cursor + 1, cursor + 1 + len(rows)))  # no gap
    # The next write is numbered right after them.
    response = editor_api.patch(f"/api/v1/metrics/{rows[0]['id']}/", {"note": "n"}, format="json")
    assert response.status_code == 200
    (after,) = anon_api.get(f"/api/v1/changes/?after={numbers[-1]}").json()["results"]
    assert int(after["cursor"]) == numbers[-1] + 1


def test_one_bad_row_among_good_ones_writes_nothing_and_is_named(exported):
    rows = rows_of(exported.read_text(encoding="utf-8"))
    rows[0]["note"] = "A new note, which must not be written."
    rows[4]["value"] = "a lot"  # line 6: the header is line 1
    rows[7]["region"] = "XX"  # line 9
    bad = exported.with_name("bad.csv")
    bad.write_text(csv_of(rows), encoding="utf-8")
    before = history_count()

    status, out, err = run_command(bad, "--kind", "metrics")

    assert status == 1
    assert "line 6, column value: A valid number is required." in err
    assert 'line 9, column region: "XX" is not a valid choice.' in err
    assert "Nothing was written" in err
    assert history_count() == before
    assert Metric.objects.get(pk=rows[0]["id"]).note != rows[0]["note"]


def test_a_row_changed_since_its_export_is_refused_by_its_version(exported, editor_api):
    rows = rows_of(exported.read_text(encoding="utf-8"))
    metric = rows[2]
    response = editor_api.patch(
        f"/api/v1/metrics/{metric['id']}/", {"note": "Changed meanwhile."}, format="json"
    )
    assert response.status_code == 200
    metric["note"] = "Changed in the spreadsheet."
    stale = exported.with_name("stale.csv")
    stale.write_text(csv_of(rows), encoding="utf-8")

    status, _, err = run_command(stale, "--kind", "metrics")

    assert status == 1
    version = int(metric["version"])
    assert (f"line 4, column version: The metric is at version {version + 1}, not {version}") in err
    assert Metric.objects.get(pk=metric["id"]).note == "Changed meanwhile."


def test_a_new_row_with_a_citation_is_written_with_it(exported, editor):
    rows = rows_of(exported.read_text(encoding="utf-8"))
    header = [*rows[0], "citation_source", "citation_quote", "citation_translation"]
    template = next(row for row in rows if row["metric_type_slug"] == "downloads")
    new = {name: "" for name in header}
    new.update(
        product_slug=template["product_slug"],
        metric_type_slug="downloads",
        qualifier="at_least",
        value="2000000",
        status="verified",
        confidence="medium",
        claim_type="reported",
        citation_source=template["citations_source_ids"].split(";")[0],
        citation_quote="un million de téléchargements",
        citation_translation="one million downloads",
    )
    path = exported.with_name("new.csv")
    path.write_text(csv_of([*rows, new], header), encoding="utf-8")

    status, out, err = run_command(path, "--kind", "metrics", "--user", "editor")

    assert status == 0, err
    assert "(1 new, 0 update" in out
    created = Metric.objects.get(value=2000000)
    citation = created.citations.get()
    assert citation.quote == "un million de téléchargements"
    assert citation.translation == "one million downloads"
    assert citation.char_start is not None  # found in the source's stored text
    assert created.history.get().history_change_reason == "import new.csv"


def test_a_quote_the_source_does_not_hold_is_refused_naming_its_column(exported):
    rows = rows_of(exported.read_text(encoding="utf-8"))
    header = [*rows[0], "citation_source", "citation_quote"]
    for row in rows:
        row.update(citation_source="", citation_quote="")
    source = rows[1]["citations_source_ids"].split(";")[0]
    rows[1].update(citation_source=source, citation_quote="Words the article never wrote.")
    path = exported.with_name("quote.csv")
    path.write_text(csv_of(rows, header), encoding="utf-8")

    status, _, err = run_command(path, "--kind", "metrics")

    assert status == 1
    assert (
        "line 3, column citation_quote: This quote is not found verbatim in the source's "
        "stored text."
    ) in err


def test_each_row_costs_the_same_few_queries(exported):
    """The queries of an import grow with its rows by a fixed number a row: no row reads
    what an earlier row read already (the records it names, the sources' texts)."""
    rows = rows_of(exported.read_text(encoding="utf-8"))
    for row in rows:
        row["note"] = (row["note"] + " (checked)").strip()
    path = exported.with_name("notes.csv")

    def queries(count: int) -> int:
        path.write_text(csv_of(rows[:count]), encoding="utf-8")
        with CaptureQueriesContext(connection) as captured:
            status, _, err = run_command(path, "--kind", "metrics", "--dry-run")
        assert status == 0, err
        return len(captured)

    four, eight = queries(4), queries(8)
    assert (eight - four) / 4 == PER_UPDATED_ROW


# An updated metric: its row (under its lock) and its citations read; the row's savepoint
# and the service's (set and released: 4); the record and its history row; the service
# asking that a verified fact still has a citation. The versions are numbered for the
# change feed once, at the end, not one UPDATE of its clock each.
PER_UPDATED_ROW = 9
