"""Demo opportunities of 华信智能装备有限公司: ~200 opportunities of the reps' own customers,
created on working days over the last twelve months, each walking through the B2B stages with
realistic gaps (1–10 working days) and the stage outputs submitted before every advance. About
30 % are won (5万–80万), 25 % lost (with a reason, sometimes a competitor), the rest still open
— most recently moved, some stalled past their stage deadline. A few A-class opportunities skip
a stage through a skip request the director approved, a few were moved back once.

Everything goes through ``pipeline.services`` with ``now=`` moments in the past, so stage
events carry realistic timestamps (submission and approval times are moved afterwards). Runs
before the deals step (order 700), which turns the won ones into contracts. Idempotent:
nothing happens when a demo opportunity (``description`` starting with :data:`MARKER`) exists.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from salesflow.core.approvals import approval_decide
from salesflow.core.models import ApprovalRequest, ApprovalStep
from salesflow.core.settings_registry import get_setting
from salesflow.core.workcalendar import get_calendar
from salesflow.customers.models import Customer
from salesflow.org import demo

from . import services
from .models import LostReason, Opportunity, OutputSubmission, ProductLine, StageOutput

MARKER = "演示商机"
TARGET = 200
SKIPS = 8
MOVED_BACK = 12
PDF = b"%PDF-1.4 demo"

COMPETITORS = ["西门子", "汇川", "台达", "施耐德", "欧姆龙", "信捷"]
PROJECTS = {
    "智能装备": ["自动化产线改造", "智能仓储设备", "机器人工作站", "视觉检测设备", "包装线升级"],
    "工业软件": ["MES系统实施", "设备联网平台", "质量追溯系统", "能耗管理平台"],
    "运维服务": ["年度维保服务", "驻场运维服务", "设备操作培训"],
}
FEEDBACK = [
    "“现在的设备老化严重，停机太多，想看看有没有更稳定的方案。”",
    "“今年有技改预算，但要先看到投入产出比。”",
    "“我们老板很关注交期，你们多久能交付？”",
    "“之前用过别家的，售后响应太慢，这次想换。”",
    "“先发一份资料过来，我们内部讨论一下。”",
]
NEEDS = [
    "产线自动化率从40%提升到70%",
    "减少人工质检，漏检率降到0.5%以下",
    "设备联网，管理层能实时看到产能和OEE",
    "关键设备7×24小时维保，4小时到场",
    "新厂房两条产线的整体方案",
]
PAIN_POINTS = [
    "人工成本逐年上涨，招工难，夜班缺人",
    "换型时间长，小批量订单交付经常延期",
    "质量问题追溯不到批次，客户投诉处理被动",
    "设备故障靠经验排查，停机损失大",
]
DECISION_CHAINS = [
    "总经理拍板；生产总监提需求；采购经理比价；财务总监审预算",
    "董事长最终审批；设备部经理负责技术评估；采购部组织招标",
    "副总经理牵头；IT主管和车间主任参与评估；采购主管负责商务",
]
PAYMENT_TERMS = [
    "30%预付款，60%到货验收后支付，10%质保金一年后支付",
    "签约后付50%，验收合格后付50%",
    "40%预付款，50%安装调试完成后，10%质保金",
]
NEXT_STEPS = ["约技术负责人现场拜访", "发送产品资料和案例", "安排工厂参观", "准备初步报价"]
TOPICS = [
    "价格：客户要求再降5%，我方同意以延长质保替代部分降价",
    "交期：双方确认到货期为签约后45天",
    "付款：客户希望降低预付比例，已报总监审批",
]
OPEN_ISSUES = ["验收标准待客户技术部确认", "培训人数待定", ""]
LOST_NOTES = {
    "价格偏高": "客户最终选择了报价更低的方案",
    "竞品胜出": "竞品本地服务团队更近，客户更看重响应速度",
    "需求取消": "客户集团调整投资计划，项目取消",
    "预算不足": "今年预算被压缩，项目推迟到明年再议",
    "决策延期": "客户管理层变动，决策无限期延后",
    "联系中断": "关键联系人离职，多次联系无回应",
}
SKIP_REASONS = [
    "A类老客户，方案与去年项目相同，客户已确认，申请跳过方案呈现直接谈判",
    "客户总经理已在展会现场看过演示，要求尽快报价，申请跳过标准方案环节",
]


@dataclass
class Plan:
    """One opportunity's life: steps ``(kind, stage index)`` and the working-day index of
    each step (into the list of working days of the last year)."""

    customer: Customer
    fate: str  # won / lost / open
    steps: list[tuple[str, int]]
    days: list[int] = field(default_factory=list)
    skip_stage: int | None = None
    amount: Decimal = Decimal(0)
    final: Decimal = Decimal(0)  # the won amount


def _working_days(today: datetime.date) -> list[datetime.date]:
    """Working days from a year ago up to yesterday (today's working hours may lie ahead)."""
    cal = get_calendar()
    day, days = today - datetime.timedelta(days=365), []
    while day < today:
        if cal.is_workday(day):
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def _moment(day: datetime.date, rng: random.Random, earliest=9, latest=17) -> datetime.datetime:
    clock = datetime.time(rng.randint(earliest, latest), rng.randint(0, 59), rng.randint(0, 59))
    return timezone.make_aware(datetime.datetime.combine(day, clock))


def _gap(rng: random.Random) -> int:
    """Working days between two steps: mostly a few days, sometimes two weeks."""
    return rng.choices(range(1, 11), weights=[14, 16, 15, 12, 10, 8, 7, 6, 6, 6])[0]


def _steps(rng: random.Random, fate: str, last_stage: int, back: bool) -> list[tuple[str, int]]:
    steps = [("create", 0)]
    back_at = rng.randint(1, last_stage) if back and last_stage >= 1 else None
    for index in range(1, last_stage + 1):
        steps.append(("advance", index))
        if index == back_at:
            steps += [("back", index - 1), ("advance", index)]
    if fate in ("won", "lost"):
        steps.append((fate, last_stage))
    return steps


def _plan(rng: random.Random, customers: list[Customer], n_stages: int, n_days: int):
    weights = [{"A": 3, "B": 2}.get(c.grade, 1) for c in customers]
    plans: list[Plan] = []
    last = n_stages - 1
    for _ in range(TARGET):
        customer = rng.choices(customers, weights=weights)[0]
        fate = rng.choices(["won", "lost", "open"], weights=[30, 25, 45])[0]
        if fate == "won":
            stage = last
        elif fate == "lost":
            stage = rng.choices(range(n_stages), weights=[25, 30, 25, 20][:n_stages])[0]
        else:
            stage = rng.choices(range(n_stages), weights=[30, 30, 22, 18][:n_stages])[0]
        plans.append(Plan(customer=customer, fate=fate, steps=_steps(rng, fate, stage, False)))
    # A few were moved back once (repeated steps show in the process diagnosis).
    candidates = [p for p in plans if max(i for _k, i in p.steps) >= 1]
    for plan in rng.sample(candidates, min(MOVED_BACK, len(candidates))):
        stage = max(i for _k, i in plan.steps)
        plan.steps = _steps(rng, plan.fate, stage, True)
    # A few A-class ones skipped 方案呈现 (stage 2) through an approved request.
    candidates = [
        p
        for p in plans
        if p.customer.grade == "A" and max(i for _k, i in p.steps) >= 3 and len(p.steps) <= 6
    ]
    for plan in rng.sample(candidates, min(SKIPS, len(candidates))):
        plan.skip_stage = 2
    _won_amounts(rng, plans)
    # Timelines: closed ones fit entirely in the past year; open ones mostly moved recently,
    # some stalled for weeks.
    for plan in plans:
        gaps = [_gap(rng) for _ in plan.steps[1:]]
        total = sum(gaps)
        if plan.fate == "open":
            end = n_days - 1 - (rng.randint(0, 3) if rng.random() < 0.7 else rng.randint(6, 60))
            start = max(end - total, 0)
        else:
            # won ones well inside the 12-month purchase window (their orders regrade)
            start = rng.randint(5, max(n_days - 1 - total, 5))
        days = [start]
        for gap in gaps:
            days.append(min(days[-1] + gap, n_days - 1))
        plan.days = days
    plans.sort(key=lambda p: (p.days[0], p.customer.pk))
    return plans


def _won_amounts(rng: random.Random, plans: list[Plan]) -> None:
    """Deal sizes that fit the customer: the won deals of a customer add up to an amount in the
    band of its grade (A ≥ 50万, B 10万–50万, C < 10万 — the deals step regrades customers by
    their orders of the last 12 months, so the grades stay as planned). A C-class customer wins
    at most one deal; the others of its plans stay open in 商务谈判."""
    a_min = Decimal(get_setting("customer.grade_a_min_amount"))
    b_min = Decimal(get_setting("customer.grade_b_min_amount"))
    low, high, step = Decimal(50_000), Decimal(800_000), Decimal(1000)
    by_customer: dict[int, list[Plan]] = {}
    for plan in plans:
        if plan.fate == "won":
            by_customer.setdefault(plan.customer.pk, []).append(plan)
    for won in by_customer.values():
        grade = won[0].customer.grade
        if grade not in ("A", "B"):
            for plan in won[1:]:
                plan.fate, plan.steps = "open", plan.steps[:-1]
            won = won[:1]
        n = len(won)
        if grade == "A":
            lo, hi = max(a_min, n * low), max(a_min, n * high)
        elif grade == "B":
            lo, hi = max(b_min, n * low), min(a_min - step, n * high)
        else:
            lo, hi = low, b_min - step
        for _attempt in range(50):
            total = Decimal(rng.randint(int(lo / step), int(hi / step))) * step
            parts = [Decimal(rng.randint(50, 800)) * step for _ in range(n - 1)]
            last = total - sum(parts)
            if low <= last <= high:
                break
        else:  # an even split always fits
            parts = [(total / n).quantize(step)] * (n - 1)
            last = total - sum(parts)
        for plan, amount in zip(won, [*parts, last], strict=True):
            plan.final = amount


def _form_data(rng: random.Random, output: StageOutput, plan: Plan, day: datetime.date) -> dict:
    known = {
        "contact_date": day.isoformat(),
        "meeting_date": day.isoformat(),
        "feedback": rng.choice(FEEDBACK),
        "confirmed_needs": rng.choice(NEEDS),
        "next_step": rng.choice(NEXT_STEPS),
        "pain_points": rng.choice(PAIN_POINTS),
        "decision_chain": rng.choice(DECISION_CHAINS),
        "budget": f"约{int(plan.amount / 10000)}万元",
        "timeline": f"计划{rng.randint(1, 6)}个月内完成采购",
        "contract_amount": str(plan.amount),
        "discount": str(rng.choice([0, 3, 5, 5, 8, 10, 12])),
        "payment_terms": rng.choice(PAYMENT_TERMS),
        "special_terms": "质保期延长至两年" if rng.random() < 0.3 else "",
        "participants": f"客户：采购经理、技术总监；我方：{plan.customer.owner.display_name}",
        "topics": rng.choice(TOPICS),
        "open_issues": rng.choice(OPEN_ISSUES),
    }
    data = {}
    for spec in output.form_fields:
        name, kind = spec["name"], spec.get("type", "text")
        if not spec.get("required", True) and rng.random() < 0.4:
            continue
        if name in known:
            data[name] = known[name]
        elif kind == "choice" and spec.get("choices"):
            data[name] = rng.choice(spec["choices"])
        elif kind == "number":
            data[name] = str(rng.randint(1, 100))
        elif kind == "date":
            data[name] = day.isoformat()
        else:
            data[name] = "已与客户确认，详见沟通记录"
    return data


def seed_pipeline(ctx: demo.SeedContext) -> None:
    if Opportunity.all_objects.filter(description__startswith=MARKER).exists():
        ctx.log("演示商机已存在，跳过。")
        return
    rng = ctx.random
    version = services.default_version()
    stages = [s for s in version.stages.order_by("order") if not s.covered_by_lead]
    outputs = {s.pk: [o for o in s.outputs.order_by("order", "id") if o.required] for s in stages}
    customers = list(
        Customer.objects.filter(
            owner__isnull=False, owner__email__iendswith=f"@{demo.EMAIL_DOMAIN}"
        )
        .select_related("owner")
        .prefetch_related("contacts")
        .order_by("pk")
    )
    if not customers:
        ctx.log("没有演示客户，跳过演示商机。")
        return
    reasons = list(LostReason.objects.filter(is_active=True).order_by("sort_order", "pk"))
    lines = list(ProductLine.objects.filter(is_active=True, name__in=PROJECTS).order_by("pk"))
    director = ctx.users["director"]
    workdays = _working_days(timezone.localdate())
    plans = _plan(rng, customers, len(stages), len(workdays))

    submitted: list[tuple[int, datetime.datetime]] = []
    for plan in plans:
        _run(ctx, rng, plan, stages, outputs, reasons, lines, director, workdays, submitted)
    by_pk = dict(submitted)
    rows = list(OutputSubmission.objects.filter(pk__in=by_pk))
    for row in rows:
        row.submitted_at = by_pk[row.pk]
        row.opened_at = row.submitted_at - datetime.timedelta(minutes=rng.randint(4, 40))
    OutputSubmission.objects.bulk_update(rows, ["submitted_at", "opened_at"], batch_size=500)
    ctx.count("stage outputs", len(rows))
    for pk, at in ctx.data.get("pipeline.skip_requests", []):
        ApprovalRequest.objects.filter(pk=pk).update(consumed_at=at)
    ctx.log(
        f"演示商机：{ctx.created['opportunities']} 个（赢单 {ctx.created['won']}，"
        f"输单 {ctx.created['lost']}，跳过 {ctx.created['skips']}，退回 {ctx.created['moved back']}）。"
    )


def _run(ctx, rng, plan, stages, outputs, reasons, lines, director, workdays, submitted):
    customer, owner = plan.customer, plan.customer.owner
    line = rng.choice(lines) if lines else None
    project = rng.choice(PROJECTS[line.name] if line else PROJECTS["智能装备"])
    if plan.final:
        plan.amount = (plan.final * Decimal(rng.randint(95, 115)) / 100).quantize(Decimal(1000))
    else:
        low, high = {"A": (200, 801), "B": (100, 500)}.get(customer.grade, (50, 100))
        plan.amount = Decimal(rng.randrange(low, high) * 1000)
    contacts = list(customer.contacts.all())
    primary = [c.pk for c in contacts if c.is_primary][:1] or [c.pk for c in contacts[:1]]
    created_day = workdays[plan.days[0]]
    now = _moment(created_day, rng)
    competitors = (
        "、".join(rng.sample(COMPETITORS, rng.randint(1, 2))) if rng.random() < 0.5 else ""
    )
    opp = services.opportunity_create(
        actor=owner,
        customer_id=customer.pk,
        data={
            "name": f"{customer.name.removesuffix('有限公司')}{project}项目"[:200],
            "amount": plan.amount,
            "expected_close_date": created_day + datetime.timedelta(days=rng.randint(45, 150)),
            "competitors": competitors,
            "description": f"{MARKER}：{rng.choice(NEEDS)}",
        },
        contact_ids=primary,
        product_line_ids=[line.pk] if line else [],
        now=now,
    )
    ctx.count("opportunities")
    done: set[int] = set()
    current = 0
    for (kind, index), day_index in zip(plan.steps[1:], plan.days[1:], strict=True):
        day = workdays[day_index]
        if kind == "advance":
            stage = stages[current]
            at = _moment(day, rng, earliest=10 if index - 1 != plan.skip_stage else 14)
            if current == plan.skip_stage and index == current + 1:
                _skip(ctx, rng, opp, owner, director, at)
            elif current not in done:
                _submit(rng, opp, owner, outputs[stage.pk], plan, day, at, submitted)
            done.add(current)
            services.opportunity_advance(actor=owner, opportunity_id=opp.pk, now=at)
            current = index
        elif kind == "back":
            services.opportunity_move_back(
                actor=owner,
                opportunity_id=opp.pk,
                to_stage_id=stages[index].pk,
                note=rng.choice(["客户需求发生变化，需重新确认", "客户更换了技术负责人"]),
                now=_moment(day, rng),
            )
            ctx.count("moved back")
            current = index
        elif kind == "won":
            at = _moment(day, rng, earliest=10)
            plan.amount = plan.final
            if current not in done:
                _submit(rng, opp, owner, outputs[stages[current].pk], plan, day, at, submitted)
            services.opportunity_win(
                actor=owner,
                opportunity_id=opp.pk,
                amount=plan.amount,
                note="客户已签字盖章",
                now=at,
                # the deals demo step signs the contract of each won opportunity afterwards
                historical=True,
            )
            ctx.count("won")
        elif kind == "lost":
            reason = rng.choice(reasons)
            competitor = ""
            if reason.name in ("竞品胜出", "价格偏高") or rng.random() < 0.2:
                competitor = rng.choice(COMPETITORS[:3] * 2 + COMPETITORS[3:])
            services.opportunity_lose(
                actor=owner,
                opportunity_id=opp.pk,
                lost_reason_id=reason.pk,
                competitor=competitor,
                note=LOST_NOTES.get(reason.name, ""),
                now=_moment(day, rng),
            )
            ctx.count("lost")


def _submit(rng, opp, owner, stage_outputs, plan, day, at, submitted) -> None:
    """All required outputs of the stage, submitted shortly before ``at``."""
    for output in stage_outputs:
        if output.kind == StageOutput.Kind.FILE:
            upload = SimpleUploadedFile(f"{output.name}.pdf", PDF, "application/pdf")
            submission = services.output_submit(
                actor=owner, opportunity_id=opp.pk, output_id=output.pk, upload=upload
            )
        else:
            submission = services.output_submit(
                actor=owner,
                opportunity_id=opp.pk,
                output_id=output.pk,
                data=_form_data(rng, output, plan, day),
            )
        moment = at - datetime.timedelta(minutes=rng.randint(15, 90))
        submitted.append((submission.pk, moment))


def _skip(ctx, rng, opp, owner, director, at) -> None:
    """An A-class opportunity skips its stage: the owner asks, the director approves."""
    request = services.opportunity_request_skip(
        actor=owner, opportunity_id=opp.pk, reason=rng.choice(SKIP_REASONS)
    )
    approval_decide(
        actor=director, request_id=request.pk, approve=True, comment="同意，注意控制风险"
    )
    asked = at - datetime.timedelta(minutes=rng.randint(150, 240))
    decided = at - datetime.timedelta(minutes=rng.randint(20, 90))
    ApprovalRequest.objects.filter(pk=request.pk).update(requested_at=asked, decided_at=decided)
    ApprovalStep.objects.filter(request_id=request.pk).update(decided_at=decided)
    ctx.count("skips")
    ctx.data.setdefault("pipeline.skip_requests", []).append((request.pk, at))


demo.register_step("pipeline", seed_pipeline, order=600)
