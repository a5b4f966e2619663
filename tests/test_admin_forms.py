"""Forms that fit the work, through an editor's browser: a round's investments take the
round's company, pickers show what tells records apart, list filters offer what is in
use, columns have plain names, and status actions ask why."""

import re

import pytest
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.staticfiles import finders
from django.urls import reverse

from companies.models import Company
from events.models import FundingRound, Metric
from factbase.core.models import Citation, Source

from .factories import (
    CitationFactory,
    CompanyFactory,
    FundingRoundFactory,
    InvestmentFactory,
    MetricFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

CITATIONS = "factbase-citation-content_type-object_id"


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def page_data(response) -> dict:
    """What a browser posts back from an admin add or change page left as it is: the
    record's form, and each inline's management form and rows."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            key = form.add_prefix(name)
            if value is True:
                data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = str(value)
    return data


def round_data(editor_client, company, *investors, page=None) -> dict:
    """A new round of `company` with one inline investment per investor, filled in as
    an editor does: no company typed for the investments."""
    response = editor_client.get(page or url(FundingRound, "add"))
    assert response.status_code == 200
    data = {
        **page_data(response),
        "company": str(company.pk),
        "round_type": "series_a",
        "qualifier": "exact",
        "value": "5000000",
        "currency": "EUR",
        "investments-TOTAL_FORMS": str(len(investors)),
    }
    for i, investor in enumerate(investors):
        data[f"investments-{i}-investor"] = str(investor.pk)
        data[f"investments-{i}-status"] = "unverified"
    return data


# --- a round's investments ------------------------------------------------------------


def test_a_rounds_investment_takes_the_rounds_company(editor_client, editor):
    company, investor = CompanyFactory(), CompanyFactory(kind="investor")
    page = editor_client.get(url(FundingRound, "add")).content.decode()
    assert 'name="investments-__prefix__-investor"' in page
    assert "investments-__prefix__-company" not in page  # not asked for

    data = round_data(editor_client, company, investor)
    data["investments-0-is_lead"] = "on"
    response = editor_client.post(url(FundingRound, "add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]

    funding_round = FundingRound.objects.get()
    investment = funding_round.investments.get()
    assert (investment.company, investment.investor, investment.is_lead) == (
        company,
        investor,
        True,
    )
    assert investment.history.get().history_user == editor


def test_an_investor_added_through_the_popup_is_saved_with_the_round_first_time(
    editor_client,
):
    company = CompanyFactory()
    page = editor_client.get(url(FundingRound, "add")).content.decode()
    add_link = re.search(r'id="add_id_investments-__prefix__-investor"[^>]*href="([^"]+)"', page)
    assert add_link, "the investor picker has no + link"
    popup = add_link.group(1).replace("&amp;", "&")
    assert "_popup=1" in popup

    # The popup: a company that did not exist, saved in the small window.
    response = editor_client.get(popup)
    data = {
        **page_data(response),
        "name": "New Capital",
        "slug": "new-capital",
        "kind": "investor",
        "_popup": "1",
        "_to_field": "id",
    }
    response = editor_client.post(popup, data)
    assert response.status_code == 200, response.content.decode()[:3000]
    investor = Company.objects.get(slug="new-capital")
    assert b"popup_response" in response.content and str(investor.pk).encode() in response.content

    # The round, saved once, with the new investor.
    response = editor_client.post(
        url(FundingRound, "add"), round_data(editor_client, company, investor)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert FundingRound.objects.get().investments.get().investor == investor


def test_a_company_investing_in_itself_is_refused_on_the_investor(editor_client):
    company = CompanyFactory()
    response = editor_client.post(
        url(FundingRound, "add"), round_data(editor_client, company, company)
    )
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert errors[0]["investor"] == ["A company cannot invest in itself."]
    assert not FundingRound.objects.exists()


def test_a_round_moved_to_another_company_takes_its_investments(editor_client):
    funding_round = FundingRoundFactory()
    investment = InvestmentFactory(funding_round=funding_round, company=funding_round.company)
    other = CompanyFactory()
    response = editor_client.get(url(FundingRound, "change", funding_round.pk))
    data = {**page_data(response), "company": str(other.pk)}
    response = editor_client.post(url(FundingRound, "change", funding_round.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    investment.refresh_from_db()
    assert investment.company == other


# --- status actions -------------------------------------------------------------------


def action(name: str, *records, **extra) -> dict:
    return {"action": name, "_selected_action": [r.pk for r in records], **extra}


def test_a_status_action_asks_for_a_reason_before_changing_anything(editor_client):
    metrics = [MetricFactory(), MetricFactory()]
    page = editor_client.get(url(Metric, "changelist")).content.decode()
    assert '<option value="mark_retracted">Mark selected as retracted</option>' in page

    response = editor_client.post(url(Metric, "changelist"), action("mark_retracted", *metrics))
    assert response.status_code == 200
    assert response.templates[0].name == "admin/status_confirmation.html"
    content = response.content.decode()
    assert "Mark 2 metrics as <strong>retracted</strong>?" in content
    assert 'name="change_reason"' in content
    assert all(str(metric) in content for metric in metrics)
    assert not Metric.objects.filter(status="retracted").exists()

    # Confirmed without a reason: asked again, nothing changed.
    response = editor_client.post(
        url(Metric, "changelist"), action("mark_retracted", *metrics, post="yes")
    )
    assert response.status_code == 200
    assert "Say why" in response.content.decode()
    assert not Metric.objects.filter(status="retracted").exists()

    # A reason of zero-width spaces is none.
    data = action("mark_retracted", *metrics, post="yes", change_reason="\u200b\u2060")
    response = editor_client.post(url(Metric, "changelist"), data)
    assert response.status_code == 200
    assert "shows nothing" in response.content.decode()
    assert not Metric.objects.filter(status="retracted").exists()


def test_retracting_keeps_the_reason_in_each_records_history(editor_client, editor):
    metrics = [MetricFactory(), MetricFactory()]
    kept = MetricFactory()
    data = action("mark_retracted", *metrics, post="yes", change_reason="The article was withdrawn")
    response = editor_client.post(url(Metric, "changelist"), data, follow=True)
    assert "2 metrics marked retracted." in response.content.decode()
    for metric in metrics:
        metric.refresh_from_db()
        assert metric.status == "retracted"
        latest = metric.history.first()
        assert latest.history_user == editor
        assert latest.history_change_reason == "Marked retracted: The article was withdrawn"
    kept.refresh_from_db()
    assert kept.status == "unverified"


def test_a_status_action_on_all_matching_records_keeps_them_all(editor_client):
    metrics = [MetricFactory() for _ in range(3)]
    # The list showed one on its page; "select all" chose every one.
    first = action("mark_disputed", metrics[0], select_across="1", index="0")
    page = editor_client.post(url(Metric, "changelist"), first).content.decode()
    assert "Mark 3 metrics as" in page
    assert '<input type="hidden" name="select_across" value="1">' in page
    data = {**first, "post": "yes", "change_reason": "Contradicted by the filing"}
    editor_client.post(url(Metric, "changelist"), data)
    assert Metric.objects.filter(status="disputed").count() == 3


def test_verifying_still_needs_a_citation(editor_client):
    cited, uncited = MetricFactory(), MetricFactory()
    CitationFactory(fact=cited)
    data = action("mark_verified", cited, uncited, post="yes", change_reason="Checked")
    response = editor_client.post(url(Metric, "changelist"), data, follow=True)
    assert "Cannot mark verified without a citation" in response.content.decode()
    assert not Metric.objects.filter(status="verified").exists()


# --- list filters and columns ----------------------------------------------------------


def filter_choices(response, title: str) -> list[dict]:
    """The choices a list filter offers, as the page shows them (display, query string)."""
    spec = next(s for s in response.context["cl"].filter_specs if s.title == title)
    return list(spec.choices(response.context["cl"]))


def filter_names(response, title: str) -> list[str]:
    return [choice["display"] for choice in filter_choices(response, title)]


def test_list_filters_offer_only_the_values_in_use_by_name(editor_client):
    CompanyFactory(country="FR")
    CompanyFactory(country="DE")
    CompanyFactory(country="")
    response = editor_client.get(url(Company, "changelist"))
    assert filter_names(response, "country") == ["All", "France", "Germany", "(none)"]

    response = editor_client.get(url(Company, "changelist") + "?country=DE")
    assert [c.country for c in response.context["cl"].result_list] == ["DE"]
    response = editor_client.get(url(Company, "changelist") + "?_facets=True")
    assert filter_names(response, "country") == ["All", "France (1)", "Germany (1)", "(none) (1)"]

    MetricFactory(region="001")
    MetricFactory(region="IT")
    response = editor_client.get(url(Metric, "changelist"))
    assert filter_names(response, "region") == ["All", "Italy", "Worldwide"]

    FundingRoundFactory(currency="EUR")
    response = editor_client.get(url(FundingRound, "changelist"))
    assert filter_names(response, "currency") == ["All", "EUR (Euro)"]

    SourceFactory(language="it")
    response = editor_client.get(url(Source, "changelist"))
    assert filter_names(response, "language") == ["All", "Italiano — Italian (it)"]


def test_the_citation_filter_lists_kinds_of_fact_not_tables(editor_client):
    metric = MetricFactory()
    CitationFactory(fact=metric)
    CitationFactory(fact=metric.company)
    response = editor_client.get(url(Citation, "changelist"))
    assert filter_names(response, "kind of fact") == ["All", "company", "metric"]

    metrics = next(c for c in filter_choices(response, "kind of fact") if c["display"] == "metric")
    response = editor_client.get(url(Citation, "changelist") + metrics["query_string"])
    assert [c.object_id for c in response.context["cl"].result_list] == [metric.pk]

    # The citation form names kinds of fact too: no permission, session or log entry.
    form = editor_client.get(url(Citation, "add")).context["adminform"].form
    offered = [label for _, label in form.fields["content_type"].choices if _]
    assert "metric" in offered and "funding round" in offered
    assert not {"permission", "session", "log entry", "source"} & set(offered)


def test_list_columns_have_plain_names(editor_client):
    metric = MetricFactory()
    FundingRoundFactory(company=metric.company)
    for model, names in {Metric: {"value", "period", "window"}, FundingRound: {"value"}}.items():
        response = editor_client.get(url(model, "changelist"))
        texts = {header["text"] for header in result_headers(response.context["cl"])}
        assert names <= texts, model
        assert not [text for text in texts if "display" in text], model
        for name in names:
            assert re.search(rf">\s*{name.capitalize()}\s*<", response.content.decode())

    # The company's page lists its metrics and rounds under the same names.
    content = editor_client.get(url(Company, "change", metric.company_id)).content.decode()
    assert '<th scope="col">Value</th>' in content
    assert '<th scope="col">Period</th>' in content
    assert "Value display" not in content and "Period display" not in content


# --- pickers -------------------------------------------------------------------------


def test_a_source_reads_title_publisher_date_and_language_in_its_picker(editor_client):
    source = SourceFactory(title="Le Chat atteint un million", publisher="Unnamed publisher")
    label = "Le Chat atteint un million — Unnamed publisher, 11 Feb 2025, en"
    assert str(source) == label
    response = editor_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "factbase",
            "model_name": "citation",
            "field_name": "source",
            "term": "chat",
        },
    )
    assert response.json()["results"] == [{"id": str(source.pk), "text": label}]


def test_countries_and_currencies_are_offered_by_name_and_searchable(editor_client):
    company = CompanyFactory(country="FR")
    content = editor_client.get(url(Company, "change", company.pk)).content.decode()
    select = re.search(r'<select name="country"[^>]*>', content).group(0)
    assert 'class="searchable-select"' in select
    assert '<option value="FR" selected>France</option>' in content
    assert "factbase/admin/searchable.js" in content

    content = editor_client.get(url(FundingRound, "add")).content.decode()
    assert re.search(
        r'<select name="investments-__prefix__-currency"[^>]*searchable-select', content
    )
    assert '<option value="EUR">EUR (Euro)</option>' in content
    metric_page = editor_client.get(url(Metric, "add")).content.decode()
    assert '<option value="001">Worldwide</option>' in metric_page


def test_the_language_is_picked_by_name_and_stored_as_its_tag(editor_client):
    response = editor_client.get(url(Source, "add"))
    content = response.content.decode()
    assert '<option value="fr">Français — French (fr)</option>' in content
    assert '<option value="it">Italiano — Italian (it)</option>' in content
    data = {
        **page_data(response),
        "title": "Lancement",
        "publisher": "Le Journal",
        "kind": "news_article",
        "language": "pt-BR",
    }
    response = editor_client.post(url(Source, "add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Source.objects.get(title="Lancement").language == "pt-BR"


def test_a_stored_language_outside_the_list_is_kept(editor_client):
    source = SourceFactory(language="it-CH")
    response = editor_client.get(url(Source, "change", source.pk))
    assert '<option value="it-CH" selected>Italiano (Svizzera) — Italian (Switzerland) (it-CH)' in (
        response.content.decode()
    )
    data = {**page_data(response), "title": "Retitled"}
    assert editor_client.post(url(Source, "change", source.pk), data).status_code == 302
    source.refresh_from_db()
    assert (source.title, source.language) == ("Retitled", "it-CH")


def test_a_language_that_is_not_a_tag_is_refused_naming_the_field(editor_client):
    source = SourceFactory()
    response = editor_client.get(url(Source, "change", source.pk))
    data = {**page_data(response), "language": "Italian"}
    response = editor_client.post(url(Source, "change", source.pk), data)
    assert response.status_code == 200
    assert "Use a BCP 47 language tag" in " ".join(
        response.context["adminform"].form.errors["language"]
    )
    source.refresh_from_db()
    assert source.language == "en"


# --- fitting the window ----------------------------------------------------------------


def test_fact_pages_load_the_forms_stylesheet_from_the_project(editor_client):
    company = CompanyFactory()
    content = editor_client.get(url(Company, "change", company.pk)).content.decode()
    assert "/static/factbase/admin/forms.css" in content
    assert finders.find("factbase/admin/forms.css") and finders.find("factbase/admin/searchable.js")
    assert not re.search(r'(src|href)="(https?:)?//', content)  # nothing from another site
    # A citation's secondary fields are folded away, its quote three lines high.
    assert "Who said it, and where" in content
    assert re.search(r'<textarea name="factbase-citation[^"]*-0-quote" cols="80" rows="3"', content)


def test_marking_what_has_the_status_already_leaves_it_alone(editor_client):
    """A fact that has the status already gets no version and no history record: the
    form an editor has open on it stays current."""
    already = [MetricFactory(), MetricFactory()]
    changed = MetricFactory(status="disputed")
    versions = {m.pk: (m.version, m.history.count()) for m in (*already, changed)}
    data = action("mark_unverified", *already, changed, post="yes", change_reason="checked")
    response = editor_client.post(url(Metric, "changelist"), data, follow=True)
    assert "1 metric marked unverified. 2 already were." in response.content.decode()
    for metric in already:
        metric.refresh_from_db()
        assert (metric.version, metric.history.count()) == versions[metric.pk]
    changed.refresh_from_db()
    assert changed.status == "unverified"
    assert changed.version == versions[changed.pk][0] + 1
