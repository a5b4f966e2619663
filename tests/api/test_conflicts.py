"""Conflicting metrics: which pairs are conflicts (and which are not), the list at
/api/v1/conflicts/, and resolving one."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.conflicts import metric_conflicts
from events.models import Event, Metric, MetricType
from factbase.core.services import record_save

from ..factories import (
    CitationFactory,
    CompanyFactory,
    ProductFactory,
    SourceFactory,
    platform,
)
from .base import assert_history, latest_history, results, row_counts

pytestmark = pytest.mark.django_db

FEB_2025 = {"period_start": datetime.date(2025, 2, 1), "period_precision": "month"}
URL = "/api/v1/conflicts/"
RESOLVE = "/api/v1/conflicts/resolve/"


@pytest.fixture
def product():
    return ProductFactory()


def claim(subject, qualifier="exact", value=100, high=None, **extra) -> Metric:
    """A downloads metric for Feb 2025 in France on iOS, saved through the services (which
    work out `period_until`), unless `extra` says otherwise."""
    fields = {
        "metric_type": MetricType.objects.get(slug="downloads"),
        "product" if subject._meta.model_name == "product" else "company": subject,
        "qualifier": qualifier,
        "value": Decimal(value),
        "value_high": Decimal(high) if high is not None else None,
        "region": "FR",
        "platform": platform("ios"),
        **FEB_2025,
        **extra,
    }
    return record_save(Metric(**fields))


def conflicting_pairs(queryset=None) -> set[tuple[int, int]]:
    return set(metric_conflicts(queryset).pairs())


def in_conflict(first, second) -> bool:
    pair = Metric.objects.filter(pk__in=[first.pk, second.pk])
    return conflicting_pairs(pair) == {(min(first.pk, second.pk), max(first.pk, second.pk))}


# --- detection: values -----------------------------------------------------------------

# (first claim, second claim, whether they conflict); a claim is (qualifier, value, high).
QUALIFIER_CASES = [
    (("exact", 100, None), ("exact", 100, None), False),
    (("exact", 100, None), ("exact", 200, None), True),
    (("exact", 100, None), ("approximate", 105, None), False),
    (("exact", 100, None), ("approximate", 120, None), True),
    (("approximate", 100, None), ("approximate", 115, None), False),
    (("approximate", 100, None), ("approximate", 130, None), True),
    (("at_least", 100, None), ("exact", 150, None), False),
    (("at_least", 100, None), ("exact", 50, None), True),
    (("at_least", 100, None), ("at_least", 1000, None), False),
    (("at_least", 100, None), ("at_most", 100, None), False),
    (("at_least", 101, None), ("at_most", 100, None), True),
    (("at_least", 100, None), ("approximate", 95, None), False),
    (("at_least", 200, None), ("approximate", 100, None), True),
    (("at_most", 10, None), ("exact", 10, None), False),
    (("at_most", 10, None), ("exact", 11, None), True),
    (("at_most", 10, None), ("at_most", 5, None), False),
    (("at_most", 50, None), ("approximate", 60, None), True),
    (("range", 10, 20), ("exact", 15, None), False),
    (("range", 10, 20), ("exact", 25, None), True),
    (("range", 10, 20), ("exact", 5, None), True),
    (("range", 10, 20), ("range", 20, 30), False),
    (("range", 10, 20), ("range", 21, 30), True),
    (("range", 10, 20), ("at_least", 15, None), False),
    (("range", 10, 20), ("at_least", 21, None), True),
    (("range", 10, 20), ("at_most", 9, None), True),
    (("range", 10, 20), ("approximate", 22, None), False),
    (("range", 10, 20), ("approximate", 30, None), True),
]


@pytest.mark.parametrize(("first", "second", "expected"), QUALIFIER_CASES)
def test_values_that_cannot_both_be_true(product, first, second, expected):
    a = claim(product, *first)
    b = claim(product, *second)
    assert in_conflict(a, b) is expected
    # The order of the two claims does not matter.
    c = claim(ProductFactory(), *second)
    d = claim(c.product, *first)
    assert in_conflict(c, d) is expected


def test_ranks_in_the_same_country_conflict_and_in_others_do_not(product):
    rank = MetricType.objects.get(slug="app-store-rank")
    first = claim(product, "exact", 1, metric_type=rank)
    outside_top_100 = claim(product, "at_least", 101, metric_type=rank)
    elsewhere = claim(product, "at_least", 101, metric_type=rank, region="DE")
    assert conflicting_pairs() == {(first.pk, outside_top_100.pk)}
    assert elsewhere.pk not in {pk for pair in conflicting_pairs() for pk in pair}


# --- detection: what is measured -------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"region": "DE"},
        {"region": ""},
        {"region": "001"},
        {"platform": None},
        {"platform": "android"},
        {"metric_type": "users"},
        {"subject": "other product"},
        {"subject": "the product's company"},
    ],
    ids=lambda change: "-".join(f"{k}={v}" for k, v in change.items()),
)
def test_claims_about_different_things_do_not_conflict(product, change):
    first = claim(product, "exact", 100)
    extra = {}
    subject = product
    for name, value in change.items():
        if name == "platform":
            extra["platform"] = platform(value) if value else None
        elif name == "metric_type":
            extra["metric_type"] = MetricType.objects.get(slug=value)
        elif name == "subject":
            subject = ProductFactory() if value == "other product" else product.company
        else:
            extra[name] = value
    second = claim(subject, "exact", 500, **extra)
    assert not in_conflict(first, second)


def test_no_region_and_no_platform_match_each_other(product):
    first = claim(product, "exact", 100, region="", platform=None)
    second = claim(product, "exact", 500, region="", platform=None)
    assert in_conflict(first, second)


def test_claims_about_a_company_conflict():
    company = CompanyFactory()
    first = claim(company, "at_least", 1000)
    second = claim(company, "at_most", 10)
    assert in_conflict(first, second)


# --- detection: periods ------------------------------------------------------------------


def period(start, precision, end=None) -> dict:
    return {"period_start": start, "period_end": end, "period_precision": precision}


D = datetime.date


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (period(D(2025, 1, 1), "month"), period(D(2025, 2, 1), "month"), False),
        (period(D(2025, 1, 1), "year"), period(D(2025, 2, 1), "month"), True),
        (period(D(2025, 1, 10), "day", D(2025, 1, 31)), period(D(2025, 1, 31), "day"), True),
        (period(D(2025, 1, 10), "day", D(2025, 1, 30)), period(D(2025, 1, 31), "day"), False),
        (period(D(2025, 1, 1), "quarter"), period(D(2025, 3, 1), "month"), True),
        (period(D(2025, 1, 1), "quarter"), period(D(2025, 4, 1), "month"), False),
    ],
)
def test_only_overlapping_periods_conflict(product, first, second, expected):
    a = claim(product, "exact", 100, **first)
    b = claim(product, "exact", 500, **second)
    assert in_conflict(a, b) is expected


def test_undated_claims_conflict_with_nothing(product):
    undated = {"period_start": None, "period_precision": ""}
    first = claim(product, "exact", 100, **undated)
    second = claim(product, "exact", 500, **undated)
    dated = claim(product, "exact", 900)
    assert conflicting_pairs() == set()
    assert not in_conflict(first, dated)
    assert not in_conflict(first, second)


def test_the_same_window_from_the_same_anchor_is_the_same_period(product):
    window = {"window_days": 14, "window_anchor": "launch", "period_start": None}
    window["period_precision"] = ""
    first = claim(product, "at_least", 1_000_000, **window)
    second = claim(product, "exact", 500_000, **window)
    # Dated differently, the same 14 days after launch: still the same period.
    third = claim(product, "exact", 2_000_000, **{**window, **FEB_2025})
    assert conflicting_pairs() == {(first.pk, second.pk), (second.pk, third.pk)}


def test_different_windows_or_anchors_or_a_window_against_a_month_do_not_conflict(product):
    summit = record_save(Event(title="Summit", kind="summit"))
    other = record_save(Event(title="Another summit", kind="summit"))
    first = claim(product, "exact", 100, window_days=14, window_anchor="launch")
    windows = [
        {"window_days": 6, "window_anchor": "launch"},
        {"window_days": 14, "window_anchor": "event", "anchor_event": summit},
        {},  # the month alone
    ]
    others = [claim(product, "exact", 500, **window) for window in windows]
    assert conflicting_pairs() == set()
    event_window = {"window_days": 14, "window_anchor": "event"}
    at_summit = claim(product, "exact", 7, **event_window, anchor_event=summit)
    at_other = claim(product, "exact", 7, **event_window, anchor_event=other)
    assert conflicting_pairs() == {(others[1].pk, at_summit.pk)}
    assert not in_conflict(first, at_other)


# --- detection: money ----------------------------------------------------------------------


def money(company, qualifier, value, currency, usd=None, high=None):
    extra = {}
    if usd is not None:
        extra = {
            "value_usd": Decimal(usd),
            "usd_rate": (Decimal(usd) / Decimal(value)).quantize(Decimal("0.00000001")),
            "usd_rate_on": datetime.date(2025, 2, 11),
            "usd_rate_source": "ECB reference rate",
        }
    return claim(
        company,
        qualifier,
        value,
        high,
        metric_type=MetricType.objects.get(slug="revenue"),
        currency=currency,
        platform=None,
        region="",
        **extra,
    )


def test_money_in_the_same_currency():
    company = CompanyFactory()
    first = money(company, "exact", 500_000_000, "EUR")
    second = money(company, "range", 10_000_000, "EUR", high=99_999_999)
    assert in_conflict(first, second)


def test_money_in_different_currencies_without_dollar_values_is_not_compared():
    company = CompanyFactory()
    first = money(company, "exact", 500_000_000, "EUR")
    second = money(company, "exact", 1_000, "USD")
    assert not in_conflict(first, second)


def test_money_in_different_currencies_is_compared_in_dollars():
    company = CompanyFactory()
    euros = money(company, "exact", 100, "EUR", usd=108)
    pounds_agreeing = money(company, "approximate", 85, "GBP", usd=107)
    pounds_disagreeing = money(company, "at_least", 200, "GBP", usd=250)
    dollars_in_range = money(company, "range", 50, "USD", usd=50, high=60)
    pairs = conflicting_pairs()
    assert (euros.pk, pounds_agreeing.pk) not in pairs
    assert (euros.pk, pounds_disagreeing.pk) in pairs
    assert (euros.pk, dollars_in_range.pk) in pairs  # 50-60 USD against 108 USD
    assert (pounds_disagreeing.pk, dollars_in_range.pk) in pairs


def test_the_reason_in_dollars_names_both_currencies(anon_api):
    company = CompanyFactory()
    money(company, "exact", 100, "EUR", usd=108)
    money(company, "at_least", 200, "GBP", usd=250)
    (row,) = results(anon_api.get(URL))
    assert (
        row["reason"] == "exactly 100 EUR (exactly 108 USD) vs at least 200 GBP (at least 250 USD)"
    )


# --- detection: status ----------------------------------------------------------------------


@pytest.mark.parametrize(("status", "is_open"), [
    ("unverified", True), ("verified", True), ("disputed", False), ("retracted", False),
])  # fmt: skip
def test_a_conflict_is_open_while_neither_claim_is_disputed_or_retracted(product, status, is_open):
    first = claim(product, "exact", 100)
    second = claim(product, "exact", 500)
    Metric.objects.filter(pk=second.pk).update(status=status)
    assert in_conflict(first, second) is is_open


def test_a_queryset_limits_the_search_to_its_metrics(product):
    first, second = claim(product, "exact", 100), claim(product, "exact", 500)
    other = ProductFactory()
    third, fourth = claim(other, "exact", 100), claim(other, "exact", 500)
    assert conflicting_pairs() == {(first.pk, second.pk), (third.pk, fourth.pk)}
    assert conflicting_pairs(Metric.objects.filter(product=other)) == {(third.pk, fourth.pk)}
    # Both claims must be in the queryset.
    assert conflicting_pairs(Metric.objects.filter(pk__in=[first.pk, third.pk])) == set()
    assert metric_conflicts().count() == 2
    assert [c.claims for c in metric_conflicts()[1:2]] == [(third, fourth)]


def test_demo_data_has_one_open_conflict_le_chat_in_germany():
    call_command("load_demo", verbosity=0)
    (conflict,) = metric_conflicts()
    assert [(c.region, c.value) for c in conflict.claims] == [("DE", 6), ("DE", 66)]


# --- the list ----------------------------------------------------------------------------------


def test_list_shows_the_claims_side_by_side_with_their_citations(anon_api, product):
    italian = SourceFactory(publisher="Il Giornale", language="it")
    first = claim(product, "at_least", 1_000_000)
    second = claim(product, "exact", 500_000)
    CitationFactory(fact=first, source=italian)
    CitationFactory(fact=second)
    response = anon_api.get(URL)
    body = response.json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["reason"] == "at least 1,000,000 vs exactly 500,000"
    assert row["metric_type"]["slug"] == "downloads"
    assert row["subject"] == {
        "type": "product",
        "id": product.pk,
        "url": f"http://testserver/api/v1/products/{product.pk}/",
        "name": product.name,
        "slug": product.slug,
    }
    assert (row["region"], row["platform"]["slug"]) == ("FR", "ios")
    claims = row["claims"]
    assert [c["id"] for c in claims] == [first.pk, second.pk]
    assert [c["value"] for c in claims] == ["1000000", "500000"]
    assert claims[0]["citations"][0]["source"]["publisher"] == "Il Giornale"
    assert claims[0]["citations"][0]["quote"] == "Acme Robotics said on Monday"
    assert claims[1]["source_count"] == 1


def test_list_filters_by_subject_and_metric_type(anon_api, product):
    first, second = claim(product, "exact", 100), claim(product, "exact", 500)
    company = CompanyFactory()
    claim(company, "exact", 1), claim(company, "exact", 5)
    rank = MetricType.objects.get(slug="app-store-rank")
    claim(product, "exact", 1, metric_type=rank), claim(product, "exact", 5, metric_type=rank)

    def listed(query):
        return [[c["id"] for c in row["claims"]] for row in results(anon_api.get(f"{URL}?{query}"))]

    assert len(listed("")) == 3
    assert listed(f"product={product.slug}&metric_type=downloads") == [[first.pk, second.pk]]
    assert len(listed(f"company={product.company.slug}")) == 2  # its product's
    assert len(listed(f"company={company.pk}")) == 1
    assert len(listed("metric_type=app-store-rank")) == 1
    response = anon_api.get(f"{URL}?product=no-such-product")
    assert response.status_code == 400
    assert "product" in response.json()


def test_list_pages(anon_api):
    for _ in range(3):
        subject = ProductFactory()
        claim(subject, "exact", 100), claim(subject, "exact", 500)
    body = anon_api.get(f"{URL}?limit=2").json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]
    rest = anon_api.get(body["next"]).json()
    assert len(rest["results"]) == 1
    assert rest["results"][0]["claims"][0]["id"] not in {
        c["id"] for row in body["results"] for c in row["claims"]
    }
    past_the_end = anon_api.get(f"{URL}?offset=10").json()
    assert (past_the_end["count"], past_the_end["results"]) == (3, [])
    assert anon_api.get(f"{URL}?limit=abc").json() == {"limit": ["Give a whole number, 1 or more."]}


def test_a_page_of_conflicts_costs_the_same_for_2_and_12(anon_api):
    source = SourceFactory()

    def add(count):
        for _ in range(count):
            subject = ProductFactory()
            for value in (100, 500):
                CitationFactory(fact=claim(subject, "exact", value), source=source)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = anon_api.get(URL)
        return len(results(response)), len(captured)

    queries()  # per-process caches
    add(2)
    rows_small, small = queries()
    add(10)
    rows_large, large = queries()
    assert (rows_small, rows_large) == (2, 12)
    assert large == small


# --- resolving -----------------------------------------------------------------------------------


@pytest.fixture
def conflict(product):
    first = claim(product, "at_least", 1_000_000)
    second = claim(product, "exact", 500_000)
    CitationFactory(fact=first)
    CitationFactory(fact=second)
    return first, second


def test_an_editor_resolves_a_conflict_and_it_is_in_the_history(editor_api, editor, conflict):
    keep, dispute = conflict
    body = {"keep": keep.pk, "dispute": dispute.pk, "reason": "The app store's own figure"}
    response = editor_api.post(RESOLVE, body, format="json")
    assert response.status_code == 200, response.json()
    assert [c["status"] for c in response.json()["claims"]] == ["verified", "disputed"]
    keep.refresh_from_db()
    dispute.refresh_from_db()
    assert (keep.status, dispute.status) == ("verified", "disputed")
    assert (keep.version, dispute.version) == (2, 2)
    for metric in (keep, dispute):
        record = latest_history(Metric, metric.pk)
        assert_history(record, kind="~", user=editor, reason="The app store's own figure")
        assert record.status == metric.status
    assert metric_conflicts().count() == 0
    # One instant for both: `as_of` never shows one claim resolved and not the other.
    assert keep.updated_at == dispute.updated_at
    assert latest_history(Metric, keep.pk).history_date == keep.updated_at


def test_patching_a_status_with_a_reason_resolves_it_too(editor_api, editor, conflict):
    _, dispute = conflict
    response = editor_api.patch(
        f"/api/v1/metrics/{dispute.pk}/",
        {"status": "disputed"},
        format="json",
        HTTP_X_CHANGE_REASON="Contradicted by the filing",
    )
    assert response.status_code == 200, response.json()
    assert_history(
        latest_history(Metric, dispute.pk),
        kind="~",
        user=editor,
        reason="Contradicted by the filing",
    )
    assert metric_conflicts().count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 101}, "reason"),
        ({"keep": 987654}, "keep"),
        ({"dispute": "abc"}, "dispute"),
        ({"dispute": 10**30}, "dispute"),
        ({"keep": None}, "keep"),
        ({"dispute": "same"}, "dispute"),
        ({"dispute": "unrelated"}, "dispute"),
        ({"keep": "uncited"}, "keep"),
        ({"bogus": 1}, "bogus"),
        ({"reason": 5}, "reason"),
        ({"keep": "keep+0.5"}, "keep"),
        ({"keep": "keep.0"}, "keep"),
        ({"keep": True}, "keep"),
        ({"dispute": "dispute as text.5"}, "dispute"),
        ({"dispute": ["dispute"]}, "dispute"),
    ],
)
def test_a_bad_resolution_is_a_400_naming_the_field_and_changes_nothing(
    editor_api, conflict, product, change, field
):
    keep, dispute = conflict
    body = {"keep": keep.pk, "dispute": dispute.pk, "reason": "Because", **change}
    if body["dispute"] == "same":
        body["dispute"] = keep.pk
    if body["dispute"] == "unrelated":
        body["dispute"] = claim(ProductFactory(), "exact", 3).pk
    # An id with a fraction, as a number or as text, is no id: not the record its whole
    # part names.
    if body["keep"] == "keep+0.5":
        body["keep"] = keep.pk + 0.5
    if body["keep"] == "keep.0":
        body["keep"] = float(keep.pk)
    if body["dispute"] == "dispute as text.5":
        body["dispute"] = f"{dispute.pk}.5"
    if body["dispute"] == ["dispute"]:
        body["dispute"] = [dispute.pk]
    if body["keep"] == "uncited":
        uncited = claim(product, "exact", 7)
        body = {"keep": uncited.pk, "dispute": dispute.pk, "reason": "Because"}
    before = row_counts()
    response = editor_api.post(RESOLVE, body, format="json")
    assert response.status_code == 400, response.content[:500]
    assert field in response.json()
    assert row_counts() == before


def test_only_editors_resolve(viewer_api, anon_api, conflict):
    keep, dispute = conflict
    body = {"keep": keep.pk, "dispute": dispute.pk, "reason": "Because"}
    before = row_counts()
    assert viewer_api.post(RESOLVE, body, format="json").status_code == 403
    assert anon_api.post(RESOLVE, body, format="json").status_code in (401, 403)
    assert row_counts() == before
    assert viewer_api.get(URL).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {"offset": "9223372036854775808"},
        {"offset": "99999999999999999999"},
        {"offset": "9223372036854775800", "limit": "50"},
        {"company": "9223372036854775808"},
    ],
)
def test_numbers_past_any_id_are_a_400_naming_the_parameter(anon_api, query):
    response = anon_api.get("/api/v1/conflicts/", query)
    assert response.status_code == 400
    assert set(response.json()) == set(query) - {"limit"}
