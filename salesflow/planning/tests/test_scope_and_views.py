"""Scope of plans, meetings, training and interviews (a rep sees the plans of their team and
the meetings they attended, a manager their department, a director the company; out of scope is
404), bounded list queries, and every page: list, filters, export, detail, form, print."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from salesflow.planning import selectors, services
from salesflow.planning.models import ProcessInterview, ReviewMeeting, StrategyPlan

from .conftest import aware

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.date(2026, 11, 2)


def plan(org, actor, department, title):
    return services.plan_create(
        actor=actor,
        data={
            "title": title,
            "department": department,
            "period_start": TODAY,
            "period_end": TODAY + datetime.timedelta(days=60),
            "goal": "目标",
            "goal_value": D("100"),
            "goal_metric": "lead_count",
        },
    )


def meeting(org, actor, department, topic, attendees=()):
    return services.meeting_create(
        actor=actor,
        data={
            "topic": topic,
            "held_at": aware(TODAY),
            "department": department,
            "period_start": TODAY - datetime.timedelta(days=30),
            "period_end": TODAY,
        },
        attendees=attendees,
    )


def interview(actor, who):
    return services.interview_create(
        actor=actor,
        data={"interviewee": who, "role": "销售代表", "pain_points": "报价审批要等三天"},
        themes=["审批慢"],
    )


@pytest.fixture
def records(org):
    return {
        "east_plan": plan(org, org["manager"], org["east"], "华东季度规划"),
        "sh_plan": plan(org, org["manager"], org["shanghai"], "上海组规划"),
        "north_plan": plan(org, org["manager2"], org["north"], "华北规划"),
        "east_meeting": meeting(org, org["manager"], org["east"], "华东复盘", [org["rep"]]),
        "east_closed": meeting(org, org["manager"], org["east"], "华东经理会"),
        "north_meeting": meeting(org, org["manager2"], org["north"], "华北复盘", [org["rep2"]]),
        "east_interview": interview(org["manager"], "张三"),
        "north_interview": interview(org["manager2"], "李四"),
    }


def titles(qs, field):
    return {getattr(o, field) for o in qs}


def test_rep_sees_team_plans_and_attended_meetings_only(org, records):
    rep = org["rep"]
    # their own team's plan and the plan of the region their team belongs to
    assert titles(selectors.plan_list(user=rep), "title") == {"华东季度规划", "上海组规划"}
    assert titles(selectors.meeting_list(user=rep), "topic") == {"华东复盘"}
    assert not selectors.interview_list(user=rep).exists()  # no right on interviews
    # rep_b is in the same team but did not attend
    assert titles(selectors.plan_list(user=org["rep_b"]), "title") == {"华东季度规划", "上海组规划"}
    assert titles(selectors.plan_list(user=org["rep2"]), "title") == {"华北规划"}
    assert not selectors.meeting_list(user=org["rep_b"]).exists()


def test_manager_sees_the_department_director_the_company(org, records):
    manager = org["manager"]
    assert titles(selectors.plan_list(user=manager), "title") == {"华东季度规划", "上海组规划"}
    assert titles(selectors.meeting_list(user=manager), "topic") == {"华东复盘", "华东经理会"}
    assert titles(selectors.interview_list(user=manager), "interviewee") == {"张三"}
    # an interview of someone in the manager's department, conducted by the director
    services.interview_create(
        actor=org["director"],
        data={
            "interviewee": "王五",
            "role": "销售代表",
            "pain_points": "x",
            "department": org["shanghai"],
        },
    )
    assert titles(selectors.interview_list(user=manager), "interviewee") == {"张三", "王五"}
    assert titles(selectors.interview_list(user=org["manager2"]), "interviewee") == {"李四"}
    director = org["director"]
    assert selectors.plan_list(user=director).count() == 3
    assert selectors.meeting_list(user=director).count() == 3
    assert selectors.interview_list(user=director).count() == 3


def test_out_of_scope_is_404(client, org, records):
    client.force_login(org["rep"])
    assert (
        client.get(reverse("planning:plan_detail", args=[records["north_plan"].pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("planning:plan_detail", args=[records["east_plan"].pk])).status_code
        == 200
    )
    assert (
        client.get(reverse("planning:plan_detail", args=[records["sh_plan"].pk])).status_code == 200
    )
    assert (
        client.get(reverse("planning:meeting_detail", args=[records["east_closed"].pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("planning:meeting_print", args=[records["east_meeting"].pk])).status_code
        == 200
    )
    # a rep views but does not edit
    assert (
        client.get(reverse("planning:meeting_edit", args=[records["east_meeting"].pk])).status_code
        == 404
    )
    client.force_login(org["manager"])
    for name, key in [
        ("plan_detail", "north_plan"),
        ("meeting_detail", "north_meeting"),
        ("interview_detail", "north_interview"),
        ("plan_edit", "north_plan"),
        ("plan_print", "north_plan"),
        ("interview_print", "north_interview"),
    ]:
        assert client.get(reverse(f"planning:{name}", args=[records[key].pk])).status_code == 404, (
            name
        )
    response = client.post(
        reverse("planning:meeting_action_add", args=[records["north_meeting"].pk]),
        {"what": "x", "owner": org["manager"].pk, "due_date": "2026-12-01"},
    )
    assert response.status_code == 404


def _fill(org, n, start=0):
    manager = org["manager"]
    for i in range(start, start + n):
        p = plan(org, manager, org["east"], f"规划{i}")
        services.milestone_add(
            actor=manager, plan_id=p.pk, title="m", owner=org["rep"], due_date=TODAY
        )
        meeting(org, manager, org["east"], f"复盘{i}", [org["rep"], org["rep_b"]])
        s = services.training_create(actor=manager, data={"title": f"培训{i}", "held_on": TODAY})
        services.participant_save(actor=manager, session_id=s.pk, user=org["rep"], data={})
        services.participant_save(actor=manager, session_id=s.pk, user=org["rep_b"], data={})
        services.interview_create(
            actor=manager,
            data={"interviewee": f"受访{i}", "role": "销售代表", "pain_points": "慢"},
            themes=[f"主题{i}", "审批慢"],
        )


def test_lists_have_bounded_query_counts(client, org):
    """The number of queries of each list does not grow with its rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pages = ("plans", "meetings", "trainings", "interviews", "index", "interview_themes")

    def counts():
        client.force_login(org["manager"])
        result = {}
        for name in pages:
            client.get(reverse(f"planning:{name}"))  # warm per-process caches
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(reverse(f"planning:{name}"))
            assert response.status_code == 200, name
            result[name] = len(ctx.captured_queries)
        return result

    _fill(org, 2)
    few = counts()
    _fill(org, 15, start=2)
    many = counts()
    assert many == few
    assert max(many.values()) <= 25


