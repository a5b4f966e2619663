"""Request bodies and headers built to break the server: deep nesting, keys given twice,
foreign charsets and digits, huge headers and bodies. Each is a 4xx naming what is wrong,
never a 500, and writes nothing."""

import json

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from rest_framework import serializers

from events.models import Metric
from factbase.api.fields import BRIEF_SERIALIZERS, AsciiDigitsMixin
from factbase.api.parsers import MAX_DEPTH

from ..factories import CompanyFactory, MetricFactory, ProductFactory, SourceFactory
from .base import NEW_COMPANY, error_paths, row_counts

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """A snapshot taken by mistake lands in a temporary directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


def new_metric(**change) -> dict:
    return {
        "company": CompanyFactory().slug,
        "metric_type": "downloads",
        "qualifier": "exact",
        "value": "1000",
        **change,
    }


def money_metric(**change) -> dict:
    """A revenue metric converted to US dollars."""
    money = {
        "metric_type": "revenue",
        "currency": "EUR",
        "value_usd": "1100",
        "usd_rate": "1.1",
        "usd_rate_on": "2025-02-01",
        "usd_rate_source": "ECB reference rate",
    }
    return new_metric(**{**money, **change})


def arabic_indic(number: int) -> str:
    """`number` in Arabic-Indic digits, which int() reads as the number."""
    return "".join(chr(0x0660 + int(digit)) for digit in str(number))


def windowed_metric(**change) -> dict:
    """A metric within some days of its product's launch."""
    return new_metric(company=None, product=ProductFactory().slug, window_anchor="launch", **change)


def nested_lists(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_objects(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


def post_raw(client, url, body, content_type=JSON, **extra):
    return client.post(url, body, content_type=content_type, **extra)


# --- 1. nesting -------------------------------------------------------------------------


def write_urls():
    company = CompanyFactory()
    return [
        "/api/v1/metrics/",
        "/api/v1/conflicts/resolve/",
        f"/api/v1/companies/{company.pk}/restore/",
        "/api/v1/snapshots/",
        "/api/v1/companies/",
    ]


@pytest.mark.parametrize("depth", [100_000, 5_000, MAX_DEPTH + 1])
@pytest.mark.parametrize("shape", [nested_lists, nested_objects], ids=["lists", "objects"])
def test_deep_nesting_is_400_saying_the_limit(editor_api, shape, depth):
    body = shape(depth)
    for url in write_urls():
        before = row_counts()
        response = post_raw(editor_api, url, body)
        assert response.status_code == 400, (url, response.content[:300])
        detail = response.json()["detail"]
        assert detail.startswith("JSON parse error"), detail
        assert f"{MAX_DEPTH} levels" in detail, detail
        assert row_counts() == before


@pytest.mark.parametrize("method", ["put", "patch"])
def test_deep_nesting_in_an_update_is_400(editor_api, method):
    company = CompanyFactory()
    before = row_counts()
    response = getattr(editor_api, method)(
        f"/api/v1/companies/{company.pk}/", nested_objects(100_000), content_type=JSON
    )
    assert response.status_code == 400, response.content[:300]
    assert f"{MAX_DEPTH} levels" in response.json()["detail"]
    assert row_counts() == before


def test_nesting_up_to_the_limit_reaches_the_fields(editor_api):
    """A body nested exactly MAX_DEPTH deep is parsed: the field is what is wrong."""
    body = json.dumps(NEW_COMPANY)[:-1] + ', "note": ' + nested_lists(MAX_DEPTH - 1) + "}"
    before = row_counts()
    response = post_raw(editor_api, "/api/v1/companies/", body)
    assert response.status_code == 400, response.content[:300]
    assert error_paths(response.json()) == {"note"}
    assert row_counts() == before


def test_a_fact_with_citations_and_children_is_far_below_the_limit(editor_api):
    source = SourceFactory()
    investor = CompanyFactory(kind="investor")
    data = {
        "company": CompanyFactory().slug,
        "round_type": "seed",
        "qualifier": "exact",
        "value": "1000000",
        "currency": "EUR",
        "investments": [{"investor": {"slug": investor.slug}, "is_lead": True}],
        "citations": [{"source": {"id": source.pk}, "quote": "reached two million users"}],
    }
    response = editor_api.post("/api/v1/funding-rounds/", data, format="json")
    assert response.status_code == 201, response.content[:800]


# --- 2. If-Match ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "1" * 4301,
        '"' + "7" * 5000 + '"',
        'W/"' + "9" * 4400 + '"',
        '"' + "1" * 11 + '"',
        '"1',
        '"1"2',
        "a b",
        '"a b"',
        "",
        'W/W/"1"',
        '"1",',
        "\u0661",
        '"1"\x00',
    ],
    ids=lambda header: repr(header[:12]),
)
def test_a_malformed_if_match_is_400_naming_it(editor_api, anon_api, header):
    company = CompanyFactory()
    url = f"/api/v1/companies/{company.pk}/"
    current = anon_api.get(url).json()
    before = row_counts()
    for method in ("patch", "put", "delete"):
        if method == "delete":
            response = editor_api.delete(url, HTTP_IF_MATCH=header)
        else:
            body = {"note": "x"} if method == "patch" else {**NEW_COMPANY, "slug": company.slug}
            response = getattr(editor_api, method)(url, body, format="json", HTTP_IF_MATCH=header)
        assert response.status_code == 400, (method, response.content[:300])
        assert set(response.json()) == {"If-Match"}
    assert row_counts() == before
    assert anon_api.get(url).json() == current


