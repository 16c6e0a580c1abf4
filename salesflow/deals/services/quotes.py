"""Quotes (报价): lines from the catalog, totals and margin, discount approval, sending and the
customer's answer.

A quote whose largest line discount is above ``deal.discount_approval_threshold`` (exactly at
it is fine) cannot be sent or turned into a contract until a 销售经理 (and above the director
threshold a 销售总监 as well) approved it. Any edit of an approved or rejected quote takes it
back to draft, so an approval always covers exactly the lines it was given for.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.core.approvals import approval_request
from salesflow.core.audit import audit, snapshot
from salesflow.core.errors import DomainError, ValidationError
from salesflow.core.models import ApprovalRequest
from salesflow.core.pii import reject_sensitive
from salesflow.core.settings_registry import get_setting
from salesflow.customers.models import Customer
from salesflow.pipeline.models import Opportunity, OpportunityStatus

from .. import money, routing
from ..models import Product, Quote, QuoteLine, QuoteStatus
from .common import assign_number, move, record, require, user_or_none

APPROVAL_KIND = "quote_discount"
HEADER_FIELDS = ("title", "valid_until", "terms")
EDITABLE = (QuoteStatus.DRAFT, QuoteStatus.REJECTED, QuoteStatus.APPROVED)
USABLE = (QuoteStatus.APPROVED, QuoteStatus.SENT, QuoteStatus.ACCEPTED)
MAX_QUANTITY = Decimal("9999999999.99")
MAX_LINES = 200


@dataclass(frozen=True)
class LineInput:
    product: Product
    quantity: Decimal
    discount_pct: Decimal


def _decimal(value, field: str, errors: dict, index: int) -> Decimal | None:
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        errors[f"lines.{index}.{field}"] = _("请输入数字。")
        return None
    if not result.is_finite():
        errors[f"lines.{index}.{field}"] = _("请输入数字。")
        return None
    return result


def clean_lines(rows, *, allowed_product_ids: set[int] | None = None) -> list[LineInput]:
    """Check the typed lines: ``[{"product": id|Product, "quantity": …, "discount_pct": …}]``.
    Inactive products are refused unless already on the quote (``allowed_product_ids``)."""
    errors: dict[str, str] = {}
    rows = list(rows)
    if len(rows) > MAX_LINES:
        raise ValidationError({"lines": _("明细不能超过 %(n)s 行。") % {"n": MAX_LINES}})
    wanted = {
        row["product"].pk if isinstance(row["product"], Product) else int(row["product"])
        for row in rows
    }
    products = Product.objects.select_related("product_line").in_bulk(list(wanted))
    allowed_product_ids = allowed_product_ids or set()
    cleaned = []
    for index, row in enumerate(rows):
        pid = row["product"].pk if isinstance(row["product"], Product) else int(row["product"])
        product = products.get(pid)
        if product is None or (not product.is_active and pid not in allowed_product_ids):
            errors[f"lines.{index}.product"] = _("产品不存在或已停售。")
            continue
        quantity = _decimal(row.get("quantity"), "quantity", errors, index)
        discount = _decimal(row.get("discount_pct") or 0, "discount_pct", errors, index)
        if quantity is None or discount is None:
            continue
        if quantity <= 0 or quantity > MAX_QUANTITY or quantity != quantity.quantize(money.CENT):
            errors[f"lines.{index}.quantity"] = _("数量须大于0，最多两位小数。")
            continue
        if not (0 <= discount <= 100) or discount != discount.quantize(money.CENT):
            errors[f"lines.{index}.discount_pct"] = _("折扣须在 0–100 之间，最多两位小数。")
            continue
        cleaned.append(LineInput(product, quantity, discount))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _write_lines(quote: Quote, lines: list[LineInput]) -> None:
    """Replace the quote's lines (prices from the catalog now) and store the totals — the
    sums of the rounded lines."""
    quote.lines.all().delete()
    rows, amounts = [], []
    for position, line in enumerate(lines, start=1):
        product = line.product
        result = money.line_amounts(
            list_price=product.list_price,
            quantity=line.quantity,
            discount_pct=line.discount_pct,
            unit_cost=product.standard_cost,
        )
        if max(result.list_amount, result.cost_amount) > money.MAX_MONEY:
            raise ValidationError({f"lines.{position - 1}.quantity": _("金额超出上限。")})
        rows.append(
            QuoteLine(
                quote=quote,
                position=position,
                product=product,
                name=product.name,
                specs=product.specs,
                unit=product.unit,
                quantity=line.quantity,
                list_price=product.list_price,
                discount_pct=line.discount_pct,
                unit_cost=product.standard_cost,
                list_amount=result.list_amount,
                amount=result.net_amount,
                cost_amount=result.cost_amount,
            )
        )
        amounts.append((result, line.discount_pct))
    totals = money.totals(amounts)
    if totals.list_total > money.MAX_MONEY:
        raise ValidationError({"lines": _("报价合计超出上限。")})
    QuoteLine.objects.bulk_create(rows)
    quote.list_total, quote.total, quote.cost_total = (
        totals.list_total,
        totals.total,
        totals.cost_total,
    )
    quote.max_discount_pct = totals.max_discount_pct


def needs_approval(quote: Quote) -> bool:
    return bool(routing.quote_chain_codes(quote.max_discount_pct))


def is_usable(quote: Quote) -> bool:
    """May the quote be sent or become a contract?"""
    if quote.status in USABLE:
        return True
    return quote.status == QuoteStatus.DRAFT and not needs_approval(quote)


def _clean_header(quote: Quote) -> None:
    reject_sensitive({"title": quote.title, "terms": quote.terms})
    quote.full_clean(exclude=["owner", "customer", "opportunity", "approval", "created_by"])


def quote_create(
    *,
    actor,
    customer_id: int,
    data: dict,
    lines=(),
    opportunity_id: int | None = None,
) -> Quote:
    require(actor, "quote", "add", _("没有新建报价的权限。"))
    customer = Customer.objects.get_in_scope(actor, "view", pk=customer_id)
    opportunity = None
    if opportunity_id:
        opportunity = Opportunity.objects.get_in_scope(actor, "view", pk=opportunity_id)
        if opportunity.customer_id != customer.pk:
            raise ValidationError({"opportunity": _("商机不属于该客户。")})
        if opportunity.status == OpportunityStatus.LOST:
            raise ValidationError({"opportunity": _("已输单的商机不能报价。")})
    valid_until = data.get("valid_until") or (
        timezone.localdate() + datetime.timedelta(days=get_setting("deal.quote_validity_days"))
    )
    quote = Quote(
        customer=customer,
        opportunity=opportunity,
        owner=actor,
        created_by=user_or_none(actor),
        title=(data.get("title") or "").strip()
        or (opportunity.name if opportunity else customer.name),
        valid_until=valid_until,
        terms=data.get("terms") or "",
    )
    _clean_header(quote)
    cleaned = clean_lines(lines)
    with transaction.atomic():
        quote.save()
        assign_number(quote, "BJ")
        _write_lines(quote, cleaned)
        quote.save()
        record("quote.create", actor=actor, quote=quote, to_status=quote.status, amount=quote.total)
        audit(actor=actor, action="quote.create", obj=quote, after=snapshot(quote))
    return quote


def _lock(actor, quote_id: int, action: str = "change") -> Quote:
    return (
        Quote.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get_in_scope(actor, action, pk=quote_id)
    )


def quote_update(*, actor, quote_id: int, data: dict, lines=None) -> Quote:
    """Change the header and (when ``lines`` is given) replace the lines. An approved or
    rejected quote goes back to draft: its approval covered the old lines."""
    with transaction.atomic():
        quote = _lock(actor, quote_id)
        if quote.status not in EDITABLE:
            raise DomainError(
                _("“%(status)s”状态的报价不能修改。") % {"status": quote.get_status_display()}
            )
        before = snapshot(quote)
        for key in HEADER_FIELDS:
            if key in data:
                setattr(quote, key, data[key] if key != "terms" else (data[key] or ""))
        _clean_header(quote)
        if lines is not None:
            existing = set(quote.lines.values_list("product_id", flat=True))
            _write_lines(quote, clean_lines(lines, allowed_product_ids=existing))
        if quote.status != QuoteStatus.DRAFT:
            move(
                quote,
                QuoteStatus.DRAFT,
                labels=QuoteStatus,
                actor=actor,
                kind="quote.revise",
                quote=quote,
            )
            quote.approval = None
        quote.save()
        audit(actor=actor, action="quote.change", obj=quote, before=before, after=snapshot(quote))
    return quote


def quote_submit(*, actor, quote_id: int, reason: str) -> ApprovalRequest:
    """Ask for the discount approval (销售经理, and 销售总监 above the director threshold)."""
    with transaction.atomic():
        quote = _lock(actor, quote_id)
        if quote.status == QuoteStatus.REJECTED:
            raise DomainError(_("报价已被驳回，请修改后再提交。"))
        if quote.status != QuoteStatus.DRAFT:
            raise DomainError(_("只有草稿状态的报价可以提交审批。"))
        if not quote.lines.exists():
            raise DomainError(_("报价还没有明细。"))
        codes = routing.quote_chain_codes(quote.max_discount_pct)
        if not codes:
            raise DomainError(_("折扣未超过审批阈值，无需审批，可直接发送。"))
        route = routing.route(codes, obj=quote, object_type="quote", actor=actor)
        request = approval_request(
            actor=actor,
            obj=quote,
            kind=APPROVAL_KIND,
            object_type="quote",
            title=_("报价折扣审批：%(quote)s（最大折扣 %(pct)s%%）")
            % {"quote": quote, "pct": quote.max_discount_pct},
            reason=reason,
            chain=route.roles,
            payload={
                "max_discount_pct": str(quote.max_discount_pct),
                "total": str(quote.total),
                **route.payload(),
            },
        )
        move(
            quote,
            QuoteStatus.PENDING,
            labels=QuoteStatus,
            actor=actor,
            kind="quote.submit",
            quote=quote,
            amount=quote.total,
            note=route.note(),
        )
        quote.approval = request
        quote.save(update_fields=["status", "approval", "updated_at"])
        audit(actor=actor, action="quote.submit", obj=quote, message=reason)
    return request


def on_quote_decided(*, request: ApprovalRequest, actor) -> None:
    """Approval hook: the last approval approves the quote, a rejection or a withdrawal sends
    it back (rejected / draft)."""
    quote = Quote.objects.select_for_update().filter(pk=request.object_id).first()
    if quote is None or quote.approval_id != request.pk or quote.status != QuoteStatus.PENDING:
        return
    target = {
        ApprovalRequest.Status.APPROVED: QuoteStatus.APPROVED,
        ApprovalRequest.Status.REJECTED: QuoteStatus.REJECTED,
        ApprovalRequest.Status.CANCELLED: QuoteStatus.DRAFT,
    }.get(request.status)
    if target is None:
        return  # an intermediate step was approved
    move(
        quote,
        target,
        labels=QuoteStatus,
        actor=actor,
        kind=f"quote.{request.status}",
        quote=quote,
    )
    quote.save(update_fields=["status", "updated_at"])
    audit(actor=actor, action=f"quote.approval.{request.status}", obj=quote)


def quote_send(*, actor, quote_id: int) -> Quote:
    """Mark the quote as sent to the customer — refused while a discount above the threshold
    is not approved, and after its validity date."""
    with transaction.atomic():
        quote = _lock(actor, quote_id)
        if not quote.lines.exists():
            raise DomainError(_("报价还没有明细。"))
        if quote.status == QuoteStatus.DRAFT and needs_approval(quote):
            raise DomainError(
                _("最大折扣 %(pct)s%% 超过审批阈值，须审批通过后才能发送。")
                % {"pct": quote.max_discount_pct},
                code="approval",
            )
        if quote.valid_until < timezone.localdate():
            raise DomainError(_("报价已过有效期，请修改有效期后再发送。"))
        move(
            quote,
            QuoteStatus.SENT,
            labels=QuoteStatus,
            actor=actor,
            kind="quote.send",
            quote=quote,
            amount=quote.total,
        )
        quote.sent_at = timezone.now()
        quote.save(update_fields=["status", "sent_at", "updated_at"])
        audit(actor=actor, action="quote.send", obj=quote)
    return quote


def quote_answer(*, actor, quote_id: int, accepted: bool, note: str = "") -> Quote:
    """The customer's answer to a sent quote."""
    with transaction.atomic():
        quote = _lock(actor, quote_id)
        target = QuoteStatus.ACCEPTED if accepted else QuoteStatus.DECLINED
        move(
            quote,
            target,
            labels=QuoteStatus,
            actor=actor,
            kind="quote.answer",
            quote=quote,
            note=note,
        )
        quote.closed_at = timezone.now()
        quote.save(update_fields=["status", "closed_at", "updated_at"])
        audit(actor=actor, action=f"quote.{target}", obj=quote, message=note)
    return quote
