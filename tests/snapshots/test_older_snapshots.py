"""A snapshot written by an earlier version imports and exports again byte for byte.

tests/snapshots/data/demo-2026-11-29.zip is the demo data exported by the code of 29
November 2026 (before the core moved to factbase/core and the read path was rebuilt).
Whatever moves inside the code, the format must not: the same rows, the same CSV bytes,
the same table schemas; a table a later migration added columns to has them too, filled
as the migration fills them, and a table a later migration created is there, empty."""

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from factbase.snapshots import formats
from factbase.snapshots.upgrades import UPGRADES

from .helpers import data_files, descriptor, empty_database

pytestmark = pytest.mark.django_db

OLDER = Path(__file__).parent / "data" / "demo-2026-11-29.zip"


def schemas(package: dict) -> dict:
    return {resource["name"]: resource["schema"] for resource in package["resources"]}


# Tables a later migration added columns to (factbase.snapshots.upgrades): the snapshot
# loads with them filled as the migration fills them, and exports them.
UPGRADED: dict[str, set] = {}
CREATED: set[str] = set()  # tables a later migration created: exported empty
for upgrade in UPGRADES:
    for table in upgrade.tables:
        UPGRADED.setdefault(table, set()).update(upgrade.new_columns)
    CREATED.update(upgrade.new_tables)


def without(data: bytes, columns) -> bytes:
    """A CSV file without the given columns."""
    records = list(csv.reader(io.StringIO(data.decode(), newline="")))
    keep = [i for i, name in enumerate(records[0]) if name not in columns]

    def written(cell: str) -> str:  # as the snapshot writes it (a bare \N is null)
        return cell if cell == formats.NULL else formats.quote(cell)

    return "".join(",".join(written(record[i]) for i in keep) + "\n" for record in records).encode()


def test_an_older_snapshot_imports_and_exports_byte_for_byte(tmp_path):
    empty_database()
    call_command("import_snapshot", str(OLDER), verbosity=0)
    call_command("export_snapshot", "--format", "dir", "--out", str(tmp_path / "again"))
    with zipfile.ZipFile(OLDER) as archive:
        names = [name for name in archive.namelist() if name.startswith("data/")]
        older = {Path(name).name: archive.read(name) for name in names}
        older_package = json.loads(archive.read("datapackage.json"))
    again = data_files(tmp_path / "again")
    for table in CREATED:
        assert again.pop(f"{table}.csv").count(b"\n") == 1, table  # the header alone
    for table, columns in UPGRADED.items():
        assert without(again.pop(f"{table}.csv"), columns) == older.pop(f"{table}.csv")
    assert again == older
    again_schemas, older_schemas = schemas(descriptor(tmp_path / "again")), schemas(older_package)
    for table in CREATED:
        assert again_schemas.pop(table)["fields"], table
    for table, columns in UPGRADED.items():
        fields = [(f["name"], f["type"]) for f in again_schemas.pop(table)["fields"]]
        older_fields = [(f["name"], f["type"]) for f in older_schemas.pop(table)["fields"]]
        assert [f for f in fields if f[0] not in columns] == older_fields
    assert again_schemas == older_schemas
