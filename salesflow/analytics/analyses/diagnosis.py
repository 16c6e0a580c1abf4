"""Process diagnosis (调研诊断) from the stage events: where time goes (a distribution per
stage), where conversion drops (the funnel by stage), which steps repeat (moves back), and what
became of skipped stages."""

from __future__ import annotations

from django.db.models import Avg, Count, Max, Q
from django.utils.translation import gettext_lazy as _

from salesflow.pipeline.models import OpportunityStatus, StageEvent

from .. import base
from ..registry import Analysis, Params, Result, ratio, register

TIME_COLUMNS = [
    ("stage", _("阶段")),
    ("n", _("离开次数")),
    ("p10", _("P10（工作日）")),
    ("p25", _("P25")),
    ("median", _("中位数")),
    ("p75", _("P75")),
    ("p90", _("P90")),
    ("max", _("最长")),
    ("avg", _("平均")),
]


def compute_stage_time(user, params: Params) -> Result:
    """Working days spent in each stage by the opportunities that left it in the period."""
    version = base.default_template_version(params)
    rows = []
    if version is not None:
        start, end = base.bounds(params)
        events = base.stage_events(user, params).filter(
            at__gte=start,
            at__lt=end,
            working_days_in_previous__isnull=False,
            opportunity__template_version__template_id=version.template_id,
        )
        days = "working_days_in_previous"
        stats = {
            row["from_stage__code"]: row
            for row in events.values("from_stage__code")
            .annotate(
                n=Count("id"),
                p10=base.Percentile(days, 0.1),
                p25=base.Percentile(days, 0.25),
                median=base.Percentile(days, 0.5),
                p75=base.Percentile(days, 0.75),
                p90=base.Percentile(days, 0.9),
                max=Max(days),
                avg=Avg(days),
            )
            .order_by()
        }
        for stage in version.stages.all():
            s = stats.get(stage.code)
            if stage.covered_by_lead and s is None:
                continue
            rows.append(
                {
                    "stage": stage.name,
                    "n": s["n"] if s else 0,
                    **{
                        key: base.num(s[key]) if s else None
                        for key in ("p10", "p25", "median", "p75", "p90", "max", "avg")
                    },
                }
            )
    chart = {
        "grid": {"left": 60, "right": 30, "top": 30, "bottom": 40},
        "xAxis": {"type": "category", "data": [r["stage"] for r in rows]},
        "yAxis": {"type": "value", "name": str(_("工作日"))},
        "series": [
            {
                "name": str(_("停留工作日")),
                "type": "boxplot",
                # Whiskers at P10/P90 (the box is P25–P75, the line the median).
                "data": [
                    [
                        float(r[k]) if r[k] is not None else 0
                        for k in ("p10", "p25", "median", "p75", "p90")
                    ]
                    for r in rows
                ],
            }
        ],
    }
    return Result(
        columns=TIME_COLUMNS,
        rows=rows,
        chart=chart,
        notes=[str(_("箱体为 P25–P75，中线为中位数，须为 P10 与 P90。"))],
    )


FLOW_COLUMNS = [
    ("stage", _("阶段")),
    ("entered", _("进入商机数")),
    ("backs_from", _("从此阶段退回次数")),
    ("backs_into", _("退回到此阶段次数")),
    ("repeat_opps", _("重复进入的商机数")),
    ("repeat_rate", _("重复率（%）")),
    ("skipped", _("跳过此阶段次数")),
]


def compute_repeats(user, params: Params) -> Result:
    """Back-and-forth between stages: moves back from and into each stage, and opportunities that
    entered a stage more than once (events in the period)."""
    version = base.default_template_version(params)
    rows = []
    if version is not None:
        start, end = base.bounds(params)
        events = base.stage_events(user, params).filter(
            at__gte=start,
            at__lt=end,
            opportunity__template_version__template_id=version.template_id,
        )
        back = Q(kind=StageEvent.Kind.BACK)
        into = {
            r["to_stage__code"]: r
            for r in events.filter(to_stage__isnull=False)
            .values("to_stage__code")
            .annotate(
                entered=Count("opportunity", distinct=True),
                entries=Count("id"),
                backs_into=Count("id", filter=back),
            )
            .order_by()
        }
        out = {
            r["from_stage__code"]: r["backs_from"]
            for r in events.filter(back)
            .values("from_stage__code")
            .annotate(backs_from=Count("id"))
            .order_by()
        }
        repeated = {
            r["to_stage__code"]: r["n"]
            for r in events.filter(to_stage__isnull=False)
            .values("to_stage__code", "opportunity_id")
            .annotate(k=Count("id"))
            .filter(k__gte=2)
            .values("to_stage__code")
            .annotate(n=Count("opportunity_id", distinct=True))
            .order_by()
        }
        skipped = _skipped_stage_counts(events, version)
        for stage in version.stages.all():
            if stage.covered_by_lead:
                continue
            entered = into.get(stage.code, {}).get("entered", 0)
            rows.append(
                {
                    "stage": stage.name,
                    "entered": entered,
                    "backs_from": out.get(stage.code, 0),
                    "backs_into": into.get(stage.code, {}).get("backs_into", 0),
                    "repeat_opps": repeated.get(stage.code, 0),
                    "repeat_rate": base.pct(ratio(repeated.get(stage.code, 0), entered)),
                    "skipped": skipped.get(stage.order, 0),
                }
            )
    chart = {
        "legend": {},
        "grid": {"left": 60, "right": 30, "top": 40, "bottom": 40},
        "xAxis": {"type": "category", "data": [r["stage"] for r in rows]},
        "yAxis": {"type": "value"},
        "series": [
            {
                "name": str(_("从此阶段退回次数")),
                "type": "bar",
                "data": [r["backs_from"] for r in rows],
            },
            {
                "name": str(_("重复进入的商机数")),
                "type": "bar",
                "data": [r["repeat_opps"] for r in rows],
            },
            {"name": str(_("跳过此阶段次数")), "type": "bar", "data": [r["skipped"] for r in rows]},
        ],
    }
    return Result(columns=FLOW_COLUMNS, rows=rows, chart=chart)


