"""How one cell reads: a list's label decoded with the export's codes and no others, and
an XLSX cell's value in the form the CSV export writes."""

import datetime
from types import SimpleNamespace

import pytest

from factbase.api.csv_lists import ESCAPES
from factbase.imports.reading import xlsx_text
from factbase.imports.rows import unquote


def encoded(text: str) -> str:
    """`text` as the export writes a label (factbase.api.csv_lists.escaped, in Python)."""
    for character, code in ESCAPES:
        text = text.replace(character, code)
    return text


@pytest.mark.parametrize("text", ["Acme; Inc. (FR)", "100%", "%3B", "%253B", "a%20b", "(%)"])
def test_a_label_the_export_encoded_reads_back_as_it_was(text):
    assert unquote(encoded(text)) == text


def test_only_the_exports_codes_are_decoded():
    assert unquote("Acme%20Inc%2C %3B%28x%29 %3b 50%") == "Acme%20Inc%2C ;(x) %3b 50%"


@pytest.mark.parametrize(
    "value, text",
    [
        (True, "true"),
        (1500000, "1500000"),
        (2.5e6, "2500000"),
        (0.1, "0.1"),
        (1e-05, "0.00001"),
        (0.0, "0"),
        (datetime.datetime(2025, 2, 1), "2025-02-01"),
        (datetime.datetime(2025, 2, 1, 9, 30), "2025-02-01T09:30:00.000000Z"),
        (datetime.date(2025, 3, 1), "2025-03-01"),
        (datetime.time(9, 30), "09:30:00"),
        ("text", "text"),
        # A workbook's escapes (ECMA-376 ST_Xstring) read as what was typed.
        ("a_x000D_\nb", "a\r\nb"),
        ("_x005F_x0041_", "_x0041_"),
        ("_x000d__x000A_", "\r\n"),
        ("_x_ and _x00G0_", "_x_ and _x00G0_"),
    ],
)
def test_an_xlsx_value_reads_as_the_csv_writes_it(value, text):
    assert xlsx_text(SimpleNamespace(value=value)) == text
