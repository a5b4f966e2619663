"""The kinds of record this app holds (see factbase.kinds)."""

from factbase.kinds import Kind

from .models import Company, CompanyAlias, CompanyIdentifier, Person, Platform, Product, Role

KINDS = (
    Kind(Company, "companies"),
    Kind(CompanyAlias, "company-aliases", endpoint=False, parent="company"),
    Kind(CompanyIdentifier, "company-identifiers", endpoint=False, parent="company"),
    Kind(Platform, "platforms"),
    Kind(Product, "products"),
    Kind(Person, "people"),
    Kind(Role, "roles", endpoint=False, parent="person"),
)
