"""Partial dates say what the source says: typed as text in the admin ("June 2024",
"Q2 2024") with the precision read from the form typed, shown back in that form, and a
date that is not the first day of its period refused (never moved there) by the model,
the admin and the API alike."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from companies.models import Company, Person, Role
from events.models import Event, FundingRound
from factbase.core.dates import ACCEPTED_FORMS, parse_partial_date
from factbase.core.services import record_save

from .api.base import row_counts
from .factories import CompanyFactory, EventFactory, FundingRoundFactory, PersonFactory

D = datetime.date


# --- the grammar ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [
        ("2024-06-15", D(2024, 6, 15), "day"),
        ("15 June 2024", D(2024, 6, 15), "day"),
        ("15 Jun 2024", D(2024, 6, 15), "day"),
        ("June 15, 2024", D(2024, 6, 15), "day"),
        ("Jun 15 2024", D(2024, 6, 15), "day"),
        ("June 2024", D(2024, 6, 1), "month"),
        ("Jun 2024", D(2024, 6, 1), "month"),
        ("2024-06", D(2024, 6, 1), "month"),
        ("Sept 2024", D(2024, 9, 1), "month"),
        ("Q1 2024", D(2024, 1, 1), "quarter"),
        ("Q2 2024", D(2024, 4, 1), "quarter"),
        ("Q4 2024", D(2024, 10, 1), "quarter"),
        ("2024", D(2024, 1, 1), "year"),
        # Case and spacing do not matter.
        ("  jUNE   2024 ", D(2024, 6, 1), "month"),
        ("q3 2024", D(2024, 7, 1), "quarter"),
        ("15 DEC 2024", D(2024, 12, 15), "day"),
    ],
)
def test_each_accepted_form_gives_its_date_and_precision(text, value, precision):
    assert parse_partial_date(text) == (value, precision)


@pytest.mark.parametrize(
    "text",
    [
        "next tuesday",
        "yesterday",
        "06/15/2024",
        "15/06/2024",
        "Juno 2024",
        "Q5 2024",
        "Q0 2024",
        "24",
        "202",
        "June",
        "15 June",
        "2024-06-15T10:00",
        "mid-2024",
        "H1 2024",
        "٢٠٢٤",  # digits, but not ASCII ones
    ],
)
def test_anything_else_is_refused_with_the_accepted_forms(text):
    with pytest.raises(ValidationError) as error:
        parse_partial_date(text)
    assert error.value.messages == [
        f"“{text.strip()}” is not a date in a form we read. Use one of: {ACCEPTED_FORMS}."
    ]


@pytest.mark.parametrize("text", ["2024-02-30", "2023-02-29", "31 April 2024", "2024-13", "0000"])
def test_a_date_not_in_the_calendar_is_refused(text):
    with pytest.raises(ValidationError, match="not in the calendar"):
        parse_partial_date(text)


def test_a_leap_day_is_a_date():
    assert parse_partial_date("29 Feb 2024") == (D(2024, 2, 29), "day")


# --- the model --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "precision"),
    [(D(2023, 5, 17), "month"), (D(2023, 5, 1), "quarter"), (D(2023, 2, 1), "year")],
)
def test_full_clean_refuses_a_date_that_does_not_start_its_period(db, value, precision):
    company = CompanyFactory.build(founded_on=value, founded_precision=precision)
    with pytest.raises(ValidationError) as error:
        company.full_clean()
    assert set(error.value.message_dict) == {"founded_on"}
    assert "is not the first day of a" in error.value.message_dict["founded_on"][0]
    assert company.founded_on == value  # not moved


def test_the_write_service_refuses_it_and_writes_nothing(db):
    company = CompanyFactory.build(founded_on=D(2023, 5, 17), founded_precision="month")
    with pytest.raises(ValidationError):
        record_save(company)
    assert not Company.objects.exists()


@pytest.mark.parametrize(
    ("value", "precision", "shown"),
    [
        (D(2023, 5, 17), "day", "17 May 2023"),
        (D(2023, 5, 1), "month", "May 2023"),
        (D(2023, 4, 1), "quarter", "Q2 2023"),
        (D(2023, 1, 1), "year", "2023"),
    ],
)
def test_a_date_at_the_start_of_its_period_is_stored_as_given(db, value, precision, shown):
    company = record_save(CompanyFactory.build(founded_on=value, founded_precision=precision))
    company.refresh_from_db()
    assert (company.founded_on, company.founded_precision) == (value, precision)
    assert company.founded_display == shown


# --- the admin --------------------------------------------------------------------------

CITATIONS = "factbase-citation-content_type-object_id"


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def event_form(**overrides):
    data = {
        "title": "AI Action Summit",
        "kind": "summit",
        "occurred_on": "",
        "occurred_precision": "",
        "status": "unverified",
        "confidence": "medium",
        "claim_type": "reported",
        f"{CITATIONS}-TOTAL_FORMS": "0",
        f"{CITATIONS}-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def form_errors(response) -> dict[str, list[str]]:
    """The errors of the record's form, by field, as the page shows them."""
    assert response.status_code == 200, "the form was accepted"
    return {
        field: list(errors) for field, errors in response.context["adminform"].form.errors.items()
    }


