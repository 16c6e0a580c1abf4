"""Planning in a real browser: a manager prepares a review meeting with attendees and an action
item; the rep completes the task; the next meeting shows it done; the printable minutes and the
interview theme chart load without a console error (strict CSP)."""

import datetime

from salesflow.activities import services as task_services
from salesflow.planning import services
from salesflow.planning.models import ReviewMeeting

PASSWORD = "pass-for-tests-1"


def login(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_meeting_action_item_is_shown_done_in_the_next_meeting(
    page, live_server, make_user, make_department
):
    east = make_department("华东区")
    manager = make_user("sales_manager", department=east, username="mgr.plan")
    rep = make_user("sales_rep", department=east, manager=manager, username="rep.plan")
    today = datetime.date.today()

    login(page, live_server, "mgr.plan")
    page.goto(f"{live_server.url}/planning/")
    page.click("a:has-text('销售复盘会议')")
    page.click("a:has-text('新建复盘会议')")
    page.fill("input[name=topic]", "十月复盘")
    page.fill("input[name=held_at]", f"{(today - datetime.timedelta(days=7)).isoformat()}T14:00")
    page.select_option("select[name=attendees]", [str(rep.pk)])
    page.fill("textarea[name=problems]", "回款慢")
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "准备数据" in page.content()

    page.fill("input[name=what]", "逾期客户逐一电话")
    page.select_option("select[name=owner]", str(rep.pk))
    page.fill("input[name=due_date]", today.isoformat())
    page.click("form[action$='/actions/'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "逾期客户逐一电话" in page.inner_text("#action-table")

    first = ReviewMeeting.objects.get(topic="十月复盘")
    task_services.task_complete(actor=rep, task_id=first.actions.get().task_id)
    second = services.meeting_create(
        actor=manager,
        data={
            "topic": "十一月复盘",
            "held_at": first.held_at + datetime.timedelta(days=7),
            "department": east,
            "period_start": today - datetime.timedelta(days=7),
            "period_end": today,
        },
        attendees=[rep],
    )
    login(page, live_server, "rep.plan")
    page.goto(f"{live_server.url}/planning/meetings/{second.pk}/")
    previous = page.inner_text("#previous-actions")
    assert "逾期客户逐一电话" in previous and "已完成" in previous

    page.goto(f"{live_server.url}/planning/meetings/{second.pk}/print/")
    assert page.is_visible("[data-sf-print]")
    assert not page.console_errors, page.console_errors


def test_interview_theme_chart_renders(page, live_server, make_user, make_department):
    dept = make_department("销售中心")
    manager = make_user("sales_manager", department=dept, username="mgr.itv")
    for who, themes in (("甲", ["审批慢", "报表重复"]), ("乙", ["审批慢"])):
        services.interview_create(
            actor=manager,
            data={"interviewee": who, "role": "销售代表", "pain_points": "等待审批"},
            themes=themes,
        )
    login(page, live_server, "mgr.itv")
    page.goto(f"{live_server.url}/planning/interviews/themes/")
    page.wait_for_selector(
        "[data-chart=interview-themes-chart] canvas, [data-chart=interview-themes-chart] svg"
    )
    assert "审批慢" in page.inner_text("#theme-table")
    assert not page.console_errors, page.console_errors
