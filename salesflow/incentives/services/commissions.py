"""Commission statements (提成结算单): per rep and period, one line per receipt (or order) with
its base, rate and commission; a tier multiplier by target completion; a cap; and negative
lines for receipts reversed after their statement was approved. Money is Decimal throughout,
rounded to the cent half-up once per line and once per total. See ``docs/incentives.md``."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.core import approvals
from salesflow.core.audit import audit
from salesflow.core.errors import DomainError, ValidationError
from salesflow.core.models import ApprovalRequest
from salesflow.customers.models import Tier
from salesflow.deals.models import COUNTED_ORDER_STATUSES, Order, Receipt

from ..models import (
    CommissionBase,
    CommissionPlan,
    CommissionStatement,
    LineKind,
    StatementLine,
    StatementStatus,
)
from . import scorecards
from .common import HUNDRED, check_period, money

User = get_user_model()
APPROVAL_KIND = "commission_statement"
KEY_TIERS = (Tier.VIP, Tier.KEY)


# --- pure rules -------------------------------------------------------------------------------


def tier_multiplier(tiers, completion: Decimal | None) -> Decimal:
    """The multiplier of the highest tier whose lower bound (in %, inclusive) the exact
    completion (a ratio, 0.9999 = 99.99%) reaches: with tiers at 80 and 100, 99.99% gets the
    80 tier and 100% the 100 tier. No completion (no target) or no tier reached: 1."""
    if completion is None:
        return Decimal(1)
    percent = Decimal(completion) * HUNDRED
    best = None
    for tier in sorted(tiers, key=lambda t: Decimal(t.min_completion)):
        if percent >= Decimal(tier.min_completion):
            best = tier
    return Decimal(best.multiplier) if best is not None else Decimal(1)


def customer_type_of(customer, date_from, date_to) -> str:
    """ "key" for a VIP or key customer; else "new" when the first deal falls in the period
    (or is unknown); else "old" — the targets module's definition."""
    if customer.tier in KEY_TIERS:
        return "key"
    first = customer.first_deal_at
    if first is None:
        return "new"
    day = timezone.localtime(first).date()
    return "new" if date_from <= day <= date_to else "old"


def pick_rate(rates, line_ids: list[int], customer_type: str, default: Decimal):
    """The most specific rate row: product line and customer type > product line > customer
    type > the plan's default. Among the opportunity's lines the first (by id) that matches
    wins. Returns (rate, product line id or None)."""
    best, best_rank = None, 0
    for rate in rates:
        line_ok = rate.product_line_id is None or rate.product_line_id in line_ids
        type_ok = not rate.customer_type or rate.customer_type == customer_type
        if not (line_ok and type_ok):
            continue
        rank = (2 if rate.product_line_id else 0) + (1 if rate.customer_type else 0)
        if rank > best_rank or (
            rank == best_rank
            and best is not None
            and rate.product_line_id
            and line_ids.index(rate.product_line_id) < line_ids.index(best.product_line_id)
        ):
            best, best_rank = rate, rank
    if best is None:
        return Decimal(default), None
    return Decimal(best.rate), best.product_line_id


# --- the base rows -------------------------------------------------------------------------------


def _base_rows(plan: CommissionPlan, person, date_from, date_to) -> list[dict]:
    """The receipts (or counted orders) of the rep in the period, with what the rate needs."""
    if plan.base == CommissionBase.COLLECTED:
        qs = (
            Receipt.objects.filter(
                contract__owner=person, received_on__gte=date_from, received_on__lte=date_to
            )
            .select_related("customer", "contract__opportunity")
            .prefetch_related("contract__opportunity__product_lines")
            .order_by("received_on", "id")
        )
        return [
            {
                "kind": LineKind.RECEIPT,
                "receipt_id": r.pk,
                "order": None,
                "contract": r.contract,
                "reference": r.number or f"#{r.pk}",
                "customer": r.customer,
                "on_date": r.received_on,
                "opportunity": r.contract.opportunity,
                "base": r.amount,
            }
            for r in qs
        ]
    qs = (
        Order.objects.filter(
            owner=person,
            status__in=COUNTED_ORDER_STATUSES,
            order_date__gte=date_from,
            order_date__lte=date_to,
        )
        .select_related("customer", "contract", "opportunity")
        .prefetch_related("opportunity__product_lines")
        .order_by("order_date", "id")
    )
    return [
        {
            "kind": LineKind.ORDER,
            "receipt_id": None,
            "order": o,
            "contract": o.contract,
            "reference": o.number or f"#{o.pk}",
            "customer": o.customer,
            "on_date": o.order_date,
            "opportunity": o.opportunity,
            "base": o.amount,
        }
        for o in qs
    ]


