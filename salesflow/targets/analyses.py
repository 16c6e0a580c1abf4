"""The analyses of this module in the shared registry (``salesflow.analytics.registry``): the
page, the xlsx export and ``manage.py report NAME`` all call these ``compute`` functions.

* ``performance`` (销售业绩分析): target vs actual, completion, month-on-month and year-on-year
  by salesperson, region, product line or customer type, with the managers' variance notes;
* ``targets`` (目标完成情况): completion of each metric's total target in the user's scope.
"""

from __future__ import annotations

import calendar
import datetime
import math
from collections import defaultdict
from decimal import Decimal

from django.db.models import Case, CharField, Count, F, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.analytics.registry import Analysis, Params, Result, ratio, register

from . import metrics, selectors
from .models import (
    ADDITIVE_METRICS,
    CustomerType,
    Dimension,
    Metric,
    PerformanceNote,
    PeriodKind,
    Target,
)
from .selectors import LEVEL_ORDER

PERFORMANCE_METRICS = (Metric.SALES_AMOUNT, Metric.ORDER_COUNT, Metric.COLLECTED)
GROUPS = tuple(Dimension.values)


# --- periods ----------------------------------------------------------------------------------


def current_period(kind: str, today: datetime.date | None = None):
    today = today or timezone.localdate()
    if kind == PeriodKind.YEAR:
        return datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)
    if kind == PeriodKind.QUARTER:
        first = 3 * ((today.month - 1) // 3) + 1
        last = first + 2
        return datetime.date(today.year, first, 1), datetime.date(
            today.year, last, calendar.monthrange(today.year, last)[1]
        )
    return today.replace(day=1), today.replace(day=calendar.monthrange(today.year, today.month)[1])


def resolve_period(params: Params) -> tuple[datetime.date, datetime.date]:
    if params.date_from and params.date_to:
        return params.date_from, params.date_to
    kind = params.extra.get("period") or PeriodKind.MONTH
    if kind not in PeriodKind.values:
        kind = PeriodKind.MONTH
    start, end = current_period(kind, params.date_from or params.date_to)
    return params.date_from or start, params.date_to or end


def _is_whole_months(start: datetime.date, end: datetime.date) -> bool:
    return start.day == 1 and end == end.replace(day=calendar.monthrange(end.year, end.month)[1])


def _shift_months(day: datetime.date, months: int, *, end: bool = False) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, last if end else min(day.day, last))


def previous_period(start, end):
    """Month-on-month: the same number of whole months before (a month → the month before,
    a quarter → the quarter before); other ranges: the same number of days before."""
    if _is_whole_months(start, end):
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        return _shift_months(start, -months), _shift_months(end, -months, end=True)
    days = (end - start).days + 1
    return start - datetime.timedelta(days=days), end - datetime.timedelta(days=days)


def year_before(start, end):
    return _shift_months(start, -12), _shift_months(end, -12, end=_is_whole_months(start, end))


# --- grouped actuals --------------------------------------------------------------------------


def _group_expr(group: str, kind: str, start, end):
    """The GROUP BY expression of a dimension for orders or receipts."""
    owner = "owner_id" if kind == "order" else "contract__owner_id"
    opp = "opportunity" if kind == "order" else "contract__opportunity"
    if group == Dimension.OWNER:
        return F(owner)
    if group == Dimension.REGION:
        return F("customer__region_id")
    if group == Dimension.PRODUCT_LINE:
        return F(f"{opp}__product_lines")
    return Case(
        When(
            metrics.customer_type_q("customer__", CustomerType.KEY, start, end), then=Value("key")
        ),
        When(
            metrics.customer_type_q("customer__", CustomerType.NEW, start, end), then=Value("new")
        ),
        default=Value("old"),
        output_field=CharField(),
    )


def grouped_actuals(user, metric: str, group: str, start, end) -> dict[str, Decimal]:
    """``{group key: actual}`` for one period in the user's scope (one query)."""
    if metric == Metric.COLLECTED:
        qs = metrics.receipts(user).filter(received_on__gte=start, received_on__lte=end)
        agg = Sum("amount")
        kind = "receipt"
    else:
        qs = metrics.counted_orders(user).filter(order_date__gte=start, order_date__lte=end)
        agg = Sum("amount") if metric == Metric.SALES_AMOUNT else Count("id")
        kind = "order"
    rows = (
        qs.annotate(group_key=_group_expr(group, kind, start, end))
        .values("group_key")
        .annotate(value=agg)
        .order_by()
    )
    return {
        ("" if row["group_key"] is None else str(row["group_key"])): Decimal(row["value"] or 0)
        for row in rows
    }


