"""Writes of the sales process: opportunities, outputs, stage gates, skips by approval, won/lost,
reopen. Every transition writes exactly one StageEvent with the time spent in the previous
stage (hours and working days on the Chinese working calendar)."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.core.approvals import approval_consume, approval_request
from salesflow.core.audit import audit, snapshot
from salesflow.core.errors import DomainError, NotAllowed, ValidationError
from salesflow.core.models import ApprovalRequest
from salesflow.core.pii import reject_sensitive
from salesflow.core.scope import has_right, owner_ids_for
from salesflow.core.sla import deadline, elapsed_working_days
from salesflow.org.models import Role, User

from .models import (
    LostReason,
    Opportunity,
    OpportunityStatus,
    OutputSubmission,
    ProcessTemplate,
    Stage,
    StageEvent,
    StageOutput,
    TemplateVersion,
)

FIELDS = ("name", "amount", "expected_close_date", "probability", "competitors", "description")
SKIP_KIND = "stage_skip"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024

# Rules other modules add to "won" (the deals module: a signed contract or a live order must be
# linked first). Each is ``(opportunity) -> str``: the reason won is refused, "" when allowed.
_win_blockers: list = []


def register_win_blocker(blocker) -> None:
    if blocker not in _win_blockers:
        _win_blockers.append(blocker)


def win_blockers(opportunity) -> list[str]:
    """Why ``opportunity`` may not be won yet (empty when it may); shown on the win panel."""
    return [str(message) for blocker in _win_blockers if (message := blocker(opportunity))]


# Which version a new opportunity of a team starts on, when not the template's current one (a
# process pilot). Each is ``(template, team_id, at) -> TemplateVersion | None``; a version of
# another template is ignored.
_version_providers: list = []


def register_version_provider(provider) -> None:
    if provider not in _version_providers:
        _version_providers.append(provider)


class GateNotMet(DomainError):
    """Required outputs of the current stage are missing."""

    def __init__(self, missing: list[StageOutput]):
        names = "、".join(o.name for o in missing)
        super().__init__(_("当前阶段还缺少必需的产出：%(names)s") % {"names": names}, code="gate")
        self.missing = missing


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _stage_due(stage: Stage, start: datetime.datetime):
    return deadline(start, stage.time_limit_rule) if stage.time_limit_rule else None


def _lock(actor, opportunity_id: int, action: str = "change") -> Opportunity:
    return (
        Opportunity.objects.select_for_update(of=("self",))
        .select_related("stage", "template_version", "customer")
        .get_in_scope(actor, action, pk=opportunity_id)
    )


def _record(
    opp: Opportunity,
    *,
    kind: str,
    actor,
    to_stage: Stage | None,
    to_status: str | None = None,
    skipped=False,
    approval=None,
    note="",
    now: datetime.datetime,
) -> StageEvent:
    """One event row for one transition, with the time spent in the previous stage."""
    hours = days = None
    if kind != StageEvent.Kind.CREATE:
        seconds = max((now - opp.stage_entered_at).total_seconds(), 0)
        hours = (Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.01"))
        days = elapsed_working_days(opp.stage_entered_at, now)
    return StageEvent.objects.create(
        opportunity=opp,
        kind=kind,
        from_stage=None if kind == StageEvent.Kind.CREATE else opp.stage,
        to_stage=to_stage,
        from_status="" if kind == StageEvent.Kind.CREATE else opp.status,
        to_status=to_status or opp.status,
        skipped=skipped,
        approval=approval,
        actor=_user(actor),
        at=now,
        hours_in_previous=hours,
        working_days_in_previous=days,
        amount=opp.amount,
        note=note,
    )


def _enter(opp: Opportunity, stage: Stage, now: datetime.datetime) -> None:
    opp.stage = stage
    opp.stage_entered_at = now
    opp.stage_due_at = _stage_due(stage, now)
    opp.probability = stage.probability
    opp.followups_since_stage = 0


# --- create / update ------------------------------------------------------------------------------


def default_version(
    template_id: int | None = None, *, team=None, at: datetime.datetime | None = None
) -> TemplateVersion:
    """The version a new opportunity starts on: the template's current one, or for ``team``
    (a department or its id) the version a running pilot gives it at ``at``."""
    templates = ProcessTemplate.objects.filter(is_active=True)
    template = templates.filter(pk=template_id).first() if template_id else templates.first()
    if template is None:
        raise ValidationError({"template": _("请选择一个启用的流程模板。")})
    team_id = getattr(team, "pk", team)
    if team_id is not None:
        for provider in _version_providers:
            version = provider(template, team_id, at or timezone.now())
            if version is not None and version.template_id == template.pk:
                return version
    version = template.current_version()
    if version is None:
        raise DomainError(_("流程模板“%(name)s”没有当前版本。") % {"name": template.name})
    return version


def opportunity_create(
    *,
    actor,
    customer_id: int,
    data: dict,
    template_id: int | None = None,
    owner: User | None = None,
    source_lead_id: int | None = None,
    contact_ids=(),
    product_line_ids=(),
    now: datetime.datetime | None = None,
) -> Opportunity:
    """A new opportunity for a customer in scope, on the current version of its template, in
    the first stage that is not covered by the lead; from a converted lead, the lead's
    registration and score are carried in as that stage's outputs."""
    from salesflow.customers.models import Contact, Customer

    if not has_right(actor, "opportunity", "add"):
        raise NotAllowed(_("没有新增商机的权限。"))
    now = now or timezone.now()
    customer = Customer.objects.get_in_scope(actor, "view", pk=customer_id)
    owner = owner or customer.owner or actor
    if owner != actor:
        reachable = owner_ids_for(actor, "opportunity", "assign")
        if not has_right(actor, "opportunity", "assign") or (
            reachable is not None and owner.pk not in reachable
        ):
            raise ValidationError({"owner": _("只能把商机分配给自己数据范围内的人员。")})
    version = default_version(template_id, team=owner.department_id, at=now)
    stages = list(version.stages.order_by("order"))
    first = next((s for s in stages if not s.covered_by_lead), stages[0])
    opp = Opportunity(
        **{k: v for k, v in data.items() if k in FIELDS},
        customer=customer,
        template_version=version,
        stage=first,
        owner=owner,
        team=owner.department,
        created_by=_user(actor),
        created_at=now,
    )
    _enter(opp, first, now)
    if "probability" in data and data["probability"] not in (None, ""):
        opp.probability = data["probability"]
    reject_sensitive(
        {"name": opp.name, "description": opp.description, "competitors": opp.competitors}
    )
    opp.full_clean(
        exclude=[
            "owner",
            "created_by",
            "deleted_by",
            "lost_reason",
            "source_lead",
            "team",
            "stage",
            "template_version",
        ]
    )
    with transaction.atomic():
        if source_lead_id:
            from salesflow.leads.models import Lead

            lead = Lead.objects.get_in_scope(actor, "view", pk=source_lead_id)
            opp.source_lead = lead
        opp.save()
        contacts = Contact.objects.filter(customer=customer, pk__in=list(contact_ids))
        opp.contacts.set(contacts)
        opp.product_lines.set(list(product_line_ids))
        if opp.source_lead_id:
            _carry_lead_outputs(opp, stages, actor=actor, now=now)
        _record(opp, kind=StageEvent.Kind.CREATE, actor=actor, to_stage=first, now=now)
        audit(actor=actor, action="opportunity.create", obj=opp, after=snapshot(opp))
    return opp