def test_leading_zeros_in_if_match_are_the_version(editor_api):
    company = CompanyFactory()
    header = '"' + "0" * 5000 + '1"'
    response = editor_api.patch(
        f"/api/v1/companies/{company.pk}/", {"note": "x"}, format="json", HTTP_IF_MATCH=header
    )
    assert response.status_code == 200, response.content[:300]


# --- 3. duplicate keys --------------------------------------------------------------------


def test_a_key_given_twice_is_400_naming_it(editor_api):
    body = '{"name": "Mistral AI", "slug": "mistral-ai", "kind": "ai_lab", "name": "Other"}'
    before = row_counts()
    response = post_raw(editor_api, "/api/v1/companies/", body)
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {"name"}
    assert row_counts() == before


def test_a_key_given_twice_in_a_nested_object_is_named_with_its_path(editor_api):
    source = SourceFactory()
    data = json.dumps(new_metric(citations=[{"source": source.pk, "quote": "x"}] * 2))
    # The second citation gives its quote twice; its source object gives its id twice.
    body = data.replace(
        f'{{"source": {source.pk}, "quote": "x"}}]',
        f'{{"source": {{"id": {source.pk}, "id": 1}}, "quote": "x", "quote": "y"}}]',
    )
    assert body != data
    before = row_counts()
    response = post_raw(editor_api, "/api/v1/metrics/", body)
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {"citations.1.quote", "citations.1.source.id"}
    assert row_counts() == before


def test_a_key_given_twice_in_a_restore_body_is_400(editor_api):
    company = CompanyFactory()
    response = post_raw(
        editor_api,
        f"/api/v1/companies/{company.pk}/restore/",
        '{"reason": "a", "reason": "b"}',
    )
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {"reason"}


