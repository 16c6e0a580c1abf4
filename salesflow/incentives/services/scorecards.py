"""Appraisal scorecards (绩效考核): each metric computed per person and period from the data
through the existing selectors (targets' actuals, analytics' KPIs), then scored linearly to
its target and capped at 100, and weighted. See ``docs/incentives.md``."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.analytics.analyses import kpis
from salesflow.analytics.registry import Params, ratio
from salesflow.core.audit import audit
from salesflow.core.errors import DomainError, ValidationError
from salesflow.core.settings_registry import get_setting

from ..models import (
    DEFAULT_THRESHOLDS,
    PROCESS_METRICS,
    RESULT_METRICS,
    Scorecard,
    ScorecardStatus,
    ScorecardTemplate,
    ScoreMetric,
)
from .common import HUNDRED, check_period, two

User = get_user_model()

#: Metrics of the targets module that a scorecard metric reads (with the person's target).
TARGET_METRICS = {
    ScoreMetric.SALES_AMOUNT: "sales_amount",
    ScoreMetric.COLLECTED: "collected",
    ScoreMetric.NEW_CUSTOMERS: "new_customers",
}


def validate_weights(weights) -> None:
    """The weights of a template's metrics must add up to exactly 100."""
    total = sum((Decimal(w) for w in weights), Decimal(0))
    if total != HUNDRED:
        raise ValidationError(
            {"weight": _("各指标权重之和须为 100，当前为 %(total)s。") % {"total": total}}
        )


def template_check(template: ScorecardTemplate) -> None:
    metrics = list(template.metrics.all())
    if not metrics:
        raise ValidationError({"metrics": _("考核方案至少需要一个指标。")})
    validate_weights(m.weight for m in metrics)


# --- figures ------------------------------------------------------------------------------


def personal_target(person, metric: str, date_from, date_to) -> Decimal | None:
    """The person's own plain target of that metric for exactly that period (targets S7)."""
    from salesflow.targets.models import Level, Target

    value = (
        Target.objects.filter(
            level=Level.PERSON,
            owner=person,
            metric=metric,
            period_start=date_from,
            period_end=date_to,
            region__isnull=True,
            product_line__isnull=True,
            customer_type="",
        )
        .values_list("value", flat=True)
        .first()
    )
    return value


def result_actuals(person, date_from, date_to) -> dict[str, Decimal]:
    """Sales amount, collections and new customers of the person — the targets module's own
    definitions (``targets.metrics.actuals_for``) applied to an unsaved personal target."""
    from salesflow.targets import metrics
    from salesflow.targets.models import Level, PeriodKind, Target

    probes = [
        Target(
            pk=index,
            metric=metric,
            period_kind=PeriodKind.MONTH,
            period_start=date_from,
            period_end=date_to,
            level=Level.PERSON,
            owner=person,
            value=Decimal(0),
        )
        for index, metric in enumerate(TARGET_METRICS.values(), start=1)
    ]
    actuals = metrics.actuals_for(probes)
    return {t.metric: actuals.get(t.pk) for t in probes}


def report_punctuality(person, date_from, date_to, now=None) -> dict:
    """Weekly/monthly reports of the person due in the period: submitted on time / (submitted
    + overdue unsubmitted). Reports not yet due and unsubmitted are not counted."""
    from salesflow.targets.metrics import local_start
    from salesflow.targets.models import ReportStatus, SalesReport

    now = now or timezone.now()
    start = local_start(date_from)
    end = local_start(date_to + datetime.timedelta(days=1))
    submitted = Q(status=ReportStatus.SUBMITTED)
    row = SalesReport.objects.filter(owner=person, due_at__gte=start, due_at__lt=end).aggregate(
        total=Count("id", filter=submitted | Q(due_at__lt=now)),
        on_time=Count("id", filter=submitted & Q(is_late=False)),
    )
    row["rate"] = ratio(row["on_time"], row["total"])
    return row


def stage_sla_rate(person, params: Params) -> dict:
    """Stage exits within their time limit over all judged stages (``kpis.stage_sla``)."""
    rows = kpis.stage_sla(person, params)
    judged = [r for r in rows if r["on_time"] is not None]
    total = sum(r["exits"] for r in judged)
    on_time = sum(r["on_time"] for r in judged)
    return {
        "total": total,
        "on_time": on_time,
        "rate": ratio(on_time, total),
        "stages": [
            {"stage": str(r["stage"]), "exits": r["exits"], "on_time": r["on_time"]} for r in judged
        ],
    }


