"""Records entered twice, with every kind of row that can refer to each of them, written
through the services (so that each has its history), and the helpers the merge tests
share: the API's JSON of a record, the rows referring to a record by relation."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from companies.models import (
    Company,
    CompanyAlias,
    CompanyIdentifier,
    Person,
    PersonAlias,
    Product,
    ProductAlias,
    Role,
)
from events.models import (
    Event,
    FundingRound,
    Investment,
    Metric,
    MetricType,
    Partnership,
    PartnershipParty,
)
from factbase.core.models import Citation, Source
from factbase.core.services import record_save, record_write
from factbase.core.services.merging import relations

from ..factories import ARTICLE

API = "/api/v1/"
SETUP = "entered from the article"
# What every write changes about a record without changing what it says.
STAMPS = {"version", "updated_at", "updated_by"}


def save(record, user=None):
    return record_save(record, user=user, reason=SETUP)


def cite(fact, source, quote="Acme Robotics said on Monday", user=None, **extra):
    return save(Citation(fact=fact, source=source, quote=quote, **extra), user=user)


def company(name, slug, **extra):
    return save(Company(name=name, slug=slug, kind="technology", country="FR", **extra))


def person(name, slug, **extra):
    return save(Person(name=name, slug=slug, **extra))


def product(name, slug, owner, **extra):
    return save(Product(name=name, slug=slug, company=owner, kind="assistant_app", **extra))


def metric(**subject):
    downloads = MetricType.objects.get(slug="downloads")
    return save(
        Metric(metric_type=downloads, value=Decimal("2000000"), qualifier="at_least", **subject)
    )


def event(title, **lists):
    return record_write(Event(title=title, kind="summit"), fields={}, m2m=lists, reason=SETUP)


def partnership(title, companies=(), products=()):
    found = save(Partnership(title=title, kind="commercial"))
    for party in companies:
        save(PartnershipParty(partnership=found, company=party))
    if products:
        record_write(found, fields={}, m2m={"products": list(products)}, reason=SETUP)
    return found


@dataclass
class World:
    source: Source
    keep: Company
    merge: Company
    other: Company
    keep_person: Person
    merge_person: Person
    keep_product: Product
    merge_product: Product
    rows: list  # every record a merge touches, for comparing their JSON


@pytest.fixture
def world(db) -> World:
    """Acme Robotics entered twice (the second as "ACME Robotics SAS"), one person twice,
    one product twice; each duplicate has a row of every relation that can refer to it."""
    source = save(
        Source(
            title="Acme news",
            publisher="Example News",
            language="en",
            kind="news_article",
            text=ARTICLE,
        )
    )
    keep = company("Acme Robotics", "acme-robotics")
    merge = company("ACME Robotics SAS", "acme-robotics-sas", website="https://acme.example")
    other = company("Globex", "globex")
    save(CompanyAlias(company=keep, name="Acme"))
    save(CompanyAlias(company=merge, name="ACME"))  # the kept one has it: dropped
    save(CompanyAlias(company=merge, name="Acme Robotics Group"))
    save(CompanyIdentifier(company=merge, scheme="wikidata", value="Q4200"))
    cite(keep, source)
    cite(merge, source)  # the kept one cites the same words: dropped
    cite(merge, source, quote="its assistant reached two million users")

    keep_person = person("Jane Roe", "jane-roe")
    merge_person = person("Jane A. Roe", "jane-a-roe")
    save(PersonAlias(person=merge_person, name="J. Roe"))
    cite(merge_person, source, quote="The company also announced")

    keep_product = product("Acme Assistant", "acme-assistant", keep)
    merge_product = product("Acme Assistant (app)", "acme-assistant-app", merge)
    save(ProductAlias(product=merge_product, name="Acme Chat"))
    cite(merge_product, source, quote="its assistant")

    save(Role(person=merge_person, company=merge, title="CTO"))
    save(Role(person=keep_person, company=keep, title="CEO"))
    seed = save(
        FundingRound(
            company=merge,
            round_type="seed",
            value=Decimal("5000000"),
            qualifier="exact",
            currency="EUR",
        )
    )
    fund = save(Company(name="Fund One", slug="fund-one", kind="investor"))
    received = save(Investment(investor=fund, company=merge, funding_round=seed))
    made = save(Investment(investor=merge, company=other))
    company_metric = metric(company=merge)
    product_metric = metric(product=merge_product)
    quoted = cite(company_metric, source, quote="two million users", attributed_to=merge_person)
    deal = partnership("Acme – Globex", companies=[merge, other], products=[merge_product])
    summit = event("AI summit", companies=[merge], people=[merge_person], products=[merge_product])
    both = event("Robotics fair", companies=[keep, merge])
    # A role has no page of its own: its person's shows it.
    rows = [
        keep,
        merge,
        keep_person,
        merge_person,
        keep_product,
        merge_product,
        seed,
        received,
        made,
        company_metric,
        product_metric,
        quoted,
        deal,
        summit,
        both,
    ]
    return World(
        source, keep, merge, other, keep_person, merge_person, keep_product, merge_product, rows
    )


def referring(model, pk) -> dict[str, int]:
    """How many rows refer to record `pk` of `model`, by relation (every relation the
    models declare: a relation added later is counted too)."""
    counts = {}
    for relation in relations(model):
        manager = relation.model._default_manager
        if relation.link == "generic":
            content_type = ContentType.objects.get_for_model(model)
            found = manager.filter(**{relation.ct_field: content_type, relation.field: pk})
        else:
            found = manager.filter(**{relation.field: pk})
        counts[relation.key] = found.count()
    return counts


def strip_stamps(data):
    """A record's JSON without what every write changes (its version, when and by whom)."""
    if isinstance(data, dict):
        return {key: strip_stamps(value) for key, value in data.items() if key not in STAMPS}
    if isinstance(data, list):
        return [strip_stamps(item) for item in data]
    return data


def record_json(client, record) -> dict:
    from factbase.core.kinds import kind_of

    response = client.get(f"{API}{kind_of(type(record)).name}/{record.pk}/")
    assert response.status_code == 200, (record, response.status_code)
    return strip_stamps(response.json())


def history_reasons(record) -> list[str]:
    return list(
        type(record)
        .history.filter(id=record.pk)
        .order_by("-history_date", "-history_id")
        .values_list("history_change_reason", flat=True)
    )
