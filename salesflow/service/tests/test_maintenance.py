"""Maintenance plans per tier: tier from orders, owner by tier, actions generated as tasks from
the settings; the action log; surveys opening improvement plans."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from salesflow.activities.models import Task, TaskStatus
from salesflow.customers.models import Tier
from salesflow.service import services
from salesflow.service.models import ActionKind, ActionStatus
from salesflow.service.selectors import action_list

from .conftest import make_customer

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 1, 5)  # a year the work calendar names the holidays of


def kinds(plan):
    counts = {}
    for action in plan.actions.exclude(status=ActionStatus.CANCELLED):
        counts[action.kind] = counts.get(action.kind, 0) + 1
    return counts


def test_vip_tier_from_orders_owned_by_the_sales_manager(people):
    customer = make_customer(people["rep"], purchases_12m=Decimal("600000"))
    plan = services.maintenance_plan_generate(
        actor=people["manager"], customer_id=customer.pk, start=START
    )
    assert plan.tier == Tier.VIP
    assert plan.owner == people["manager"]  # the rep's manager carries a VIP plan
    assert plan.period_end == datetime.date(2027, 1, 4)
    # VIP defaults: 4 visits, 4 industry reports, gifts before 春节, 中秋节, 国庆节 and 元旦
    # (2027 is beyond the calendar package: 元旦 by its fixed date)
    assert kinds(plan) == {
        ActionKind.VISIT: 4,
        ActionKind.INDUSTRY_REPORT: 4,
        ActionKind.GIFT: 4,
    }
    tasks = Task.objects.filter(customer=customer)
    assert tasks.count() == 12 and {t.owner for t in tasks} == {people["manager"]}
    from salesflow.core.workcalendar import is_workday

    assert all(is_workday(a.due_on) for a in plan.actions.all())
    # the gift before National Day (10-01…) falls on the last working day before it
    gifts = [a.due_on for a in plan.actions.filter(kind=ActionKind.GIFT).order_by("due_on")]
    assert gifts[1:] == [
        datetime.date(2026, 9, 24),  # 中秋 09-25
        datetime.date(2026, 9, 30),  # 国庆节 10-01
        datetime.date(2026, 12, 31),  # 元旦 2027-01-01
    ]


def test_key_and_normal_tiers(people):
    key = make_customer(people["rep"], name="重点", purchases_12m=Decimal("300000"))
    normal = make_customer(people["rep"], name="普通", purchases_12m=Decimal("50000"))
    key_plan = services.maintenance_plan_generate(
        actor=people["rep"], customer_id=key.pk, start=START
    )
    assert key_plan.tier == Tier.KEY and key_plan.owner == people["rep"]
    assert kinds(key_plan) == {
        ActionKind.VISIT: 2,
        ActionKind.INDUSTRY_REPORT: 4,
        ActionKind.GREETING: 4,
    }
    normal_plan = services.maintenance_plan_generate(
        actor=people["rep"], customer_id=normal.pk, start=START
    )
    assert normal_plan.tier == Tier.NORMAL
    assert kinds(normal_plan) == {ActionKind.CALL: 2, ActionKind.GREETING: 4}


def test_generated_actions_follow_the_settings(people, set_setting):
    customer = make_customer(people["rep"], purchases_12m=Decimal("600000"))
    plan = services.maintenance_plan_generate(
        actor=people["manager"], customer_id=customer.pk, start=START
    )
    first_tasks = list(Task.objects.filter(customer=customer))
    set_setting("service.vip_visits_per_year", 2)
    set_setting("service.vip_reports_per_year", 0)
    set_setting("service.gift_tiers", "")
    set_setting("service.greeting_holidays", "春节")
    set_setting("customer.tier_vip_min_amount", "1000000")  # now a key customer by amount
    plan = services.maintenance_plan_generate(
        actor=people["manager"], customer_id=customer.pk, start=START
    )
    assert plan.tier == Tier.KEY and plan.owner == people["rep"]
    set_setting("customer.tier_vip_min_amount", "500000")
    set_setting("service.key_visits_per_year", 3)
    plan = services.maintenance_plan_generate(
        actor=people["manager"], customer_id=customer.pk, start=START
    )
    assert plan.tier == Tier.VIP
    assert kinds(plan) == {ActionKind.VISIT: 2, ActionKind.GREETING: 1}
    # the earlier plan's open tasks were cancelled, not left behind
    for task in first_tasks:
        task.refresh_from_db()
        assert task.status == TaskStatus.CANCELLED


def test_tier_goals_follow_the_settings(people, set_setting):
    from salesflow.service.measures import tier_measures

    goals = {
        m.tier: (m.repurchase_goal, m.satisfaction_goal) for m in tier_measures(people["director"])
    }
    assert goals == {
        Tier.VIP: (Decimal(90), Decimal(95)),
        Tier.KEY: (Decimal(70), Decimal(90)),
        Tier.NORMAL: (Decimal(50), Decimal(85)),
    }
    set_setting("service.key_goal_repurchase", "75")
    set_setting("service.vip_goal_referrals", 3)
    measures = {m.tier: m for m in tier_measures(people["director"])}
    assert measures[Tier.KEY].repurchase_goal == Decimal(75)
    assert measures[Tier.VIP].referral_goal == 3 and measures[Tier.KEY].referral_goal is None


def test_pool_customer_has_no_plan(people):
    from salesflow.core.errors import DomainError

    customer = make_customer(None, name="公海客户")
    with pytest.raises(DomainError):
        services.maintenance_plan_generate(
            actor=people["director"], customer_id=customer.pk, start=START
        )


def test_action_log_records_feedback_and_effect_and_closes_the_task(people):
    customer = make_customer(people["rep"], purchases_12m=Decimal("50000"))
    plan = services.maintenance_plan_generate(actor=people["rep"], customer_id=customer.pk)
    action = plan.actions.first()
    logged = services.maintenance_action_log(
        actor=people["rep"], action_id=action.pk, feedback="希望增加培训", effect="neutral"
    )
    assert logged.status == ActionStatus.DONE and logged.effect == "neutral"
    assert logged.done_by == people["rep"]
    action.task.refresh_from_db()
    assert action.task.status == TaskStatus.DONE
    extra = services.maintenance_action_record(
        actor=people["cs"],
        customer_id=customer.pk,
        kind=ActionKind.VISIT,
        title="售后回访",
        feedback="设备运行稳定",
        effect="satisfied",
    )
    assert extra.plan == plan
    # the rep sees the action log of their customer, another rep does not
    assert extra in action_list(user=people["rep"])
    assert not action_list(user=people["other_rep"]).exists()


def test_survey_below_threshold_opens_an_improvement_task(people, set_setting):
    customer = make_customer(people["rep"])
    low = services.satisfaction_survey_record(
        actor=people["cs"], customer_id=customer.pk, score=84, comment="响应慢"
    )
    assert low.improvement_task is not None
    assert low.improvement_task.owner == people["rep"]
    ok = services.satisfaction_survey_record(actor=people["cs"], customer_id=customer.pk, score=85)
    assert ok.improvement_task is None
    set_setting("service.improvement_satisfaction_below", "90")
    raised = services.satisfaction_survey_record(
        actor=people["cs"], customer_id=customer.pk, score=88
    )
    assert raised.improvement_task is not None
    with pytest.raises(ValidationError):
        services.satisfaction_survey_record(actor=people["cs"], customer_id=customer.pk, score=101)


def test_owner_is_told_once_before_the_plan_ends(people):
    from salesflow.activities.models import Notification
    from salesflow.service.sweep import plan_renewal_reminders

    customer = make_customer(people["rep"], purchases_12m=Decimal("50000"))
    plan = services.maintenance_plan_generate(actor=people["rep"], customer_id=customer.pk)
    assert plan_renewal_reminders(plan.period_end - datetime.timedelta(days=30)) == 0
    assert plan_renewal_reminders(plan.period_end - datetime.timedelta(days=10)) == 1
    assert plan_renewal_reminders(plan.period_end - datetime.timedelta(days=9)) == 0
    assert Notification.objects.filter(user=people["rep"], kind="maintenance.plan").count() == 1