@pytest.mark.parametrize(
    ("typed", "chosen", "value", "precision"),
    [
        ("June 2024", "", D(2024, 6, 1), "month"),
        ("15 Jun 2024", "", D(2024, 6, 15), "day"),
        ("Q2 2024", "", D(2024, 4, 1), "quarter"),
        ("2024", "", D(2024, 1, 1), "year"),
        ("June 15, 2024", "", D(2024, 6, 15), "day"),
        # A precision chosen by hand wins when the date starts its period.
        ("2024-06-01", "month", D(2024, 6, 1), "month"),
        ("2024-04-01", "quarter", D(2024, 4, 1), "quarter"),
        ("June 2024", "month", D(2024, 6, 1), "month"),
        ("Jan 2024", "year", D(2024, 1, 1), "year"),
    ],
)
def test_editor_types_a_date_and_its_precision_follows(
    editor_client, typed, chosen, value, precision
):
    data = event_form(occurred_on=typed, occurred_precision=chosen)
    response = editor_client.post(admin_url(Event, "add"), data)
    assert response.status_code == 302, form_errors(response)
    event = Event.objects.get()
    assert (event.occurred_on, event.occurred_precision) == (value, precision)


def test_a_day_inside_the_period_chosen_is_refused_and_nothing_written(editor_client):
    before = row_counts()
    data = event_form(occurred_on="2024-06-15", occurred_precision="month")
    response = editor_client.post(admin_url(Event, "add"), data)
    errors = form_errors(response)
    assert list(errors) == ["occurred_on"]
    assert len(errors["occurred_on"]) == 1
    assert "2024-06-15 is not the first day of a month" in errors["occurred_on"][0]
    assert row_counts() == before


def test_a_precision_finer_than_the_date_typed_is_refused(editor_client):
    data = event_form(occurred_on="June 2024", occurred_precision="day")
    errors = form_errors(editor_client.post(admin_url(Event, "add"), data))
    assert errors == {
        "occurred_on": [
            "Jun 2024 is a month, not a day: type the day, or choose the precision “month”."
        ]
    }
    assert not Event.objects.exists()


@pytest.mark.parametrize("chosen", ["", "month"])
def test_a_date_that_cannot_be_read_gets_one_error_listing_the_forms(editor_client, chosen):
    data = event_form(occurred_on="sometime last spring", occurred_precision=chosen)
    errors = form_errors(editor_client.post(admin_url(Event, "add"), data))
    assert errors == {
        "occurred_on": [
            f"“sometime last spring” is not a date in a form we read. Use one of: {ACCEPTED_FORMS}."
        ]
    }
    assert not Event.objects.exists()


def test_a_precision_without_a_date_is_still_refused(editor_client):
    data = event_form(occurred_on="", occurred_precision="month")
    errors = form_errors(editor_client.post(admin_url(Event, "add"), data))
    assert errors == {"occurred_on": ["A precision needs a date."]}


def rendered_input(response, name: str) -> str:
    """The value the page's text input `name` shows."""
    form = response.context["adminform"].form
    return form[name].value()


