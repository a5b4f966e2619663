"""export_snapshot: what the files hold, their canonical forms, and that the same data
always gives the same bytes."""

import datetime
import difflib
import io
import threading
import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, connections

from companies.models import Company
from events.models import Metric
from factbase.core.models import Citation, Source
from factbase.core.services import record_save
from factbase.snapshots import formats
from factbase.snapshots.export import export_snapshot
from factbase.snapshots.tables import snapshot_tables
from factbase.snapshots.targets import ZIP_DATE, ZIP_MODE

from .helpers import data_files, descriptor, export_dir, rows

pytestmark = pytest.mark.django_db

CREATED = datetime.datetime(2025, 3, 1, 12, 0, tzinfo=datetime.UTC)


def test_every_table_of_the_apps_is_written_with_its_columns(demo, tmp_path):
    snapshot = export_dir(tmp_path / "s")
    names = {r["name"] for r in descriptor(snapshot)["resources"]}
    for expected in [
        "users",
        "factbase_source",
        "factbase_citation",
        "companies_company",
        "companies_product_platforms",
        "events_event_companies",
        "events_metric",
        "events_historicalmetric",
        "events_historicalevent_companies",
        "companies_historicalproduct_platforms",
    ]:
        assert expected in names
    assert len(names) == len(snapshot_tables()) == 48
    assert sorted(data_files(snapshot)) == sorted(f"{name}.csv" for name in names)
    assert rows(snapshot, "events_metric")[0][:3] == ["id", "created_at", "updated_at"]
    assert len(rows(snapshot, "events_metric")) == Metric.objects.count() + 1


def test_users_are_ids_and_names_only(demo, tmp_path):
    snapshot = export_dir(tmp_path / "s")
    users = rows(snapshot, "users")
    assert users == [["id", "username"], [str(demo.pk), "alice"]]
    text = (snapshot / "data" / "users.csv").read_text()
    assert "alice@example.org" not in text
    assert demo.password and demo.password not in text
    company = rows(snapshot, "companies_company")
    header = company[0]
    mistral = next(r for r in company if r[header.index("slug")] == "mistral-ai")
    assert mistral[header.index("updated_by_id")] == str(demo.pk)


def test_content_types_are_natural_keys(demo, tmp_path):
    snapshot = export_dir(tmp_path / "s")
    citations = rows(snapshot, "factbase_citation")
    header = citations[0]
    assert "content_type" in header and "content_type_id" not in header
    kinds = {r[header.index("content_type")] for r in citations[1:]}
    assert "events.metric" in kinds and "companies.company" in kinds
    assert all("." in kind for kind in kinds)


def test_canonical_text_forms(demo, tmp_path):
    source = Source.objects.first()
    source.retrieved_at = datetime.datetime(2025, 2, 11, 9, 30, tzinfo=datetime.UTC)
    record_save(source)
    metric = Metric.objects.filter(unit="money").first()
    metric.value = Decimal("12.5000")
    # Its US dollar value (load_demo fills one) is no longer the value converted: dropped.
    metric.value_usd = metric.usd_rate = metric.usd_rate_on = None
    metric.usd_rate_source = ""
    metric.note = ""
    record_save(metric)
    snapshot = export_dir(tmp_path / "s")

    metrics = rows(snapshot, "events_metric")
    header = metrics[0]
    row = next(r for r in metrics if r[0] == str(metric.pk))
    assert row[header.index("value")] == "12.5"
    assert row[header.index("note")] == ""  # the empty string: an empty cell
    assert row[header.index("value_high")] == "\\N"  # null
    created = row[header.index("created_at")]
    assert len(created) == 27 and created.endswith("Z") and created[10] == "T"
    billion = next(r for r in metrics if r[header.index("value")] == "1000000000")
    assert billion  # no trailing zeros, no exponent

    sources = rows(snapshot, "factbase_source")
    header = sources[0]
    row = next(r for r in sources if r[0] == str(source.pk))
    assert row[header.index("retrieved_at")] == "2025-02-11T09:30:00.000000Z"
    assert row[header.index("published_on")] == "2025-02-11"

    parties = (snapshot / "data" / "events_investment.csv").read_text()
    assert ",true," in parties or ",false," in parties
    assert b"\r" not in (snapshot / "data" / "events_metric.csv").read_bytes()


