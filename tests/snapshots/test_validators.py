"""The row checks of an import, each run alone on a table's columns and rules, with the
messages the import gives (test_import_errors.py runs them through import_snapshot)."""

import datetime
import functools
import io
from decimal import Decimal

import pytest

from factbase.snapshots.collectors import ContentTypes, UserNames
from factbase.snapshots.ids import IdSet
from factbase.snapshots.key_checks import (
    DanglingUsers,
    ForeignKey,
    ForeignKeys,
    PrimaryKey,
    SelfReference,
    UniqueKey,
)
from factbase.snapshots.problems import Problems
from factbase.snapshots.reader import CsvFile
from factbase.snapshots.row_parser import RowParser
from factbase.snapshots.row_validator import RowValidator
from factbase.snapshots.rule_checks import Rule, Rules
from factbase.snapshots.rules import all_hold
from factbase.snapshots.tables import tables_by_name

CREATED = "2025-03-01T12:00:00.000000Z"


@pytest.fixture
def problems():
    return Problems()


def reporter(problems: Problems, table: str):
    """What the import passes its checks: problems of the table's file."""
    return functools.partial(problems.add, f"data/{table}.csv")


def said(problems: Problems) -> list[str]:
    return [str(problem) for problem in problems.items]


def ids(*values: int) -> IdSet:
    found = IdSet()
    for value in values:
        found.add(value)
    return found


def company_cells(**cells: str) -> list[str]:
    """The cells of a valid companies_company record, some of them replaced."""
    table = tables_by_name()["companies_company"]
    record = {
        "id": "1",
        "created_at": CREATED,
        "updated_at": CREATED,
        "created_by_id": "\\N",
        "updated_by_id": "\\N",
        "version": "1",
        "status": "verified",
        "confidence": "high",
        "claim_type": "reported",
        "note": "",
        "name": "Mistral AI",
        "slug": "mistral-ai",
        "kind": "ai_lab",
        "country": "FR",
        "headquarters": "Paris",
        "founded_on": "2023-04-01",
        "founded_precision": "month",
        "website": "https://mistral.ai",
        "description": "",
    }
    record.update(cells)
    assert list(record) == table.names
    return list(record.values())


def row_of(table_name: str, **values) -> list:
    """A parsed row of the table: None everywhere but in `values`."""
    table = tables_by_name()[table_name]
    row = [None] * len(table.columns)
    for name, value in values.items():
        row[table.index[name]] = value
    return row


# RowParser


def company_parser(problems):
    return RowParser(tables_by_name()["companies_company"].columns, reporter(problems, "x"))


def test_a_good_record_parses_to_values(problems):
    row = company_parser(problems)(2, company_cells())
    assert not problems
    assert row[0] == 1 and row[5] == 1
    assert row[1] == datetime.datetime(2025, 3, 1, 12, tzinfo=datetime.UTC)
    assert row[3] is None and row[9] == ""
    assert row[15] == datetime.date(2023, 4, 1)


def test_a_bad_cell(problems):
    parse = company_parser(problems)
    assert parse(7, company_cells(founded_on="2023-02-30")) is None
    assert said(problems) == [
        "data/x.csv, line 7, column founded_on: not a valid date: '2023-02-30' "
        "(day is out of range for month)."
    ]


def test_a_bad_integer_and_a_bad_datetime_both_reported(problems):
    parse = company_parser(problems)
    assert parse(3, company_cells(version="1.0", created_at="2025-03-01")) is None
    assert said(problems) == [
        "data/x.csv, line 3, column created_at: not a UTC datetime "
        "(YYYY-MM-DDTHH:MM:SS.ffffffZ): '2025-03-01'.",
        "data/x.csv, line 3, column version: not an integer: '1.0'.",
    ]


def test_a_missing_required_value(problems):
    parse = company_parser(problems)
    assert parse(4, company_cells(slug="\\N")) is None
    assert said(problems) == [
        "data/x.csv, line 4, column slug: null (\\N) in a column that requires a value."
    ]


def test_null_where_allowed_and_the_literal_string(problems):
    parse = company_parser(problems)
    # The reader turns a quoted "\N" into the mark: the string \N, not a null.
    row = parse(5, company_cells(founded_on="\\N", founded_precision="", note="\x00"))
    assert not problems
    assert row[15] is None and row[9] == "\\N"


def test_too_long_and_wrong_width(problems):
    parse = company_parser(problems)
    assert parse(6, company_cells(country="FRA")) is None
    assert parse(8, company_cells()[:-1]) is None
    assert said(problems) == [
        "data/x.csv, line 6, column country: longer than 2 characters (3).",
        "data/x.csv, line 8: 18 cells, expected 19.",
    ]


