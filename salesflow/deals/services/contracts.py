"""Contracts (合同): created from a quote or an opportunity, approved along the chain that the
rules table gives for their amount and discount, signed (which can win the opportunity with the
contract amount), completed or terminated. Every move goes through the state machine of
``models.CONTRACT_TRANSITIONS`` and writes a DealEvent.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.core.approvals import approval_cancel, approval_request
from salesflow.core.audit import audit, snapshot
from salesflow.core.errors import DomainError, ValidationError
from salesflow.core.models import ApprovalRequest
from salesflow.core.pii import reject_sensitive
from salesflow.core.settings_registry import get_setting
from salesflow.customers.models import Customer
from salesflow.pipeline.models import Opportunity, OpportunityStatus

from .. import routing
from ..models import (
    COUNTED_ORDER_STATUSES,
    Contract,
    ContractFile,
    ContractStatus,
    Order,
    Quote,
)
from . import quotes as quote_services
from .common import assign_number, move, record, require, user_or_none

APPROVAL_KIND = "contract_approval"
FIELDS = ("title", "amount", "discount_pct", "start_on", "end_on", "terms", "payment_terms")
WINNING_STATUSES = (ContractStatus.SIGNED, ContractStatus.COMPLETED)


def _clean(contract: Contract) -> None:
    reject_sensitive(
        {"title": contract.title, "terms": contract.terms, "payment_terms": contract.payment_terms}
    )
    contract.full_clean(
        exclude=["owner", "customer", "opportunity", "quote", "approval", "created_by"]
    )
    if contract.start_on and contract.end_on and contract.end_on < contract.start_on:
        raise ValidationError({"end_on": _("结束日期不能早于开始日期。")})


def contract_create(
    *,
    actor,
    data: dict,
    quote_id: int | None = None,
    opportunity_id: int | None = None,
    customer_id: int | None = None,
) -> Contract:
    """A draft contract. From a quote: the quote's customer, opportunity, total and largest
    discount (the quote must be usable: its discount approved when it needed it). From an
    opportunity: its customer, and its amount unless another one is given."""
    require(actor, "contract", "add", _("没有新建合同的权限。"))
    quote = opportunity = None
    if quote_id:
        quote = Quote.objects.select_related("customer", "opportunity", "owner").get_in_scope(
            actor, "view", pk=quote_id
        )
        if not quote_services.is_usable(quote):
            raise DomainError(
                _("报价“%(quote)s”（%(status)s）不能用于合同：折扣须先审批通过。")
                % {"quote": quote, "status": quote.get_status_display()},
                code="approval",
            )
        customer, opportunity = quote.customer, quote.opportunity
        amount, discount = quote.total, quote.max_discount_pct
        owner = quote.owner
    elif opportunity_id:
        opportunity = Opportunity.objects.select_related("customer", "owner").get_in_scope(
            actor, "view", pk=opportunity_id
        )
        customer = opportunity.customer
        amount = data.get("amount") or opportunity.amount
        discount = data.get("discount_pct") or Decimal(0)
        owner = opportunity.owner
    elif customer_id:
        customer = Customer.objects.get_in_scope(actor, "view", pk=customer_id)
        amount, discount = data.get("amount"), data.get("discount_pct") or Decimal(0)
        owner = customer.owner or actor
    else:
        raise ValidationError({"customer": _("请选择报价、商机或客户。")})
    if opportunity is not None and opportunity.status == OpportunityStatus.LOST:
        raise DomainError(_("已输单的商机不能签合同。"))
    contract = Contract(
        customer=customer,
        opportunity=opportunity,
        quote=quote,
        owner=owner,
        amount=amount,
        discount_pct=discount,
        created_by=user_or_none(actor),
        title=(data.get("title") or "").strip()
        or (quote.title if quote else opportunity.name if opportunity else customer.name),
        **{k: data[k] for k in ("start_on", "end_on", "terms", "payment_terms") if k in data},
    )
    contract.terms = contract.terms or ""
    contract.payment_terms = contract.payment_terms or ""
    _clean(contract)
    with transaction.atomic():
        contract.save()
        assign_number(contract, "HT")
        record(
            "contract.create",
            actor=actor,
            contract=contract,
            to_status=contract.status,
            amount=contract.amount,
            note=_("来自报价 %(q)s") % {"q": quote.number} if quote else "",
        )
        audit(actor=actor, action="contract.create", obj=contract, after=snapshot(contract))
    return contract


def _lock(actor, contract_id: int, action: str = "change") -> Contract:
    return (
        Contract.objects.select_for_update(of=("self",))
        .select_related("customer", "opportunity")
        .get_in_scope(actor, action, pk=contract_id)
    )


def contract_update(*, actor, contract_id: int, data: dict) -> Contract:
    """Edit a draft, rejected or approved contract; a rejected or approved one goes back to
    draft (it needs a fresh approval for what changed)."""
    with transaction.atomic():
        contract = _lock(actor, contract_id)
        if not contract.is_editable:
            raise DomainError(
                _("“%(status)s”状态的合同不能修改。") % {"status": contract.get_status_display()}
            )
        before = snapshot(contract)
        for key in FIELDS:
            if key in data:
                setattr(contract, key, data[key])
        contract.terms, contract.payment_terms = contract.terms or "", contract.payment_terms or ""
        _clean(contract)
        if contract.status != ContractStatus.DRAFT:
            move(
                contract,
                ContractStatus.DRAFT,
                labels=ContractStatus,
                actor=actor,
                kind="contract.revise",
                contract=contract,
            )
            contract.approval = None
        contract.save()
        audit(
            actor=actor,
            action="contract.change",
            obj=contract,
            before=before,
            after=snapshot(contract),
        )
    return contract


def contract_route(contract: Contract, *, actor) -> routing.Route:
    """The approver chain the rules table gives for this contract's amount and discount."""
    name, codes = routing.contract_rule_for(contract.amount, contract.discount_pct)
    if not codes:
        return routing.Route(roles=[], rule_name=name)
    return routing.route(codes, obj=contract, object_type="contract", actor=actor, rule_name=name)


