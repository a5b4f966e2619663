"""The browser test rig: the admin in a headless Chromium (Debian's chromium and
chromium-driver, installed by `make browsers`) against pytest-django's live server.

A test that takes the `browser` fixture is marked `browser` (`-m browser` selects them, and
`-m "not browser"` leaves them out). When Chromium or its driver is missing such a test
fails, saying how to install them: it is never skipped."""

import shutil
import threading
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from factbase.core.groups import ensure_groups
from factbase.core.seeds import ensure_seeds

CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_SECONDS = 20
EDITOR_PASSWORD = "a browser's own password"


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_driver(live_server):
    """One headless Chromium for the session (starting one takes seconds). It quits before
    the live server stops: the server's threads for the connections Chromium keeps open
    use the live server's database connection until those close."""
    chromium = shutil.which("chromium")
    if chromium is None or not CHROMEDRIVER.exists():
        pytest.fail(
            "The browser tests need Chromium and its driver (/usr/bin/chromium, "
            f"{CHROMEDRIVER}): run `make browsers`.",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=WAIT_SECONDS)


@pytest.fixture
def browser(browser_driver, live_server):
    """The session's browser, for one test on the live server: no cookies from the test
    before it."""
    browser_driver.delete_all_cookies()
    return Browser(browser_driver, live_server.url)


@pytest.fixture
def seeded(transactional_db):
    """What `migrate` leaves in a fresh database (its post_migrate signal): the staff
    groups and the vocabularies. A transactional test starts from whatever the test
    before it left, so they are made sure of here."""
    ensure_seeds()
    ensure_groups()


@pytest.fixture
def editor_browser(browser, seeded):
    """The browser, logged in as an editor through the admin's login form."""
    user = get_user_model().objects.create_user(
        "browser-editor", password=EDITOR_PASSWORD, is_staff=True
    )
    user.groups.add(Group.objects.get(name="editor"))
    browser.login(user.username, EDITOR_PASSWORD)
    browser.user = user
    return browser


def gone(element):
    """A wait's condition: `element` has left the page (the next page replaced it).
    Chromium sometimes says so with an "unknown error" rather than a stale element: the
    node "does not belong to the document" while the old page is being torn down."""

    def check(driver) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
        return False

    return check


class Browser:
    """A WebDriver with the few steps the admin's pages need."""

    def __init__(self, driver, base_url: str):
        self.driver = driver
        self.base_url = base_url
        self.user = None

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)
        self.wait_for(By.TAG_NAME, "body")

    def wait_for(self, by, value):
        return WebDriverWait(self.driver, WAIT_SECONDS).until(
            expected_conditions.presence_of_element_located((by, value))
        )

    def find(self, css: str):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def text(self, css: str) -> str:
        return self.find(css).text

    def login(self, username: str, password: str) -> None:
        self.open("/admin/login/?next=/admin/")
        self.fill("username", username)
        self.fill("password", password)
        self.submit(self.find("form#login-form [type=submit]"))
        self.wait_for(By.ID, "user-tools")

    def fill(self, name: str, value: str) -> None:
        """Type `value` into the input or text area `name`, replacing what it held."""
        field = self.driver.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)

    def choose(self, name: str, label: str) -> None:
        """Choose the option shown as `label` in the select `name`."""
        Select(self.driver.find_element(By.NAME, name)).select_by_visible_text(label)

    def pick(self, name: str, search: str, label: str | None = None) -> None:
        """Pick `label` (`search` by default) in the autocomplete (select2) picker `name`:
        open it, type `search`, click the result, as an editor does."""
        select = self.driver.find_element(By.NAME, name)
        select.find_element(
            By.XPATH, "following-sibling::span[contains(@class, 'select2-container')]"
        ).click()
        box = self.wait_for(By.CSS_SELECTOR, ".select2-container--open .select2-search__field")
        box.send_keys(search)
        label = label or search
        wait = WebDriverWait(self.driver, WAIT_SECONDS)

        def click_result(driver) -> bool:
            # Found and clicked in one step, tried again if select2 redraws the results
            # in between (a later answer to the search replaces the list).
            options = driver.find_elements(
                By.CSS_SELECTOR, ".select2-container--open .select2-results__option"
            )
            option = next((o for o in options if o.text == label), None)
            if option is None:
                return False
            option.click()
            return True

        WebDriverWait(
            self.driver, WAIT_SECONDS, ignored_exceptions=(StaleElementReferenceException,)
        ).until(click_result)
        wait.until(lambda driver: self.selected(name) == label)

    def selected(self, name: str) -> str:
        """The label of the option chosen in the select `name`."""
        options = Select(self.driver.find_element(By.NAME, name)).all_selected_options
        return options[0].text if options else ""

    def tick(self, name: str) -> None:
        box = self.driver.find_element(By.NAME, name)
        if not box.is_selected():
            box.click()

    def submit(self, button=None) -> None:
        """Press `button` (the form's "Save" by default) and wait for the next page."""
        button = button or self.find("input[name=_save]")
        page = self.find("html")
        button.click()
        WebDriverWait(self.driver, WAIT_SECONDS).until(gone(page))
        self.wait_for(By.TAG_NAME, "body")

    def assert_admin_assets(self) -> None:
        """The admin's stylesheet and scripts were served and applied on this page."""
        loaded = self.driver.execute_script(
            "return [...document.styleSheets].some("
            "  s => s.href && s.href.includes('/static/admin/css/base.css')"
            "       && s.cssRules.length > 0)"
        )
        assert loaded, "the admin's stylesheet did not load"
        assert self.driver.execute_script("return typeof window.django === 'object'"), (
            "the admin's scripts did not load"
        )
