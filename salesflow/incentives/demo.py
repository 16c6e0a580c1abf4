"""Demo step: a scorecard template and a commission plan, this quarter's scorecards and
commission statements of the demo reps computed from the demo's orders, receipts, follow-ups,
leads and reports (after the deals and targets steps), one manager comment, and a contest."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from salesflow.org import demo

from .forms import quarter_bounds
from .models import (
    CommissionBase,
    CommissionPlan,
    CommissionRate,
    CommissionStatement,
    CommissionTier,
    Contest,
    ContestMetric,
    Scorecard,
    ScorecardMetric,
    ScorecardTemplate,
    ScoreMetric,
)

D = Decimal
TEMPLATE = "销售代表季度考核"
PLAN = "回款提成方案"
METRICS = [
    (ScoreMetric.SALES_AMOUNT, 25),
    (ScoreMetric.COLLECTED, 15),
    (ScoreMetric.NEW_CUSTOMERS, 10),
    (ScoreMetric.TARGET_COMPLETION, 10),
    (ScoreMetric.FOLLOWUP_COMPLETENESS, 10),
    (ScoreMetric.LEAD_RESPONSE, 10),
    (ScoreMetric.STAGE_SLA, 10),
    (ScoreMetric.REPORT_PUNCTUALITY, 10),
]
TIERS = [("0", "0.8"), ("80", "1.0"), ("100", "1.2")]


def _template() -> ScorecardTemplate:
    template, created = ScorecardTemplate.objects.get_or_create(
        name=TEMPLATE,
        defaults={
            "description": "结果指标 60 分、过程指标 40 分；每项按达成比例线性计分，封顶 100。"
        },
    )
    if created:
        for position, (metric, weight) in enumerate(METRICS):
            ScorecardMetric.objects.create(
                template=template, metric=metric, weight=D(weight), position=position
            )
    return template


def _plan() -> CommissionPlan:
    from salesflow.pipeline.models import ProductLine

    plan, created = CommissionPlan.objects.get_or_create(
        name=PLAN,
        defaults={
            "base": CommissionBase.COLLECTED,
            "default_rate": D("2"),
            "cap": D("80000"),
            "description": "按回款计提；智能装备 3%，重点客户 2.5%；按本人回款目标完成率分档。",
        },
    )
    if created:
        line = ProductLine.objects.filter(name="智能装备").first()
        if line is not None:
            CommissionRate.objects.create(plan=plan, product_line=line, rate=D("3"))
        CommissionRate.objects.create(plan=plan, customer_type="key", rate=D("2.5"))
        for bound, factor in TIERS:
            CommissionTier.objects.create(plan=plan, min_completion=D(bound), multiplier=D(factor))
    return plan


def seed_incentives(ctx: demo.SeedContext) -> None:
    from .services import commissions, scorecards

    director = ctx.users.get("director")
    reps = [u for key, u in sorted(ctx.users.items()) if key.startswith("rep.") or key == "kam"]
    if director is None or not reps:
        ctx.log("incentives: no director or reps — skipped")
        return
    start, end = quarter_bounds(timezone.localdate())
    ids = [r.pk for r in reps]
    template, plan = _template(), _plan()
    if Scorecard.objects.filter(template=template, period_start=start, period_end=end).exists():
        # a second seed leaves this quarter's scorecards and statements as they are
        ctx.log("incentives: this quarter's scorecards already exist — nothing to do")
        return
    before = (Scorecard.objects.count(), CommissionStatement.objects.count())
    cards = scorecards.scorecard_compute(
        actor=director, template_id=template.pk, person_ids=ids, date_from=start, date_to=end
    )
    statements = commissions.statement_compute(
        actor=director, plan_id=plan.pk, person_ids=ids, date_from=start, date_to=end
    )
    first = next(
        (c for c in cards if c.owner_id == getattr(ctx.users.get("rep.east.1"), "pk", 0)), None
    )
    manager = ctx.users.get("manager.east")
    if first is not None and manager is not None and not first.comment:
        scorecards.scorecard_comment(
            actor=manager,
            scorecard_id=first.pk,
            comment="回款跟得紧，A类线索首次联系还要更及时；周报请按时提交。",
        )
    contest, created = Contest.objects.get_or_create(
        name="本季度回款冲刺赛",
        defaults={
            "metric": ContestMetric.COLLECTED,
            "period_start": start,
            "period_end": end,
            "prizes": "冠军：奖金 5000 元；亚军：3000 元；季军：1000 元",
            "created_by": director,
        },
    )
    if created:
        contest.participants.set(reps)
    # only what this run created (a second run recomputes the drafts and adds nothing)
    new_cards = Scorecard.objects.count() - before[0]
    new_statements = CommissionStatement.objects.count() - before[1]
    if new_cards:
        ctx.count("scorecards", new_cards)
    if new_statements:
        ctx.count("commission_statements", new_statements)
    ctx.log(f"incentives: {len(cards)} scorecards, {len(statements)} statements for {start}~{end}")


demo.register_step("incentives", seed_incentives, order=850)
