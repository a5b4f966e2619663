"""The services judge a check constraint in Python when its condition is plain comparisons
of the record's fields (factbase.core.validation): the verdict must be the database's for
every rule of every model, in SQL's three-valued logic (NULL passes)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import CheckConstraint, F, Q

from events.models import FundingRound, Metric
from factbase.core.validation import _AskTheDatabase, _holds
from tests.factories import CompanyFactory, MetricTypeFactory

pytestmark = pytest.mark.django_db


def records():
    company, kind = CompanyFactory(), MetricTypeFactory()
    base = {"company": company, "metric_type": kind, "qualifier": "exact", "unit": "count"}
    yield Metric(**base, value=Decimal("5"))
    yield Metric(**base, value=Decimal("-1"))  # a count below zero
    yield Metric(**{**base, "unit": "rank"}, value=Decimal("0"))  # rank below one
    yield Metric(**{**base, "qualifier": "range"}, value=Decimal("5"))  # no high value
    yield Metric(**{**base, "qualifier": "range"}, value=Decimal("5"), value_high=Decimal("4"))
    yield Metric(**base, value=Decimal("5"), currency="EUR")  # currency off money
    yield Metric(**{**base, "unit": "money"}, value=Decimal("5"), currency="XXQ")
    yield Metric(**{**base, "qualifier": ""}, value=None)  # no value: the qualifier rule
    yield Metric(**base, value=Decimal("5"), period_start=date(2025, 2, 1))  # no precision
    yield Metric(
        **base,
        value=Decimal("5"),
        period_start=date(2025, 3, 1),
        period_end=date(2025, 2, 1),
        period_precision="month",
    )
    yield Metric(**base, value=Decimal("5"), region="ZZ")
    yield Metric(**{**base, "product": None, "company": None}, value=Decimal("1"))
    yield FundingRound(company=company, qualifier="exact", value=Decimal("1"), currency="USD")
    yield FundingRound(company=company, qualifier="", value=None, currency="")


def test_every_rule_is_judged_as_the_database_judges_it():
    judged = 0
    for record in records():
        values = record._get_field_expression_map(meta=record._meta)
        for constraint in record._meta.constraints:
            if not isinstance(constraint, CheckConstraint):
                continue
            expected = Q(constraint.condition).check(values)
            try:
                verdict = _holds(constraint.condition, values) is not False
            except _AskTheDatabase:
                continue
            judged += 1
            assert verdict == expected, (constraint.name, record.__dict__)
    assert judged > 100  # nearly every rule is judged in Python


@pytest.mark.parametrize(
    "condition, values, expected",
    [
        (Q(a=F("b")), {"a": 1, "b": None}, None),  # = NULL is unknown, not IS NULL
        (Q(a=None), {"a": None}, True),  # the ORM's `a=None` is IS NULL
        (Q(a__in=["x", "y"]), {"a": None}, None),
        (~Q(a__gte=1), {"a": None}, None),
        (Q(a__gte=0), {"a": Decimal("0.5")}, True),  # a Decimal beside an int
    ],
)
def test_three_valued_logic(condition, values, expected):
    assert _holds(condition, values) is expected


@pytest.mark.parametrize(
    "condition, values",
    [
        (Q(a__gt=0), {"a": "1.5"}),  # text the database would convert
        (Q(a__gte=F("b")), {"a": date(2025, 1, 1), "b": "2025-01-01"}),
        (Q(a__gt="m"), {"a": "z"}),  # text ordered by the database's collation
        (Q(a__in="ab"), {"a": "a"}),  # not a list
        (Q(a__lower="x"), {"a": "X"}),  # a transform
        (Q(a=1), {}),  # a field left out (excluded)
    ],
)
def test_what_python_cannot_judge_goes_to_the_database(condition, values):
    with pytest.raises(_AskTheDatabase):
        _holds(condition, values)
