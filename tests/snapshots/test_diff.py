"""diff_snapshots: records added, removed and changed, table by table."""

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from companies.models import Company, Person
from events.models import Metric
from factbase.core.services import record_delete, record_save
from factbase.snapshots.diff import diff_snapshots
from factbase.snapshots.export import export_snapshot

from .helpers import export_dir

pytestmark = pytest.mark.django_db


def diff(old, new, *options) -> str:
    out = io.StringIO()
    call_command("diff_snapshots", str(old), str(new), *options, stdout=out)
    return out.getvalue()


@pytest.fixture
def two_snapshots(demo, tmp_path):
    gone = record_save(Company(name="Gone", slug="gone", kind="other"))
    old = export_dir(tmp_path / "old")
    metric = Metric.objects.order_by("pk")[1]
    Metric.objects.filter(pk=metric.pk).update(note="", value_high=None, region="IT")
    person = record_save(Person(name="Ada", slug="ada"))
    record_delete(Company.objects.get(pk=gone.pk))
    new = tmp_path / "new.zip"
    export_snapshot(new)
    return old, new, metric, person


def test_identical_snapshots(demo, tmp_path):
    a = export_dir(tmp_path / "a")
    b = export_dir(tmp_path / "b")
    assert diff(a, b) == "No differences.\n"


def test_text_report(two_snapshots):
    old, new, metric, person = two_snapshots
    text = diff(old, new)
    assert f"events_metric\n  ~ {metric.pk}\n" in text
    assert '      region: "FR" -> "IT"\n' in text
    assert f"companies_person\n  + {person.pk}\n" in text
    assert "companies_company\n  - " in text
    assert "events_metric: 0 added, 0 removed, 1 changed" in text
    assert "tables differ" in text


def test_csv_report(two_snapshots):
    old, new, metric, person = two_snapshots
    records = list(csv.reader(io.StringIO(diff(old, new, "--format", "csv"))))
    assert records[0] == ["table", "key", "change", "field", "old", "new"]
    changes = {(r[0], r[1], r[2], r[3]) for r in records[1:]}
    assert ("companies_person", str(person.pk), "added", "") in changes
    assert ("events_metric", str(metric.pk), "changed", "region") in changes
    region = next(r for r in records if r[0] == "events_metric" and r[3] == "region")
    assert region[5] == "IT"


def test_streams_tables_and_reports_each_count(two_snapshots):
    old, new, *_ = two_snapshots
    seen = []
    summaries = {s.table: s for s in diff_snapshots(old, new, seen.append)}
    assert summaries["companies_person"].added == 1
    assert summaries["companies_company"].removed == 1
    assert summaries["companies_historicalcompany"].added >= 1
    assert not summaries["users"].differs
    assert len(seen) == sum(s.added + s.removed + s.changed for s in summaries.values())


def test_missing_snapshot(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        diff(tmp_path / "nope", tmp_path / "nope2")
