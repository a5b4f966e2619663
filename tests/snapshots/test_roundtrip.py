"""Export, import into an empty database, export again: the same CSV files, byte for byte.
On the test database, and across SQLite and PostgreSQL through manage.py subprocesses."""

import io
import os
import uuid

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from companies.models import Company, Platform
from events.models import Metric, MetricType
from factbase.core.services import record_delete, record_save
from factbase.snapshots.importer import import_snapshot
from factbase.snapshots.problems import SnapshotInvalid

from ..factories import SourceFactory
from .helpers import (
    PG_HOST,
    PG_PORT,
    data_files,
    empty_database,
    export_dir,
    manage,
    postgres_answers,
    table_counts,
)

pytestmark = pytest.mark.django_db


def round_trip(tmp_path, *, replace: bool) -> tuple[dict, dict]:
    before = export_dir(tmp_path / "before")
    if not replace:
        empty_database()
    report = import_snapshot(before, replace=replace)
    assert report.rows == sum(table_counts().values()) + get_user_model().objects.count()
    after = export_dir(tmp_path / "after")
    return data_files(before), data_files(after)


def test_demo_into_an_empty_database(demo, tmp_path):
    before, after = round_trip(tmp_path, replace=False)
    assert before == after


def test_demo_replacing_what_the_database_holds(demo, tmp_path):
    before, after = round_trip(tmp_path, replace=True)
    assert before == after


def test_synth_data_into_an_empty_database(demo, synth_data, tmp_path):
    before, after = round_trip(tmp_path, replace=False)
    assert before == after
    assert len(before["events_metric.csv"].splitlines()) > 200


def test_a_cell_longer_than_the_csv_modules_default_limit_round_trips(demo, tmp_path):
    """A long report's stored text is one cell: Python's csv reads 131,072 characters a
    field by default, and a snapshot holding a longer one could not be loaded back."""
    text = "Un rapport très long. " * 10_000  # 220,000 characters
    SourceFactory(text=text, url="https://example.org/long-report")
    before, after = round_trip(tmp_path, replace=False)
    assert before == after
    assert text.encode() in after["factbase_source.csv"]


def test_seeded_vocabulary_is_not_data_but_anything_else_is(demo, tmp_path):
    snapshot = export_dir(tmp_path / "s")
    empty_database()
    assert Platform.objects.exists() and MetricType.objects.exists()
    import_snapshot(snapshot)  # the seeded platforms and metric types are replaced

    empty_database()
    platform = Platform.objects.get(slug="web")
    platform.name = "The web"
    platform.save()  # an edit, even without history, makes it data
    with pytest.raises(SnapshotInvalid) as refused:
        import_snapshot(snapshot)
    assert "companies_platform" in str(refused.value)


def test_new_records_get_fresh_ids_after_an_import(demo, tmp_path):
    gone = record_save(Company(name="Gone", slug="gone", kind="other")).pk
    record_delete(Company.objects.get(pk=gone))  # its id lives on in history only
    snapshot = export_dir(tmp_path / "s")
    empty_database()
    import_snapshot(snapshot)
    company = record_save(Company(name="New", slug="new", kind="other"))
    assert company.pk > gone  # a new company does not take it
    metric = Metric.objects.order_by("-pk").first()
    copy = Metric.objects.get(pk=metric.pk)
    copy.pk = None
    copy.save()
    assert copy.pk > metric.pk


def test_users_are_created_or_found_by_username(demo, tmp_path):
    snapshot = export_dir(tmp_path / "s")
    users = get_user_model().objects
    users.filter(pk=demo.pk).update(username="alice-before")  # alice's id is taken
    empty_database()
    report = import_snapshot(snapshot)
    assert report.users_created == 1
    alice = users.get(username="alice")
    assert alice.pk != demo.pk and not alice.has_usable_password()
    mistral = Company.objects.get(slug="mistral-ai")
    assert mistral.updated_by == alice
    assert mistral.history.first().history_user == alice

    empty_database()
    import_snapshot(snapshot)  # now alice exists: found, not created again
    assert users.filter(username="alice").count() == 1


def test_users_deleted_since_are_loaded_as_null(demo, tmp_path):
    bob = get_user_model().objects.create_user("bob")
    company = Company.objects.get(slug="openai")
    company.note = "bob was here"
    record_save(company, user=bob)
    bob.delete()  # the history keeps bob's id in created_by/updated_by
    snapshot = export_dir(tmp_path / "s")
    empty_database()
    report = import_snapshot(snapshot)
    assert any("deleted users" in warning for warning in report.warnings)
    history = Company.history.filter(id=company.pk).order_by("-history_id").first()
    assert history.updated_by_id is None


def test_command_loads_and_summarises(demo, tmp_path):
    snapshot = export_dir(tmp_path / "s")
    empty_database()
    out = io.StringIO()
    call_command("import_snapshot", str(snapshot), verbosity=2, stdout=out)
    text = out.getvalue()
    assert "Snapshot loaded: 48 tables" in text
    assert "checked" in text and "loaded" in text and "events_metric" in text


# Across databases: the other kind runs in a subprocess of manage.py, on a database of its
# own: a temporary SQLite file, or a throwaway PostgreSQL database.


def other_database(tmp_path):
    if connection.vendor == "postgresql":
        yield f"sqlite:///{tmp_path / 'other.sqlite3'}"
        return
    if not postgres_answers():
        reason = f"no PostgreSQL server answers on {PG_HOST}:{PG_PORT}"
        print(f"skipping the PostgreSQL leg: {reason}")
        pytest.skip(reason)
    name = f"factbase_snapcross_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
    with psycopg.connect(admin, autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def other(tmp_path):
    generator = other_database(tmp_path)
    url = next(generator)
    manage("migrate", "--noinput", "-v", "0", database_url=url)
    yield url
    next(generator, None)


def test_across_sqlite_and_postgresql(demo, tmp_path, other):
    """Export here, load there and export again; then load that back here: the same CSV
    files every time. The demo data, then the demo and generated data."""
    for leg in ("demo", "synth"):
        if leg == "synth":
            call_command("synth", companies=30, metrics=200, verbosity=0)
        here = export_dir(tmp_path / f"here-{leg}")
        there = tmp_path / f"there-{leg}"
        manage("import_snapshot", str(here), "--replace", "-v", "0", database_url=other)
        manage(
            "export_snapshot",
            "--out",
            str(there),
            "--format",
            "dir",
            "-v",
            "0",
            database_url=other,
        )
        assert data_files(there) == data_files(here)
        import_snapshot(there, replace=True)
        back = export_dir(tmp_path / f"back-{leg}")
        assert data_files(back) == data_files(here)
