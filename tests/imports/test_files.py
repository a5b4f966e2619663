"""Files an import refuses, and says why: the wrong encoding, columns it does not know or
lacks, formulas, broken CSV, cells out of line; and the forms it reads: a byte order mark,
XLSX with numbers and dates, JSON lines."""

import datetime

import pytest
from openpyxl import Workbook

from events.models import Metric, MetricType
from tests.factories import CompanyFactory, MetricFactory
from tests.imports.helpers import history_count, run_command

pytestmark = pytest.mark.django_db

HEADER = "company_slug,metric_type_slug,qualifier,value,note\n"


@pytest.fixture
def acme(db):
    return CompanyFactory(slug="acme", name="Acme")


@pytest.fixture
def downloads(db):
    return MetricType.objects.get(slug="downloads")


def write(tmp_path, name: str, content: bytes | str):
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_a_utf8_file_with_a_byte_order_mark_imports(tmp_path, acme, downloads):
    path = write(tmp_path, "bom.csv", "\ufeff" + HEADER + "acme,downloads,exact,12,Café\n")
    status, out, err = run_command(path, "--kind", "metrics")
    assert status == 0, err
    assert Metric.objects.get().note == "Café"


def test_latin1_is_refused_naming_the_line(tmp_path, acme, downloads):
    content = (HEADER + "acme,downloads,exact,12,fine\nacme,downloads,exact,13,Café\n").encode(
        "latin-1"
    )
    status, _, err = run_command(write(tmp_path, "latin.csv", content), "--kind", "metrics")
    assert status == 1
    assert "line 3: Not UTF-8: byte 28 of the line is 0xe9. Save the file as UTF-8" in err
    assert Metric.objects.count() == 0


def test_utf16_is_refused_saying_so(tmp_path):
    path = write(tmp_path, "wide.csv", HEADER.encode("utf-16"))
    status, _, err = run_command(path, "--kind", "metrics")
    assert status == 1
    assert "line 1: The file is UTF-16: save it as UTF-8" in err


def test_unknown_columns_are_named_and_nothing_is_read(tmp_path, acme, downloads):
    path = write(
        tmp_path, "extra.csv", "company_slug,metric_type_slug,qualifier,value,colour,size\n"
    )
    status, _, err = run_command(path, "--kind", "metrics")
    assert status == 1
    assert "line 1: Unknown columns: colour, size. This kind's columns are those of" in err


def test_missing_columns_are_named(tmp_path):
    path = write(tmp_path, "few.csv", "company_slug,value\nacme,12\n")
    status, _, err = run_command(path, "--kind", "metrics")
    assert status == 1
    assert (
        "line 1: Missing columns: metric_type (or metric_type_id, metric_type_slug), "
        "qualifier. A new metric needs them."
    ) in err


def test_with_an_id_column_only_new_rows_need_the_missing_columns(tmp_path, acme, downloads):
    metric = MetricFactory(company=acme)
    path = write(tmp_path, "notes.csv", f"id,note\n{metric.pk},Checked.\n,A new one\n")
    status, _, err = run_command(path, "--kind", "metrics")
    assert status == 1
    assert (
        "line 3: A new metric needs metric_type (or metric_type_id, metric_type_slug), "
        "qualifier, value: this file has no such columns."
    ) in err
    assert "line 2" not in err


def test_a_header_separated_by_semicolons_is_explained(tmp_path):
    path = write(tmp_path, "semi.csv", "company_slug;metric_type_slug;qualifier;value\n")
    status, _, err = run_command(path, "--kind", "metrics")
    assert status == 1
    assert "The header is separated by semicolons" in err


def test_a_csv_formula_is_refused_naming_line_and_column(tmp_path, acme, downloads):
    content = HEADER + "acme,downloads,exact,12,ok\nacme,downloads,exact,=1+2,\n"
    status, _, err = run_command(write(tmp_path, "f.csv", content), "--kind", "metrics")
    assert status == 1
    assert "line 3, column value: A formula (=1+2): formulas are not imported." in err
    assert Metric.objects.count() == 0


def test_text_the_export_neutralised_reads_back_as_stored(tmp_path, acme, downloads):
    content = HEADER + "acme,downloads,exact,12,'=not a formula\n"
    status, _, err = run_command(write(tmp_path, "n.csv", content), "--kind", "metrics")
    assert status == 0, err
    assert Metric.objects.get().note == "=not a formula"


def test_a_row_with_more_cells_than_the_header_is_named(tmp_path, acme, downloads):
    content = HEADER + "acme,downloads,exact,12,a note,extra\n"
    status, _, err = run_command(write(tmp_path, "cells.csv", content), "--kind", "metrics")
    assert status == 1
    assert "line 2: This row has 6 cells; the header has 5." in err


