"""The history pages in a real browser: an edit shows in the history with its version and
its UTC time, and a revert shows its differences before it brings the record and its rows
back."""

import re

from selenium.webdriver.common.by import By

from companies.models import Company
from factbase.core.services import record_write
from tests.factories import CompanyFactory

UTC_SECONDS = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")


def make_company(**fields):
    company = CompanyFactory.build(name="Acme", slug="acme", **fields)
    return record_write(company, fields={}, children={"aliases": [{"name": "Acme Inc"}]})


def history_rows(browser) -> list[str]:
    return [
        row.text
        for row in browser.driver.find_elements(By.CSS_SELECTOR, "#change-history tbody tr")
    ]


def test_an_edit_shows_in_the_history_with_its_version_and_utc_time(editor_browser):
    company = make_company()
    editor_browser.open(f"/admin/companies/company/{company.pk}/change/")
    editor_browser.assert_admin_assets()
    editor_browser.fill("name", "Acme Corp")
    editor_browser.fill("change_reason", "Renamed in March")
    editor_browser.submit()
    assert "was changed successfully" in editor_browser.text(".messagelist")

    editor_browser.open(f"/admin/companies/company/{company.pk}/history/")
    newest, oldest = history_rows(editor_browser)
    assert newest.startswith("2 ")
    assert UTC_SECONDS.search(newest)
    assert "Name: Acme → Acme Corp" in newest
    assert editor_browser.user.username in newest and "Renamed in March" in newest
    assert oldest.startswith("1 ") and "Created" in oldest
    assert Company.objects.get(pk=company.pk).name == "Acme Corp"


def test_a_revert_shows_its_differences_then_brings_the_record_and_its_rows_back(
    editor_browser,
):
    company = make_company()
    alias = company.aliases.get()
    record_write(
        company,
        fields={"name": "Acme Corp"},
        children={"aliases": [{"name": "Acme Group"}]},  # Acme Inc deleted, Acme Group added
        user=editor_browser.user,
    )
    added = company.aliases.get()

    editor_browser.open(f"/admin/companies/company/{company.pk}/history/")
    editor_browser.find("#change-history tbody tr:last-child td a").click()
    editor_browser.wait_for(By.ID, "revert-changes")
    differences = editor_browser.text("#revert-changes")
    assert "Name Acme Corp Acme" in differences
    assert f"Company alias {alias.pk} — Acme Inc" in differences
    assert f"Company alias {added.pk} Acme Group —" in differences

    editor_browser.fill("change_reason", "The rename was a mistake")
    editor_browser.submit()
    assert "was changed successfully" in editor_browser.text(".messagelist")

    company = Company.objects.get(pk=company.pk)
    assert company.name == "Acme"
    assert company.version == 3
    assert list(company.aliases.values_list("pk", "name")) == [(alias.pk, "Acme Inc")]
