import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Each test creates its users, and the production hasher is slow on purpose (about
    0.6 s a password): tests hash with MD5, which logs in the same way."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def editor(db):
    user = get_user_model().objects.create_user("editor", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    return user


@pytest.fixture
def viewer(db):
    user = get_user_model().objects.create_user("viewer", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="viewer"))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def anon_api():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def editor_api(editor):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(editor)
    return client


@pytest.fixture
def viewer_api(viewer):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(viewer)
    return client


@pytest.fixture
def token_api(editor):
    """An editor authenticated the way scripts do: `Authorization: Token <key>`."""
    from tests.api.base import token_client

    return token_client(editor)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttle counts and counts in the past live in the caches: each test starts with
    none."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()
