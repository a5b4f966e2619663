"""The source reader on a source's admin page: the stored text with its cited quotes
highlighted and linked to their facts, quotes that no longer stand at their offsets
flagged, citing from the text (to an existing fact, or a new fact begun with the words),
"see in source" links, and a number of queries that does not grow with the citations."""

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from events.models import Event
from factbase.admin.citing import source_url
from factbase.core.models import Citation
from tests.factories import (
    CitationFactory,
    CompanyFactory,
    EventFactory,
    MetricFactory,
    PersonFactory,
    SourceFactory,
)

# "Acme" twice, so that a quote's place is not its first occurrence.
TEXT = (
    "Acme Robotics said on Monday that its assistant reached two million users.\r\n"
    "Acme also announced a partnership with <Globex> & Initech."
)
SECOND_ACME = TEXT.index("Acme", 1)


def reader_url(source) -> str:
    return reverse("admin:factbase_source_change", args=[source.pk])


def cite(source, fact, quote: str, start: int | None = None) -> Citation:
    start = TEXT.index(quote) if start is None else start
    return CitationFactory.create(
        source=source, fact=fact, quote=quote, char_start=start, char_end=start + len(quote)
    )


@pytest.fixture
def source(db):
    return SourceFactory.create(text=TEXT, title="Acme grows")


def page(client, source) -> str:
    response = client.get(reader_url(source))
    assert response.status_code == 200
    return response.content.decode()


def test_quotes_are_highlighted_escaped_and_linked_to_their_facts(editor_client, source):
    company = CompanyFactory.create(name="Acme Robotics")
    metric = MetricFactory.create(company=company)
    said = cite(source, company, "Acme Robotics said on Monday")
    users = cite(source, metric, "Monday that its assistant reached two million users")

    html = page(editor_client, source)

    # Cut at every quote's start and end: the overlap is its own segment, naming both.
    assert f'<mark class="quote" data-start="0" data-citations="{said.pk}"' in html
    assert (
        f'<mark class="quote overlap" data-start="22" data-citations="{said.pk} {users.pk}"' in html
    )
    assert f'id="citation-{said.pk}"' in html and f'id="citation-{users.pk}"' in html
    company_url = reverse("admin:companies_company_change", args=[company.pk])
    metric_url = reverse("admin:events_metric_change", args=[metric.pk])
    assert f'<a href="{company_url}">Company: Acme Robotics (Unverified)</a>' in html
    assert f'<a href="{metric_url}">{escape(f"Metric: {metric} (Unverified)")}</a>' in html
    assert f'class="cite-ref" href="{company_url}"' in html
    # The text escaped, "\r\n" cut in two so the page's offsets are the text's.
    assert "&lt;Globex&gt; &amp; Initech." in html
    assert "<Globex>" not in html.split('id="reader-stored-text"')[0]
    assert f'<span data-start="{TEXT.index(chr(10))}">\nAcme also' in html


def test_a_quote_no_longer_at_its_offsets_is_flagged_not_highlighted(editor_client, source):
    company = CompanyFactory.create()
    moved = cite(source, company, "Acme also announced", start=0)
    gone = CitationFactory.create(
        source=source, fact=company, quote="three million", char_start=0, char_end=13
    )

    html = page(editor_client, source)

    assert "2 quotes no longer stand at their offsets" in html
    assert "Does not match: quote found, but not at the recorded offsets" in html
    assert "Does not match: quote not found in the source&#x27;s stored text" in html
    assert f'data-citations="{moved.pk}"' not in html
    assert f'<tr id="citation-{moved.pk}" class="mismatch">' in html
    assert f'<tr id="citation-{gone.pk}" class="mismatch">' in html


def test_an_edit_of_the_text_in_the_admin_moves_its_citations_with_the_words(
    editor_client, editor, source
):
    """An editor corrects the text above a quote: the quote is highlighted where its words
    now stand, not flagged, and its citation's history says who moved it and why."""
    company = CompanyFactory.create()
    second = cite(source, company, "Acme also announced", start=SECOND_ACME)
    fields = FormFields()
    fields.feed(page(editor_client, source))
    edited = TEXT.replace("two million", "2 million")
    data = {
        **fields.values,
        "text": edited,
        "change_reason": "A typo in the figure",
        "_save": "Save",
    }

    response = editor_client.post(reader_url(source), data)

    assert response.status_code == 302, re.findall(r"errorlist.{0,300}", response.content.decode())
    second.refresh_from_db()
    moved_to = edited.index("Acme", 1)
    assert (second.char_start, second.char_end) == (moved_to, moved_to + 19)
    html = page(editor_client, source)
    assert "no longer stand" not in html
    assert f'data-start="{moved_to}" data-citations="{second.pk}"' in html
    written = second.history.order_by("-history_date", "-history_id").first()
    assert (written.history_user, written.history_change_reason) == (
        editor,
        "A typo in the figure",
    )


