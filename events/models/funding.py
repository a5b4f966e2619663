"""Money raised by companies: funding rounds, and the investments made in them."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import CheckConstraint, Q, UniqueConstraint

from companies.models import Company
from factbase.core import constraints
from factbase.core.choices import DatePrecision, Qualifier
from factbase.core.codes import CURRENCY_CHOICES
from factbase.core.dates import format_partial_date
from factbase.core.models import FactModel, Quantity, updated_index
from factbase.core.quantities import AmountInput, format_quantity

from .history import HistoricalRecords

# A round and an investment hold money the same way: one wording, in their clean() and in
# the round's constraint, for the one rule.
NEEDS_CURRENCY = "An amount of money needs its currency."


def amount_has_currency(prefix: str, field: str) -> CheckConstraint:
    """The amount of money in `field`, when given, is not negative and has its currency."""
    return CheckConstraint(
        condition=Q(**{f"{field}__isnull": True}) | (Q(**{f"{field}__gte": 0}) & ~Q(currency="")),
        name=f"{prefix}_{field}_has_currency",
        # Both halves in words: a negative amount with its currency fails it too.
        violation_error_message="An amount of money is not negative and has its currency.",
    )


class RoundType(models.TextChoices):
    PRE_SEED = "pre_seed", "Pre-seed"
    SEED = "seed", "Seed"
    SERIES_A = "series_a", "Series A"
    SERIES_B = "series_b", "Series B"
    SERIES_C = "series_c", "Series C"
    SERIES_D = "series_d", "Series D"
    SERIES_E_PLUS = "series_e_plus", "Series E or later"
    STRATEGIC = "strategic", "Strategic"
    DEBT = "debt", "Debt"
    GRANT = "grant", "Grant"
    IPO = "ipo", "IPO"
    UNDISCLOSED = "undisclosed", "Undisclosed"


class ValuationBasis(models.TextChoices):
    PRE = "pre", "Pre-money"
    POST = "post", "Post-money"
    UNKNOWN = "unknown", "Not stated"


# A valuation is one figure: exact, approximate, at least or at most; never a range.
VALUATION_QUALIFIERS = [choice for choice in Qualifier.choices if choice[0] != Qualifier.RANGE]
VALUATION_QUALIFIER_VALUES = [value for value, _ in VALUATION_QUALIFIERS]


def valuation_rules(prefix: str) -> list[CheckConstraint]:
    """A valuation comes with its qualifier, its currency and its basis, and these never
    without a valuation; it is not negative."""
    none = Q(
        valuation__isnull=True, valuation_qualifier="", valuation_currency="", valuation_basis=""
    )
    given = Q(valuation__isnull=False)
    return [
        CheckConstraint(
            condition=none
            | (given & Q(valuation__gte=0, valuation_qualifier__in=VALUATION_QUALIFIER_VALUES)),
            name=f"{prefix}_valuation_has_qualifier",
            violation_error_message=(
                "A valuation needs its qualifier (not a range), and is never negative."
            ),
        ),
        CheckConstraint(
            condition=none | (given & ~Q(valuation_currency="")),
            name=f"{prefix}_valuation_has_currency",
            violation_error_message="A valuation needs its currency.",
        ),
        CheckConstraint(
            condition=none | (given & ~Q(valuation_basis="")),
            name=f"{prefix}_valuation_has_basis",
            violation_error_message=(
                "A valuation needs its basis: pre-money, post-money or not stated."
            ),
        ),
        constraints.currency_code(prefix, "valuation_currency"),
    ]


class FundingRound(FactModel, Quantity):
    """Money raised by a company in one round. `value` is the amount raised."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="funding_rounds")
    round_type = models.CharField(max_length=16, choices=RoundType.choices)
    announced_on = models.DateField(null=True, blank=True)
    announced_precision = models.CharField(max_length=8, choices=DatePrecision.choices, blank=True)
    valuation = models.DecimalField(
        max_digits=24,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="What the company is valued at, with its own qualifier, currency and basis.",
    )
    valuation_qualifier = models.CharField(max_length=12, choices=VALUATION_QUALIFIERS, blank=True)
    valuation_currency = models.CharField(
        max_length=3,
        choices=CURRENCY_CHOICES,
        blank=True,
        help_text="ISO 4217; it may differ from the amount's.",
    )
    valuation_basis = models.CharField(
        max_length=8,
        choices=ValuationBasis.choices,
        blank=True,
        help_text="Pre-money or post-money, as the source says; not stated when it does not.",
    )

    partial_dates = (("announced_on", "announced_precision"),)
    past_dates = ("announced_on", "usd_rate_on")
    quantity_inputs = {
        **Quantity.quantity_inputs,
        "valuation": AmountInput(qualifier="valuation_qualifier", currency="valuation_currency"),
    }
    history = HistoricalRecords()

    class Meta:
        ordering = ["-announced_on", "id"]
        indexes = [updated_index("fundinground")]
        constraints = [
            *constraints.quantity("funding_round", required=False),
            constraints.precision_pair("funding_round", "announced_on", "announced_precision"),
            CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0),
                name="funding_round_value_not_negative",
                violation_error_message="An amount raised cannot be negative.",
            ),
            CheckConstraint(
                condition=Q(value__isnull=True) | ~Q(currency=""),
                name="funding_round_value_has_currency",
                violation_error_message=NEEDS_CURRENCY,
            ),
            *valuation_rules("funding_round"),
        ]

    def __str__(self):
        when = format_partial_date(self.announced_on, self.announced_precision)
        return f"{self.company} {self.get_round_type_display()} {when}".strip()

    @property
    def valuation_display(self) -> str:
        return format_quantity(
            self.valuation, None, self.valuation_qualifier, self.valuation_currency
        )

    def clean(self):
        super().clean()
        if self.value is not None and not self.currency:
            raise ValidationError({"currency": NEEDS_CURRENCY})
        if self.value is not None and self.value < 0:
            raise ValidationError({"value": "An amount raised cannot be negative."})
        self.clean_valuation()

    def clean_valuation(self):
        """The valuation's rules (valuation_rules), each naming its field."""
        errors = {}
        parts = (self.valuation_qualifier, self.valuation_currency, self.valuation_basis)
        if self.valuation is None:
            if any(parts):
                errors["valuation"] = "A valuation qualifier, currency or basis needs a valuation."
        else:
            if self.valuation < 0:
                errors["valuation"] = "A valuation cannot be negative."
            if not self.valuation_qualifier:
                errors["valuation_qualifier"] = "Say how exact the valuation is."
            if not self.valuation_currency:
                errors["valuation_currency"] = "A valuation needs its currency."
            if not self.valuation_basis:
                errors["valuation_basis"] = (
                    "Say whether the valuation is pre-money or post-money, or that the "
                    "source does not say."
                )
        if errors:
            raise ValidationError(errors)


