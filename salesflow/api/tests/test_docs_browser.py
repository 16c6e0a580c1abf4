"""The API documentation page in a real browser (system Chromium): Swagger UI starts from our
static files under the Content-Security-Policy, with no console error (a CSP refusal is one)
and no request leaving the server."""

import os
import shutil

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chromium_page():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        if os.environ.get("SALESFLOW_REQUIRE_E2E") == "1":
            pytest.fail("Chromium is required for the browser tests but is not installed")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        page = browser.new_page(locale="zh-CN")
        yield page
        browser.close()


def test_swagger_ui_renders_offline_under_the_csp(chromium_page, live_server):
    page = chromium_page
    errors, foreign = [], []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "request",
        lambda request: (
            foreign.append(request.url)
            if not request.url.startswith((live_server.url, "data:"))
            else None
        ),
    )
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
    page.wait_for_selector("text=登记线索", timeout=15000)
    assert "salesflow API" in page.inner_text(".swagger-ui .info .title")
    assert not errors, errors
    assert not foreign, foreign
