"""Customer service on a phone: log a complaint for a customer, plan, complete, and a return
visit scored 3 that reopens the ticket with the customer's words on its timeline."""

import datetime

from salesflow.customers.models import Customer

PASSWORD = "pass-for-tests-1"


def login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_complaint_reopens_after_an_unsatisfied_return_visit(
    phone_page, live_server, make_user, make_department
):
    page = phone_page
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    desk = make_department("客服部")
    rep = make_user("sales_rep", username="rep.svc")
    make_user("customer_service", department=desk, username="cs.svc")
    Customer.objects.create(name="苏州恒达精密机械有限公司", name_key="hd-e2e", owner=rep)

    login(page, live_server, "cs.svc")
    page.goto(f"{live_server.url}/service/complaints/new/")
    page.fill("input[name=q]", "恒达")
    page.click("main form[role=search] button[type=submit]")
    page.click("text=苏州恒达精密机械有限公司")
    page.select_option("select[name=type]", label="产品质量")
    page.fill("textarea[name=description]", "焊接机器人第三轴异响")
    page.select_option("select[name=handler]", index=1)
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "待出方案" in page.content()

    page.click("a:has-text('制定方案')")
    page.fill("textarea[name=plan-plan]", "更换减速机")
    page.fill("input[name=plan-resolve_by]", datetime.date.today().isoformat())
    page.click("main form[method=post] button[type=submit]")
    page.click("a:has-text('处理完成')")
    page.fill("textarea[name=complete-note]", "已更换")
    page.click("main form[method=post] button[type=submit]")
    page.click("a:has-text('回访')")
    page.select_option("select[name=visit-satisfaction]", "3")
    page.fill("textarea[name=visit-feedback]", "异响仍在")
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_load_state("networkidle")
    timeline = page.inner_text("#complaint-timeline")
    assert "重新处理" in timeline and "异响仍在" in timeline
    # the page fits a phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert not errors, errors
