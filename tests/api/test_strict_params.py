"""A query parameter an endpoint does not know is a 400 naming it, on every operation of
the schema; every parameter the schema lists is known. Both are generated from the
schema, so a new endpoint or filter is covered as soon as it is documented."""

import json

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


# A parameter of several values takes them comma-separated or repeated; one of one value
# given twice is a 400 (the last would win, the first never checked).
ONE_VALUE_TWICE = [
    "brief=zz&brief=1",
    "as_of=garbage&as_of=2025-02-15",
    "fields=nope&fields=name",
    "ordering=nope&ordering=name",
    "limit=abc&limit=2",
    "q=zzzz&q=mistral",
    "format=json&format=json",
]


@pytest.mark.parametrize("query", ONE_VALUE_TWICE)
def test_a_parameter_of_one_value_given_twice_is_refused(admin_api, query):
    name = query.split("=")[0]
    response = admin_api.get(f"/api/v1/companies/?{query}")
    assert response.status_code == 400, response.content[:300]
    assert response.json() == {name: ["Given more than once: it takes one value."]}


def test_every_operation_takes_its_lists_repeated_and_the_rest_once(schema, admin_api):
    """What the schema says takes several values (an array, save `ordering` and `fields`,
    which take theirs comma-separated) may be repeated; anything else may not."""
    checked = 0
    for path, method, operation in operations(schema):
        if method != "get":
            continue
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            name, kind = parameter["name"], parameter.get("schema", {})
            value = "json" if name == "format" else example(kind)  # an answer in JSON
            if kind.get("format") == "date-time":
                value = "2026-01-01T00:00:00Z"  # read before the parameters are checked
            response = admin_api.get(f"{path}?{name}={value}&{name}={value}")
            twice = response.status_code == 400 and "Given more than once" in str(
                response.json().get(name, "")
            )
            several = kind.get("type") == "array" and name not in ("ordering", "fields")
            assert twice is not several, (path, name, response.status_code)
            checked += 1
    assert checked > 300


def test_the_change_log_takes_kinds_and_actions_repeated(admin_api):
    from ..factories import CompanyFactory, MetricFactory

    CompanyFactory()
    MetricFactory()
    both = admin_api.get("/api/v1/changes/?kind=companies,metrics&action=create,update")
    repeated = admin_api.get(
        "/api/v1/changes/?kind=companies&kind=metrics&action=create&action=update"
    )
    assert repeated.status_code == 200, repeated.content[:300]
    assert repeated.json()["results"] == both.json()["results"]
    assert {entry["kind"] for entry in both.json()["results"]} >= {"companies", "metrics"}


@pytest.mark.parametrize(
    "path, name",
    [
        ("/api/v1/metrics/?format=csv&limit=abc", "limit"),
        ("/api/v1/metrics/?format=csv&offset=10", "offset"),
        ("/api/v1/metrics/?format=csv&after=10", "after"),
        ("/api/v1/facts/?format=csv&limit=5", "limit"),
        ("/api/v1/changes/?format=csv&offset=1", "offset"),
    ],
)
def test_a_csv_takes_no_paging_parameter(admin_api, path, name):
    """A CSV holds every matching row: `after=` given to resume an export would send
    every row again, silently."""
    response = admin_api.get(path)
    assert response.status_code == 400, response.status_code
    # The error in the format asked for: a CSV of field and message.
    assert response.content.decode().startswith(f"field,value\n{name},")


def test_the_change_feed_as_csv_starts_at_its_cursor(admin_api):
    """`after` is the feed's cursor, not a page: a CSV takes it, and starts after it."""
    from ..factories import CompanyFactory

    first = CompanyFactory()
    [entry] = admin_api.get("/api/v1/changes/?after=0&kind=companies").json()["results"]
    later = CompanyFactory()
    response = admin_api.get(f"/api/v1/changes/?format=csv&kind=companies&after={entry['cursor']}")
    assert response.status_code == 200
    rows = b"".join(response.streaming_content).decode().splitlines()[1:]
    assert [int(row.split(",")[1]) for row in rows] == [later.pk]
    assert first.pk != later.pk


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/companies/?brief=1&fields=name",
        "/api/v1/companies/1/?brief=1&fields=nope",
        "/api/v1/companies/?format=csv&brief=1",
    ],
)
def test_brief_with_fields_or_in_a_csv_is_refused_naming_it(admin_api, path):
    from ..factories import CompanyFactory

    CompanyFactory(pk=1)
    response = admin_api.get(path)
    assert response.status_code == 400, response.content[:300]
    text = response.content.decode()
    assert (
        text.startswith("field,value\nbrief,")
        if "csv" in path
        else list(json.loads(text)) == ["brief"]
    )
    fields = admin_api.get("/api/v1/companies/?brief=0&fields=name")
    assert fields.status_code == 200 and list(fields.json()["results"][0]) == ["name"]
    # brief=0 asks for no brief form: in a CSV too, as in JSON.
    csv = admin_api.get("/api/v1/companies/?brief=0&format=csv&fields=id,name")
    assert csv.status_code == 200, csv.content[:300]
    assert b"".join(csv.streaming_content).decode().splitlines()[0] == "id,name"
    assert admin_api.get("/api/v1/companies/?brief=maybe&format=csv").status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/companies/?format=xml", "/api/v1/changes/?format=yaml"])
