"""Sales KPIs (SPEC S12). Each figure's formula and source is in ``docs/kpis.md``; every figure
is one aggregate query over scope-restricted rows."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core.settings_registry import get_setting
from salesflow.pipeline.models import OpportunityStatus, StageEvent

from .. import base
from ..registry import Analysis, Params, Result, ratio, register

ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=20, decimal_places=2))


# --- single figures -----------------------------------------------------------------------


def closed_figures(user, params: Params) -> dict:
    """Won/lost closed in the period: counts, win rate, average deal size, sales cycle."""
    start, end = base.bounds(params)
    closed = base.opportunities(user, params).filter(closed_at__gte=start, closed_at__lt=end)
    cycle = base.DaysBetween("closed_at", Coalesce("source_lead__first_contact_at", "created_at"))
    won_q = Q(status=OpportunityStatus.WON)
    row = closed.aggregate(
        won=Count("id", filter=won_q),
        lost=Count("id", filter=Q(status=OpportunityStatus.LOST)),
        won_amount=Sum("amount", filter=won_q),
        avg_deal=Avg("amount", filter=won_q),
        cycle_avg=Avg(cycle, filter=won_q),
        cycle_median=base.Percentile(cycle, 0.5, filter=won_q),
    )
    row["win_rate"] = ratio(row["won"], row["won"] + row["lost"])
    return row


def event_figures(user, params: Params) -> dict:
    """From the stage events in the period: time in stage and skip rate."""
    start, end = base.bounds(params)
    events = base.stage_events(user, params).filter(at__gte=start, at__lt=end)
    moves = Q(kind__in=[StageEvent.Kind.ADVANCE, StageEvent.Kind.SKIP, StageEvent.Kind.BACK])
    row = events.aggregate(
        days_avg=Avg("working_days_in_previous", filter=Q(from_stage__isnull=False)),
        days_median=base.Percentile(
            "working_days_in_previous", 0.5, filter=Q(working_days_in_previous__isnull=False)
        ),
        forward=Count("id", filter=Q(kind__in=[StageEvent.Kind.ADVANCE, StageEvent.Kind.SKIP])),
        skips=Count("id", filter=Q(skipped=True) | Q(kind=StageEvent.Kind.SKIP)),
        moves=Count("id", filter=moves),
    )
    row["skip_rate"] = ratio(row["skips"], row["forward"])
    return row


def followup_completeness(user, params: Params) -> dict:
    start, end = base.bounds(params)
    row = (
        base.followups(user, params)
        .filter(communicated_at__gte=start, communicated_at__lt=end)
        .aggregate(total=Count("id"), complete=Count("id", filter=Q(is_complete=True)))
    )
    row["rate"] = ratio(row["complete"], row["total"])
    return row


def lead_response(user, params: Params) -> dict:
    """A-class leads graded in the period: contacted by their stored first-contact deadline.
    One not contacted counts (as late) once its deadline has passed."""
    from salesflow.leads.models import LeadGrade

    start, end = base.bounds(params)
    now = timezone.now()
    leads = base.leads(user, params).filter(
        grade=LeadGrade.A, graded_at__gte=start, graded_at__lt=end
    )
    on_time = Q(first_contact_at__isnull=False, first_contact_at__lte=F("first_contact_due_at"))
    counted = Q(first_contact_at__isnull=False) | Q(first_contact_due_at__lt=now)
    row = leads.aggregate(total=Count("id", filter=counted), on_time=Count("id", filter=on_time))
    row["rate"] = ratio(row["on_time"], row["total"])
    return row


def churn(user, params: Params) -> dict:
    """Customers whose first deal falls in the period and whose first ``customer.
    new_customer_months`` months are over; lost = marked 流失 (lost_at) within those months."""
    from salesflow.customers.models import Customer

    start, end = base.bounds(params)
    months = get_setting("customer.new_customer_months")
    window_days = months * 30.4375
    now = timezone.now()
    matured_before = now - timezone.timedelta(days=window_days)
    since_first = base.DaysBetween("lost_at", "first_deal_at")
    customers = base.owned(base.in_scope(Customer, user), params).filter(
        first_deal_at__gte=start, first_deal_at__lt=end, first_deal_at__lte=matured_before
    )
    row = customers.annotate(days_to_lost=since_first).aggregate(
        total=Count("id"),
        lost=Count("id", filter=Q(lost_at__isnull=False, days_to_lost__lte=window_days)),
    )
    row["rate"] = ratio(row["lost"], row["total"])
    row["months"] = months
    return row


def repurchase(user, params: Params) -> dict:
    """Customers with at least one (not cancelled) order up to the period end: share with two
    or more."""
    from salesflow.deals.models import Order, OrderStatus

    _start, end = base.period(params)
    orders = (
        base.owned(base.in_scope(Order, user), params)
        .filter(order_date__lte=end)
        .exclude(status=OrderStatus.CANCELLED)
    )
    per_customer = orders.values("customer_id").annotate(n=Count("id")).values("customer_id", "n")
    row = per_customer.aggregate(
        total=Count("customer_id"), repeat=Count("customer_id", filter=Q(n__gte=2))
    )
    row["rate"] = ratio(row["repeat"], row["total"])
    return row


def stage_sla(user, params: Params) -> list[dict]:
    """Per stage of the template version: stage exits in the period within the stage's time
    limit. Duration rules (hours/days) compare with the event's hours in the stage, working-day
    rules with its working days; other rules (weekday, month end, working hours) cannot be
    judged from a duration and are left "—"."""
    from salesflow.core.sla import DAYS, DURATION, WORKING_DAYS, parse_rule

    version = base.default_template_version(params)
    if version is None:
        return []
    start, end = base.bounds(params)
    events = base.stage_events(user, params).filter(
        at__gte=start,
        at__lt=end,
        from_stage__isnull=False,
        opportunity__template_version__template_id=version.template_id,
    )
    aggregates, judged = {}, {}
    stages = [s for s in version.stages.all() if not s.covered_by_lead]
    for stage in stages:
        in_stage = Q(from_stage__code=stage.code)
        aggregates[f"n{stage.order}"] = Count("id", filter=in_stage)
        try:
            rule = parse_rule(stage.time_limit_rule) if stage.time_limit_rule else None
        except ValueError:
            rule = None
        limit = None
        if rule is not None and rule.kind == DURATION and not rule.working_hours:
            limit = in_stage & Q(hours_in_previous__lte=Decimal(rule.amount) / 60)
        elif rule is not None and rule.kind == DAYS:
            limit = in_stage & Q(hours_in_previous__lte=Decimal(rule.amount) * 24)
        elif rule is not None and rule.kind == WORKING_DAYS:
            limit = in_stage & Q(working_days_in_previous__lte=rule.amount)
        if limit is not None:
            aggregates[f"ok{stage.order}"] = Count("id", filter=limit)
            judged[stage.order] = True
    counts = events.aggregate(**aggregates) if aggregates else {}
    rows = []
    for stage in stages:
        total = counts.get(f"n{stage.order}", 0)
        ok = counts.get(f"ok{stage.order}") if judged.get(stage.order) else None
        rows.append(
            {
                "stage": stage.name,
                "rule": stage.time_limit_rule or "—",
                "exits": total,
                "on_time": ok,
                "rate": None if ok is None else base.pct(ratio(ok, total)),
            }
        )
    return rows


# --- the KPI overview ---------------------------------------------------------------------

KPI_COLUMNS = [
    ("kpi", _("指标")),
    ("value", _("数值")),
    ("unit", _("单位")),
    ("basis", _("样本")),
    ("formula", _("口径")),
]


def compute_kpis(user, params: Params) -> Result:
    closed = closed_figures(user, params)
    events = event_figures(user, params)
    completeness = followup_completeness(user, params)
    response = lead_response(user, params)
    churned = churn(user, params)
    repeat = repurchase(user, params)
    sla_rows = [r for r in stage_sla(user, params) if r["on_time"] is not None]
    sla_total = sum(r["exits"] for r in sla_rows)
    sla_ok = sum(r["on_time"] for r in sla_rows)
    from . import funnel

    steps = {row["key"]: row for row in funnel.compute(user, params).rows}
    rows = [
        (
            "sales_cycle_avg",
            _("销售周期（平均）"),
            base.num(closed["cycle_avg"]),
            _("天"),
            closed["won"],
            _("首次联系（来源线索的首次联系时间，无则商机创建时间）到赢单的天数，期间内赢单的商机"),
        ),
        (
            "sales_cycle_median",
            _("销售周期（中位数）"),
            base.num(closed["cycle_median"]),
            _("天"),
            closed["won"],
            _("同上，取中位数"),
        ),
        (
            "lead_to_opportunity",
            _("线索→商机转化率"),
            steps.get("opportunity", {}).get("conversion"),
            "%",
            steps.get("lead", {}).get("count"),
            _("期间创建的商机 ÷ 期间录入的线索"),
        ),
        (
            "opportunity_to_won",
            _("商机→赢单转化率"),
            steps.get("won", {}).get("conversion"),
            "%",
            steps.get("opportunity", {}).get("count"),
            _("期间创建的商机中已赢单的 ÷ 期间创建的商机"),
        ),
        (
            "time_in_stage",
            _("阶段停留时间（平均）"),
            base.num(events["days_avg"]),
            _("工作日"),
            events["moves"],
            _("期间内每次阶段变化记录的上一阶段停留工作日"),
        ),
        (
            "time_in_stage_median",
            _("阶段停留时间（中位数）"),
            base.num(events["days_median"]),
            _("工作日"),
            events["moves"],
            _("同上，取中位数"),
        ),
        (
            "win_rate",
            _("赢单率"),
            base.pct(closed["win_rate"]),
            "%",
            closed["won"] + closed["lost"],
            _("赢单 ÷（赢单 + 输单），按关闭时间计入期间"),
        ),
        (
            "avg_deal_size",
            _("平均成交金额"),
            base.num(closed["avg_deal"], 2),
            _("元"),
            closed["won"],
            _("期间赢单商机金额的平均值"),
        ),
        (
            "churn_rate",
            _("新客户流失率"),
            base.pct(churned["rate"]),
            "%",
            churned["total"],
            _("首次成交在期间内且已满新客户期的客户中，首次成交后新客户期内被标记流失的比例"),
        ),
        (
            "repurchase_rate",
            _("复购率"),
            base.pct(repeat["rate"]),
            "%",
            repeat["total"],
            _("截至期末有订单（不含已取消）的客户中，订单数 ≥ 2 的比例"),
        ),
        (
            "followup_completeness",
            _("跟进记录完整率"),
            base.pct(completeness["rate"]),
            "%",
            completeness["total"],
            _("期间沟通的跟进记录中，录入时完整的比例"),
        ),
        (
            "lead_response",
            _("线索响应及时率"),
            base.pct(response["rate"]),
            "%",
            response["total"],
            _("期间评为A类的线索中，在首次联系时限内联系的比例（超时未联系计为不及时）"),
        ),
        (
            "stage_sla",
            _("阶段时限达成率"),
            base.pct(ratio(sla_ok, sla_total)),
            "%",
            sla_total,
            _("期间离开阶段的商机中，在该阶段时限内离开的比例（按时长可判定的阶段）"),
        ),
        (
            "skip_rate",
            _("跳过率"),
            base.pct(events["skip_rate"]),
            "%",
            events["forward"],
            _("期间的跳过次数 ÷ 推进与跳过次数"),
        ),
    ]
    result_rows = [
        {
            "key": key,
            "kpi": str(label),
            "value": value,
            "unit": str(unit),
            "basis": basis,
            "formula": str(formula),
        }
        for key, label, value, unit, basis, formula in rows
    ]
    percent_rows = [r for r in result_rows if r["unit"] == "%"]
    chart = {
        "grid": {"left": 140, "right": 30, "top": 20, "bottom": 30},
        "xAxis": {"type": "value", "max": 100},
        "yAxis": {"type": "category", "inverse": True, "data": [r["kpi"] for r in percent_rows]},
        "series": [
            {
                "type": "bar",
                "data": [None if r["value"] is None else float(r["value"]) for r in percent_rows],
                "label": {"show": True, "position": "right"},
            }
        ],
    }
    return Result(columns=KPI_COLUMNS, rows=result_rows, chart=chart)


# --- grouped KPIs -------------------------------------------------------------------------


def _group_key(group_by: str) -> tuple[str, str]:
    """(values() key for the group, label lookup) for the opportunity-based grouped KPIs."""
    return {
        "owner": ("owner__display_name", "owner"),
        "team": ("owner__department__name", "team"),
        "product_line": ("product_lines__name", "product_line"),
        "customer_grade": ("customer__grade", "customer_grade"),
        "customer_tier": ("customer__tier", "customer_tier"),
        "month": ("month", "month"),
    }.get(group_by, ("owner__display_name", "owner"))


def _label(value, group_by: str) -> str:
    from salesflow.customers.models import Grade, Tier

    if value is None:
        return str(_("（未设置）"))
    if group_by == "customer_grade":
        return str(Grade(value).label) if value in Grade.values else value
    if group_by == "customer_tier":
        return str(Tier(value).label) if value in Tier.values else value
    if group_by == "month":
        return value.strftime("%Y-%m")
    return str(value)


WIN_COLUMNS = [
    ("group", _("分组")),
    ("won", _("赢单数")),
    ("lost", _("输单数")),
    ("win_rate", _("赢单率（%）")),
    ("won_amount", _("赢单金额（元）")),
    ("avg_deal", _("平均成交金额（元）")),
    ("cycle_avg", _("平均销售周期（天）")),
    ("cycle_median", _("销售周期中位数（天）")),
]


def compute_win_rate(user, params: Params) -> Result:
    """Win rate, deal size and sales cycle of the opportunities closed in the period, by group."""
    start, end = base.bounds(params)
    group_by = params.group_by or "owner"
    key, _kind = _group_key(group_by)
    closed = base.opportunities(user, params).filter(closed_at__gte=start, closed_at__lt=end)
    if group_by == "month":
        closed = closed.annotate(month=TruncMonth("closed_at"))
    cycle = base.DaysBetween("closed_at", Coalesce("source_lead__first_contact_at", "created_at"))
    won_q = Q(status=OpportunityStatus.WON)
    groups = (
        closed.values(key)
        .annotate(
            won=Count("id", filter=won_q, distinct=True),
            lost=Count("id", filter=Q(status=OpportunityStatus.LOST), distinct=True),
            won_amount=Sum("amount", filter=won_q),
            avg_deal=Avg("amount", filter=won_q),
            cycle_avg=Avg(cycle, filter=won_q),
            cycle_median=base.Percentile(cycle, 0.5, filter=won_q),
        )
        .order_by(key)[:500]
    )
    rows = []
    for g in groups:
        rows.append(
            {
                "group": _label(g[key], group_by),
                "won": g["won"],
                "lost": g["lost"],
                "win_rate": base.pct(ratio(g["won"], g["won"] + g["lost"])),
                "won_amount": base.num(g["won_amount"] or 0, 2),
                "avg_deal": base.num(g["avg_deal"], 2),
                "cycle_avg": base.num(g["cycle_avg"]),
                "cycle_median": base.num(g["cycle_median"]),
            }
        )
    total = closed_figures(user, params)
    totals = {
        "group": str(_("合计")),
        "won": total["won"],
        "lost": total["lost"],
        "win_rate": base.pct(total["win_rate"]),
        "won_amount": base.num(total["won_amount"] or 0, 2),
        "avg_deal": base.num(total["avg_deal"], 2),
        "cycle_avg": base.num(total["cycle_avg"]),
        "cycle_median": base.num(total["cycle_median"]),
    }
    chart = {
        "legend": {},
        "grid": {"left": 60, "right": 60, "top": 40, "bottom": 60},
        "xAxis": {
            "type": "category",
            "data": [r["group"] for r in rows],
            "axisLabel": {"rotate": 30},
        },
        "yAxis": [
            {"type": "value", "name": str(_("单数"))},
            {"type": "value", "name": "%", "max": 100},
        ],
        "series": [
            {
                "name": str(_("赢单数")),
                "type": "bar",
                "stack": "n",
                "data": [r["won"] for r in rows],
            },
            {
                "name": str(_("输单数")),
                "type": "bar",
                "stack": "n",
                "data": [r["lost"] for r in rows],
            },
            {
                "name": str(_("赢单率（%）")),
                "type": "line",
                "yAxisIndex": 1,
                "data": [None if r["win_rate"] is None else float(r["win_rate"]) for r in rows],
            },
        ],
    }
    return Result(columns=WIN_COLUMNS, rows=rows, chart=chart, totals=totals)


SLA_COLUMNS = [
    ("stage", _("阶段")),
    ("rule", _("时限规则")),
    ("exits", _("离开次数")),
    ("on_time", _("按时离开")),
    ("rate", _("达成率（%）")),
]


def compute_stage_sla(user, params: Params) -> Result:
    rows = stage_sla(user, params)
    chart = {
        "grid": {"left": 60, "right": 30, "top": 20, "bottom": 40},
        "xAxis": {"type": "category", "data": [r["stage"] for r in rows]},
        "yAxis": {"type": "value", "max": 100},
        "series": [
            {
                "type": "bar",
                "data": [None if r["rate"] is None else float(r["rate"]) for r in rows],
                "label": {"show": True, "position": "top"},
            }
        ],
    }
    return Result(columns=SLA_COLUMNS, rows=rows, chart=chart)


CAC_COLUMNS = [
    ("channel", _("渠道")),
    ("cost", _("费用（元）")),
    ("new_customers", _("新客户数")),
    ("cac", _("获客成本 CAC（元）")),
    ("ltv", _("客户终身价值 LTV（元）")),
    ("ltv_cac", _("LTV:CAC")),
]


def compute_cac(user, params: Params) -> Result:
    """CAC per channel: the channel's marketing + sales costs of the period's months ÷ the
    customers whose first deal falls in the period and whose source lead came from that channel.
    LTV: the order amount (not cancelled, to date) of those customers ÷ their number."""
    from salesflow.customers.models import Customer
    from salesflow.deals.models import Order, OrderStatus
    from salesflow.leads.models import Lead, LeadSource

    from ..models import ChannelCost

    date_from, date_to = base.period(params)
    start, end = base.bounds(params)
    costs = {
        row["channel_id"]: (row["m"] or 0) + (row["s"] or 0)
        for row in ChannelCost.objects.filter(
            month__gte=date_from.replace(day=1), month__lte=date_to
        )
        .values("channel_id")
        .annotate(m=Sum("marketing_cost"), s=Sum("sales_cost"))
    }
    revenue = (
        Order.objects.filter(customer_id=OuterRef("pk"))
        .exclude(status=OrderStatus.CANCELLED)
        .values("customer_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    channel = Lead.all_objects.filter(pk=OuterRef("source_lead_id")).values("source_id")[:1]
    customers = (
        base.owned(base.in_scope(Customer, user), params)
        .filter(first_deal_at__gte=start, first_deal_at__lt=end)
        .annotate(channel=Subquery(channel), revenue=Coalesce(Subquery(revenue), ZERO))
        .values("channel")
        .annotate(n=Count("id"), revenue=Sum("revenue"))
    )
    acquired = {row["channel"]: row for row in customers}
    names = dict(LeadSource.objects.values_list("id", "name"))
    rows = []
    for channel_id in sorted(
        set(costs) | set(acquired), key=lambda c: (c is None, names.get(c, ""))
    ):
        cost = Decimal(costs.get(channel_id, 0))
        n = acquired.get(channel_id, {}).get("n", 0)
        total_revenue = acquired.get(channel_id, {}).get("revenue") or Decimal(0)
        cac = ratio(cost, n, 2) if channel_id is not None else None
        ltv = ratio(total_revenue, n, 2)
        rows.append(
            {
                "channel": names.get(channel_id, str(_("（无来源线索）"))),
                "cost": cost.quantize(Decimal("0.01")),
                "new_customers": n,
                "cac": cac,
                "ltv": ltv,
                "ltv_cac": ratio(ltv, cac, 2) if ltv is not None and cac else None,
            }
        )
    total_cost = sum((Decimal(c) for c in costs.values()), Decimal(0))
    total_n = sum(r["n"] for r in acquired.values())
    total_revenue = sum((r["revenue"] or Decimal(0) for r in acquired.values()), Decimal(0))
    cac = ratio(total_cost, total_n, 2)
    ltv = ratio(total_revenue, total_n, 2)
    totals = {
        "channel": str(_("合计")),
        "cost": total_cost.quantize(Decimal("0.01")),
        "new_customers": total_n,
        "cac": cac,
        "ltv": ltv,
        "ltv_cac": ratio(ltv, cac, 2) if ltv is not None and cac else None,
    }
    chart = {
        "grid": {"left": 80, "right": 30, "top": 30, "bottom": 60},
        "legend": {},
        "xAxis": {"type": "category", "data": [r["channel"] for r in rows]},
        "yAxis": {"type": "value"},
        "series": [
            {
                "name": str(_("获客成本 CAC（元）")),
                "type": "bar",
                "data": [None if r["cac"] is None else float(r["cac"]) for r in rows],
            },
            {
                "name": str(_("客户终身价值 LTV（元）")),
                "type": "bar",
                "data": [None if r["ltv"] is None else float(r["ltv"]) for r in rows],
            },
        ],
    }
    return Result(columns=CAC_COLUMNS, rows=rows, chart=chart, totals=totals)


OPP_GROUPS = ("owner", "team", "product_line", "customer_grade", "customer_tier", "month")

register(
    Analysis(
        name="kpis",
        title=_("关键指标"),
        compute=compute_kpis,
        description=_(
            "销售周期、转化率、阶段停留、赢单率、平均成交金额、流失率、复购率、跟进完整率、"
            "线索响应及时率、阶段时限达成率、跳过率。口径见各行说明。"
        ),
    )
)
register(
    Analysis(
        name="win_rate",
        title=_("赢单率与销售周期"),
        compute=compute_win_rate,
        description=_(
            "按关闭时间计入期间；赢单率 = 赢单 ÷（赢单 + 输单）；销售周期 = 首次联系到赢单的天数。"
            "按产品线分组时，一个商机计入它的每条产品线。"
        ),
        group_by_choices=OPP_GROUPS,
    )
)
register(
    Analysis(
        name="stage_sla",
        title=_("阶段时限达成率"),
        compute=compute_stage_sla,
        description=_("期间离开各阶段的商机中，在阶段时限内离开的比例。"),
    )
)
register(
    Analysis(
        name="cac",
        title=_("渠道获客成本与LTV"),
        compute=compute_cac,
        description=_(
            "CAC =（市场费用 + 销售费用）÷ 期间首次成交的新客户数（按来源线索的渠道）；"
            "LTV = 这些客户至今的订单金额 ÷ 客户数。"
        ),
    )
)
