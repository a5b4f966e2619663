from rest_framework import serializers

from factbase.api.csv_lists import CsvItem
from factbase.api.fields import brief
from factbase.api.serializers import (
    AUDIT_FIELDS,
    FACT_FIELDS,
    ChildSerializer,
    FactSerializer,
    RecordSerializer,
)

from ..models import (
    Event,
    FundingRound,
    Investment,
    Metric,
    MetricType,
    Partnership,
    PartnershipParty,
)

QUANTITY_FIELDS = (
    "qualifier",
    "value",
    "value_high",
    "currency",
    "value_usd",
    "usd_rate",
    "usd_rate_on",
    "usd_rate_source",
)


class PartySerializer(ChildSerializer):
    class Meta:
        model = PartnershipParty
        fields = ("id", "company", "role")
        csv_item = CsvItem("company", detail="role")  # "mistral-ai (provider)"


class PartnershipSerializer(FactSerializer):
    parties = PartySerializer(many=True, required=False)

    class Meta:
        model = Partnership
        fields = (
            "id",
            "url",
            "title",
            "kind",
            "stage",
            "summary",
            "parties",
            "products",
            "announced_on",
            "announced_precision",
            "starts_on",
            "starts_precision",
            "starts_expected",
            "ends_on",
            "ends_precision",
            "ends_expected",
            *FACT_FIELDS,
            "citations",
            *AUDIT_FIELDS,
        )
        brief_fields = ("id", "url", "title")
        children = {"parties": "partnership"}


class RoundInvestmentSerializer(ChildSerializer):
    """An investor in a round, written with the round (the company is the round's)."""

    class Meta:
        model = Investment
        fields = ("id", "investor", "is_lead", *QUANTITY_FIELDS, "description", *FACT_FIELDS)
        # In a round's CSV: "general-catalyst (lead); lightspeed".
        csv_item = CsvItem("investor", detail="is_lead", flag="lead")


class FundingRoundSerializer(FactSerializer):
    investments = RoundInvestmentSerializer(many=True, required=False)

    class Meta:
        model = FundingRound
        fields = (
            "id",
            "url",
            "company",
            "round_type",
            "announced_on",
            "announced_precision",
            *QUANTITY_FIELDS,
            "valuation",
            "valuation_qualifier",
            "valuation_currency",
            "valuation_basis",
            "investments",
            *FACT_FIELDS,
            "citations",
            *AUDIT_FIELDS,
        )
        brief_fields = ("id", "url", "round_type")
        children = {"investments": "funding_round"}


class InvestmentSerializer(FactSerializer):
    class Meta:
        model = Investment
        fields = (
            "id",
            "url",
            "investor",
            "company",
            "funding_round",
            "is_lead",
            *QUANTITY_FIELDS,
            "description",
            *FACT_FIELDS,
            "citations",
            *AUDIT_FIELDS,
        )
        brief_fields = ("id", "url", "description")
        csv_relations = {"funding_round": ()}


class MetricTypeSerializer(RecordSerializer):
    class Meta:
        model = MetricType
        fields = ("id", "url", "slug", "name", "unit_kind", "description", *AUDIT_FIELDS)
        brief_fields = ("id", "url", "slug", "name", "unit_kind")


class MetricSerializer(FactSerializer):
    subject = serializers.SerializerMethodField(help_text="The company or product measured.")

    class Meta:
        model = Metric
        fields = (
            "id",
            "url",
            "subject",
            "company",
            "product",
            "metric_type",
            *QUANTITY_FIELDS,
            "unit",
            "period_start",
            "period_end",
            "period_precision",
            "period_until",
            "window_days",
            "window_anchor",
            "anchor_event",
            "region",
            "platform",
            *FACT_FIELDS,
            "citations",
            *AUDIT_FIELDS,
        )
        read_only_fields = ("unit", "period_until")
        # The amount whole: a range its high value, money its currency, and what it counts.
        brief_fields = ("id", "url", "value", "qualifier", "value_high", "currency", "unit")
        csv_relations = {"metric_type": ("slug",), "platform": ("slug",), "anchor_event": ()}

    def get_subject(self, obj) -> dict:
        subject = obj.company or obj.product
        return {"type": subject._meta.model_name, **brief(subject, self.context)}

    def row_subject(self, row, page) -> dict:
        name = "company" if row["company_id"] is not None else "product"
        model = Metric._meta.get_field(name).related_model
        return {"type": model._meta.model_name, **page.brief(model, row[f"{name}_id"])}


class EventSerializer(FactSerializer):
    class Meta:
        model = Event
        fields = (
            "id",
            "url",
            "title",
            "kind",
            "summary",
            "occurred_on",
            "occurred_precision",
            "ends_on",
            "place",
            "country",
            "part_of",
            "companies",
            "products",
            "people",
            *FACT_FIELDS,
            "citations",
            *AUDIT_FIELDS,
        )
        brief_fields = ("id", "url", "title")
        csv_relations = {"part_of": ()}
