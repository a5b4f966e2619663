"""The reference exchange rates, as the ECB publishes them."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import CheckConstraint, Q, UniqueConstraint
from django.utils import timezone

ECB_SOURCE = "ECB euro foreign exchange reference rates"

# Three capital letters, not the list of current ISO 4217 codes: the ECB's history holds
# currencies since replaced (CYP, EEK, TRL...), and a rate is kept as published.
currency_validator = RegexValidator(r"^[A-Z]{3}\Z", "An ISO 4217 code: three capital letters.")


class ExchangeRate(models.Model):
    """One currency's reference rate on one day: the units of the currency one euro buys,
    exactly as published (1 EUR = 1.073 USD on 2024-06-11)."""

    currency = models.CharField(max_length=3, validators=[currency_validator])
    day = models.DateField()
    rate = models.DecimalField(
        max_digits=18,
        decimal_places=8,
        help_text="Units of the currency per 1 EUR, as published.",
    )
    source = models.CharField(max_length=200, default=ECB_SOURCE)
    loaded_at = models.DateTimeField(
        default=timezone.now,
        editable=False,
        help_text="When this rate was loaded, or last changed by a load.",
    )

    class Meta:
        ordering = ["-day", "currency"]
        constraints = [
            UniqueConstraint(
                fields=["currency", "day"],
                name="exchange_rate_once_a_day",
                violation_error_message="This currency already has a rate on this day.",
            ),
            CheckConstraint(
                condition=Q(rate__gt=0),
                name="exchange_rate_above_zero",
                violation_error_message="A rate is above zero.",
            ),
        ]

    def __str__(self):
        return f"1 EUR = {self.rate.normalize():f} {self.currency} on {self.day.isoformat()}"