def test_an_unknown_format_is_a_400_naming_the_parameter(admin_api, path):
    response = admin_api.get(path)
    assert response.status_code == 400, response.status_code
    [message] = response.json()["format"]
    assert "json" in message and "csv" in message


def test_a_search_longer_than_any_name_is_a_400_naming_q(admin_api):
    """On SQLite, a word of 50,000 characters was a LIKE pattern too complex: a 500."""
    response = admin_api.get(f"/api/v1/companies/?q={'a' * 50_000}")
    assert response.status_code == 400, response.status_code
    assert list(response.json()) == ["q"]
    assert admin_api.get(f"/api/v1/companies/?q={'a' * 1000}").status_code == 200


@pytest.mark.parametrize("value", [",", "%20", " , "])
def test_fields_naming_no_field_is_refused(admin_api, value):
    response = admin_api.get(f"/api/v1/companies/?fields={value}")
    assert response.status_code == 400
    assert response.json() == {"fields": ["Name at least one field."]}


@pytest.mark.parametrize("value", ["id,", ",id", "id,,name", "id, ,name"])
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_fields_with_an_empty_name_in_the_list_is_refused(admin_api, value, fmt):
    """A name left out of the list may be the one wanted: said, not skipped."""
    message = "An empty name in the list: separate names with single commas."
    response = admin_api.get("/api/v1/companies/", {"fields": value, "format": fmt})
    assert response.status_code == 400, response.content[:300]
    if fmt == "json":
        assert response.json() == {"fields": [message]}
    else:  # an error in the format asked for
        assert response.content.decode() == f"field,value\nfields,{message}\n"
    assert admin_api.get("/api/v1/companies/", {"fields": "id, name"}).status_code == 200


def test_an_empty_value_is_refused_but_for_a_lists_filters(schema, admin_api):
    """`?as_of=` read as absent would answer the present, `?limit=` the default page: a
    400 naming it. A list's filters may come empty, as an HTML form sends them."""
    refused = accepted = 0
    for path, method, operation in operations(schema):
        if method != "get":
            continue
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            name = parameter["name"]
            response = admin_api.get(f"{path}?{name}=")
            form_filter = (
                "{id}" not in path
                and path.rstrip("/").count("/") == 3
                and (name not in {"format", "limit", "offset", "after", "as_of", "fields", "brief"})
            )
            if response.status_code == 400 and name in response.json():
                assert response.json()[name] == [
                    "Empty: give a value, or leave the parameter out."
                ], (path, name)
                refused += 1
            else:
                assert form_filter, (path, name, response.status_code, response.content[:200])
                accepted += 1
    assert refused > 100 and accepted > 50, (refused, accepted)


@pytest.mark.parametrize(
    "query", ["as_of=", "limit=", "offset=", "format=", "after=", "fields=", "as_of=&kind=ai_lab"]
)
def test_the_parameters_a_page_reads_itself_are_refused_empty(admin_api, query):
    response = admin_api.get(f"/api/v1/companies/?{query}")
    assert response.status_code == 400, response.content
    name = query.split("=")[0]
    assert name in response.json()


def test_a_filter_left_blank_in_a_form_filters_nothing(admin_api):
    response = admin_api.get("/api/v1/companies/?kind=&country=&updated_after=")
    assert response.status_code == 200, response.content


def test_a_method_an_endpoint_has_not_is_405_whatever_its_query(schema, admin_api):
    checked = 0
    for path, item in schema["paths"].items():
        missing = METHODS - set(item)
        for method in sorted(missing):
            url = path.replace("{id}", "1")
            response = getattr(admin_api, method)(f"{url}?{UNKNOWN}=1&limit=5", format="json")
            assert response.status_code == 405, (method, url, response.status_code)
            assert method.upper() not in response["Allow"]
            checked += 1
    assert checked > 30


def test_every_page_size_and_offset_says_its_least_value_and_is_held_to_it(schema, admin_api):
    checked = 0
    for path, method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            least = {"limit": 1, "offset": 0}.get(parameter["name"])
            if parameter["in"] != "query" or least is None:
                continue
            assert parameter["schema"].get("minimum") == least, (method, path, parameter)
            if method == "get" and "/1/" not in path:  # record 1 may not exist: a 404
                response = admin_api.get(f"{path}?{parameter['name']}={least - 1}")
                assert response.status_code == 400, (path, parameter["name"])
                assert parameter["name"] in response.json(), (path, response.content[:200])
                checked += 1
    assert checked > 30


def test_a_request_body_takes_no_field_it_does_not_list_as_the_schema_says(schema, admin_api):
    components = schema["components"]["schemas"]
    checked = 0
    for path, method, operation in operations(schema):
        content = operation.get("requestBody", {}).get("content", {})
        ref = content.get("application/json", {}).get("schema", {}).get("$ref")
        if ref is None:
            continue
        body = components[ref.rsplit("/", 1)[-1]]
        assert body.get("additionalProperties") is False, (method, path)
        response = getattr(admin_api, method)(path, {UNKNOWN: 1}, format="json")
        if response.status_code == 404:  # record 1 is not there: nothing read
            continue
        assert response.status_code == 400, (method, path, response.status_code)
        assert response.json()[UNKNOWN] == ["Unknown field."], (method, path, response.json())
        checked += 1
    assert checked > 15, checked
