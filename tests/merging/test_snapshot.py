"""A snapshot holds the merges (the `Merge` rows, their `moves` as written) and loads them
back byte for byte: the old slugs answer again, and the undo still works after a load."""

import pytest

from companies.models import Company
from factbase.core.merges import merged_into
from factbase.core.models import Merge
from factbase.core.services import merge_undo, record_merge
from factbase.snapshots.importer import import_snapshot

from ..snapshots.helpers import data_files, empty_database, export_dir, rows

pytestmark = pytest.mark.django_db


def test_a_snapshot_with_merges_round_trips(world, editor, tmp_path):
    standing = record_merge(world.keep, world.merge, user=editor, reason="one company")
    undone = record_merge(world.keep_person, world.merge_person, user=editor, reason="one")
    merge_undo(undone, user=editor, reason="two people after all")
    before = export_dir(tmp_path / "before")
    merges = rows(before, "factbase_merge")
    assert len(merges) == 3  # the header and two merges
    (company_merge,) = [row for row in merges if row[0] == str(standing.pk)]
    assert "companies.company" in company_merge and standing.moves in company_merge

    empty_database()
    import_snapshot(before)
    after = export_dir(tmp_path / "after")
    assert data_files(after) == data_files(before)

    assert merged_into(Company, "acme-robotics-sas") == world.keep.pk
    loaded = Merge.objects.get(pk=standing.pk)
    assert loaded.moves == standing.moves and loaded.merged_by.username == "editor"
    merge_undo(loaded, user=editor, reason="two companies after all")
    assert Company.objects.filter(slug="acme-robotics-sas", pk=world.merge.pk).exists()
