"""Values that read as something they cannot mean are refused, by field, with nothing
written: a Wikidata id that is not one, a rank between two places, a source published or
read in the future, a name that shows nothing or hides an invisible character at its edge.
Each rule holds through the API, an import and the admin, which all write through the
same validation."""

import pytest
from django.db import IntegrityError, transaction

from companies.models import Company, Person
from events.models import Metric, MetricType
from tests.imports.helpers import csv_of

from ..factories import CompanyFactory, MetricFactory, PersonFactory, SourceFactory
from .base import error_paths, row_counts

pytestmark = pytest.mark.django_db

JSON = "json"


def refused(response, *paths):
    assert response.status_code == 400, response.content
    assert error_paths(response.json()) == set(paths), response.json()
    return response.json()


# --- a Wikidata id ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["42", "Q", "Q0", "Q042", "q42", "Q4x", "Q٤٢", "P31"])
def test_a_persons_wikidata_id_that_is_not_one_is_400(editor_api, value):
    before = row_counts()
    response = editor_api.post(
        "/api/v1/people/", {"name": "Ada", "slug": "ada", "wikidata_id": value}, format=JSON
    )
    body = refused(response, "wikidata_id")
    assert "Q123456" in str(body)
    assert row_counts() == before


def test_a_persons_wikidata_id_is_stored_as_given(editor_api):
    response = editor_api.post(
        "/api/v1/people/", {"name": "Ada", "slug": "ada", "wikidata_id": "Q7259"}, format=JSON
    )
    assert response.status_code == 201, response.content
    assert Person.objects.get(slug="ada").wikidata_id == "Q7259"


def test_a_company_identifiers_wikidata_id_in_other_digits_is_400(editor_api):
    company = CompanyFactory()
    before = row_counts()
    response = editor_api.patch(
        f"/api/v1/companies/{company.pk}/",
        {"identifiers": [{"scheme": "wikidata", "value": "Q٤٢"}]},
        format=JSON,
    )
    assert response.status_code == 400, response.content
    assert "Q123456" in str(response.json())
    assert row_counts() == before


# --- a rank -------------------------------------------------------------------------------


def rank(**change) -> dict:
    return {
        "company": CompanyFactory().slug,
        "metric_type": "app-store-rank",
        "qualifier": "exact",
        "value": "3",
        **change,
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"value": "2.5"}, "value"),
        ({"value": "1.0001"}, "value"),
        ({"qualifier": "range", "value": "2", "value_high": "4.5"}, "value_high"),
    ],
)
def test_a_rank_between_two_places_is_400_naming_it(editor_api, change, field):
    data = rank(**change)
    before = row_counts()
    body = refused(editor_api.post("/api/v1/metrics/", data, format=JSON), field)
    assert "A rank is a whole number" in str(body)
    assert row_counts() == before


@pytest.mark.parametrize("value", ["3", "3.0", "3.000"])
def test_a_whole_rank_written_with_zeros_is_that_rank(editor_api, value):
    response = editor_api.post("/api/v1/metrics/", rank(value=value), format=JSON)
    assert response.status_code == 201, response.content
    assert response.json()["value"] == "3"


def test_a_count_may_still_be_a_fraction(editor_api):
    data = {**rank(), "metric_type": "downloads", "value": "2.5"}
    assert editor_api.post("/api/v1/metrics/", data, format=JSON).status_code == 201


# --- a period's end -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("precision", "start", "end"),
    [("year", "2025-01-01", "2025-06-30"), ("month", "2025-01-01", "2025-03-15")],
)
def test_a_periods_end_off_the_first_day_of_its_precision_is_400(editor_api, precision, start, end):
    """A period has one precision: an end of 30 June in a period of years would be stored
    as running to 31 December, not the day given."""
    data = {
        **rank(),
        "metric_type": "downloads",
        "period_start": start,
        "period_end": end,
        "period_precision": precision,
    }
    before = row_counts()
    body = refused(editor_api.post("/api/v1/metrics/", data, format=JSON), "period_end")
    assert f"{end} is not the first day of a {precision}" in str(body)
    assert row_counts() == before


