"""Builders for the CHECK constraints that every fact model repeats.

Each returns named constraints, so a violation names the rule; `clean()` methods add the
friendlier message, the database guarantees it holds whatever path wrote the row.
"""

from django.db.models import CheckConstraint, F, Q

from .choices import Qualifier
from .codes import COUNTRY_CODES, CURRENCY_CODES, REGION_CODES


def precision_pair(prefix: str, date_field: str, precision_field: str) -> CheckConstraint:
    """A date has a precision, and a precision has a date."""
    return CheckConstraint(
        condition=Q(**{f"{date_field}__isnull": True, precision_field: ""})
        | (Q(**{f"{date_field}__isnull": False}) & ~Q(**{precision_field: ""})),
        name=f"{prefix}_{date_field}_has_precision",
        violation_error_message=f"{date_field} and {precision_field} go together.",
    )


def not_before(prefix: str, start_field: str, end_field: str) -> CheckConstraint:
    """An end never comes before its start."""
    return CheckConstraint(
        condition=Q(**{f"{start_field}__isnull": True})
        | Q(**{f"{end_field}__isnull": True})
        | Q(**{f"{end_field}__gte": F(start_field)}),
        name=f"{prefix}_{end_field}_not_before_{start_field}",
        violation_error_message=f"{end_field} cannot be before {start_field}.",
    )


def country_code(prefix: str, field: str, *, regions: bool = False) -> CheckConstraint:
    codes = REGION_CODES if regions else COUNTRY_CODES
    return CheckConstraint(
        condition=Q(**{field: ""}) | Q(**{f"{field}__in": codes}),
        name=f"{prefix}_{field}_iso3166",
        violation_error_message=f"{field} must be an ISO 3166-1 alpha-2 code.",
    )


def currency_code(prefix: str, field: str = "currency") -> CheckConstraint:
    return CheckConstraint(
        condition=Q(**{field: ""}) | Q(**{f"{field}__in": CURRENCY_CODES}),
        name=f"{prefix}_{field}_iso4217",
        violation_error_message=f"{field} must be an ISO 4217 currency code.",
    )


def quantity(prefix: str, *, required: bool) -> list[CheckConstraint]:
    """The rules of `Quantity` fields: qualifier with value, high value only on ranges
    and never below the low one, USD conversion only with its rate, date and source."""
    has_value = Q(value__isnull=False) & ~Q(qualifier="")
    no_value = Q(value__isnull=True, qualifier="", value_high__isnull=True)
    rules = [
        CheckConstraint(
            condition=has_value if required else (has_value | no_value),
            name=f"{prefix}_value_has_qualifier",
            violation_error_message="A value needs a qualifier, and a qualifier a value.",
        ),
        CheckConstraint(
            condition=(Q(qualifier=Qualifier.RANGE) & Q(value_high__isnull=False))
            | (~Q(qualifier=Qualifier.RANGE) & Q(value_high__isnull=True)),
            name=f"{prefix}_value_high_only_on_ranges",
            violation_error_message="A range needs a high value; other qualifiers have none.",
        ),
        CheckConstraint(
            condition=Q(value_high__isnull=True) | Q(value_high__gte=F("value")),
            name=f"{prefix}_value_high_not_below_value",
            violation_error_message="The high value of a range cannot be below its low value.",
        ),
        currency_code(prefix),
        CheckConstraint(
            condition=Q(
                value_usd__isnull=True,
                usd_rate__isnull=True,
                usd_rate_on__isnull=True,
                usd_rate_source="",
            )
            | (
                Q(value_usd__isnull=False, usd_rate__gt=0, usd_rate_on__isnull=False)
                & ~Q(usd_rate_source="")
                & ~Q(currency="")
            ),
            name=f"{prefix}_usd_value_has_rate",
            violation_error_message=(
                "A US dollar value needs the currency, the exchange rate, its date and its source."
            ),
        ),
    ]
    return rules