def _line_names(ids) -> dict[int, str]:
    from salesflow.pipeline.models import ProductLine

    return dict(ProductLine.objects.filter(pk__in=list(ids)).values_list("id", "name"))


def _reversible_lines(plan, person):
    """Receipt lines of the rep's approved statements whose receipt no longer exists (reversed
    after approval) and that no statement has reversed yet."""
    return (
        StatementLine.objects.filter(
            statement__plan=plan,
            statement__owner=person,
            statement__status=StatementStatus.APPROVED,
            kind=LineKind.RECEIPT,
            reversed_by__isnull=True,
            receipt_id__isnull=False,
        )
        .exclude(receipt_id__in=Receipt.objects.values("id"))
        .select_related("statement")
        .order_by("on_date", "id")
    )


def completion_for(plan, person, date_from, date_to):
    """(target, actual, exact completion ratio) of the rep's own target of the plan's base
    metric (collected payments or sales amount) for the period; None without a target."""
    metric = "collected" if plan.base == CommissionBase.COLLECTED else "sales_amount"
    target = scorecards.personal_target(person, metric, date_from, date_to)
    actual = scorecards.result_actuals(person, date_from, date_to)[metric]
    return target, actual, (Decimal(actual) / Decimal(target) if target else None)


# --- services -------------------------------------------------------------------------------


def statement_compute(*, actor, plan_id: int, person_ids, date_from, date_to) -> list:
    """Compute (or recompute) the statements of the reps for the period; submitted and approved
    statements are left as they are."""
    from salesflow.core.scope import owner_ids_for

    check_period(date_from, date_to)
    plan = CommissionPlan.objects.get(pk=plan_id, is_active=True)
    allowed = owner_ids_for(actor, "commission", "add")
    people = list(User.objects.filter(pk__in=list(person_ids), is_active=True))
    if allowed is not None:
        people = [p for p in people if p.pk in allowed]
    return [_compute_one(actor, plan, p, date_from, date_to) for p in people]


def _compute_one(actor, plan, person, date_from, date_to) -> CommissionStatement:
    with transaction.atomic():
        statement, _created = CommissionStatement.objects.select_for_update().get_or_create(
            plan=plan, owner=person, period_start=date_from, period_end=date_to
        )
        if not statement.is_editable:
            return statement
        recompute(statement)
        audit(
            actor=actor,
            action="commission.compute",
            obj=statement,
            after={"total": str(statement.total)},
        )
    return statement


def recompute(statement: CommissionStatement) -> CommissionStatement:
    """Rebuild an editable statement's lines and totals from the data (inside a transaction)."""
    plan, person = statement.plan, statement.owner
    date_from, date_to = statement.period_start, statement.period_end
    statement.lines.all().delete()
    rates = list(plan.rates.all())
    tiers = list(plan.tiers.all())
    rows = _base_rows(plan, person, date_from, date_to)
    line_ids_by_row = [
        sorted(pl.pk for pl in row["opportunity"].product_lines.all()) if row["opportunity"] else []
        for row in rows
    ]
    names = _line_names({i for ids in line_ids_by_row for i in ids})
    lines, base_total, gross = [], Decimal(0), Decimal(0)
    for row, line_ids in zip(rows, line_ids_by_row, strict=True):
        ctype = customer_type_of(row["customer"], date_from, date_to)
        rate, line_id = pick_rate(rates, line_ids, ctype, plan.default_rate)
        amount = money(Decimal(row["base"]) * rate / HUNDRED)
        base_total += Decimal(row["base"])
        gross += amount
        lines.append(
            StatementLine(
                statement=statement,
                kind=row["kind"],
                receipt_id=row["receipt_id"],
                order=row["order"],
                contract=row["contract"],
                reference=row["reference"][:60],
                customer_name=row["customer"].name[:200],
                on_date=row["on_date"],
                product_line=names.get(line_id or (line_ids[0] if line_ids else 0), ""),
                customer_type=ctype,
                base_amount=money(row["base"]),
                rate=rate,
                amount=amount,
            )
        )
    adjustments = Decimal(0)
    for old in _reversible_lines(plan, person):
        paid = money(old.amount * old.statement.multiplier)
        adjustments -= paid
        lines.append(
            StatementLine(
                statement=statement,
                kind=LineKind.REVERSAL,
                receipt_id=old.receipt_id,
                contract_id=old.contract_id,
                reference=old.reference,
                customer_name=old.customer_name,
                on_date=old.on_date,
                product_line=old.product_line,
                customer_type=old.customer_type,
                base_amount=-old.base_amount,
                rate=old.rate,
                amount=-paid,
                reverses=old,
            )
        )
    StatementLine.objects.bulk_create(lines)
    target, actual, completion = completion_for(plan, person, date_from, date_to)
    multiplier = tier_multiplier(tiers, completion)
    commission = money(gross * multiplier)
    capped = plan.cap is not None and commission > plan.cap
    if capped:
        commission = money(plan.cap)
    statement.base_total = money(base_total)
    statement.gross = money(gross)
    statement.target_value = target
    statement.target_actual = actual
    # shown truncated to 0.01% (99.995% shows 99.99%, never a 100% that was not reached)
    statement.completion = (
        None if completion is None else completion.quantize(Decimal("0.0001"), ROUND_DOWN)
    )
    statement.multiplier = multiplier
    statement.capped = capped
    statement.commission = commission
    statement.adjustments = money(adjustments)
    statement.total = money(commission + adjustments)
    statement.computed_at = timezone.now()
    statement.save()
    return statement