def test_a_period_of_years_ends_on_the_first_day_of_its_last_year(editor_api):
    data = {
        **rank(),
        "metric_type": "downloads",
        "period_start": "2024-01-01",
        "period_end": "2025-01-01",
        "period_precision": "year",
    }
    response = editor_api.post("/api/v1/metrics/", data, format=JSON)
    assert response.status_code == 201, response.content
    metric = Metric.objects.get(pk=response.json()["id"])
    assert (metric.period_end.isoformat(), metric.period_until.isoformat()) == (
        "2025-01-01",
        "2025-12-31",
    )
    assert metric.period_display == "2024 – 2025"


def test_the_database_refuses_a_rank_between_two_places():
    metric = MetricFactory(metric_type=MetricType.objects.get(slug="app-store-rank"), value=3)
    with pytest.raises(IntegrityError, match="metric_rank_whole"), transaction.atomic():
        Metric.objects.filter(pk=metric.pk).update(value="2.5")


def test_an_import_line_of_a_rank_between_two_places_is_refused_by_line_and_column(editor_api):
    row = {
        "company": CompanyFactory().slug,
        "metric_type": "app-store-rank",
        "qualifier": "exact",
        "value": "7.5",
    }
    before = row_counts()
    response = editor_api.post(
        "/api/v1/metrics/import/", csv_of([row]).encode(), content_type="text/csv"
    )
    assert response.status_code == 400, response.content
    (error,) = response.json()["errors"]
    assert (error["line"], error["column"]) == (2, "value")
    assert "A rank is a whole number" in error["message"]
    assert row_counts() == before


# --- a source's dates ---------------------------------------------------------------------


def source(**change) -> dict:
    return {
        "title": "Un article",
        "publisher": "Le Monde",
        "language": "fr",
        "kind": "news_article",
        **change,
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"published_on": "2999-01-01", "published_precision": "day"}, "published_on"),
        ({"published_on": "2999-01-01", "published_precision": "year"}, "published_on"),
        ({"retrieved_at": "2999-01-01T00:00:00Z"}, "retrieved_at"),
        (
            {
                "published_on": "2025-02-11",
                "published_precision": "day",
                "retrieved_at": "2025-01-02T00:00:00Z",
            },
            "retrieved_at",
        ),
    ],
)
def test_a_source_dated_after_the_present_or_read_before_it_appeared_is_400(
    editor_api, change, field
):
    before = row_counts()
    refused(editor_api.post("/api/v1/sources/", source(**change), format=JSON), field)
    assert row_counts() == before


def test_a_source_published_today_and_read_now_is_a_source(editor_api):
    from django.utils import timezone

    now = timezone.now()
    change = {
        "published_on": now.date().isoformat(),
        "published_precision": "day",
        "retrieved_at": now.isoformat().replace("+00:00", "Z"),
    }
    response = editor_api.post("/api/v1/sources/", source(**change), format=JSON)
    assert response.status_code == 201, response.content


def test_a_source_of_a_month_read_within_it_is_a_source(editor_api):
    change = {
        "published_on": "2025-02-01",
        "published_precision": "month",
        "retrieved_at": "2025-02-11T09:00:00Z",
    }
    response = editor_api.post("/api/v1/sources/", source(**change), format=JSON)
    assert response.status_code == 201, response.content


