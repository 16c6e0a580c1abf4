"""Writes of leads: registration with duplicate check and SLAs, screening, needs match,
assignment (manual and by rules, with the per-person cap), first contact, conversion, merge and
the recycle bin. Rights and scope are checked here; every write is audited."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.core.audit import audit, snapshot
from salesflow.core.dedup import DuplicateFound
from salesflow.core.errors import DomainError, NotAllowed, ValidationError
from salesflow.core.events import emit
from salesflow.core.normalize import normalize_company_name, normalize_email, normalize_phone
from salesflow.core.pii import reject_sensitive
from salesflow.core.scope import has_right, owner_ids_for
from salesflow.core.settings_registry import get_setting
from salesflow.org.models import User

from . import rules, selectors
from .models import (
    OPEN_STATUSES,
    AssignmentRule,
    Intent,
    Lead,
    LeadAssignment,
    LeadGrade,
    LeadScore,
    LeadScoreItem,
    LeadStatus,
    NeedsAssessment,
    NeedsItem,
    Scorecard,
    ScoreOption,
)

LEAD_FIELDS = (
    "company_name", "industry", "region", "employees", "annual_revenue", "contact_name",
    "contact_title", "phone", "email", "needs", "source", "referral_customer", "acquired_at",
    "expected_purchase", "budget_min", "budget_max", "notes", "purpose", "team",
)  # fmt: skip
TEXT_FIELDS = ("company_name", "contact_name", "contact_title", "phone", "email", "needs",
               "notes", "purpose")  # fmt: skip


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _owner_team(lead: Lead) -> int | None:
    """The owner's department: the team whose rules (a pilot's, else the company's) apply."""
    if lead.owner_id is None:
        return None
    return User.objects.filter(pk=lead.owner_id).values_list("department_id", flat=True).first()


def _set_keys(lead: Lead) -> None:
    lead.name_key = normalize_company_name(lead.company_name)
    lead.phone_key = normalize_phone(lead.phone)
    lead.email_key = normalize_email(lead.email)


def _validate(lead: Lead) -> None:
    reject_sensitive({f: getattr(lead, f) or "" for f in TEXT_FIELDS})
    errors = {}
    if lead.source_id and lead.source.is_referral and not lead.referral_customer_id:
        errors["referral_customer"] = _("转介绍线索须选择推荐客户。")
    if not (lead.phone or lead.email):
        errors["phone"] = _("联系电话和邮箱至少填写一项。")
    if lead.acquired_at and lead.acquired_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["acquired_at"] = _("获取时间不能晚于现在。")
    if lead.needs and len(lead.needs.strip()) < 6:
        errors["needs"] = _("请写出具体痛点，不要只写“有需求”。")
    if errors:
        raise ValidationError(errors)
    lead.full_clean(
        exclude=["owner", "created_by", "deleted_by", "merged_into", "converted_customer"]
    )


def _check_assignable(actor, owner: User, *, action_object: str = "lead") -> None:
    if not owner.is_active:
        raise ValidationError({"owner": _("该用户已停用。")})
    if owner == actor:
        return
    if not has_right(actor, action_object, "assign"):
        raise NotAllowed(_("没有分配线索的权限。"))
    reachable = owner_ids_for(actor, action_object, "assign")
    if reachable is not None and owner.pk not in reachable:
        raise ValidationError({"owner": _("只能分配给自己数据范围内的人员。")})


def _check_cap(owner: User, extra: int = 1) -> None:
    cap = get_setting("lead.open_cap_per_person")
    held = selectors.open_lead_count(owner.pk)
    if held + extra > cap:
        raise DomainError(
            _("%(name)s 已有 %(held)s 条未结线索，达到每人上限 %(cap)s。")
            % {"name": owner, "held": held, "cap": cap},
            field="owner",
        )