def test_words_selected_are_added_to_an_existing_fact_with_a_reason(editor_client, source):
    person = PersonFactory.create(name="Jane Acme")
    quote = "Acme also announced"

    response = editor_client.post(
        reverse("admin:factbase_source_cite", args=[source.pk]),
        {
            "fact": f"person:{person.pk}",
            "quote": quote,
            "char_start": SECOND_ACME,
            "char_end": SECOND_ACME + len(quote),
            "translation": "",
            "change_reason": "she is quoted",
        },
    )

    citation = person.citations.get()
    assert response.status_code == 302
    assert response["Location"] == source_url(source.pk, citation.pk)
    # The place selected, not the quote's first occurrence ("Acme" starts the text too).
    assert (citation.source, citation.quote) == (source, quote)
    assert (citation.char_start, citation.char_end) == (SECOND_ACME, SECOND_ACME + len(quote))
    reason = f"Cited from source {source.pk}: she is quoted"
    assert citation.history.get().history_change_reason == reason
    person.refresh_from_db()
    latest = person.history.order_by("-history_date", "-history_id").first()
    assert latest.history_change_reason == reason
    assert latest.history_user.username == "editor"


@pytest.mark.parametrize(
    ("quote", "start", "end"),
    [
        ("Acme also announced", 0, 19),  # the words, but not at these offsets
        ("Acme Robotics", 0, 14),  # one character more than the quote
        ("Acme", 1000, 1004),  # past the end of the text
    ],
)
def test_a_quote_that_is_not_the_text_at_its_offsets_is_refused(
    editor_client, source, quote, start, end
):
    company = CompanyFactory.create()
    versions = company.history.count()

    response = editor_client.post(
        reverse("admin:factbase_source_cite", args=[source.pk]),
        {"fact": f"company:{company.pk}", "quote": quote, "char_start": start, "char_end": end},
    )

    assert response.status_code == 400
    assert "Nothing was written." in response.content.decode()
    assert not Citation.objects.exists()
    assert company.history.count() == versions


class FormFields(HTMLParser):
    """The values a browser would post from a page's forms (inputs, selects, text areas)."""

    def __init__(self):
        super().__init__()
        self.values, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "checkbox"):
            self.values[name] = attrs.get("value") or ""
        elif tag == "input" and name and "checked" in attrs:
            self.values[name] = attrs.get("value") or "on"
        elif tag == "select":
            self._select = name
            if "multiple" not in attrs:  # none chosen in a list: nothing posted
                self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def test_a_new_fact_starts_with_the_selected_words_as_its_citation(editor_client, source):
    quote = "Acme also announced a partnership"
    start = SECOND_ACME

    response = editor_client.get(
        reverse("admin:factbase_source_new_fact", args=[source.pk]),
        {
            "kind": "event",
            "quote": quote,
            "char_start": start,
            "char_end": start + len(quote),
            "translation": "Acme annonce",
        },
    )
    assert response.status_code == 302
    add_url = response["Location"]
    assert urlsplit(add_url).path == reverse("admin:events_event_add")
    assert parse_qs(urlsplit(add_url).query)["cite_quote"] == [quote]

    form = editor_client.get(add_url)
    fields = FormFields()
    fields.feed(form.content.decode())
    row = "factbase-citation-content_type-object_id-0"
    assert fields.values[f"{row}-source"] == str(source.pk)
    assert fields.values[f"{row}-quote"].strip() == quote
    assert fields.values[f"{row}-translation"].strip() == "Acme annonce"
    assert fields.values[f"{row}-char_start"] == str(start)

    # Saved as the editor leaves it: the citation is the fact's, at the place selected.
    data = {**fields.values, "title": "Acme and Globex", "kind": "other"}
    data = {name: value.strip("\n") for name, value in data.items()}
    saved = editor_client.post(add_url, data)
    assert saved.status_code == 302, re.findall(r"errorlist.{0,300}", saved.content.decode())
    citation = Event.objects.get(title="Acme and Globex").citations.get()
    assert (citation.quote, citation.translation) == (quote, "Acme annonce")
    assert (citation.char_start, citation.char_end) == (start, start + len(quote))


