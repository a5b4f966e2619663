"""factory-boy factories. They build valid records; tests save them through the services
(`save(...)` in conftest) or with `Factory.create()` where history does not matter."""

import datetime
import hashlib
from decimal import Decimal

import factory

from companies.models import Company, Person, Platform, Product, Role
from events.models import Event, FundingRound, Investment, Metric, MetricType, Partnership
from factbase.core.models import Citation, Source

ARTICLE = (
    "Acme Robotics said on Monday that its assistant reached two million users. "
    "The company also announced a partnership with Globex."
)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    title = factory.Sequence(lambda n: f"Article {n}")
    publisher = "Example News"
    language = "en"
    kind = "news_article"
    published_on = datetime.date(2025, 2, 11)
    published_precision = "day"
    text = ARTICLE
    text_sha256 = factory.LazyAttribute(
        lambda o: hashlib.sha256(o.text.encode()).hexdigest() if o.text else ""
    )


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")
    kind = "technology"
    country = "FR"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Person {n}")
    slug = factory.Sequence(lambda n: f"person-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    kind = "assistant_app"


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    person = factory.SubFactory(PersonFactory)
    company = factory.SubFactory(CompanyFactory)
    title = "CEO"


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partnership

    title = factory.Sequence(lambda n: f"Partnership {n}")
    kind = "commercial"


class FundingRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingRound

    company = factory.SubFactory(CompanyFactory)
    round_type = "series_a"
    value = Decimal("1000000")
    qualifier = "exact"
    currency = "EUR"


class InvestmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Investment

    investor = factory.SubFactory(CompanyFactory, kind="investor")
    company = factory.SubFactory(CompanyFactory)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"Event {n}")
    kind = "summit"


class MetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Metric

    metric_type = factory.LazyFunction(lambda: MetricType.objects.get(slug="downloads"))
    unit = factory.LazyAttribute(lambda o: o.metric_type.unit_kind)
    company = factory.SubFactory(CompanyFactory)
    value = Decimal("1000")
    qualifier = "exact"


class CitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citation

    source = factory.SubFactory(SourceFactory)
    fact = factory.SubFactory(CompanyFactory)
    quote = "Acme Robotics said on Monday"
    char_start = 0
    char_end = 28


def platform(slug: str) -> Platform:
    return Platform.objects.get(slug=slug)


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform

    slug = factory.Sequence(lambda n: f"platform-{n}")
    name = factory.Sequence(lambda n: f"Platform {n}")


class MetricTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MetricType

    slug = factory.Sequence(lambda n: f"metric-type-{n}")
    name = factory.Sequence(lambda n: f"Metric type {n}")
    unit_kind = "count"


class CompanyAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "companies.CompanyAlias"

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Alias {n}")


class ProductAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "companies.ProductAlias"

    product = factory.SubFactory("tests.factories.ProductFactory")
    name = factory.Sequence(lambda n: f"Product alias {n}")


class PersonAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "companies.PersonAlias"

    person = factory.SubFactory("tests.factories.PersonFactory")
    name = factory.Sequence(lambda n: f"Person alias {n}")


class CompanyIdentifierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "companies.CompanyIdentifier"

    company = factory.SubFactory(CompanyFactory)
    scheme = "wikidata"
    value = factory.Sequence(lambda n: f"Q{1000 + n}")


class PartnershipPartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "events.PartnershipParty"

    partnership = factory.SubFactory(PartnershipFactory)
    company = factory.SubFactory(CompanyFactory)
    role = "partner"


def downloads_claim(product, qualifier, value, *, user=None, reason="") -> Metric:
    """A claim of a product's downloads in France on iOS in February 2025, saved through the
    services: two of them with incompatible values conflict."""
    from factbase.core.services import record_save

    return record_save(
        Metric(
            metric_type=MetricType.objects.get(slug="downloads"),
            product=product,
            qualifier=qualifier,
            value=Decimal(value),
            region="FR",
            platform=platform("ios"),
            period_start=datetime.date(2025, 2, 1),
            period_precision="month",
        ),
        user=user,
        reason=reason,
    )
