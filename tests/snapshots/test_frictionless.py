"""Every snapshot is a valid Frictionless Data Package."""

import socket

import frictionless
import pytest

from .helpers import export_dir

pytestmark = pytest.mark.django_db


@pytest.fixture
def offline(monkeypatch):
    """Validation must not need the network (profiles are bundled)."""

    def refuse(*args, **kwargs):
        raise AssertionError("frictionless tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_demo_snapshot_validates(demo, tmp_path, offline):
    snapshot = export_dir(tmp_path / "s")
    report = frictionless.validate(str(snapshot / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]
    assert len(report.tasks) == 48


def test_a_bad_cell_is_reported(demo, tmp_path, offline):
    snapshot = export_dir(tmp_path / "s")
    path = snapshot / "data" / "events_metric.csv"
    text = path.read_bytes().decode()
    first = text.split("\n")[1]
    path.write_bytes(text.replace(first, first.replace("Z,", "Q,", 1), 1).encode())
    report = frictionless.validate(str(snapshot / "datapackage.json"))
    assert not report.valid
    types = {error[0] for error in report.flatten(["type"])}
    assert "type-error" in types and "hash-count" in types
