"""Reads: each returns the queryset, with its joins, that the API, the admin and the CSV
export start from."""

from django.db.models import Prefetch

from factbase.core.selectors import citations_prefetch

from .models import Company, Person, Platform, Product, Role


def company_list():
    return Company.objects.prefetch_related("aliases", "identifiers", citations_prefetch())


def product_list():
    return Product.objects.select_related("company").prefetch_related(
        "platforms", citations_prefetch()
    )


def person_list():
    roles = Prefetch("roles", queryset=Role.objects.select_related("company").order_by("id"))
    return Person.objects.prefetch_related(roles, citations_prefetch())


def platform_list():
    return Platform.objects.all()