def contract_submit(*, actor, contract_id: int, reason: str = "") -> Contract:
    """Send a draft into approval (合同审批单). When no rule asks for approval the contract is
    approved at once (the event says so)."""
    with transaction.atomic():
        contract = _lock(actor, contract_id)
        if contract.status != ContractStatus.DRAFT:
            raise DomainError(_("只有草稿状态的合同可以提交审批。"))
        route = contract_route(contract, actor=actor)
        reason = (reason or "").strip() or _("合同金额 %(amount)s 元，折扣 %(pct)s%%") % {
            "amount": contract.amount,
            "pct": contract.discount_pct,
        }
        if not route.roles:
            move(
                contract,
                ContractStatus.IN_APPROVAL,
                labels=ContractStatus,
                actor=actor,
                kind="contract.submit",
                contract=contract,
                amount=contract.amount,
            )
            move(
                contract,
                ContractStatus.APPROVED,
                labels=ContractStatus,
                actor=actor,
                kind="contract.approved",
                contract=contract,
                note=_("没有匹配的审批规则，无需审批。"),
            )
            contract.save(update_fields=["status", "updated_at"])
            audit(actor=actor, action="contract.submit", obj=contract, message=reason)
            return contract
        request = approval_request(
            actor=actor,
            obj=contract,
            kind=APPROVAL_KIND,
            object_type="contract",
            title=_("合同审批：%(contract)s（%(amount)s 元）")
            % {"contract": contract, "amount": contract.amount},
            reason=reason,
            chain=route.roles,
            payload={
                "amount": str(contract.amount),
                "discount_pct": str(contract.discount_pct),
                **route.payload(),
            },
        )
        move(
            contract,
            ContractStatus.IN_APPROVAL,
            labels=ContractStatus,
            actor=actor,
            kind="contract.submit",
            contract=contract,
            amount=contract.amount,
            note=route.note(),
        )
        contract.approval = request
        contract.save(update_fields=["status", "approval", "updated_at"])
        audit(actor=actor, action="contract.submit", obj=contract, message=reason)
    return contract


