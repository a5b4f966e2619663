from factbase.api.csv_lists import CsvItem
from factbase.api.serializers import (
    AUDIT_FIELDS,
    FACT_FIELDS,
    ChildSerializer,
    FactSerializer,
    RecordSerializer,
)

from ..models import (
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


class CompanyAliasSerializer(ChildSerializer):
    class Meta:
        model = CompanyAlias
        fields = ("id", "name")
        csv_item = CsvItem("name")  # in a company's CSV: "Mistral; Mistral AI SAS"


class CompanyIdentifierSerializer(ChildSerializer):
    class Meta:
        model = CompanyIdentifier
        fields = ("id", "scheme", "value")
        csv_item = CsvItem("value", detail="scheme")  # "Q116898962 (wikidata)"


class CompanySerializer(FactSerializer):
    aliases = CompanyAliasSerializer(many=True, required=False)
    identifiers = CompanyIdentifierSerializer(many=True, required=False)

    class Meta:
        model = Company
        fields = (
            "id",
            "url",
            "name",
            "slug",
            "aliases",
            "kind",
            "country",
            "headquarters",
            "founded_on",
            "founded_precision",
            "website",
            "description",
            "identifiers",
            *FACT_FIELDS,
            "citations",
            *AUDIT_FIELDS,
        )
        brief_fields = ("id", "url", "name", "slug")
        children = {"aliases": "company", "identifiers": "company"}


class PlatformSerializer(RecordSerializer):
    class Meta:
        model = Platform
        fields = ("id", "url", "slug", "name", *AUDIT_FIELDS)
        brief_fields = ("id", "url", "slug", "name")


class ProductAliasSerializer(ChildSerializer):
    class Meta:
        model = ProductAlias
        fields = ("id", "name")
        csv_item = CsvItem("name")


class ProductSerializer(FactSerializer):
    aliases = ProductAliasSerializer(many=True, required=False)

    class Meta:
        model = Product
        fields = (
            "id",
            "url",
            "name",
            "slug",
            "aliases",
            "company",
            "kind",
            "audience",
            "launched_on",
            "launched_precision",
            "platforms",
            "description",
            *FACT_FIELDS,
            "citations",
            *AUDIT_FIELDS,
        )
        brief_fields = ("id", "url", "name", "slug")
        children = {"aliases": "product"}


class RoleSerializer(ChildSerializer):
    class Meta:
        model = Role
        fields = (
            "id",
            "company",
            "title",
            "started_on",
            "started_precision",
            "ended_on",
            "ended_precision",
            *FACT_FIELDS,
        )
        csv_item = CsvItem("company", detail="title")  # in a person's CSV: "mistral-ai (CEO)"


class PersonAliasSerializer(ChildSerializer):
    class Meta:
        model = PersonAlias
        fields = ("id", "name")
        csv_item = CsvItem("name")


class PersonSerializer(FactSerializer):
    aliases = PersonAliasSerializer(many=True, required=False)
    roles = RoleSerializer(many=True, required=False)

    class Meta:
        model = Person
        fields = (
            "id",
            "url",
            "name",
            "slug",
            "aliases",
            "description",
            "wikidata_id",
            "roles",
            *FACT_FIELDS,
            "citations",
            *AUDIT_FIELDS,
        )
        brief_fields = ("id", "url", "name", "slug")
        children = {"aliases": "person", "roles": "person"}
