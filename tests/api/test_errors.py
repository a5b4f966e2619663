"""Whatever a client sends, the answer is a 4xx it can act on, never a 500, and a refused
request writes nothing."""

import csv
import io
import json

import pytest
from drf_spectacular.generators import SchemaGenerator

from companies.models import Company
from events.models import Metric

from ..factories import CompanyFactory, EventFactory, MetricFactory, SourceFactory
from .base import NEW_COMPANY, REASON, assert_history, error_paths, row_counts
from .test_events import TestPartnerships

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["post", "put", "patch"])
@pytest.mark.parametrize("body", ['{"name": "x",', "{'name': 'x'}", "nul", "[1, 2", "\ufeff{}"])
def test_malformed_json_is_400(editor_api, method, body):
    company = CompanyFactory()
    url = "/api/v1/companies/" if method == "post" else f"/api/v1/companies/{company.pk}/"
    before = row_counts()
    response = getattr(editor_api, method)(url, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith("JSON parse error")
    assert row_counts() == before


@pytest.mark.parametrize("body", ["[]", "null", "1", '"text"', '[{"name": "x"}]'])
def test_a_body_that_is_not_an_object_is_400(editor_api, body):
    before = row_counts()
    response = editor_api.post("/api/v1/companies/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert row_counts() == before


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/x-www-form-urlencoded", "name=Mistral&slug=mistral&kind=ai_lab"),
        ("multipart/form-data; boundary=xyz", "--xyz--"),
        ("text/plain", json.dumps(NEW_COMPANY)),
        ("application/xml", "<company/>"),
    ],
)
def test_a_body_that_is_not_json_is_415(editor_api, content_type, body):
    company = CompanyFactory()
    before = row_counts()
    for method, url in (
        ("post", "/api/v1/companies/"),
        ("put", f"/api/v1/companies/{company.pk}/"),
        ("patch", f"/api/v1/companies/{company.pk}/"),
    ):
        response = getattr(editor_api, method)(url, body, content_type=content_type)
        assert response.status_code == 415, (method, response.content)
    assert row_counts() == before


@pytest.mark.parametrize(
    "change",
    [
        {"citations": "not a list"},
        {"citations": [1, "two"]},
        {"citations": [{"source": {"nothing": 1}, "quote": "x"}]},
        {"aliases": {"name": "x"}},
        {"aliases": [None]},
        {"identifiers": [{"scheme": "wikidata", "value": ["Q1"]}]},
        {"name": None},
        {"name": {"nested": "object"}},
        {"founded_on": "yesterday"},
        {"founded_on": 20250101},
        {"country": "France"},
        {"status": ["verified"]},
        {"website": "javascript:alert(1)"},
        {"slug": "not a slug!"},
        {"name": "x" * 201},
    ],
    ids=lambda change: json.dumps(change)[:40],
)
def test_wrong_shapes_are_400_naming_the_field(editor_api, change):
    before = row_counts()
    response = editor_api.post("/api/v1/companies/", {**NEW_COMPANY, **change}, format="json")
    assert response.status_code == 400, response.content
    assert {path.split(".")[0] for path in error_paths(response.json())} == set(change)
    assert row_counts() == before


@pytest.mark.parametrize(
    "change",
    [
        {"name": 123},
        {"name": 12.5},
        {"name": True},
        {"headquarters": 0},
        {"note": False},
        {"slug": 42},
        {"website": 1},
        {"kind": 1},
        {"status": True},
    ],
    ids=lambda change: json.dumps(change),
)
def test_a_value_of_another_json_type_is_400_not_converted(editor_api, change):
    """DRF would store 123 as "123" and 1 as a choice "1": in a JSON body a text field
    takes a string, and the client hears of its mistake."""
    before = row_counts()
    response = editor_api.post("/api/v1/companies/", {**NEW_COMPANY, **change}, format="json")
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == set(change)
    assert row_counts() == before


