"""What the admin refuses, and what a save keeps that the editor never saw: a role or a
citation added elsewhere makes the open page of its person or fact stale, and stays; a
citation of a record that is not there, the only citation of a verified fact moved or
deleted, and a negative investment are refused on their field, or with a message, and
nothing is written."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from companies.models import Company, CompanyAlias, Person, Role
from events.models import Investment
from factbase.core import services
from factbase.core.models import Citation

from .factories import CompanyFactory, PersonFactory, SourceFactory
from .test_admin_forms import CITATIONS, page_data, url

pytestmark = pytest.mark.django_db


def save(record):
    return services.record_save(record, check_citations=False)


@pytest.fixture
def cited():
    """A company with one citation, and its source."""
    company = save(CompanyFactory.build())
    source = save(SourceFactory.build())
    save(Citation(source=source, fact=company, quote="Acme Robotics"))
    return company, source


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_page_read_before_a_citation_was_added_elsewhere_is_refused(editor_client, cited):
    company, source = cited
    editing = page_data(editor_client.get(url(Company, "change", company.pk)))
    # Meanwhile, on the citation's own page, another citation of the same company: a
    # version of the company, which lists it.
    other = page_data(editor_client.get(url(Citation, "add")))
    other.update(
        content_type=str(ContentType.objects.get_for_model(Company).pk),
        object_id=str(company.pk),
        source=str(source.pk),
        quote="partnership with Globex",
    )
    assert editor_client.post(url(Citation, "add"), other).status_code == 302
    # The company's page, read before it, adds a citation of its own: refused as stale,
    # not saved over the list it did not show.
    editing[f"{CITATIONS}-TOTAL_FORMS"] = "2"
    editing[f"{CITATIONS}-1-source"] = str(source.pk)
    editing[f"{CITATIONS}-1-quote"] = "two million users"
    response = editor_client.post(url(Company, "change", company.pk), editing)
    assert response.status_code == 200
    assert "after you opened it" in str(response.context["adminform"].form.errors)
    quotes = sorted(company.citations.values_list("quote", flat=True))
    assert quotes == ["Acme Robotics", "partnership with Globex"]


def test_a_page_read_before_a_role_was_added_elsewhere_is_refused(editor_client):
    person, company = save(PersonFactory.build()), save(CompanyFactory.build())
    save(Role(person=person, company=company, title="CTO"))
    editing = page_data(editor_client.get(url(Person, "change", person.pk)))
    # Meanwhile, on the role's own page, another role of the same person: a version of
    # the person, whose page lists it.
    other = page_data(editor_client.get(url(Role, "add")))
    other.update(person=str(person.pk), company=str(company.pk), title="CEO")
    assert editor_client.post(url(Role, "add"), other).status_code == 302
    person.refresh_from_db()
    assert person.version == 2
    prefix = next(key for key in editing if key.endswith("-0-title")).removesuffix("-0-title")
    editing[f"{prefix}-0-title"] = "Chief Technology Officer"
    response = editor_client.post(url(Person, "change", person.pk), editing)
    assert response.status_code == 200
    assert "after you opened it" in str(response.context["adminform"].form.errors)
    titles = sorted(Role.objects.filter(person=person).values_list("title", flat=True))
    assert titles == ["CEO", "CTO"]
    # Opened again, the page lists both roles, and the change is saved beside the new one.
    editing = page_data(editor_client.get(url(Person, "change", person.pk)))
    first = next(key for key, value in editing.items() if key.endswith("-title") and value == "CTO")
    editing[first] = "Chief Technology Officer"
    assert editor_client.post(url(Person, "change", person.pk), editing).status_code == 302
    titles = sorted(Role.objects.filter(person=person).values_list("title", flat=True))
    assert titles == ["CEO", "Chief Technology Officer"]


def test_a_change_that_does_not_say_which_version_it_showed_is_refused(editor_client):
    company = save(CompanyFactory.build(name="Acme"))
    data = page_data(editor_client.get(url(Company, "change", company.pk)))
    del data["loaded_version"]
    data["name"] = "Acme Corp"
    response = editor_client.post(url(Company, "change", company.pk), data)
    assert response.status_code == 200
    assert "does not say which version" in str(response.context["adminform"].form.errors)
    company.refresh_from_db()
    assert (company.name, company.version) == ("Acme", 1)


def alias_rows(data) -> str:
    """The prefix of the company page's alias rows."""
    return next(
        key for key in data if key.endswith("-TOTAL_FORMS") and "alias" in key
    ).removesuffix("-TOTAL_FORMS")


