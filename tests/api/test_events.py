"""Partnerships, funding, metrics and events through the API."""

import datetime
import json
from decimal import Decimal

import pytest

from events.models import Investment, MetricType, PartnershipParty

from ..factories import (
    CompanyFactory,
    EventFactory,
    FundingRoundFactory,
    InvestmentFactory,
    MetricFactory,
    MetricTypeFactory,
    PartnershipFactory,
    PartnershipPartyFactory,
    PersonFactory,
    ProductFactory,
    platform,
)
from .base import (
    REASON,
    FactRecordTests,
    RecordTests,
    SlugTests,
    assert_history,
    error_paths,
    results,
    row_counts,
)

pytestmark = pytest.mark.django_db


class TestPartnerships(FactRecordTests):
    path = "partnerships"
    factory = PartnershipFactory
    brief_fields = ("id", "url", "title")
    required = ("title", "kind")

    def enrich(self, obj, user):
        for role in ("provider", "customer"):
            company = self.shared(role, CompanyFactory)
            PartnershipPartyFactory(partnership=obj, company=company, role=role, created_by=user)
        obj.products.add(self.shared("product", ProductFactory))

    def create_data(self):
        provider, customer = CompanyFactory(), CompanyFactory()
        return {
            "title": "Mistral AI – Stellantis: in-car assistant",
            "kind": "commercial",
            "stage": "announced",
            "summary": "An assistant in Stellantis cars.",
            "parties": [
                {"company": provider.slug, "role": "provider"},
                {"company": {"id": customer.pk}, "role": "customer"},
            ],
            "products": [ProductFactory(company=provider).slug],
            "announced_on": "2025-02-07",
            "announced_precision": "day",
            "starts_on": "2025-01-01",
            "starts_precision": "year",
            "starts_expected": True,
        }

    def update_data(self, obj):
        return {
            "title": "Renamed partnership",
            "kind": "research",
            "stage": "ended",
            "summary": "",
            "parties": [
                {"company": CompanyFactory().pk, "role": "partner"},
                {"company": CompanyFactory().pk, "role": "partner"},
            ],
            "products": [],
            "announced_on": "2024-01-01",
            "announced_precision": "year",
            "starts_on": "2024-03-01",
            "starts_precision": "month",
            "starts_expected": False,
            "ends_on": "2024-12-31",
            "ends_precision": "day",
            "ends_expected": False,
            "status": "disputed",
            "confidence": "low",
            "claim_type": "speculation",
            "note": "Denied by one party.",
        }


class TestFundingRounds(FactRecordTests):
    path = "funding-rounds"
    factory = FundingRoundFactory
    brief_fields = ("id", "url", "round_type")
    required = ("company", "round_type")

    def enrich(self, obj, user):
        lead, other = self.shared("lead", CompanyFactory), self.shared("other", CompanyFactory)
        InvestmentFactory(investor=lead, company=obj.company, funding_round=obj, is_lead=True)
        InvestmentFactory(investor=other, company=obj.company, funding_round=obj, created_by=user)

    def create_data(self):
        company = CompanyFactory()
        lead, other = CompanyFactory(kind="investor"), CompanyFactory(kind="investor")
        return {
            "company": company.slug,
            "round_type": "series_b",
            "announced_on": "2024-06-11",
            "announced_precision": "day",
            "qualifier": "exact",
            "value": "600000000",
            "currency": "EUR",
            "valuation": "5800000000.50",
            "valuation_qualifier": "approximate",
            "valuation_currency": "EUR",
            "valuation_basis": "post",
            "investments": [
                {"investor": lead.slug, "is_lead": True},
                {
                    "investor": other.pk,
                    "qualifier": "approximate",
                    "value": "15000000",
                    "currency": "EUR",
                },
            ],
        }

    def update_data(self, obj):
        return {
            "company": obj.company.pk,
            "round_type": "seed",
            "announced_on": "2023-06-01",
            "announced_precision": "month",
            "qualifier": "range",
            "value": "100",
            "value_high": "200.25",
            "currency": "USD",
            "valuation": None,
            "investments": [],
        }


