"""`POST /api/v1/<kind>/import/`: JSON lines and CSV bodies, all or nothing, the dry run,
who may, and what the schema says."""

import json

import pytest
from drf_spectacular.generators import SchemaGenerator

from companies.models import Platform
from events.models import Metric
from factbase.api.parsers import MAX_DEPTH
from tests.factories import (
    CompanyAliasFactory,
    CompanyFactory,
    MetricFactory,
    SourceFactory,
)
from tests.imports.helpers import history_count

pytestmark = pytest.mark.django_db

URL = "/api/v1/metrics/import/"
NDJSON = "application/x-ndjson"


def lines(*rows: dict) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def metric(**fields) -> dict:
    return {"metric_type": "downloads", "qualifier": "exact", "value": "10", **fields}


@pytest.fixture
def acme(db):
    return CompanyFactory(slug="acme", name="Acme")


def test_json_lines_are_written_with_the_editor_and_the_reason(editor_api, editor, acme):
    source = SourceFactory(url="https://example.org/acme")
    body = lines(
        metric(
            company="acme",
            value="2000000",
            status="verified",
            citations=[
                {"source": "https://example.org/acme", "quote": "reached two million users"}
            ],
        ),
        metric(company=acme.pk, value="5"),
    )
    response = editor_api.post(
        URL,
        body,
        content_type=NDJSON,
        HTTP_X_CHANGE_REASON="weekly figures",
        HTTP_CONTENT_DISPOSITION='attachment; filename="acme.jsonl"',
    )
    assert response.status_code == 201, response.content
    report = response.json()
    assert report["counts"] == {"new": 2, "update": 0, "unchanged": 0, "error": 0}
    assert (report["written"], report["file"], report["format"]) == (True, "acme.jsonl", "jsonl")
    assert [row["outcome"] for row in report["outcomes"]] == ["new", "new"]
    created = Metric.objects.get(pk=report["outcomes"][0]["id"])
    assert created.citations.get().source == source
    version = created.history.get()
    assert (version.history_user, version.history_change_reason) == (
        editor,
        "import acme.jsonl: weekly figures",
    )


def test_a_line_with_an_id_updates_that_record(editor_api):
    stored = MetricFactory(note="old")
    body = lines({"id": stored.pk, "note": "new"}, {"id": stored.pk, "version": 2})
    response = editor_api.post(URL, body, content_type=NDJSON)
    assert response.status_code == 201, response.content
    assert [row["outcome"] for row in response.json()["outcomes"]] == ["update", "unchanged"]
    stored.refresh_from_db()
    assert (stored.note, stored.version) == ("new", 2)


def test_one_bad_line_writes_nothing_and_each_problem_is_named(editor_api, acme):
    before = history_count()
    body = lines(
        metric(company="acme"),
        metric(company="acme", value="lots"),
        metric(company="nobody", citations=[{"source": 999, "quote": "x"}]),
        {"id": 123456, "note": "gone"},
    )
    response = editor_api.post(URL, body, content_type=NDJSON)
    assert response.status_code == 400
    # An error as every 400 of the API reads (`detail`), the whole report beside it.
    answer = response.json()
    report = answer["report"]
    assert report["written"] is False
    assert "Nothing was written" in answer["detail"]
    assert report["counts"] == {"new": 1, "update": 0, "unchanged": 0, "error": 3}
    assert answer["errors"] == report["errors"]
    errors = [(error["line"], error["column"], error["message"]) for error in report["errors"]]
    assert errors[0] == (2, "value", "A valid number is required.")
    assert errors[1][:2] == (3, "company") and "'nobody'" in errors[1][2]
    assert errors[2] == (3, "citations[0].source", "No source with id 999.")
    assert errors[3] == (4, "id", "No metric 123456. To create one, leave its id empty.")
    assert len(errors) == 4
    assert history_count() == before
    assert Metric.objects.count() == 0