def test_null_the_empty_string_and_a_literal_backslash_n_stay_apart(demo, tmp_path):
    company = Company.objects.get(slug="mistral-ai")
    company.note = "\\N"
    company.description = 'Line one,\nline "two"\r\nand \\N'
    record_save(company)
    snapshot = export_dir(tmp_path / "s")
    text = (snapshot / "data" / "companies_company.csv").read_bytes().decode()
    assert ',"\\N",' in text
    assert '"Line one,\nline ""two""\r\nand \\N"' in text


@pytest.mark.parametrize("value", ["1E+6", "0.0067", "-0", "123.4560"])
def test_decimal_text(value):
    expected = {"1E+6": "1000000", "0.0067": "0.0067", "-0": "0", "123.4560": "123.456"}
    assert formats.format_decimal(Decimal(value)) == expected[value]


def test_same_data_same_bytes(demo, tmp_path):
    first = export_dir(tmp_path / "a")
    second = export_dir(tmp_path / "b")
    assert data_files(first) == data_files(second)
    assert (first / "README.txt").read_bytes() == (second / "README.txt").read_bytes()

    a = export_snapshot(tmp_path / "a.zip", created=CREATED)
    b = export_snapshot(tmp_path / "b.zip", created=CREATED)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert a["sha256"] == b["sha256"] and a["bytes"] == b["bytes"]

    c = export_snapshot(tmp_path / "c.zip")
    assert c["sha256"] != a["sha256"]  # only "created" differs
    with zipfile.ZipFile(tmp_path / "a.zip") as za, zipfile.ZipFile(tmp_path / "c.zip") as zc:
        assert za.namelist() == zc.namelist()
        differing = [n for n in za.namelist() if za.read(n) != zc.read(n)]
    assert differing == ["datapackage.json"]


def test_zip_members_have_fixed_order_and_metadata(demo, tmp_path):
    summary = export_snapshot(tmp_path / "s.zip", created=CREATED)
    assert summary["tables"] == 48 and summary["rows"] > 300
    assert summary["bytes"] == (tmp_path / "s.zip").stat().st_size
    with zipfile.ZipFile(tmp_path / "s.zip") as snapshot:
        infos = snapshot.infolist()
        names = [i.filename for i in infos]
        assert names[0] == "README.txt" and names[-1] == "datapackage.json"
        assert names[1:-1] == [f"data/{t.name}.csv" for t in snapshot_tables()]
        for info in infos:
            assert info.date_time == ZIP_DATE
            assert info.external_attr >> 16 == ZIP_MODE
            assert info.compress_type == zipfile.ZIP_DEFLATED
        readme = snapshot.read("README.txt").decode()
    assert 'pd.read_csv(f, keep_default_na=False, na_values=["\\\\N"], dtype=str)' in readme
    assert "events_metric" in readme


def test_export_to_a_file_object_gives_the_same_zip(demo, tmp_path):
    export_snapshot(tmp_path / "s.zip", created=CREATED)
    buffer = io.BytesIO()
    summary = export_snapshot(buffer, created=CREATED)
    assert buffer.getvalue() == (tmp_path / "s.zip").read_bytes()
    assert summary["path"] is None and summary["bytes"] == len(buffer.getvalue())


def test_descriptor(demo, tmp_path):
    snapshot = export_dir(tmp_path / "s", created=CREATED)
    package = descriptor(snapshot)
    assert package["profile"] == "tabular-data-package"
    assert package["created"] == "2025-03-01T12:00:00.000000Z"
    assert package["factbase"]["format"] == "factbase-snapshot/1"
    assert package["factbase"]["app_version"]
    assert package["factbase"]["migrations"]["events"][:1] == ["0001_initial"]
    metric = next(r for r in package["resources"] if r["name"] == "events_metric")
    data = (snapshot / "data" / "events_metric.csv").read_bytes()
    assert metric["bytes"] == len(data)
    assert metric["hash"].startswith("sha256:")
    assert metric["rows"] == Metric.objects.count()
    schema = metric["schema"]
    assert schema["missingValues"] == ["\\N"]
    assert schema["primaryKey"] == ["id"]
    types = {f["name"]: f["type"] for f in schema["fields"]}
    assert types["value"] == "number" and types["period_start"] == "date"
    assert types["created_at"] == "datetime" and types["id"] == "integer"
    assert {
        "fields": ["company_id"],
        "reference": {"resource": "companies_company", "fields": ["id"]},
    } in schema["foreignKeys"]
    history = next(r for r in package["resources"] if r["name"] == "events_historicalmetric")
    # History references may name deleted records: not declared as foreign keys.
    assert [fk["fields"] for fk in history["schema"]["foreignKeys"]] == [["history_user_id"]]