class TestInvestments(FactRecordTests):
    path = "investments"
    factory = InvestmentFactory
    brief_fields = ("id", "url", "description")
    required = ("investor", "company")

    def enrich(self, obj, user):
        obj.funding_round = FundingRoundFactory(company=obj.company)
        obj.save()

    def create_data(self):
        funding_round = FundingRoundFactory()
        return {
            "investor": CompanyFactory(kind="investor").slug,
            "company": funding_round.company.slug,
            "funding_round": funding_round.pk,
            "is_lead": True,
            "qualifier": "at_least",
            "value": "15000000",
            "currency": "EUR",
            "value_usd": "16350000",
            "usd_rate": "1.09",
            "usd_rate_on": "2024-06-11",
            "usd_rate_source": "ECB reference rate",
            "description": "Led the round.",
        }

    def update_data(self, obj):
        return {
            "investor": obj.investor.pk,
            "company": obj.company.pk,
            "funding_round": None,
            "is_lead": False,
            "qualifier": "",
            "value": None,
            "currency": "",
            "description": "One of the first investors.",
        }


class TestMetricTypes(RecordTests, SlugTests):
    path = "metric-types"
    factory = MetricTypeFactory
    brief_fields = ("id", "url", "slug", "name", "unit_kind")
    required = ("slug", "name", "unit_kind")
    tie = ("name", "Same name")

    def create_data(self):
        return {
            "slug": "monthly-visits",
            "name": "Monthly visits",
            "unit_kind": "count",
            "description": "Web visits in a month.",
        }

    def update_data(self, obj):
        return {"slug": obj.slug, "name": "Renamed", "unit_kind": "percent", "description": ""}

    def patch_data(self, obj):
        return {"description": "What it counts."}


class TestMetrics(FactRecordTests):
    path = "metrics"
    factory = MetricFactory
    brief_fields = ("id", "url", "value", "qualifier", "value_high", "currency", "unit")
    required = ("metric_type", "value", "qualifier")

    def test_a_brief_gives_the_amount_whole(self, anon_api):
        """A range with its high value, money with its currency: a brief metric that gave
        the low value alone read as a single number, of no currency."""
        metric = self.make(
            metric_type=MetricType.objects.get(slug="revenue-target"),
            qualifier="range",
            value=Decimal("10000000"),
            value_high=Decimal("20000000"),
            currency="EUR",
        )
        expected = {
            "id": metric.pk,
            "url": f"http://testserver/api/v1/metrics/{metric.pk}/",
            "qualifier": "range",
            "value": "10000000",
            "value_high": "20000000",
            "currency": "EUR",
            "unit": "money",
        }
        assert results(anon_api.get(self.url(query=f"brief=1&id={metric.pk}"))) == [expected]
        assert anon_api.get(self.url(metric, query="brief=1")).json() == expected

    def make(self, **kwargs):
        kwargs.setdefault("period_start", datetime.date(2025, 2, 1))
        kwargs.setdefault("period_precision", "month")
        kwargs.setdefault("period_until", datetime.date(2025, 2, 28))
        return self.factory(**kwargs)

    def enrich(self, obj, user):
        obj.company = None
        obj.product = self.shared("product", ProductFactory)
        obj.platform = platform("ios")
        obj.window_days, obj.window_anchor = 14, "event"
        obj.anchor_event = self.shared("event", EventFactory)
        obj.save()

    def create_data(self):
        return {
            "product": ProductFactory().slug,
            "metric_type": "downloads",
            "qualifier": "at_least",
            "value": "1000000",
            "period_start": "2025-02-01",
            "period_precision": "month",
            "window_days": 14,
            "window_anchor": "launch",
            "region": "FR",
            "platform": "ios",
            "claim_type": "reported",
        }

    def update_data(self, obj):
        return {
            "company": obj.company.slug,
            "product": None,
            "metric_type": "revenue-target",
            "qualifier": "exact",
            "value": "500000000",
            "currency": "EUR",
            "period_start": "2025-01-01",
            "period_end": None,
            "period_precision": "year",
            "region": "001",
            "platform": None,
            "claim_type": "target",
        }


