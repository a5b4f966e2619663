"""Money raised by companies: funding rounds, and the investments made in them."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import CheckConstraint, Q, UniqueConstraint

from companies.models import Company
from factbase.core import constraints
from factbase.core.choices import DatePrecision
from factbase.core.dates import format_partial_date
from factbase.core.models import FactModel, Quantity

from .history import HistoricalRecords

# A round and an investment hold money the same way: one wording, in their clean() and in
# the round's constraint, for the one rule.
NEEDS_CURRENCY = "An amount of money needs its currency."


def amount_has_currency(prefix: str, field: str) -> CheckConstraint:
    """The amount of money in `field`, when given, is not negative and has its currency."""
    return CheckConstraint(
        condition=Q(**{f"{field}__isnull": True}) | (Q(**{f"{field}__gte": 0}) & ~Q(currency="")),
        name=f"{prefix}_{field}_has_currency",
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
        help_text="Post-money valuation, in the round's currency.",
    )

    partial_dates = (("announced_on", "announced_precision"),)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-announced_on", "id"]
        constraints = [
            *constraints.quantity("funding_round", required=False),
            constraints.precision_pair("funding_round", "announced_on", "announced_precision"),
            CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0),
                name="funding_round_value_not_negative",
            ),
            CheckConstraint(
                condition=Q(value__isnull=True) | ~Q(currency=""),
                name="funding_round_value_has_currency",
                violation_error_message=NEEDS_CURRENCY,
            ),
            amount_has_currency("funding_round", "valuation"),
        ]

    def __str__(self):
        when = format_partial_date(self.announced_on, self.announced_precision)
        return f"{self.company} {self.get_round_type_display()} {when}".strip()

    def clean(self):
        super().clean()
        if (self.value is not None or self.valuation is not None) and not self.currency:
            raise ValidationError({"currency": NEEDS_CURRENCY})
        if self.value is not None and self.value < 0:
            raise ValidationError({"value": "An amount raised cannot be negative."})


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

    history = HistoricalRecords()
    # Written as a row of its round (services.record_write), it is in the round's company.
    inherits_from_parent = ("company",)

    class Meta:
        ordering = ["company_id", "id"]
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
        if errors:
            raise ValidationError(errors)
