"""The service measures as analyses of the analytics registry: ``complaint_rate`` and
``service_tiers`` (same numbers on the measures page, the KPI page, exports and
``manage.py report``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from salesflow.analytics.registry import Analysis, Params, Result, register

from . import measures


def _pct(value):
    return None if value is None else float(value)


def complaint_rate_result(user, params: Params) -> Result:
    figure = measures.complaint_rate(user, params.date_from, params.date_to)
    row = {
        "period": f"{figure.date_from:%Y-%m-%d} ~ {figure.date_to:%Y-%m-%d}",
        "complaints": figure.complaints,
        "caused_by_sales": figure.caused_by_sales,
        "served": figure.served,
        "rate": figure.rate,
    }
    return Result(
        columns=[
            ("period", _("期间")),
            ("complaints", _("投诉总数")),
            ("caused_by_sales", _("销售服务导致的投诉")),
            ("served", _("服务客户数")),
            ("rate", _("投诉率（%）")),
        ],
        rows=[row],
        notes=[
            str(
                _(
                    "投诉率 = 期间内销售服务导致的投诉数 ÷ 期间内服务客户数；服务客户 = "
                    "期间内有有效订单或有投诉的客户。"
                )
            )
        ],
    )


def tier_rows(tier_measures) -> list[dict]:
    rows = []
    for m in tier_measures:
        rows.append(
            {
                "tier": m.label,
                "customers": m.customers,
                "repurchase_rate": m.repurchase_rate,
                "repurchase_goal": m.repurchase_goal,
                "satisfaction": m.satisfaction,
                "satisfaction_goal": m.satisfaction_goal,
                "referrals": m.referrals_per_customer if m.referral_goal is not None else None,
                "referral_goal": m.referral_goal,
            }
        )
    return rows


def tier_chart(rows: list[dict]) -> dict:
    """Repurchase and satisfaction per tier as bars, their goals as lines (ECharts option)."""
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {},
        "xAxis": {"type": "category", "data": [r["tier"] for r in rows]},
        "yAxis": {"type": "value", "max": 100},
        "series": [
            {
                "name": str(_("复购率（%）")),
                "type": "bar",
                "data": [_pct(r["repurchase_rate"]) for r in rows],
            },
            {
                "name": str(_("复购率目标")),
                "type": "line",
                "data": [_pct(r["repurchase_goal"]) for r in rows],
            },
            {
                "name": str(_("满意度")),
                "type": "bar",
                "data": [_pct(r["satisfaction"]) for r in rows],
            },
            {
                "name": str(_("满意度目标")),
                "type": "line",
                "data": [_pct(r["satisfaction_goal"]) for r in rows],
            },
        ],
    }


def service_tiers_result(user, params: Params) -> Result:
    rows = tier_rows(measures.tier_measures(user, params.date_from, params.date_to))
    chart = tier_chart(rows)
    return Result(
        columns=[
            ("tier", _("维护等级")),
            ("customers", _("客户数")),
            ("repurchase_rate", _("复购率（%）")),
            ("repurchase_goal", _("复购率目标（%）")),
            ("satisfaction", _("满意度")),
            ("satisfaction_goal", _("满意度目标")),
            ("referrals", _("人均转介绍")),
            ("referral_goal", _("转介绍目标")),
        ],
        rows=rows,
        chart=chart,
        notes=[
            str(
                _(
                    "复购率 = 期间前12个月下过单且期间内再次下单的客户 ÷ 期间前12个月下过单的客户；"
                    "满意度 = 每个客户期间内最近一次调查分数的平均。"
                )
            )
        ],
    )


def register_analyses() -> None:
    register(
        Analysis(
            name="complaint_rate",
            title=_("投诉率"),
            compute=complaint_rate_result,
            url_name="service:measures",
            description=_("销售服务导致的投诉 ÷ 服务客户数"),
            object_type="complaint",
        )
    )
    register(
        Analysis(
            name="service_tiers",
            title=_("分级客户维护目标"),
            compute=service_tiers_result,
            url_name="service:measures",
            description=_("各维护等级的复购率、满意度、转介绍与目标"),
            object_type="maintenance",
        )
    )
