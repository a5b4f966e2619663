"""Bad values are refused twice: by model validation with a message naming the field
(what the admin and services show), and by a named database constraint (whatever path
wrote the row)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from events.models import MetricType
from factbase.core.services import record_save

from .factories import (
    CitationFactory,
    CompanyFactory,
    EventFactory,
    FundingRoundFactory,
    InvestmentFactory,
    MetricFactory,
    PartnershipFactory,
    ProductFactory,
    RoleFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db


def money_type():
    return MetricType.objects.get(slug="revenue")


def rank_type():
    return MetricType.objects.get(slug="app-store-rank")


# (factory, bad attributes, the field the validation error names, the constraint name)
CASES = [
    (
        RoleFactory,
        {
            "started_on": datetime.date(2025, 1, 1),
            "started_precision": "day",
            "ended_on": datetime.date(2024, 1, 1),
            "ended_precision": "day",
        },
        "ended_on",
        "role_ended_on_not_before_started_on",
    ),
    (
        PartnershipFactory,
        {
            "starts_on": datetime.date(2025, 6, 1),
            "starts_precision": "day",
            "ends_on": datetime.date(2025, 1, 1),
            "ends_precision": "day",
        },
        "ends_on",
        "partnership_ends_on_not_before_starts_on",
    ),
    (MetricFactory, {"product": "product"}, "company", "metric_exactly_one_subject"),
    (MetricFactory, {"company": None}, "company", "metric_exactly_one_subject"),
    (
        MetricFactory,
        {"qualifier": "range", "value": Decimal(10), "value_high": Decimal(5)},
        "value_high",
        "metric_value_high_not_below_value",
    ),
    (
        MetricFactory,
        {"qualifier": "exact", "value_high": Decimal(5000)},
        "value_high",
        "metric_value_high_only_on_ranges",
    ),
    (
        MetricFactory,
        {"qualifier": "range", "value_high": None},
        "value_high",
        "metric_value_high_only_on_ranges",
    ),
    (MetricFactory, {"value": Decimal(-1)}, "value", "metric_count_not_negative"),
    (MetricFactory, {"metric_type": "rank", "value": Decimal(0)}, "value", "metric_rank_from_one"),
    (MetricFactory, {"currency": "EUR"}, "currency", "metric_currency_only_on_money"),
    (
        MetricFactory,
        {"metric_type": "money", "currency": ""},
        "currency",
        "metric_currency_only_on_money",
    ),
    (
        MetricFactory,
        {"metric_type": "money", "currency": "ABC"},
        "currency",
        "metric_currency_iso4217",
    ),
    (MetricFactory, {"region": "XZ"}, "region", "metric_region_iso3166"),
    (
        MetricFactory,
        {"period_start": datetime.date(2025, 1, 1), "period_precision": ""},
        "period_precision",
        "metric_period_start_has_precision",
    ),
    (MetricFactory, {"window_days": 14}, "window_anchor", "metric_window_has_anchor"),
    (
        MetricFactory,
        {"metric_type": "money", "currency": "EUR", "value_usd": Decimal(10)},
        "value_usd",
        "metric_usd_value_has_rate",
    ),
    (CompanyFactory, {"country": "ZZ"}, "country", "company_country_iso3166"),
    (CompanyFactory, {"slug": "taken"}, "slug", "companies_company_slug_key"),
    (FundingRoundFactory, {"currency": "ZZZ"}, "currency", "funding_round_currency_iso4217"),
    (FundingRoundFactory, {"currency": ""}, "currency", "funding_round_value_has_currency"),
    (InvestmentFactory, {"company": "investor"}, "investor", "investment_not_in_itself"),
    (
        EventFactory,
        {
            "occurred_on": datetime.date(2025, 2, 11),
            "occurred_precision": "day",
            "ends_on": datetime.date(2025, 2, 10),
        },
        "ends_on",
        "event_ends_on",
    ),
    (SourceFactory, {"language": "French"}, "language", None),
    (CitationFactory, {"quote": "not in the text"}, "quote", None),
]


def build(factory, attributes):
    attributes = dict(attributes)
    if factory is CompanyFactory and attributes.get("slug") == "taken":
        CompanyFactory(slug="taken")
    if attributes.get("metric_type") == "rank":
        attributes["metric_type"] = rank_type()
    if attributes.get("metric_type") == "money":
        attributes["metric_type"] = money_type()
    if attributes.get("product") == "product":
        attributes["product"] = ProductFactory()
    instance = factory.build(**{k: v for k, v in attributes.items() if k != "company"})
    if factory in (MetricFactory, RoleFactory, ProductFactory, FundingRoundFactory):
        for name in ("company", "person", "metric_type"):
            related = getattr(instance, name, None) if hasattr(instance, name) else None
            if related is not None and related.pk is None:
                related.save()
                setattr(instance, name, related)
    if factory is InvestmentFactory:
        instance.investor.save()
        instance.investor = instance.investor
        instance.company = (
            instance.investor if attributes.get("company") == "investor" else (CompanyFactory())
        )
    elif "company" in attributes:
        instance.company = attributes["company"]
    if factory is CitationFactory:
        instance.source.save()
        instance.source = instance.source
        instance.fact = CompanyFactory()
    if hasattr(instance, "metric_type_id") and instance.metric_type_id:
        instance.unit = instance.metric_type.unit_kind
    return instance


@pytest.mark.parametrize(("factory", "attributes", "field", "constraint"), CASES)
def test_validation_names_the_field(factory, attributes, field, constraint):
    instance = build(factory, attributes)
    with pytest.raises(ValidationError) as error:
        instance.full_clean()
    assert field in error.value.message_dict, error.value.message_dict


@pytest.mark.parametrize(
    ("factory", "attributes", "field", "constraint"), [c for c in CASES if c[3]]
)
def test_database_refuses_what_validation_refuses(factory, attributes, field, constraint):
    instance = build(factory, attributes)
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        instance.save()
    # SQLite names CHECK constraints in its message; PostgreSQL names every kind.
    message = str(error.value)
    if "CHECK" in message or "check constraint" in message:
        assert constraint in message


def test_services_refuse_bad_values_and_write_nothing():
    company = CompanyFactory()
    metric = MetricFactory.build(company=company, value=Decimal(-5))
    with pytest.raises(ValidationError):
        record_save(metric)
    assert not type(metric).objects.exists()
    assert not type(metric).history.exists()


def test_partial_dates_are_the_start_of_their_period_never_moved_there():
    company = CompanyFactory.build(founded_on=datetime.date(2023, 5, 17), founded_precision="month")
    with pytest.raises(ValidationError) as error:
        record_save(company)
    assert list(error.value.message_dict) == ["founded_on"]
    assert company.founded_on == datetime.date(2023, 5, 17)
    assert not type(company).objects.exists()
    company.founded_on = datetime.date(2023, 5, 1)
    record_save(company)
    company.refresh_from_db()
    assert company.founded_display == "May 2023"


def test_a_range_needs_a_high_value_not_below_the_low_one():
    metric = MetricFactory.build(
        company=CompanyFactory(), qualifier="range", value=Decimal(10), value_high=Decimal(20)
    )
    record_save(metric)
    assert metric.value_display == "10–20"
