"""Who may merge and undo: an undo is the merge's inverse and asks what the merge asks (the
kind's change and delete permissions), over the API and in the admin alike."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from companies.models import Company, Person
from factbase.core.groups import EDITOR
from factbase.core.models import Merge
from factbase.core.services import record_merge

from ..api.base import row_counts
from .conftest import API

pytestmark = pytest.mark.django_db


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def undo_url(merge) -> str:
    return reverse("admin:factbase_merge_undo", args=[merge.pk])


def history_page(client, company) -> str:
    response = client.get(reverse("admin:companies_company_history", args=[company.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def group_editor(db):
    """An editor as the docs make one: `setup_groups --add ed editor`."""
    call_command("setup_groups", add=["ed", EDITOR], stdout=io.StringIO())
    return get_user_model().objects.get(username="ed")


@pytest.fixture
def no_delete(db):
    """A user with all an editor's permissions but deleting companies."""
    user = get_user_model().objects.create_user("nodelete", password="pw", is_staff=True)
    editor = Group.objects.get(name=EDITOR).permissions.all()
    user.user_permissions.set(editor.exclude(codename="delete_company"))
    assert Permission.objects.filter(user=user, codename="add_merge").exists()
    return user


def test_an_editor_merges_and_undoes_over_the_api(world, group_editor):
    client = api_as(group_editor)
    body = {"into": "jane-roe", "reason": "the same"}
    merged = client.post(f"{API}people/jane-a-roe/merge/", body, format="json")
    assert merged.status_code == 201, merged.content[:500]
    undo = {"reason": "two people"}
    response = client.post(f"{API}merges/{merged.json()['id']}/undo/", undo, format="json")
    assert response.status_code == 200, response.content[:500]
    assert response.json()["undone_by"] == "ed"
    assert Person.objects.filter(pk=world.merge_person.pk).exists()


def test_an_editor_merges_and_undoes_in_the_admin(world, client, group_editor):
    client.force_login(group_editor)
    ids = f"{world.keep.pk},{world.merge.pk}"
    data = {"ids": ids, "keep": world.keep.pk, "reason": "the same"}
    assert client.post(reverse("admin:companies_company_merge"), data).status_code == 302
    merge = Merge.objects.get()
    assert f'href="{undo_url(merge)}"' in history_page(client, world.keep)
    response = client.post(undo_url(merge), {"reason": "two companies"})
    assert response.status_code == 302
    merge.refresh_from_db()
    assert merge.undone_by == group_editor
    assert Company.objects.filter(pk=world.merge.pk).exists()


def test_without_the_kinds_delete_permission_there_is_no_merge_nor_undo(world, client, no_delete):
    merge = record_merge(world.keep, world.merge, reason="the same")
    before = row_counts()
    api = api_as(no_delete)
    response = api.post(f"{API}merges/{merge.pk}/undo/", {"reason": "r"}, format="json")
    assert response.status_code == 403
    assert "change and delete companies" in response.json()["detail"]
    body = {"into": "acme-robotics", "reason": "r"}
    assert api.post(f"{API}companies/globex/merge/", body, format="json").status_code == 403

    client.force_login(no_delete)
    assert client.post(undo_url(merge), {"reason": "r"}).status_code == 403
    assert f'href="{undo_url(merge)}"' not in history_page(client, world.keep)
    assert row_counts() == before
    merge.refresh_from_db()
    assert merge.undone_at is None

    # People they may delete: merging and undoing people is theirs.
    people = record_merge(world.keep_person, world.merge_person, reason="the same")
    response = api.post(f"{API}merges/{people.pk}/undo/", {"reason": "r"}, format="json")
    assert response.status_code == 200, response.content[:500]