@pytest.mark.parametrize("end", ["", "100000000"], ids=["end-blanked", "end-past-the-text"])
def test_offsets_sent_that_do_not_hold_are_replaced_by_where_the_quote_is(
    editor_client, source, end
):
    """The offsets travel in the add form: one sent blank, or past the text, would have
    matched the text's tail and been stored half-made, and the source's page then failed
    for every reader. They are replaced by where the quote is, both of them."""
    quote = "Globex> & Initech."  # the text's last words
    start = TEXT.index(quote)
    response = editor_client.get(
        reverse("admin:factbase_source_new_fact", args=[source.pk]),
        {"kind": "event", "quote": quote, "char_start": start, "char_end": start + len(quote)},
    )
    add_url = response["Location"]
    fields = FormFields()
    fields.feed(editor_client.get(add_url).content.decode())
    row = "factbase-citation-content_type-object_id-0"
    data = {**fields.values, "title": "Acme and Globex", "kind": "other", f"{row}-char_end": end}
    data = {name: value.strip("\n") for name, value in data.items()}
    saved = editor_client.post(add_url, data)
    assert saved.status_code == 302, re.findall(r"errorlist.{0,300}", saved.content.decode())
    citation = Event.objects.get(title="Acme and Globex").citations.get()
    assert (citation.char_start, citation.char_end) == (start, start + len(quote))
    assert TEXT[citation.char_start : citation.char_end] == quote
    assert citation.check_against_source() is None
    # The source's page shows it highlighted.
    mark = f'<mark class="quote" data-start="{start}" data-citations="{citation.pk}"'
    assert mark in page(editor_client, source)


def test_a_new_fact_from_words_not_at_their_offsets_is_refused(editor_client, source):
    response = editor_client.get(
        reverse("admin:factbase_source_new_fact", args=[source.pk]),
        {"kind": "event", "quote": "Acme", "char_start": 1, "char_end": 5},
    )
    assert response.status_code == 400


def test_citations_link_to_their_place_in_the_source(editor_client, source):
    company = CompanyFactory.create()
    citation = cite(source, company, "two million users")
    link = f'href="{reader_url(source)}#citation-{citation.pk}"'

    fact_page = editor_client.get(reverse("admin:companies_company_change", args=[company.pk]))
    citations = editor_client.get(reverse("admin:factbase_citation_changelist"))
    citation_page = editor_client.get(reverse("admin:factbase_citation_change", args=[citation.pk]))

    for response in (fact_page, citations, citation_page):
        assert link in response.content.decode()
    assert f'id="citation-{citation.pk}"' in page(editor_client, source)


def test_facts_are_searched_by_name_across_kinds(editor_client, source):
    company = CompanyFactory.create(name="Globex")
    event = EventFactory.create(title="Globex summit")
    CompanyFactory.create(name="Initech")

    response = editor_client.get(
        reverse("admin:factbase_source_facts", args=[source.pk]), {"q": "globex"}
    )

    found = {result["id"] for result in response.json()["results"]}
    assert found == {f"company:{company.pk}", f"event:{event.pk}"}


def many_citations(source, count: int) -> None:
    """`count` citations of the source, spread over facts of four kinds."""
    quote = "two million users"
    start = TEXT.index(quote)
    makers = (CompanyFactory, PersonFactory, EventFactory, MetricFactory)
    for n in range(count):
        cite(source, makers[n % len(makers)].create(), quote, start=start)


def test_the_page_reads_as_many_queries_for_30_citations_as_for_3(
    editor_client, source, django_assert_max_num_queries
):
    page(editor_client, source)  # the content types, read once per process, are cached
    counts = []
    for total in (4, 40):  # four kinds of fact each time
        many_citations(source, total - source.citations.count())
        with CaptureQueriesContext(connection) as queries:
            html = page(editor_client, source)
        assert html.count('class="cite-ref"') == total
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(counts[0]):  # and never more, whatever the data
        page(editor_client, source)
    assert counts[0] <= 22


def test_a_citation_changed_on_its_own_page_to_words_its_fact_cites_is_refused_there(
    editor_client, source
):
    company = CompanyFactory.create()
    stored = cite(source, company, "Acme also announced", start=SECOND_ACME)
    other = cite(source, company, "two million users")
    url = reverse("admin:factbase_citation_change", args=[other.pk])
    fields = FormFields()
    fields.feed(editor_client.get(url).content.decode())
    data = {**fields.values, "quote": stored.quote, "_save": "Save"}

    response = editor_client.post(url, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert f"The fact cites these words of this source already (citation {stored.pk})" in html
    other.refresh_from_db()
    assert (other.quote, other.version) == ("two million users", 1)
