"""The CHECK constraints, evaluated in Python on a row, agree with the database."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from companies.models import Role
from events.models import Investment, Metric
from factbase.core.models import Citation, Source
from factbase.snapshots.tables import snapshot_tables, tables_by_name

pytestmark = pytest.mark.django_db


def failing_checks(instance, changes) -> set[str]:
    table = tables_by_name()[instance._meta.db_table]
    row = [None] * len(table.columns)
    for column in table.columns:
        value = getattr(instance, column.attname)
        row[table.index[column.name]] = changes.get(column.attname, value)
    return {check.name for check in table.checks if check.predicate(row) is False}


def database_refuses(instance, changes) -> bool:
    try:
        with transaction.atomic():
            type(instance)._base_manager.filter(pk=instance.pk).update(**changes)
    except IntegrityError:
        return True
    return False


def agree(instance, changes, expected: set[str]) -> None:
    failing = failing_checks(instance, changes)
    assert expected <= failing, (changes, failing)
    if not expected:
        assert failing == set(), (changes, failing)
    assert database_refuses(instance, changes) == bool(failing), (changes, failing)


def test_every_table_has_its_rules():
    tables = tables_by_name()
    assert len(tables["events_metric"].checks) == 17
    assert [u.name for u in tables["events_investment"].uniques] == ["investment_once_per_round"]
    assert all(not t.checks for t in snapshot_tables() if t.is_history)


# A money metric made a rank: no currency, no US dollar value.
RANK = {
    "unit": "rank",
    "currency": "",
    "value_usd": None,
    "usd_rate": None,
    "usd_rate_on": None,
    "usd_rate_source": "",
}

METRIC_CHANGES = [
    ({}, set()),
    ({"value": Decimal("-5")}, {"metric_count_not_negative"}),
    ({"unit": "rank", "value": Decimal("0"), "currency": ""}, {"metric_rank_from_one"}),
    ({**RANK, "value": Decimal("2.5")}, {"metric_rank_whole"}),
    ({**RANK, "value": Decimal("3.000")}, set()),
    (
        {**RANK, "qualifier": "range", "value": Decimal("2"), "value_high": Decimal("4.5")},
        {"metric_rank_whole"},
    ),
    ({"currency": "ZZZ"}, {"metric_currency_iso4217"}),
    ({"unit": "count", "currency": "EUR"}, {"metric_currency_only_on_money"}),
    ({"company_id": None, "product_id": None}, {"metric_exactly_one_subject"}),
    ({"qualifier": "range", "value_high": None}, {"metric_value_high_only_on_ranges"}),
    ({"qualifier": "range", "value_high": Decimal("1")}, {"metric_value_high_not_below_value"}),
    ({"value_usd": Decimal("10"), "usd_rate_on": None}, {"metric_usd_value_has_rate"}),
    ({"region": "ZZ"}, {"metric_region_iso3166"}),
    ({"region": "001"}, set()),
    ({"window_days": 7}, {"metric_window_has_anchor"}),
    ({"window_days": 7, "window_anchor": "launch"}, set()),
    ({"window_days": 0, "window_anchor": "launch"}, {"metric_window_days_positive"}),
    ({"period_precision": ""}, {"metric_period_start_has_precision"}),
    (
        {"period_end": datetime.date(2000, 1, 1)},
        {"metric_period_end_not_before_period_start"},
    ),
    (
        {"period_start": None, "period_precision": "", "period_until": None},
        set(),
    ),
    # period_until >= NULL is unknown, not false: SQL lets the row through, and so do we.
    ({"period_start": None, "period_precision": ""}, set()),
]


def test_metric_rules(demo):
    metric = Metric.objects.filter(unit="money", period_start__isnull=False).first()
    on_product = Metric.objects.filter(product__isnull=False, window_days__isnull=True).first()
    for changes, expected in METRIC_CHANGES:
        agree(on_product if "window_anchor" in changes else metric, changes, expected)


def test_source_and_citation_rules(demo):
    source = Source.objects.exclude(text="").first()
    for changes, expected in [
        ({"url": ""}, {"source_url_null_not_empty"}),
        ({"url": None}, set()),
        ({"text_sha256": ""}, {"source_text_has_sha256"}),
        ({"language": ""}, {"source_language_required"}),
        ({"published_precision": ""}, {"source_published_on_has_precision"}),
    ]:
        agree(source, changes, expected)
    citation = Citation.objects.first()
    for changes, expected in [
        ({"char_start": 5, "char_end": 5}, {"citation_offsets_ordered"}),
        ({"char_start": None, "char_end": None}, set()),
        ({"char_start": None, "char_end": 3}, {"citation_offsets_ordered"}),
        ({"char_start": 3, "char_end": None}, {"citation_offsets_ordered"}),
        ({"quote": ""}, {"citation_quote_required"}),
    ]:
        agree(citation, changes, expected)


def test_other_rules(demo):
    investment = Investment.objects.first()
    agree(investment, {"investor_id": investment.company_id}, {"investment_not_in_itself"})
    role = Role.objects.first()
    dates = {
        "started_on": datetime.date(2024, 1, 1),
        "started_precision": "day",
        "ended_on": datetime.date(2023, 1, 1),
        "ended_precision": "day",
    }
    agree(role, dates, {"role_ended_on_not_before_started_on"})