# --- 4. charset ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "charset", ["bogus-9", "latin-1", "iso-8859-1", "utf-16", "UTF-32", "bz2_codec", "utf-8-sig"]
)
def test_a_charset_other_than_utf8_is_415_naming_it(editor_api, charset):
    body = json.dumps(NEW_COMPANY).encode("utf-8")
    before = row_counts()
    response = post_raw(
        editor_api, "/api/v1/companies/", body, content_type=f"{JSON}; charset={charset}"
    )
    assert response.status_code == 415, response.content
    assert charset in response.json()["detail"]
    assert row_counts() == before


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "utf8", "Utf8", '"utf-8"'])
def test_utf8_by_any_name_is_read(editor_api, charset):
    body = json.dumps({**NEW_COMPANY, "name": "Société Générale"}, ensure_ascii=False)
    response = post_raw(
        editor_api,
        "/api/v1/companies/",
        body.encode("utf-8"),
        content_type=f"{JSON}; charset={charset}",
    )
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Société Générale"


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "Soci\xe9t\xe9", "slug": "societe", "kind": "ai_lab"}',  # Latin-1
        b'{"name": "\xff\xfe", "slug": "x", "kind": "ai_lab"}',
        b'{"name": "\xed\xa0\x80", "slug": "x", "kind": "ai_lab"}',  # an encoded surrogate
        b'{"name": "x\xc3", "slug": "x", "kind": "ai_lab"}',  # cut in the middle of a char
    ],
)
def test_a_body_that_is_not_utf8_is_400(editor_api, body):
    before = row_counts()
    response = post_raw(editor_api, "/api/v1/companies/", body)
    assert response.status_code == 400, response.content
    assert "UTF-8" in response.json()["detail"]
    assert row_counts() == before


