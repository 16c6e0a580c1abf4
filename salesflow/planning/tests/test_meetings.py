"""Review meetings: action items become tracked tasks; the next meeting of the team shows the
state of the previous meeting's actions; the prepared data is a frozen snapshot."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from salesflow.activities import services as task_services
from salesflow.activities.models import Task, TaskStatus
from salesflow.pipeline.models import OpportunityStatus
from salesflow.planning import selectors, services
from salesflow.planning.models import ReviewMeeting

from .conftest import aware, make_lead, make_opportunity

pytestmark = pytest.mark.django_db


def meeting(org, topic, held: datetime.date, **fields):
    data = {
        "topic": topic,
        "held_at": aware(held, 14),
        "department": org["east"],
        "follow_up_owner": org["manager"],
        "period_start": held - datetime.timedelta(days=30),
        "period_end": held - datetime.timedelta(days=1),
        **fields,
    }
    return services.meeting_create(
        actor=org["manager"], data=data, attendees=[org["rep"], org["rep_b"]]
    )


def test_action_item_becomes_a_task_and_its_completion_shows_in_the_next_meeting(org, client):
    today = timezone.localdate()
    first = meeting(org, "十月复盘", today - datetime.timedelta(days=20))
    due = today + datetime.timedelta(days=5)
    action = services.meeting_action_add(
        actor=org["manager"],
        meeting_id=first.pk,
        what="A 类线索 2 小时内回访",
        owner=org["rep"],
        due_date=due,
    )
    other = services.meeting_action_add(
        actor=org["manager"],
        meeting_id=first.pk,
        what="整理竞品报价",
        owner=org["rep_b"],
        due_date=due,
    )
    task = Task.objects.get(pk=action.task_id)
    assert task.title == "A 类线索 2 小时内回访"
    assert task.owner == org["rep"] and task.acceptor == org["manager"]
    assert timezone.localtime(task.due_at).date() == due
    assert task.status == TaskStatus.OPEN
    assert "十月复盘" in task.source_label
    # the rep sees it among their tasks and completes it there
    assert Task.objects.restrict(org["rep"], "view").filter(pk=task.pk).exists()
    task_services.task_complete(actor=org["rep"], task_id=task.pk)

    second = meeting(org, "十一月复盘", today)
    assert second.previous == first
    statuses = {
        a.what: selectors.action_status(a)[0] for a in selectors.meeting_actions(second.previous)
    }
    assert statuses == {"A 类线索 2 小时内回访": "done", "整理竞品报价": "open"}
    # the prepared data of the second meeting records the state at preparation time
    snap = {a["what"]: a["status"] for a in second.prepared_data["previous_actions"]}
    assert snap == {"A 类线索 2 小时内回访": "已完成", "整理竞品报价": "进行中"}
    # and the page of the second meeting shows it to an attendee
    client.force_login(org["rep"])
    html = client.get(reverse("planning:meeting_detail", args=[second.pk])).content.decode()
    section = html[
        html.index('id="previous-actions"') : html.index('id="previous-action-table"') + 2000
    ]
    assert "A 类线索 2 小时内回访" in section and 'data-status="done"' in section
    assert 'data-status="open"' in section
    assert other.task.status == TaskStatus.OPEN


def test_previous_meeting_is_the_same_teams_latest_earlier_one(org):
    today = timezone.localdate()
    a = meeting(org, "九月", today - datetime.timedelta(days=60))
    meeting(org, "华北九月", today - datetime.timedelta(days=10), department=org["north"])
    b = meeting(org, "十月", today - datetime.timedelta(days=30))
    c = meeting(org, "十一月", today)
    assert b.previous == a
    assert c.previous == b
    assert a.previous is None


def test_prepared_data_is_taken_from_the_system_and_does_not_change_later(org):
    today = timezone.localdate()
    in_period = today - datetime.timedelta(days=10)
    make_lead(org["rep"], in_period)
    make_lead(org["rep_b"], in_period)
    make_lead(org["rep2"], in_period)  # another team
    make_opportunity(
        org["rep"],
        amount="200000",
        created=in_period,
        status=OpportunityStatus.WON,
        closed=in_period,
    )
    make_opportunity(
        org["rep"],
        amount="50000",
        created=in_period,
        status=OpportunityStatus.LOST,
        closed=in_period,
    )
    make_opportunity(
        org["rep"],
        amount="70000",
        created=today - datetime.timedelta(days=90),
        status=OpportunityStatus.WON,
        closed=today - datetime.timedelta(days=90),
    )
    m = meeting(
        org,
        "复盘",
        today + datetime.timedelta(days=1),
        period_start=today - datetime.timedelta(days=30),
        period_end=today,
    )
    data = m.prepared_data
    assert data["totals"]["leads"] == "2"
    assert data["totals"]["won"] == "1" and data["totals"]["lost"] == "1"
    assert Decimal(data["totals"]["won_amount"]) == Decimal("200000")
    assert data["win_rate"] == "50.00"
    rep_row = next(p for p in data["people"] if p["name"] == str(org["rep"]))
    assert rep_row["leads"] == 1 and rep_row["opportunities"] == 2 and rep_row["won"] == 1
    # later records do not change the stored snapshot...
    make_opportunity(
        org["rep_b"], amount="90000", created=today, status=OpportunityStatus.WON, closed=today
    )
    m.refresh_from_db()
    assert m.prepared_data["totals"]["won"] == "1"
    # ...until the host takes the data again on purpose
    services.meeting_prepare(actor=org["manager"], meeting_id=m.pk)
    m.refresh_from_db()
    assert m.prepared_data["totals"]["won"] == "2"


def test_editing_the_minutes_keeps_the_snapshot(org):
    m = meeting(org, "复盘", timezone.localdate())
    before = (m.prepared_data, m.prepared_at)
    services.meeting_update(
        actor=org["manager"],
        meeting_id=m.pk,
        data={"problems": "报价响应慢", "root_causes": "审批链太长"},
    )
    m = ReviewMeeting.objects.get(pk=m.pk)
    assert (m.prepared_data, m.prepared_at) == before
    assert m.problems == "报价响应慢"


def test_a_rep_cannot_add_actions_to_a_meeting(org):
    m = meeting(org, "复盘", timezone.localdate())
    from django.http import Http404

    with pytest.raises(Http404):
        services.meeting_action_add(
            actor=org["rep"],
            meeting_id=m.pk,
            what="x",
            owner=org["rep"],
            due_date=timezone.localdate(),
        )


def test_home_card_counts_open_and_overdue_action_items(org, client):
    from salesflow.planning.wiring import _open_actions_card

    m = meeting(org, "复盘", timezone.localdate() - datetime.timedelta(days=3))
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    late = services.meeting_action_add(
        actor=org["manager"], meeting_id=m.pk, what="逾期的事", owner=org["rep"], due_date=yesterday
    )
    services.meeting_action_add(
        actor=org["manager"],
        meeting_id=m.pk,
        what="进行中的事",
        owner=org["rep_b"],
        due_date=timezone.localdate() + datetime.timedelta(days=3),
    )
    done = services.meeting_action_add(
        actor=org["manager"],
        meeting_id=m.pk,
        what="完成的事",
        owner=org["rep"],
        due_date=yesterday,
    )
    task_services.task_complete(actor=org["rep"], task_id=done.task_id)
    (card,) = _open_actions_card(org["manager"])
    assert card.value == 2 and "1" in str(card.hint) and card.tone == "danger"
    assert _open_actions_card(org["rep2"])[0].value == 0  # another team's meeting
    task_services.task_complete(actor=org["rep"], task_id=late.task_id)
    assert _open_actions_card(org["manager"])[0].tone == "primary"
    client.force_login(org["rep"])
    assert "复盘行动事项未完成" in client.get("/").content.decode()
