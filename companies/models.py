"""Companies, their products, the people who run them, and the roles that link them."""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import CheckConstraint, Q, UniqueConstraint

from factbase.core import constraints
from factbase.core.aliases import AliasRules
from factbase.core.choices import DatePrecision
from factbase.core.codes import COUNTRY_CHOICES
from factbase.core.dates import format_partial_date
from factbase.core.feed import HistoricalRecords
from factbase.core.models import FactModel, TrackedModel, updated_index


class CompanyKind(models.TextChoices):
    AI_LAB = "ai_lab", "AI lab"
    TECHNOLOGY = "technology", "Technology company"
    ENTERPRISE = "enterprise", "Enterprise"
    PUBLIC_AGENCY = "public_agency", "Public agency"
    INVESTOR = "investor", "Investor"
    OTHER = "other", "Other"


class Company(FactModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=CompanyKind.choices)
    country = models.CharField(
        max_length=2, choices=COUNTRY_CHOICES, blank=True, help_text="ISO 3166-1 alpha-2"
    )
    headquarters = models.CharField("headquarters city", max_length=200, blank=True)
    founded_on = models.DateField(null=True, blank=True)
    founded_precision = models.CharField(max_length=8, choices=DatePrecision.choices, blank=True)
    website = models.URLField(max_length=500, blank=True)
    description = models.TextField(blank=True)

    partial_dates = (("founded_on", "founded_precision"),)
    past_dates = ("founded_on",)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name", "id"]
        indexes = [updated_index("company")]
        constraints = [
            constraints.country_code("company", "country"),
            constraints.precision_pair("company", "founded_on", "founded_precision"),
            CheckConstraint(condition=~Q(name=""), name="company_name_required"),
        ]

    def __str__(self):
        return self.name

    @property
    def founded_display(self) -> str:
        return format_partial_date(self.founded_on, self.founded_precision)


class CompanyAlias(AliasRules, TrackedModel):
    """Another spelling of a company's name ("Mistral" for "Mistral AI")."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "company aliases"
        ordering = ["company_id", "name", "id"]
        constraints = [
            UniqueConstraint(fields=["company", "name"], name="company_alias_unique"),
            CheckConstraint(condition=~Q(name=""), name="company_alias_name_required"),
        ]

    def __str__(self):
        return self.name


def check_wikidata_id(value: str) -> None:
    """A Wikidata item's id: Q and its number, in ASCII digits without a leading zero."""
    if not re.fullmatch(r"Q[1-9][0-9]*", value):
        raise ValidationError("A Wikidata id looks like Q123456.", code="wikidata_id")


class IdentifierScheme(models.TextChoices):
    WIKIDATA = "wikidata", "Wikidata"
    LEI = "lei", "Legal Entity Identifier"
    OPENCORPORATES = "opencorporates", "OpenCorporates"
    CRUNCHBASE = "crunchbase", "Crunchbase"
    OTHER = "other", "Other"


class CompanyIdentifier(TrackedModel):
    """The company's id in another register: Wikidata Q-id, LEI..."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(max_length=16, choices=IdentifierScheme.choices)
    value = models.CharField(max_length=200)

    history = HistoricalRecords()

    class Meta:
        ordering = ["company_id", "scheme", "id"]
        constraints = [
            # One register id names one company.
            UniqueConstraint(fields=["scheme", "value"], name="company_identifier_unique"),
            CheckConstraint(condition=~Q(value=""), name="company_identifier_value_required"),
        ]

    def __str__(self):
        return f"{self.get_scheme_display()}: {self.value}"

    def clean(self):
        super().clean()
        if self.scheme == IdentifierScheme.WIKIDATA and self.value:
            try:
                check_wikidata_id(self.value)
            except ValidationError as error:
                raise ValidationError({"value": error.messages}) from None


class Platform(TrackedModel):
    """Where a product runs or a metric was counted: iOS, Android, web..."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class ProductKind(models.TextChoices):
    ASSISTANT_APP = "assistant_app", "Assistant app"
    MODEL = "model", "Model"
    API = "api", "API"
    PLATFORM = "platform", "Platform"
    OTHER = "other", "Other"


