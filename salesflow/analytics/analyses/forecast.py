"""Sales forecast (销售预测): the weighted pipeline (amount × probability) of open
opportunities only, by expected close month, compared with the period's target when the targets
module offers one."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.pipeline.models import OpportunityStatus

from .. import base
from ..registry import Analysis, Params, Result, ratio, register

COLUMNS = [
    ("month", _("预计成交月份")),
    ("opportunities", _("商机数")),
    ("amount", _("金额（元）")),
    ("weighted", _("加权金额（元）")),
    ("target", _("目标（元）")),
    ("coverage", _("加权金额 ÷ 目标（%）")),
]


def weighted():
    """amount × probability %, per row (a new expression each time: Django resolves them)."""
    return ExpressionWrapper(
        F("amount") * F("probability") / Decimal(100),
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )


def period_target(user, date_from, date_to):
    """The sales-amount target of exactly that period in the user's scope, from the targets
    module (None when it has none, or when the module does not offer one)."""
    try:
        from salesflow.targets import selectors
    except ImportError:
        return None
    reader = getattr(selectors, "period_target", None)
    if reader is None:
        return None
    return reader(user, "sales_amount", date_from, date_to)


def _month_end(first: datetime.date) -> datetime.date:
    year, month = divmod(first.month, 12)
    return datetime.date(first.year + year, month + 1, 1) - datetime.timedelta(days=1)


def forecast_period(params: Params):
    """The chosen period, or without dates this month and the five after it."""
    if params.date_from or params.date_to:
        return base.period(params)
    first = timezone.localdate().replace(day=1)
    year, month = divmod(first.month - 1 + 6, 12)
    return first, datetime.date(first.year + year, month + 1, 1) - datetime.timedelta(days=1)


def compute(user, params: Params) -> Result:
    """Open opportunities whose expected close date falls in the period (undated ones in a row
    of their own), by month."""
    date_from, date_to = forecast_period(params)
    open_opps = base.opportunities(user, params).filter(status=OpportunityStatus.OPEN)
    # One grouped read: the period's months and the undated ones (month NULL) together.
    grouped = list(
        open_opps.filter(
            Q(expected_close_date__gte=date_from, expected_close_date__lte=date_to)
            | Q(expected_close_date__isnull=True)
        )
        .annotate(month=TruncMonth("expected_close_date"))
        .values("month")
        .annotate(n=Count("id"), total=Sum("amount"), weighted=Sum(weighted()))
        .order_by("month")
    )
    months = [m for m in grouped if m["month"] is not None]
    undated = next(
        (m for m in grouped if m["month"] is None), {"n": 0, "total": None, "weighted": None}
    )
    rows = []
    for m in months:
        first = m["month"]
        first = first.date() if hasattr(first, "date") else first
        weighted_sum = base.num(m["weighted"] or 0, 2)
        # One read per month of the period (at most a few dozen), whatever the data size.
        target = period_target(user, first, _month_end(first))
        rows.append(
            {
                "month": first.strftime("%Y-%m"),
                "opportunities": m["n"],
                "amount": base.num(m["total"] or 0, 2),
                "weighted": weighted_sum,
                "target": target,
                "coverage": base.pct(ratio(weighted_sum, target)) if target else None,
            }
        )
    if undated["n"]:
        rows.append(
            {
                "month": str(_("（未填预计成交日期）")),
                "opportunities": undated["n"],
                "amount": base.num(undated["total"] or 0, 2),
                "weighted": base.num(undated["weighted"] or 0, 2),
                "target": None,
                "coverage": None,
            }
        )
    dated_rows = [r for r in rows if r["month"][0].isdigit()]
    total_weighted = sum((r["weighted"] for r in dated_rows), Decimal(0))
    target = period_target(user, date_from, date_to)
    totals = {
        "month": str(_("期间合计（不含未填日期）")),
        "opportunities": sum(r["opportunities"] for r in dated_rows),
        "amount": sum((r["amount"] for r in dated_rows), Decimal(0)),
        "weighted": total_weighted,
        "target": target,
        "coverage": base.pct(ratio(total_weighted, target)) if target else None,
    }
    notes = []
    if target is None and all(r["target"] is None for r in rows):
        notes.append(str(_("没有本期的销售额目标，只显示预测。")))
    chart = {
        "legend": {},
        "grid": {"left": 90, "right": 30, "top": 40, "bottom": 40},
        "xAxis": {"type": "category", "data": [r["month"] for r in dated_rows]},
        "yAxis": {"type": "value", "name": str(_("元"))},
        "series": [
            {
                "name": str(_("金额（元）")),
                "type": "bar",
                "data": [float(r["amount"]) for r in dated_rows],
            },
            {
                "name": str(_("加权金额（元）")),
                "type": "bar",
                "data": [float(r["weighted"]) for r in dated_rows],
            },
        ],
    }
    return Result(columns=COLUMNS, rows=rows, chart=chart, totals=totals, notes=notes)


register(
    Analysis(
        name="forecast",
        title=_("销售预测"),
        compute=compute,
        description=_(
            "只含进行中的商机：加权金额 = 金额 × 赢率，按预计成交月份汇总；有目标时与目标对比。"
        ),
    )
)
