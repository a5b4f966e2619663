"""Events: what fits nowhere else, such as a summit, an endorsement, a launch or a plan."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import CheckConstraint, Q

from companies.models import Company, Person, Product
from factbase.core import constraints
from factbase.core.choices import DatePrecision
from factbase.core.codes import COUNTRY_CHOICES
from factbase.core.dates import format_partial_date
from factbase.core.models import FactModel, updated_index

from .history import HistoricalRecords


class EventKind(models.TextChoices):
    SUMMIT = "summit", "Summit or conference"
    ENDORSEMENT = "endorsement", "Endorsement"
    LAUNCH = "launch", "Launch"
    PLAN = "plan", "Plan or announcement"
    INTERVIEW = "interview", "Interview or statement"
    OTHER = "other", "Other"


class Event(FactModel):
    """What fits nowhere else: a summit, an endorsement, a launch, a plan."""

    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    summary = models.TextField(blank=True)
    occurred_on = models.DateField("date", null=True, blank=True)
    occurred_precision = models.CharField(max_length=8, choices=DatePrecision.choices, blank=True)
    ends_on = models.DateField(null=True, blank=True, help_text="For events of several days.")
    place = models.CharField(max_length=200, blank=True, help_text="City or venue.")
    country = models.CharField(max_length=2, choices=COUNTRY_CHOICES, blank=True)
    part_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parts",
        help_text="The larger event this happened at (a summit, a tour).",
    )
    companies = models.ManyToManyField(Company, blank=True, related_name="events")
    products = models.ManyToManyField(Product, blank=True, related_name="events")
    people = models.ManyToManyField(Person, blank=True, related_name="events")

    partial_dates = (("occurred_on", "occurred_precision"),)
    history = HistoricalRecords(m2m_fields=[companies, products, people])

    class Meta:
        ordering = ["-occurred_on", "title", "id"]
        indexes = [updated_index("event")]
        constraints = [
            constraints.precision_pair("event", "occurred_on", "occurred_precision"),
            constraints.not_before("event", "occurred_on", "ends_on"),
            constraints.country_code("event", "country"),
            CheckConstraint(condition=~Q(title=""), name="event_title_required"),
        ]

    def __str__(self):
        return self.title

    @property
    def occurred_display(self) -> str:
        return format_partial_date(self.occurred_on, self.occurred_precision)

    def clean(self):
        super().clean()
        if self.occurred_on and self.ends_on and self.ends_on < self.occurred_on:
            raise ValidationError({"ends_on": "An event cannot end before it starts."})
        if self.part_of_id and self.part_of_id == self.pk:
            raise ValidationError({"part_of": "An event cannot be part of itself."})
        if self.part_of_id and self.pk is not None and "part_of" not in self.unchanged_fields():
            self._check_not_within_itself()

    def _check_not_within_itself(self) -> None:
        """The larger event is not one of this event's own parts, at any depth: a summit
        part of one of its talks would make each contain the other."""
        seen, above = {self.pk}, self.part_of_id
        parents = type(self)._default_manager
        while above is not None:
            if above in seen:
                raise ValidationError(
                    {
                        "part_of": "That event is part of this one: an event cannot contain "
                        "the event it is part of."
                    }
                )
            seen.add(above)
            above = parents.filter(pk=above).values_list("part_of_id", flat=True).first()
