"""Payment collection (回款): plans in instalments, receipts recorded by finance and matched to
plans, bad debts, credit limits, overdue warnings, and the customer's 12-month purchases that
drive its ABC grade.

Matching is recomputed for the whole contract on every change: receipts in the order they
arrived pay the plans oldest due date first; what is left over after every plan is paid stays
on the receipt as an over-payment (溢收) and pays a plan added later. Everything is cents-exact
Decimal arithmetic (sums and differences of two-place values never round).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Max, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.core.audit import audit, snapshot
from salesflow.core.errors import DomainError, NotAllowed, ValidationError
from salesflow.core.pii import reject_sensitive
from salesflow.customers import services as customer_services
from salesflow.customers.models import CreditRating, Customer
from salesflow.customers.rules import add_months
from salesflow.org.models import User

from .. import rules
from ..models import (
    COUNTED_ORDER_STATUSES,
    Contract,
    ContractStatus,
    Order,
    PaymentPlan,
    Receipt,
    ReceiptAllocation,
    RiskEvent,
    RiskKind,
)
from .common import assign_number, notify_people, owner_and_manager, record, require, user_or_none

PLANNABLE = (ContractStatus.APPROVED, ContractStatus.SIGNED, ContractStatus.COMPLETED)
RECEIVABLE = (*PLANNABLE, ContractStatus.TERMINATED)


# --- purchases and grade --------------------------------------------------------------------------


def purchases_window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last 12 months: after the same date a year ago, up to and including today."""
    return add_months(today, -12), today


def purchases_12m(customer_id: int, today: datetime.date | None = None) -> Decimal:
    after, until = purchases_window(today or timezone.localdate())
    total = (
        Order.objects.filter(
            customer_id=customer_id,
            status__in=COUNTED_ORDER_STATUSES,
            order_date__gt=after,
            order_date__lte=until,
        )
        .aggregate(total=Sum("amount"))
        .get("total")
    )
    return total or Decimal(0)


def customer_refresh_purchases(
    *,
    customer_id: int,
    first_deal_at: datetime.datetime | None = None,
    actor=None,
    reason: str = "",
    today: datetime.date | None = None,
):
    """Store the customer's orders of the last 12 months and regrade it (the customers module
    keeps the grade history and respects a manual override)."""
    return customer_services.customer_set_purchases(
        customer_id=customer_id,
        amount=purchases_12m(customer_id, today),
        first_deal_at=first_deal_at,
        actor=actor,
        reason=reason or _("近12个月订单额重算"),
    )


def regrade_all(today: datetime.date | None = None) -> int:
    """Nightly: recompute purchases and grades of every customer with orders in the last 13
    months or a stored amount (the one who just dropped out of the window). Idempotent."""
    today = today or timezone.localdate()
    since = add_months(today, -13)
    ids = set(
        Order.objects.filter(order_date__gt=since).values_list("customer_id", flat=True)
    ) | set(Customer.all_objects.filter(purchases_12m__gt=0).values_list("pk", flat=True))
    changed = 0
    for customer_id in sorted(ids):
        with transaction.atomic():
            before = Customer.all_objects.values_list("grade", flat=True).get(pk=customer_id)
            customer = customer_refresh_purchases(
                customer_id=customer_id, today=today, reason=_("每日分级重算")
            )
            changed += customer.grade != before
    return changed


# --- plans ------------------------------------------------------------------------------------------


def _planned_total(contract: Contract, exclude_id: int | None = None) -> Decimal:
    qs = contract.plans.all()
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return qs.aggregate(total=Sum("amount")).get("total") or Decimal(0)


def _check_plan(contract: Contract, plan: PaymentPlan) -> None:
    reject_sensitive({"note": plan.note})
    plan.full_clean(exclude=["contract", "order", "customer", "owner", "created_by"])
    left = contract.amount - _planned_total(contract, exclude_id=plan.pk)
    if plan.amount > left:
        raise ValidationError({"amount": _("合同剩余可计划金额为 %(left)s 元。") % {"left": left}})
    if plan.order_id and plan.order.contract_id != contract.pk:
        raise ValidationError({"order": _("订单不属于该合同。")})


def _owner_for_plan(actor, contract: Contract, owner: User | None) -> User:
    owner = owner or contract.owner
    if not owner.is_active:
        raise ValidationError({"owner": _("该用户已停用。")})
    return owner


