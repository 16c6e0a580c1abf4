"""Pilot services: create and change pilots (the settings profile is checked by the registry's
own parsing), keep their status in step with the calendar, record surveys and team feedback,
and record the roll-out/adjust decision (a roll-out applies the profile to the company settings
through ``core.services.setting_change`` and can make the pilot version the current one)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.core.audit import audit, snapshot
from salesflow.core.errors import DomainError, NotAllowed, ValidationError
from salesflow.core.scope import has_right, owner_ids_for
from salesflow.core.settings_registry import REGISTRY, forget_cached_settings, get_setting

from . import overrides
from .models import (
    DecisionKind,
    Pilot,
    PilotDecision,
    PilotStatus,
    SatisfactionSurvey,
    TeamFeedback,
)

PILOT_FIELDS = ("name", "goal", "start_date", "end_date", "baseline_start", "baseline_end")


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def clean_profile(profile: dict | None) -> dict:
    """``{key: raw}`` → ``{key: stored}``: each key must be a registered setting and each value
    pass the setting's own parsing (the same checks as the settings page)."""
    cleaned, errors = {}, []
    for key, raw in (profile or {}).items():
        key = str(key).strip()
        if not key:
            continue
        definition = REGISTRY.get(key)
        if definition is None:
            errors.append(_("未知的设置项：%(key)s") % {"key": key})
            continue
        try:
            cleaned[key] = definition.to_json(definition.parse(raw))
        except Exception as exc:  # django ValidationError from the definition
            messages = getattr(exc, "messages", [str(exc)])
            errors.append(f"{definition.label}（{key}）：{'；'.join(map(str, messages))}")
    if errors:
        raise ValidationError({"settings_profile": errors})
    return cleaned


