"""The kinds of record this app holds (see factbase.core.kinds)."""

from factbase.core.kinds import Kind, Seed

from .models import Company, CompanyAlias, CompanyIdentifier, Person, Platform, Product, Role
from .vocabulary import PLATFORMS

KINDS = (
    Kind(Company, "companies"),
    Kind(CompanyAlias, "company-aliases", endpoint=False, parent="company"),
    Kind(CompanyIdentifier, "company-identifiers", endpoint=False, parent="company"),
    Kind(Platform, "platforms", seed=Seed(("slug", "name"), tuple(PLATFORMS))),
    Kind(Product, "products"),
    Kind(Person, "people"),
    Kind(Role, "roles", endpoint=False, parent="person"),
)