@pytest.mark.parametrize(
    ("value", "precision", "shown"),
    [
        (D(2024, 6, 15), "day", "15 Jun 2024"),
        (D(2024, 6, 1), "month", "Jun 2024"),
        (D(2024, 4, 1), "quarter", "Q2 2024"),
        (D(2024, 1, 1), "year", "2024"),
    ],
)
def test_the_change_page_shows_the_date_in_the_form_of_its_precision(
    editor_client, value, precision, shown
):
    event = EventFactory(occurred_on=value, occurred_precision=precision)
    response = editor_client.get(admin_url(Event, "change", event.pk))
    assert response.status_code == 200
    assert rendered_input(response, "occurred_on") == shown
    assert f'name="occurred_on" value="{shown}"' in response.content.decode()


def test_saving_a_change_page_as_shown_keeps_the_date(editor_client):
    event = EventFactory(occurred_on=D(2024, 4, 1), occurred_precision="quarter")
    data = event_form(
        title=event.title,
        occurred_on="Q2 2024",
        occurred_precision="quarter",
        loaded_version=str(event.version),
        summary="Edited.",
    )
    response = editor_client.post(admin_url(Event, "change", event.pk), data)
    assert response.status_code == 302, form_errors(response)
    event.refresh_from_db()
    assert (event.occurred_on, event.occurred_precision, event.summary) == (
        D(2024, 4, 1),
        "quarter",
        "Edited.",
    )


def change_event(editor_client, event, **fields):
    data = event_form(title=event.title, loaded_version=str(event.version), **fields)
    return editor_client.post(admin_url(Event, "change", event.pk), data)


def test_a_retyped_date_brings_its_precision_when_the_menu_is_left_alone(editor_client):
    event = EventFactory(occurred_on=D(2024, 6, 1), occurred_precision="month")
    # The menu still shows "month", the record's: nobody chose it for the new date.
    response = change_event(
        editor_client, event, occurred_on="15 Jun 2024", occurred_precision="month"
    )
    assert response.status_code == 302, form_errors(response)
    event.refresh_from_db()
    assert (event.occurred_on, event.occurred_precision) == (D(2024, 6, 15), "day")


def test_a_menu_changed_by_hand_is_checked_against_the_date(editor_client):
    event = EventFactory(occurred_on=D(2024, 6, 15), occurred_precision="day")
    response = change_event(
        editor_client, event, occurred_on="15 Jun 2024", occurred_precision="month"
    )
    assert list(form_errors(response)) == ["occurred_on"]
    response = change_event(
        editor_client, event, occurred_on="2024-06-01", occurred_precision="quarter"
    )
    assert list(form_errors(response)) == ["occurred_on"]
    event.refresh_from_db()
    assert (event.occurred_on, event.occurred_precision, event.version) == (
        D(2024, 6, 15),
        "day",
        1,
    )


def test_every_partial_date_of_every_admin_gets_the_text_input(editor_client):
    """Declared once, by the models' partial_dates: the record's own form and its
    inline rows (a person's roles) alike."""
    person = PersonFactory()
    response = editor_client.get(admin_url(Person, "change", person.pk))
    inline = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.model is Role
    ).formset
    for name in ("started_on", "ended_on"):
        assert inline.empty_form.fields[name].widget.input_type == "text"
        assert "Q2 2024" in inline.empty_form.fields[name].help_text
    for model, name in [
        (Company, "founded_on"),
        (FundingRound, "announced_on"),
        (Event, "occurred_on"),
    ]:
        form = editor_client.get(admin_url(model, "add")).context["adminform"].form
        assert form.fields[name].widget.input_type == "text", model


def role_rows(prefix: str, *rows: dict, initial: int = 0) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial)}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def person_form(person, *roles, initial=0):
    return {
        "name": person.name,
        "slug": person.slug,
        "status": "unverified",
        "confidence": "medium",
        "claim_type": "reported",
        "loaded_version": str(person.version),
        f"{CITATIONS}-TOTAL_FORMS": "0",
        f"{CITATIONS}-INITIAL_FORMS": "0",
        "aliases-TOTAL_FORMS": "0",
        "aliases-INITIAL_FORMS": "0",
        **role_rows("roles", *roles, initial=initial),
    }