def metric_figures(person, metric_codes, date_from, date_to) -> dict[str, dict]:
    """``{metric: {"actual": Decimal|None, "sample": str, "default_target": Decimal|None}}``
    for the metrics asked, from the data. Rates are in %."""
    params = Params(date_from=date_from, date_to=date_to, extra={"owner": str(person.pk)})
    codes = set(metric_codes)
    out: dict[str, dict] = {}
    if codes & (set(TARGET_METRICS) | {ScoreMetric.TARGET_COMPLETION}):
        actuals = result_actuals(person, date_from, date_to)
        for code, target_metric in TARGET_METRICS.items():
            if code in codes:
                out[code] = {
                    "actual": actuals[target_metric],
                    "sample": "",
                    "default_target": personal_target(person, target_metric, date_from, date_to),
                }
        if ScoreMetric.TARGET_COMPLETION in codes:
            target = personal_target(person, "sales_amount", date_from, date_to)
            actual = actuals["sales_amount"]
            rate = ratio(actual, target) if target else None
            out[ScoreMetric.TARGET_COMPLETION] = {
                "actual": None if rate is None else rate * HUNDRED,
                "sample": _("销售额 %(actual)s / 目标 %(target)s")
                % {"actual": actual, "target": target if target is not None else "—"},
                "default_target": DEFAULT_THRESHOLDS[ScoreMetric.TARGET_COMPLETION],
            }

    def rate_entry(code, row, sample):
        out[code] = {
            "actual": None if row["rate"] is None else row["rate"] * HUNDRED,
            "sample": sample,
            "default_target": DEFAULT_THRESHOLDS[code],
        }

    if ScoreMetric.FOLLOWUP_COMPLETENESS in codes:
        row = kpis.followup_completeness(person, params)
        rate_entry(
            ScoreMetric.FOLLOWUP_COMPLETENESS,
            row,
            _("完整 %(a)s / 跟进 %(b)s") % {"a": row["complete"], "b": row["total"]},
        )
    if ScoreMetric.LEAD_RESPONSE in codes:
        row = kpis.lead_response(person, params)
        rate_entry(
            ScoreMetric.LEAD_RESPONSE,
            row,
            _("及时 %(a)s / A类线索 %(b)s") % {"a": row["on_time"], "b": row["total"]},
        )
    if ScoreMetric.STAGE_SLA in codes:
        row = stage_sla_rate(person, params)
        rate_entry(
            ScoreMetric.STAGE_SLA,
            row,
            _("达标 %(a)s / 阶段退出 %(b)s") % {"a": row["on_time"], "b": row["total"]},
        )
    if ScoreMetric.REPORT_PUNCTUALITY in codes:
        row = report_punctuality(person, date_from, date_to)
        rate_entry(
            ScoreMetric.REPORT_PUNCTUALITY,
            row,
            _("按时 %(a)s / 应交 %(b)s") % {"a": row["on_time"], "b": row["total"]},
        )
    return out


