import django_filters as df
from django.db.models import Exists, OuterRef

from factbase.api.filters import (
    BooleanFilter,
    CharInFilter,
    ChoiceInFilter,
    FactFilterSet,
    NumberInFilter,
    PartialDateAfterFilter,
    RecordFilterSet,
    RefsFilter,
    slug_or_id_filters,
)
from factbase.core.codes import COUNTRY_CHOICES

from .models import Audience, Company, CompanyKind, Person, Platform, Product, ProductKind


def _exists(relation):
    def method(self, queryset, name, value):
        model = queryset.model._meta.get_field(relation).related_model
        field = queryset.model._meta.get_field(relation).field.name
        related = Exists(model.objects.filter(**{field: OuterRef("pk")}))
        return queryset.filter(related if value else ~related)

    return method


class CompanyFilterSet(FactFilterSet):
    kind = ChoiceInFilter(choices=CompanyKind.choices)
    country = ChoiceInFilter(choices=COUNTRY_CHOICES)
    slug = CharInFilter(field_name="slug", lookup_expr="in")
    founded_after = PartialDateAfterFilter(field_name="founded_on")
    founded_before = df.DateFilter(field_name="founded_on", lookup_expr="lte")
    has_products = BooleanFilter(method="filter_has_products")
    has_partnerships = BooleanFilter(method="filter_has_partnerships")
    has_funding = BooleanFilter(method="filter_has_funding")

    search_fields = ("name", "slug", "aliases__name", "description")
    search_names = ("name",)

    filter_has_products = _exists("products")
    filter_has_partnerships = _exists("party_to")
    filter_has_funding = _exists("funding_rounds")

    class Meta:
        model = Company
        fields = []


class ProductFilterSet(FactFilterSet):
    company_id, company = slug_or_id_filters("company", "company")
    kind = ChoiceInFilter(choices=ProductKind.choices)
    audience = ChoiceInFilter(choices=Audience.choices)
    platform = RefsFilter("platforms", label="platform slugs or ids")
    slug = CharInFilter(field_name="slug", lookup_expr="in")
    launched_after = PartialDateAfterFilter(field_name="launched_on")
    launched_before = df.DateFilter(field_name="launched_on", lookup_expr="lte")

    search_fields = ("name", "slug", "aliases__name", "description", "company__name")
    search_names = ("name",)

    class Meta:
        model = Product
        fields = []


class PersonFilterSet(FactFilterSet):
    slug = CharInFilter(field_name="slug", lookup_expr="in")
    company_id = NumberInFilter(field_name="roles__company_id", lookup_expr="in", distinct=True)
    company = RefsFilter("roles__company", label="company slugs or ids (any role)")

    search_fields = ("name", "slug", "aliases__name", "description")
    search_names = ("name",)

    class Meta:
        model = Person
        fields = []


class PlatformFilterSet(RecordFilterSet):
    slug = CharInFilter(field_name="slug", lookup_expr="in")

    search_fields = ("name", "slug")
    search_names = ("name",)

    class Meta:
        model = Platform
        fields = []