# PrimaryKey, ForeignKey, SelfReference, DanglingUsers


def test_primary_key_unique_and_increasing(problems):
    seen = IdSet()
    check = PrimaryKey(0, "id", seen, reporter(problems, "t"))
    for line, pk in enumerate([1, 2, 5, 5, 3, 4, 6], start=2):
        check(line, [pk])
    assert said(problems) == [
        "data/t.csv, line 5, column id: duplicate primary key 5.",
        "data/t.csv, line 6, column id: primary key 3 after 5: not in order.",
        "data/t.csv, line 7, column id: primary key 4 after 5: not in order.",
    ]
    assert [i for i in range(8) if i in seen] == [1, 2, 5, 6]


def test_primary_key_duplicate_found_among_earlier_ids(problems):
    check = PrimaryKey(0, "id", IdSet(), reporter(problems, "t"))
    for line, pk in enumerate([1, 2, 3, 2], start=2):
        check(line, [pk])
    assert said(problems) == ["data/t.csv, line 5, column id: duplicate primary key 2."]


def test_foreign_key_to_a_missing_row(problems):
    report = reporter(problems, "companies_product")
    check = ForeignKey(1, "company_id", "companies_company", ids(1, 2, 3).lookup(), report)
    check(2, [10, 3])
    check(3, [11, None])
    check(7, [12, 999999])
    assert said(problems) == [
        "data/companies_product.csv, line 7, column company_id: "
        "companies_company has no row 999999."
    ]


def test_foreign_keys_together(problems):
    report = reporter(problems, "companies_product_platforms")
    keys = ForeignKeys(
        [
            ForeignKey(1, "product_id", "companies_product", ids(1, 2, 4), report),
            ForeignKey(2, "platform_id", "companies_platform", ids(1), report),
        ]
    )
    keys(2, [1, 1, 1])
    keys(3, [2, 3, 2])
    assert said(problems) == [
        "data/companies_product_platforms.csv, line 3, column product_id: "
        "companies_product has no row 3.",
        "data/companies_product_platforms.csv, line 3, column platform_id: "
        "companies_platform has no row 2.",
    ]


def test_self_reference_may_point_forward(problems):
    report = reporter(problems, "events_event")
    own = IdSet()
    key = PrimaryKey(0, "id", own, report)
    part_of = SelfReference(1, "part_of_id", "events_event", own, report)
    validator = RowValidator(lambda line, cells: cells, [key, part_of])
    for line, row in enumerate([[1, 3], [2, None], [3, 1], [4, 9]], start=2):
        for check in validator.checks:
            check(line, row)
    assert not problems
    validator.finish()
    assert said(problems) == [
        "data/events_event.csv, line 5, column part_of_id: events_event has no row 9."
    ]


def test_dangling_users_are_counted(problems):
    check = DanglingUsers([1, 2], ids(1, 2).lookup())
    for line, row in enumerate([[1, 1, 2], [2, 3, None], [3, 4, 5]], start=2):
        check(line, row)
    assert check.count == 3 and not problems


# UniqueKey


def test_unique_clash(problems):
    table = tables_by_name()["companies_company"]
    check = UniqueKey(table.uniques[0], reporter(problems, "companies_company"))
    try:
        check(2, company_parser(Problems())(2, company_cells(slug="a")))
        check(3, company_parser(Problems())(3, company_cells(id="2", slug="b")))
        check(4, company_parser(Problems())(4, company_cells(id="3", slug="a")))
    finally:
        check.close()
    assert said(problems) == [
        "data/companies_company.csv, line 4, column slug: duplicate value 'a' for "
        "companies_company_slug_key (also on line 2)."
    ]


def test_unique_of_two_columns_and_null(problems):
    table = tables_by_name()["companies_companyalias"]
    (unique,) = table.uniques
    check = UniqueKey(unique, reporter(problems, "companies_companyalias"))
    try:
        for line, (company, name) in enumerate(
            [(1, "Le Chat"), (2, "Le Chat"), (None, "Le Chat"), (None, "Le Chat"), (1, "Le Chat")],
            start=2,
        ):
            check(line, row_of("companies_companyalias", company_id=company, name=name))
    finally:
        check.close()
    assert said(problems) == [
        "data/companies_companyalias.csv, line 6, column company_id,name: duplicate value "
        "1, 'Le Chat' for company_alias_unique (also on line 2)."
    ]


# Rule, Rules


def metric_check(name: str):
    return next(c for c in tables_by_name()["events_metric"].checks if c.name == name)