def _carry_lead_outputs(opp: Opportunity, stages: list[Stage], *, actor, now) -> None:
    lead = opp.source_lead
    score = lead.scores.first()
    values = {
        "company": lead.company_name,
        "contact": lead.contact_name,
        "needs": lead.needs,
        "source": str(lead.source),
        "score": score.total if score else lead.score,
        "grade": lead.grade,
        "intent": lead.get_intent_display() if lead.intent else "",
    }
    for stage in stages:
        if not stage.covered_by_lead:
            continue
        for output in stage.outputs.all():
            data = {f["name"]: values.get(f["name"], "") for f in output.form_fields}
            OutputSubmission.objects.create(
                opportunity=opp,
                output=output,
                data=data,
                submitted_by=_user(actor),
                submitted_at=now,
            )


def opportunity_update(
    *, actor, opportunity_id: int, data: dict, contact_ids=None, product_line_ids=None
) -> Opportunity:
    with transaction.atomic():
        opp = _lock(actor, opportunity_id)
        before = snapshot(opp)
        for key, value in data.items():
            if key in FIELDS:
                setattr(opp, key, value)
        reject_sensitive(
            {"name": opp.name, "description": opp.description, "competitors": opp.competitors}
        )
        opp.full_clean(
            exclude=[
                "owner",
                "created_by",
                "deleted_by",
                "lost_reason",
                "source_lead",
                "team",
                "stage",
                "template_version",
            ]
        )
        opp.save()
        if contact_ids is not None:
            opp.contacts.set(opp.customer.contacts.filter(pk__in=list(contact_ids)))
        if product_line_ids is not None:
            opp.product_lines.set(list(product_line_ids))
        audit(actor=actor, action="opportunity.change", obj=opp, before=before, after=snapshot(opp))
    return opp


