"""Demo customer service of 华信智能装备有限公司: complaints in every state (some overdue, some
reopened after an unsatisfied return visit), and a year of relationship maintenance for the
customers with purchases — plans per tier, executed actions with feedback and effect ratings,
open actions as tasks, and two satisfaction surveys per customer (some falling, some below the
improvement threshold).

Idempotent: complaints are seeded only when there are none, maintenance only when no plan
exists. Rows are written directly with past dates (the services stamp "now"); every deadline
still comes from the one clock (``core.sla.deadline`` through ``services.complaints.due``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from salesflow.activities.models import Task, TaskStatus
from salesflow.core.settings_registry import get_setting
from salesflow.customers.models import Customer
from salesflow.org import demo
from salesflow.org.models import User

from .models import (
    ActionStatus,
    Complaint,
    ComplaintEvent,
    ComplaintEventKind,
    ComplaintState,
    ComplaintType,
    Effect,
    MaintenanceAction,
    MaintenancePlan,
    SatisfactionSurvey,
)
from .services.complaints import TIER_SLAS, due
from .services.maintenance import _due_at, period_end, plan_owner, plan_tier, planned_actions

COMPLAINTS = [
    # (type, description, caused by sales service)
    ("产品质量", "焊接机器人第三轴运行异响，影响产线节拍。", False),
    ("交付延迟", "视觉检测工作站比合同约定晚到两周，耽误了试产。", True),
    ("服务态度", "销售承诺的上门培训一再改期，对接人态度敷衍。", True),
    ("安装调试", "AGV 调度系统与现有 WMS 接口对接失败，现场工程师无法解决。", False),
    ("售后响应", "设备报警后 48 小时无人响应。", False),
    ("价格与账务", "发票金额与合同不一致，需要重开。", True),
    ("产品质量", "MES 报表导出偶发乱码。", False),
    ("交付延迟", "备件发货延误，停机一天。", False),
]
#: The states the demo shows, in order of the complaints (closed ones are most).
STATES = [
    ComplaintState.RECEIVED,
    ComplaintState.RECEIVED,
    ComplaintState.FORWARDED,
    ComplaintState.FORWARDED,
    ComplaintState.PLANNED,
    ComplaintState.PLANNED,
    ComplaintState.PLANNED,
    ComplaintState.COMPLETED,
    ComplaintState.COMPLETED,
    ComplaintState.REOPENED,
    ComplaintState.REOPENED,
    *[ComplaintState.CLOSED] * 11,
]
FEEDBACK_GOOD = ["问题已解决，处理及时。", "工程师很专业，满意。", "补偿方案可以接受。"]
FEEDBACK_BAD = ["问题反复出现，希望换新。", "处理太慢，影响生产。"]
ACTION_FEEDBACK = {
    Effect.SATISFIED: ["客户对新功能很感兴趣，约下季度再谈扩产。", "收到礼品，客户表示感谢。"],
    Effect.NEUTRAL: ["客户反馈一般，希望报告更贴近本行业。", "对接人出差，只简单沟通。"],
    Effect.UNSATISFIED: ["客户抱怨售后响应慢，需跟进。"],
}


def _service_people(ctx) -> list[User]:
    people = [ctx.users[k] for k in ("service.1", "service.2") if k in ctx.users]
    if not people:
        people = list(User.objects.filter(roles__code="customer_service", is_active=True)[:2])
    return people


def _customers(limit: int):
    return list(
        Customer.objects.filter(owner__isnull=False)
        .select_related("owner__manager")
        .order_by("-purchases_12m", "id")[:limit]
    )


def seed_service(ctx: demo.SeedContext) -> None:
    handlers = _service_people(ctx)
    if not handlers:
        return
    if not Complaint.objects.exists():
        _seed_complaints(ctx, handlers)
    if not MaintenancePlan.objects.exists():
        _seed_maintenance(ctx, handlers)


def _event(complaint, kind, at, actor, from_state="", note="", score=None):
    ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        from_state=from_state,
        to_state=complaint.state,
        actor=actor,
        at=at,
        note=note,
        score=score,
    )


def _seed_complaints(ctx, handlers) -> None:
    rng = ctx.rng_for("service.complaints")
    types = {t.name: t for t in ComplaintType.objects.all()}
    customers = _customers(60)
    if not customers:
        return
    now = timezone.now()
    for index, state in enumerate(STATES):
        customer = rng.choice(customers)
        type_name, text, caused = COMPLAINTS[index % len(COMPLAINTS)]
        handler = handlers[index % len(handlers)]
        logger = handlers[(index + 1) % len(handlers)]
        # open ones are recent (two of them overdue), closed ones spread over the year
        received = now - _age(state, index, rng)
        complaint = Complaint(
            customer=customer,
            received_at=received,
            type=types.get(type_name) or next(iter(types.values())),
            description=text,
            caused_by_sales=caused,
            tier=customer.tier,
            created_by=logger,
            created_at=received,
            state=ComplaintState.RECEIVED,
        )
        complaint.forward_due_at = due(received, "complaint.forward_sla")
        response_key, resolve_key = TIER_SLAS[customer.tier]
        complaint.response_due_at = due(received, response_key)
        if resolve_key:
            complaint.resolve_due_at = due(received, resolve_key)
        complaint.save()
        _event(complaint, ComplaintEventKind.RECEIVED, received, logger)
        if state != ComplaintState.RECEIVED:
            _walk(complaint, state, handler, received, rng)
        ctx.count("complaints")


def _age(state, index, rng) -> datetime.timedelta:
    """How long ago the complaint came in: closed ones over the year, open ones recent enough
    that their whole history lies in the past (the first of each open state is overdue)."""
    if state == ComplaintState.CLOSED:
        return datetime.timedelta(days=rng.randint(20, 350), hours=rng.randint(0, 8))
    if state == ComplaintState.RECEIVED:
        return datetime.timedelta(days=6) if index == 0 else datetime.timedelta(minutes=30)
    if state == ComplaintState.FORWARDED:
        return datetime.timedelta(hours=rng.randint(1, 3))
    if state == ComplaintState.PLANNED:
        return datetime.timedelta(days=rng.randint(1, 2))
    return datetime.timedelta(days=rng.randint(6, 9))


def _walk(complaint, state, handler, received, rng) -> None:
    moment = received + datetime.timedelta(minutes=rng.randint(10, 50))
    complaint.handler, complaint.forwarded_at = handler, moment
    complaint.state = ComplaintState.FORWARDED
    complaint.plan_due_at = due(moment, "complaint.plan_sla")
    _event(complaint, ComplaintEventKind.FORWARDED, moment, complaint.created_by, "received")
    if state == ComplaintState.FORWARDED:
        complaint.save()
        return
    for _round in range(1):
        moment += datetime.timedelta(hours=rng.randint(2, 20))
        complaint.plan = "联系客户确认现象，安排工程师上门检修并更换相关部件。"
        complaint.resolve_by = timezone.localdate(moment) + datetime.timedelta(days=3)
        complaint.planned_at = moment
        complaint.responded_at = complaint.responded_at or moment
        previous, complaint.state = complaint.state, ComplaintState.PLANNED
        _event(complaint, ComplaintEventKind.PLANNED, moment, handler, previous, complaint.plan)
        if state == ComplaintState.PLANNED:
            break
        moment += datetime.timedelta(days=rng.randint(1, 3))
        complaint.completed_at = moment
        complaint.visit_due_at = due(moment, "complaint.return_visit_sla")
        complaint.state = ComplaintState.COMPLETED
        _event(complaint, ComplaintEventKind.COMPLETED, moment, handler, "planned", "已处理")
        if state == ComplaintState.COMPLETED:
            break
        moment += datetime.timedelta(minutes=rng.randint(30, 100))
        unhappy = state == ComplaintState.REOPENED
        score = rng.choice([2, 3]) if unhappy else rng.choice([4, 5, 5])
        feedback = rng.choice(FEEDBACK_BAD if unhappy else FEEDBACK_GOOD)
        complaint.satisfaction, complaint.customer_feedback = score, feedback
        complaint.visited_at = moment
        _event(complaint, ComplaintEventKind.VISITED, moment, handler, "completed", feedback, score)
        if unhappy:
            complaint.state, complaint.reopen_count = ComplaintState.REOPENED, 1
            complaint.planned_at = complaint.completed_at = None
            complaint.visit_due_at = complaint.visited_at = None
            complaint.plan_due_at = due(moment, "complaint.plan_sla")
            _event(complaint, ComplaintEventKind.REOPENED, moment, handler, "completed", feedback)
        else:
            complaint.state, complaint.closed_at = ComplaintState.CLOSED, moment
            complaint.improvement_suggestion = "出厂前增加该部件的耐久测试。"
            _event(complaint, ComplaintEventKind.CLOSED, moment, handler, "completed", feedback)
    complaint.save()


def _seed_maintenance(ctx, handlers) -> None:
    rng = ctx.rng_for("service.maintenance")
    today = timezone.localdate()
    start = today - datetime.timedelta(days=300)
    end = period_end(start)
    for customer in _customers(24):
        tier = plan_tier(customer)
        owner = plan_owner(customer, tier)  # customers without an owner are not selected
        plan = MaintenancePlan.objects.create(
            customer=customer,
            tier=tier,
            purchases_12m=customer.purchases_12m or Decimal(0),
            owner=owner,
            period_start=start,
            period_end=end,
            generated_at=timezone.now() - datetime.timedelta(days=300),
            created_by=owner,
        )
        for kind, title, due_on in planned_actions(customer, tier, start, end):
            action = MaintenanceAction(
                plan=plan,
                customer=customer,
                kind=kind,
                title=title[:200],
                due_on=due_on,
                owner=owner,
            )
            if due_on < today and rng.random() < 0.85:
                effect = rng.choices(list(ACTION_FEEDBACK), weights=[6, 3, 1])[0]
                action.status = ActionStatus.DONE
                action.effect = effect
                action.customer_feedback = rng.choice(ACTION_FEEDBACK[effect])
                action.done_at = _due_at(due_on) - datetime.timedelta(hours=rng.randint(1, 6))
                action.done_by = owner
            else:
                action.task = Task.objects.create(
                    title=title[:200],
                    description="客户维护计划",
                    owner=owner,
                    due_at=_due_at(due_on),
                    status=TaskStatus.OPEN,
                    customer=customer,
                    source_label="维护计划",
                    created_by=owner,
                )
            action.save()
            ctx.count("maintenance actions")
        first = Decimal(rng.randint(82, 98))
        second = first - Decimal(rng.choice([0, 2, 5, 12])) + Decimal(rng.randint(0, 3))
        threshold = get_setting("service.improvement_satisfaction_below")
        for day, score in ((start + datetime.timedelta(days=60), first), (today, second)):
            survey = SatisfactionSurvey.objects.create(
                customer=customer,
                score=min(score, Decimal(100)),
                surveyed_on=min(day, today),
                comment="对产品稳定性满意，希望售后响应更快。",
                recorded_by=handlers[0],
            )
            if survey.score < threshold:
                survey.improvement_task = Task.objects.create(
                    title=f"满意度改进计划：{customer.name}（{survey.score} 分）",
                    owner=customer.owner,
                    due_at=_due_at(day + datetime.timedelta(days=7)),
                    status=TaskStatus.DONE if day < today else TaskStatus.OPEN,
                    customer=customer,
                    source_label="满意度调查",
                    created_by=handlers[0],
                )
                survey.save(update_fields=["improvement_task"])
        ctx.count("maintenance plans")


demo.register_step("service", seed_service, order=800)
