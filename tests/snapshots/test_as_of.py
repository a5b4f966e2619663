"""export_snapshot --as-of: the snapshot of an earlier instant equals the one taken then."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from companies.models import Company
from events.models import Event, Metric
from factbase.core.services import record_delete, record_save

from .helpers import data_files, descriptor, export_dir

pytestmark = pytest.mark.django_db


def edit_everything(user):
    """Edits of every kind after the first snapshot: an update, a delete with its
    citations, a new record, a changed link and a new user."""
    metric = Metric.objects.filter(citations__isnull=False).order_by("id").first()
    metric.note = "Edited after the snapshot."
    record_save(metric, user=user, reason="later edit")
    record_delete(Metric.objects.exclude(pk=metric.pk).order_by("id").first(), user=user)
    record_save(Company(name="Newco", slug="newco", kind="technology"), user=user)
    event = Event.objects.filter(companies__isnull=False).order_by("id").first()
    event.companies.clear()
    get_user_model().objects.create_user("bob")


def test_as_of_equals_the_snapshot_taken_then(demo, tmp_path):
    taken = export_dir(tmp_path / "taken")
    created = descriptor(taken)["created"]
    edit_everything(demo)

    now = export_dir(tmp_path / "now")
    assert data_files(now) != data_files(taken)  # the edits show in a snapshot of now

    call_command(
        "export_snapshot", "--format", "dir", "--out", tmp_path / "then", "--as-of", created
    )
    then = tmp_path / "then"
    assert data_files(then) == data_files(taken)
    assert descriptor(then) == descriptor(taken)
    # The database itself is untouched by reading the past.
    assert Company.objects.filter(slug="newco").exists()
    assert get_user_model().objects.filter(username="bob").exists()


def test_as_of_before_anything_is_empty_but_valid(demo, tmp_path):
    now = export_dir(tmp_path / "now")
    # The seeded vocabulary is recorded at the Unix epoch (factbase/core/seeds.py).
    call_command(
        "export_snapshot", "--format", "dir", "--out", tmp_path / "e", "--as-of", "1969-12-31"
    )
    package = descriptor(tmp_path / "e")
    assert package["created"].startswith("1969-12-31T00:00:00")
    assert all(r["rows"] == 0 for r in package["resources"])
    assert sum(r["rows"] for r in descriptor(now)["resources"]) > 0


def test_a_malformed_time_is_refused(tmp_path):
    with pytest.raises(CommandError, match="as-of"):
        call_command("export_snapshot", "--out", tmp_path / "x.zip", "--as-of", "soon")
    assert not (tmp_path / "x.zip").exists()


def test_a_time_yet_to_come_is_refused(tmp_path):
    """Stamped with a moment yet to come, the snapshot would claim a state that later
    writes contradict."""
    with pytest.raises(CommandError, match="has not happened yet"):
        call_command("export_snapshot", "--out", tmp_path / "x.zip", "--as-of", "2999-01-01")
    assert not (tmp_path / "x.zip").exists()


def test_as_of_shows_the_merges_as_they_stood_then(demo, tmp_path):
    """A merge has no history of its own: one made later is not in the snapshot of then,
    and one undone later is not undone in it."""
    from factbase.core.models import Merge
    from factbase.core.services import record_merge
    from factbase.core.services.merging.undo import merge_undo

    def company(slug):
        return record_save(Company(name=slug.title(), slug=slug, kind="technology"), user=demo)

    first = record_merge(company("keep-one"), company("gone-one"), user=demo, reason="same")
    taken = export_dir(tmp_path / "taken")
    created = descriptor(taken)["created"]
    merge_undo(first, user=demo, reason="not the same")
    record_merge(company("keep-two"), company("gone-two"), user=demo, reason="same")
    assert Merge.objects.count() == 2 and Merge.objects.get(pk=first.pk).undone_at

    call_command(
        "export_snapshot", "--format", "dir", "--out", tmp_path / "then", "--as-of", created
    )
    then = tmp_path / "then"
    assert data_files(then) == data_files(taken)
    assert descriptor(then) == descriptor(taken)
