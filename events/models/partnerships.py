"""Partnerships between companies, and the part each company plays in one."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import CheckConstraint, Q, UniqueConstraint

from companies.models import Company, Product
from factbase.core import constraints
from factbase.core.choices import DatePrecision
from factbase.core.models import FactModel, TrackedModel, updated_index

from .history import HistoricalRecords


class PartnershipKind(models.TextChoices):
    COMMERCIAL = "commercial", "Commercial"
    TECHNOLOGY = "technology", "Technology"
    PUBLIC_SECTOR = "public_sector", "Public sector"
    DEFENCE = "defence", "Defence"
    RESEARCH = "research", "Research"
    OTHER = "other", "Other"


class PartnershipStage(models.TextChoices):
    ANNOUNCED = "announced", "Announced"
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


class Partnership(FactModel):
    title = models.CharField(
        max_length=300, help_text="'Mistral AI – Stellantis: in-car assistant'"
    )
    kind = models.CharField(max_length=16, choices=PartnershipKind.choices)
    stage = models.CharField(
        max_length=12, choices=PartnershipStage.choices, default=PartnershipStage.ANNOUNCED
    )
    summary = models.TextField(blank=True)
    announced_on = models.DateField(null=True, blank=True)
    announced_precision = models.CharField(max_length=8, choices=DatePrecision.choices, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    starts_precision = models.CharField(max_length=8, choices=DatePrecision.choices, blank=True)
    starts_expected = models.BooleanField(
        default=False, help_text="The start is expected, not yet reached: 'by the end of 2025'."
    )
    ends_on = models.DateField(null=True, blank=True)
    ends_precision = models.CharField(max_length=8, choices=DatePrecision.choices, blank=True)
    ends_expected = models.BooleanField(default=False)
    companies = models.ManyToManyField(
        Company, through="PartnershipParty", related_name="partnerships"
    )
    products = models.ManyToManyField(Product, blank=True, related_name="partnerships")

    partial_dates = (
        ("announced_on", "announced_precision"),
        ("starts_on", "starts_precision"),
        ("ends_on", "ends_precision"),
    )
    past_dates = ("announced_on",)
    history = HistoricalRecords(m2m_fields=[products])
    # The fewest rows a list may hold once written (services.record_write): a partnership
    # is between two companies or more.
    fewest_rows = {"parties": (2, "A partnership has two parties or more: name each one.")}

    class Meta:
        ordering = ["-announced_on", "title", "id"]
        indexes = [updated_index("partnership")]
        constraints = [
            constraints.precision_pair("partnership", "announced_on", "announced_precision"),
            constraints.precision_pair("partnership", "starts_on", "starts_precision"),
            constraints.precision_pair("partnership", "ends_on", "ends_precision"),
            constraints.not_before("partnership", "starts_on", "ends_on"),
            CheckConstraint(condition=~Q(title=""), name="partnership_title_required"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "A partnership cannot end before it starts."})


class PartyRole(models.TextChoices):
    PROVIDER = "provider", "Provider"
    CUSTOMER = "customer", "Customer"
    PARTNER = "partner", "Partner"
    INVESTOR = "investor", "Investor"
    OTHER = "other", "Other"


class PartnershipParty(TrackedModel):
    """A company taking part in a partnership, with its role."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="parties")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="party_to")
    role = models.CharField(max_length=12, choices=PartyRole.choices, default=PartyRole.PARTNER)

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "partnership parties"
        ordering = ["partnership_id", "id"]
        constraints = [
            UniqueConstraint(fields=["partnership", "company"], name="partnership_party_unique"),
        ]

    def __str__(self):
        return f"{self.company} ({self.get_role_display()})"
