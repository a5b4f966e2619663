"""The OpenAPI schema tells clients what the API really answers: the errors of each
operation, CSV as text, records that `fields=` cuts down, public reads. And the answers
that fuzzing the live API found wrong (see .ci/api-checks) stay right."""

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.factories import CitationFactory, CompanyFactory, MetricFactory

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method.upper(), operation


# Creates refused as likely duplicates unless ?allow_duplicate=true.
DUPLICATE_CHECKED = {"/api/v1/companies/", "/api/v1/products/", "/api/v1/people/"}


def expected_errors(path: str, method: str) -> set[str]:
    codes = {"400", "401", "403"}
    if "{" in path:
        codes.add("404")
    if method == "DELETE" or path.endswith(("/restore/", "/merge/", "/undo/")):
        codes.add("409")
    if method == "POST" and path in DUPLICATE_CHECKED:
        codes.add("409")  # a likely duplicate (factbase.resolution)
    if method in {"PUT", "PATCH", "DELETE"}:
        codes.add("412")
    if method in {"POST", "PUT", "PATCH"}:
        codes.add("415")
    return codes


def test_every_operation_documents_its_errors(schema):
    for path, method, operation in operations(schema):
        errors = {code for code in operation["responses"] if code.startswith("4")}
        assert errors == expected_errors(path, method), (method, path)
        for code in errors:
            content = operation["responses"][code]["content"]
            name = "ValidationError" if code == "400" else "Error"
            assert content["application/json"]["schema"] == {"$ref": f"#/components/schemas/{name}"}


def test_a_validation_error_maps_fields_to_messages(schema):
    error = schema["components"]["schemas"]["ValidationError"]
    assert error["properties"] == {"detail": {"type": "string"}}
    assert "additionalProperties" in error
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]


def test_csv_is_documented_as_text(schema):
    for _, _, operation in operations(schema):
        for response in operation["responses"].values():
            if "text/csv" in response.get("content", {}):
                assert response["content"]["text/csv"]["schema"] == {"type": "string"}


def test_records_in_answers_have_no_required_properties(schema):
    components = schema["components"]["schemas"]
    assert "required" not in components["Metric"]  # ?fields= and ?brief= leave any out
    assert set(components["MetricRequest"]["required"]) == {"metric_type", "qualifier", "value"}
    assert components["MetricTypeBrief"]["required"]  # a reference is always whole


def test_audit_users_may_be_null(schema):
    created_by = schema["components"]["schemas"]["Metric"]["properties"]["created_by"]
    assert created_by["nullable"] is True


# Staff only, reads too: a subscription holds the address every change is sent to.
STAFF_ONLY = ("/api/v1/webhooks/",)


def test_reads_need_no_credentials_and_writes_do(schema):
    for path, method, operation in operations(schema):
        public = method == "GET" and not path.startswith(STAFF_ONLY)
        assert ({} in operation["security"]) == public, (path, method, operation)


def test_operations_do_not_describe_the_base_viewset(schema):
    for _, _, operation in operations(schema):
        assert "Subclasses" not in operation.get("description", "")


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["²", "١", "x", "a%00b"])
def test_a_key_that_names_no_record_is_404(anon_api, key):
    assert anon_api.get(f"/api/v1/citations/{key}/").status_code == 404
    assert anon_api.get(f"/api/v1/metric-types/{key}/").status_code == 404


@pytest.mark.django_db
def test_an_if_match_of_unicode_digits_is_412(editor_api):
    metric = MetricFactory()
    response = editor_api.patch(
        f"/api/v1/metrics/{metric.pk}/", {"note": "n"}, format="json", HTTP_IF_MATCH='"²"'
    )
    assert response.status_code == 412


@pytest.mark.django_db
@pytest.mark.parametrize("ref", ["²", "mistral\x00"])
def test_a_reference_that_names_no_record_is_400(editor_api, ref):
    body = {"company": ref, "metric_type": "downloads", "qualifier": "exact", "value": "1"}
    response = editor_api.post("/api/v1/metrics/", body, format="json")
    assert response.status_code == 400
    assert "company" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "status"),
    [("2025-01-01T00:00:00-18:30", 200), ("0001-01-01T00:00:00+05:00", 400)],
)
def test_date_time_filters_take_any_iso_offset(anon_api, value, status):
    response = anon_api.get("/api/v1/metrics/", {"updated_after": value})
    assert response.status_code == status


@pytest.mark.django_db
def test_a_brief_decimal_is_a_string_as_in_the_record(anon_api):
    citation = CitationFactory(fact=MetricFactory())
    fact = anon_api.get(f"/api/v1/citations/{citation.pk}/").json()["fact"]
    assert fact["value"] == "1000"


def page_properties(schema, path: str) -> set[str]:
    response = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    name = response["schema"]["$ref"].rsplit("/", 1)[-1]
    return set(schema["components"]["schemas"][name]["properties"])


@pytest.mark.django_db
def test_every_key_of_a_page_of_versions_is_in_the_schema(schema, anon_api):
    """The change log, the feed and a record's history answer what their schema lists."""
    metric = MetricFactory()
    changes = page_properties(schema, "/api/v1/changes/")
    for url in ("/api/v1/changes/", "/api/v1/changes/?after=0"):
        response = anon_api.get(url)
        assert response.status_code == 200
        assert set(response.json()) <= changes, (url, set(response.json()) - changes)
    assert "cursor" in anon_api.get("/api/v1/changes/?after=0").json()
    history = page_properties(schema, "/api/v1/metrics/{id}/history/")
    response = anon_api.get(f"/api/v1/metrics/{metric.pk}/history/")
    assert response.status_code == 200
    assert set(response.json()) <= history, set(response.json()) - history


def test_every_get_operation_lists_the_format_it_takes(schema):
    """`?format=` is accepted everywhere (as `json` where that is the only format): the
    schema says so for every read, as it says every parameter an operation takes."""
    missing = [
        path
        for path, method, operation in operations(schema)
        if method == "GET"
        and "format"
        not in {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    ]
    assert missing == []


def test_ids_and_counts_are_typed_as_whole_numbers(schema):
    """`source_count_min=1.5` and `source=1.5` are 400s: the schema says integer."""
    parameters = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/v1/metrics/"]["get"]["parameters"]
    }
    assert parameters["source_count_min"]["type"] == "integer"
    assert parameters["source_count_max"]["type"] == "integer"
    for name in ("source", "company_id", "id"):
        assert parameters[name] == {"type": "array", "items": {"type": "integer"}}, name


@pytest.mark.django_db
@pytest.mark.parametrize("website", ["", "https://mistral.ai/"])
def test_a_company_with_or_without_a_website_validates_against_its_schema(
    schema, anon_api, website
):
    """A blank website matched both branches of a `oneOf` (a URI; at most 0 characters)
    wherever a validator does not check formats: every company without one was invalid."""
    company = CompanyFactory(website=website)
    body = anon_api.get(f"/api/v1/companies/{company.pk}/").json()
    components = as_json_schema(schema["components"])
    validator = jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/Company", "components": components}
    )
    assert [error.message for error in validator.iter_errors(body)] == []


def as_json_schema(node):
    """OpenAPI 3.0's `nullable: true` as JSON Schema says it: the value, or null."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: as_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node
