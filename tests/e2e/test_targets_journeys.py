"""Journeys of 目标与报告: a rep writes and submits the weekly report on a phone; the manager
sees who has submitted, comments, and opens the performance analysis chart."""

import pytest
from django.utils import timezone

from .test_foundation_journeys import login

PASSWORD = "pass-for-tests-1"


@pytest.fixture
def team(transactional_db, make_user, make_department):
    company = make_department("华信")
    east = make_department("华东区", parent=company)
    director = make_user("sales_director", department=company, username="e2e.director")
    manager = make_user("sales_manager", department=east, manager=director, username="e2e.mgr")
    rep = make_user("sales_rep", department=east, manager=manager, username="e2e.rep")
    return {"director": director, "manager": manager, "rep": rep}


def test_rep_submits_and_manager_reviews(page, phone_page, live_server, team):
    from salesflow.targets.models import SalesReport

    login(phone_page, live_server, "e2e.rep", PASSWORD)
    phone_page.goto(f"{live_server.url}/targets/reports/")
    phone_page.click("text=写本周周报")
    phone_page.wait_for_load_state("networkidle")
    assert phone_page.locator("#report-figures").is_visible()
    phone_page.fill("textarea[name=problems]", "两家客户预算冻结")
    phone_page.fill("textarea[name=next_plan]", "拜访恒达精密")
    phone_page.click("button[name=submit]")
    phone_page.wait_for_load_state("networkidle")
    report = SalesReport.objects.get(owner=team["rep"])
    assert report.status == "submitted" and report.problems == "两家客户预算冻结"

    login(page, live_server, "e2e.mgr", PASSWORD)
    day = timezone.localdate().isoformat()
    page.goto(f"{live_server.url}/targets/reports/team/?kind=weekly&day={day}")
    row = page.locator("#team-table tbody tr", has_text=str(team["rep"]))
    assert "已提交" in row.inner_text()
    row.locator("a").click()
    page.wait_for_load_state("networkidle")
    page.fill("textarea[name=body]", "下周一起拜访")
    page.click("text=发送批注")
    page.wait_for_load_state("networkidle")
    assert "下周一起拜访" in page.locator("#comments").inner_text()
    assert page.console_errors == []


def test_performance_chart_renders(page, live_server, team):
    from salesflow.customers.models import Customer
    from salesflow.deals.models import Contract, Order

    rep = team["rep"]
    customer = Customer.objects.create(name="苏州恒达", name_key="suzhou-hengda", owner=rep)
    contract = Contract.objects.create(
        title="产线改造", customer=customer, owner=rep, amount=500000, status="signed"
    )
    Order.objects.create(
        contract=contract,
        customer=customer,
        owner=rep,
        amount=500000,
        order_date=timezone.localdate(),
    )
    login(page, live_server, "e2e.mgr", PASSWORD)
    page.goto(f"{live_server.url}/targets/performance/")
    page.wait_for_selector("[data-chart=performance-chart] canvas")
    assert "500000" in page.locator("#performance-table").inner_text().replace(",", "")
    assert page.console_errors == []