@pytest.mark.parametrize("value", ["yes", "true", "on", "1", 1, 0, "false", "no", "", []])
def test_a_yes_or_no_in_a_json_body_is_true_or_false(editor_api, value):
    data = {**TestPartnerships().create_data(), "ends_expected": value}
    before = row_counts()
    response = editor_api.post("/api/v1/partnerships/", data, format="json")
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {"ends_expected"}
    assert row_counts() == before
    data["ends_expected"] = True
    response = editor_api.post("/api/v1/partnerships/", data, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["ends_expected"] is True


@pytest.mark.parametrize(
    "shape",
    [
        {"id": "A", "slug": "b"},  # two keys that could disagree
        {"id": "A", "bogus": 1},
        {"bogus": 1},
        {},
        {"slug": "A"},  # an id where a slug goes
        {"id": "b"},  # a slug where an id goes
        {"id": True},
        {"slug": None},
    ],
    ids=lambda shape: json.dumps(shape),
)
def test_a_record_named_by_an_object_takes_one_key_of_its_type(editor_api, shape):
    a, b = CompanyFactory(slug="aaa"), CompanyFactory(slug="bbb")
    values = {"A": a.pk, "b": b.slug}
    company = {key: values.get(value, value) for key, value in shape.items()}
    before = row_counts()
    response = editor_api.post(
        "/api/v1/products/",
        {"name": "P", "slug": "p", "kind": "model", "company": company},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {"company"}
    assert row_counts() == before


@pytest.mark.parametrize("shape", [{"id": "A"}, {"id": "digits"}, {"slug": "b"}])
def test_a_record_named_by_an_object_is_looked_up_by_its_key(editor_api, shape):
    a, b = CompanyFactory(slug="aaa"), CompanyFactory(slug="bbb")
    values = {"A": a.pk, "digits": str(a.pk), "b": b.slug}
    ((key, value),) = shape.items()
    response = editor_api.post(
        "/api/v1/products/",
        {"name": "P", "slug": "p", "kind": "model", "company": {key: values[value]}},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["company"]["id"] == (b.pk if key == "slug" else a.pk)


def test_a_slug_of_digits_given_as_a_slug_is_a_slug(editor_api):
    CompanyFactory()  # an id 1 or more, which the slug would name as an id
    named = CompanyFactory(slug="1")
    response = editor_api.post(
        "/api/v1/products/",
        {"name": "P", "slug": "p", "kind": "model", "company": {"slug": "1"}},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["company"]["id"] == named.pk


@pytest.mark.parametrize("value", [{"acme": "x"}, {"id": 1}, "acme", 7])
def test_a_list_of_records_is_a_list(editor_api, value):
    CompanyFactory(slug="acme")
    event = EventFactory()
    before = row_counts()
    response = editor_api.patch(f"/api/v1/events/{event.pk}/", {"companies": value}, format="json")
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {"companies"}
    assert row_counts() == before


@pytest.fixture
def deleted_company(editor_api):
    """A company deleted through the API: one to restore."""
    company = CompanyFactory()
    assert editor_api.delete(f"/api/v1/companies/{company.pk}/").status_code == 204
    return company


def test_a_restore_reason_is_text(editor_api, deleted_company):
    company = deleted_company
    before = row_counts()
    response = editor_api.post(
        f"/api/v1/companies/{company.pk}/restore/", {"reason": 123}, format="json"
    )
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {"reason"}
    assert row_counts() == before


@pytest.mark.parametrize("body", ["0", "false", '""', "[]", "null", "5"])
def test_a_restore_body_that_is_not_an_object_is_400(editor_api, deleted_company, body):
    """`0`, `[]` or `null` is not "no body": it was restored, with the default reason."""
    company = deleted_company
    before = row_counts()
    response = editor_api.post(
        f"/api/v1/companies/{company.pk}/restore/", body, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert row_counts() == before


def test_a_restore_reason_given_in_the_body_and_the_header_is_400(editor_api, deleted_company):
    company = deleted_company
    before = row_counts()
    response = editor_api.post(
        f"/api/v1/companies/{company.pk}/restore/",
        {"reason": "Deleted by mistake"},
        format="json",
        HTTP_X_CHANGE_REASON="x" * 500,
    )
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {"reason"}
    assert "Given twice" in str(response.json())
    assert row_counts() == before
    # Either alone restores.
    response = editor_api.post(
        f"/api/v1/companies/{company.pk}/restore/", {"reason": "Deleted by mistake"}, format="json"
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "body", [{"dry_run": "no"}, {"dry_run": 0}, {"dry_run": "yes"}, {"reason": 5}]
)
def test_a_merge_body_has_its_fields_types(editor_api, body):
    CompanyFactory(slug="aaa"), CompanyFactory(slug="bbb")
    before = row_counts()
    response = editor_api.post(
        "/api/v1/companies/aaa/merge/", {"into": "bbb", "reason": "dup", **body}, format="json"
    )
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == set(body)
    assert row_counts() == before


@pytest.mark.parametrize(
    "ref", [2**63, 2**64, -1, 0, "00000000000000000000000000001", "١٢", "a\x00b", "", " "]
)
def test_out_of_range_references_are_400(editor_api, ref):
    data = {"name": "Le Chat", "slug": "le-chat", "kind": "model", "company": ref}
    before = row_counts()
    response = editor_api.post("/api/v1/products/", data, format="json")
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {"company"}
    assert row_counts() == before


@pytest.mark.parametrize("fact_id", [2**63, 2**31, 987654])
def test_a_citation_of_a_missing_fact_is_400(editor_api, fact_id):
    data = {"fact_type": "company", "fact_id": fact_id, "source": SourceFactory().pk, "quote": "x"}
    response = editor_api.post("/api/v1/citations/", data, format="json")
    assert response.status_code == 400, response.content
    assert "fact_id" in error_paths(response.json())


@pytest.mark.parametrize("key", ["2147483648", "9223372036854775808", "99999999999999999999999"])
def test_huge_ids_in_urls_are_404(anon_api, editor_api, key):
    assert anon_api.get(f"/api/v1/companies/{key}/").status_code == 404
    assert anon_api.get(f"/api/v1/metrics/{key}/").status_code == 404
    assert editor_api.patch(f"/api/v1/companies/{key}/", {}, format="json").status_code == 404
    assert editor_api.delete(f"/api/v1/metrics/{key}/").status_code == 404


@pytest.mark.parametrize(
    ("query", "refused"),
    [
        ("id=9223372036854775808", "id"),
        ("company_id=99999999999999999999", "company_id"),
        ("company=99999999999999999999", "company"),
        ("id=1.5", "id"),
        ("value_min=1e400", "value_min"),
        ("value_min=NaN", "value_min"),
        ("value_max=-Infinity", "value_max"),
        ("source=2147483648", None),  # a valid id that names no source: no rows
        ("value_max=99999999999999999999999999999", None),  # a large bound: every row
    ],
)
def test_huge_numbers_in_filters_are_a_400_naming_them_or_an_answer(anon_api, query, refused):
    MetricFactory()
    for suffix in ("", "&format=csv"):
        response = anon_api.get(f"/api/v1/metrics/?{query}{suffix}")
        if refused:
            assert response.status_code == 400, response.content
            if suffix:  # the error as field,value lines
                lines = list(csv.reader(io.StringIO(response.content.decode())))
                assert [line[0] for line in lines[1:]] == [refused]
            else:
                assert set(response.json()) == {refused}
        else:
            assert response.status_code == 200, response.content
    if not refused:
        rows = anon_api.get(f"/api/v1/metrics/?{query}").json()["results"]
        assert len(rows) == (0 if query.startswith("source") else 1)


def test_methods_a_list_does_not_have_are_405(editor_api):
    for method in ("put", "patch", "delete"):
        assert getattr(editor_api, method)("/api/v1/companies/").status_code == 405


def test_a_post_to_a_record_is_405(editor_api):
    company = CompanyFactory()
    response = editor_api.post(f"/api/v1/companies/{company.pk}/", NEW_COMPANY, format="json")
    assert response.status_code == 405


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("limit=abc", "limit"),
        ("limit=-1", "limit"),
        ("limit=0", "limit"),
        ("offset=-5", "offset"),
        ("offset=x", "offset"),
        ("limit=1.5", "limit"),
    ],
)
def test_bad_paging_parameters_are_refused(anon_api, query, param):
    """DRF's limit/offset paging reads a value it cannot use as its default: a page the
    client did not ask for. Here it is a 400 naming the parameter."""
    CompanyFactory()
    response = anon_api.get(f"/api/v1/companies/?{query}")
    assert response.status_code == 400
    assert response.json() == {param: [f"Give a whole number, {int(param == 'limit')} or more."]}


def test_a_limit_above_the_maximum_is_the_maximum(anon_api):
    CompanyFactory()
    response = anon_api.get("/api/v1/companies/?limit=5000")
    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize("query", ["ordering=nonsense", "ordering=created_by__password"])
def test_undocumented_orderings_are_refused(anon_api, query):
    CompanyFactory()
    response = anon_api.get(f"/api/v1/companies/?{query}")
    assert response.status_code == 400
    assert response.json()["ordering"][0].startswith("Cannot order by ")


def test_an_empty_ordering_is_a_400_and_none_is_the_default_order(anon_api):
    a, b = CompanyFactory(name="B"), CompanyFactory(name="A")
    response = anon_api.get("/api/v1/companies/?ordering=")
    assert response.status_code == 400
    assert response.json() == {"ordering": ["Empty: give a value, or leave the parameter out."]}
    response = anon_api.get("/api/v1/companies/")
    assert [row["id"] for row in response.json()["results"]] == [a.pk, b.pk]


# --- change reasons ---------------------------------------------------------------------------


def test_a_change_reason_of_100_characters_is_kept_whole(editor_api, editor):
    reason = ("Why " * 2000)[:100]
    response = editor_api.post(
        "/api/v1/companies/", NEW_COMPANY, format="json", HTTP_X_CHANGE_REASON=reason
    )
    assert response.status_code == 201, response.content
    record = Company.objects.get(slug="mistral-ai").history.first()
    assert record.history_user == editor
    assert record.history_change_reason == reason


@pytest.mark.parametrize("length", [101, 150, 5000])
def test_a_change_reason_that_does_not_fit_is_refused_not_cut(editor_api, length):
    before = row_counts()
    response = editor_api.post(
        "/api/v1/companies/", NEW_COMPANY, format="json", HTTP_X_CHANGE_REASON="x" * length
    )
    assert response.status_code == 400
    assert response.json() == {
        "X-Change-Reason": [f"A reason has at most 100 characters here; this one has {length}."]
    }
    assert row_counts() == before


def test_a_change_reason_that_does_not_fit_on_delete_deletes_nothing(editor_api):
    metric = MetricFactory()
    response = editor_api.delete(f"/api/v1/metrics/{metric.pk}/", HTTP_X_CHANGE_REASON="x" * 300)
    assert response.status_code == 400
    assert "X-Change-Reason" in response.json()
    assert Metric.objects.filter(pk=metric.pk).exists()


# --- ETag and If-Match ---------------------------------------------------------------------------


@pytest.mark.parametrize("header", ['"1"', 'W/"1"', "1", "*", ' "1" '])
def test_if_match_forms_that_match(editor_api, header):
    company = CompanyFactory()
    response = editor_api.patch(
        f"/api/v1/companies/{company.pk}/", {"note": "x"}, format="json", HTTP_IF_MATCH=header
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'


@pytest.mark.parametrize("header", ['"2"', '"0"', '"abc"', "garbage", '"1", "2"', '"²"', '""'])
def test_if_match_that_does_not_match_is_412(editor_api, header):
    company = CompanyFactory()
    before = row_counts()
    for method in ("patch", "put", "delete"):
        body = {"note": "x"} if method == "patch" else {**NEW_COMPANY, "slug": company.slug}
        call = getattr(editor_api, method)
        kwargs = {"format": "json"} if method != "delete" else {}
        url = f"/api/v1/companies/{company.pk}/"
        response = (
            call(url, body, HTTP_IF_MATCH=header, **kwargs)
            if method != "delete"
            else call(url, HTTP_IF_MATCH=header)
        )
        assert response.status_code == 412, (method, response.content)
        assert "detail" in response.json()
    assert row_counts() == before


def test_each_write_moves_the_etag_on(editor_api, anon_api):
    company = CompanyFactory()
    url = f"/api/v1/companies/{company.pk}/"
    for version in range(1, 5):
        etag = anon_api.get(url)["ETag"]
        assert etag == f'"{version}"'
        response = editor_api.patch(url, {"note": str(version)}, format="json", HTTP_IF_MATCH=etag)
        assert response.status_code == 200
        assert response["ETag"] == f'"{version + 1}"'
    # The old ETag no longer matches.
    assert (
        editor_api.patch(url, {"note": "late"}, format="json", HTTP_IF_MATCH='"4"').status_code
        == 412
    )


def test_a_refused_update_does_not_move_the_version(editor_api, anon_api, editor):
    company = CompanyFactory()
    url = f"/api/v1/companies/{company.pk}/"
    assert editor_api.patch(url, {"country": "XX"}, format="json").status_code == 400
    assert anon_api.get(url)["ETag"] == '"1"'
    response = editor_api.patch(
        url, {"country": "IT"}, format="json", HTTP_IF_MATCH='"1"', HTTP_X_CHANGE_REASON=REASON
    )
    assert response.status_code == 200
    company.refresh_from_db()
    assert (company.country, company.version) == ("IT", 2)
    assert_history(company.history.first(), kind="~", user=editor, reason=REASON)


# --- health ------------------------------------------------------------------------------------


def test_healthz(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_says_the_database_is_unreachable_without_naming_it(client, monkeypatch):
    from django.db import OperationalError
    from django.db.backends.base.base import BaseDatabaseWrapper

    def refuse(self):
        raise OperationalError('connection to server at "10.0.0.7", port 5432 failed')

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


def test_the_api_root_lists_every_endpoint(anon_api):
    response = anon_api.get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    top = {path.split("/")[3] for path in schema["paths"] if path.count("/") == 4}
    assert top - set(body) == set(), "endpoints the root does not list"
    for path in (
        "companies",
        "products",
        "people",
        "platforms",
        "partnerships",
        "funding-rounds",
        "investments",
        "metrics",
        "metric-types",
        "events",
        "sources",
        "citations",
    ):
        assert body[path] == f"http://testserver/api/v1/{path}/"


def test_a_company_listed_by_an_event_is_not_deleted(editor_api):
    company = CompanyFactory()
    event = EventFactory()
    event.companies.add(company)
    response = editor_api.delete(f"/api/v1/companies/{company.pk}/")
    assert response.status_code == 409
    assert f"event {event.pk}" in response.json()["detail"]
    assert type(company).objects.filter(pk=company.pk).exists()
    assert list(event.companies.all()) == [company]


def test_multi_value_filters_take_repeated_parameters(anon_api):
    a, b, c = CompanyFactory(kind="ai_lab"), CompanyFactory(kind="investor"), CompanyFactory()
    response = anon_api.get("/api/v1/companies/?kind=ai_lab&kind=investor")
    ids = {r["id"] for r in response.json()["results"]}
    assert ids == {a.pk, b.pk}
    both = anon_api.get(f"/api/v1/companies/?id={a.pk}&id={c.pk}").json()["results"]
    assert {r["id"] for r in both} == {a.pk, c.pk}


@pytest.mark.parametrize(
    ("path", "field"),
    [("companies", "founded_on"), ("metrics", "period_start"), ("metrics", "period_end")],
)
@pytest.mark.parametrize("value", ["2025-02-30", "2025-13-01", "2023-02-29"])
def test_a_date_no_calendar_has_is_told_so(editor_api, path, field, value):
    """The form is right, the day is not: said as the admin says it, not as a wrong format."""
    record = CompanyFactory() if path == "companies" else MetricFactory()
    before = row_counts()
    response = editor_api.patch(
        f"/api/v1/{path}/{record.pk}/", {field: value}, format="json", HTTP_X_CHANGE_REASON=REASON
    )
    assert response.status_code == 400, response.content
    assert response.json() == {
        field: [f"“{value}” is not in the calendar: no such day, month or year."]
    }
    assert row_counts() == before
    # A date of another form is still told the form.
    url = f"/api/v1/{path}/{record.pk}/"
    response = editor_api.patch(url, {field: "30/02/2025"}, format="json")
    assert "wrong format" in response.json()[field][0]


@pytest.mark.parametrize("value", ["20250201", "2025-2-1", "2025-W05", "2025-W05-1", "2025-032"])
def test_a_date_in_another_iso_form_is_refused_not_read_as_a_day(editor_api, value):
    """Python reads these as days (a week as its Monday); the API writes dates one way and
    reads them that way, so a day the client may not have meant is never stored."""
    metric = MetricFactory()
    before = row_counts()
    response = editor_api.patch(
        f"/api/v1/metrics/{metric.pk}/", {"period_start": value}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json() == {
        "period_start": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]
    }
    assert row_counts() == before


def test_spaces_around_a_date_are_trimmed_as_around_text(editor_api):
    company = CompanyFactory()
    response = editor_api.patch(
        f"/api/v1/companies/{company.pk}/",
        {"founded_on": " 2023-04-01 ", "founded_precision": "day"},
        format="json",
        HTTP_X_CHANGE_REASON=REASON,
    )
    assert response.status_code == 200, response.content
    assert response.json()["founded_on"] == "2023-04-01"
