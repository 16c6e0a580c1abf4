"""Orders (订单) from signed contracts, delivery/fulfilment status, and the two credit rules:
a new order that would push the customer's receivables over the credit limit is held for
approval, and a sharp change of the customer's monthly order amount raises a warning."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.core.approvals import approval_request
from salesflow.core.audit import audit, snapshot
from salesflow.core.errors import DomainError, ValidationError
from salesflow.core.models import ApprovalRequest
from salesflow.core.pii import reject_sensitive
from salesflow.core.settings_registry import get_setting
from salesflow.customers.models import Customer

from .. import money, routing
from ..models import (
    COUNTED_ORDER_STATUSES,
    Contract,
    ContractStatus,
    Order,
    OrderStatus,
    RiskEvent,
    RiskKind,
)
from ..selectors import customer_receivable
from .common import assign_number, move, notify_people, owner_and_manager, record, require

CREDIT_APPROVAL_KIND = "order_credit"
ORDERABLE_CONTRACTS = (ContractStatus.SIGNED,)


class CreditLimitExceeded(DomainError):
    """The order would push the customer's receivables over its credit limit; it can still be
    placed, on hold, with a reason for the credit approval."""

    def __init__(self, *, receivable: Decimal, amount: Decimal, limit: Decimal):
        super().__init__(
            _(
                "客户当前应收 %(receivable)s 元，加上本订单 %(amount)s 元将超过信用额度 "
                "%(limit)s 元。请填写理由提交信用审批，审批通过后订单才会生效。"
            )
            % {"receivable": receivable, "amount": amount, "limit": limit},
            code="credit_limit",
        )
        self.receivable, self.amount, self.limit = receivable, amount, limit


@dataclass
class OrderResult:
    order: Order
    warnings: list[str] = field(default_factory=list)


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _previous_month(month: datetime.date) -> datetime.date:
    return (month - datetime.timedelta(days=1)).replace(day=1)


def _next_month(month: datetime.date) -> datetime.date:
    return (month + datetime.timedelta(days=32)).replace(day=1)


def month_order_amount(customer_id: int, month: datetime.date) -> Decimal:
    total = (
        Order.objects.filter(
            customer_id=customer_id,
            status__in=COUNTED_ORDER_STATUSES,
            order_date__gte=month,
            order_date__lt=_next_month(month),
        )
        .aggregate(total=Sum("amount"))
        .get("total")
    )
    return total or Decimal(0)


def order_change_check(
    *, customer_id: int, month: datetime.date, rises_only: bool = False
) -> RiskEvent | None:
    """Compare the customer's order amount of ``month`` with the month before; a change of at
    least ``deal.order_change_warning_pct`` percent (either way; only rises while the month is
    still running) is a warning to the owner and their manager, once per customer, month and
    direction. Nothing before (0) is not a change."""
    month = _month_start(month)
    current = month_order_amount(customer_id, month)
    previous = month_order_amount(customer_id, _previous_month(month))
    pct = money.change_pct(previous, current)
    threshold = get_setting("deal.order_change_warning_pct")
    if pct is None or abs(pct) < threshold or (rises_only and pct < 0):
        return None
    customer = Customer.all_objects.select_related("owner__manager").get(pk=customer_id)
    direction = _("增加") if pct > 0 else _("减少")
    shown = money.shown_pct(abs(pct))
    message = _(
        "%(customer)s %(month)s 订单额 %(current)s 元，较上月 %(previous)s 元%(dir)s %(pct)s%%"
    ) % {
        "customer": customer.name,
        "month": f"{month:%Y-%m}",
        "current": current,
        "previous": previous,
        "dir": direction,
        "pct": shown,
    }
    event, _created = RiskEvent.objects.update_or_create(
        customer=customer,
        kind=RiskKind.ORDER_CHANGE,
        period=f"{month:%Y-%m}",
        defaults={
            "amount": current,
            "reference_amount": previous,
            "change_pct": money.shown_pct(pct, "0.01"),
            "message": message[:300],
            "created_at": timezone.now(),
        },
    )
    notify_people(
        owner_and_manager(customer.owner),
        key=f"deal.order_change:{customer.pk}:{month:%Y-%m}:{'up' if pct > 0 else 'down'}",
        kind="customer.credit",
        title=_("月订单额突变：%(customer)s") % {"customer": customer.name},
        body=message,
        url=reverse("deals:risk"),
    )
    return event


def _check_credit(customer: Customer, amount: Decimal) -> CreditLimitExceeded | None:
    """A limit of 0 means "not set": no check (finance sets limits on the credit page)."""
    limit = customer.credit_limit or Decimal(0)
    if limit <= 0:
        return None
    receivable = customer_receivable(customer.pk)
    if receivable + amount > limit:
        return CreditLimitExceeded(receivable=receivable, amount=amount, limit=limit)
    return None


def order_create(*, actor, contract_id: int, data: dict, credit_reason: str = "") -> OrderResult:
    """An order from a signed contract (its customer, opportunity and owner). The orders of a
    contract never exceed its amount. Over the credit limit the order is refused with
    ``CreditLimitExceeded`` — unless a reason is given, then it is created on hold and a credit
    approval is requested."""
    require(actor, "order", "add", _("没有新建订单的权限。"))
    credit_reason = (credit_reason or "").strip()
    with transaction.atomic():
        contract = (
            Contract.objects.select_for_update(of=("self",))
            .select_related("customer")
            .get_in_scope(actor, "view", pk=contract_id)
        )
        if contract.status not in ORDERABLE_CONTRACTS:
            raise DomainError(_("只有已签署的合同可以下订单。"))
        customer = Customer.all_objects.select_for_update().get(pk=contract.customer_id)
        order = Order(
            contract=contract,
            customer=customer,
            opportunity_id=contract.opportunity_id,
            owner_id=contract.owner_id,
            amount=data.get("amount"),
            order_date=data.get("order_date") or timezone.localdate(),
            planned_delivery_on=data.get("planned_delivery_on"),
            delivery_note=data.get("delivery_note") or "",
            created_by=actor,
        )
        reject_sensitive({"delivery_note": order.delivery_note})
        order.full_clean(
            exclude=[
                "contract",
                "customer",
                "opportunity",
                "owner",
                "created_by",
                "credit_approval",
            ]
        )
        placed = (
            contract.orders.exclude(status=OrderStatus.CANCELLED)
            .aggregate(total=Sum("amount"))
            .get("total")
        ) or Decimal(0)
        if placed + order.amount > contract.amount:
            raise ValidationError(
                {
                    "amount": _("合同剩余可下单金额为 %(left)s 元。")
                    % {"left": contract.amount - placed}
                }
            )
        over = _check_credit(customer, order.amount)
        if over is not None and not credit_reason:
            raise over
        order.status = OrderStatus.CREDIT_HOLD if over else OrderStatus.PENDING
        order.save()
        assign_number(order, "DD")
        record(
            "order.create",
            actor=actor,
            order=order,
            contract=contract,
            to_status=order.status,
            amount=order.amount,
        )
        audit(actor=actor, action="order.create", obj=order, after=snapshot(order))
        result = OrderResult(order)
        if over:
            _hold_for_credit(actor, order, customer, over, credit_reason)
            result.warnings.append(over.message)
        else:
            result.warnings += _order_counted(actor, order)
    return result


def _hold_for_credit(actor, order, customer, over: CreditLimitExceeded, reason: str) -> None:
    route = routing.route(routing.credit_chain_codes(), obj=order, object_type="order", actor=actor)
    request = approval_request(
        actor=actor,
        obj=order,
        kind=CREDIT_APPROVAL_KIND,
        object_type="order",
        title=_("超信用额度订单：%(customer)s %(order)s（%(amount)s 元）")
        % {"customer": customer.name, "order": order.number, "amount": order.amount},
        reason=reason,
        chain=route.roles,
        payload={
            "receivable": str(over.receivable),
            "amount": str(over.amount),
            "limit": str(over.limit),
            **route.payload(),
        },
    )
    Order.objects.filter(pk=order.pk).update(credit_approval=request)
    order.credit_approval = request
    RiskEvent.objects.create(
        customer=customer,
        kind=RiskKind.OVER_LIMIT,
        period=f"{order.order_date:%Y-%m-%d}",
        amount=over.receivable + over.amount,
        reference_amount=over.limit,
        message=str(over.message)[:300],
        order=order,
    )
    notify_people(
        owner_and_manager(order.owner),
        key=f"deal.credit:{order.pk}",
        kind="customer.credit",
        title=_("订单超出信用额度：%(customer)s") % {"customer": customer.name},
        body=over.message,
        url=reverse("deals:order_detail", args=[order.pk]),
    )


def _order_counted(actor, order: Order) -> list[str]:
    """An order became real business: purchases (ABC grade), first deal, monthly change."""
    from .receivables import customer_refresh_purchases

    customer_refresh_purchases(
        customer_id=order.customer_id,
        first_deal_at=_order_moment(order.order_date),
        actor=actor,
        reason=_("订单 %(n)s") % {"n": order.number},
    )
    warning = order_change_check(
        customer_id=order.customer_id, month=order.order_date, rises_only=True
    )
    return [warning.message] if warning else []


def _order_moment(day: datetime.date) -> datetime.datetime:
    if day >= timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def on_credit_decided(*, request: ApprovalRequest, actor) -> None:
    order = Order.objects.select_for_update().filter(pk=request.object_id).first()
    if (
        order is None
        or order.credit_approval_id != request.pk
        or order.status != OrderStatus.CREDIT_HOLD
    ):
        return
    if request.status == ApprovalRequest.Status.PENDING:
        return
    approved = request.status == ApprovalRequest.Status.APPROVED
    target = OrderStatus.PENDING if approved else OrderStatus.CANCELLED
    move(
        order,
        target,
        labels=OrderStatus,
        actor=actor,
        kind=f"order.credit_{request.status}",
        order=order,
        contract_id=order.contract_id,
    )
    order.save(update_fields=["status", "updated_at"])
    audit(actor=actor, action=f"order.credit.{request.status}", obj=order)
    if approved:
        _order_counted(actor, order)


DATE_FOR_STATUS = {
    OrderStatus.SHIPPED: "shipped_on",
    OrderStatus.PARTIAL: "shipped_on",
    OrderStatus.DELIVERED: "delivered_on",
}


def order_update_delivery(*, actor, order_id: int, data: dict) -> Order:
    """履约: move the delivery status on (dates default to today) and keep the planned and
    actual dates and the note. Cancelling needs a note and gives the amount back to the
    contract, the customer's purchases and receivables."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get_in_scope(actor, "change", pk=order_id)
        before = snapshot(order)
        status = data.get("status") or order.status
        note = (data.get("delivery_note") or "").strip()
        for key in ("planned_delivery_on", "shipped_on", "delivered_on"):
            if key in data:
                setattr(order, key, data[key])
        if note:
            reject_sensitive({"delivery_note": note})
            order.delivery_note = note
        if status != order.status:
            if order.status == OrderStatus.CREDIT_HOLD:
                raise DomainError(_("订单在信用审批中，审批通过后才能发货。"))
            if status == OrderStatus.CANCELLED and not note:
                raise ValidationError({"delivery_note": _("取消订单须填写说明。")})
            move(
                order,
                status,
                labels=OrderStatus,
                actor=actor,
                kind="order.delivery",
                order=order,
                note=note,
            )
            date_field = DATE_FOR_STATUS.get(status)
            if date_field and getattr(order, date_field) is None:
                setattr(order, date_field, timezone.localdate())
            if status == OrderStatus.DELIVERED and order.shipped_on is None:
                order.shipped_on = order.delivered_on
        if order.shipped_on and order.delivered_on and order.delivered_on < order.shipped_on:
            raise ValidationError({"delivered_on": _("交付日期不能早于发货日期。")})
        order.save()
        audit(actor=actor, action="order.delivery", obj=order, before=before, after=snapshot(order))
        if status == OrderStatus.CANCELLED:
            from .receivables import customer_refresh_purchases

            customer_refresh_purchases(
                customer_id=order.customer_id,
                actor=actor,
                reason=_("订单取消 %(n)s") % {"n": order.number},
            )
    return order
