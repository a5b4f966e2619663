"""The kinds of record this app holds (see factbase.core.kinds)."""

from factbase.core.kinds import Kind, Seed

from .models import (
    Company,
    CompanyAlias,
    CompanyIdentifier,
    Person,
    PersonAlias,
    Platform,
    Product,
    ProductAlias,
    Role,
)
from .vocabulary import PLATFORMS

KINDS = (
    Kind(Company, "companies"),
    Kind(CompanyAlias, "company-aliases", endpoint=False, parent="company"),
    Kind(CompanyIdentifier, "company-identifiers", endpoint=False, parent="company"),
    Kind(Platform, "platforms", seed=Seed(("slug", "name"), tuple(PLATFORMS))),
    Kind(Product, "products"),
    Kind(ProductAlias, "product-aliases", endpoint=False, parent="product"),
    Kind(Person, "people"),
    Kind(PersonAlias, "person-aliases", endpoint=False, parent="person"),
    Kind(Role, "roles", endpoint=False, parent="person"),
)
