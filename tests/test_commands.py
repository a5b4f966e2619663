"""The setup commands of a local run."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from factbase.core.management.commands import local_admin

pytestmark = pytest.mark.django_db


def test_local_admin_creates_a_login_once_and_prints_it(tmp_path, monkeypatch, settings, capsys):
    settings.DEBUG = True
    monkeypatch.setattr(local_admin, "PASSWORD_FILE", tmp_path / "password")
    call_command("local_admin")
    first = capsys.readouterr().out
    password = (tmp_path / "password").read_text().strip()
    assert f"user admin  password {password}" in first
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.check_password(password)

    call_command("local_admin")
    assert capsys.readouterr().out == first
    assert get_user_model().objects.count() == 1


def test_local_admin_refuses_outside_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("local_admin")


def test_groups_exist_after_migrate_with_view_only_for_viewers(capsys):
    call_command("setup_groups")
    viewer = Group.objects.get(name="viewer")
    editor = Group.objects.get(name="editor")
    assert viewer.permissions.exclude(codename__startswith="view_").count() == 0
    assert viewer.permissions.filter(codename="view_metric").exists()
    assert editor.permissions.filter(codename="change_metric").exists()
    assert editor.permissions.filter(codename="delete_citation").exists()


def test_setup_groups_adds_a_user():
    get_user_model().objects.create_user("ada")
    call_command("setup_groups", add=["ada", "editor"])
    user = get_user_model().objects.get(username="ada")
    assert user.is_staff and user.groups.filter(name="editor").exists()
