"""API tokens: each staff user manages their own in the admin (factbase/admin/tokens.py),
a superuser every token; `setup_groups --add` and `api_token` do it from the shell.

A key is proved to work, or to have stopped working, by an API write sent with it."""

import itertools
import re

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

KEY = re.compile(r"\b[0-9a-f]{40}\b")
_slugs = itertools.count()


def admin_url(view: str, user=None) -> str:
    return reverse(f"admin:authtoken_tokenproxy_{view}", args=[] if user is None else [user.pk])


def api_write(key: str) -> int:
    """The status of a write sent with `key`: creating a platform needs an editor."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    slug = f"tv-{next(_slugs)}"
    response = client.post("/api/v1/platforms/", {"slug": slug, "name": slug}, format="json")
    return response.status_code


def keys_in(response) -> set[str]:
    return set(KEY.findall(response.content.decode()))


def confirm(client, url: str):
    """Press the confirmation form's button (its hidden `post` field, as Django's own)."""
    return client.post(url, {"post": "yes"})


@pytest.fixture
def other(db):
    user = get_user_model().objects.create_user("other", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    return user


@pytest.fixture
def superuser_client(client):
    client.force_login(get_user_model().objects.create_superuser("root", password="pw"))
    return client


def test_an_editor_creates_a_token_sees_its_key_once_and_it_authenticates(editor_client, editor):
    page = editor_client.get(admin_url("add"))
    assert page.status_code == 200
    assert b"Create the token" in page.content and not Token.objects.exists()

    editor_client.post(admin_url("add"))  # without the confirmation's field: nothing done
    assert not Token.objects.exists()

    shown = confirm(editor_client, admin_url("add"))
    token = Token.objects.get(user=editor)
    assert shown.status_code == 200
    assert keys_in(shown) == {token.key}
    assert "no-store" in shown["Cache-Control"]
    assert api_write(token.key) == 201

    # Never again in full: the token's page, the list, the history show it masked.
    for url in (admin_url("change", editor), admin_url("changelist"), admin_url("history", editor)):
        page = editor_client.get(url)
        assert page.status_code == 200, url
        assert token.key not in page.content.decode() and token.key[-4:] in page.content.decode()

    entry = LogEntry.objects.get()
    assert (entry.user, entry.action_flag, entry.object_id) == (editor, ADDITION, str(editor.pk))
    assert token.key not in entry.object_repr and "editor" in entry.object_repr


def test_an_editor_who_has_a_token_is_sent_to_it_rather_than_making_another(editor_client, editor):
    token = Token.objects.create(user=editor)
    response = confirm(editor_client, admin_url("add"))
    assert response.status_code == 302 and response["Location"] == admin_url("change", editor)
    assert list(Token.objects.values_list("key", flat=True)) == [token.key]


def test_my_api_token_is_in_the_user_tools_and_leads_to_ones_own_token(editor_client, editor):
    index = editor_client.get(reverse("admin:index")).content.decode()
    assert f'href="{admin_url("mine")}"' in index and "My API token" in index

    assert editor_client.get(admin_url("mine"))["Location"] == admin_url("add")
    Token.objects.create(user=editor)
    assert editor_client.get(admin_url("mine"))["Location"] == admin_url("change", editor)


def test_regenerating_replaces_the_key_and_the_old_one_stops_authenticating(editor_client, editor):
    old = Token.objects.create(user=editor).key
    page = editor_client.get(admin_url("regenerate", editor))
    assert page.status_code == 200 and old not in page.content.decode()
    assert Token.objects.get(user=editor).key == old  # asked, not done

    shown = confirm(editor_client, admin_url("regenerate", editor))
    new = Token.objects.get(user=editor).key
    assert new != old and keys_in(shown) == {new}
    assert api_write(old) == 401
    assert api_write(new) == 201
    entry = LogEntry.objects.get()
    assert (entry.user, entry.action_flag) == (editor, CHANGE)
    assert old[-4:] in entry.change_message and old not in entry.change_message


def test_revoking_deletes_the_token_and_its_key_stops_authenticating(editor_client, editor):
    key = Token.objects.create(user=editor).key
    assert api_write(key) == 201
    page = editor_client.get(admin_url("delete", editor))
    assert page.status_code == 200 and b"Yes, revoke it" in page.content
    assert key not in page.content.decode()

    response = confirm(editor_client, admin_url("delete", editor))
    assert response.status_code == 302
    assert not Token.objects.exists()
    assert api_write(key) == 401
    entry = LogEntry.objects.get()
    assert (entry.user, entry.action_flag, entry.object_id) == (editor, DELETION, str(editor.pk))
    assert key not in entry.object_repr


def test_an_editor_sees_only_their_own_token(editor_client, editor, other):
    mine, theirs = Token.objects.create(user=editor), Token.objects.create(user=other)
    page = editor_client.get(admin_url("changelist")).content.decode()
    assert mine.key[-4:] in page and theirs.key[-4:] not in page
    assert not keys_in(editor_client.get(admin_url("changelist")))
    assert admin_url("change", other) not in page


@pytest.mark.parametrize("view", ["change", "regenerate", "delete", "history"])
def test_another_users_token_is_not_found_by_its_url(editor_client, other, view):
    key = Token.objects.create(user=other).key
    assert editor_client.get(admin_url(view, other)).status_code == 404
    assert confirm(editor_client, admin_url(view, other)).status_code in (404, 405)
    assert Token.objects.get(user=other).key == key
    assert api_write(key) == 201
    assert not LogEntry.objects.exists()


def test_an_editor_cannot_create_a_token_for_someone_else(editor_client, editor, other):
    editor_client.post(admin_url("add"), {"post": "yes", "user": other.pk})
    assert list(Token.objects.values_list("user", flat=True)) == [editor.pk]


def test_any_active_staff_user_manages_their_own_token(client, viewer):
    client.force_login(viewer)
    confirm(client, admin_url("add"))
    assert Token.objects.filter(user=viewer).exists()
    confirm(client, admin_url("delete", viewer))
    assert not Token.objects.exists()


def test_a_user_who_is_not_staff_has_no_token_pages(client):
    user = get_user_model().objects.create_user("reader", password="pw")
    client.force_login(user)
    for url in (admin_url("mine"), admin_url("add"), admin_url("changelist")):
        assert client.get(url).status_code == 302  # to the admin's login
    assert confirm(client, admin_url("add")).status_code == 302
    assert not Token.objects.exists()


def test_a_superuser_sees_and_revokes_every_token(superuser_client, editor, other):
    tokens = [Token.objects.create(user=editor), Token.objects.create(user=other)]
    page = superuser_client.get(admin_url("changelist")).content.decode()
    for token in tokens:
        assert token.key[-4:] in page and admin_url("change", token.user) in page
        assert token.key not in page
    assert superuser_client.get(admin_url("change", other)).status_code == 200

    confirm(superuser_client, admin_url("delete", other))
    assert list(Token.objects.values_list("user", flat=True)) == [editor.pk]
    assert api_write(tokens[1].key) == 401
    entry = LogEntry.objects.get()
    assert entry.user.username == "root" and entry.object_id == str(other.pk)


def test_a_superuser_creates_for_themself_unless_they_pick_a_user(superuser_client, other):
    root = get_user_model().objects.get(username="root")
    confirm(superuser_client, admin_url("add"))
    assert Token.objects.filter(user=root).exists()

    shown = superuser_client.post(admin_url("add"), {"post": "yes", "user": other.pk})
    key = Token.objects.get(user=other).key
    assert keys_in(shown) == {key}
    assert api_write(key) == 201

    again = superuser_client.post(admin_url("add"), {"post": "yes", "user": other.pk})
    assert again.status_code == 200 and not keys_in(again)  # refused: other has one
    assert Token.objects.get(user=other).key == key


def test_setup_groups_add_creates_a_user_without_a_password(capsys):
    call_command("setup_groups", add=["alice", "editor"])
    out = capsys.readouterr().out
    alice = get_user_model().objects.get(username="alice")
    assert alice.is_staff and alice.groups.filter(name="editor").exists()
    assert not alice.has_usable_password()
    assert "created user alice without a password" in out
    assert "python manage.py changepassword alice" in out

    call_command("setup_groups", add=["alice", "viewer"])  # now she exists: added, not created
    assert "created" not in capsys.readouterr().out
    assert set(alice.groups.values_list("name", flat=True)) == {"editor", "viewer"}


@pytest.mark.parametrize(
    ("add", "named"), [(["alice", "editors"], "GROUP"), (["al ice", "editor"], "USERNAME")]
)
def test_setup_groups_add_refuses_bad_input_and_creates_no_one(add, named):
    with pytest.raises(CommandError, match=named):
        call_command("setup_groups", add=add)
    assert not get_user_model().objects.exists()


def test_api_token_prints_a_key_alone_that_authenticates(editor, capsys):
    call_command("api_token", "editor")
    out, err = capsys.readouterr()
    key = out.strip()
    assert KEY.fullmatch(key) and out == key + "\n"
    assert "created" in err
    assert api_write(key) == 201

    call_command("api_token", "editor")  # the same token while it stands
    assert capsys.readouterr().out.strip() == key

    call_command("api_token", "editor", "--regenerate")
    new = capsys.readouterr().out.strip()
    assert new != key and KEY.fullmatch(new)
    assert api_write(key) == 401
    assert api_write(new) == 201


def test_api_token_refuses_an_unknown_or_inactive_user(editor):
    with pytest.raises(CommandError, match="no user 'nobody'"):
        call_command("api_token", "nobody")
    editor.is_active = False
    editor.save()
    with pytest.raises(CommandError, match="not active"):
        call_command("api_token", "editor")
    assert not Token.objects.exists()