def test_an_alias_that_only_case_tells_from_another_is_refused_on_its_row(editor_client):
    company = save(CompanyFactory.build(name="Mistral AI"))
    save(CompanyAlias(company=company, name="Mistral"))
    data = page_data(editor_client.get(url(Company, "change", company.pk)))
    prefix = alias_rows(data)
    data[f"{prefix}-TOTAL_FORMS"] = "2"
    data[f"{prefix}-1-name"] = "MISTRAL"
    response = editor_client.post(url(Company, "change", company.pk), data)
    assert response.status_code == 200
    (formset,) = [
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == prefix
    ]
    assert formset.formset.forms[1].errors["name"] == [
        "“MISTRAL” is the company's alias “Mistral” but for case, accents or spacing."
    ]
    assert list(company.aliases.values_list("name", flat=True)) == ["Mistral"]

    # Its old spelling deleted in the same save: the list it leaves holds one spelling.
    data[f"{prefix}-0-DELETE"] = "on"
    assert editor_client.post(url(Company, "change", company.pk), data).status_code == 302
    assert list(company.aliases.values_list("name", flat=True)) == ["MISTRAL"]


def test_aliases_stored_before_the_rule_do_not_block_the_page(editor_client):
    company = save(CompanyFactory.build(name="Foo Robotics"))
    for name in ("Foo", "FOO", "foo robotics"):
        CompanyAlias.objects.create(company=company, name=name)
    data = page_data(editor_client.get(url(Company, "change", company.pk)))
    data["description"] = "Robots."
    assert editor_client.post(url(Company, "change", company.pk), data).status_code == 302
    company.refresh_from_db()
    assert company.description == "Robots."


def test_a_role_the_editor_deletes_is_still_deleted(editor_client):
    person, company = save(PersonFactory.build()), save(CompanyFactory.build())
    save(Role(person=person, company=company, title="CTO"))
    editing = page_data(editor_client.get(url(Person, "change", person.pk)))
    prefix = next(key for key in editing if key.endswith("-0-title")).removesuffix("-0-title")
    editing[f"{prefix}-0-DELETE"] = "on"
    assert editor_client.post(url(Person, "change", person.pk), editing).status_code == 302
    assert not Role.objects.filter(person=person).exists()