class Audience(models.TextChoices):
    CONSUMERS = "consumers", "Consumers"
    BUSINESSES = "businesses", "Businesses"
    CONSUMERS_AND_BUSINESSES = "consumers_and_businesses", "Consumers and businesses"


class Product(FactModel):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=ProductKind.choices)
    audience = models.CharField(max_length=32, choices=Audience.choices, blank=True)
    launched_on = models.DateField(null=True, blank=True)
    launched_precision = models.CharField(max_length=8, choices=DatePrecision.choices, blank=True)
    platforms = models.ManyToManyField(Platform, blank=True, related_name="products")
    description = models.TextField(blank=True)

    partial_dates = (("launched_on", "launched_precision"),)
    history = HistoricalRecords(m2m_fields=[platforms])

    class Meta:
        ordering = ["name", "id"]
        indexes = [updated_index("product")]
        constraints = [
            constraints.precision_pair("product", "launched_on", "launched_precision"),
            CheckConstraint(condition=~Q(name=""), name="product_name_required"),
        ]

    def __str__(self):
        return self.name

    @property
    def launched_display(self) -> str:
        return format_partial_date(self.launched_on, self.launched_precision)


class ProductAlias(AliasRules, TrackedModel):
    """Another name of a product ("Le Chat" for "Le Chat Pro"), kept too when a duplicate
    product is merged into it."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "product aliases"
        ordering = ["product_id", "name", "id"]
        constraints = [
            UniqueConstraint(fields=["product", "name"], name="product_alias_unique"),
            CheckConstraint(condition=~Q(name=""), name="product_alias_name_required"),
        ]

    def __str__(self):
        return self.name


class Person(FactModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.CharField(
        max_length=500, blank=True, help_text="Who they are, in a line: 'President of France'."
    )
    wikidata_id = models.CharField(
        "Wikidata id", max_length=20, blank=True, validators=[check_wikidata_id]
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "people"
        ordering = ["name", "id"]
        indexes = [updated_index("person")]
        constraints = [CheckConstraint(condition=~Q(name=""), name="person_name_required")]

    def __str__(self):
        return self.name


class PersonAlias(AliasRules, TrackedModel):
    """Another spelling of a person's name ("Arthur Mensch" for "Arthur Mensch-Dupont"),
    kept too when a duplicate person is merged into them."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "person aliases"
        ordering = ["person_id", "name", "id"]
        constraints = [
            UniqueConstraint(fields=["person", "name"], name="person_alias_unique"),
            CheckConstraint(condition=~Q(name=""), name="person_alias_name_required"),
        ]

    def __str__(self):
        return self.name


class Role(FactModel):
    """A person's position at a company: "co-founder and CEO of Mistral AI"."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="roles")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="roles")
    title = models.CharField(max_length=200)
    started_on = models.DateField(null=True, blank=True)
    started_precision = models.CharField(max_length=8, choices=DatePrecision.choices, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    ended_precision = models.CharField(max_length=8, choices=DatePrecision.choices, blank=True)

    partial_dates = (("started_on", "started_precision"), ("ended_on", "ended_precision"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["company_id", "person_id", "id"]
        indexes = [updated_index("role")]
        constraints = [
            constraints.precision_pair("role", "started_on", "started_precision"),
            constraints.precision_pair("role", "ended_on", "ended_precision"),
            constraints.not_before("role", "started_on", "ended_on"),
            CheckConstraint(condition=~Q(title=""), name="role_title_required"),
        ]

    def __str__(self):
        return f"{self.person}, {self.title}, {self.company}"

    def clean(self):
        super().clean()
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            raise ValidationError({"ended_on": "A role cannot end before it starts."})
