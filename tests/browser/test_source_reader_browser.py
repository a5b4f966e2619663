"""Citing from a source's text in a real browser: words selected in the reader (the
selection set as an editor's drag leaves it) read as exact offsets in the stored text, and
added as a citation to a fact the source already supports."""

from selenium.webdriver.support.ui import WebDriverWait

from factbase.core.models import Citation
from tests.browser.conftest import WAIT_SECONDS
from tests.factories import CitationFactory, CompanyFactory, SourceFactory

# An emoji counts one character in the stored text and two in the browser's strings; the
# cited words come after it, after a quote already highlighted and its numbered link.
TEXT = "Le Chat 🐈 est numéro un. Mistral AI annonce Le Chat Pro pour tous."
QUOTE = "Le Chat Pro"

# Select from inside the second plain segment to its end: the range the page gets from a
# drag over these words.
SELECT = """
const [words, reason] = arguments;
const segment = [...document.querySelectorAll('.reader-text span[data-start]')]
  .find(s => s.textContent.includes(words));
const node = segment.firstChild;
const at = node.textContent.indexOf(words);
const range = document.createRange();
range.setStart(node, at);
range.setEnd(node, at + words.length);
const selection = window.getSelection();
selection.removeAllRanges();
selection.addRange(range);
window.factbaseReader.takeSelection();
document.getElementById('reader-reason').value = reason;
"""


def test_words_selected_in_the_text_are_cited_by_a_fact_with_exact_offsets(editor_browser):
    source = SourceFactory.create(text=TEXT, title="Le Chat", language="fr")
    mistral = CompanyFactory.create(name="Mistral AI")
    CitationFactory.create(
        source=source, fact=mistral, quote="Le Chat 🐈", char_start=0, char_end=9
    )
    browser = editor_browser

    browser.open(f"/admin/factbase/source/{source.pk}/change/")
    browser.assert_admin_assets()
    browser.driver.execute_script(SELECT, QUOTE, "the Pro plan")
    assert browser.text("#reader-quote") == QUOTE
    browser.choose("fact", f"Company: Mistral AI ({mistral.get_status_display()})")
    browser.fill("translation", "Le Chat Pro")
    browser.submit(browser.find("#reader-cite-form button[type=submit]"))

    WebDriverWait(browser.driver, WAIT_SECONDS).until(
        lambda driver: "Cited by Company: Mistral AI" in browser.text(".messagelist")
    )
    citation = Citation.objects.exclude(char_start=0).get()
    start = TEXT.index(QUOTE)
    assert (citation.fact, citation.quote) == (mistral, QUOTE)
    assert (citation.char_start, citation.char_end) == (start, start + len(QUOTE))
    assert citation.translation == "Le Chat Pro"
    assert "the Pro plan" in citation.history.get().history_change_reason
    # Back on the reader, at the new citation, now highlighted.
    assert browser.driver.current_url.endswith(f"#citation-{citation.pk}")
    marks = browser.driver.find_elements("css selector", "mark.current")
    assert [mark.text for mark in marks] == [QUOTE]
