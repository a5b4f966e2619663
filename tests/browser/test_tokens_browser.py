"""An editor's own API token in a real browser: found from the user tools, created after a
confirmation, its key shown once and selected whole by one click, masked afterwards, and
revoked after a confirmation."""

from rest_framework.authtoken.models import Token
from selenium.webdriver.common.by import By


def test_an_editor_creates_their_token_sees_the_key_once_and_revokes_it(editor_browser):
    browser = editor_browser
    browser.open("/admin/authtoken/tokenproxy/")
    browser.assert_admin_assets()

    browser.find("#user-tools #my-api-token").click()
    browser.wait_for(By.ID, "token-create")
    assert not Token.objects.exists()  # asked first
    browser.submit(browser.find("#token-create [type=submit]"))

    key = Token.objects.get(user=browser.user).key
    shown = browser.find("#token-key")
    assert shown.text == key
    shown.click()  # one click selects the whole key, ready to copy
    assert browser.driver.execute_script("return window.getSelection().toString()") == key
    assert f"Authorization: Token {key}" in browser.text("#token-example")

    browser.open("/admin/")
    browser.find("#my-api-token").click()
    browser.wait_for(By.ID, "token-masked")
    assert browser.text("#token-masked").endswith(key[-4:])
    assert key not in browser.driver.page_source  # shown once, not again

    browser.find("#revoke-token").click()
    browser.wait_for(By.ID, "token-revoke")
    assert Token.objects.filter(key=key).exists()  # asked first
    browser.submit(browser.find("#token-revoke [type=submit]"))
    assert "Revoked the API token" in browser.text(".messagelist")
    assert not Token.objects.exists()
    assert key not in browser.driver.page_source
