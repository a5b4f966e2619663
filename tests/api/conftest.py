import pytest

# The shared test mixins live outside test modules: have pytest explain their asserts too.
pytest.register_assert_rewrite("tests.api.base")