def metric_score(actual: Decimal | None, target: Decimal | None) -> Decimal | None:
    """Linear to the target, capped: min(actual / target, 1) × 100, 2 places. None (not
    judged) without an actual or without a positive target."""
    if actual is None or target is None or Decimal(target) <= 0:
        return None
    score = min(Decimal(actual) / Decimal(target), Decimal(1)) * HUNDRED
    return max(score, Decimal(0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _weighted(entries) -> Decimal | None:
    judged = [e for e in entries if e["score"] is not None]
    weight = sum((Decimal(e["weight"]) for e in judged), Decimal(0))
    if not weight:
        return None
    total = sum((Decimal(e["score"]) * Decimal(e["weight"]) for e in judged), Decimal(0))
    return two(total / weight)


def score(template: ScorecardTemplate, person, date_from, date_to) -> dict:
    """The scorecard's figures and scores, without saving."""
    metrics = list(template.metrics.all())
    figures = metric_figures(person, [m.metric for m in metrics], date_from, date_to)
    entries = []
    for m in metrics:
        fig = figures[m.metric]
        target = m.target if m.target is not None else fig["default_target"]
        entries.append(
            {
                "metric": m.metric,
                "label": str(m.get_metric_display()),
                "kind": "process" if m.metric in PROCESS_METRICS else "result",
                "weight": str(m.weight),
                "actual": None if fig["actual"] is None else str(two(fig["actual"])),
                "target": None if target is None else str(target),
                "sample": str(fig["sample"]),
                "score": _none_str(metric_score(fig["actual"], target)),
            }
        )
    total = _weighted(entries)
    results = _weighted([e for e in entries if e["metric"] in RESULT_METRICS])
    process = _weighted([e for e in entries if e["metric"] in PROCESS_METRICS])
    return {
        "entries": entries,
        "total": total or Decimal(0),
        "results": results or Decimal(0),
        "process": process,
    }


def _none_str(value):
    return None if value is None else str(value)


# --- services ------------------------------------------------------------------------------


def scorecard_compute(*, actor, template_id: int, person_ids, date_from, date_to) -> list:
    """Compute (or recompute) the scorecards of the people for the period. A confirmed
    scorecard is left as it is. The actor must be allowed to add scorecards for each person."""
    from salesflow.core.scope import owner_ids_for

    check_period(date_from, date_to)
    template = ScorecardTemplate.objects.get(pk=template_id, is_active=True)
    template_check(template)
    allowed = owner_ids_for(actor, "scorecard", "add")
    people = list(User.objects.filter(pk__in=list(person_ids), is_active=True))
    if allowed is not None:
        people = [p for p in people if p.pk in allowed]
    cards = []
    for person in people:
        cards.append(_compute_one(actor, template, person, date_from, date_to))
    return [c for c in cards if c is not None]


def _compute_one(actor, template, person, date_from, date_to):
    with transaction.atomic():
        card, _created = Scorecard.objects.select_for_update().get_or_create(
            template=template,
            owner=person,
            period_start=date_from,
            period_end=date_to,
        )
        if card.status == ScorecardStatus.CONFIRMED:
            return card
        result = score(template, person, date_from, date_to)
        card.figures = result["entries"]
        card.total_score = result["total"]
        card.results_score = result["results"]
        card.process_score = result["process"]
        card.computed_at = timezone.now()
        card.save()
        audit(
            actor=actor,
            action="scorecard.compute",
            obj=card,
            after={"total_score": str(card.total_score)},
        )
    return card


def scorecard_comment(*, actor, scorecard_id: int, comment: str) -> Scorecard:
    with transaction.atomic():
        card = Scorecard.objects.select_for_update().get_in_scope(actor, "change", pk=scorecard_id)
        if card.owner_id == actor.pk:
            raise DomainError(_("不能评价自己的考核。"))
        card.comment = (comment or "").strip()
        card.commented_by = actor
        card.save(update_fields=["comment", "commented_by"])
        audit(actor=actor, action="scorecard.comment", obj=card, message=card.comment[:200])
    return card


def scorecard_confirm(*, actor, scorecard_id: int) -> Scorecard:
    """Confirmed scorecards are frozen (no more recomputation)."""
    with transaction.atomic():
        card = Scorecard.objects.select_for_update().get_in_scope(actor, "change", pk=scorecard_id)
        if card.owner_id == actor.pk:
            raise DomainError(_("不能确认自己的考核。"))
        if card.status == ScorecardStatus.CONFIRMED:
            return card
        card.status = ScorecardStatus.CONFIRMED
        card.confirmed_at = timezone.now()
        card.confirmed_by = actor
        card.save(update_fields=["status", "confirmed_at", "confirmed_by"])
        audit(actor=actor, action="scorecard.confirm", obj=card)
    return card


# --- lead assignment weighted by process score ----------------------------------------------

MIN_PROCESS_WEIGHT = Decimal(10)


def latest_process_scores(user_ids) -> dict[int, Decimal]:
    """Each person's process score of their latest confirmed scorecard (one query)."""
    rows = (
        Scorecard.objects.filter(
            owner_id__in=list(user_ids),
            status=ScorecardStatus.CONFIRMED,
            process_score__isnull=False,
        )
        .order_by("owner_id", "-period_end", "-id")
        .values_list("owner_id", "process_score")
    )
    out: dict[int, Decimal] = {}
    for owner_id, value in rows:
        out.setdefault(owner_id, value)
    return out


def weight_by_process_score(members) -> None:
    """With ``lead.assign_by_process_score`` on, multiply each member's weight by their latest
    confirmed process score (at least 10; 100 without a scorecard)."""
    if not members or not get_setting("lead.assign_by_process_score"):
        return
    scores = latest_process_scores(m.user_id for m in members)
    for member in members:
        value = max(scores.get(member.user_id, HUNDRED), MIN_PROCESS_WEIGHT)
        member.weight = int((Decimal(member.weight) * value).to_integral_value(ROUND_HALF_UP))