def test_an_unclosed_quote_is_named_with_the_line_it_starts_on(tmp_path, acme, downloads):
    content = HEADER + 'acme,downloads,exact,12,ok\nacme,downloads,exact,13,"never closed\n'
    status, _, err = run_command(write(tmp_path, "q.csv", content), "--kind", "metrics")
    assert status == 1
    assert "line 3: Not a CSV file as RFC 4180 reads" in err


def test_lines_ending_in_a_carriage_return_alone_are_named_as_such(tmp_path, acme, downloads):
    content = (HEADER + "acme,downloads,exact,12,ok\n").replace("\n", "\r")
    status, _, err = run_command(write(tmp_path, "mac.csv", content), "--kind", "metrics")
    assert status == 1
    assert "line 1: Not a CSV file as RFC 4180 reads: a line ends in a carriage return" in err
    assert "Save it with LF or CRLF line endings." in err


def test_a_cell_over_several_lines_counts_its_lines(tmp_path, acme, downloads):
    content = HEADER + 'acme,downloads,exact,12,"two\nlines"\nacme,downloads,exact,x,\n'
    status, _, err = run_command(write(tmp_path, "multi.csv", content), "--kind", "metrics")
    assert status == 1
    assert "line 4, column value: A valid number is required." in err


def test_an_empty_file_and_an_unknown_extension_are_explained(tmp_path):
    status, _, err = run_command(write(tmp_path, "empty.csv", ""), "--kind", "metrics")
    assert (status, "The file is empty" in err) == (1, True)
    status, _, err = run_command(write(tmp_path, "data.txt", HEADER), "--kind", "metrics")
    assert status == 1
    assert "Cannot tell the format of 'data.txt'" in err
    status, _, err = run_command(write(tmp_path, "old.xls", b"\xd0\xcf"), "--kind", "metrics")
    assert "save it as .xlsx" in err


def workbook(tmp_path, rows: list[list], name: str = "metrics.xlsx"):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def test_xlsx_reads_numbers_dates_and_text_as_the_csv_holds_them(tmp_path, acme, downloads):
    path = workbook(
        tmp_path,
        [
            [
                "company_slug",
                "metric_type_slug",
                "qualifier",
                "value",
                "period_start",
                "period_precision",
                "note",
            ],
            ["acme", "downloads", "exact", 1500000, datetime.datetime(2025, 2, 1), "month", "x"],
            ["acme", "downloads", "at_least", 2.5e6, datetime.date(2025, 3, 1), "month", None],
        ],
    )
    status, out, err = run_command(path, "--kind", "metrics")
    assert status == 0, err
    values = sorted(Metric.objects.values_list("value", "period_start"))
    assert [(str(v), d.isoformat()) for v, d in values] == [
        ("1500000.0000", "2025-02-01"),
        ("2500000.0000", "2025-03-01"),
    ]


def test_an_xlsx_formula_is_refused_naming_line_and_column(tmp_path, acme, downloads):
    path = workbook(
        tmp_path,
        [
            ["company_slug", "metric_type_slug", "qualifier", "value"],
            ["acme", "downloads", "exact", 12],
            ["acme", "downloads", "exact", "=D2*2"],
        ],
    )
    before = history_count()
    status, _, err = run_command(path, "--kind", "metrics")
    assert status == 1
    assert "line 3, column value: A formula (=D2*2): formulas are not imported." in err
    assert history_count() == before


def test_a_file_that_is_not_a_workbook_is_explained(tmp_path):
    status, _, err = run_command(write(tmp_path, "fake.xlsx", HEADER), "--kind", "metrics")
    assert status == 1
    assert "Not an XLSX workbook" in err


def test_json_lines_name_the_line_that_is_not_json(tmp_path, acme, downloads):
    content = (
        '{"company": "acme", "metric_type": "downloads", "qualifier": "exact", "value": 1}\n'
        "\n"
        '{"company": "acme", "metric_type": "downloads", "qualifier": "exact", value: 2}\n'
        '["not", "an", "object"]\n'
        '{"company": "acme", "company": "acme"}\n'
    )
    status, _, err = run_command(write(tmp_path, "rows.jsonl", content), "--kind", "metrics")
    assert status == 1
    assert "line 3: Not JSON: Expecting property name enclosed in double quotes" in err
    assert "line 4: Each line is a JSON object" in err
    assert "line 5, column company: This key is given more than once" in err
    assert "line 1" not in err
    assert Metric.objects.count() == 0