def test_a_dry_run_reports_and_writes_nothing(editor_api, acme):
    stored = MetricFactory(company=acme)
    before = history_count()
    body = lines(metric(company="acme"), {"id": stored.pk, "value": "11"}, {"id": stored.pk})
    response = editor_api.post(f"{URL}?dry_run=true", body, content_type=NDJSON)
    assert response.status_code == 200
    report = response.json()
    assert (report["dry_run"], report["written"]) == (True, False)
    assert [(row["outcome"], row["id"]) for row in report["outcomes"]] == [
        ("new", None),  # a dry run's new record has no id: it was never kept
        ("update", stored.pk),
        ("unchanged", stored.pk),
    ]
    assert history_count() == before
    assert Metric.objects.count() == 1


def test_a_dry_run_with_errors_answers_them_with_200(editor_api):
    response = editor_api.post(f"{URL}?dry_run=true", lines(metric(value="x")), content_type=NDJSON)
    assert response.status_code == 200
    assert response.json()["counts"]["error"] == 1


def test_csv_bodies_import_too(editor_api, acme):
    body = b"company_slug,metric_type_slug,qualifier,value\nacme,downloads,at_least,7\n"
    response = editor_api.post(URL, body, content_type="text/csv; charset=utf-8")
    assert response.status_code == 201, response.content
    assert Metric.objects.get().qualifier == "at_least"


def test_viewers_and_anonymous_clients_may_not_import(viewer_api, anon_api, acme):
    body = lines(metric(company="acme"))
    assert viewer_api.post(URL, body, content_type=NDJSON).status_code == 403
    assert anon_api.post(URL, body, content_type=NDJSON).status_code == 401
    assert Metric.objects.count() == 0


def test_an_editor_without_the_change_permission_may_not_import(editor, editor_api, acme):
    from django.contrib.auth.models import Permission

    editor.groups.clear()
    editor.user_permissions.add(Permission.objects.get(codename="add_metric"))
    response = editor_api.post(URL, lines(metric(company="acme")), content_type=NDJSON)
    assert response.status_code == 403
    assert "permission to change them" in response.json()["detail"]


@pytest.mark.parametrize(
    ("content_type", "body", "status", "says"),
    [
        ("application/json", b"{}", 415, "Unsupported media type"),
        ("text/csv; charset=latin-1", b"a\n", 415, "an import is UTF-8"),
        (NDJSON, b"", 400, "The body is empty"),
    ],
)
def test_bodies_it_does_not_read_are_refused(editor_api, content_type, body, status, says):
    response = editor_api.post(URL, body, content_type=content_type)
    assert response.status_code == status
    assert says in response.json()["detail"]


@pytest.mark.parametrize("body", [b"\n\n", b"  \r\n\t\n"])
def test_json_lines_of_blank_lines_only_are_refused(editor_api, body):
    """No record at all, as an empty body: not an import of nothing."""
    response = editor_api.post(URL, body, content_type=NDJSON)
    assert response.status_code == 400, response.content
    assert "holds no record" in str(response.json())
    assert Metric.objects.count() == 0


def test_a_body_over_the_limit_is_413(editor_api, settings, acme):
    settings.IMPORT_MAX_BYTES = 100
    body = lines(*[metric(company="acme")] * 5)
    response = editor_api.post(URL, body, content_type=NDJSON)
    assert response.status_code == 413
    assert "100 bytes" in response.json()["detail"]
    assert Metric.objects.count() == 0


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("dry_run=perhaps", "Enter true or false."),
        # An empty value is refused rather than read as false: `?dry_run` alone would write.
        ("dry_run=", "Empty: give a value, or leave the parameter out."),
        ("dry_run", "Empty: give a value, or leave the parameter out."),
    ],
)
def test_bad_flags_are_named(editor_api, flag, message):
    response = editor_api.post(f"{URL}?{flag}", lines(metric()), content_type=NDJSON)
    assert response.status_code == 400
    assert response.json() == {"dry_run": [message]}
    assert Metric.objects.count() == 0


@pytest.mark.parametrize("word", ["1", "YES", "%20true"])
def test_a_flag_takes_the_words_of_every_boolean(editor_api, acme, word):
    response = editor_api.post(
        f"{URL}?dry_run={word}", lines(metric(company="acme")), content_type=NDJSON
    )
    assert response.status_code == 200, response.content
    assert response.json()["dry_run"] is True
    assert Metric.objects.count() == 0


def test_bad_reasons_are_named(editor_api):
    response = editor_api.post(
        URL, lines(metric()), content_type=NDJSON, HTTP_X_CHANGE_REASON="x" * 95
    )
    assert response.status_code == 400
    assert "X-Change-Reason" in response.json()