def lead_register(
    *,
    actor,
    data: dict,
    owner: User | None = None,
    confirm_duplicate: bool = False,
    auto_assign: bool = True,
) -> Lead:
    """Register a lead (客户信息登记表). The entry time is now; the entry SLA is measured against
    the acquisition time; screening is due 48h after entry (settings). Without an owner the
    assignment rules run; a lead no rule matches stays unassigned for the managers."""
    if not has_right(actor, "lead", "add"):
        raise NotAllowed(_("没有登记线索的权限。"))
    lead = Lead(**{k: v for k, v in data.items() if k in LEAD_FIELDS})
    lead.entered_at = timezone.now()
    lead.created_by = _user(actor)
    _set_keys(lead)
    _validate(lead)
    if not confirm_duplicate:
        matches = selectors.find_duplicates(
            user=actor, name=lead.company_name, phones=[lead.phone], emails=[lead.email]
        )
        if matches:
            raise DuplicateFound(matches)
    with transaction.atomic():
        lead.screening_due_at = rules.screening_due(
            lead.entered_at, team=owner.department_id if owner is not None else None
        )
        lead.save()
        audit(actor=actor, action="lead.create", obj=lead, after=snapshot(lead))
        if owner is not None:
            _check_assignable(actor, owner)
            _assign(lead, owner, actor=actor, reason=_("登记时指定"))
        elif auto_assign:
            assign_by_rules(lead, actor=actor)
    return lead


def lead_update(*, actor, lead_id: int, data: dict, confirm_duplicate: bool = False) -> Lead:
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get_in_scope(actor, "change", pk=lead_id)
        before = snapshot(lead)
        for key, value in data.items():
            if key in LEAD_FIELDS:
                setattr(lead, key, value)
        _set_keys(lead)
        _validate(lead)
        keys_changed = (before["company_name"], before["phone"], before["email"]) != (
            lead.company_name,
            lead.phone,
            lead.email,
        )
        if keys_changed and not confirm_duplicate:
            matches = selectors.find_duplicates(
                user=actor,
                name=lead.company_name,
                phones=[lead.phone],
                emails=[lead.email],
                exclude_lead=lead.pk,
            )
            if matches:
                raise DuplicateFound(matches)
        lead.save()
        audit(actor=actor, action="lead.change", obj=lead, before=before, after=snapshot(lead))
    return lead


# --- screening and needs match ---------------------------------------------------------------


def lead_screen(*, actor, lead_id: int, answers: dict[int, int], intent: str) -> LeadScore:
    """Score a lead on the active scorecard (one option per criterion) and grade its intent.
    Stores the total and each criterion's points; an A-class lead's first contact becomes due
    24h (setting) after grading."""
    if intent not in Intent.values:
        raise ValidationError({"intent": _("请选择意向等级。")})
    scorecard = Scorecard.objects.filter(is_active=True).prefetch_related("criteria").first()
    if scorecard is None:
        raise DomainError(_("没有启用的线索评分表，请管理员先配置。"))
    criteria = list(scorecard.criteria.all())
    missing = [c.name for c in criteria if c.pk not in answers]
    if missing:
        raise ValidationError(
            {"answers": _("请为每个评分项选择一项：%(items)s") % {"items": "、".join(missing)}}
        )
    options = {
        o.criterion_id: o
        for o in ScoreOption.objects.filter(
            pk__in=list(answers.values()), criterion__scorecard=scorecard
        )
    }
    if any(options.get(c.pk) is None or options[c.pk].pk != answers[c.pk] for c in criteria):
        raise ValidationError({"answers": _("评分选项与评分表不符，请刷新页面后重试。")})
    total = sum(options[c.pk].points for c in criteria)
    grade = scorecard.grade_for(total)
    now = timezone.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get_in_scope(actor, "change", pk=lead_id)
        if lead.status in (LeadStatus.CONVERTED, LeadStatus.INVALID):
            raise DomainError(_("已转化或无效的线索不能再评分。"))
        before = snapshot(lead)
        score = LeadScore.objects.create(
            lead=lead,
            scorecard=scorecard,
            total=total,
            grade=grade,
            intent=intent,
            actor=_user(actor),
            at=now,
        )
        LeadScoreItem.objects.bulk_create(
            LeadScoreItem(
                score=score,
                criterion_name=c.name,
                option_label=options[c.pk].label,
                points=options[c.pk].points,
            )
            for c in criteria
        )
        first_grading = lead.graded_at is None
        lead.score, lead.grade, lead.intent = total, grade, intent
        if first_grading:
            lead.graded_at = now
        if grade == LeadGrade.A and lead.first_contact_at is None:
            lead.first_contact_due_at = rules.first_contact_due(now, team=_owner_team(lead))
        elif grade != LeadGrade.A:
            lead.first_contact_due_at = None
        if lead.status == LeadStatus.NEW:
            lead.status = LeadStatus.SCREENED
        lead.save()
        audit(actor=actor, action="lead.screen", obj=lead, before=before, after=snapshot(lead))
        emit("lead.screened", lead_id=lead.pk)
    return score


