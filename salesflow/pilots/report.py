"""The pilot report (analysis ``pilot_report``, extra ``pilot``): the pilot teams during the
pilot against the other teams in the same period and against the pilot teams' own baseline
period. The figures come from the analytics module's functions (``analytics.analyses.kpis``)
called with a team filter (``teams`` / ``exclude_teams``); only what analytics does not compute
(form fill time, response hours, surveys, feedback) is aggregated here, on the same scoped base
querysets. Everything obeys the viewer's data scope."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q
from django.utils.translation import gettext_lazy as _

from salesflow.analytics import base
from salesflow.analytics.analyses import kpis
from salesflow.analytics.registry import Analysis, Params, Result, register, show

from .models import Pilot, SatisfactionSurvey, TeamFeedback


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    params: Params
    pilot_side: bool  # surveys of the pilot teams (True) or of the others (False)


def groups(pilot: Pilot) -> list[Group]:
    team_ids = ",".join(str(pk) for pk in sorted(pilot.teams.values_list("pk", flat=True)))
    return [
        Group(
            "pilot",
            str(_("试点团队（试点期）")),
            Params(pilot.start_date, pilot.end_date, extra={"teams": team_ids}),
            True,
        ),
        Group(
            "others",
            str(_("其他团队（试点期）")),
            Params(pilot.start_date, pilot.end_date, extra={"exclude_teams": team_ids}),
            False,
        ),
        Group(
            "baseline",
            str(_("试点团队（基线期）")),
            Params(pilot.baseline_start, pilot.baseline_end, extra={"teams": team_ids}),
            True,
        ),
    ]


def _round(value, places: str = "0.1"):
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def form_fill_minutes(user, params: Params) -> dict:
    """Output forms submitted in the period with a recorded opening: average minutes from
    opened to submitted."""
    from salesflow.pipeline.models import OutputSubmission

    start, end = base.bounds(params)
    rows = OutputSubmission.objects.filter(
        opportunity__in=base.opportunities(user, params),
        submitted_at__gte=start,
        submitted_at__lt=end,
        opened_at__isnull=False,
    ).aggregate(n=Count("id"), days=Avg(base.DaysBetween("submitted_at", "opened_at")))
    minutes = None if rows["days"] is None else rows["days"] * 1440
    return {"n": rows["n"], "minutes": _round(minutes)}


def response_hours(user, params: Params) -> dict:
    """A-class leads graded in the period and contacted: average hours graded → first contact."""
    from salesflow.leads.models import LeadGrade

    start, end = base.bounds(params)
    row = (
        base.leads(user, params)
        .filter(
            grade=LeadGrade.A,
            graded_at__gte=start,
            graded_at__lt=end,
            first_contact_at__isnull=False,
        )
        .aggregate(n=Count("id"), days=Avg(base.DaysBetween("first_contact_at", "graded_at")))
    )
    return {"n": row["n"], "hours": _round(None if row["days"] is None else row["days"] * 24)}


def _surveys(user, pilot: Pilot, group: Group):
    from salesflow.customers.models import Customer

    start, end = base.bounds(group.params)
    customers = base.in_scope(Customer, user)
    qs = SatisfactionSurvey.objects.filter(
        pilot=pilot, answered_at__gte=start, answered_at__lt=end, customer__in=customers
    )
    paths = list(pilot.teams.values_list("path", flat=True))
    in_pilot = Q(pk__in=[])
    for path in paths:
        in_pilot |= Q(team__path__startswith=path)
    qs = qs.filter(in_pilot) if group.pilot_side else qs.exclude(in_pilot)
    row = qs.aggregate(n=Count("id"), avg=Avg("score"))
    return {"n": row["n"], "avg": _round(row["avg"], "0.01")}


def _feedback(user, pilot: Pilot, group: Group):
    if group.key != "pilot":
        return {"n": 0, "avg": None}
    from salesflow.core.scope import owner_ids_for

    qs = TeamFeedback.objects.filter(pilot=pilot)
    reachable = owner_ids_for(user, "pilot", "view")
    if reachable is not None:
        qs = qs.filter(participant_id__in=sorted(reachable))
    row = qs.aggregate(n=Count("id"), avg=Avg("acceptance"))
    return {"n": row["n"], "avg": _round(row["avg"], "0.01")}


def figures(user, pilot: Pilot) -> dict[str, dict]:
    """``{group key: {metric: value}}`` for the three groups."""
    out = {}
    for group in groups(pilot):
        closed = kpis.closed_figures(user, group.params)
        events = kpis.event_figures(user, group.params)
        completeness = kpis.followup_completeness(user, group.params)
        response = kpis.lead_response(user, group.params)
        forms = form_fill_minutes(user, group.params)
        hours = response_hours(user, group.params)
        surveys = _surveys(user, pilot, group)
        feedback = _feedback(user, pilot, group)
        out[group.key] = {
            "label": group.label,
            "period": f"{group.params.date_from} ~ {group.params.date_to}",
            "won": closed["won"],
            "cycle_days": _round(closed["cycle_avg"]),
            "stage_days": _round(events["days_avg"], "0.01"),
            "form_minutes": forms["minutes"],
            "forms": forms["n"],
            "followup_rate": base.pct(completeness["rate"]),
            "followups": completeness["total"],
            "response_rate": base.pct(response["rate"]),
            "response_leads": response["total"],
            "response_hours": hours["hours"],
            "satisfaction": surveys["avg"],
            "surveys": surveys["n"],
            "acceptance": feedback["avg"],
            "feedback": feedback["n"],
        }
    return out


METRICS = [
    # (key, label, unit, sample key, lower is better)
    ("cycle_days", _("销售周期"), _("天"), "won", True),
    ("stage_days", _("平均阶段停留"), _("工作日"), None, True),
    ("form_minutes", _("产出表单填写时长"), _("分钟"), "forms", True),
    ("followup_rate", _("跟进记录完整率"), "%", "followups", False),
    ("response_rate", _("线索响应及时率"), "%", "response_leads", False),
    ("response_hours", _("A类线索首次联系用时"), _("小时"), None, True),
    ("satisfaction", _("客户满意度"), _("分（1–5）"), "surveys", False),
    ("acceptance", _("团队接受度"), _("分（1–5）"), "feedback", False),
]

COLUMNS = [
    ("metric", _("指标")),
    ("unit", _("单位")),
    ("pilot", _("试点团队（试点期）")),
    ("others", _("其他团队（试点期）")),
    ("baseline", _("试点团队（基线期）")),
    ("vs_baseline", _("较基线变化")),
    ("samples", _("样本（试点/其他/基线）")),
]


def _delta(now, before):
    if now is None or before is None:
        return None
    return Decimal(str(now)) - Decimal(str(before))


def build_result(user, pilot: Pilot) -> Result:
    data = figures(user, pilot)
    rows = []
    for key, label, unit, sample, _lower in METRICS:
        samples = "/".join(
            str(data[g].get(sample) if sample else "—") for g in ("pilot", "others", "baseline")
        )
        rows.append(
            {
                "key": key,
                "metric": str(label),
                "unit": str(unit),
                "pilot": data["pilot"][key],
                "others": data["others"][key],
                "baseline": data["baseline"][key],
                "vs_baseline": _delta(data["pilot"][key], data["baseline"][key]),
                "samples": samples if sample else "—",
            }
        )
    return Result(
        columns=COLUMNS,
        rows=rows,
        chart=chart(rows),
        notes=[
            str(_("试点期 %(p)s；基线期 %(b)s。"))
            % {"p": data["pilot"]["period"], "b": data["baseline"]["period"]},
            str(_("“—”表示没有样本。团队按负责人当前所在部门（含下级部门）划分。")),
        ],
    )


def chart(rows: list[dict]) -> dict:
    """Grouped bars: each metric's pilot / others / baseline value."""

    def num(value):
        return None if value is None else float(value)

    labels = [row["metric"] for row in rows]
    series = [
        {"name": str(label), "type": "bar", "data": [num(row[key]) for row in rows]}
        for key, label in COLUMNS[2:5]
    ]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 8, "bottom": 8, "top": 36, "containLabel": True},
        "xAxis": {"type": "category", "data": labels, "axisLabel": {"interval": 0, "rotate": 30}},
        "yAxis": {"type": "value"},
        "series": series,
    }


def compute(user, params: Params) -> Result:
    raw = str(params.extra.get("pilot") or "").strip()
    pilot = Pilot.objects.get_in_scope(user, "view", pk=raw) if raw.isdigit() else None
    if pilot is None:
        return Result(columns=COLUMNS, rows=[], notes=[str(_("请选择一个试点。"))])
    return build_result(user, pilot)


def show_cell(value) -> str:
    return show(value)


register(
    Analysis(
        name="pilot_report",
        title=_("流程试点报告"),
        compute=compute,
        url_name="pilots:list",
        object_type="pilot",
        description=_(
            "试点团队在试点期与其他团队（同期）及其自身基线期对比：销售周期、阶段停留（工作日）、"
            "产出表单填写时长、跟进记录完整率、线索响应及时率、客户满意度和团队接受度。"
        ),
    )
)