# --- text that shows nothing --------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "\u200b",
        "\u200b\u200c",
        "\ufeff",
        "\u200e\u00a0",
        "\u2060 \u200b",
        # Blanks Unicode files as letters, symbols and marks.
        "\u3164",  # Hangul filler
        "\u115f\u1160",
        "\uffa0",
        "\u2800\u2800",  # Braille pattern blank
        "\u034f",  # combining grapheme joiner
        "\ufe0f",  # a variation selector with nothing to vary
    ],
)
def test_a_name_that_shows_nothing_is_400(editor_api, name):
    before = row_counts()
    body = refused(
        editor_api.post(
            "/api/v1/companies/", {"name": name, "slug": "x", "kind": "other"}, format=JSON
        ),
        "name",
    )
    assert "shows nothing" in str(body)
    assert row_counts() == before


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Mistral AI\u200b", "U+200B"),
        ("\ufeffMistral AI", "U+FEFF"),
        ("Mistral AI\u200f", "U+200F"),
        ("Mistral AI\u3164", "U+3164"),
        ("\u2800Mistral AI", "U+2800"),
    ],
)
def test_a_name_with_an_invisible_character_at_its_edge_is_400_saying_which(editor_api, name, code):
    before = row_counts()
    body = refused(
        editor_api.post(
            "/api/v1/companies/", {"name": name, "slug": "x", "kind": "other"}, format=JSON
        ),
        "name",
    )
    assert code in str(body)
    assert row_counts() == before


@pytest.mark.parametrize(
    "name",
    [
        "Mistral\u00a0AI",  # a no-break space inside a name
        "\u0645\u0633\u062a\u0631\u0627\u0644",  # right-to-left script, no marks
        "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # a flag
        "Zoë\u200dLab",  # a joiner inside a name
        "Heart Labs \u2764\ufe0f",  # an emoji in its colour form: it ends with a selector
    ],
)
def test_names_whose_invisible_characters_sit_inside_are_stored_as_given(editor_api, name):
    response = editor_api.post(
        "/api/v1/companies/", {"name": name, "slug": "x", "kind": "other"}, format=JSON
    )
    assert response.status_code == 201, response.content
    assert Company.objects.get(slug="x").name == name


def test_a_quote_that_shows_nothing_is_400_on_its_row(editor_api):
    metric = MetricFactory()
    citation = {"source": SourceFactory().pk, "quote": "\u200b\u200b"}
    before = row_counts()
    response = editor_api.patch(
        f"/api/v1/metrics/{metric.pk}/", {"citations": [citation]}, format=JSON
    )
    refused(response, "citations.0.quote")
    assert row_counts() == before


@pytest.mark.parametrize(
    "quote", ["« Nous avons 1 million »\u200f", "Nous avons\r\n1 million\u200f", "\u200fNous avons"]
)
def test_a_quote_may_hold_line_breaks_and_start_or_end_with_a_mark(editor_api, quote):
    metric = MetricFactory()
    citation = {"source": SourceFactory(text="").pk, "quote": quote}
    response = editor_api.patch(
        f"/api/v1/metrics/{metric.pk}/", {"citations": [citation]}, format=JSON
    )
    assert response.status_code == 200, response.content
    assert metric.citations.get().quote == quote


def test_an_import_line_of_a_name_that_shows_nothing_is_refused_by_line_and_column(editor_api):
    rows = [
        {"name": "Good", "slug": "good", "kind": "other"},
        {"name": "\u200b", "slug": "bad", "kind": "other"},
    ]
    before = row_counts()
    response = editor_api.post(
        "/api/v1/companies/import/", csv_of(rows).encode(), content_type="text/csv"
    )
    assert response.status_code == 400, response.content
    (error,) = response.json()["errors"]
    assert (error["line"], error["column"]) == (3, "name")
    assert "shows nothing" in error["message"]
    assert row_counts() == before


def test_the_admin_refuses_a_person_named_by_invisible_characters(admin_client):
    person = PersonFactory()
    before = row_counts()
    response = admin_client.post(
        f"/admin/companies/person/{person.pk}/change/",
        {"name": "\u200b", "slug": person.slug, "version": person.version},
    )
    assert response.status_code == 200
    assert "shows nothing" in response.content.decode()
    assert row_counts() == before
    person.refresh_from_db()
    assert person.name.startswith("Person ")


# --- an announcement ----------------------------------------------------------------------