def lead_assess_needs(
    *, actor, lead_id: int, items: list[dict], conclusion: str = "", strategy: str = ""
) -> NeedsAssessment:
    """客户需求匹配度评估表: each need scored 1–5 with a reason; total → band; budget →
    purchasing power; conclusion and strategy drafted when left empty."""
    cleaned = []
    row_text = {}  # original row index → text, so an error points at the row the user typed
    errors = {}
    for index, item in enumerate(items):
        need = (item.get("need") or "").strip()
        reason = (item.get("reason") or "").strip()
        if not need and not reason and not item.get("score"):
            continue
        try:
            score = int(item.get("score"))
        except (TypeError, ValueError):
            score = 0
        if not need:
            errors[f"items.{index}.need"] = _("请填写需求。")
        if not 1 <= score <= 5:
            errors[f"items.{index}.score"] = _("匹配分须为 1–5。")
        if not reason:
            errors[f"items.{index}.reason"] = _("请填写评分理由。")
        cleaned.append((need, score, reason))
        row_text[f"items.{index}.need"] = f"{need} {reason}"
    if not cleaned:
        errors["items"] = _("至少填写一项核心需求。")
    reject_sensitive(
        {
            "conclusion": conclusion,
            "strategy": strategy,
            **row_text,
        }
    )
    if errors:
        raise ValidationError(errors)
    total = sum(score for _n, score, _r in cleaned)
    band = rules.needs_band(total)
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get_in_scope(actor, "change", pk=lead_id)
        power = rules.purchasing_power(lead.budget_min, lead.budget_max)
        assessment = NeedsAssessment.objects.create(
            lead=lead,
            total=total,
            band=band,
            purchasing_power=power,
            conclusion=conclusion.strip() or rules.conclusion_text(band, power),
            strategy=strategy.strip() or rules.suggested_strategy(band, power),
            actor=_user(actor),
        )
        NeedsItem.objects.bulk_create(
            NeedsItem(assessment=assessment, need=n, score=s, reason=r) for n, s, r in cleaned
        )
        audit(
            actor=actor,
            action="lead.assess_needs",
            obj=lead,
            after={"total": total, "band": band, "purchasing_power": power},
        )
    return assessment


# --- assignment -----------------------------------------------------------------------------


def _assign(
    lead: Lead, owner: User | None, *, actor, reason: str, rule: AssignmentRule | None = None
) -> None:
    if owner is not None and lead.owner_id != owner.pk:
        _check_cap(owner)
    before = snapshot(lead, ["owner", "team"])
    LeadAssignment.objects.create(
        lead=lead,
        from_owner=lead.owner,
        to_owner=owner,
        rule=rule,
        reason=reason,
        actor=_user(actor),
    )
    lead.owner = owner
    lead.team = owner.department if owner else lead.team
    lead.assigned_at = timezone.now()
    lead.save(update_fields=["owner", "team", "assigned_at", "updated_at"])
    audit(
        actor=actor,
        action="lead.assign",
        obj=lead,
        before=before,
        after=snapshot(lead, ["owner", "team"]),
        message=reason,
    )