def nested(depth: int) -> str:
    """A metric's line whose note is lists in lists: `depth` levels with the object."""
    lists = "[" * (depth - 1) + "]" * (depth - 1)
    return json.dumps(metric(company="acme", note="NOTE")).replace('"NOTE"', lists)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_a_line_nested_deeper_than_the_limit_is_refused_naming_it(editor_api, acme, depth):
    body = lines(metric(company="acme")) + nested(depth).encode() + b"\n"
    response = editor_api.post(URL, body, content_type=NDJSON)
    assert response.status_code == 400, response.content[:300]
    assert response.json()["errors"] == [
        {
            "line": 2,
            "column": None,
            "message": f"Not JSON: nested too deep: objects and lists nest at most {MAX_DEPTH} "
            "levels.",
        }
    ]
    assert Metric.objects.count() == 0


def test_a_line_nested_as_deep_as_the_limit_is_read(editor_api, acme):
    # The note is then a list, not text: refused by its field, not by the reading.
    response = editor_api.post(URL, nested(MAX_DEPTH).encode(), content_type=NDJSON)
    assert response.status_code == 400, response.content[:300]
    (error,) = response.json()["errors"]
    assert error["line"] == 1 and error["column"] == "note"


def test_a_key_given_twice_in_a_nested_object_is_named_by_its_path(editor_api, acme):
    line = metric(company="acme", citations=[{"source": 1, "quote": "q"}])
    text = json.dumps(line).replace('"quote": "q"', '"quote": "q", "quote": "r"')
    response = editor_api.post(URL, text.encode(), content_type=NDJSON)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "line": 1,
            "column": "citations[0].quote",
            "message": "This key is given more than once in the same object: give it once.",
        }
    ]


def test_missing_related_records_are_created_on_request(editor_api, acme):
    body = lines(metric(company="acme", platform="vision-os"))
    refused = editor_api.post(URL, body, content_type=NDJSON)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["column"] == "platform"

    response = editor_api.post(f"{URL}?create_missing=true", body, content_type=NDJSON)
    assert response.status_code == 201, response.content
    assert response.json()["created"] == [
        {
            "kind": "platform",
            "id": Platform.objects.get(slug="vision-os").pk,
            "label": "vision-os",
            "line": 1,
        }
    ]
    assert Metric.objects.get().platform.slug == "vision-os"


def test_a_record_created_for_a_refused_row_is_not_kept_for_the_next(editor_api, acme):
    # Line 1 creates the platform, then is refused for its value: its savepoint takes the
    # platform back, so line 2 must create it again, not name the one rolled back.
    body = lines(
        metric(company="acme", platform="vision-os", value="ten"),
        metric(company="acme", platform="vision-os"),
    )
    response = editor_api.post(f"{URL}?create_missing=true&dry_run=true", body, content_type=NDJSON)
    assert response.status_code == 200, response.content  # a dry run reports
    report = response.json()
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(1, "value")]
    assert report["created"] == [{"kind": "platform", "id": None, "label": "vision-os", "line": 2}]
    assert not Platform.objects.filter(slug="vision-os").exists()


def test_a_company_is_named_by_its_alias(editor_api, acme):
    """Related records are named by slug, id or alias: the alias is resolved by the API's
    reference fields (factbase.api.fields.RecordRefField), which the import writes through."""
    CompanyAliasFactory(company=acme, name="Acme Robotics")
    response = editor_api.post(URL, lines(metric(company="Acme Robotics")), content_type=NDJSON)
    assert response.status_code == 201, response.content
    assert Metric.objects.get().company == acme


def test_only_fact_kinds_import_and_the_schema_says_so():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    operation = paths["/api/v1/metrics/import/"]["post"]
    assert set(operation["requestBody"]["content"]) == {
        "application/x-ndjson",
        "application/jsonl",
        "text/csv",
    }
    assert {"dry_run", "create_missing"} <= {p["name"] for p in operation["parameters"]}
    assert "/api/v1/funding-rounds/import/" in paths
    assert "/api/v1/platforms/import/" not in paths
    assert "/api/v1/sources/import/" not in paths


