import django_filters as df
from django.db.models import Exists, OuterRef

from factbase.codes import COUNTRY_CHOICES
from factbase.filters import (
    CharInFilter,
    ChoiceInFilter,
    FactFilterSet,
    RecordFilterSet,
    slug_or_id_filters,
)

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
    founded_after = df.DateFilter(field_name="founded_on", lookup_expr="gte")
    founded_before = df.DateFilter(field_name="founded_on", lookup_expr="lte")
    has_products = df.BooleanFilter(method="filter_has_products")
    has_partnerships = df.BooleanFilter(method="filter_has_partnerships")
    has_funding = df.BooleanFilter(method="filter_has_funding")

    search_fields = ("name", "slug", "aliases__name", "description")

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
    platform = CharInFilter(field_name="platforms__slug", lookup_expr="in", distinct=True)
    slug = CharInFilter(field_name="slug", lookup_expr="in")
    launched_after = df.DateFilter(field_name="launched_on", lookup_expr="gte")
    launched_before = df.DateFilter(field_name="launched_on", lookup_expr="lte")

    search_fields = ("name", "slug", "description", "company__name")

    class Meta:
        model = Product
        fields = []


class PersonFilterSet(FactFilterSet):
    slug = CharInFilter(field_name="slug", lookup_expr="in")
    company_id = df.NumberFilter(field_name="roles__company_id", distinct=True)
    company = df.CharFilter(field_name="roles__company__slug", distinct=True)

    search_fields = ("name", "slug", "description")

    class Meta:
        model = Person
        fields = []


class PlatformFilterSet(RecordFilterSet):
    slug = CharInFilter(field_name="slug", lookup_expr="in")

    search_fields = ("name", "slug")

    class Meta:
        model = Platform
        fields = []