def on_contract_decided(*, request: ApprovalRequest, actor) -> None:
    """Approval hook: after the last step approves, the contract is approved; a rejection or
    a withdrawal sends it back."""
    contract = Contract.objects.select_for_update().filter(pk=request.object_id).first()
    if (
        contract is None
        or contract.approval_id != request.pk
        or contract.status != ContractStatus.IN_APPROVAL
    ):
        return
    target = {
        ApprovalRequest.Status.APPROVED: ContractStatus.APPROVED,
        ApprovalRequest.Status.REJECTED: ContractStatus.REJECTED,
        ApprovalRequest.Status.CANCELLED: ContractStatus.DRAFT,
    }.get(request.status)
    if target is None:
        step = request.steps.exclude(decision="").order_by("-order").first()
        record(
            "contract.approval_step",
            actor=actor,
            contract=contract,
            note=step.role.name if step else "",
        )
        return
    move(
        contract,
        target,
        labels=ContractStatus,
        actor=actor,
        kind=f"contract.{request.status}",
        contract=contract,
    )
    contract.save(update_fields=["status", "updated_at"])
    audit(actor=actor, action=f"contract.approval.{request.status}", obj=contract)


def contract_withdraw(*, actor, contract_id: int) -> Contract:
    """The requester takes a contract back out of approval (to draft)."""
    contract = Contract.objects.get_in_scope(actor, "change", pk=contract_id)
    if contract.status != ContractStatus.IN_APPROVAL or contract.approval_id is None:
        raise DomainError(_("合同不在审批中。"))
    approval_cancel(actor=actor, request_id=contract.approval_id)
    contract.refresh_from_db()
    return contract


@dataclass
class SignResult:
    contract: Contract
    won: bool = False
    win_error: str = ""


def _deal_moment(day: datetime.date) -> datetime.datetime:
    if day >= timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def contract_sign(
    *,
    actor,
    contract_id: int,
    signed_on: datetime.date,
    start_on: datetime.date | None = None,
    end_on: datetime.date | None = None,
    win_opportunity: bool = True,
) -> SignResult:
    """Record the signature of an approved contract. The customer's first deal starts its
    "new customer" lifecycle; with ``win_opportunity`` the linked open opportunity is won with
    the contract amount (through the pipeline's own service, so its rights and events apply —
    when the signer may not change the opportunity the contract is signed all the same)."""
    from . import receivables

    if signed_on is None:
        raise ValidationError({"signed_on": _("请填写签署日期。")})
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": _("签署日期不能晚于今天。")})
    with transaction.atomic():
        contract = _lock(actor, contract_id)
        before = snapshot(contract)
        move(
            contract,
            ContractStatus.SIGNED,
            labels=ContractStatus,
            actor=actor,
            kind="contract.sign",
            contract=contract,
            amount=contract.amount,
        )
        contract.signed_on = signed_on
        contract.start_on = start_on or contract.start_on or signed_on
        contract.end_on = end_on or contract.end_on
        _clean(contract)
        contract.save()
        receivables.customer_refresh_purchases(
            customer_id=contract.customer_id,
            first_deal_at=_deal_moment(signed_on),
            actor=actor,
            reason=_("合同签署 %(n)s") % {"n": contract.number},
        )
        audit(
            actor=actor,
            action="contract.sign",
            obj=contract,
            before=before,
            after=snapshot(contract),
        )
        result = SignResult(contract)
        opp = contract.opportunity
        if win_opportunity and opp is not None and opp.status == OpportunityStatus.OPEN:
            result.won, result.win_error = _win(actor, opp, contract.amount, contract.number)
    return result


def _win(actor, opp: Opportunity, amount: Decimal, number: str) -> tuple[bool, str]:
    from salesflow.pipeline.services import opportunity_win

    try:
        opportunity_win(
            actor=actor,
            opportunity_id=opp.pk,
            amount=amount,
            note=_("合同/订单 %(n)s") % {"n": number},
        )
    except Http404:
        return False, _("您无权修改该商机，请商机负责人标记赢单。")
    except (DomainError, ValidationError, PermissionDenied) as exc:
        return False, getattr(exc, "message", None) or " ".join(
            getattr(exc, "messages", [])
        ) or str(exc)
    return True, ""


