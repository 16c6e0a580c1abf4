"""Sales funnel (销售漏斗分析表): count per step for a period and cohort, conversion from the
previous step, target conversion, gap, and the variance reason and improvement action managers
recorded for that period.

Two levels (``detail``):

* ``summary`` (default) — 线索 → 商机 → 赢单, the seed's table. Targets: settings
  ``funnel.target_lead_to_opportunity`` and ``funnel.target_opportunity_to_order``.
* ``stages`` — 线索, then every opportunity stage of the template's current version, then 赢单.
  Targets per stage code from ``funnel.stage_targets`` (``code:percent,…``; ``won`` = last
  stage → won).

Cohorts (``cohort``):

* ``created`` (default) — the leads registered and the opportunities created in the period,
  followed to where they got: an opportunity counts at every stage up to the furthest one it
  ever entered (moves back do not remove it), and at 赢单 if it is won (whenever).
* ``entered`` — activity in the period: leads registered, opportunities that entered each stage
  in the period (from the stage events), opportunities won in the period.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db.models import Count, IntegerField, Max, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext_lazy as _

from salesflow.core.settings_registry import get_setting
from salesflow.pipeline.models import OpportunityStatus, StageEvent

from .. import base
from ..registry import Analysis, Params, Result, ratio, register

COLUMNS = [
    ("label", _("环节")),
    ("count", _("数量")),
    ("conversion", _("转化率（%）")),
    ("target", _("目标转化率（%）")),
    ("gap", _("差距（百分点）")),
    ("reason", _("差异原因")),
    ("action", _("改进措施")),
    ("owner", _("责任人")),
    ("due_date", _("完成期限")),
]


def stage_targets() -> dict[str, Decimal]:
    """``funnel.stage_targets`` parsed; malformed entries are ignored."""
    targets = {}
    for part in str(get_setting("funnel.stage_targets") or "").split(","):
        code, _sep, value = part.partition(":")
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            continue
        if code.strip() and number.is_finite():
            targets[code.strip()] = number
    return targets


def _steps(user, params: Params) -> list[dict]:
    """``[{"key", "label", "count", "target"}]`` in funnel order."""
    start, end = base.bounds(params)
    cohort = params.extra.get("cohort") or "created"
    detail = params.extra.get("detail") or "summary"
    lead_count = base.leads(user, params).filter(entered_at__gte=start, entered_at__lt=end).count()
    steps = [{"key": "lead", "label": _("线索"), "count": lead_count, "target": None}]
    opps = base.opportunities(user, params)
    if detail != "stages":
        if cohort == "entered":
            created = opps.filter(created_at__gte=start, created_at__lt=end).count()
            won = opps.filter(
                status=OpportunityStatus.WON, closed_at__gte=start, closed_at__lt=end
            ).count()
        else:
            counts = opps.filter(created_at__gte=start, created_at__lt=end).aggregate(
                created=Count("id"), won=Count("id", filter=Q(status=OpportunityStatus.WON))
            )
            created, won = counts["created"], counts["won"]
        steps.append(
            {
                "key": "opportunity",
                "label": _("商机"),
                "count": created,
                "target": get_setting("funnel.target_lead_to_opportunity"),
            }
        )
        steps.append(
            {
                "key": "won",
                "label": _("赢单"),
                "count": won,
                "target": get_setting("funnel.target_opportunity_to_order"),
            }
        )
        return steps

    version = base.default_template_version(params)
    if version is None:
        return steps
    stages = [s for s in version.stages.all() if not s.covered_by_lead]
    opps = opps.filter(template_version__template_id=version.template_id)
    targets = stage_targets()
    if cohort == "entered":
        events = StageEvent.objects.filter(opportunity__in=opps, at__gte=start, at__lt=end)
        counts = events.aggregate(
            **{
                f"s{stage.order}": Count(
                    "opportunity", distinct=True, filter=Q(to_stage__order=stage.order)
                )
                for stage in stages
            },
            won=Count("opportunity", distinct=True, filter=Q(kind=StageEvent.Kind.WON)),
        )
    else:
        reached = (
            opps.filter(created_at__gte=start, created_at__lt=end)
            .annotate(
                reached=Greatest(
                    Coalesce(Max("events__to_stage__order"), Value(0)),
                    "stage__order",
                    output_field=IntegerField(),
                )
            )
            .values("id", "reached", "status")
        )
        counts = reached.aggregate(
            **{
                f"s{stage.order}": Count("id", filter=Q(reached__gte=stage.order))
                for stage in stages
            },
            won=Count("id", filter=Q(status=OpportunityStatus.WON)),
        )
    for stage in stages:
        steps.append(
            {
                "key": stage.code,
                "label": stage.name,
                "count": counts[f"s{stage.order}"],
                "target": targets.get(stage.code),
            }
        )
    steps.append(
        {"key": "won", "label": _("赢单"), "count": counts["won"], "target": targets.get("won")}
    )
    return steps


def _variances(user, params: Params) -> dict[str, object]:
    """The latest variance note per step recorded for a period overlapping this one."""
    from ..models import FunnelVariance

    date_from, date_to = base.period(params)
    notes = (
        FunnelVariance.objects.restrict(user, "view")
        .filter(period_start__lte=date_to, period_end__gte=date_from)
        .select_related("owner")
        .order_by("step", "-period_start", "-id")
    )
    team_id = base.int_param(params, "team")
    if team_id is not None:
        notes = notes.filter(Q(team_id=team_id) | Q(team__isnull=True))
    latest: dict[str, object] = {}
    for note in notes[:200]:
        latest.setdefault(note.step, note)
    return latest


def compute(user, params: Params) -> Result:
    steps = _steps(user, params)
    notes = _variances(user, params)
    rows = []
    previous = None
    for step in steps:
        conversion = None if previous is None else base.pct(ratio(step["count"], previous), 1)
        target = step["target"]
        gap = None if conversion is None or target is None else conversion - Decimal(target)
        note = notes.get(step["key"])
        rows.append(
            {
                "key": step["key"],
                "label": str(step["label"]),
                "count": step["count"],
                "conversion": conversion,
                "target": None if target is None else Decimal(target).quantize(Decimal("0.1")),
                "gap": gap,
                "reason": note.reason if note else "",
                "action": note.action if note else "",
                "owner": note.owner.display_name if note else "",
                "due_date": note.due_date if note else None,
                "variance_id": note.pk if note else None,
                "below_target": gap is not None and gap < 0,
            }
        )
        previous = step["count"]
    chart = {
        "series": [
            {
                "type": "funnel",
                "sort": "none",
                "left": "10%",
                "width": "80%",
                "label": {"show": True, "formatter": "{b}: {c}"},
                "data": [{"name": row["label"], "value": row["count"]} for row in rows],
            }
        ]
    }
    return Result(columns=COLUMNS, rows=rows, chart=chart)


ANALYSIS = register(
    Analysis(
        name="funnel",
        title=_("销售漏斗"),
        compute=compute,
        description=_(
            "各环节数量；转化率 = 本环节 ÷ 上一环节；差距 = 转化率 − 目标转化率（系统设置）。"
            "数据来源：线索录入时间、商机创建时间与阶段事件、赢单状态。"
        ),
        options=(
            (
                "detail",
                _("层级"),
                (("summary", _("线索 → 商机 → 赢单")), ("stages", _("按流程阶段展开"))),
            ),
            (
                "cohort",
                _("口径"),
                (("created", _("期间新建的（跟踪去向）")), ("entered", _("期间内发生的"))),
            ),
        ),
    )
)
