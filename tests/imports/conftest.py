import pytest
from django.core.management import call_command

# The shared helpers live outside test modules: have pytest explain their asserts too.
pytest.register_assert_rewrite("tests.imports.helpers")


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    """Each test keeps the admin's waiting files in a directory of its own."""
    settings.IMPORT_DIR = tmp_path / "imports"
    return settings.IMPORT_DIR