def test_rule_violation(problems):
    check = Rule(metric_check("metric_rank_from_one"), reporter(problems, "events_metric"))
    check(2, row_of("events_metric", unit="rank", value=Decimal("1")))
    check(3, row_of("events_metric", unit="count", value=Decimal("0")))
    check(1412, row_of("events_metric", unit="rank", value=Decimal("0")))
    check(5, row_of("events_metric", unit="rank", value=None))  # unknown: passes, as in SQL
    assert said(problems) == [
        "data/events_metric.csv, line 1412, column unit,value: metric_rank_from_one: "
        "A rank starts at 1."
    ]


def test_rules_together_report_only_what_fails(problems):
    report = reporter(problems, "events_metric")
    rules = Rules([Rule(check, report) for check in tables_by_name()["events_metric"].checks])
    assert rules.hold is not None
    row = row_of("events_metric", unit="count", value=Decimal("-1"), currency="EUR", company_id=1)
    rules(9, row)
    assert said(problems) == [
        "data/events_metric.csv, line 9, column unit,value: metric_count_not_negative: "
        "Counts, ranks and amounts cannot be negative.",
        "data/events_metric.csv, line 9, column unit,currency: metric_currency_only_on_money: "
        "Money needs a currency; other units have none.",
    ]


def test_all_hold_agrees_with_each_rule():
    checks = tables_by_name()["events_metric"].checks
    hold = all_hold([check.predicate for check in checks])
    rows = [
        row_of("events_metric"),
        row_of("events_metric", unit="rank", value=Decimal("0")),
        row_of("events_metric", unit="count", value=Decimal("2"), qualifier="exact"),
        row_of("events_metric", window_days=0),
        row_of("events_metric", company_id=1, product_id=2),
    ]
    for row in rows:
        assert hold(row) == all(check.predicate(row) is not False for check in checks)
    assert all_hold([]) is not None and all_hold([])([])
    assert all_hold([lambda row: True]) is None  # not compiled by rules.py


# UserNames, ContentTypes


def test_user_names_are_collected():
    users = []
    check = UserNames(0, 1, users)
    check(2, [1, "alice"])
    check(3, [7, "bob"])
    assert users == [(1, "alice"), (7, "bob")]


def test_content_types_and_what_citations_cite():
    labels, warnings, refused = set(), [], []
    check = ContentTypes(
        0,
        "content_type",
        labels,
        {"events.metric", "events.event"},
        lambda line, column, message: refused.append((line, column, message)),
        object_position=1,
        targets={"events.metric": ids(1, 2).lookup(), "events.event": ()},
        warn=lambda line, message: warnings.append(f"line {line}: {message}"),
    )
    check(2, ["events.metric", 1])
    check(3, ["events.metric", 5])
    check(4, ["events.nothing", 1])
    assert labels == {"events.metric"}
    assert warnings == ["line 3: cites events.metric 5, which the snapshot does not hold."]
    # A kind no table holds: the import would make a content type no page could read.
    assert refused == [(4, "content_type", "events.nothing is not a Factbase table.")]


# RowValidator over a file


def test_row_validator_runs_a_file(problems):
    table = tables_by_name()["companies_companyalias"]
    report = reporter(problems, table.name)
    validator = RowValidator(
        RowParser(table.columns, report),
        [
            PrimaryKey(0, "id", IdSet(), report),
            ForeignKeys([ForeignKey(6, "company_id", "companies_company", ids(1, 2), report)]),
            UniqueKey(table.uniques[0], report),
        ],
    )
    record = f"{CREATED},{CREATED},\\N,\\N,1"
    text = (
        ",".join(table.names) + "\n"
        f'1,{record},1,"Le\nChat"\n'  # a quoted cell over two lines: the next is line 4
        f"2,{record},3,Mistral\n"
        f"3,{record},x,Mistral\n"
        f'4,{record},1,"Le\nChat"\n'
    )
    csv_file = CsvFile(io.BytesIO(text.encode()))
    next(csv_file.reader)
    csv_file.line = 2
    try:
        assert validator.run(csv_file) == 4
    finally:
        validator.close()
    assert csv_file.line == 8
    assert said(problems) == [
        "data/companies_companyalias.csv, line 4, column company_id: "
        "companies_company has no row 3.",
        "data/companies_companyalias.csv, line 5, column company_id: not an integer: 'x'.",
        "data/companies_companyalias.csv, line 6, column company_id,name: duplicate value "
        "1, 'Le\\nChat' for company_alias_unique (also on line 2).",
    ]


def test_id_set_lookup():
    assert 5 not in IdSet().lookup()
    assert isinstance(ids(1, 2, 3).lookup(), range) and 3 in ids(1, 2, 3).lookup()
    gaps = ids(1, 2, 5)
    assert gaps.lookup() is gaps and 5 in gaps and 3 not in gaps