def _group_targets(user, metric: str, group: str, start, end) -> dict[str, Decimal]:
    """Targets of exactly that period set along this one dimension (the others empty); several
    at the highest visible level are added up."""
    qs = Target.objects.restrict(user, "view").filter(
        metric=metric, period_start=start, period_end=end
    )
    if group == Dimension.OWNER:
        qs = qs.filter(
            level="person", region__isnull=True, product_line__isnull=True, customer_type=""
        )
        key_of = "owner_id"
    elif group == Dimension.REGION:
        qs = qs.filter(region__isnull=False, product_line__isnull=True, customer_type="")
        key_of = "region_id"
    elif group == Dimension.PRODUCT_LINE:
        qs = qs.filter(product_line__isnull=False, region__isnull=True, customer_type="")
        key_of = "product_line_id"
    else:
        qs = qs.exclude(customer_type="").filter(region__isnull=True, product_line__isnull=True)
        key_of = "customer_type"
    by_key: dict[str, list] = defaultdict(list)
    for t in qs.only("value", "level", key_of):
        by_key[str(getattr(t, key_of))].append(t)
    totals = {}
    for key, items in by_key.items():
        best = min(LEVEL_ORDER[t.level] for t in items)
        totals[key] = sum((t.value for t in items if LEVEL_ORDER[t.level] == best), Decimal(0))
    return totals


def _labels(group: str, keys) -> dict[str, str]:
    ids = [int(k) for k in keys if k.isdigit()]
    if group == Dimension.OWNER:
        from salesflow.org.models import User

        return {str(u.pk): str(u) for u in User.objects.filter(pk__in=ids)}
    if group == Dimension.REGION:
        from salesflow.customers.models import Region

        return {
            str(pk): name
            for pk, name in Region.objects.filter(pk__in=ids).values_list("pk", "name")
        }
    if group == Dimension.PRODUCT_LINE:
        from salesflow.pipeline.models import ProductLine

        return {
            str(pk): name
            for pk, name in ProductLine.objects.filter(pk__in=ids).values_list("pk", "name")
        }
    return {k: str(v) for k, v in CustomerType.choices}


def _change(current: Decimal, before: Decimal | None) -> Decimal | None:
    """Growth against a previous figure (current / before − 1); None when before is 0."""
    if not before:
        return None
    return ratio(current - before, before)


# --- performance ------------------------------------------------------------------------------

PERFORMANCE_COLUMNS = [
    ("label", _("对象")),
    ("target", _("目标")),
    ("actual", _("实际")),
    ("completion", _("完成率")),
    ("gap", _("差额")),
    ("previous", _("上期实际")),
    ("mom", _("环比")),
    ("last_year", _("去年同期")),
    ("yoy", _("同比")),
    ("reason", _("差异原因")),
    ("action", _("改进措施")),
    ("note_owner", _("责任人")),
    ("due_date", _("完成期限")),
]


def performance(user, params: Params) -> Result:
    start, end = resolve_period(params)
    group = params.group_by if params.group_by in GROUPS else Dimension.OWNER
    metric = params.extra.get("metric") or Metric.SALES_AMOUNT
    if metric not in PERFORMANCE_METRICS:
        metric = Metric.SALES_AMOUNT
    current = grouped_actuals(user, metric, group, start, end)
    previous = grouped_actuals(user, metric, group, *previous_period(start, end))
    last_year = grouped_actuals(user, metric, group, *year_before(start, end))
    targets = _group_targets(user, metric, group, start, end)
    notes: dict[str, PerformanceNote] = {}
    for note in selectors.performance_notes(
        user=user, date_from=start, date_to=end, dimension=group, metric=metric
    ):
        notes.setdefault(note.key, note)  # newest first
    keys = sorted(set(current) | set(targets), key=lambda k: (-(current.get(k) or 0), k))
    labels = _labels(group, keys)
    rows = []
    for key in keys:
        actual = current.get(key, Decimal(0))
        target = targets.get(key)
        note = notes.get(key)
        rows.append(
            {
                "key": key,
                "label": labels.get(key) or str(_("未指定")),
                "target": target,
                "actual": actual,
                "completion": metrics.completion(actual, target),
                "gap": None if target is None else actual - target,
                "previous": previous.get(key, Decimal(0)),
                "mom": _change(actual, previous.get(key)),
                "last_year": last_year.get(key, Decimal(0)),
                "yoy": _change(actual, last_year.get(key)),
                "reason": note.reason if note else "",
                "action": note.action if note else "",
                "note_owner": str(note.owner) if note else "",
                "due_date": note.due_date if note else None,
            }
        )
    total_actual = sum((r["actual"] for r in rows), Decimal(0))
    total_target = selectors.period_target(user, metric, start, end)
    total_prev = sum(previous.values(), Decimal(0))
    total_ly = sum(last_year.values(), Decimal(0))
    totals = {
        "label": str(_("合计")),
        "target": total_target,
        "actual": total_actual,
        "completion": metrics.completion(total_actual, total_target),
        "gap": None if total_target is None else total_actual - total_target,
        "previous": total_prev,
        "mom": _change(total_actual, total_prev),
        "last_year": total_ly,
        "yoy": _change(total_actual, total_ly),
    }
    chart = None
    if rows:
        chart = {
            "legend": {"data": [str(_("目标")), str(_("实际"))]},
            "grid": {"left": 60, "right": 20, "bottom": 60},
            "xAxis": {"type": "category", "data": [r["label"] for r in rows]},
            "yAxis": {"type": "value"},
            "series": [
                {
                    "name": str(_("目标")),
                    "type": "bar",
                    "data": [None if r["target"] is None else float(r["target"]) for r in rows],
                },
                {"name": str(_("实际")), "type": "bar", "data": [float(r["actual"]) for r in rows]},
            ],
        }
    return Result(
        columns=PERFORMANCE_COLUMNS,
        rows=rows,
        chart=chart,
        totals=totals,
        notes=[
            str(_("期间 %(from)s 至 %(to)s；指标：%(metric)s。"))
            % {"from": start, "to": end, "metric": Metric(metric).label}
        ],
    )