# --- 5. digits ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, data, field",
    [
        ("metrics", lambda: new_metric(value="\u0661\u0662"), "value"),  # Arabic-Indic
        ("metrics", lambda: new_metric(value="\uff11\uff12"), "value"),  # fullwidth
        ("metrics", lambda: new_metric(value="\u0967\u0968.5"), "value"),  # Devanagari
        ("metrics", lambda: new_metric(value="1_000"), "value"),
        (
            "metrics",
            lambda: new_metric(qualifier="range", value="1", value_high="\u0661\u0662"),
            "value_high",
        ),
        (
            "metrics",
            lambda: windowed_metric(window_days="\u0661\u0664"),
            "window_days",
        ),
        ("metrics", lambda: money_metric(usd_rate="\u0661.\u0661"), "usd_rate"),
        ("metrics", lambda: money_metric(value_usd="\uff11\uff11\uff10\uff10"), "value_usd"),
        (
            "funding-rounds",
            lambda: {
                "company": CompanyFactory().slug,
                "round_type": "seed",
                "valuation": "\u0665\u0660\u0660",
            },
            "valuation",
        ),
        (
            "citations",
            lambda: {
                "fact_type": "company",
                "fact_id": arabic_indic(CompanyFactory().pk),
                "source": SourceFactory().pk,
                "quote": "x",
            },
            "fact_id",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_digits_other_than_ascii_are_400_naming_the_field(editor_api, path, data, field):
    body = data()
    before = row_counts()
    response = editor_api.post(f"/api/v1/{path}/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in error_paths(response.json()), response.json()
    assert row_counts() == before


def test_digits_other_than_ascii_in_a_child_row_id_are_400(editor_api):
    company = CompanyFactory()
    alias = company.aliases.create(name="Mistral")
    before = row_counts()
    response = editor_api.patch(
        f"/api/v1/companies/{company.pk}/",
        {"aliases": [{"id": arabic_indic(alias.pk), "name": "M"}]},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {"aliases.0.id"}
    assert row_counts() == before


def number_fields(serializer, prefix=""):
    """Every number field of a serializer, nested serializers' included, by path."""
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.ListSerializer):
            field = field.child
        if isinstance(field, serializers.Serializer):
            yield from number_fields(field, f"{prefix}{name}.")
        elif isinstance(
            field, serializers.IntegerField | serializers.DecimalField | serializers.FloatField
        ):
            yield f"{prefix}{name}", field


def test_every_number_field_of_every_record_serializer_wants_ascii_digits():
    checked = []
    for serializer_class in BRIEF_SERIALIZERS.values():
        for path, field in number_fields(serializer_class()):
            if field.read_only:
                continue
            checked.append(f"{serializer_class.__name__}.{path}")
            assert isinstance(field, AsciiDigitsMixin), checked[-1]
    assert "MetricSerializer.value" in checked
    assert "MetricSerializer.window_days" in checked
    assert "CitationSerializer.fact_id" in checked


def test_spaces_around_a_choice_are_trimmed_as_around_text(editor_api):
    response = editor_api.post(
        "/api/v1/metrics/",
        money_metric(currency=" EUR ", qualifier="exact\t", region=" FR"),
        format="json",
    )
    assert response.status_code == 201, response.content
    made = response.json()
    assert (made["currency"], made["qualifier"], made["region"]) == ("EUR", "exact", "FR")
    # Trimmed, not guessed: a choice in another case is still refused, naming it.
    response = editor_api.post("/api/v1/metrics/", money_metric(currency="eur"), format="json")
    assert response.status_code == 400 and "currency" in response.json()


def test_ascii_numbers_as_strings_are_still_read(editor_api):
    response = editor_api.post(
        "/api/v1/metrics/", new_metric(value=" 1000.50 ", qualifier="exact"), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["value"] == "1000.5"


# --- 6. usd_rate --------------------------------------------------------------------------


@pytest.mark.parametrize("rate", ["-1.1", "0", "-0.00000001"])
def test_a_usd_rate_not_above_zero_is_400_naming_it(editor_api, rate):
    data = money_metric(usd_rate=rate)
    before = row_counts()
    response = editor_api.post("/api/v1/metrics/", data, format="json")
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {"usd_rate"}
    assert row_counts() == before


def test_a_negative_usd_rate_of_a_funding_round_is_400_naming_it(editor_api):
    data = {
        "company": CompanyFactory().slug,
        "round_type": "seed",
        "qualifier": "exact",
        "value": "1000000",
        "currency": "EUR",
        "value_usd": "1100000",
        "usd_rate": "-1.1",
        "usd_rate_on": "2025-02-01",
        "usd_rate_source": "ECB reference rate",
    }
    before = row_counts()
    response = editor_api.post("/api/v1/funding-rounds/", data, format="json")
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {"usd_rate"}
    assert row_counts() == before


# --- 7. window_days -----------------------------------------------------------------------


@pytest.mark.parametrize("days", [0, "0", -1, -14])
def test_a_window_of_no_days_is_400_naming_window_days(editor_api, days):
    data = windowed_metric(window_days=days)
    before = row_counts()
    response = editor_api.post("/api/v1/metrics/", data, format="json")
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {"window_days"}
    assert row_counts() == before


def test_a_window_of_no_days_is_refused_by_the_model_and_the_database():
    metric = MetricFactory()
    metric.window_days, metric.window_anchor = 0, "event"
    metric.anchor_event = None
    with pytest.raises(ValidationError) as error:
        metric.full_clean()
    assert "window_days" in error.value.message_dict
    product = ProductFactory()
    with pytest.raises(IntegrityError, match="metric_window_days_positive"), transaction.atomic():
        Metric.objects.filter(pk=metric.pk).update(
            company=None, product=product, window_days=0, window_anchor="launch"
        )


def test_a_window_of_one_day_is_a_window(editor_api):
    data = windowed_metric(window_days=1)
    response = editor_api.post("/api/v1/metrics/", data, format="json")
    assert response.status_code == 201, response.content


# --- 8. body size -------------------------------------------------------------------------


def body_of(size: int) -> bytes:
    head = b'{"name": "'
    tail = b'", "slug": "big", "kind": "ai_lab"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


@pytest.mark.parametrize("accept", [JSON, "text/html"])
def test_a_body_over_the_limit_is_a_json_413(editor_api, accept):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = body_of(limit + 1)
    assert len(body) == limit + 1
    company = CompanyFactory()
    metric = MetricFactory()
    calls = [
        ("post", "/api/v1/companies/"),
        ("put", f"/api/v1/companies/{company.pk}/"),
        ("patch", f"/api/v1/companies/{company.pk}/"),
        ("post", "/api/v1/metrics/"),
        ("patch", f"/api/v1/metrics/{metric.pk}/"),
        ("post", "/api/v1/conflicts/resolve/"),
        ("post", f"/api/v1/companies/{company.pk}/restore/"),
        ("post", "/api/v1/snapshots/"),
    ]
    before = row_counts()
    for method, url in calls:
        response = getattr(editor_api, method)(
            url, body, content_type=JSON, HTTP_ACCEPT=accept, format=None
        )
        assert response.status_code == 413, (method, url, response.content[:300])
        if accept == JSON:
            assert response["Content-Type"].startswith(JSON)
            assert f"{limit:,} bytes" in response.json()["detail"]
    assert row_counts() == before


def test_a_body_at_the_limit_is_read(editor_api):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = post_raw(editor_api, "/api/v1/companies/", body_of(limit))
    assert response.status_code == 400, response.content[:300]
    assert error_paths(response.json()) == {"name"}  # too long, but read


def test_the_limit_in_the_message_is_the_setting(editor_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    response = post_raw(editor_api, "/api/v1/companies/", body_of(2049))
    assert response.status_code == 413
    assert response.json()["detail"] == (
        "The request body is larger than 2 KB (2,048 bytes), the most the API reads."
    )


@pytest.mark.parametrize(
    "value, words",
    [("9" * 5000, "more than 4,300 digits"), ("NaN", "not JSON compliant"), ("-Infinity", "")],
)
def test_numbers_json_does_not_have_are_400(editor_api, value, words):
    body = json.dumps(new_metric()).replace('"1000"', value)
    before = row_counts()
    response = post_raw(editor_api, "/api/v1/metrics/", body)
    assert response.status_code == 400, response.content[:300]
    detail = response.json()["detail"]
    assert detail.startswith("JSON parse error") and words in detail
    assert "sys." not in detail
    assert row_counts() == before


def test_an_answer_names_at_most_a_hundred_keys_given_twice(editor_api):
    body = "{" + ", ".join(f'"k{i}": 1, "k{i}": 2' for i in range(5000)) + "}"
    response = post_raw(editor_api, "/api/v1/companies/", body)
    assert response.status_code == 400, response.content[:300]
    assert len(error_paths(response.json())) == 100


def test_digits_other_than_ascii_in_a_conflict_resolution_are_400(editor_api):
    keep, dispute = MetricFactory(), MetricFactory()
    response = editor_api.post(
        "/api/v1/conflicts/resolve/",
        {"keep": arabic_indic(keep.pk), "dispute": dispute.pk, "reason": "checked"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "keep" in response.json()
    keep.refresh_from_db()
    assert keep.version == 1


@pytest.mark.parametrize("digits", [21, 5_000])
def test_an_id_of_thousands_of_digits_names_no_record(editor_api, digits):
    # int() refuses over 4,300 digits: a reference that long is no record, not a 500.
    body = new_metric(company="9" * digits)
    before = row_counts()
    response = editor_api.post("/api/v1/metrics/", body, format="json")
    assert response.status_code == 400, response.content
    assert "No company with id" in response.json()["company"][0]
    assert row_counts() == before


LONG = "9" * 5_000  # past any id, and past the 4,300 digits int() reads


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/companies/{LONG}/",
        f"/api/v1/companies/{'9' * 25}/",
        f"/api/v1/companies/{LONG}/history/",
        f"/api/v1/merges/{LONG}/",
        f"/api/v1/changes/?after={LONG}",
        f"/api/v1/metrics/?after={LONG}",
        f"/api/v1/metrics/?company={LONG}",
        f"/api/v1/facts/?kind=metrics&id={LONG}",
    ],
)
def test_digits_past_any_id_are_a_4xx_not_a_500(anon_api, path):
    # Every place that reads an id from text reads it with factbase.core.ids.id_from.
    response = anon_api.get(path)
    assert response.status_code in (400, 404), response.content[:300]


# --- 8. numbers kept as given, on either database -----------------------------------------


def test_a_json_number_is_read_digit_for_digit(editor_api):
    """A JSON number with more digits than a float holds is stored as written (read as a
    float it came back as ...4568), or on SQLite, which keeps 15, refused naming it."""
    body = json.dumps(new_metric()).replace('"1000"', "1234567890123.4567")
    before = row_counts()
    response = post_raw(editor_api, "/api/v1/metrics/", body)
    if connection.vendor == "sqlite":
        assert response.status_code == 400, response.content
        assert error_paths(response.json()) == {"value"}
        assert "15 significant digits" in str(response.json())
        assert row_counts() == before
        return
    assert response.status_code == 201, response.content
    assert response.json()["value"] == "1234567890123.4567"
    stored = editor_api.get(f"/api/v1/metrics/{response.json()['id']}/").json()
    assert stored["value"] == "1234567890123.4567"


@pytest.mark.parametrize(
    "number, shown", [("0.1", "0.1"), ("123456789012.345", "123456789012.345"), ("2E+3", "2000")]
)
def test_json_numbers_any_database_keeps_are_stored_as_given(editor_api, number, shown):
    body = json.dumps(new_metric()).replace('"1000"', number)
    response = post_raw(editor_api, "/api/v1/metrics/", body)
    assert response.status_code == 201, response.content
    stored = editor_api.get(f"/api/v1/metrics/{response.json()['id']}/").json()
    assert stored["value"] == shown


def test_a_number_sqlite_would_round_past_its_column_is_refused_there(editor_api):
    """20 nines fit the column (24 digits, 4 after the point); SQLite would keep 1E+20,
    which does not, and every read of the row would fail."""
    data = new_metric(value="99999999999999999999")
    before = row_counts()
    response = editor_api.post("/api/v1/metrics/", data, format="json")
    if connection.vendor == "sqlite":
        assert response.status_code == 400, response.content
        assert error_paths(response.json()) == {"value"}
        assert row_counts() == before
    else:
        assert response.status_code == 201, response.content
        stored = editor_api.get(f"/api/v1/metrics/{response.json()['id']}/").json()
        assert stored["value"] == "99999999999999999999"


@pytest.mark.parametrize("days", [2**31, 2**40])
def test_a_number_past_postgresqls_column_is_refused_on_either_database(editor_api, days):
    """SQLite takes any 64-bit integer; a snapshot of it must load into PostgreSQL."""
    data = windowed_metric(window_days=days)
    before = row_counts()
    response = editor_api.post("/api/v1/metrics/", data, format="json")
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == {"window_days"}
    assert "2147483647" in str(response.json())
    assert row_counts() == before


def test_minus_zero_is_answered_as_the_zero_a_read_gives(editor_api):
    response = editor_api.post("/api/v1/metrics/", new_metric(value="-0.00"), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["value"] == "0"
    stored = editor_api.get(f"/api/v1/metrics/{response.json()['id']}/").json()
    assert stored["value"] == "0"


# --- 9. a child row given twice -------------------------------------------------------------


def test_a_child_row_given_twice_in_one_list_is_400_naming_it(editor_api):
    """The last would win and the other rows of the list be deleted, silently."""
    source = SourceFactory(text="Acme reached one million downloads.")
    created = editor_api.post(
        "/api/v1/metrics/",
        new_metric(
            citations=[
                {"source": source.pk, "quote": "one million downloads"},
                {"source": source.pk, "quote": "Acme reached"},
            ]
        ),
        format="json",
    ).json()
    first, second = (c["id"] for c in created["citations"])
    before = row_counts()
    response = editor_api.patch(
        f"/api/v1/metrics/{created['id']}/",
        {
            "citations": [
                {"id": first, "source": source.pk, "quote": "one million downloads"},
                {"id": first, "source": source.pk, "quote": "Acme reached one million"},
            ]
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert response.json() == {
        "citations": {"1": {"id": [f"The citation {first} is given twice: rows 0 and 1."]}}
    }
    assert row_counts() == before
    kept = editor_api.get(f"/api/v1/metrics/{created['id']}/").json()["citations"]
    assert [c["id"] for c in kept] == [first, second]


def test_a_row_that_is_not_the_records_is_named_by_its_index(editor_api):
    metric = editor_api.post("/api/v1/metrics/", new_metric(), format="json").json()
    response = editor_api.patch(
        f"/api/v1/metrics/{metric['id']}/",
        {"citations": [{"id": 999999, "source": SourceFactory().pk, "quote": "x"}]},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert response.json() == {"citations": {"0": {"id": ["No citation 999999 here."]}}}