def plan_create(
    *,
    actor,
    contract_id: int,
    due_date: datetime.date,
    amount: Decimal,
    owner: User | None = None,
    order_id: int | None = None,
    note: str = "",
) -> PaymentPlan:
    """One instalment of the contract's 回款计划; the instalments never exceed the contract."""
    require(actor, "receipt", "add", _("没有制定回款计划的权限。"))
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get_in_scope(actor, "view", pk=contract_id)
        if contract.status not in PLANNABLE:
            raise DomainError(_("合同批准后才能制定回款计划。"))
        sequence = (contract.plans.aggregate(n=Max("sequence")).get("n") or 0) + 1
        plan = PaymentPlan(
            contract=contract,
            customer_id=contract.customer_id,
            order_id=order_id,
            sequence=sequence,
            due_date=due_date,
            amount=amount,
            owner=_owner_for_plan(actor, contract, owner),
            note=note or "",
            created_by=user_or_none(actor),
        )
        _check_plan(contract, plan)
        plan.save()
        reallocate(contract)
        record(
            "plan.create",
            actor=actor,
            contract=contract,
            amount=plan.amount,
            note=_("第%(n)s期 %(date)s") % {"n": sequence, "date": due_date},
        )
        audit(actor=actor, action="plan.create", obj=plan, after=snapshot(plan))
    return plan


def plan_update(*, actor, plan_id: int, data: dict) -> PaymentPlan:
    with transaction.atomic():
        plan = PaymentPlan.objects.select_for_update().get_in_scope(actor, "change", pk=plan_id)
        contract = Contract.objects.select_for_update().get(pk=plan.contract_id)
        before = snapshot(plan)
        for key in ("due_date", "amount", "note"):
            if key in data:
                setattr(plan, key, data[key] if key != "note" else (data[key] or ""))
        if data.get("owner") is not None:
            plan.owner = _owner_for_plan(actor, contract, data["owner"])
        _check_plan(contract, plan)
        plan.save()
        reallocate(contract)
        audit(actor=actor, action="plan.change", obj=plan, before=before, after=snapshot(plan))
    return plan


def plan_delete(*, actor, plan_id: int) -> None:
    with transaction.atomic():
        plan = PaymentPlan.objects.select_for_update().get_in_scope(actor, "delete", pk=plan_id)
        if plan.received_amount > 0:
            raise DomainError(_("已有回款的计划不能删除。"))
        contract = Contract.objects.select_for_update().get(pk=plan.contract_id)
        audit(actor=actor, action="plan.delete", obj=plan, before=snapshot(plan))
        plan.delete()
        reallocate(contract)


def plan_mark_bad_debt(*, actor, plan_id: int, bad_debt: bool, reason: str) -> PaymentPlan:
    """Flag (or clear) an instalment as bad debt (坏账) — finance's call, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写说明。")})
    with transaction.atomic():
        plan = (
            PaymentPlan.objects.select_for_update(of=("self",))
            .select_related("contract", "customer")
            .get_in_scope(actor, "change", pk=plan_id)
        )
        if plan.bad_debt == bad_debt:
            raise DomainError(_("状态未变化。"))
        plan.bad_debt = bad_debt
        plan.bad_debt_at = timezone.now() if bad_debt else None
        plan.bad_debt_reason = reason
        plan.save(update_fields=["bad_debt", "bad_debt_at", "bad_debt_reason"])
        record(
            "plan.bad_debt" if bad_debt else "plan.bad_debt_cleared",
            actor=actor,
            contract=plan.contract,
            amount=plan.outstanding,
            note=reason,
        )
        if bad_debt:
            RiskEvent.objects.create(
                customer=plan.customer,
                kind=RiskKind.BAD_DEBT,
                period=str(plan.pk),
                amount=plan.outstanding,
                plan=plan,
                message=(_("%(plan)s 标记为坏账：%(reason)s") % {"plan": plan, "reason": reason})[
                    :300
                ],
            )
        audit(
            actor=actor,
            action="plan.bad_debt",
            obj=plan,
            after={"bad_debt": bad_debt},
            message=reason,
        )
    return plan


# --- receipts ---------------------------------------------------------------------------------------


def reallocate(contract: Contract) -> None:
    """Match the contract's receipts to its plans from scratch (see the module docstring)."""
    plans = list(PaymentPlan.objects.filter(contract=contract).order_by("due_date", "sequence"))
    receipts = list(Receipt.objects.filter(contract=contract).order_by("received_on", "id"))
    ReceiptAllocation.objects.filter(receipt__contract=contract).delete()
    open_amount = {plan.pk: plan.amount for plan in plans}
    received = dict.fromkeys(open_amount, Decimal(0))
    allocations = []
    for receipt in receipts:
        left = receipt.amount
        for plan in plans:
            if left <= 0:
                break
            take = min(left, open_amount[plan.pk])
            if take <= 0:
                continue
            allocations.append(ReceiptAllocation(receipt=receipt, plan=plan, amount=take))
            open_amount[plan.pk] -= take
            received[plan.pk] += take
            left -= take
        receipt.unapplied_amount = left
    ReceiptAllocation.objects.bulk_create(allocations)
    for plan in plans:
        plan.received_amount = received[plan.pk]
    PaymentPlan.objects.bulk_update(plans, ["received_amount"])
    Receipt.objects.bulk_update(receipts, ["unapplied_amount"])


