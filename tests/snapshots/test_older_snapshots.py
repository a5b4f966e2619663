"""A snapshot written by an earlier version imports and exports again byte for byte.

tests/snapshots/data/demo-2026-11-29.zip is the demo data exported by the code of 29
November 2026 (before the core moved to factbase/core and the read path was rebuilt).
Whatever moves inside the code, the format must not: the same rows, the same CSV bytes,
the same table schemas."""

import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from .helpers import data_files, descriptor, empty_database

pytestmark = pytest.mark.django_db

OLDER = Path(__file__).parent / "data" / "demo-2026-11-29.zip"


def schemas(package: dict) -> dict:
    return {resource["name"]: resource["schema"] for resource in package["resources"]}


def test_an_older_snapshot_imports_and_exports_byte_for_byte(tmp_path):
    empty_database()
    call_command("import_snapshot", str(OLDER), verbosity=0)
    call_command("export_snapshot", "--format", "dir", "--out", str(tmp_path / "again"))
    with zipfile.ZipFile(OLDER) as archive:
        names = [name for name in archive.namelist() if name.startswith("data/")]
        older = {Path(name).name: archive.read(name) for name in names}
        older_package = json.loads(archive.read("datapackage.json"))
    assert data_files(tmp_path / "again") == older
    assert schemas(descriptor(tmp_path / "again")) == schemas(older_package)