# --- outputs and the gate ------------------------------------------------------------------------


def submitted_output_ids(opp: Opportunity) -> set[int]:
    return set(opp.submissions.values_list("output_id", flat=True))


def gate_missing_outputs(opp: Opportunity, stage: Stage | None = None) -> list[StageOutput]:
    """Required outputs of ``stage`` (default: the current one) that have no submission."""
    stage = stage or opp.stage
    done = submitted_output_ids(opp)
    return [o for o in stage.outputs.all() if o.required and o.pk not in done]


def _clean_form(output: StageOutput, data: dict) -> dict:
    cleaned, errors = {}, {}
    for spec in output.form_fields:
        name, kind = spec["name"], spec.get("type", "text")
        raw = data.get(name)
        value = "" if raw is None else str(raw).strip()
        if not value:
            if spec.get("required", True):
                errors[f"data.{name}"] = _("请填写“%(label)s”。") % {"label": spec["label"]}
            cleaned[name] = ""
            continue
        if kind == "number":
            try:
                number = Decimal(value)
                if not number.is_finite():
                    raise InvalidOperation
                value = str(number)
            except InvalidOperation:
                errors[f"data.{name}"] = _("“%(label)s”须为数字。") % {"label": spec["label"]}
        elif kind == "date":
            try:
                value = datetime.date.fromisoformat(value).isoformat()
            except ValueError:
                errors[f"data.{name}"] = _("“%(label)s”须为日期（YYYY-MM-DD）。") % {
                    "label": spec["label"]
                }
        elif kind == "choice" and spec.get("choices") and value not in spec["choices"]:
            errors[f"data.{name}"] = _("“%(label)s”的取值无效。") % {"label": spec["label"]}
        cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    reject_sensitive({f"data.{k}": v for k, v in cleaned.items()})
    return cleaned


FILE_SIGNATURES = {
    b"%PDF": "pdf",
    b"PK\x03\x04": "office/zip",
    b"\xd0\xcf\x11\xe0": "office (old)",
    b"\x89PNG": "png",
    b"\xff\xd8\xff": "jpeg",
}


def check_upload(upload) -> None:
    """Size limit and type from the content, not the name."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": _("文件不能超过 20 MB。")})
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in FILE_SIGNATURES):
        raise ValidationError({"file": _("只能上传 PDF、Office 文档（Word/Excel/PPT）或图片。")})


def output_submit(
    *,
    actor,
    opportunity_id: int,
    output_id: int,
    data: dict | None = None,
    upload=None,
    opened_at: datetime.datetime | None = None,
) -> OutputSubmission:
    """Fill a structured form or upload a file for one output of the opportunity's template."""
    with transaction.atomic():
        opp = _lock(actor, opportunity_id)
        if not opp.is_open:
            raise DomainError(_("已关闭的商机不能再提交阶段产出。"))
        output = StageOutput.objects.filter(
            pk=output_id, stage__version=opp.template_version
        ).first()
        if output is None:
            raise ValidationError({"output": _("该产出不属于此商机的流程。")})
        submission = OutputSubmission(
            opportunity=opp, output=output, submitted_by=_user(actor), opened_at=opened_at
        )
        if output.kind == StageOutput.Kind.FILE:
            if upload is None:
                raise ValidationError({"file": _("请选择要上传的文件。")})
            check_upload(upload)
            submission.file = upload
            submission.file_name = upload.name[:200]
        else:
            submission.data = _clean_form(output, data or {})
        submission.save()
        audit(
            actor=actor,
            action="opportunity.output_submit",
            obj=opp,
            after={"output": output.name, "file": submission.file_name or None},
        )
    return submission


# --- transitions -----------------------------------------------------------------------------------


def next_stage(opp: Opportunity) -> Stage | None:
    return opp.template_version.stages.filter(order__gt=opp.stage.order).order_by("order").first()


