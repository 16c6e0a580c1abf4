"""The first journeys: sign in, see the home page, switch language, administer a setting."""

import re


def login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def switch_language(page, code):
    page.click(".navbar .dropdown-toggle:has(.bi-translate)")
    with page.expect_navigation():
        page.click(f".navbar button[name=language][value={code}]")
    page.wait_for_load_state("networkidle")


def test_login_home_and_logout(page, live_server, demo_company):
    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url
    assert "登录" in page.content()
    login(page, live_server, "rep.east", "wrong-password")
    assert "请输入正确的用户名和密码" in page.content()
    login(page, live_server, "rep.east", demo_company)
    assert page.url.rstrip("/") == live_server.url
    assert "您好" in page.content()
    page.click(".navbar .dropdown-toggle:has(.bi-person-circle)")
    with page.expect_navigation():
        page.click("text=退出登录")
    assert "/accounts/login/" in page.url
    assert page.console_errors == []


def test_language_switch_to_english_and_back(page, live_server, demo_company):
    login(page, live_server, "admin", demo_company)
    page.goto(f"{live_server.url}/system/settings/")
    assert "系统设置" in page.content()
    switch_language(page, "en")
    assert re.search(r"Settings|settings", page.content())
    switch_language(page, "zh-hans")
    assert "系统设置" in page.content()


def test_admin_changes_a_setting_with_a_reason(page, live_server, demo_company):
    login(page, live_server, "admin", demo_company)
    page.goto(f"{live_server.url}/system/settings/lead.a_first_contact_sla/")
    page.fill("input[name=value]", "12h")
    with page.expect_navigation():
        page.click("main form button.btn-primary")
    assert "请填写修改原因" in page.content() or "必填" in page.content()
    page.fill("input[name=value]", "12h")
    page.fill("textarea[name=reason]", "华东区试点")
    with page.expect_navigation():
        page.click("main form button.btn-primary")
    page.wait_for_load_state("networkidle")
    assert "华东区试点" in page.content()
    assert page.console_errors == []


def test_phone_width_login_and_menu(phone_page, live_server, demo_company):
    login(phone_page, live_server, "manager.east", demo_company)
    assert "您好" in phone_page.content()
    toggler = phone_page.locator(".navbar-toggler")
    assert toggler.is_visible()
    toggler.click()
    phone_page.wait_for_timeout(300)
    assert phone_page.locator("#sfNav, .navbar-collapse").first.is_visible()