def test_a_citation_of_a_record_that_is_not_there_is_refused(editor_client):
    source = save(SourceFactory.build())
    data = page_data(editor_client.get(url(Citation, "add")))
    data.update(
        content_type=str(ContentType.objects.get_for_model(Company).pk),
        object_id="999999",
        source=str(source.pk),
        quote="Acme Robotics",
    )
    response = editor_client.post(url(Citation, "add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["object_id"] == ["No company 999999."]
    assert not Citation.objects.exists()


def verified(company):
    company.status = "verified"
    return save(company)


def test_the_only_citation_of_a_verified_fact_is_not_moved_away(editor_client, cited):
    company, _ = cited
    verified(company)
    citation = company.citations.get()
    elsewhere = save(CompanyFactory.build())
    data = page_data(editor_client.get(url(Citation, "change", citation.pk)))
    data["object_id"] = str(elsewhere.pk)
    response = editor_client.post(url(Citation, "change", citation.pk), data)
    assert response.status_code == 200
    (error,) = response.context["adminform"].form.errors["object_id"]
    assert error.startswith(f"This is the only citation of {company}, which is verified")
    citation.refresh_from_db()
    assert citation.object_id == company.pk and citation.version == 1


def test_a_citation_of_a_verified_fact_with_another_is_moved(editor_client, cited):
    company, source = cited
    save(Citation(source=source, fact=company, quote="two million users"))
    verified(company)
    citation = company.citations.get(quote="Acme Robotics")
    elsewhere = save(CompanyFactory.build())
    data = page_data(editor_client.get(url(Citation, "change", citation.pk)))
    data["object_id"] = str(elsewhere.pk)
    assert editor_client.post(url(Citation, "change", citation.pk), data).status_code == 302
    assert elsewhere.citations.get().pk == citation.pk


def test_the_api_does_not_move_the_only_citation_of_a_verified_fact(editor_api, cited):
    company, _ = cited
    verified(company)
    citation = company.citations.get()
    elsewhere = save(CompanyFactory.build())
    response = editor_api.patch(
        f"/api/v1/citations/{citation.pk}/", {"fact_id": elsewhere.pk}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "only citation" in response.json()["fact_id"][0]
    assert company.citations.get().pk == citation.pk


def test_deleting_the_last_citation_of_a_verified_fact_is_refused(editor_client, cited):
    company, _ = cited
    verified(company)
    citation = company.citations.get()
    response = editor_client.post(
        url(Citation, "delete", citation.pk), {"post": "yes", "change_reason": "wrong"}, follow=True
    )
    assert response.status_code == 200
    (message,) = messages_of(response)
    assert message == "Not deleted. A fact cannot be verified without at least one citation."
    assert company.citations.get().pk == citation.pk
    assert not LogEntry.objects.exists()


def test_a_bulk_delete_with_the_last_citation_of_a_verified_fact_deletes_nothing(
    editor_client, cited
):
    company, source = cited
    verified(company)
    loose = save(Citation(source=source, fact=save(CompanyFactory.build()), quote="Acme"))
    response = editor_client.post(
        url(Citation, "changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [str(loose.pk), str(company.citations.get().pk)],
            "post": "yes",
        },
        follow=True,
    )
    assert response.status_code == 200
    (message,) = messages_of(response)
    assert message.startswith("Nothing deleted. A fact cannot be verified")
    assert Citation.objects.count() == 2
    assert not LogEntry.objects.exists()  # nor the log entries Django writes first


def test_a_negative_investment_is_refused_on_its_value(editor_client):
    company = save(CompanyFactory.build())
    investor = save(CompanyFactory.build(kind="investor"))
    data = page_data(editor_client.get(url(Investment, "add")))
    data.update(
        investor=str(investor.pk),
        company=str(company.pk),
        value="-5M",
        qualifier="exact",
        currency="EUR",
    )
    response = editor_client.post(url(Investment, "add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["value"] == ["An amount invested cannot be negative."]
    assert "__all__" not in errors
    assert not Investment.objects.exists()


def round_page(editor_client, company, *investments):
    """A funding round's add page filled in, with an investment row for each dict."""
    from events.models import FundingRound

    data = page_data(editor_client.get(url(FundingRound, "add")))
    data.update(company=str(company.pk), round_type="seed", qualifier="exact", value="€5M")
    prefix = next(k for k in data if k.endswith("-TOTAL_FORMS")).removesuffix("-TOTAL_FORMS")
    data[f"{prefix}-TOTAL_FORMS"] = str(len(investments))
    for i, row in enumerate(investments):
        data.update({f"{prefix}-{i}-{name}": value for name, value in row.items()})
    return data, prefix


@pytest.mark.parametrize(
    "rows, row, field, message",
    [
        (2, 1, "__all__", "This investor is already in this round."),
        (1, 0, "status", "A fact cannot be verified without at least one citation."),
    ],
    ids=["an investor twice", "a row verified without a citation"],
)
def test_a_rule_across_an_inlines_rows_is_shown_on_its_row(
    editor_client, rows, row, field, message
):
    """What the write service refuses once every form has passed comes back on the page,
    on the row it names, with nothing written: not a server error."""
    from events.models import FundingRound

    company = save(CompanyFactory.build())
    investor = save(CompanyFactory.build(kind="investor"))
    given = {"investor": str(investor.pk), "status": "verified" if rows == 1 else "unverified"}
    data, prefix = round_page(editor_client, company, *[given] * rows)
    response = editor_client.post(url(FundingRound, "add"), data)
    assert response.status_code == 200
    formset = next(
        f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == prefix
    )
    errors = formset.forms[row].errors
    assert message in errors.get(field, []), errors
    assert not response.context["adminform"].form.errors
    assert not FundingRound.objects.exists() and not Investment.objects.exists()
    # Put right, the same page saves.
    data[f"{prefix}-TOTAL_FORMS"] = "1"
    data[f"{prefix}-0-status"] = "unverified"
    assert editor_client.post(url(FundingRound, "add"), data).status_code == 302
    assert Investment.objects.get().investor == investor


def test_a_partnership_of_one_party_is_refused_on_the_page(editor_client):
    from events.models import Partnership

    data = page_data(editor_client.get(url(Partnership, "add")))
    data.update(title="Of one", kind="commercial", stage="announced")
    prefix = "parties"  # the inline of the partnership's parties
    assert f"{prefix}-TOTAL_FORMS" in data
    data[f"{prefix}-TOTAL_FORMS"] = "1"
    data[f"{prefix}-0-company"] = str(save(CompanyFactory.build()).pk)
    data[f"{prefix}-0-role"] = "partner"
    response = editor_client.post(url(Partnership, "add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert errors == ["A partnership has two parties or more: name each one."]
    assert not Partnership.objects.exists()
