"""Who changed what, and why: every write records its author (the editor, the token's
user, or for a command no user and the command's name in the reason) and the reason
given in the admin form, the API's X-Change-Reason header or a command's --reason."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from companies.models import Company, CompanyAlias, CompanyIdentifier, Platform
from events.models import Event, Metric, MetricType
from factbase.core.models import Citation, Source
from factbase.core.services import record_save

from .api.base import API, latest_history
from .factories import CitationFactory, CompanyFactory, EventFactory, SourceFactory

pytestmark = pytest.mark.django_db


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_data(response) -> dict:
    """What the browser would post back from an admin form page, unchanged."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return data


CITATIONS = "factbase-citation-content_type-object_id"


def no_citations() -> dict:
    return {f"{CITATIONS}-TOTAL_FORMS": "0", f"{CITATIONS}-INITIAL_FORMS": "0"}


# --- the admin ------------------------------------------------------------------------


def test_the_admin_form_asks_for_a_reason(editor_client):
    company = CompanyFactory()
    for page in (url(Company, "change", company.pk), url(Company, "add"), url(Source, "add")):
        response = editor_client.get(page)
        assert response.status_code == 200
        assert b"Reason for this change" in response.content, page
    citation_page = editor_client.get(url(Platform, "add"))
    assert b'name="change_reason"' in citation_page.content