def default_baseline(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The same number of days just before the start."""
    days = (end - start).days + 1
    return start - datetime.timedelta(days=days), start - datetime.timedelta(days=1)


def _validate(pilot: Pilot, teams) -> None:
    errors = {}
    if not pilot.name.strip():
        errors["name"] = _("请填写试点名称。")
    if pilot.end_date < pilot.start_date:
        errors["end_date"] = _("结束日期不能早于开始日期。")
    if pilot.baseline_end < pilot.baseline_start:
        errors["baseline_end"] = _("基线结束日期不能早于基线开始日期。")
    elif pilot.baseline_end >= pilot.start_date:
        errors["baseline_end"] = _("基线期须在试点开始之前。")
    if not teams:
        errors["teams"] = _("请至少选择一个试点团队。")
    if not pilot.settings_profile and pilot.template_version_id is None:
        errors["settings_profile"] = _("试点至少要有试点设置或试点流程版本之一。")
    if errors:
        raise ValidationError(errors)


def pilot_create(*, actor, data: dict, teams, owner=None) -> Pilot:
    if not has_right(actor, "pilot", "add"):
        raise NotAllowed(_("没有新建流程试点的权限。"))
    pilot = Pilot(
        **{k: v for k, v in data.items() if k in PILOT_FIELDS and v is not None},
        template_version=data.get("template_version"),
        settings_profile=clean_profile(data.get("settings_profile")),
        owner=owner or actor,
    )
    if not data.get("baseline_start") or not data.get("baseline_end"):
        pilot.baseline_start, pilot.baseline_end = default_baseline(
            pilot.start_date, pilot.end_date
        )
    teams = list(teams)
    _validate(pilot, teams)
    pilot.status = pilot.status_on(timezone.localdate())
    with transaction.atomic():
        pilot.save()
        pilot.teams.set(teams)
        audit(
            actor=actor,
            action="pilot.create",
            obj=pilot,
            after={**snapshot(pilot), "teams": [t.pk for t in teams]},
        )
    overrides.forget()
    return pilot


def pilot_update(*, actor, pilot_id: int, data: dict, teams) -> Pilot:
    with transaction.atomic():
        pilot = Pilot.objects.select_for_update().get_in_scope(actor, "change", pk=pilot_id)
        if pilot.status == PilotStatus.DECIDED:
            raise DomainError(_("已决策的试点不能再修改。"))
        before = {**snapshot(pilot), "teams": sorted(pilot.teams.values_list("pk", flat=True))}
        for name in PILOT_FIELDS:
            if name in data and data[name] is not None:
                setattr(pilot, name, data[name])
        pilot.template_version = data.get("template_version")
        pilot.settings_profile = clean_profile(data.get("settings_profile"))
        teams = list(teams)
        _validate(pilot, teams)
        pilot.status = pilot.status_on(timezone.localdate())
        pilot.save()
        pilot.teams.set(teams)
        audit(
            actor=actor,
            action="pilot.change",
            obj=pilot,
            before=before,
            after={**snapshot(pilot), "teams": sorted(t.pk for t in teams)},
        )
    overrides.forget()
    return pilot


def refresh_statuses(today: datetime.date | None = None) -> int:
    """Planned → running → finished as the calendar moves (decided ones stay). Returns the
    number changed."""
    today = today or timezone.localdate()
    changed = 0
    for pilot in Pilot.objects.exclude(status=PilotStatus.DECIDED):
        status = pilot.status_on(today)
        if status != pilot.status:
            Pilot.objects.filter(pk=pilot.pk).update(status=status)
            changed += 1
    return changed


# --- surveys and feedback --------------------------------------------------------------------


def survey_record(
    *, actor, pilot_id: int, customer_id: int, score: int, comment: str = "", opportunity_id=None
) -> SatisfactionSurvey:
    """A customer's answer (1–5 and a comment), recorded by someone who sees the customer."""
    from salesflow.customers.models import Customer
    from salesflow.pipeline.models import Opportunity

    pilot = Pilot.objects.get_in_scope(actor, "view", pk=pilot_id)
    customer = Customer.objects.select_related("owner").get_in_scope(actor, "view", pk=customer_id)
    opportunity = None
    if opportunity_id:
        opportunity = Opportunity.objects.get_in_scope(actor, "view", pk=opportunity_id)
        if opportunity.customer_id != customer.pk:
            raise ValidationError({"opportunity": _("商机不属于该客户。")})
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationError({"score": _("满意度须为 1–5 分。")})
    survey = SatisfactionSurvey.objects.create(
        pilot=pilot,
        customer=customer,
        opportunity=opportunity,
        score=score,
        comment=(comment or "").strip(),
        team_id=customer.owner.department_id if customer.owner_id else None,
        recorded_by=_user(actor),
    )
    audit(
        actor=actor,
        action="pilot.survey",
        obj=pilot,
        after={"customer": customer.pk, "score": score},
    )
    return survey


def feedback_record(
    *, actor, pilot_id: int, acceptance: int, suggestions: str = "", participant=None
) -> TeamFeedback:
    """A participant's acceptance (1–5) and suggestions; one per participant, a second answer
    replaces the first. A manager may record it for someone in their scope."""
    pilot = Pilot.objects.get_in_scope(actor, "view", pk=pilot_id)
    participant = participant or actor
    if participant.pk != actor.pk:
        reachable = owner_ids_for(actor, "pilot", "view")
        if reachable is not None and participant.pk not in reachable:
            raise ValidationError({"participant": _("只能为自己数据范围内的人员填写反馈。")})
    if not in_pilot_team(pilot, participant):
        raise ValidationError({"participant": _("只有试点团队的成员可以填写团队反馈。")})
    try:
        acceptance = int(acceptance)
    except (TypeError, ValueError):
        acceptance = 0
    if not 1 <= acceptance <= 5:
        raise ValidationError({"acceptance": _("接受度须为 1–5 分。")})
    feedback, _created = TeamFeedback.objects.update_or_create(
        pilot=pilot,
        participant=participant,
        defaults={
            "acceptance": acceptance,
            "suggestions": (suggestions or "").strip(),
            "answered_at": timezone.now(),
        },
    )
    audit(
        actor=actor,
        action="pilot.feedback",
        obj=pilot,
        after={"participant": participant.pk, "acceptance": acceptance},
    )
    return feedback


def in_pilot_team(pilot: Pilot, user) -> bool:
    if user.department_id is None:
        return False
    path = user.department.path
    return any(path.startswith(team.path) for team in pilot.teams.all())


# --- the decision ------------------------------------------------------------------------------


def pilot_decide(
    *,
    actor,
    pilot_id: int,
    kind: str,
    what_changed: str,
    reason: str,
    apply_settings: bool = True,
    apply_version: bool = True,
) -> PilotDecision:
    """Record "roll out" or "adjust" with what changed and why. A roll-out applies the profile
    to the company settings (each through ``setting_change`` with the decision as the reason,
    so the settings history shows it) and makes the pilot version current."""
    from salesflow.core.services import setting_change
    from salesflow.pipeline.services import template_version_make_current

    if kind not in DecisionKind.values:
        raise ValidationError({"kind": _("请选择决策。")})
    what_changed, reason = (what_changed or "").strip(), (reason or "").strip()
    errors = {}
    if not what_changed:
        errors["what_changed"] = _("请填写变更内容。")
    if not reason:
        errors["reason"] = _("请填写原因。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        pilot = Pilot.objects.select_for_update().get_in_scope(actor, "change", pk=pilot_id)
        if not has_right(actor, "pilot", "approve"):
            raise NotAllowed(_("没有对试点作出决策的权限。"))
        if pilot.status == PilotStatus.DECIDED:
            raise DomainError(_("该试点已经作出决策。"))
        applied, version = {}, None
        if kind == DecisionKind.ROLL_OUT:
            note = _("试点“%(name)s”全面推广：%(reason)s") % {"name": pilot.name, "reason": reason}
            if apply_settings:
                for key, value in pilot.settings_profile.items():
                    forget_cached_settings()
                    definition = REGISTRY[key]
                    if definition.to_json(get_setting(key)) == definition.to_json(
                        definition.parse(value)
                    ):
                        continue
                    setting_change(actor=actor, key=key, value=value, reason=note)
                    applied[key] = value
            if apply_version and pilot.template_version_id:
                version = template_version_make_current(
                    actor=actor, version_id=pilot.template_version_id, reason=note
                )
        decision = PilotDecision.objects.create(
            pilot=pilot,
            kind=kind,
            what_changed=what_changed,
            reason=reason,
            applied_settings=applied,
            applied_version=version,
            decided_by=actor,
        )
        pilot.status = PilotStatus.DECIDED
        if kind == DecisionKind.ROLL_OUT and pilot.end_date >= timezone.localdate():
            # Everyone has the rolled-out rules now: the pilot stops overriding from tomorrow.
            pilot.end_date = max(pilot.start_date, timezone.localdate())
        pilot.save(update_fields=["status", "end_date"])
        audit(
            actor=actor,
            action="pilot.decide",
            obj=pilot,
            after={
                "kind": kind,
                "what_changed": what_changed,
                "applied_settings": applied,
                "applied_version": version.pk if version else None,
            },
            message=reason,
        )
    forget_cached_settings()
    overrides.forget()
    return decision