# --- completion by metric ---------------------------------------------------------------------

TARGETS_COLUMNS = [
    ("metric", _("指标")),
    ("target", _("目标")),
    ("actual", _("实际")),
    ("completion", _("完成率")),
]


def completion_by_metric(user, params: Params) -> Result:
    start, end = resolve_period(params)
    tops = {
        m: selectors.top_targets(user=user, metric=m, date_from=start, date_to=end)
        for m in Metric.values
    }
    actuals = metrics.actuals_for([t for ts in tops.values() for t in ts], user)
    rows = []
    for metric in Metric:
        found = tops[metric.value]
        if metric.value in ADDITIVE_METRICS:
            target = sum((t.value for t in found), Decimal(0)) if found else None
            actual = sum((actuals[t.pk] for t in found), Decimal(0)) if found else None
        else:
            single = found[0] if len(found) == 1 else None
            target = single.value if single else None
            actual = actuals.get(single.pk) if single else None
        rows.append(
            {
                "key": metric.value,
                "metric": str(metric.label),
                "target": target,
                "actual": actual,
                "completion": metrics.completion(actual, target),
                "completion_text": metrics.percent_text(metrics.completion(actual, target)),
                "is_rate": metric.value not in ADDITIVE_METRICS,
            }
        )
    shown = [r for r in rows if r["completion"] is not None]
    chart = None
    if shown:
        chart = {
            "grid": {"left": 110, "right": 30},
            "xAxis": {
                "type": "value",
                "min": 0,
                # 100% always in view, so a low completion does not look like a full bar
                "max": max(100, math.ceil(max(float(r["completion"]) for r in shown) * 10) * 10),
                "axisLabel": {"formatter": "{value}%"},
            },
            "yAxis": {"type": "category", "data": [r["metric"] for r in shown]},
            "series": [
                {
                    "name": str(_("完成率")),
                    "type": "bar",
                    "data": [float(r["completion"] * 100) for r in shown],
                    "label": {"show": True, "position": "right", "formatter": "{c}%"},
                }
            ],
        }
    return Result(
        columns=TARGETS_COLUMNS,
        rows=rows,
        chart=chart,
        notes=[str(_("期间 %(from)s 至 %(to)s。")) % {"from": start, "to": end}],
    )


register(
    Analysis(
        name="performance",
        title=_("销售业绩分析"),
        compute=performance,
        url_name="targets:performance",
        description=_(
            "实际 = 期间内有效订单金额/订单数（或到账回款）；完成率 = 实际 ÷ 目标；"
            "环比 = 本期 ÷ 上期 − 1；同比 = 本期 ÷ 去年同期 − 1。"
        ),
        group_by_choices=GROUPS,
        object_type="report",
    )
)
register(
    Analysis(
        name="targets",
        title=_("目标完成情况"),
        compute=completion_by_metric,
        url_name="targets:completion",
        description=_(
            "各指标本人可见范围内的总目标与实际；比率指标的完成率 = 实际比率 ÷ 目标比率。"
        ),
        object_type="target",
    )
)
