"""A funding round entered in a real browser as an editor enters it: the round, its
investor created on the spot through the "+" popup, its valuation and its citation in one
save; a status changed, and rounds deleted, with a reason; an amount the server cannot
read refused."""

from decimal import Decimal

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from companies.models import Company
from events.models import FundingRound
from factbase.core.services import record_write
from tests.browser.conftest import WAIT_SECONDS
from tests.factories import CompanyFactory, FundingRoundFactory, SourceFactory

ADD_ROUND = "/admin/events/fundinground/add/"
CITATION = "factbase-citation-content_type-object_id-0"
QUOTE = "Mistral AI has raised €600 million in a Series B round led by General Catalyst."


def make_company(name: str, slug: str, **fields) -> Company:
    company = CompanyFactory.build(name=name, slug=slug, **fields)
    return record_write(company, fields={})


def errors(browser) -> list[str]:
    found = browser.driver.find_elements(By.CSS_SELECTOR, ".errornote, ul.errorlist")
    return [e.text for e in found if e.text]


def add_in_popup(browser, link_id: str, values: dict[str, str], choices: dict[str, str]):
    """Click the "+" link `link_id`, fill the popup's form, save it, and come back to the
    page once the popup has closed."""
    driver = browser.driver
    page = driver.current_window_handle
    wait = WebDriverWait(driver, WAIT_SECONDS)
    browser.find(f"#{link_id}").click()
    wait.until(expected_conditions.number_of_windows_to_be(2))
    driver.switch_to.window(next(h for h in driver.window_handles if h != page))
    browser.wait_for(By.NAME, "_save")
    for name, value in values.items():
        browser.fill(name, value)
    for name, label in choices.items():
        browser.choose(name, label)
    browser.find("input[name=_save]").click()
    wait.until(expected_conditions.number_of_windows_to_be(1))
    driver.switch_to.window(page)


def test_a_round_with_a_new_investor_valuation_and_citation_is_entered_in_one_save(
    editor_browser,
):
    mistral = make_company("Mistral AI", "mistral-ai", kind="ai_lab")
    source = SourceFactory.create(
        title="Mistral AI raises €600M", text=f"Paris, 11 June 2024. {QUOTE} More to come."
    )
    browser = editor_browser

    browser.open(ADD_ROUND)
    browser.pick("company", "Mistral", "Mistral AI")
    browser.choose("round_type", "Series B")
    browser.fill("announced_on", "June 2024")
    browser.choose("qualifier", "Exactly")
    browser.fill("value", "€600M")
    browser.fill("valuation", "about €5.8B")
    browser.choose("valuation_basis", "Post-money")

    browser.find("#investments-group .add-row a").click()
    browser.wait_for(By.NAME, "investments-0-investor")
    add_in_popup(
        browser,
        "add_id_investments-0-investor",
        {"name": "General Catalyst", "slug": "general-catalyst"},
        {"kind": "Investor"},
    )
    WebDriverWait(browser.driver, WAIT_SECONDS).until(
        lambda driver: browser.selected("investments-0-investor") == "General Catalyst"
    )
    browser.tick("investments-0-is_lead")

    browser.pick(f"{CITATION}-source", "raises", str(source))
    browser.fill(f"{CITATION}-quote", QUOTE)
    browser.submit()

    assert errors(browser) == []
    assert "was added successfully" in browser.text(".messagelist")
    funding_round = FundingRound.objects.get()
    assert funding_round.company == mistral
    assert funding_round.round_type == "series_b"
    assert (str(funding_round.announced_on), funding_round.announced_precision) == (
        "2024-06-01",
        "month",
    )
    assert (funding_round.value, funding_round.currency, funding_round.qualifier) == (
        Decimal("600000000"),
        "EUR",
        "exact",
    )
    assert (
        funding_round.valuation,
        funding_round.valuation_qualifier,
        funding_round.valuation_currency,
        funding_round.valuation_basis,
    ) == (Decimal("5800000000"), "approximate", "EUR", "post")
    investment = funding_round.investments.get()
    assert investment.investor.name == "General Catalyst"
    assert investment.investor.slug == "general-catalyst"
    assert investment.investor.kind == "investor"
    assert investment.is_lead is True
    assert investment.company == mistral
    citation = funding_round.citations.get()
    assert (citation.source, citation.quote) == (source, QUOTE)


def test_a_fact_is_disputed_from_the_list_with_the_reason_kept_in_its_history(
    editor_browser,
):
    funding_round = record_write(
        FundingRoundFactory.build(company=make_company("Mistral AI", "mistral-ai")), fields={}
    )
    browser = editor_browser
    reason = "The source gives €500M, not €600M"

    browser.open("/admin/events/fundinground/")
    browser.find(f"input[name=_selected_action][value='{funding_round.pk}']").click()
    browser.choose("action", "Mark selected as disputed")
    browser.submit(browser.find("button[name=index]"))
    assert "Mark 1 funding round as disputed?" in browser.text("#content-main")
    browser.fill("change_reason", reason)
    browser.submit(browser.find("#content-main input[type=submit]"))

    assert errors(browser) == []
    assert "1 funding round marked disputed." in browser.text(".messagelist")
    funding_round.refresh_from_db()
    assert funding_round.status == "disputed"
    latest = funding_round.history.order_by("-history_date", "-history_id").first()
    assert reason in latest.history_change_reason


def test_rounds_deleted_from_the_list_keep_the_reason_in_their_history(editor_browser):
    company = make_company("Mistral AI", "mistral-ai")
    rounds = [record_write(FundingRoundFactory.build(company=company), fields={}) for _ in "ab"]
    browser = editor_browser
    reason = "Entered twice from the same article"

    browser.open("/admin/events/fundinground/")
    for funding_round in rounds:
        browser.find(f"input[name=_selected_action][value='{funding_round.pk}']").click()
    browser.choose("action", "Delete selected funding rounds")
    browser.submit(browser.find("button[name=index]"))
    assert "Are you sure you want to delete the selected funding rounds?" in browser.text(
        "#content"
    )
    browser.fill("change_reason", reason)
    browser.submit(browser.find("#content input[type=submit]"))

    assert errors(browser) == []
    assert "Successfully deleted 2 funding rounds." in browser.text(".messagelist")
    assert not FundingRound.objects.exists()
    for funding_round in rounds:
        latest = FundingRound.history.filter(id=funding_round.pk).first()
        assert (latest.history_type, latest.history_change_reason) == ("-", reason)


def test_an_amount_that_cannot_be_read_is_previewed_then_refused_and_nothing_is_stored(
    editor_browser,
):
    make_company("Mistral AI", "mistral-ai")
    browser = editor_browser
    stored = FundingRound.objects.count()

    browser.open(ADD_ROUND)
    browser.pick("company", "Mistral", "Mistral AI")
    browser.choose("round_type", "Series B")
    browser.choose("qualifier", "Exactly")
    browser.fill("value", "€600M")
    preview = browser.find("#id_value_preview")
    WebDriverWait(browser.driver, WAIT_SECONDS).until(
        lambda driver: preview.text == "Will be stored as €600,000,000"
    )
    browser.fill("value", "600 apples")
    WebDriverWait(browser.driver, WAIT_SECONDS).until(
        lambda driver: preview.text.startswith("“600 apples” is not an amount")
    )
    browser.submit()

    assert "Please correct the error below." in browser.text(".errornote")
    assert "“600 apples” is not an amount" in browser.text(".field-value .errorlist")
    assert browser.find("input[name=value]").get_attribute("value") == "600 apples"
    assert FundingRound.objects.count() == stored
