import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from companies.models import Company
from factbase.core.services import record_save
from factbase.snapshots.export import export_snapshot
from factbase.snapshots.importer import import_snapshot

from .helpers import load_demo


@pytest.fixture(scope="session")
def demo_cache(tmp_path_factory):
    """A snapshot of the demo fixture's data, taken the first time it is loaded."""
    return {"path": tmp_path_factory.mktemp("demo") / "snapshot", "ready": False}


@pytest.fixture
def demo(db, demo_cache):
    """The demo data, with one company edited by a user, so that users and their ids
    are part of the snapshot. Loaded through the services once; later tests load the
    snapshot taken then, which is several times faster."""
    users = get_user_model().objects
    if demo_cache["ready"]:
        import_snapshot(demo_cache["path"])
        return users.get(username="alice")
    load_demo()
    alice = users.create_user("alice", email="alice@example.org")
    company = Company.objects.get(slug="mistral-ai")
    company.note = "Checked against the register."
    record_save(company, user=alice, reason="snapshot tests")
    export_snapshot(demo_cache["path"], format="dir")
    demo_cache["ready"] = True
    return alice


@pytest.fixture
def synth_data(db):
    call_command("synth", companies=30, metrics=200, verbosity=0)