def test_a_funding_round_announced_after_the_present_is_400(editor_api):
    company = CompanyFactory()
    data = {
        "company": company.slug,
        "round_type": "series_a",
        "announced_on": "2999-03-01",
        "announced_precision": "month",
    }
    before = row_counts()
    body = refused(editor_api.post("/api/v1/funding-rounds/", data, format=JSON), "announced_on")
    assert "2999-03-01 is in the future" in str(body)
    assert row_counts() == before


def test_a_partnership_announced_after_the_present_is_400_but_may_start_then(editor_api):
    parties = [
        {"company": CompanyFactory().slug, "role": "provider"},
        {"company": CompanyFactory().slug, "role": "customer"},
    ]
    data = {"title": "A deal", "kind": "commercial", "parties": parties}
    future = {"announced_on": "2999-01-01", "announced_precision": "year"}
    before = row_counts()
    refused(
        editor_api.post("/api/v1/partnerships/", {**data, **future}, format=JSON), "announced_on"
    )
    assert row_counts() == before
    # What was announced today may start in years: only the announcement is of the past.
    from django.utils import timezone

    today = {"announced_on": timezone.now().date().isoformat(), "announced_precision": "day"}
    starts = {"starts_on": "2999-01-01", "starts_precision": "year"}
    response = editor_api.post("/api/v1/partnerships/", {**data, **today, **starts}, format=JSON)
    assert response.status_code == 201, response.content


def test_a_company_founded_after_the_present_is_400(editor_api):
    data = {"name": "Later Co", "slug": "later-co", "kind": "other"}
    data |= {"founded_on": "2099-01-01", "founded_precision": "year"}
    before = row_counts()
    body = refused(editor_api.post("/api/v1/companies/", data, format=JSON), "founded_on")
    assert "2099-01-01 is in the future" in str(body)
    assert row_counts() == before


def test_an_exchange_rate_dated_after_the_present_is_400(editor_api):
    """A rate is known once it is published: a target's amount may be for later, its
    conversion's rate may not."""
    data = {
        "company": CompanyFactory().slug,
        "metric_type": "revenue",
        "qualifier": "exact",
        "value": "1000000",
        "currency": "EUR",
        "value_usd": "1100000",
        "usd_rate": "1.1",
        "usd_rate_on": "2099-01-01",
        "usd_rate_source": "ECB reference rate",
    }
    before = row_counts()
    body = refused(editor_api.post("/api/v1/metrics/", data, format=JSON), "usd_rate_on")
    assert "2099-01-01 is in the future" in str(body)
    assert row_counts() == before
    data["usd_rate_on"] = "2025-01-02"
    response = editor_api.post("/api/v1/metrics/", data, format=JSON)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/api/v1/funding-rounds/", {"round_type": "series_a"}),
        ("/api/v1/investments/", {"investor": "investor-co"}),
    ],
)
def test_a_negative_amount_without_its_qualifier_is_said_in_words(editor_api, path, extra):
    """The qualifier's absence is one error; the negative amount another, in words, never
    a constraint's name."""
    CompanyFactory(slug="investor-co", kind="investor")
    data = {"company": CompanyFactory().slug, "value": "-5000000", "currency": "EUR", **extra}
    before = row_counts()
    response = editor_api.post(path, data, format=JSON)
    assert response.status_code == 400, response.content
    text = str(response.json())
    assert "Constraint" not in text and "is violated" not in text, text
    assert "negative" in text, text
    assert row_counts() == before


@pytest.mark.parametrize("currency", ["XXX", "XTS"])
def test_an_amount_in_a_code_that_names_no_money_is_400(editor_api, currency):
    """ISO 4217's XXX ("no currency is involved") and XTS (testing) say nothing of what an
    amount is worth."""
    data = {
        "company": CompanyFactory().slug,
        "metric_type": "revenue",
        "qualifier": "exact",
        "value": "5000000",
        "currency": currency,
    }
    before = row_counts()
    refused(editor_api.post("/api/v1/metrics/", data, format=JSON), "currency")
    assert row_counts() == before
    with pytest.raises(IntegrityError), transaction.atomic():
        MetricFactory(metric_type=MetricType.objects.get(slug="revenue"), currency=currency)