def contract_close(*, actor, contract_id: int, completed: bool, reason: str = "") -> Contract:
    """完成 a signed contract, or 终止 a contract (a reason is required to terminate)."""
    reason = (reason or "").strip()
    if not completed and not reason:
        raise ValidationError({"reason": _("终止合同须填写原因。")})
    target = ContractStatus.COMPLETED if completed else ContractStatus.TERMINATED
    with transaction.atomic():
        contract = _lock(actor, contract_id)
        move(
            contract,
            target,
            labels=ContractStatus,
            actor=actor,
            kind=f"contract.{target}",
            contract=contract,
            note=reason,
        )
        contract.closed_reason, contract.closed_at = reason, timezone.now()
        contract.save(update_fields=["status", "closed_reason", "closed_at", "updated_at"])
        audit(actor=actor, action=f"contract.{target}", obj=contract, message=reason)
    return contract


def contract_file_add(*, actor, contract_id: int, upload, description: str = "") -> ContractFile:
    """Archive a file (signed scan, annex). Type checked from the content, size limited."""
    from salesflow.pipeline.services import check_upload

    check_upload(upload)
    reject_sensitive({"description": description})
    with transaction.atomic():
        contract = _lock(actor, contract_id)
        row = ContractFile.objects.create(
            contract=contract,
            file=upload,
            file_name=(getattr(upload, "name", "") or "file")[-200:],
            description=description[:200],
            uploaded_by=user_or_none(actor),
        )
        record("contract.file", actor=actor, contract=contract, note=row.file_name)
        audit(actor=actor, action="contract.file", obj=contract, message=row.file_name)
    return row


# --- links with the pipeline --------------------------------------------------------------------


def win_blocker(opportunity) -> str:
    """Why the opportunity may not be won yet ("" when it may): with the setting
    ``deal.win_requires_contract`` on, a won opportunity needs a signed (or completed)
    contract or a live order linked to it."""
    if not get_setting("deal.win_requires_contract"):
        return ""
    linked = (
        Contract.objects.filter(opportunity_id=opportunity.pk, status__in=WINNING_STATUSES).exists()
        or Order.objects.filter(
            opportunity_id=opportunity.pk, status__in=COUNTED_ORDER_STATUSES
        ).exists()
    )
    return "" if linked else _("赢单须先关联已签署的合同或有效订单（可在合同签署时同时赢单）。")


def ensure_win_allowed(opportunity) -> None:
    """For ``pipeline.services.opportunity_win``: raise DomainError when won is not allowed."""
    if message := win_blocker(opportunity):
        raise DomainError(message, code="win_requires_contract")


def deal_link_win(
    *, actor, opportunity_id: int, contract_id: int | None = None, order_id: int | None = None
) -> bool:
    """Link a signed contract (or an order) to an opportunity of the same customer and win the
    opportunity with its amount if it is still open. Returns whether it was won now."""
    with transaction.atomic():
        opp = Opportunity.objects.get_in_scope(actor, "change", pk=opportunity_id)
        if contract_id:
            deal = _lock(actor, contract_id)
            if deal.status not in WINNING_STATUSES:
                raise DomainError(_("只有已签署的合同可以关联赢单。"))
        elif order_id:
            deal = Order.objects.select_for_update().get_in_scope(actor, "view", pk=order_id)
            if deal.status not in COUNTED_ORDER_STATUSES:
                raise DomainError(_("该订单无效，不能关联赢单。"))
        else:
            raise ValidationError({"contract": _("请选择合同或订单。")})
        if deal.customer_id != opp.customer_id:
            raise ValidationError({"contract": _("合同/订单与商机不属于同一客户。")})
        if deal.opportunity_id not in (None, opp.pk):
            raise DomainError(_("该合同/订单已关联其他商机。"))
        type(deal).objects.filter(pk=deal.pk).update(opportunity=opp)
        deal.opportunity = opp
        record(
            "deal.link",
            actor=actor,
            note=opp.name,
            amount=deal.amount,
            **({"contract": deal} if contract_id else {"order": deal}),
        )
        audit(actor=actor, action="deal.link_opportunity", obj=deal, after={"opportunity": opp.pk})
        if opp.status != OpportunityStatus.OPEN:
            return False
        won, error = _win(actor, opp, deal.amount, deal.number or "")
        if not won:
            raise DomainError(error)
    return True
