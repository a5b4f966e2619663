"""A query parameter an endpoint does not know is a 400 naming it, on every operation of
the schema; every parameter the schema lists is known. Both are generated from the
schema, so a new endpoint or filter is covered as soon as it is documented."""

import pytest
from django.contrib.auth import get_user_model
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

METHODS = {"get", "post", "put", "patch", "delete"}
UNKNOWN = "compnay"  # a typo of a filter's name


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path.replace("{id}", "1"), method, operation


@pytest.fixture
def admin_api(db):
    """Every permission, so that no operation refuses before it reads its parameters."""
    user = get_user_model().objects.create_superuser("root", password="pw")
    client = APIClient()
    client.force_authenticate(user)
    return client


def example(schema: dict) -> str:
    """A value of the parameter's type: the check is of its name, not its value."""
    if schema.get("type") == "array":
        return example(schema["items"])
    if "enum" in schema:
        return str(schema["enum"][0])
    return {
        "integer": "1",
        "number": "1",
        "boolean": "true",
    }.get(schema.get("type"), "2026-01-01" if schema.get("format") == "date" else "x")


def test_an_unknown_parameter_is_refused_by_every_operation(schema, admin_api):
    checked = 0
    for path, method, _ in operations(schema):
        response = getattr(admin_api, method)(f"{path}?{UNKNOWN}=mistral-ai", format="json")
        assert response.status_code == 400, (method, path, response.status_code)
        message = response.json()[UNKNOWN][0]
        assert message.startswith("Unknown parameter. Accepted here:"), (method, path)
        checked += 1
    assert checked > 50


def test_every_documented_parameter_is_known(schema, admin_api):
    for path, method, operation in operations(schema):
        query = {
            parameter["name"]: example(parameter.get("schema", {}))
            for parameter in operation.get("parameters", [])
            if parameter["in"] == "query"
        }
        if not query or method != "get":
            continue
        response = admin_api.get(path, query)
        # A value may be refused (a date where a slug is expected); a name never is.
        assert b"Unknown parameter" not in response.content, (path, response.content[:300])


def test_an_unknown_ordering_is_refused_and_the_schema_lists_the_accepted(schema, admin_api):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/metrics/"]["get"]["parameters"]}
    accepted = parameters["ordering"]["schema"]["items"]["enum"]
    assert {"value", "-value", "id", "-period_start"} <= set(accepted)
    response = admin_api.get("/api/v1/metrics/", {"ordering": "-source_count,bogus"})
    assert response.status_code == 400
    assert "Cannot order by -source_count, bogus" in response.json()["ordering"][0]
    assert admin_api.get("/api/v1/metrics/", {"ordering": "-value,id"}).status_code == 200


def test_a_detail_does_not_take_the_list_filters(admin_api):
    response = admin_api.get("/api/v1/metrics/1/", {"region": "FR"})
    assert response.status_code == 400
    assert response.json()["region"] == [
        "Unknown parameter. Accepted here: as_of, brief, fields, format."
    ]