class TestEvents(FactRecordTests):
    path = "events"
    factory = EventFactory
    brief_fields = ("id", "url", "title")
    required = ("title", "kind")

    def enrich(self, obj, user):
        obj.part_of = self.shared("summit", EventFactory)
        obj.save()
        obj.companies.add(self.shared("company", CompanyFactory))
        obj.products.add(self.shared("product", ProductFactory))
        obj.people.add(self.shared("person", PersonFactory))

    def create_data(self):
        return {
            "title": "AI Action Summit",
            "kind": "summit",
            "summary": "Heads of state and companies in Paris.",
            "occurred_on": "2025-02-10",
            "occurred_precision": "day",
            "ends_on": "2025-02-11",
            "place": "Grand Palais, Paris",
            "country": "FR",
            "part_of": EventFactory().pk,
            "companies": [CompanyFactory().slug, CompanyFactory().pk],
            "products": [ProductFactory().pk],
            "people": [PersonFactory().slug],
        }

    def update_data(self, obj):
        return {
            "title": "Renamed event",
            "kind": "plan",
            "summary": "",
            "occurred_on": "2025-01-01",
            "occurred_precision": "quarter",
            "ends_on": None,
            "place": "",
            "country": "",
            "part_of": None,
            "companies": [],
            "products": [],
            "people": [PersonFactory().pk],
        }


# --- metrics ---------------------------------------------------------------------------------


