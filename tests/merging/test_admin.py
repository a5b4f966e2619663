"""Merging in the admin: the "Merge into…" action, its side-by-side preview and its
confirmation, the list of merges with their Undo, and the merges on a history page."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from companies.models import Company, Person, Product, Role
from factbase.core.models import Merge
from factbase.core.services import record_merge

from ..api.base import row_counts
from .conftest import save

pytestmark = pytest.mark.django_db

MODELS = {"companies": Company, "people": Person, "products": Product}
PAIRS = {
    "companies": ("keep", "merge"),
    "people": ("keep_person", "merge_person"),
    "products": ("keep_product", "merge_product"),
}


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def page(client, address, data=None):
    response = client.get(address, data)
    assert response.status_code == 200, (address, response.status_code)
    return response.content.decode()


@pytest.mark.parametrize("kind", PAIRS)
def test_the_action_leads_to_a_side_by_side_preview_then_the_merge(world, editor_client, kind):
    keep, merge = (getattr(world, name) for name in PAIRS[kind])
    model = type(keep)
    response = editor_client.post(
        url(model, "changelist"),
        {"action": "merge_into", ACTION_CHECKBOX_NAME: [merge.pk, keep.pk], "index": "0"},
    )
    assert response.status_code == 302
    merge_page = response["Location"]
    assert merge_page.startswith(url(model, "merge"))

    picked = page(editor_client, merge_page)
    assert "Record to keep" in picked and 'data-theme="admin-autocomplete"' in picked
    assert 'id="merge-confirm"' not in picked  # nothing to confirm before a preview

    ids = ",".join(map(str, sorted([keep.pk, merge.pk])))
    preview = page(editor_client, url(model, "merge"), {"ids": ids, "keep": keep.pk})
    assert f'Kept: <a href="{url(model, "change", keep.pk)}">{keep}</a>' in preview
    assert f'Merged: <a href="{url(model, "change", merge.pk)}">{merge}</a>' in preview
    assert '<th scope="row">Slug</th>' in preview and "≠" in preview
    assert f"Alias added: “{merge.name}”" in preview
    assert "merge-conflicts" not in preview and 'id="merge-confirm"' in preview

    before = Merge.objects.count()
    response = editor_client.post(
        url(model, "merge"), {"ids": ids, "keep": keep.pk, "reason": "the same"}
    )
    assert response.status_code == 302
    assert response["Location"] == url(model, "change", keep.pk)
    assert not model.objects.filter(pk=merge.pk).exists()
    assert Merge.objects.count() == before + 1
    message = editor_client.get(response["Location"]).content.decode()
    assert f'Merged “{merge.name}” into <a href="{url(model, "change", keep.pk)}">' in message


def test_the_preview_lists_what_moves_with_links(world, editor_client):
    ids = f"{world.keep.pk},{world.merge.pk}"
    preview = page(editor_client, url(Company, "merge"), {"ids": ids, "keep": world.keep.pk})
    assert "<strong>Metrics (company): 1</strong>" in preview
    assert "<strong>Events (companies): 2</strong>" in preview
    assert "<strong>Company aliases (company): 1</strong>" in preview
    assert "Already on the kept record, deleted with the merged one" in preview
    product = world.merge_product
    assert f'<a href="{url(Product, "change", product.pk)}">{product}</a>' in preview


def test_a_merge_without_a_reason_is_not_made(world, editor_client):
    before = row_counts()
    ids = f"{world.keep.pk},{world.merge.pk}"
    response = editor_client.post(url(Company, "merge"), {"ids": ids, "keep": world.keep.pk})
    assert response.status_code == 200
    assert "Say why" in response.content.decode()
    assert row_counts() == before


def test_conflicts_are_listed_with_links_and_nothing_can_be_confirmed(world, editor_client):
    role = save(Role(person=world.keep_person, company=world.merge, title="CEO"))
    before = row_counts()
    ids = f"{world.keep.pk},{world.merge.pk}"
    preview = page(editor_client, url(Company, "merge"), {"ids": ids, "keep": world.keep.pk})
    assert "merge-conflicts" in preview and "the same role twice" in preview
    assert f'href="{url(Role, "change", role.pk)}"' in preview
    assert 'id="merge-confirm"' not in preview
    response = editor_client.post(
        url(Company, "merge"), {"ids": ids, "keep": world.keep.pk, "reason": "the same"}
    )
    assert response.status_code == 200
    assert row_counts() == before


def test_one_record_selected_is_merged_into_the_record_picked(world, editor_client):
    response = editor_client.post(
        url(Person, "merge"),
        {"ids": str(world.merge_person.pk), "keep": world.keep_person.pk, "reason": "the same"},
    )
    assert response.status_code == 302
    assert not Person.objects.filter(pk=world.merge_person.pk).exists()


def test_keeping_the_only_record_selected_is_refused(world, editor_client):
    ids = str(world.merge.pk)
    body = page(editor_client, url(Company, "merge"), {"ids": ids, "keep": world.merge.pk})
    assert "it would be merged into itself" in body


def test_a_viewer_gets_no_action_and_403(world, client, viewer):
    client.force_login(viewer)
    before = row_counts()
    assert b"merge_into" not in client.get(url(Company, "changelist")).content
    ids = f"{world.keep.pk},{world.merge.pk}"
    assert client.get(url(Company, "merge"), {"ids": ids}).status_code == 403
    response = client.post(
        url(Company, "merge"), {"ids": ids, "keep": world.keep.pk, "reason": "r"}
    )
    assert response.status_code == 403
    merge = record_merge(world.keep_person, world.merge_person, reason="r")
    before = row_counts()
    undo = reverse("admin:factbase_merge_undo", args=[merge.pk])
    assert client.post(undo, {"reason": "r"}).status_code == 403
    assert client.get(reverse("admin:factbase_merge_changelist")).status_code == 200
    assert row_counts() == before


def test_the_list_of_merges_and_the_undo(world, editor_client):
    merge = record_merge(world.keep, world.merge, reason="the same")
    listing = page(editor_client, reverse("admin:factbase_merge_changelist"))
    undo = reverse("admin:factbase_merge_undo", args=[merge.pk])
    assert "ACME Robotics SAS (acme-robotics-sas" in listing and f'href="{undo}"' in listing
    assert page(editor_client, reverse("admin:factbase_merge_change", args=[merge.pk]))
    assert "Yes, undo it" in page(editor_client, undo)

    response = editor_client.post(undo, {"reason": "two companies after all"})
    assert response.status_code == 302
    assert response["Location"] == url(Company, "change", world.merge.pk)
    assert Company.objects.filter(pk=world.merge.pk, slug="acme-robotics-sas").exists()
    merge.refresh_from_db()
    assert merge.undone_by.username == "editor"
    assert f'href="{undo}"' not in page(editor_client, reverse("admin:factbase_merge_changelist"))


def test_an_undo_needs_a_reason(world, editor_client):
    merge = record_merge(world.keep, world.merge, reason="the same")
    before = row_counts()
    undo = reverse("admin:factbase_merge_undo", args=[merge.pk])
    assert editor_client.post(undo, {"reason": ""}).status_code == 200
    assert row_counts() == before


def test_the_history_pages_show_the_merge_with_its_undo(world, editor_client):
    merge = record_merge(world.keep, world.merge, reason="one company")
    undo = reverse("admin:factbase_merge_undo", args=[merge.pk])
    kept = page(editor_client, url(Company, "history", world.keep.pk))
    assert "“ACME Robotics SAS” (acme-robotics-sas" in kept and "merged into this record" in kept
    assert f'href="{undo}"' in kept and "one company" in kept
    merged = page(editor_client, url(Company, "history", world.merge.pk))
    assert "this record merged into" in merged and f'href="{undo}"' in merged
    editor_client.post(undo, {"reason": "two"})
    kept = page(editor_client, url(Company, "history", world.keep.pk))
    assert f'href="{undo}"' not in kept and "undone" in kept
    listing = reverse("admin:factbase_merge_changelist")
    assert "ACME Robotics SAS" in page(editor_client, listing, {"state": "undone"})
    assert "ACME Robotics SAS" not in page(editor_client, listing, {"state": "standing"})


def test_the_deleted_list_does_not_restore_a_merged_record(world, editor_client):
    record_merge(world.keep, world.merge, reason="one company")
    before = row_counts()
    response = editor_client.post(
        url(Company, "restore", world.merge.pk), {"change_reason": "back"}, follow=True
    )
    assert "undo the merge" in response.content.decode()
    assert row_counts() == before


@pytest.mark.parametrize("value", ["²", "9" * 30])
def test_the_kind_filter_of_merges_reads_only_an_id(editor_client, value):
    """A value that is no kind's id (it reached the database: a 500) is refused, naming
    the filter, not taken as no filter (factbase.admin.filters.KnownValuesFilter)."""
    listing = editor_client.get(reverse("admin:factbase_merge_changelist"), {"kind": value})
    assert listing.status_code == 400
    assert "kind: “" in listing.content.decode()


def test_the_kept_records_history_page_shows_the_citations_the_merge_moved(world, editor_client):
    """A citation of the merged company, moved to the kept one, is added on the kept
    company's history page at the merge, and removed there at its undo."""
    from factbase.core.models import Citation

    from ..test_history_pages import history_rows

    moved = Citation.objects.get(quote="its assistant reached two million users")
    merge = record_merge(world.keep, world.merge, reason="one company")
    name = f"Citation {moved.pk}"

    rows = history_rows(editor_client, world.keep)
    added = [row for row in rows if name in row]
    assert len(added) == 1 and "Citation added" in added[0], added
    assert "its assistant reached two million users" in added[0]

    editor_client.post(reverse("admin:factbase_merge_undo", args=[merge.pk]), {"reason": "two"})
    rows = [row for row in history_rows(editor_client, world.keep) if name in row]
    assert ["Citation removed" in row for row in rows] == [True, False], rows
