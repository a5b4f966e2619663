import pytest

# The shared test mixins live outside test modules: have pytest explain their asserts too.
pytest.register_assert_rewrite("tests.api.base")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Each test creates its users; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