def test_admin_add_and_change_record_the_editor_and_reason(editor_client, editor):
    response = editor_client.get(url(Platform, "add"))
    data = {**form_data(response), "slug": "vr", "name": "VR", "change_reason": "New platform"}
    response = editor_client.post(url(Platform, "add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    platform = Platform.objects.get(slug="vr")
    row = latest_history(Platform, platform.pk)
    assert (row.history_type, row.history_user, row.history_change_reason) == (
        "+",
        editor,
        "New platform",
    )

    response = editor_client.get(url(Platform, "change", platform.pk))
    data = {**form_data(response), "name": "Virtual reality", "change_reason": "Full name"}
    response = editor_client.post(url(Platform, "change", platform.pk), data)
    assert response.status_code == 302
    row = latest_history(Platform, platform.pk)
    assert (row.history_type, row.history_user, row.history_change_reason) == (
        "~",
        editor,
        "Full name",
    )


def test_admin_citation_inline_rows_carry_the_reason(editor_client, editor):
    event = EventFactory()
    source = SourceFactory()
    response = editor_client.get(url(Event, "change", event.pk))
    data = {
        **form_data(response),
        **no_citations(),
        f"{CITATIONS}-TOTAL_FORMS": "1",
        f"{CITATIONS}-0-source": str(source.pk),
        f"{CITATIONS}-0-quote": "Acme Robotics said",
        "change_reason": "Cited the article",
    }
    response = editor_client.post(url(Event, "change", event.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    citation = Citation.objects.get()
    row = latest_history(Citation, citation.pk)
    assert (row.history_user, row.history_change_reason) == (editor, "Cited the article")
    assert latest_history(Event, event.pk).history_change_reason == "Cited the article"


def test_admin_citation_inline_refuses_the_same_words_cited_twice(editor_client):
    event = EventFactory()
    source = SourceFactory()
    response = editor_client.get(url(Event, "change", event.pk))
    data = {
        **form_data(response),
        **no_citations(),
        f"{CITATIONS}-TOTAL_FORMS": "2",
        "change_reason": "Cited the article",
    }
    for row in ("0", "1"):
        data[f"{CITATIONS}-{row}-source"] = str(source.pk)
        data[f"{CITATIONS}-{row}-quote"] = "Acme Robotics said"
    response = editor_client.post(url(Event, "change", event.pk), data)
    assert response.status_code == 200
    (formset,) = [
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == CITATIONS
    ]
    assert formset.formset.forms[0].errors == {}
    assert "cites these words of this source already (row 1" in str(formset.formset.forms[1].errors)
    assert not Citation.objects.exists()


def test_admin_revert_goes_through_the_services(editor_client, editor):
    company = record_save(CompanyFactory.build(name="First"), reason="made")
    company.name = "Second"
    record_save(company, reason="renamed")
    first = company.history.order_by("history_date").first()

    page = url(Company, "simple_history", company.pk, first.history_id)
    response = editor_client.get(page)
    assert response.status_code == 200
    data = {**form_data(response), **no_citations(), "change_reason": "The old name was right"}
    assert data["name"] == "First"
    response = editor_client.post(page, data)
    assert response.status_code == 302, response.content.decode()[:3000]

    company.refresh_from_db()
    assert company.name == "First"
    assert company.version == 3  # bumped, not set back to the version reverted to
    assert company.updated_by == editor
    row = latest_history(Company, company.pk)
    assert (row.history_type, row.history_user) == ("~", editor)
    assert row.history_change_reason == "Reverted to version 1: The old name was right"


def test_admin_revert_without_a_reason_says_what_it_did(editor_client):
    metric_type = record_save(
        MetricType(slug="stars", name="Stars", unit_kind="count"), reason="made"
    )
    metric_type.name = "GitHub stars"
    record_save(metric_type)
    first = metric_type.history.order_by("history_date").first()
    page = url(MetricType, "simple_history", metric_type.pk, first.history_id)
    response = editor_client.post(page, form_data(editor_client.get(page)))
    assert response.status_code == 302
    assert latest_history(MetricType, metric_type.pk).history_change_reason == (
        "Reverted to version 1"
    )


def test_admin_revert_refuses_a_stale_form(editor_client):
    company = record_save(CompanyFactory.build(name="First"))
    company.name = "Second"
    record_save(company)
    first = company.history.order_by("history_date").first()
    page = url(Company, "simple_history", company.pk, first.history_id)
    data = {**form_data(editor_client.get(page)), **no_citations()}
    company.name = "Third"
    record_save(company)  # someone else, meanwhile
    response = editor_client.post(page, data)
    assert response.status_code == 200  # the form again, with the error
    company.refresh_from_db()
    assert company.name == "Third"


def test_admin_delete_records_the_editor_and_reason(editor_client, editor):
    company, other = CompanyFactory(), CompanyFactory()
    page = editor_client.get(url(Company, "delete", company.pk))
    assert b'name="change_reason"' in page.content
    response = editor_client.post(
        url(Company, "delete", company.pk), {"post": "yes", "change_reason": "Duplicate"}
    )
    assert response.status_code == 302
    row = latest_history(Company, company.pk)
    assert (row.history_type, row.history_user, row.history_change_reason) == (
        "-",
        editor,
        "Duplicate",
    )
    response = editor_client.post(url(Company, "delete", other.pk), {"post": "yes"})
    assert response.status_code == 302
    row = latest_history(Company, other.pk)
    assert (row.history_type, row.history_user, row.history_change_reason) == ("-", editor, None)


def bulk_delete(client, records, **data):
    selected = [str(record.pk) for record in records]
    data = {"action": "delete_selected", "_selected_action": selected, **data}
    return client.post(url(Company, "changelist"), data, follow=True)


def test_admin_bulk_delete_asks_the_reason_and_records_it(editor_client, editor):
    companies = [CompanyFactory(), CompanyFactory()]
    page = bulk_delete(editor_client, companies)
    assert page.status_code == 200 and b'name="change_reason"' in page.content
    response = bulk_delete(editor_client, companies, post="yes", change_reason="Duplicates")
    assert response.status_code == 200
    assert not Company.objects.filter(pk__in=[c.pk for c in companies]).exists()
    for company in companies:
        row = latest_history(Company, company.pk)
        assert (row.history_type, row.history_user, row.history_change_reason) == (
            "-",
            editor,
            "Duplicates",
        )


@pytest.mark.parametrize("reason", ["dup\x00licate", "x" * 101, "\u200b", "\u2060\u200b"])
def test_admin_bulk_delete_with_a_reason_it_cannot_keep_deletes_nothing(editor_client, reason):
    companies = [CompanyFactory(), CompanyFactory()]
    response = bulk_delete(editor_client, companies, post="yes", change_reason=reason)
    assert response.status_code == 200
    (message,) = [str(m) for m in response.context["messages"]]
    assert message.startswith("Nothing deleted.")
    assert Company.objects.filter(pk__in=[c.pk for c in companies]).count() == 2


# --- the API --------------------------------------------------------------------------


def test_api_reason_header_on_every_write(token_api, editor):
    response = token_api.post(
        f"{API}platforms/", {"slug": "tv", "name": "TV"}, HTTP_X_CHANGE_REASON="Smart TVs"
    )
    assert response.status_code == 201
    pk = response.json()["id"]
    response = token_api.patch(
        f"{API}platforms/{pk}/", {"name": "Smart TV"}, HTTP_X_CHANGE_REASON="Clearer"
    )
    assert response.status_code == 200
    response = token_api.delete(f"{API}platforms/{pk}/", HTTP_X_CHANGE_REASON="Unused")
    assert response.status_code == 204
    rows = Platform.history.filter(id=pk).order_by("history_date")
    assert [(r.history_type, r.history_user, r.history_change_reason) for r in rows] == [
        ("+", editor, "Smart TVs"),
        ("~", editor, "Clearer"),
        ("-", editor, "Unused"),
    ]


def test_rows_a_delete_cascades_to_carry_its_author_and_reason(token_api, editor):
    company = CompanyFactory()
    record_save(CompanyAlias(company=company, name="Old name"), user=None)
    record_save(CompanyIdentifier(company=company, scheme="lei", value="X" * 20), user=None)
    citation = CitationFactory(fact=company)
    response = token_api.delete(f"{API}companies/{company.pk}/", HTTP_X_CHANGE_REASON="Dupe")
    assert response.status_code == 204
    for model in (Company, CompanyAlias, CompanyIdentifier, Citation):
        deleted = model.history.filter(history_type="-")
        assert [(r.history_user, r.history_change_reason) for r in deleted] == [(editor, "Dupe")], (
            model
        )
    assert not Citation.objects.filter(pk=citation.pk).exists()


# --- one limit, one rule: a reason that does not fit is refused, never cut ----------------


def test_api_reason_header_that_does_not_fit_is_400_naming_it(editor_api):
    response = editor_api.post(
        f"{API}platforms/", {"slug": "tv", "name": "TV"}, HTTP_X_CHANGE_REASON="x" * 101
    )
    assert response.status_code == 400
    assert "100 characters" in response.json()["X-Change-Reason"][0]
    assert not Platform.objects.filter(slug="tv").exists()
    fits = editor_api.post(
        f"{API}platforms/", {"slug": "tv", "name": "TV"}, HTTP_X_CHANGE_REASON="x" * 100
    )
    assert fits.status_code == 201
    assert latest_history(Platform, fits.json()["id"]).history_change_reason == "x" * 100


def test_api_reason_that_shows_nothing_is_400_naming_it(editor_api):
    response = editor_api.post(
        f"{API}platforms/",
        {"slug": "tv", "name": "TV"},
        HTTP_X_CHANGE_REASON=as_wsgi_gives_it("\u200b\u200b"),
    )
    assert response.status_code == 400
    assert "shows nothing" in response.json()["X-Change-Reason"][0]
    assert not Platform.objects.filter(slug="tv").exists()


def as_wsgi_gives_it(text: str) -> str:
    """A header's UTF-8 bytes as a WSGI server gives them: one character a byte."""
    return text.encode("utf-8").decode("latin-1")


def test_api_reason_header_in_utf8_is_kept_as_written(editor_api):
    """Not `tÃ©lÃ©chargements`; and the 100 characters are the reason's, not its bytes'."""
    reason = "téléchargements ✓ " + "é" * 80
    response = editor_api.post(
        f"{API}platforms/",
        {"slug": "tv", "name": "TV"},
        HTTP_X_CHANGE_REASON=as_wsgi_gives_it(reason),
    )
    assert response.status_code == 201, response.content
    assert latest_history(Platform, response.json()["id"]).history_change_reason == reason
    changes = editor_api.get(f"{API}changes/?kind=platforms").json()["results"]
    assert changes[0]["reason"] == reason


def test_api_reason_header_not_in_utf8_is_400_naming_it(editor_api):
    response = editor_api.post(
        f"{API}platforms/", {"slug": "tv", "name": "TV"}, HTTP_X_CHANGE_REASON="caf\xe9"
    )
    assert response.status_code == 400
    assert response.json() == {"X-Change-Reason": ["Send the reason's text in UTF-8."]}
    assert not Platform.objects.filter(slug="tv").exists()


def test_api_restore_reason_leaves_room_for_restored(editor_api):
    company = record_save(CompanyFactory.build())
    editor_api.delete(f"{API}companies/{company.pk}/")
    restore = f"{API}companies/{company.pk}/restore/"
    refused = editor_api.post(restore, {"reason": "x" * 91}, format="json")
    assert refused.status_code == 400
    assert "at most 90 characters" in refused.json()["reason"][0]
    refused = editor_api.post(restore, {}, format="json", HTTP_X_CHANGE_REASON="x" * 91)
    assert refused.status_code == 400
    assert "X-Change-Reason" in refused.json()
    assert not Company.objects.filter(pk=company.pk).exists()
    assert editor_api.post(restore, {"reason": "x" * 90}, format="json").status_code == 201
    assert latest_history(Company, company.pk).history_change_reason == "Restored: " + "x" * 90


def test_admin_revert_reason_leaves_room_for_its_own_words(editor_client):
    company = record_save(CompanyFactory.build(name="First"), reason="made")
    company.name = "Second"
    record_save(company, reason="renamed")
    first = company.history.order_by("history_date").first()
    page = url(Company, "simple_history", company.pk, first.history_id)
    data = {**form_data(editor_client.get(page)), **no_citations()}
    # "Reverted to version 1: " takes 23 of the 100 characters.
    response = editor_client.post(page, {**data, "change_reason": "x" * 78})
    assert response.status_code == 200
    assert "at most 77 characters" in response.content.decode()
    company.refresh_from_db()
    assert company.name == "Second"
    assert editor_client.post(page, {**data, "change_reason": "x" * 77}).status_code == 302
    row = latest_history(Company, company.pk)
    assert row.history_change_reason == "Reverted to version 1: " + "x" * 77


def test_conflict_resolution_reason_that_does_not_fit_is_refused(editor_api):
    response = editor_api.post(
        f"{API}conflicts/resolve/", {"keep": 1, "dispute": 2, "reason": "x" * 101}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()


def test_a_command_reason_that_does_not_fit_is_refused_naming_the_option():
    with pytest.raises(CommandError, match="--reason: A reason has at most 89 characters"):
        call_command("load_demo", reason="x" * 91, stdout=io.StringIO())
    assert not Company.objects.exists()
    with pytest.raises(CommandError, match="--reason"):
        call_command("synth", companies=3, metrics=5, verbosity=0, reason="x" * 95)


# --- the commands ---------------------------------------------------------------------


def test_load_demo_names_itself_and_takes_a_reason():
    call_command("load_demo", reason="fresh staging database", stdout=io.StringIO())
    reasons = set(Company.history.values_list("history_user", "history_change_reason"))
    assert reasons == {(None, "load_demo: fresh staging database")}
    # What the articles' readings wrote carries the operator's reason; the demo's later
    # writes (a delete, a claim added later) their own, after the command's name.
    read = Citation.history.filter(history_type="+", history_date__lt="2025-02-21T00:00:00Z")
    assert set(read.values_list("history_change_reason", flat=True)) == {
        "load_demo: fresh staging database"
    }
    assert all(
        reason.startswith("load_demo: ")
        for reason in Citation.history.values_list("history_change_reason", flat=True)
    )


def test_load_demo_without_a_reason():
    call_command("load_demo", stdout=io.StringIO())
    assert set(Company.history.values_list("history_change_reason", flat=True)) == {"load_demo"}


def test_synth_names_itself_and_takes_a_reason():
    call_command("synth", companies=3, metrics=5, verbosity=0, reason="benchmark")
    assert set(Metric.history.values_list("history_user", "history_change_reason")) == {
        (None, "synth: benchmark")
    }
    call_command("synth", companies=3, metrics=5, verbosity=0)
    assert set(Metric.history.values_list("history_change_reason", flat=True)) == {
        "synth: benchmark",
        "synth",
    }
