"""The knowledge base in a real browser: a manager writes the handbook page of a stage and then
corrects it (two versions, a diff with the change marked); a rep on a phone opens an
opportunity in that stage and finds the guidance and the stage's scripts beside it; no console
error on any page (strict CSP)."""

from decimal import Decimal

from salesflow.customers.models import Customer
from salesflow.knowledge import services
from salesflow.pipeline import services as pipeline_services

PASSWORD = "pass-for-tests-1"


def login(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_handbook_written_versioned_and_shown_on_the_opportunity(
    page, phone_page, live_server, make_user, make_department
):
    east = make_department("华东区")
    manager = make_user("sales_manager", department=east, username="mgr.kb")
    rep = make_user("sales_rep", department=east, manager=manager, username="rep.kb")
    customer = Customer.objects.create(name="无锡精工", name_key="无锡精工-kb", owner=rep)
    opp = pipeline_services.opportunity_create(
        actor=rep, customer_id=customer.pk, data={"name": "检测线", "amount": Decimal(200000)}
    )
    services.script_save(
        actor=manager,
        data={
            "title": "电话开场白",
            "script": "您好，我是华信的小李……",
            "stage_name": opp.stage.name,
        },
        note="新建",
    )

    login(page, live_server, "mgr.kb")
    page.goto(f"{live_server.url}/knowledge/handbook/")
    page.click(f"a:has-text('{opp.stage.name}')")
    page.click("main a:has-text('编写手册')")
    page.fill("textarea[name=what_to_do]", "确认需求，约访关键人。")
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "确认需求，约访关键人。" in page.content()
    page.click("a:has-text('编辑')")
    page.fill("textarea[name=what_to_do]", "确认需求和预算，约访关键人。")
    page.fill("input[name=note]", "补充预算")
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.click("a:has-text('与上一版比较')")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("ins").strip() == "和预算"
    assert page.console_errors == []

    phone_page.context.clear_cookies()
    login(phone_page, live_server, "rep.kb")
    phone_page.goto(f"{live_server.url}/pipeline/{opp.pk}/")
    panel = phone_page.locator("#stage-guidance")
    assert "确认需求和预算，约访关键人。" in panel.inner_text()
    panel.locator("summary").click()
    assert panel.locator("text=电话开场白").is_visible()
