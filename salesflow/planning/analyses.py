"""The analysis ``interview_themes`` (流程访谈主题汇总) for the analysis registry: the process
diagnosis page, its export and ``manage.py report interview_themes`` call the same compute."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesflow.analytics.registry import Analysis, Params, Result, register

from . import selectors

__all__ = ["Params", "interview_themes", "register_analyses"]


def interview_themes(user, params: Params) -> Result:
    """Interviews in the user's scope (optionally in a date range) grouped by theme tag: how
    many interviews carry each theme, with up to three example pain points and suggestions."""
    rows = selectors.interview_theme_summary(
        user=user, date_from=params.date_from, date_to=params.date_to
    )
    table = [
        {
            "theme": row["theme"],
            "count": row["count"],
            "pain_points": "；".join(row["pain_points"]),
            "suggestions": "；".join(row["suggestions"]),
        }
        for row in rows
    ]
    chart = None
    if table:
        shown = list(reversed(table[:15]))  # most frequent on top of a horizontal bar chart
        chart = {
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            "grid": {"left": 8, "right": 24, "top": 8, "bottom": 8, "containLabel": True},
            "xAxis": {"type": "value", "minInterval": 1, "name": _("访谈数")},
            "yAxis": {"type": "category", "data": [r["theme"] for r in shown]},
            "series": [
                {
                    "type": "bar",
                    "name": _("访谈数"),
                    "data": [r["count"] for r in shown],
                    "label": {"show": True, "position": "right"},
                }
            ],
        }
    notes = [] if table else [_("所选期间没有带主题标签的访谈记录。")]
    return Result(
        columns=[
            ("theme", _("主题")),
            ("count", _("访谈数")),
            ("pain_points", _("典型痛点")),
            ("suggestions", _("建议")),
        ],
        rows=table,
        chart=chart,
        totals=None,
        notes=notes,
    )


def register_analyses() -> None:
    register(
        Analysis(
            name="interview_themes",
            title=gettext_lazy("流程访谈主题汇总"),
            compute=interview_themes,
            url_name="planning:interview_themes",
            description=gettext_lazy(
                "按主题标签统计流程现状访谈：每个主题的访谈数（一次访谈可有多个主题），"
                "并列出最近的典型痛点和建议（各最多 3 条）。只统计本人权限范围内的访谈。"
            ),
            object_type="interview",
        )
    )