class Investment(FactModel, Quantity):
    """An investor's stake in a company, in a known round or, where the round is not
    known ("one of the first investors"), in none. `value` is the amount invested."""

    investor = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="investments_made")
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="investments_received"
    )
    funding_round = models.ForeignKey(
        FundingRound,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="investments",
        help_text="Leave empty when the round is not known.",
    )
    is_lead = models.BooleanField("lead investor", default=False)
    description = models.CharField(
        max_length=300,
        blank=True,
        help_text="How the source puts it: 'one of the first investors'.",
    )

    past_dates = ("usd_rate_on",)
    history = HistoricalRecords()
    # Written as a row of its round (services.record_write), it is in the round's company.
    inherits_from_parent = ("company",)

    class Meta:
        ordering = ["company_id", "id"]
        indexes = [updated_index("investment")]
        constraints = [
            *constraints.quantity("investment", required=False),
            UniqueConstraint(
                fields=["funding_round", "investor"],
                condition=Q(funding_round__isnull=False),
                name="investment_once_per_round",
                violation_error_message="This investor is already in this round.",
            ),
            CheckConstraint(
                condition=~Q(investor=models.F("company")),
                name="investment_not_in_itself",
                violation_error_message="A company cannot invest in itself.",
            ),
            amount_has_currency("investment", "value"),
        ]

    def __str__(self):
        return f"{self.investor} → {self.company}"

    def clean(self):
        super().clean()
        errors = {}
        if (
            self.funding_round_id
            and self.company_id
            and self.funding_round.company_id != self.company_id
        ):
            errors["funding_round"] = "This round is another company's."
        if self.investor_id and self.investor_id == self.company_id:
            errors["investor"] = "A company cannot invest in itself."
        if self.value is not None and not self.currency:
            errors["currency"] = NEEDS_CURRENCY
        if self.value is not None and self.value < 0:
            # Said on the field, as a round says it, not as the table's constraint would.
            errors["value"] = "An amount invested cannot be negative."
        if errors:
            raise ValidationError(errors)
