"""Measurements of companies and products (downloads, ranks, revenue), and their kinds."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import CheckConstraint, Q
from django.db.models.functions import Floor

from companies.models import Company, Platform, Product
from factbase.core import constraints
from factbase.core.choices import ClaimType, DatePrecision
from factbase.core.codes import REGION_CHOICES, region_name
from factbase.core.dates import format_partial_date, period_end, period_start_error
from factbase.core.models import FactModel, Quantity, TrackedModel, updated_index

from .history import HistoricalRecords


class UnitKind(models.TextChoices):
    COUNT = "count", "Count"
    RANK = "rank", "Rank"
    MONEY = "money", "Money"
    PERCENT = "percent", "Percent"


class MetricType(TrackedModel):
    """A kind of measurement (downloads, app-store rank, revenue...), editable so a new
    kind needs no code."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    unit_kind = models.CharField(max_length=8, choices=UnitKind.choices)
    description = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.pk and self.metrics.exclude(unit=self.unit_kind).exists():
            raise ValidationError(
                {
                    "unit_kind": "Metrics of this type are recorded in another unit: "
                    "change them first."
                }
            )


class WindowAnchor(models.TextChoices):
    LAUNCH = "launch", "Launch of the product"
    EVENT = "event", "An event"


class Metric(FactModel, Quantity):
    """One observation about exactly one company or product."""

    metric_type = models.ForeignKey(MetricType, on_delete=models.PROTECT, related_name="metrics")
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, null=True, blank=True, related_name="metrics"
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="metrics"
    )
    value = models.DecimalField(max_digits=24, decimal_places=4)
    qualifier = models.CharField(
        max_length=12, choices=Quantity._meta.get_field("qualifier").choices
    )
    # A copy of metric_type.unit_kind: the CHECK constraints below need it on the row
    # (non-negative counts, currency only on money), and a constraint cannot join.
    unit = models.CharField(max_length=8, choices=UnitKind.choices, editable=False)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(
        null=True, blank=True, help_text="Leave empty when the metric is for a single date."
    )
    period_precision = models.CharField(max_length=8, choices=DatePrecision.choices, blank=True)
    # The last day the period covers, derived from start, end and precision ("Feb 2025"
    # runs to 28 Feb): what overlap queries compare against.
    period_until = models.DateField(null=True, blank=True, editable=False)
    window_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="A window relative to an anchor: 'within 14 days'."
    )
    window_anchor = models.CharField(max_length=8, choices=WindowAnchor.choices, blank=True)
    anchor_event = models.ForeignKey(
        "Event", on_delete=models.PROTECT, null=True, blank=True, related_name="anchored_metrics"
    )
    region = models.CharField(
        max_length=3,
        choices=REGION_CHOICES,
        blank=True,
        help_text="ISO 3166-1 country, or Worldwide (001). Empty when the source does not say.",
    )
    platform = models.ForeignKey(
        Platform, on_delete=models.PROTECT, null=True, blank=True, related_name="metrics"
    )

    partial_dates = (("period_start", "period_precision"),)
    past_dates = ("usd_rate_on",)  # a rate is known once published; a target's period may come
    history = HistoricalRecords()

    class Meta:
        ordering = ["-period_start", "id"]
        indexes = [
            updated_index("metric"),
            models.Index(fields=["metric_type", "region", "id"], name="metric_type_region_idx"),
            models.Index(fields=["period_start", "period_until"], name="metric_period_idx"),
            models.Index(fields=["company", "id"], name="metric_company_idx"),
            models.Index(fields=["product", "id"], name="metric_product_idx"),
        ]
        constraints = [
            *constraints.quantity("metric", required=True),
            constraints.country_code("metric", "region", regions=True),
            constraints.precision_pair("metric", "period_start", "period_precision"),
            constraints.not_before("metric", "period_start", "period_end"),
            CheckConstraint(
                condition=Q(company__isnull=False, product__isnull=True)
                | Q(company__isnull=True, product__isnull=False),
                name="metric_exactly_one_subject",
                violation_error_message="A metric is about exactly one company or one product.",
            ),
            CheckConstraint(
                condition=~Q(unit__in=["count", "rank", "money"]) | Q(value__gte=0),
                name="metric_count_not_negative",
                violation_error_message="Counts, ranks and amounts cannot be negative.",
            ),
            CheckConstraint(
                condition=~Q(unit="rank") | Q(value__gte=1),
                name="metric_rank_from_one",
                violation_error_message="A rank starts at 1.",
            ),
            CheckConstraint(
                condition=~Q(unit="rank")
                | (
                    Q(value=Floor("value"))
                    & (Q(value_high__isnull=True) | Q(value_high=Floor("value_high")))
                ),
                name="metric_rank_whole",
                violation_error_message="A rank is a whole number: 3, not 2.5.",
            ),
            CheckConstraint(
                condition=(Q(unit="money") & ~Q(currency="")) | (~Q(unit="money") & Q(currency="")),
                name="metric_currency_only_on_money",
                violation_error_message="Money needs a currency; other units have none.",
            ),
            CheckConstraint(
                condition=Q(period_end__isnull=True) | Q(period_start__isnull=False),
                name="metric_period_end_has_start",
                violation_error_message="A period with an end needs its start.",
            ),
            CheckConstraint(
                condition=Q(period_start__isnull=True, period_until__isnull=True)
                | Q(period_until__gte=models.F("period_start")),
                name="metric_period_until_covers_start",
                violation_error_message="A period runs to a day on or after its start.",
            ),
            CheckConstraint(
                condition=Q(window_days__isnull=True, window_anchor="", anchor_event__isnull=True)
                | Q(window_days__isnull=False, window_anchor="launch", anchor_event__isnull=True)
                | Q(window_days__isnull=False, window_anchor="event", anchor_event__isnull=False),
                name="metric_window_has_anchor",
                violation_error_message=(
                    "A window needs its days and anchor; an 'event' anchor needs the event."
                ),
            ),
            CheckConstraint(
                condition=Q(window_days__isnull=True) | Q(window_days__gte=1),
                name="metric_window_days_positive",
                violation_error_message="A window spans at least one day.",
            ),
        ]

    def __str__(self):
        return f"{self.subject} · {self.metric_type}: {self.value_display}"

    @property
    def subject(self):
        return self.company or self.product

    @property
    def is_target(self) -> bool:
        return self.claim_type == ClaimType.TARGET

    @property
    def period_display(self) -> str:
        start = format_partial_date(self.period_start, self.period_precision)
        if self.period_end and self.period_end != self.period_start:
            return f"{start} – {format_partial_date(self.period_end, self.period_precision)}"
        return start

    @property
    def window_display(self) -> str:
        if self.window_days is None:
            return ""
        anchor = "launch" if self.window_anchor == WindowAnchor.LAUNCH else str(self.anchor_event)
        return f"within {self.window_days} days of {anchor}"

    @property
    def region_display(self) -> str:
        return region_name(self.region)

    def clean(self):
        if self.metric_type_id:
            self.unit = self.metric_type.unit_kind
        super().clean()
        if self.period_start and self.period_precision:
            last = self.period_end or self.period_start
            self.period_until = period_end(last, self.period_precision)
        else:
            self.period_until = None
        errors = {}
        if (self.company_id is None) == (self.product_id is None):
            errors["company"] = "A metric is about exactly one company or one product."
        errors |= self._value_errors()
        errors |= self._period_errors()
        errors |= self._window_errors()
        if errors:
            raise ValidationError(errors)

    def _value_errors(self) -> dict[str, str]:
        """What is wrong with the value and its currency, for the unit."""
        errors = {}
        if self.unit in {"count", "rank", "money"} and self.value is not None and self.value < 0:
            errors["value"] = "Counts, ranks and amounts cannot be negative."
        if self.unit == "rank" and self.value is not None and self.value < 1:
            errors["value"] = "A rank starts at 1."
        if self.unit == "rank":
            # A rank between others is no rank: 2.5 is refused, not rounded to a place
            # the source did not give.
            for name in ("value", "value_high"):
                number = getattr(self, name)
                if isinstance(number, Decimal) and number != number.to_integral_value():
                    errors.setdefault(name, "A rank is a whole number: 3, not 2.5.")
        if self.unit == "money" and not self.currency:
            errors["currency"] = "Money needs a currency."
        if self.unit and self.unit != "money" and self.currency:
            errors["currency"] = f"A {self.get_unit_display().lower()} has no currency."
        return errors

    def _period_errors(self) -> dict[str, str]:
        """What is wrong with the period: an end without its start, or before it."""
        errors = {}
        if self.period_end and not self.period_start:
            errors["period_start"] = "A period with an end needs its start."
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = "A period cannot end before it starts."
        elif isinstance(self.period_end, datetime.date) and self.period_precision:
            # The end is read with the period's one precision: 30 June with "year" would
            # be stored as running to 31 December, not what was typed.
            problem = period_start_error(self.period_end, self.period_precision)
            if problem:
                errors["period_end"] = f"The period's end has the start's precision: {problem}"
        return errors

    def _window_errors(self) -> dict[str, str]:
        """What is wrong with the window: its days, its anchor and the anchor's event."""
        errors = {}
        if self.window_days is not None and not self.window_anchor:
            errors["window_anchor"] = "Say what the window is relative to."
        if self.window_anchor and self.window_days is None:
            errors["window_days"] = "Say how many days the window spans."
        if self.window_days is not None and self.window_days < 1:
            errors["window_days"] = "A window spans at least one day ('within 1 day of launch')."
        if self.window_anchor == WindowAnchor.EVENT and not self.anchor_event_id:
            errors["anchor_event"] = "Choose the event the window is relative to."
        if self.window_anchor != WindowAnchor.EVENT and self.anchor_event_id:
            errors["anchor_event"] = "Only an 'event' anchor names an event."
        if self.window_anchor == WindowAnchor.LAUNCH and self.company_id:
            errors["window_anchor"] = "Only a product has a launch."
        return errors
