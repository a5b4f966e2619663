"""import_snapshot refuses a bad snapshot, saying where each problem is, and writes
nothing."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from companies.models import Company
from events.models import Metric
from factbase.snapshots.importer import import_snapshot
from factbase.snapshots.problems import SnapshotInvalid
from factbase.snapshots.tables import tables_by_name

from .helpers import (
    descriptor,
    drop_column,
    empty_database,
    export_dir,
    replace_line,
    retouch,
    rows,
    set_cell,
    table_counts,
    write_descriptor,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshot(demo, tmp_path):
    """A snapshot of the demo data, and an empty database to load it into."""
    path = export_dir(tmp_path / "s")
    empty_database()
    return path


def line_of(path, table, column, value) -> int:
    """The line (1 is the header) where the first row whose `column` is `value` starts."""
    with open(path / "data" / f"{table}.csv", newline="", encoding="utf-8") as file:
        reader = csv.reader(file)
        index = next(reader).index(column)
        start = 2
        for record in reader:
            if record[index] == value:
                return start
            start = reader.line_num + 1
    raise AssertionError(f"no {table} row with {column} {value}")


def refused(path, *expected, **options) -> SnapshotInvalid:
    """Import must fail with each expected (file, line, column, words) problem and leave
    the database as it was."""
    before = table_counts(), get_user_model().objects.count()
    with pytest.raises(SnapshotInvalid) as failure:
        import_snapshot(path, **options)
    assert (table_counts(), get_user_model().objects.count()) == before
    problems = failure.value.problems.items
    for file, line, column, words in expected:
        assert any(
            p.file == file and p.line == line and p.column == column and words in p.message
            for p in problems
        ), f"no problem {file}:{line}:{column}: {words!r} in\n" + "\n".join(map(str, problems))
    return failure.value


def test_a_valid_snapshot_loads(snapshot):
    report = import_snapshot(snapshot)
    assert report.rows > 300 and Company.objects.filter(slug="mistral-ai").exists()


def test_missing_column(snapshot):
    retouch(snapshot, "companies_company", lambda text: drop_column(text, "note"))
    refused(
        snapshot,
        ("data/companies_company.csv", 1, "note", "column missing from the header"),
    )


def test_bad_date(snapshot):
    line = line_of(snapshot, "companies_company", "slug", "mistral-ai")
    retouch(
        snapshot,
        "companies_company",
        lambda text: set_cell(text, line, "founded_on", "2023-02-30"),
    )
    refused(
        snapshot,
        ("data/companies_company.csv", line, "founded_on", "not a valid date"),
    )


def test_bad_values_of_each_type(snapshot):
    line = line_of(snapshot, "events_metric", "id", rows(snapshot, "events_metric")[2][0])

    def spoil(text):
        text = set_cell(text, line, "value", "1e3")
        text = set_cell(text, line, "created_at", "2025-01-01 10:00:00")
        text = set_cell(text, line, "window_days", "x")
        return set_cell(text, line, "qualifier", "\\N")

    retouch(snapshot, "events_metric", spoil)
    path = "data/events_metric.csv"
    refused(
        snapshot,
        (path, line, "value", "not a plain decimal number"),
        (path, line, "created_at", "not a UTC datetime"),
        (path, line, "window_days", "not an integer"),
        (path, line, "qualifier", "null"),
    )


def test_dangling_foreign_key(snapshot):
    line = line_of(snapshot, "companies_product", "slug", "le-chat")
    retouch(
        snapshot,
        "companies_product",
        lambda text: set_cell(text, line, "company_id", "999999"),
    )
    refused(
        snapshot,
        ("data/companies_product.csv", line, "company_id", "companies_company has no row 999999"),
    )


@pytest.mark.parametrize("table", ["factbase_citation", "factbase_historicalcitation"])
def test_a_content_type_that_names_no_table_is_refused(snapshot, table):
    """A citation of `events.nosuch` loaded with a warning, and made a content type that
    no page or answer could read: every list of citations was a 500 then."""
    line = line_of(snapshot, table, "content_type", "events.metric")
    retouch(snapshot, table, lambda text: set_cell(text, line, "content_type", "events.nosuch"))
    refused(
        snapshot,
        (f"data/{table}.csv", line, "content_type", "events.nosuch is not a Factbase table"),
    )


@pytest.mark.parametrize(
    "column, value, words",
    [
        ("qualifier", "maybe", "not one of its values (approximate, at_least"),
        ("status", "bogus", "not one of its values"),
        ("currency", "XXX", "not one of its values: 'XXX'"),
    ],
)
def test_a_value_that_is_not_one_of_its_columns_choices_is_refused(snapshot, column, value, words):
    """Loaded, it could not be saved again: an unrelated edit of the record was a 400 on a
    field the editor never touched."""
    first = rows(snapshot, "events_metric")[1][0]
    line = line_of(snapshot, "events_metric", "id", first)
    retouch(snapshot, "events_metric", lambda text: set_cell(text, line, column, value))
    refused(snapshot, ("data/events_metric.csv", line, column, words))


def test_duplicate_id(snapshot):
    first = rows(snapshot, "companies_person")[1]
    line = len(rows(snapshot, "companies_person")) + 1

    def repeat_first(text):
        return text + text.split("\n")[1] + "\n"

    retouch(snapshot, "companies_person", repeat_first)
    refused(
        snapshot,
        ("data/companies_person.csv", line, "id", f"duplicate primary key {first[0]}"),
        ("data/companies_person.csv", line, "slug", "also on line 2"),
    )


def test_check_constraint(snapshot):
    line = line_of(snapshot, "events_metric", "unit", "rank")
    retouch(snapshot, "events_metric", lambda text: set_cell(text, line, "value", "0"))
    failure = refused(
        snapshot,
        ("data/events_metric.csv", line, "unit,value", "metric_rank_from_one"),
    )
    assert "A rank starts at 1." in str(failure)


def test_wrong_format_version(snapshot):
    package = descriptor(snapshot)
    package["factbase"]["format"] = "factbase-snapshot/2"
    write_descriptor(snapshot, package)
    refused(snapshot, ("datapackage.json", None, "factbase.format", "factbase-snapshot/2"))


def test_other_migrations(snapshot):
    package = descriptor(snapshot)
    package["factbase"]["migrations"]["events"].append("0099_future")
    write_descriptor(snapshot, package)
    refused(snapshot, ("datapackage.json", None, "factbase.migrations", "0099_future"))


def test_truncated_file(snapshot):
    path = snapshot / "data" / "events_metric.csv"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    failure = refused(
        snapshot,
        ("data/events_metric.csv", None, None, "the file is truncated or was changed"),
        ("data/events_metric.csv", None, None, "SHA-256 differs"),
        ("data/events_metric.csv", None, None, "the descriptor says"),
    )
    assert failure.problems.count >= 3


def test_truncated_inside_a_quoted_cell(snapshot):
    path = snapshot / "data" / "factbase_source.csv"
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b'"', 200) + 20])
    refused(snapshot, ("data/factbase_source.csv", 2, None, "not valid CSV"))


def test_row_count_that_does_not_match(snapshot):
    package = descriptor(snapshot)
    for resource in package["resources"]:
        if resource["name"] == "events_event":
            resource["rows"] += 1
    write_descriptor(snapshot, package)
    refused(snapshot, ("data/events_event.csv", None, None, "the descriptor says"))


def test_truncated_zip(demo, tmp_path):
    from factbase.snapshots.export import export_snapshot

    export_snapshot(tmp_path / "s.zip")
    data = (tmp_path / "s.zip").read_bytes()
    (tmp_path / "cut.zip").write_bytes(data[: len(data) // 2])
    empty_database()
    failure = refused(tmp_path / "cut.zip")
    assert "is not a readable ZIP file" in str(failure)


def test_non_empty_database(demo, tmp_path):
    path = export_dir(tmp_path / "s")
    failure = refused(path, ("(database)", None, None, "The database is not empty"))
    assert "--replace" in str(failure)
    assert "companies_company" in str(failure)


def test_problems_are_listed_up_to_a_hundred_then_counted(snapshot):
    def spoil(text):
        return "\n".join(
            line.replace("T", "t", 1) if n > 1 and line else line
            for n, line in enumerate(text.split("\n"), start=1)
        )

    for table in ("factbase_citation", "factbase_historicalcitation"):
        retouch(snapshot, table, spoil)
    failure = refused(snapshot)
    assert len(failure.problems.items) == 100
    assert failure.problems.count > 100
    assert f"and {failure.problems.count - 100:,} more problems" in str(failure)


def test_dry_run_checks_and_writes_nothing(snapshot):
    before = table_counts()
    out = io.StringIO()
    call_command("import_snapshot", str(snapshot), dry_run=True, stdout=out)
    assert "The snapshot is valid" in out.getvalue() and "Nothing was written" in out.getvalue()
    assert table_counts() == before

    line = line_of(snapshot, "companies_company", "slug", "openai")
    retouch(snapshot, "companies_company", lambda t: set_cell(t, line, "version", "-1"))
    refused(
        snapshot,
        ("data/companies_company.csv", line, "version", "below the smallest value"),
        dry_run=True,
    )


def test_command_lists_the_problems(snapshot):
    line = line_of(snapshot, "companies_company", "slug", "mistral-ai")
    retouch(snapshot, "companies_company", lambda t: set_cell(t, line, "founded_on", "soon"))
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was written"):
        call_command("import_snapshot", str(snapshot), stderr=err)
    assert f"data/companies_company.csv, line {line}, column founded_on: not a date" in (
        err.getvalue()
    )


def test_a_changed_file_without_its_descriptor_is_refused(snapshot):
    line = line_of(snapshot, "companies_company", "slug", "mistral-ai")
    retouch(
        snapshot,
        "companies_company",
        lambda text: replace_line(
            text, line, lambda record: record.replace("mistral-ai", "mistral")
        ),
        update_descriptor=False,
    )
    refused(snapshot, ("data/companies_company.csv", None, None, "SHA-256 differs"))


def test_descriptor_that_is_not_json(snapshot):
    (snapshot / "datapackage.json").write_text("{not json")
    refused(snapshot, ("datapackage.json", None, None, "not valid JSON"))


def test_what_the_database_refuses_is_reported_and_rolled_back(snapshot, monkeypatch):
    """Should a row pass the checks and the database still refuse it (here the checks of
    metrics are switched off), the load is rolled back and the refusal reported."""
    monkeypatch.setattr(tables_by_name()["events_metric"], "checks", [])
    line = line_of(snapshot, "events_metric", "unit", "rank")
    retouch(snapshot, "events_metric", lambda text: set_cell(text, line, "value", "0"))
    failure = refused(snapshot)
    [problem] = failure.problems.items
    assert problem.file == "data/events_metric.csv"
    assert "metric_rank_from_one" in problem.message
    if connection.vendor == "postgresql":
        assert problem.line == line  # from COPY's context


def test_more_digits_than_sqlite_keeps_are_refused_there(snapshot):
    """A snapshot of PostgreSQL may hold numbers of 24 digits; SQLite keeps 15 (it would
    round them, and 20 nines past the column's digits, unreadable): refused there, with
    where, and loaded exactly into PostgreSQL."""
    pk = rows(snapshot, "events_metric")[2][0]
    line = line_of(snapshot, "events_metric", "id", pk)
    retouch(
        snapshot,
        "events_metric",
        lambda text: set_cell(text, line, "value", "99999999999999999999"),
    )
    if connection.vendor != "sqlite":
        import_snapshot(snapshot)
        assert str(Metric.objects.get(pk=pk).value) == "99999999999999999999.0000"
        return
    refused(
        snapshot,
        ("data/events_metric.csv", line, "value", "keeps 15 significant digits"),
    )