def test_a_metric_answers_with_its_subject_unit_and_period(editor_api):
    response = editor_api.post("/api/v1/metrics/", TestMetrics().create_data(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["subject"]["type"] == "product"
    assert body["subject"]["slug"] == body["product"]["slug"]
    assert body["unit"] == "count"
    assert body["period_until"] == "2025-02-28"
    assert body["value"] == "1000000"
    assert body["metric_type"]["slug"] == "downloads"


@pytest.mark.parametrize(
    "change, paths",
    [
        ({"product": None}, {"company"}),
        ({"company": "company-x"}, {"company"}),
        ({"metric_type": "revenue"}, {"currency"}),
        ({"value": "-5"}, {"value"}),
        ({"value": "lots"}, {"value"}),
        ({"period_start": "2025-02-31"}, {"period_start"}),
        ({"period_precision": ""}, {"period_precision"}),
        ({"region": "XX"}, {"region"}),
        ({"window_anchor": ""}, {"window_anchor"}),
        ({"unit": "rank", "period_until": "2025-01-01"}, {"unit", "period_until"}),
    ],
    ids=str,
)
def test_an_invalid_metric_is_refused_naming_the_field(editor_api, change, paths):
    CompanyFactory(slug="company-x")
    data = {**TestMetrics().create_data(), **change}
    before = row_counts()
    response = editor_api.post("/api/v1/metrics/", data, format="json")
    assert response.status_code == 400, response.json()
    assert error_paths(response.json()) >= paths
    assert row_counts() == before


def test_a_metric_about_both_a_company_and_a_product_is_refused(editor_api):
    data = {**TestMetrics().create_data(), "company": CompanyFactory().pk}
    before = row_counts()
    response = editor_api.post("/api/v1/metrics/", data, format="json")
    assert response.status_code == 400
    assert "company" in error_paths(response.json())
    assert row_counts() == before


# --- partnerships and funding rounds with their rows -----------------------------------------


def test_partnership_with_bad_parties_writes_nothing(editor_api):
    company = CompanyFactory()
    data = {
        **TestPartnerships().create_data(),
        "parties": [
            {"company": company.slug, "role": "provider"},
            {"company": "no-such-company", "role": "customer"},
            {"company": company.pk, "role": "overlord"},
        ],
    }
    before = row_counts()
    response = editor_api.post("/api/v1/partnerships/", data, format="json")
    assert response.status_code == 400
    assert error_paths(response.json()) == {"parties.1.company", "parties.2.role"}
    assert row_counts() == before


def test_a_company_twice_in_a_partnership_writes_nothing(editor_api):
    company = CompanyFactory()
    data = {
        **TestPartnerships().create_data(),
        "parties": [{"company": company.slug}, {"company": company.pk, "role": "customer"}],
    }
    before = row_counts()
    response = editor_api.post("/api/v1/partnerships/", data, format="json")
    assert response.status_code == 400
    assert {path.rsplit(".", 1)[0] for path in error_paths(response.json())} == {"parties.1"}
    assert row_counts() == before


def test_partnership_parties_are_stored_with_history(editor_api, editor):
    data = TestPartnerships().create_data()
    response = editor_api.post(
        "/api/v1/partnerships/", data, format="json", HTTP_X_CHANGE_REASON=REASON
    )
    assert response.status_code == 201, response.json()
    parties = PartnershipParty.objects.filter(partnership_id=response.json()["id"]).order_by("id")
    assert [p.role for p in parties] == ["provider", "customer"]
    for party in parties:
        assert_history(party.history.first(), kind="+", user=editor, reason=REASON)
    shown = response.json()["parties"]
    assert [p["company"]["slug"] for p in shown] == [p.company.slug for p in parties]


def test_funding_round_with_bad_investments_writes_nothing(editor_api):
    data = TestFundingRounds().create_data()
    company_slug = data["company"]
    data["investments"] = [
        data["investments"][0],
        {"investor": company_slug},
        {"investor": CompanyFactory().pk, "qualifier": "exact", "value": "10"},
    ]
    before = row_counts()
    response = editor_api.post("/api/v1/funding-rounds/", data, format="json")
    assert response.status_code == 400
    assert error_paths(response.json()) >= {"investments.1.investor", "investments.2.currency"}
    assert row_counts() == before


def test_funding_round_investments_belong_to_its_company(editor_api, editor):
    data = TestFundingRounds().create_data()
    response = editor_api.post(
        "/api/v1/funding-rounds/", data, format="json", HTTP_X_CHANGE_REASON=REASON
    )
    assert response.status_code == 201, response.json()
    investments = Investment.objects.filter(funding_round_id=response.json()["id"]).order_by("id")
    assert len(investments) == 2
    assert {i.company.slug for i in investments} == {data["company"]}
    assert [i.is_lead for i in investments] == [True, False]
    assert investments[1].value == Decimal("15000000")
    for investment in investments:
        assert_history(investment.history.first(), kind="+", user=editor, reason=REASON)


def test_an_investment_in_another_companys_round_is_refused(editor_api):
    data = {**TestInvestments().create_data(), "company": CompanyFactory().slug}
    before = row_counts()
    response = editor_api.post("/api/v1/investments/", data, format="json")
    assert response.status_code == 400
    assert error_paths(response.json()) == {"funding_round"}
    assert row_counts() == before


def test_a_usd_value_needs_its_rate(editor_api):
    data = {**TestInvestments().create_data(), "usd_rate": None}
    before = row_counts()
    response = editor_api.post("/api/v1/investments/", data, format="json")
    assert response.status_code == 400
    assert error_paths(response.json()) == {"value_usd"}
    assert row_counts() == before


# --- deleting what others refer to ------------------------------------------------------------


def test_deleting_a_metric_type_in_use_is_409(editor_api):
    metric = MetricFactory()
    downloads = MetricType.objects.get(slug="downloads")
    before = row_counts()
    response = editor_api.delete("/api/v1/metric-types/downloads/")
    assert response.status_code == 409
    assert f"metric {metric.pk}" in response.json()["detail"]
    assert row_counts() == before
    assert MetricType.objects.filter(pk=downloads.pk).exists()


def test_deleting_an_event_others_are_part_of_is_409(editor_api):
    summit = EventFactory()
    talk = EventFactory(part_of=summit)
    before = row_counts()
    response = editor_api.delete(f"/api/v1/events/{summit.pk}/")
    assert response.status_code == 409
    assert f"event {talk.pk}" in response.json()["detail"]
    assert row_counts() == before


def test_an_event_cannot_be_part_of_one_of_its_own_parts(editor_api):
    summit = EventFactory()
    talk = EventFactory(part_of=summit)
    demo = EventFactory(part_of=talk)
    before = row_counts()
    for inner in (talk, demo):
        response = editor_api.patch(
            f"/api/v1/events/{summit.pk}/", {"part_of": inner.pk}, format="json"
        )
        assert response.status_code == 400, response.content
        assert list(response.json()) == ["part_of"]
        assert "That event is part of this one" in response.json()["part_of"][0]
    assert row_counts() == before
    summit.refresh_from_db()
    assert summit.part_of_id is None
    # Another summit's part it may be.
    other = EventFactory()
    response = editor_api.patch(
        f"/api/v1/events/{summit.pk}/", {"part_of": other.pk}, format="json"
    )
    assert response.status_code == 200, response.content


def test_deleting_a_funding_round_deletes_its_investments(editor_api, editor):
    funding_round = FundingRoundFactory()
    investment = InvestmentFactory(company=funding_round.company, funding_round=funding_round)
    response = editor_api.delete(
        f"/api/v1/funding-rounds/{funding_round.pk}/", HTTP_X_CHANGE_REASON=REASON
    )
    assert response.status_code == 204
    assert not Investment.objects.filter(pk=investment.pk).exists()


def test_a_round_moved_to_another_company_takes_its_investments_with_it(editor_api, editor):
    funding_round, investor, other = FundingRoundFactory(), CompanyFactory(), CompanyFactory()
    response = editor_api.patch(
        f"/api/v1/funding-rounds/{funding_round.pk}/",
        {"investments": [{"investor": investor.pk}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    investment = Investment.objects.get(pk=response.json()["investments"][0]["id"])
    response = editor_api.patch(
        f"/api/v1/funding-rounds/{funding_round.pk}/",
        {"company": other.pk},
        format="json",
        HTTP_X_CHANGE_REASON=REASON,
    )
    assert response.status_code == 200, response.content
    moved = Investment.objects.get(pk=investment.pk)
    assert moved.company_id == other.pk
    assert moved.version == investment.version + 1
    assert_history(moved.history.first(), kind="~", user=editor, reason=REASON)
    round_version = funding_round.history.order_by("-history_id").first()
    assert moved.history.first().history_date == round_version.history_date
    # It is its round's again: a later edit of it is taken.
    response = editor_api.patch(
        f"/api/v1/investments/{investment.pk}/", {"description": "lead"}, format="json"
    )
    assert response.status_code == 200, response.content


def test_a_company_with_investments_is_edited_without_touching_them(editor_api):
    """`inherits_from_parent` is about an investment's round: a company it names (its
    `company`, its `investor`) is not its parent, and an edit of one leaves it alone."""
    investment = InvestmentFactory()
    before = Investment.objects.get(pk=investment.pk).version
    for company in (investment.company, investment.investor):
        response = editor_api.patch(
            f"/api/v1/companies/{company.pk}/", {"name": f"{company.name} SA"}, format="json"
        )
        assert response.status_code == 200, response.content
    assert Investment.objects.get(pk=investment.pk).version == before


@pytest.mark.parametrize("parties", [[], ["one"]], ids=["none", "one"])
def test_a_partnership_has_two_parties_or_more(editor_api, parties):
    companies = {"one": CompanyFactory().slug}
    body = {
        "title": "A partnership of one",
        "kind": "commercial",
        "parties": [{"company": companies[name], "role": "partner"} for name in parties],
    }
    before = row_counts()
    response = editor_api.post("/api/v1/partnerships/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json() == {"parties": ["A partnership has two parties or more: name each one."]}
    assert row_counts() == before


def test_the_schema_says_a_partnership_is_written_with_two_parties_or_more(anon_api):
    """Clients generated from the schema refuse one party before sending it; a response
    does not promise two (a partnership stored before the rule keeps its one)."""
    response = anon_api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    components = json.loads(response.content)["components"]["schemas"]
    for body in ("PartnershipRequest", "PatchedPartnershipRequest"):
        assert components[body]["properties"]["parties"]["minItems"] == 2, body
    assert "minItems" not in components["Partnership"]["properties"]["parties"]


def test_a_partnership_keeps_two_parties_or_more_and_one_stored_before_keeps_its_own(
    editor_api,
):
    """A list written that leaves fewer than two is refused; a partnership stored before
    the rule with one party takes other changes."""
    stored = PartnershipFactory()
    PartnershipPartyFactory(partnership=stored, company=CompanyFactory(), role="partner")
    path = f"/api/v1/partnerships/{stored.pk}/"
    response = editor_api.patch(path, {"summary": "Still one party."}, format="json")
    assert response.status_code == 200, response.content
    one = [{"company": CompanyFactory().slug, "role": "partner"}]
    response = editor_api.patch(path, {"parties": one}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["parties"]
    two = [*one, {"company": CompanyFactory().slug, "role": "partner"}]
    response = editor_api.patch(path, {"parties": two}, format="json")
    assert response.status_code == 200, response.content
    assert len(response.json()["parties"]) == 2