def _skipped_stage_counts(events, version) -> dict[int, int]:
    """Stage order → how many skip events jumped over it (from order < it < to order)."""
    jumps = (
        events.filter(Q(kind=StageEvent.Kind.SKIP) | Q(skipped=True))
        .values("from_stage__order", "to_stage__order")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[int, int] = {}
    for jump in jumps:  # one row per distinct (from, to) pair: at most stages² rows
        low, high = jump["from_stage__order"], jump["to_stage__order"]
        if low is None or high is None:
            continue
        for order in range(low + 1, high):
            counts[order] = counts.get(order, 0) + jump["n"]
    return counts


SKIP_COLUMNS = [
    ("group", _("商机")),
    ("opportunities", _("商机数")),
    ("won", _("赢单")),
    ("lost", _("输单")),
    ("open", _("进行中")),
    ("win_rate", _("赢单率（%）")),
]


def compute_skips(user, params: Params) -> Result:
    """Outcomes of opportunities created in the period that skipped a stage, against those that
    followed every stage."""
    start, end = base.bounds(params)
    opps = base.opportunities(user, params).filter(created_at__gte=start, created_at__lt=end)
    skip_q = Q(events__kind=StageEvent.Kind.SKIP) | Q(events__skipped=True)
    flagged = opps.annotate(skips=Count("events", filter=skip_q)).values("id", "skips", "status")
    stats = flagged.aggregate(
        **{
            f"{prefix}_{status}": Count("id", filter=cond & Q(status=status))
            for prefix, cond in (("skip", Q(skips__gt=0)), ("std", Q(skips=0)))
            for status in OpportunityStatus.values
        }
    )
    rows = []
    for prefix, label in (("skip", _("跳过过阶段")), ("std", _("按标准流程"))):
        won, lost, open_ = (stats[f"{prefix}_{s}"] for s in ("won", "lost", "open"))
        rows.append(
            {
                "group": str(label),
                "opportunities": won + lost + open_,
                "won": won,
                "lost": lost,
                "open": open_,
                "win_rate": base.pct(ratio(won, won + lost)),
            }
        )
    chart = {
        "legend": {},
        "grid": {"left": 90, "right": 30, "top": 40, "bottom": 30},
        "yAxis": {"type": "category", "data": [r["group"] for r in rows]},
        "xAxis": {"type": "value"},
        "series": [
            {"name": str(_("赢单")), "type": "bar", "stack": "s", "data": [r["won"] for r in rows]},
            {
                "name": str(_("输单")),
                "type": "bar",
                "stack": "s",
                "data": [r["lost"] for r in rows],
            },
            {
                "name": str(_("进行中")),
                "type": "bar",
                "stack": "s",
                "data": [r["open"] for r in rows],
            },
        ],
    }
    return Result(columns=SKIP_COLUMNS, rows=rows, chart=chart)


register(
    Analysis(
        name="stage_time",
        title=_("阶段停留时间分布"),
        compute=compute_stage_time,
        description=_(
            "期间离开各阶段的商机在该阶段停留的工作日（阶段事件），取分位数而不只是平均值。"
        ),
    )
)
register(
    Analysis(
        name="stage_repeats",
        title=_("阶段往返与跳过"),
        compute=compute_repeats,
        description=_("期间的阶段事件中：退回次数、重复进入同一阶段的商机数、被跳过的次数。"),
    )
)
register(
    Analysis(
        name="skip_outcomes",
        title=_("跳过阶段的结果"),
        compute=compute_skips,
        description=_("期间创建的商机，跳过过阶段的与按标准流程推进的，各自的赢单、输单和赢单率。"),
    )
)