def test_unknown_and_read_only_fields_of_a_line_are_named(editor_api, acme):
    body = lines(metric(company="acme", colour="red", source_count=3))
    response = editor_api.post(URL, body, content_type=NDJSON)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"line": 1, "column": "colour", "message": "Unknown field."},
        {"line": 1, "column": "source_count", "message": "This field is read-only."},
    ]


def test_a_csv_body_that_is_not_utf8_is_400_naming_the_line(editor_api, acme):
    body = "company_slug,metric_type_slug,qualifier,value,note\nacme,downloads,exact,1,Café\n"
    response = editor_api.post(URL, body.encode("latin-1"), content_type="text/csv")
    assert response.status_code == 400
    assert response.json()["report"]["file_error"].startswith("line 2: Not UTF-8")
    assert "line 2: Not UTF-8" in response.json()["detail"]
    assert Metric.objects.count() == 0


def test_an_id_of_thousands_of_digits_is_refused_naming_its_column(editor_api, acme):
    body = f"id,note\n{'9' * 5000},checked\n"
    response = editor_api.post(URL, body.encode(), content_type="text/csv")
    assert response.status_code == 400
    ((line, column),) = [(e["line"], e["column"]) for e in response.json()["errors"]]
    assert (line, column) == (2, "id")
    assert Metric.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"), [("region", 33), ("value", True), ("note", ["x"]), ("status", 1)]
)
def test_a_json_line_has_its_fields_types_as_an_api_body(editor_api, acme, field, value):
    """A JSON line is read as the API reads a body: a number is not text there. A CSV's
    cells are text, read by each column's type (tests/imports/test_kinds.py)."""
    before = history_count()
    response = editor_api.post(
        URL, lines(metric(company="acme", **{field: value})), content_type=NDJSON
    )
    assert response.status_code == 400, response.content
    (error,) = response.json()["errors"]
    assert (error["line"], error["column"]) == (1, field)
    assert history_count() == before
    assert not Metric.objects.exists()


def test_the_change_feed_gives_an_imports_writes_in_the_order_they_were_written(
    editor_api, anon_api, acme
):
    """A file's writes share one instant: the feed still gives each record beside the
    rows written with it (a mirror applies a verified fact with its citation), not every
    record of one kind before those of the next."""
    SourceFactory(url="https://example.org/acme")
    quote = {"source": "https://example.org/acme", "quote": "reached two million users"}
    rows = [metric(company="acme", value=str(n), citations=[quote]) for n in (1, 2)]
    response = editor_api.post(URL, lines(*rows), content_type=NDJSON)
    assert response.status_code == 201, response.content
    first, second = (row["id"] for row in response.json()["outcomes"])

    changes = anon_api.get("/api/v1/changes/", {"after": "0", "limit": 1000}).json()
    assert changes["next"] is None
    written = [
        (change["kind"], change.get("fact", {}).get("id", change["id"]))
        for change in changes["results"]
        if change["kind"] in ("metrics", "citations")
    ]
    assert written == [
        ("metrics", first),
        ("citations", first),
        ("metrics", second),
        ("citations", second),
    ]


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (b'{"id": 15.0, "note": "x"}', "Not an id: 15.0 (a whole number)."),
        (b'{"id": true, "note": "x"}', "Not an id: true (a whole number)."),
        (b'{"id": "15", "note": "x"}', 'Not an id: "15" (a whole number).'),
        (b'{"id": 1, "version": -2, "note": "x"}', "Not a version: -2 (a whole number)."),
    ],
)
def test_a_bad_id_of_a_line_is_shown_as_the_line_wrote_it(editor_api, line, shown):
    response = editor_api.post(f"{URL}?dry_run=true", line + b"\n", content_type=NDJSON)
    assert response.status_code == 200, response.content
    [error] = response.json()["errors"]
    assert error["message"] == shown


def test_a_bad_id_of_a_csv_row_is_shown_as_the_cell_holds_it(editor_api):
    body = b"id,note\n1.5,x\n"
    response = editor_api.post(f"{URL}?dry_run=true", body, content_type="text/csv; charset=utf-8")
    [error] = response.json()["errors"]
    assert (error["line"], error["column"], error["message"]) == (
        2,
        "id",
        "Not an id: “1.5” (a whole number).",
    )