def approved_skip(opp: Opportunity) -> ApprovalRequest | None:
    """An approved, unused skip request for the opportunity's current stage."""
    from django.contrib.contenttypes.models import ContentType

    return ApprovalRequest.objects.filter(
        content_type=ContentType.objects.get_for_model(Opportunity),
        object_id=opp.pk,
        kind=SKIP_KIND,
        status=ApprovalRequest.Status.APPROVED,
        consumed_at__isnull=True,
        payload__from_stage=opp.stage_id,
    ).first()


def opportunity_advance(
    *, actor, opportunity_id: int, note: str = "", now: datetime.datetime | None = None
) -> StageEvent:
    """Move to the next stage. The gate refuses while a required output of the current stage
    is missing — unless a director approved skipping this stage (then the event is marked
    skipped and carries the approval)."""
    now = now or timezone.now()
    with transaction.atomic():
        opp = _lock(actor, opportunity_id)
        if not opp.is_open:
            raise DomainError(_("已关闭的商机不能推进。"))
        target = next_stage(opp)
        if target is None:
            raise DomainError(_("已是最后一个阶段，请标记赢单或输单。"))
        missing = gate_missing_outputs(opp)
        approval = None
        if missing:
            approval = approved_skip(opp)
            if approval is None:
                raise GateNotMet(missing)
            approval_consume(approval)
        before = snapshot(opp, ["stage", "probability", "stage_due_at"])
        event = _record(
            opp,
            kind=StageEvent.Kind.SKIP if approval else StageEvent.Kind.ADVANCE,
            actor=actor,
            to_stage=target,
            skipped=approval is not None,
            approval=approval,
            note=note,
            now=now,
        )
        _enter(opp, target, now)
        opp.save()
        audit(
            actor=actor,
            action="opportunity.advance",
            obj=opp,
            before=before,
            after=snapshot(opp, ["stage", "probability", "stage_due_at"]),
            message=note,
        )
    return event


def opportunity_move_back(
    *,
    actor,
    opportunity_id: int,
    to_stage_id: int,
    note: str = "",
    now: datetime.datetime | None = None,
) -> StageEvent:
    """Back to an earlier stage (repeated steps show in the process diagnosis)."""
    now = now or timezone.now()
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("退回阶段须填写原因。")})
    with transaction.atomic():
        opp = _lock(actor, opportunity_id)
        if not opp.is_open:
            raise DomainError(_("已关闭的商机不能修改阶段。"))
        target = opp.template_version.stages.filter(
            pk=to_stage_id, order__lt=opp.stage.order
        ).first()
        if target is None:
            raise ValidationError({"to_stage": _("只能退回到之前的阶段。")})
        event = _record(
            opp, kind=StageEvent.Kind.BACK, actor=actor, to_stage=target, note=note, now=now
        )
        _enter(opp, target, now)
        opp.save()
        audit(actor=actor, action="opportunity.back", obj=opp, message=note)
    return event


def skip_chain() -> list[Role]:
    """Flexible authorization: a 销售总监 approves stage skips (and holds the approve right on
    opportunities, which the approval mechanism also checks)."""
    return [Role.objects.get(code="sales_director")]


def opportunity_request_skip(*, actor, opportunity_id: int, reason: str) -> ApprovalRequest:
    """灵活授权: for an A-class customer, ask a director to let the current stage's standard
    outputs be skipped. The reason is required."""
    with transaction.atomic():
        opp = _lock(actor, opportunity_id)
        if not opp.is_open:
            raise DomainError(_("已关闭的商机不能申请跳过。"))
        if opp.customer.grade != "A":
            raise DomainError(_("只有A类客户的商机可以申请跳过标准流程。"))
        if next_stage(opp) is None:
            raise DomainError(_("最后一个阶段不能跳过，请标记赢单或输单。"))
        return approval_request(
            actor=actor,
            obj=opp,
            kind=SKIP_KIND,
            object_type="opportunity",
            title=_("申请跳过“%(stage)s”：%(name)s") % {"stage": opp.stage.name, "name": opp.name},
            reason=reason,
            chain=skip_chain(),
            payload={"from_stage": opp.stage_id},
        )