def test_pages_forms_exports_and_prints(client, org, records):
    manager = org["manager"]
    client.force_login(manager)
    for name in (
        "index",
        "plans",
        "meetings",
        "trainings",
        "interviews",
        "interview_themes",
        "plan_create",
        "meeting_create",
        "training_create",
        "interview_create",
    ):
        assert client.get(reverse(f"planning:{name}")).status_code == 200, name
    assert "华东季度规划" in client.get(reverse("planning:plans") + "?q=华东").content.decode()
    assert "上海组规划" not in client.get(reverse("planning:plans") + "?q=华东").content.decode()
    for name in ("plan_export", "meeting_export", "training_export", "interview_export"):
        response = client.get(reverse(f"planning:{name}"))
        assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"], name
        csv = client.get(reverse(f"planning:{name}") + "?format=csv")
        assert csv["Content-Type"].startswith("text/csv"), name
    # a plan through the form
    response = client.post(
        reverse("planning:plan_create"),
        {
            "title": "新品推广",
            "owner": manager.pk,
            "department": org["east"].pk,
            "period_start": "2026-12-01",
            "period_end": "2027-02-28",
            "status": "active",
            "goal": "新品订单 20 单",
            "review_every_days": "30",
            "goal_metric": "order_count",
            "goal_value": "20",
            "budget": "50000",
            "strategy_product": "主推视觉检测站",
            "strategy_price": "首单九折",
            "strategy_place": "渠道伙伴",
            "strategy_promotion": "行业展会",
        },
    )
    new = StrategyPlan.objects.get(title="新品推广")
    assert response.status_code == 302 and response["Location"] == new.get_absolute_url()
    bad = client.post(
        reverse("planning:plan_create"),
        {
            "title": "x",
            "owner": manager.pk,
            "department": org["east"].pk,
            "goal": "x",
            "period_start": "2026-12-01",
            "period_end": "2026-11-01",
            "status": "active",
            "goal_metric": "order_count",
            "goal_value": "1",
            "budget": "0",
        },
    )
    assert bad.status_code == 400
    page = client.get(new.get_absolute_url()).content.decode()
    assert "主推视觉检测站" in page and 'data-metric="reach"' in page
    assert client.get(reverse("planning:plan_print", args=[new.pk])).status_code == 200
    # a milestone and a review through the page
    client.post(
        reverse("planning:milestone_add", args=[new.pk]),
        {"title": "渠道签约", "owner": org["rep"].pk, "due_date": "2026-12-20"},
    )
    client.post(reverse("planning:plan_review_add", args=[new.pk]), {"notes": "按计划推进"})
    page = client.get(new.get_absolute_url()).content.decode()
    assert "渠道签约" in page and "按计划推进" in page
    # a meeting through the form, an action item on it
    response = client.post(
        reverse("planning:meeting_create"),
        {
            "topic": "十二月复盘",
            "held_at": "2026-12-01T14:00",
            "owner": manager.pk,
            "department": org["east"].pk,
            "follow_up_owner": manager.pk,
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "attendees": [org["rep"].pk, org["rep_b"].pk],
            "problems": "回款慢",
        },
    )
    m = ReviewMeeting.objects.get(topic="十二月复盘")
    assert response.status_code == 302 and m.prepared_at is not None
    assert set(m.attendees.values_list("username", flat=True)) == {"rep", "rep_b"}
    client.post(
        reverse("planning:meeting_action_add", args=[m.pk]),
        {"what": "逾期客户逐一电话", "owner": org["rep_b"].pk, "due_date": "2026-12-10"},
    )
    assert m.actions.get().task.owner == org["rep_b"]
    assert client.post(reverse("planning:meeting_prepare", args=[m.pk])).status_code == 302
    assert client.get(reverse("planning:meeting_print", args=[m.pk])).status_code == 200
    # training with a participant, edit and remove
    response = client.post(
        reverse("planning:training_create"),
        {
            "title": "新人训练营",
            "owner": manager.pk,
            "held_on": "2026-10-10",
            "hours": "8",
            "followup_months": "3",
        },
    )
    assert response.status_code == 302
    s = m = None
    from salesflow.planning.models import TrainingSession

    s = TrainingSession.objects.get(title="新人训练营")
    client.post(
        reverse("planning:participant_save", args=[s.pk]),
        {
            "user": org["rep"].pk,
            "attended": "on",
            "participation": "4",
            "pre_score": "55",
            "post_score": "80",
        },
    )
    page = client.get(s.get_absolute_url()).content.decode()
    assert 'data-user="rep"' in page and "25" in page
    assert client.get(reverse("planning:training_print", args=[s.pk])).status_code == 200
    p = s.participants.get()
    client.post(reverse("planning:participant_remove", args=[s.pk, p.pk]))
    assert not s.participants.exists()
    # an interview with themes
    response = client.post(
        reverse("planning:interview_create"),
        {
            "interviewee": "周经理",
            "role": "销售经理",
            "interviewed_on": "2026-11-01",
            "owner": manager.pk,
            "theme_names": "审批慢、报表重复",
            "pain_points": "周报要抄三遍",
            "suggestions": "周报自动生成",
        },
    )
    i = ProcessInterview.objects.get(interviewee="周经理")
    assert response.status_code == 302
    assert sorted(t.name for t in i.themes.all()) == ["审批慢", "报表重复"]
    themes = client.get(reverse("planning:interview_themes")).content.decode()
    assert "报表重复" in themes and "interview-themes-chart" in themes


def test_every_planning_page_and_right_in_the_nav(client, org):
    from salesflow.core.navigation import _entries

    assert any(e.url_name == "planning:index" for e in _entries)
    client.force_login(org["rep"])
    html = client.get(reverse("planning:index")).content.decode()
    assert reverse("planning:plans") in html and reverse("planning:interviews") not in html


def test_planning_types_are_in_the_rights_catalogue(org):
    from salesflow.org.models import RolePermission
    from salesflow.org.rights import OBJECT_TYPES

    for object_type in ("plan", "meeting", "training", "interview"):
        assert object_type in OBJECT_TYPES
        rows = RolePermission.objects.filter(object_type=object_type)
        assert rows.exists(), object_type
        for row in rows:
            row.full_clean()  # an administrator can edit the row on the roles page
