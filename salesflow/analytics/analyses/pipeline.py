"""Open pipeline totals by stage or by owner, and the people table of the manager's dashboard."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.pipeline.models import OpportunityStatus

from .. import base
from ..models import OpenPipelineSummary
from ..registry import Analysis, Params, Result, ratio, register
from ..summaries import fresh_summary_time
from .forecast import weighted

TOTAL_COLUMNS = [
    ("group", _("分组")),
    ("opportunities", _("进行中商机")),
    ("amount", _("金额（元）")),
    ("weighted", _("加权金额（元）")),
]


def compute_totals(user, params: Params) -> Result:
    """Open opportunities (whenever created) summed by stage or by owner."""
    by_owner = params.group_by == "owner"
    keys = ("owner_id", "owner__display_name") if by_owner else ("stage__order", "stage__name")
    built = fresh_summary_time()
    notes = []
    if built is not None:
        # The worker's summary: the same owners, team and template filters, a few hundred rows.
        summary = base.owned(base.in_scope(OpenPipelineSummary, user), params)
        template_id = base.int_param(params, "template")
        if template_id is not None:
            summary = summary.filter(template_version__template_id=template_id)
        groups = (
            summary.values(*keys)
            .annotate(n=Sum("opportunities"), total=Sum("amount"), weighted=Sum("weighted"))
            .order_by(*keys)[:1000]
        )
        notes.append(
            str(_("数据截至 %(time)s（后台每 5 分钟汇总一次）。"))
            % {"time": timezone.localtime(built).strftime("%Y-%m-%d %H:%M")}
        )
    else:
        open_opps = base.opportunities(user, params).filter(status=OpportunityStatus.OPEN)
        groups = (
            open_opps.values(*keys)
            .annotate(n=Count("id"), total=Sum("amount"), weighted=Sum(weighted()))
            .order_by(*keys)[:1000]
        )
    rows = [
        {
            "group": g[keys[1]],
            "opportunities": g["n"],
            "amount": base.num(g["total"] or 0, 2),
            "weighted": base.num(g["weighted"] or 0, 2),
        }
        for g in groups
    ]
    if not by_owner:
        # Several templates may share stage names: merge rows of the same order and name.
        merged: dict[str, dict] = {}
        for row in rows:
            into = merged.setdefault(
                row["group"], {**row, "opportunities": 0, "amount": 0, "weighted": 0}
            )
            into["opportunities"] += row["opportunities"]
            into["amount"] += row["amount"]
            into["weighted"] += row["weighted"]
        rows = list(merged.values())
    totals = {
        "group": str(_("合计")),
        "opportunities": sum(r["opportunities"] for r in rows),
        "amount": sum((r["amount"] for r in rows), Decimal(0)),
        "weighted": sum((r["weighted"] for r in rows), Decimal(0)),
    }
    chart = {
        "legend": {},
        "grid": {"left": 90, "right": 30, "top": 40, "bottom": 60},
        "xAxis": {
            "type": "category",
            "data": [r["group"] for r in rows],
            "axisLabel": {"rotate": 30},
        },
        "yAxis": {"type": "value", "name": str(_("元"))},
        "series": [
            {
                "name": str(_("金额（元）")),
                "type": "bar",
                "data": [float(r["amount"]) for r in rows],
            },
            {
                "name": str(_("加权金额（元）")),
                "type": "bar",
                "data": [float(r["weighted"]) for r in rows],
            },
        ],
    }
    return Result(columns=TOTAL_COLUMNS, rows=rows, chart=chart, totals=totals, notes=notes)


PEOPLE_COLUMNS = [
    ("owner", _("销售")),
    ("open", _("进行中商机")),
    ("weighted", _("加权金额（元）")),
    ("created", _("新建商机")),
    ("won", _("赢单")),
    ("lost", _("输单")),
    ("win_rate", _("赢单率（%）")),
    ("won_amount", _("赢单金额（元）")),
    ("followups", _("跟进次数")),
    ("completeness", _("跟进完整率（%）")),
]


def compute_people(user, params: Params) -> Result:
    """One row per salesperson in scope: the open pipeline now, and the period's new, won and
    lost opportunities and follow-ups (two grouped queries)."""
    start, end = base.bounds(params)
    in_period = Q(created_at__gte=start, created_at__lt=end)
    closed = Q(closed_at__gte=start, closed_at__lt=end)
    won = closed & Q(status=OpportunityStatus.WON)
    opps = (
        base.opportunities(user, params)
        .values("owner_id", "owner__display_name")
        .annotate(
            open=Count("id", filter=Q(status=OpportunityStatus.OPEN)),
            weighted=Sum(weighted(), filter=Q(status=OpportunityStatus.OPEN)),
            created=Count("id", filter=in_period),
            won=Count("id", filter=won),
            lost=Count("id", filter=closed & Q(status=OpportunityStatus.LOST)),
            won_amount=Sum("amount", filter=won),
        )
        .order_by("owner__display_name", "owner_id")[:500]
    )
    follow = {
        f["owner_id"]: f
        for f in base.followups(user, params)
        .filter(communicated_at__gte=start, communicated_at__lt=end)
        .values("owner_id")
        .annotate(n=Count("id"), complete=Count("id", filter=Q(is_complete=True)))
        .order_by()
    }
    rows = []
    for o in opps:
        f = follow.get(o["owner_id"], {"n": 0, "complete": 0})
        rows.append(
            {
                "owner": o["owner__display_name"],
                "open": o["open"],
                "weighted": base.num(o["weighted"] or 0, 2),
                "created": o["created"],
                "won": o["won"],
                "lost": o["lost"],
                "win_rate": base.pct(ratio(o["won"], o["won"] + o["lost"])),
                "won_amount": base.num(o["won_amount"] or 0, 2),
                "followups": f["n"],
                "completeness": base.pct(ratio(f["complete"], f["n"])),
            }
        )
    chart = {
        "legend": {},
        "grid": {"left": 90, "right": 30, "top": 40, "bottom": 60},
        "xAxis": {
            "type": "category",
            "data": [r["owner"] for r in rows],
            "axisLabel": {"rotate": 30},
        },
        "yAxis": {"type": "value", "name": str(_("元"))},
        "series": [
            {
                "name": str(_("加权金额（元）")),
                "type": "bar",
                "data": [float(r["weighted"]) for r in rows],
            },
            {
                "name": str(_("赢单金额（元）")),
                "type": "bar",
                "data": [float(r["won_amount"]) for r in rows],
            },
        ],
    }
    return Result(columns=PEOPLE_COLUMNS, rows=rows, chart=chart)


register(
    Analysis(
        name="pipeline_totals",
        title=_("管道汇总"),
        compute=compute_totals,
        description=_("进行中商机的数量、金额和加权金额（金额 × 赢率），按阶段或负责人汇总。"),
        group_by_choices=("stage", "owner"),
    )
)
register(
    Analysis(
        name="people",
        title=_("人员表现"),
        compute=compute_people,
        description=_(
            "每位销售：进行中商机与加权金额（当前），期间新建、赢单、输单、赢单率、跟进次数与完整率。"
        ),
    )
)