def lead_assign(*, actor, lead_ids: list[int], to_owner: User, reason: str) -> int:
    """Manual (re)assignment of one or many leads; who, when and why are recorded."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写分配原因。")})
    _check_assignable(actor, to_owner)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=to_owner.pk).first()  # serialise the cap
        leads = list(
            Lead.objects.restrict(actor, "assign").select_for_update().filter(pk__in=lead_ids)
        )
        if len(leads) != len(set(lead_ids)):
            raise ValidationError({"leads": _("部分线索不存在或不在您的数据范围内。")})
        moving = [lead for lead in leads if lead.owner_id != to_owner.pk]
        open_moving = sum(1 for lead in moving if lead.status in OPEN_STATUSES)
        if open_moving:
            _check_cap(to_owner, extra=open_moving)
        for lead in moving:
            before = snapshot(lead, ["owner", "team"])
            LeadAssignment.objects.create(
                lead=lead, from_owner=lead.owner, to_owner=to_owner, reason=reason, actor=actor
            )
            lead.owner, lead.team, lead.assigned_at = to_owner, to_owner.department, timezone.now()
            lead.save(update_fields=["owner", "team", "assigned_at", "updated_at"])
            audit(
                actor=actor,
                action="lead.assign",
                obj=lead,
                before=before,
                after=snapshot(lead, ["owner", "team"]),
                message=reason,
            )
    return len(moving)


def matching_rule(lead: Lead) -> AssignmentRule | None:
    for rule in AssignmentRule.objects.filter(is_active=True).order_by("sort_order", "id"):
        if rule.region_id and rule.region_id != lead.region_id:
            continue
        if rule.industry_id and rule.industry_id != lead.industry_id:
            continue
        if rule.source_id and rule.source_id != lead.source_id:
            continue
        return rule
    return None


#: Functions ``fn(members)`` that may change the members' ``weight`` before a rule picks one
#: (the appraisal module weights reps by their process score when its setting is on).
_weight_adjusters: list = []


def register_weight_adjuster(fn) -> None:
    if fn not in _weight_adjusters:
        _weight_adjusters.append(fn)


def assign_by_rules(lead: Lead, *, actor=None) -> User | None:
    """Round-robin (optionally weighted by capacity) among the first matching rule's active
    members below the open-lead cap. Returns the new owner, or None (the lead stays
    unassigned and is listed for the managers)."""
    rule = matching_rule(lead)
    if rule is None:
        return None
    with transaction.atomic():
        AssignmentRule.objects.select_for_update().filter(pk=rule.pk).first()
        cap = get_setting("lead.open_cap_per_person")
        members = [
            m
            for m in rule.members.select_related("user").filter(user__is_active=True)
            if selectors.open_lead_count(m.user_id) < cap
        ]
        if not members:
            return None
        if not rule.weighted:
            for member in members:
                member.weight = 1
        for adjust in _weight_adjusters:
            adjust(members)
        chosen = rules.pick_weighted(members)
        for member in members:
            type(member).objects.filter(pk=member.pk).update(current=member.current)
        _assign(
            lead,
            chosen.user,
            actor=actor,
            reason=_("按分配规则“%(rule)s”自动分配") % {"rule": rule.name},
            rule=rule,
        )
    return chosen.user


# --- contact, status, conversion ----------------------------------------------------------------


def lead_record_first_contact(*, actor, lead_id: int, at: datetime.datetime | None = None):
    """The first call/visit: response time = first contact − grading (KPI lead response
    timeliness). Later follow-ups only move ``last_followup_at``."""
    at = at or timezone.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get_in_scope(actor, "change", pk=lead_id)
        before = snapshot(lead, ["first_contact_at", "status", "last_followup_at"])
        if lead.first_contact_at is None:
            lead.first_contact_at = at
        if lead.last_followup_at is None or lead.last_followup_at < at:
            lead.last_followup_at = at
        if lead.status in (LeadStatus.NEW, LeadStatus.SCREENED):
            lead.status = LeadStatus.CONTACTING
        lead.save()
        audit(
            actor=actor,
            action="lead.contact",
            obj=lead,
            before=before,
            after=snapshot(lead, ["first_contact_at", "status", "last_followup_at"]),
        )
    return lead


def lead_set_status(*, actor, lead_id: int, status: str, reason: str = "") -> Lead:
    if status not in (LeadStatus.NURTURE, LeadStatus.INVALID, LeadStatus.CONTACTING):
        raise ValidationError({"status": _("该状态不能手动设置。")})
    if status == LeadStatus.INVALID and not reason.strip():
        raise ValidationError({"reason": _("标记为无效须填写原因。")})
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get_in_scope(actor, "change", pk=lead_id)
        if lead.status == LeadStatus.CONVERTED:
            raise DomainError(_("已转化的线索不能修改状态。"))
        before = snapshot(lead, ["status"])
        lead.status = status
        lead.save(update_fields=["status", "updated_at"])
        audit(
            actor=actor,
            action="lead.status",
            obj=lead,
            before=before,
            after=snapshot(lead, ["status"]),
            message=reason,
        )
    return lead


def lead_convert(
    *,
    actor,
    lead_id: int,
    customer_data: dict | None = None,
    existing_customer_id: int | None = None,
    confirm_duplicate: bool = False,
):
    """Lead → customer + contact (an opportunity follows once the pipeline exists). With
    ``existing_customer_id`` the contact joins a customer that already exists (the usual
    answer to a duplicate warning). The lead keeps its history and links to the customer."""
    from salesflow.customers import services as customer_services
    from salesflow.customers.models import Customer

    with transaction.atomic():
        lead = Lead.objects.select_for_update().get_in_scope(actor, "change", pk=lead_id)
        if lead.status == LeadStatus.CONVERTED:
            raise DomainError(_("该线索已转化。"))
        if lead.status == LeadStatus.INVALID:
            raise DomainError(_("无效线索不能转化。"))
        contact = {
            "name": lead.contact_name,
            "title": lead.contact_title,
            "phone": lead.phone,
            "email": lead.email,
            "is_primary": True,
        }
        if existing_customer_id:
            customer = Customer.objects.get_in_scope(actor, "change", pk=existing_customer_id)
            customer_services.contact_add(actor=actor, customer_id=customer.pk, data=contact)
        else:
            data = {
                "name": lead.company_name,
                "industry": lead.industry,
                "region": lead.region,
                "employees": lead.employees,
                "annual_revenue": lead.annual_revenue,
                "service_needs": lead.needs,
                "team": lead.team,
                "expected_annual_value": lead.budget_max or lead.budget_min or 0,
            } | (customer_data or {})
            customer = customer_services.customer_create(
                actor=actor,
                data=data,
                contacts=[contact],
                owner=lead.owner or actor,
                confirm_duplicate=confirm_duplicate,
                source_lead_id=lead.pk,
            )
        before = snapshot(lead, ["status", "converted_customer"])
        lead.status, lead.converted_customer, lead.converted_at = (
            LeadStatus.CONVERTED,
            customer,
            timezone.now(),
        )
        lead.save(update_fields=["status", "converted_customer", "converted_at", "updated_at"])
        audit(
            actor=actor,
            action="lead.convert",
            obj=lead,
            before=before,
            after=snapshot(lead, ["status", "converted_customer"]),
        )
    return customer


def lead_merge(*, actor, keep_id: int, merge_id: int, reason: str = "") -> Lead:
    """Merge a duplicate lead into another: assignments, scores, assessments and every record
    pointing at it move over; empty fields are filled from it; it goes to the recycle bin."""
    if keep_id == merge_id:
        raise ValidationError({"merge": _("不能把线索合并到自身。")})
    with transaction.atomic():
        keep = Lead.objects.select_for_update().get_in_scope(actor, "change", pk=keep_id)
        other = Lead.objects.select_for_update().get_in_scope(actor, "change", pk=merge_id)
        moved = {}
        for relation in Lead._meta.related_objects:
            if not (relation.one_to_many or relation.one_to_one) or relation.field.name in (
                "merged_into",
            ):
                continue
            model = relation.related_model
            manager = getattr(model, "all_objects", model._base_manager)
            count = manager.filter(**{relation.field.name: other}).update(
                **{relation.field.name: keep}
            )
            if count:
                moved[model._meta.label_lower] = count
        for field in (
            "industry",
            "region",
            "employees",
            "annual_revenue",
            "contact_title",
            "phone",
            "email",
            "expected_purchase",
            "budget_min",
            "budget_max",
            "referral_customer",
        ):
            if not getattr(keep, field) and getattr(other, field):
                setattr(keep, field, getattr(other, field))
        if other.needs and other.needs not in keep.needs:
            keep.needs = f"{keep.needs}\n{other.needs}".strip()
        keep.acquired_at = min(keep.acquired_at, other.acquired_at)
        _set_keys(keep)
        keep.save()
        other.merged_into = keep
        other.save(update_fields=["merged_into", "updated_at"])
        other.mark_deleted(actor)
        audit(
            actor=actor,
            action="lead.merge",
            obj=keep,
            after={"merged": other.pk, "moved": moved},
            message=reason,
        )
    return keep


def lead_delete(*, actor, lead_id: int) -> None:
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get_in_scope(actor, "delete", pk=lead_id)
        lead.mark_deleted(actor)
        audit(actor=actor, action="lead.delete", obj=lead, before=snapshot(lead))