def statement_submit(*, actor, statement_id: int, reason: str = "") -> CommissionStatement:
    """Recompute from the current data, then send to the sales director for approval."""
    from salesflow.org.models import Role

    with transaction.atomic():
        statement = CommissionStatement.objects.select_for_update().get_in_scope(
            actor, "change", pk=statement_id
        )
        if not statement.is_editable:
            raise DomainError(_("该结算单已提交或已批准。"))
        recompute(statement)
        chain = list(Role.objects.filter(code="sales_director"))
        request = approvals.approval_request(
            actor=actor,
            obj=statement,
            kind=APPROVAL_KIND,
            object_type="commission",
            title=_("提成结算单 %(who)s %(start)s~%(end)s")
            % {
                "who": statement.owner,
                "start": statement.period_start,
                "end": statement.period_end,
            },
            reason=reason or _("提交本期提成结算单审批"),
            chain=chain,
        )
        statement.approval = request
        statement.status = StatementStatus.IN_APPROVAL
        statement.save(update_fields=["approval", "status"])
        audit(actor=actor, action="commission.submit", obj=statement)
    return statement


def on_decided(*, request: ApprovalRequest, actor) -> None:
    statement = CommissionStatement.objects.filter(pk=request.object_id).first()
    if statement is None or statement.approval_id != request.pk:
        return
    if request.status == ApprovalRequest.Status.APPROVED:
        statement.status = StatementStatus.APPROVED
    elif request.status in (ApprovalRequest.Status.REJECTED, ApprovalRequest.Status.CANCELLED):
        statement.status = StatementStatus.REJECTED
    else:
        return
    statement.save(update_fields=["status"])


def refresh_open_statements(owner_id: int | None) -> int:
    """Recompute the rep's draft and rejected statements (oldest period first), after one of
    their receipts was recorded or reversed: a reversal of an approved statement's receipt
    lands as a negative line in the earliest open statement."""
    if owner_id is None:
        return 0
    open_ones = list(
        CommissionStatement.objects.select_for_update()
        .filter(owner_id=owner_id, status__in=[StatementStatus.DRAFT, StatementStatus.REJECTED])
        .select_related("plan", "owner")
        .order_by("period_start", "id")[:24]
    )
    for statement in open_ones:
        recompute(statement)
    return len(open_ones)


def on_receipt_changed(sender, instance, **kwargs) -> None:
    """``post_save``/``post_delete`` of a receipt (recorded, or 冲销 in 回款)."""
    from salesflow.deals.models import Contract

    owner_id = (
        Contract.objects.filter(pk=instance.contract_id).values_list("owner_id", flat=True).first()
    )
    with transaction.atomic():
        refresh_open_statements(owner_id)


def plan_check(plan: CommissionPlan) -> None:
    tiers = list(plan.tiers.all())
    if len({t.min_completion for t in tiers}) != len(tiers):
        raise ValidationError({"tiers": _("阶梯下限不能重复。")})