def test_command_prints_a_summary(demo, tmp_path):
    out = io.StringIO()
    call_command("export_snapshot", out=str(tmp_path / "s.zip"), stdout=out)
    text = out.getvalue()
    assert "Snapshot written to" in text and "48 tables" in text and "SHA-256" in text
    out = io.StringIO()
    call_command("export_snapshot", out=str(tmp_path / "d"), format="dir", verbosity=2, stdout=out)
    assert "events_metric" in out.getvalue()
    out = io.StringIO()
    call_command("export_snapshot", out=str(tmp_path / "q.zip"), verbosity=0, stdout=out)
    assert out.getvalue() == ""


def test_a_changed_record_is_a_one_line_change(demo, tmp_path):
    before = export_dir(tmp_path / "a")
    metric = Metric.objects.order_by("pk")[3]
    Metric.objects.filter(pk=metric.pk).update(note="Revised.")
    after = export_dir(tmp_path / "b")
    changed = {name for name, data in data_files(after).items() if data != data_files(before)[name]}
    assert changed == {"events_metric.csv"}
    old = (before / "data" / "events_metric.csv").read_text().splitlines()
    new = (after / "data" / "events_metric.csv").read_text().splitlines()
    diff = [
        line
        for line in difflib.unified_diff(old, new, lineterm="", n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert len(diff) == 2 and diff[0].startswith(f"-{metric.pk},")
    assert diff[1].startswith(f"+{metric.pk},") and "Revised." in diff[1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_copy_and_python_give_the_same_bytes(demo, synth_data, tmp_path):
    company = Company.objects.get(slug="mistral-ai")
    company.note = "\\N"
    company.description = 'a, "b"\r\nc'
    record_save(company)
    copy = export_dir(tmp_path / "copy", method="copy")
    python = export_dir(tmp_path / "python", method="python")
    assert data_files(copy) == data_files(python)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's in-memory test database has one writer"
)
@pytest.mark.django_db(transaction=True)
def test_snapshot_shows_one_moment_while_others_write(tmp_path):
    from .helpers import load_demo

    load_demo()
    written = []

    def write_meanwhile(table, *_):
        # After users.csv, before companies: another connection adds a company and its
        # citation, committed at once.
        if table != "users" or written:
            return

        def add():
            try:
                company = record_save(Company(name="Latecomer", slug="latecomer", kind="other"))
                Citation.objects.create(
                    source=Source.objects.first(), fact=company, quote="Latecomer"
                )
            finally:
                connections.close_all()

        thread = threading.Thread(target=add)
        thread.start()
        thread.join()
        written.append(True)

    snapshot = export_dir(tmp_path / "s", progress=write_meanwhile)
    assert written and Company.objects.filter(slug="latecomer").exists()
    companies = (snapshot / "data" / "companies_company.csv").read_text()
    assert "latecomer" not in companies
    assert "Latecomer" not in (snapshot / "data" / "factbase_citation.csv").read_text()


def test_default_path_is_in_the_snapshots_folder(settings):
    from pathlib import Path

    from factbase.snapshots.export import default_path

    folder = Path(settings.BASE_DIR) / "snapshots"
    assert default_path("zip", CREATED) == folder / "factbase-20250301T120000Z.zip"
    assert default_path("dir", CREATED) == folder / "factbase-20250301T120000Z"


def test_a_failed_export_leaves_nothing_behind(demo, tmp_path, monkeypatch):
    from factbase.snapshots import export

    real = export.resource_descriptor

    def fail_at_metrics(table, **kwargs):
        if table.name == "events_metric":
            raise OSError("disk full")
        return real(table, **kwargs)

    monkeypatch.setattr(export, "resource_descriptor", fail_at_metrics)
    with pytest.raises(OSError, match="disk full"):
        export_snapshot(tmp_path / "s.zip")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "d").mkdir()
    with pytest.raises(OSError, match="disk full"):
        export_snapshot(tmp_path / "d", format="dir")
    assert list((tmp_path / "d").iterdir()) == []