def opportunity_win(
    *,
    actor,
    opportunity_id: int,
    amount=None,
    note: str = "",
    now: datetime.datetime | None = None,
    historical: bool = False,
) -> StageEvent:
    """Won requires the deal's amount (> 0) and whatever the registered win blockers ask
    (a linked signed contract or live order when the deals setting is on); the customer's
    first deal starts its "new customer" lifecycle.

    ``historical`` records a win that happened before the company used salesflow (a data
    import or the demo history): the blockers do not apply, since the contract of a past deal
    is not in the system; the audit entry says so."""
    now = now or timezone.now()
    with transaction.atomic():
        opp = _lock(actor, opportunity_id)
        if not opp.is_open:
            raise DomainError(_("该商机已关闭。"))
        if amount not in (None, ""):
            try:
                opp.amount = Decimal(str(amount)).quantize(Decimal("0.01"))
            except InvalidOperation:
                raise ValidationError({"amount": _("请输入成交金额。")}) from None
        if opp.amount is None or opp.amount <= 0:
            raise ValidationError({"amount": _("赢单须填写成交金额。")})
        if not historical and (blockers := win_blockers(opp)):
            raise DomainError(" ".join(blockers), code="win_blocked")
        event = _record(
            opp,
            kind=StageEvent.Kind.WON,
            actor=actor,
            to_stage=opp.stage,
            to_status=OpportunityStatus.WON,
            note=note,
            now=now,
        )
        opp.status, opp.closed_at, opp.probability = OpportunityStatus.WON, now, 100
        opp.save()
        customer = opp.customer
        if customer.first_deal_at is None:
            type(customer).objects.filter(pk=customer.pk).update(first_deal_at=now)
        audit(
            actor=actor,
            action="opportunity.win",
            obj=opp,
            after={"amount": str(opp.amount)},
            message=f"{_('补录的历史赢单')} {note}".strip() if historical else note,
        )
    return event


def opportunity_lose(
    *,
    actor,
    opportunity_id: int,
    lost_reason_id: int | None,
    competitor: str = "",
    note: str = "",
    now: datetime.datetime | None = None,
) -> StageEvent:
    now = now or timezone.now()
    reason = (
        LostReason.objects.filter(pk=lost_reason_id, is_active=True).first()
        if (lost_reason_id)
        else None
    )
    if reason is None:
        raise ValidationError({"lost_reason": _("请选择输单原因。")})
    reject_sensitive({"note": note, "competitor": competitor})
    with transaction.atomic():
        opp = _lock(actor, opportunity_id)
        if not opp.is_open:
            raise DomainError(_("该商机已关闭。"))
        event = _record(
            opp,
            kind=StageEvent.Kind.LOST,
            actor=actor,
            to_stage=opp.stage,
            to_status=OpportunityStatus.LOST,
            note=note,
            now=now,
        )
        opp.status, opp.closed_at, opp.probability = OpportunityStatus.LOST, now, 0
        opp.lost_reason, opp.won_by_competitor = reason, competitor.strip()[:100]
        opp.save()
        audit(
            actor=actor,
            action="opportunity.lose",
            obj=opp,
            after={"lost_reason": reason.name, "competitor": competitor},
            message=note,
        )
    return event


