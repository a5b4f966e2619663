"""An import in a real browser: from a fact list's "Import" link, a CSV file uploaded,
the preview of every row read, then "Confirm import"; the rows are in the list after."""

from selenium.webdriver.common.by import By

from events.models import Metric
from factbase.core.services import record_write
from tests.factories import CompanyFactory, SourceFactory

QUOTE = "its assistant reached two million users"


def test_an_editor_uploads_a_csv_sees_the_preview_and_confirms(editor_browser, tmp_path):
    acme = record_write(CompanyFactory.build(name="Acme Robotics", slug="acme"), fields={})
    source = SourceFactory.create()
    path = tmp_path / "acme-metrics.csv"
    path.write_text(
        "company_slug,metric_type_slug,qualifier,value,status,citation_source,citation_quote\n"
        f"acme,downloads,exact,2000000,verified,{source.pk},{QUOTE}\n"
        "acme,users,at_least,150000,unverified,,\n",
        encoding="utf-8",
    )
    browser = editor_browser

    browser.open("/admin/events/metric/")
    browser.assert_admin_assets()
    browser.submit(browser.find("a.importlink"))
    browser.find("input[name=file]").send_keys(str(path))
    browser.fill("reason", "Acme's annual report")
    browser.submit(browser.find("input[name=_check]"))

    assert browser.text("#import-summary").startswith(
        "acme-metrics.csv: 2 rows (2 new, 0 update, 0 unchanged, 0 error). Dry run"
    )
    rows = browser.driver.find_elements(By.CSS_SELECTOR, "#import-rows tbody tr")
    assert [row.text.split()[:2] for row in rows] == [["2", "new"], ["3", "new"]]
    assert not Metric.objects.exists()  # the preview wrote nothing

    browser.submit(browser.find("input[name=_confirm]"))

    assert "Imported acme-metrics.csv: 2 new, 0 updated, 0 unchanged." in browser.text(
        ".messagelist"
    )
    assert browser.driver.current_url.endswith("/admin/events/metric/")
    metrics = Metric.objects.filter(company=acme).order_by("value")
    assert [(m.metric_type.slug, m.qualifier, int(m.value)) for m in metrics] == [
        ("users", "at_least", 150000),
        ("downloads", "exact", 2000000),
    ]
    cited = metrics.get(metric_type__slug="downloads").citations.get()
    assert (cited.source, cited.quote) == (source, QUOTE)
    version = metrics.first().history.get()
    assert version.history_change_reason == "import acme-metrics.csv: Acme's annual report"
    assert version.history_user == browser.user
