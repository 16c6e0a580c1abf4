"""Demo targets and reports of 华信智能装备有限公司.

Targets for the current year, quarter and months: the company's sales total decomposed to the
three regional teams and their reps (children add up to their parent), the months of the
quarter, region / product line / customer type targets for the performance analysis, new
customers, repurchase rate, collections and order counts; one adjustment with its reason. The
sizes follow the demo orders of the past year (about +20%), so completion looks like a real
company's. Reports: each rep's weekly reports of the last three weeks and last month's monthly
report, drafted from the data and submitted through the services — most on time, some late with
a reason, a few still missing — plus a manager's comment and a variance note.

Idempotent: the targets are created once per year (skipped when the year's company total
exists); reports are only drafted/submitted when missing.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_DOWN, Decimal

from django.db.models import Sum
from django.utils import timezone

from salesflow.org import demo

from . import report_services as rs
from .analyses import current_period
from .models import (
    CustomerType,
    Level,
    Metric,
    PeriodKind,
    ReportKind,
    ReportStatus,
    SalesReport,
    Target,
    TargetAdjustment,
)

D = Decimal
TEAMS = [("east", D("0.45")), ("south", D("0.30")), ("north", D("0.25"))]
REPS_PER_TEAM = 5
NOTE = "演示数据"
WAN = Decimal("10000")


def _round(value: Decimal, unit: Decimal = WAN) -> Decimal:
    return (value / unit).quantize(D(1), rounding=ROUND_DOWN) * unit


def _split(total: Decimal, shares: list[Decimal], unit: Decimal = WAN) -> list[Decimal]:
    """``total`` in parts by ``shares``, rounded to ``unit``; the last part takes the rest so the
    parts add up exactly."""
    parts = [_round(total * share, unit) for share in shares[:-1]]
    return [*parts, total - sum(parts)]


class _Builder:
    def __init__(self, ctx):
        self.ctx = ctx
        self.director = ctx.users.get("director")

    def make(self, metric, kind, period, value, *, level=Level.COMPANY, owner=None, **dims):
        target = Target.objects.create(
            metric=metric,
            period_kind=kind,
            period_start=period[0],
            period_end=period[1],
            level=level,
            value=value,
            owner=owner or self.director,
            created_by=self.director,
            note=NOTE,
            **dims,
        )
        self.ctx.count("targets")
        return target

    def teams_and_reps(
        self, parent: Target, kind, period, *, reps: bool, unit: Decimal = WAN
    ) -> None:
        values = _split(parent.value, [share for _key, share in TEAMS], unit)
        for (key, _share), value in zip(TEAMS, values, strict=True):
            manager = self.ctx.users.get(f"manager.{key}")
            department = self.ctx.departments.get(key)
            if manager is None or department is None:
                continue
            team = self.make(
                parent.metric,
                kind,
                period,
                value,
                level=Level.TEAM,
                owner=manager,
                department=department,
                parent=parent,
            )
            people = [self.ctx.users.get(f"rep.{key}.{n}") for n in range(1, REPS_PER_TEAM + 1)]
            people = [p for p in people if p is not None]
            if reps and people:
                shares = [D(1) / len(people)] * len(people)
                for person, amount in zip(
                    people, _split(value, shares, unit / 10 if unit >= 10 else unit), strict=True
                ):
                    self.make(
                        parent.metric,
                        kind,
                        period,
                        amount,
                        level=Level.PERSON,
                        owner=person,
                        parent=team,
                    )


def _last_year_sales(today: datetime.date) -> Decimal:
    from salesflow.deals.models import COUNTED_ORDER_STATUSES, Order

    total = Order.objects.filter(
        status__in=COUNTED_ORDER_STATUSES,
        order_date__gt=today - datetime.timedelta(days=365),
        order_date__lte=today,
    ).aggregate(total=Sum("amount"))["total"]
    return total or D("12000000")


def seed_targets(ctx: demo.SeedContext) -> None:
    if ctx.users.get("director") is None:
        ctx.log("targets: no director — skipped")
        return
    today = timezone.localdate()
    year = current_period(PeriodKind.YEAR, today)
    exists = Target.objects.filter(
        metric=Metric.SALES_AMOUNT,
        period_kind=PeriodKind.YEAR,
        period_start=year[0],
        level=Level.COMPANY,
        parent__isnull=True,
    ).exists()
    if not exists:
        _seed_target_tree(ctx, today)
    _seed_reports(ctx, today)


def _seed_target_tree(ctx, today: datetime.date) -> None:
    from salesflow.customers.models import Region
    from salesflow.pipeline.models import ProductLine

    build = _Builder(ctx)
    year = current_period(PeriodKind.YEAR, today)
    quarter = current_period(PeriodKind.QUARTER, today)
    month = current_period(PeriodKind.MONTH, today)
    year_total = max(_round(_last_year_sales(today) * D("1.2"), D("100000")), D("1000000"))
    quarter_total = _round(year_total / 4)
    annual = build.make(Metric.SALES_AMOUNT, PeriodKind.YEAR, year, year_total)
    build.teams_and_reps(annual, PeriodKind.YEAR, year, reps=False)
    q = build.make(Metric.SALES_AMOUNT, PeriodKind.QUARTER, quarter, quarter_total)
    build.teams_and_reps(q, PeriodKind.QUARTER, quarter, reps=True)

    # the months of the quarter add up to the quarter (their own totals: the quarter's
    # children are the teams); this month goes down to the teams and reps
    months = []
    start = quarter[0]
    while start <= quarter[1]:
        months.append(current_period(PeriodKind.MONTH, start))
        start = months[-1][1] + datetime.timedelta(days=1)
    for period, value in zip(months, _split(quarter_total, [D(1) / 3] * 3), strict=True):
        m = build.make(Metric.SALES_AMOUNT, PeriodKind.MONTH, period, value)
        if period == month:
            build.teams_and_reps(m, PeriodKind.MONTH, period, reps=True)

    # along the other dimensions (top-level: each set adds up on its own)
    for region, share in zip(
        Region.objects.filter(name__in=["华东", "华南", "华北"]).order_by("id"),
        [D("0.45"), D("0.30"), D("0.25")],
        strict=False,
    ):
        build.make(
            Metric.SALES_AMOUNT,
            PeriodKind.QUARTER,
            quarter,
            _round(quarter_total * share),
            region=region,
        )
    lines = list(ProductLine.objects.filter(name__in=["智能装备", "工业软件", "运维服务"]))
    for line, share in zip(lines, [D("0.6"), D("0.3"), D("0.1")], strict=False):
        build.make(
            Metric.SALES_AMOUNT,
            PeriodKind.QUARTER,
            quarter,
            _round(quarter_total * share),
            product_line=line,
        )
    for kind, share in (
        (CustomerType.NEW, D("0.3")),
        (CustomerType.OLD, D("0.5")),
        (CustomerType.KEY, D("0.2")),
    ):
        build.make(
            Metric.SALES_AMOUNT,
            PeriodKind.QUARTER,
            quarter,
            _round(quarter_total * share),
            customer_type=kind,
        )
    new_customers = build.make(Metric.NEW_CUSTOMERS, PeriodKind.QUARTER, quarter, D("15"))
    build.teams_and_reps(new_customers, PeriodKind.QUARTER, quarter, reps=False, unit=D(1))
    build.make(Metric.REPURCHASE_RATE, PeriodKind.YEAR, year, D("30"))
    build.make(Metric.COLLECTED, PeriodKind.QUARTER, quarter, _round(quarter_total * D("0.8")))
    build.make(Metric.ORDER_COUNT, PeriodKind.MONTH, month, D("8"))
    _adjust_demo(ctx, q)
    ctx.log(f"targets: {ctx.created['targets']} targets for {year[0].year}")


def _adjust_demo(ctx, quarter: Target) -> None:
    """华北 gives 10万 of its quarter to 华东 (a large customer moved): two adjustment rows."""
    east = quarter.children.filter(department=ctx.departments.get("east")).first()
    north = quarter.children.filter(department=ctx.departments.get("north")).first()
    if east is None or north is None:
        return
    amount = D("100000")
    reason = "华北一家重点客户总部迁至上海，由华东区跟进（演示数据）"
    for target, new in ((east, east.value + amount), (north, north.value - amount)):
        TargetAdjustment.objects.create(
            target=target,
            old_value=target.value,
            new_value=new,
            reason=reason,
            actor=ctx.users.get("director"),
        )
        Target.objects.filter(pk=target.pk).update(value=new)
    # keep the reps' split of each team adding up: the first rep carries the change
    for team, delta in ((east, amount), (north, -amount)):
        first = team.children.order_by("id").first()
        if first is not None:
            TargetAdjustment.objects.create(
                target=first,
                old_value=first.value,
                new_value=first.value + delta,
                reason=reason,
                actor=ctx.users.get("director"),
            )
            Target.objects.filter(pk=first.pk).update(value=first.value + delta)


def _seed_reports(ctx, today: datetime.date) -> None:
    """The last three weeks' weekly reports and last month's monthly report of every rep."""
    from django.contrib.auth import get_user_model

    reps = [
        ctx.users[key]
        for key in sorted(ctx.users)
        if key.startswith("rep.") and ctx.users[key].is_active
    ]
    if not reps:
        return
    rng = ctx.random
    User = get_user_model()
    this_monday = rs.week_of(today)[0]
    periods = [(ReportKind.WEEKLY, this_monday - datetime.timedelta(days=7 * n)) for n in (1, 2, 3)]
    periods.append((ReportKind.MONTHLY, today.replace(day=1) - datetime.timedelta(days=1)))
    texts = {
        "problems": [
            "客户预算审批周期拉长，两个项目推迟到下月",
            "竞品报价低 8%，客户要求重新议价",
            "交付排期紧张，客户担心上线时间",
        ],
        "support_needed": [
            "需要售前工程师支持一次现场演示",
            "申请针对老客户的增购折扣政策",
            "希望市场部提供行业案例材料",
        ],
        "competitor_news": [
            "某友商在本区域推出低价 MES 套餐",
            "竞品加大渠道返点，争夺中小客户",
            "暂无明显变化",
        ],
        "next_plan": [
            "拜访 3 家 A 类客户，推进 2 个方案演示",
            "完成 2 份报价并跟进合同审批",
            "回访上月成交客户，挖掘增购机会",
        ],
    }
    late_reasons = ["外出参加展会，未能按时提交", "客户现场调试，晚上才回到驻地"]
    created = 0
    for person in reps:
        for kind, day in periods:
            start, _end = rs.period_of(kind, day)
            if SalesReport.objects.filter(owner=person, kind=kind, period_start=start).exists():
                continue  # seeded before (submitted or deliberately left missing)
            report = rs.report_draft(owner=person, kind=kind, day=day, refresh=False)
            created += 1
            roll = rng.random()
            if roll < 0.12:  # still missing: shows as overdue in the team table
                rs.report_draft(owner=person, kind=kind, day=day)
                continue
            late = roll < 0.3
            due = report.due_at
            submitted = (
                due + datetime.timedelta(hours=rng.randint(3, 30))
                if late
                else (due - datetime.timedelta(hours=rng.randint(2, 40)))
            )
            data = {name: rng.choice(options) for name, options in texts.items()}
            rs.report_submit(
                actor=person,
                report_id=report.pk,
                data=data,
                late_reason=rng.choice(late_reasons) if late else "",
                now=min(submitted, timezone.now()),
            )
    manager = ctx.users.get("manager.east")
    rep = ctx.users.get("rep.east.1")
    if manager is not None and rep is not None:
        report = SalesReport.objects.filter(owner=rep, status=ReportStatus.SUBMITTED).first()
        if report is not None and not report.comments.exists():
            rs.report_comment(
                actor=User.objects.get(pk=manager.pk),
                report_id=report.pk,
                body="演示客户的报价策略要提前和我沟通，下周一起拜访。",
            )
    if created:
        ctx.count("reports", created)
        ctx.log(f"targets: {created} reports drafted")


demo.register_step("targets", seed_targets, order=800)