def opportunity_reopen(
    *, actor, opportunity_id: int, reason: str, now: datetime.datetime | None = None
) -> StageEvent:
    """Reopening a won or lost opportunity needs a director (the approve right on
    opportunities) and a reason."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("重新打开须填写原因。")})
    if not has_right(actor, "opportunity", "approve"):
        raise NotAllowed(_("只有销售总监可以重新打开已关闭的商机。"))
    with transaction.atomic():
        opp = _lock(actor, opportunity_id, "view")
        if opp.is_open:
            raise DomainError(_("该商机未关闭。"))
        event = _record(
            opp,
            kind=StageEvent.Kind.REOPEN,
            actor=actor,
            to_stage=opp.stage,
            to_status=OpportunityStatus.OPEN,
            note=reason,
            now=now,
        )
        opp.status, opp.closed_at, opp.lost_reason, opp.won_by_competitor = (
            OpportunityStatus.OPEN,
            None,
            None,
            "",
        )
        _enter(opp, opp.stage, now)
        opp.save()
        audit(actor=actor, action="opportunity.reopen", obj=opp, message=reason)
    return event


def opportunity_assign(*, actor, opportunity_ids: list[int], to_owner: User, reason: str) -> int:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写分配原因。")})
    if not has_right(actor, "opportunity", "assign"):
        raise NotAllowed(_("没有分配商机的权限。"))
    reachable = owner_ids_for(actor, "opportunity", "assign")
    if reachable is not None and to_owner.pk not in reachable:
        raise ValidationError({"owner": _("只能分配给自己数据范围内的人员。")})
    with transaction.atomic():
        rows = list(
            Opportunity.objects.restrict(actor, "assign")
            .select_for_update()
            .filter(pk__in=opportunity_ids)
        )
        if len(rows) != len(set(opportunity_ids)):
            raise ValidationError({"opportunities": _("部分商机不存在或不在您的数据范围内。")})
        for opp in rows:
            before = snapshot(opp, ["owner", "team"])
            opp.owner, opp.team = to_owner, to_owner.department
            opp.save(update_fields=["owner", "team", "updated_at"])
            audit(
                actor=actor,
                action="opportunity.assign",
                obj=opp,
                before=before,
                after=snapshot(opp, ["owner", "team"]),
                message=reason,
            )
    return len(rows)


def opportunity_delete(*, actor, opportunity_id: int) -> None:
    with transaction.atomic():
        opp = _lock(actor, opportunity_id, "delete")
        opp.mark_deleted(actor)
        audit(actor=actor, action="opportunity.delete", obj=opp, before=snapshot(opp))


# --- templates: editing creates a new version ----------------------------------------------------


def template_new_version(
    *, actor, template_id: int, change_note: str, make_current: bool = True
) -> TemplateVersion:
    """Copy the current version's stages and outputs into a new current version, which the
    administrator then edits; running opportunities keep the version they started on. With
    ``make_current=False`` the copy is a draft (e.g. a pilot's version for a few teams) and the
    current version stays."""
    if not has_right(actor, "org.role", "change"):
        raise NotAllowed(_("没有维护流程模板的权限。"))
    change_note = (change_note or "").strip()
    if not change_note:
        raise ValidationError({"change_note": _("请填写变更说明。")})
    with transaction.atomic():
        template = ProcessTemplate.objects.select_for_update().get(pk=template_id)
        current = template.current_version()
        number = (
            template.versions.order_by("-number").values_list("number", flat=True).first() or 0
        ) + 1
        if current is not None and make_current:
            TemplateVersion.objects.filter(pk=current.pk).update(is_current=False)
        version = TemplateVersion.objects.create(
            template=template,
            number=number,
            is_current=make_current,
            change_note=change_note,
            created_by=_user(actor),
        )
        if current is not None:
            for stage in current.stages.prefetch_related("outputs", "responsible_roles"):
                roles = list(stage.responsible_roles.all())
                outputs = list(stage.outputs.all())
                stage.pk, stage.version = None, version
                stage._state.adding = True
                stage.save()
                stage.responsible_roles.set(roles)
                for output in outputs:
                    output.pk, output.stage = None, stage
                    output._state.adding = True
                    output.save()
        audit(
            actor=actor,
            action="template.new_version",
            obj=template,
            after={"version": number},
            message=change_note,
        )
    return version


def template_version_make_current(*, actor, version_id: int, reason: str) -> TemplateVersion:
    """Make a version (e.g. a pilot's) its template's current one: new opportunities start on
    it; running opportunities keep theirs."""
    if not has_right(actor, "org.role", "change"):
        raise NotAllowed(_("没有维护流程模板的权限。"))
    with transaction.atomic():
        version = TemplateVersion.objects.select_for_update().get(pk=version_id)
        previous = version.template.current_version()
        if previous is not None and previous.pk == version.pk:
            return version
        TemplateVersion.objects.filter(template_id=version.template_id, is_current=True).update(
            is_current=False
        )
        TemplateVersion.objects.filter(pk=version.pk).update(is_current=True)
        version.is_current = True
        audit(
            actor=actor,
            action="template.make_current",
            obj=version.template,
            before={"version": previous.number if previous else None},
            after={"version": version.number},
            message=reason,
        )
    return version


def lead_convert_with_opportunity(
    *, actor, lead_id: int, opportunity: dict | None, **convert_kwargs
):
    """Lead → customer + contact (leads module) and, when ``opportunity`` data is given, an
    opportunity that carries the lead's registration and score as its first outputs — all in
    one transaction. Returns (customer, opportunity or None)."""
    from salesflow.leads.services import lead_convert

    with transaction.atomic():
        customer = lead_convert(actor=actor, lead_id=lead_id, **convert_kwargs)
        opp = None
        if opportunity is not None:
            opp = opportunity_create(
                actor=actor, customer_id=customer.pk, data=opportunity, source_lead_id=lead_id
            )
    return customer, opp