def receipt_record(
    *,
    actor,
    contract_id: int,
    amount: Decimal,
    received_on: datetime.date,
    method: str = "bank",
    reference: str = "",
    note: str = "",
) -> Receipt:
    """Finance records money received (partial, full or more than planned)."""
    require(actor, "receipt", "add", _("没有登记回款的权限。"))
    if received_on and received_on > timezone.localdate():
        raise ValidationError({"received_on": _("到账日期不能晚于今天。")})
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get_in_scope(actor, "view", pk=contract_id)
        if contract.status not in RECEIVABLE:
            raise DomainError(_("合同批准后才能登记回款。"))
        receipt = Receipt(
            contract=contract,
            customer_id=contract.customer_id,
            amount=amount,
            received_on=received_on,
            method=method,
            reference=(reference or "").strip(),
            note=note or "",
            recorded_by=user_or_none(actor),
        )
        reject_sensitive({"note": receipt.note})
        receipt.full_clean(exclude=["contract", "customer", "recorded_by"])
        receipt.save()
        assign_number(receipt, "HK")
        reallocate(contract)
        receipt.refresh_from_db(fields=["unapplied_amount"])
        record(
            "receipt.record",
            actor=actor,
            contract=contract,
            amount=receipt.amount,
            note=receipt.number,
        )
        audit(actor=actor, action="receipt.record", obj=receipt, after=snapshot(receipt))
    return receipt


def receipt_delete(*, actor, receipt_id: int, reason: str) -> None:
    """冲销 a wrongly recorded receipt (the matching is recomputed)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写冲销原因。")})
    with transaction.atomic():
        receipt = Receipt.objects.select_for_update(of=("self",)).get_in_scope(
            actor, "delete", pk=receipt_id
        )
        contract = Contract.objects.select_for_update().get(pk=receipt.contract_id)
        record(
            "receipt.delete",
            actor=actor,
            contract=contract,
            amount=receipt.amount,
            note=f"{receipt.number} {reason}",
        )
        audit(
            actor=actor,
            action="receipt.delete",
            obj=receipt,
            before=snapshot(receipt),
            message=reason,
        )
        receipt.delete()
        reallocate(contract)


# --- credit limits --------------------------------------------------------------------------------


def credit_limit_set(
    *, actor, customer_id: int, credit_limit: Decimal, credit_rating: str, reason: str
) -> Customer:
    """Finance sets a customer's credit rating and limit (SPEC "Roles": finance records credit
    limits; it may not change the customer otherwise). 0 means no limit is set."""
    if not has_credit_right(actor):
        raise NotAllowed(_("没有设置信用额度的权限。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写调整原因。")})
    if credit_limit is None or credit_limit < 0:
        raise ValidationError({"credit_limit": _("信用额度不能为负数。")})
    if credit_rating and credit_rating not in CreditRating.values:
        raise ValidationError({"credit_rating": _("未知的信用等级。")})
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get_in_scope(actor, "view", pk=customer_id)
        before = snapshot(customer, ["credit_limit", "credit_rating"])
        Customer.objects.filter(pk=customer.pk).update(
            credit_limit=credit_limit, credit_rating=credit_rating or ""
        )
        customer.credit_limit, customer.credit_rating = credit_limit, credit_rating or ""
        audit(
            actor=actor,
            action="customer.credit",
            obj=customer,
            before=before,
            after=snapshot(customer, ["credit_limit", "credit_rating"]),
            message=reason,
        )
    return customer


def has_credit_right(user) -> bool:
    """Setting credit limits is part of recording receivables: the receipt change right."""
    from salesflow.core.scope import has_right

    return has_right(user, "receipt", "change")


# --- overdue warnings -----------------------------------------------------------------------------


def overdue_sweep(today: datetime.date | None = None) -> int:
    """Nightly: every open, overdue instalment (not bad debt) reminds its owner and the owner's
    manager once per aging bucket it enters. Idempotent (the reminder ledger decides)."""
    today = today or timezone.localdate()
    plans = (
        PaymentPlan.objects.filter(due_date__lt=today, bad_debt=False)
        .filter(received_amount__lt=F("amount"))
        .select_related("owner__manager", "customer", "contract")
        .order_by("due_date", "pk")
    )
    sent = 0
    for plan in plans.iterator(chunk_size=500):
        days = rules.days_overdue(plan.due_date, today)
        bucket = rules.aging_bucket(days)
        title = _("回款逾期 %(days)s 天：%(customer)s") % {"days": days, "customer": plan.customer}
        body = _(
            "%(plan)s 计划 %(due)s 回款 %(amount)s 元，尚欠 %(left)s 元（账龄 %(bucket)s）。"
        ) % {
            "plan": plan,
            "due": plan.due_date,
            "amount": plan.amount,
            "left": plan.outstanding,
            "bucket": rules.bucket_label(bucket),
        }
        sent += notify_people(
            owner_and_manager(plan.owner),
            key=f"deal.overdue:{plan.pk}:{bucket}",
            kind="receivable.overdue",
            title=title,
            body=body,
            url=reverse("deals:contract_detail", args=[plan.contract_id]),
        )
    return sent
