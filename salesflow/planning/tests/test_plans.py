"""Strategy plans: the evaluation metrics come from the system's leads, opportunities and
orders of the plan's team, period, source and product line; a typed figure is used only where
the system holds no record, and marked as such. Milestones are tasks."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from salesflow.activities import services as task_services
from salesflow.activities.models import Task
from salesflow.deals.models import OrderStatus
from salesflow.leads.models import LeadSource
from salesflow.pipeline.models import OpportunityStatus, ProductLine
from salesflow.planning import selectors, services

from .conftest import make_lead, make_opportunity, make_order

pytestmark = pytest.mark.django_db
D = Decimal
START, END = datetime.date(2026, 3, 1), datetime.date(2026, 5, 31)
IN = datetime.date(2026, 4, 10)


def plan_for(org, **data):
    base = {
        "title": "华东展会获客计划",
        "department": org["east"],
        "period_start": START,
        "period_end": END,
        "goal": "展会带来订单 50 万元",
        "goal_metric": "order_amount",
        "goal_value": D("500000"),
        "budget": D("100000"),
    }
    return services.plan_create(actor=org["manager"], data={**base, **data})


def metrics(plan):
    return {m.key: m for m in selectors.plan_metrics(plan)}


@pytest.fixture
def sources(db):
    a, b = LeadSource.objects.order_by("id")[:2]
    return a, b


def test_metrics_come_from_the_teams_records_in_the_period_and_source(org, sources):
    fair, web = sources
    rep, rep_b, rep2 = org["rep"], org["rep_b"], org["rep2"]
    converted = make_lead(rep, IN, fair)
    make_lead(rep, IN, fair)
    make_lead(rep_b, IN, fair)
    make_lead(rep, IN, web)  # another source
    make_lead(rep, datetime.date(2026, 6, 2), fair)  # after the period
    make_lead(rep2, IN, fair)  # another team
    won = make_opportunity(
        rep, amount="300000", created=IN, status=OpportunityStatus.WON, closed=IN, lead=converted
    )
    make_order(won, IN)
    other = make_opportunity(
        rep, amount="80000", created=IN, lead=make_lead(rep, datetime.date(2025, 1, 5), web)
    )
    make_order(other, IN, amount=D("80000"))  # not from the plan's source
    cancelled = make_opportunity(
        rep_b, amount="60000", created=IN, lead=make_lead(rep_b, datetime.date(2025, 1, 6), fair)
    )
    make_order(cancelled, IN, status=OrderStatus.CANCELLED)
    plan = plan_for(org, lead_source=fair, manual_reach=999, manual_revenue=D("1"))
    m = metrics(plan)
    assert (m["reach"].value, m["reach"].source) == (3, "system")  # not the typed 999
    assert m["conversion"].value == D("33.33")  # 1 of 3 leads became an opportunity
    assert m["opportunities"].value == 2  # created in the period from fair leads
    assert m["won_amount"].value == D("300000")
    assert (m["revenue"].value, m["revenue"].source) == (D("300000"), "system")
    assert m["roi"].value == D("200.00")  # (300000 - 100000) / 100000
    assert m["goal"].value == D("60.00")  # 300000 / 500000


def test_without_any_filter_every_order_of_the_team_counts(org, sources):
    rep = org["rep"]
    a = make_opportunity(rep, amount="100000", created=IN)
    b = make_opportunity(org["rep_b"], amount="150000", created=IN)
    make_order(a, IN)
    make_order(b, END)
    make_order(make_opportunity(org["rep2"], amount="1000000", created=IN), IN)
    make_order(make_opportunity(rep, amount="70000", created=IN), datetime.date(2026, 6, 1))
    plan = plan_for(org, goal_metric="order_count", goal_value=D("4"))
    m = metrics(plan)
    assert m["revenue"].value == D("250000")
    assert m["goal"].value == D("50.00")  # 2 orders of 4


def test_product_line_narrows_opportunities_and_orders(org):
    robots = ProductLine.objects.order_by("id").first()
    rep = org["rep"]
    with_line = make_opportunity(rep, amount="200000", created=IN, product_line=robots)
    make_order(with_line, IN)
    make_order(make_opportunity(rep, amount="90000", created=IN), IN)
    plan = plan_for(org, product_line=robots)
    m = metrics(plan)
    assert m["opportunities"].value == 1
    assert m["revenue"].value == D("200000")


def test_typed_figures_only_where_the_system_has_no_record_and_marked(org, sources):
    plan = plan_for(org, lead_source=sources[0], manual_reach=400, manual_revenue=D("150000"))
    m = metrics(plan)
    assert (m["reach"].value, m["reach"].source) == (400, "manual")
    assert (m["revenue"].value, m["revenue"].source) == (D("150000"), "manual")
    assert m["roi"].source == "manual" and m["roi"].value == D("50.00")
    assert m["conversion"].value is None  # no leads: "—", never a made-up rate
    bare = plan_for(org, title="无手工数据")
    m = metrics(bare)
    assert (m["reach"].value, m["reach"].source) == (0, "system")
    assert (m["revenue"].value, m["revenue"].source) == (0, "system")
    assert m["roi"].value == D("-100.00")


def test_milestone_is_a_task_and_its_status_follows_the_task(org):
    plan = plan_for(org)
    due = timezone.localdate() + datetime.timedelta(days=7)
    milestone = services.milestone_add(
        actor=org["manager"],
        plan_id=plan.pk,
        title="展会名单全部分配",
        owner=org["rep"],
        due_date=due,
    )
    task = Task.objects.get(pk=milestone.task_id)
    assert task.owner == org["rep"] and task.acceptor == org["manager"]
    assert selectors.action_status(milestone)[0] == "open"
    task_services.task_complete(actor=org["rep"], task_id=task.pk)
    milestone.refresh_from_db()
    assert selectors.action_status(milestone)[0] == "done"


def test_review_keeps_the_metrics_of_that_day(org, sources):
    plan = plan_for(org)
    make_order(make_opportunity(org["rep"], amount="100000", created=IN), IN)
    review = services.plan_review_add(actor=org["manager"], plan_id=plan.pk, notes="进度偏慢")
    assert D(review.metrics["revenue"]["value"]) == D("100000")
    assert review.metrics["revenue"]["source"] == "system"


def test_a_plan_cannot_be_handed_to_someone_outside_the_scope(org):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        plan_for(org, owner=org["rep2"])
    assert plan_for(org, owner=org["rep"]).owner == org["rep"]


def test_periodic_review_reminder_once_per_due_day(org):
    from salesflow.activities.models import Notification
    from salesflow.planning import tasks

    start = datetime.date(2026, 9, 1)
    plan = plan_for(
        org,
        period_start=start,
        period_end=datetime.date(2026, 12, 31),
        review_every_days=30,
    )
    assert selectors.next_review_on(plan) == datetime.date(2026, 10, 1)
    assert tasks.review_reminders(datetime.date(2026, 9, 30)) == 0
    assert tasks.review_reminders(datetime.date(2026, 10, 1)) == 1
    assert tasks.review_reminders(datetime.date(2026, 10, 2)) == 0  # already reminded
    note = Notification.objects.get(user=org["manager"], kind="plan.review_due")
    assert plan.title in note.title and note.url == plan.get_absolute_url()
    # a review moves the next due day on by the interval
    services.plan_review_add(actor=org["manager"], plan_id=plan.pk, notes="进展正常")
    review_day = plan.reviews.get().reviewed_on
    assert selectors.next_review_on(plan) == review_day + datetime.timedelta(days=30)
    # closed plans and plans outside their period are not reminded
    services.plan_update(actor=org["manager"], plan_id=plan.pk, data={"status": "closed"})
    assert tasks.review_reminders(datetime.date(2026, 12, 30)) == 0