def test_an_inline_row_reads_its_dates_too(editor_client):
    person, company = PersonFactory(), CompanyFactory()
    role = {
        "company": str(company.pk),
        "title": "CEO",
        "started_on": "Q2 2023",
        "started_precision": "",
        "ended_on": "2024",
        "ended_precision": "",
    }
    response = editor_client.post(admin_url(Person, "change", person.pk), person_form(person, role))
    assert response.status_code == 302, response.context and response.context["errors"]
    saved = Role.objects.get()
    assert (saved.started_on, saved.started_precision) == (D(2023, 4, 1), "quarter")
    assert (saved.ended_on, saved.ended_precision) == (D(2024, 1, 1), "year")

    # Sent back with the same date (spelled differently), the row is left alone.
    person.refresh_from_db()
    shown = {**role, "id": str(saved.pk), "person": str(person.pk), "started_on": "q2  2023"}
    shown["started_precision"], shown["ended_precision"] = "quarter", "year"
    response = editor_client.post(
        admin_url(Person, "change", person.pk), person_form(person, shown, initial=1)
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    assert saved.history.count() == 1


def test_an_inline_row_with_a_day_inside_its_period_is_refused(editor_client):
    person, company = PersonFactory(), CompanyFactory()
    role = {
        "company": str(company.pk),
        "title": "CEO",
        "started_on": "2023-05-17",
        "started_precision": "quarter",
        "ended_on": "",
        "ended_precision": "",
    }
    before = row_counts()
    response = editor_client.post(admin_url(Person, "change", person.pk), person_form(person, role))
    assert response.status_code == 200
    (formset,) = [f for f in response.context["inline_admin_formsets"] if f.formset.model is Role]
    assert list(formset.formset.errors[0]) == ["started_on"]
    assert "not the first day of a quarter" in formset.formset.errors[0]["started_on"][0]
    assert row_counts() == before


# --- the API ----------------------------------------------------------------------------


def test_api_patch_refuses_a_day_inside_the_month_naming_the_field(editor_api):
    funding_round = FundingRoundFactory(announced_on=D(2024, 6, 1), announced_precision="month")
    before = row_counts()
    response = editor_api.patch(
        f"/api/v1/funding-rounds/{funding_round.pk}/",
        {"announced_on": "2024-06-15", "announced_precision": "month"},
        format="json",
    )
    assert response.status_code == 400, response.content[:800]
    body = response.json()
    assert "announced_on" in str(body)
    assert "2024-06-15 is not the first day of a month" in str(body)
    assert row_counts() == before
    funding_round.refresh_from_db()
    assert funding_round.announced_on == D(2024, 6, 1)


def test_api_post_refuses_it_too(editor_api):
    before = row_counts()
    response = editor_api.post(
        "/api/v1/events/",
        {
            "title": "Summit",
            "kind": "summit",
            "occurred_on": "2025-02-11",
            "occurred_precision": "year",
        },
        format="json",
    )
    assert response.status_code == 400, response.content[:800]
    assert "occurred_on" in str(response.json())
    assert row_counts() == before


def test_api_accepts_the_first_day_of_the_period(editor_api):
    response = editor_api.post(
        "/api/v1/events/",
        {
            "title": "Summit",
            "kind": "summit",
            "occurred_on": "2025-01-01",
            "occurred_precision": "year",
        },
        format="json",
    )
    assert response.status_code == 201, response.content[:800]
    assert (response.json()["occurred_on"], response.json()["occurred_precision"]) == (
        "2025-01-01",
        "year",
    )


@pytest.mark.parametrize(
    "start, precision",
    [("9999-12-01", "month"), ("9999-10-01", "quarter"), ("9999-01-01", "year")],
)
def test_a_period_ending_with_the_calendar_ends_on_its_last_day(editor_api, start, precision):
    """The last period a date can hold ends on 31 December 9999, not past it: a 201, not
    a 500."""
    CompanyFactory(slug="acme")
    response = editor_api.post(
        "/api/v1/metrics/",
        {
            "company": "acme",
            "metric_type": "downloads",
            "qualifier": "exact",
            "value": "1000",
            "period_start": start,
            "period_precision": precision,
        },
        format="json",
    )
    assert response.status_code == 201, response.content[:800]
    assert response.json()["period_until"] == "9999-12-31"
