"""Demo deals of 华信智能装备有限公司: the product catalog of its three lines and, for every won
demo opportunity, a signed contract with the opportunity's amount, an order, a payment plan in
three instalments and the receipts of the past year — most paid on time, some overdue in each
aging bucket (0–30 / 31–60 / 61–90 / 90+ days) and one bad debt. Customers' 12-month purchases
and grades are recomputed from those orders at the end.

Idempotent: products are looked up by line and name; the deals are created only for won
opportunities that have no contract yet. Without won opportunities the step only seeds the
catalog. Rows are written directly (dated in the past, which the services refuse for good
reason) and each gets its events; matching and grading go through the real functions.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from salesflow.org import demo
from salesflow.pipeline.models import Opportunity, OpportunityStatus, ProductLine

from . import rules
from .models import (
    Contract,
    ContractStatus,
    DealEvent,
    Order,
    OrderStatus,
    PaymentPlan,
    Product,
    Receipt,
    ReceiptMethod,
)
from .services.receivables import customer_refresh_purchases, reallocate

D = Decimal
#: line → [(name, code, unit, list price, standard cost, specs)]
CATALOG = {
    "智能装备": [
        (
            "六轴焊接机器人",
            "HX-W6",
            "台",
            "168000",
            "105000",
            "负载 10kg，臂展 1.45m，含焊接电源与示教器",
        ),
        (
            "视觉检测工作站",
            "HX-V2",
            "套",
            "86000",
            "48000",
            "500 万像素工业相机 ×2，检测节拍 ≤ 1.2s",
        ),
        ("AGV 搬运车", "HX-A1", "台", "128000", "80000", "激光导航，载重 1t，含调度系统接入"),
        ("柔性装配线（定制）", "HX-FL", "条", "980000", "650000", "按客户产品定制，含安装调试"),
    ],
    "工业软件": [
        (
            "MES 制造执行系统（标准版）",
            "HX-MES",
            "套",
            "280000",
            "60000",
            "生产计划、工单、报工、看板",
        ),
        ("设备联网平台（年）", "HX-IOT", "年", "60000", "12000", "100 台设备接入，含数据看板"),
        ("质量追溯模块", "HX-QT", "套", "45000", "9000", "批次追溯、质检记录、SPC"),
    ],
    "运维服务": [
        ("年度维保服务", "HX-SV1", "年", "36000", "18000", "季度巡检，7×24 电话支持，4 小时响应"),
        ("驻场工程师", "HX-SV2", "人月", "25000", "15000", "驻场运维与工艺支持"),
        ("操作培训", "HX-TR", "人天", "3000", "1200", "设备操作与日常保养培训"),
    ],
}
#: instalments: (share of the contract, days after signing)
INSTALMENTS = [(D("0.30"), 15), (D("0.60"), 75), (D("0.10"), 200)]
OVERDUE_KEYS = ["bad_debt", "90+", "61-90", "31-60", "0-30"]


def seed_deals(ctx: demo.SeedContext) -> None:
    _seed_products(ctx)
    won = list(
        Opportunity.objects.filter(status=OpportunityStatus.WON, contracts__isnull=True)
        .exclude(amount__lte=0)
        .select_related("customer", "owner")
        .order_by("closed_at", "pk")
    )
    if not won:
        ctx.log("deals: no won opportunities without a contract — catalog only")
        return
    finance = ctx.users.get("finance.1")
    today = timezone.localdate()
    plans: list[PaymentPlan] = []
    for opp in won:
        contract = _contract(ctx, opp, today)
        _order(ctx, contract, today)
        plans += _plans(ctx, contract)
    unpaid = _choose_unpaid(plans, today)
    for contract_id, contract_plans in _by_contract(plans).items():
        _receipts(ctx, contract_plans, unpaid, finance, today)
        reallocate(Contract.objects.get(pk=contract_id))
    bad = unpaid.get("bad_debt")
    if bad is not None:
        PaymentPlan.objects.filter(pk=bad.pk).update(
            bad_debt=True,
            bad_debt_at=timezone.now(),
            bad_debt_reason="客户经营困难，多次催收无果（演示数据）",
        )
    for customer_id in sorted({opp.customer_id for opp in won}):
        first = min(
            c.signed_on for c in Contract.objects.filter(customer_id=customer_id) if c.signed_on
        )
        customer_refresh_purchases(
            customer_id=customer_id, first_deal_at=_moment(first), reason="演示数据"
        )
    ctx.log(f"deals: {len(won)} contracts with orders, {len(plans)} instalments")


def _seed_products(ctx) -> None:
    for line_name, products in CATALOG.items():
        line, _ = ProductLine.objects.get_or_create(name=line_name)
        for name, code, unit, price, cost, specs in products:
            _product, created = Product.objects.get_or_create(
                product_line=line,
                name=name,
                defaults={
                    "code": code,
                    "unit": unit,
                    "list_price": D(price),
                    "standard_cost": D(cost),
                    "specs": specs,
                },
            )
            if created:
                ctx.count("products")


def _moment(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def _contract(ctx, opp: Opportunity, today: datetime.date) -> Contract:
    closed = timezone.localdate(opp.closed_at) if opp.closed_at else today
    signed_on = min(closed, today)
    contract = Contract.objects.create(
        title=opp.name,
        customer=opp.customer,
        opportunity=opp,
        owner=opp.owner,
        amount=opp.amount,
        status=ContractStatus.SIGNED,
        signed_on=signed_on,
        start_on=signed_on,
        end_on=signed_on + datetime.timedelta(days=365),
        terms="质保期一年；验收合格后开具增值税专用发票。",
        payment_terms="预付 30%，验收后付 60%，质保金 10% 于质保期满后支付。",
        created_by=opp.owner,
        created_at=_moment(signed_on - datetime.timedelta(days=5)),
    )
    contract.number = f"HT-{signed_on:%Y%m%d}-{contract.pk:05d}"
    Contract.objects.filter(pk=contract.pk).update(number=contract.number)
    DealEvent.objects.bulk_create(
        [
            DealEvent(
                kind="contract.create",
                contract=contract,
                to_status="draft",
                amount=contract.amount,
                actor=opp.owner,
                at=contract.created_at,
                note="演示数据",
            ),
            DealEvent(
                kind="contract.sign",
                contract=contract,
                from_status="approved",
                to_status="signed",
                amount=contract.amount,
                actor=opp.owner,
                at=_moment(signed_on),
            ),
        ]
    )
    ctx.count("contracts")
    return contract


def _order(ctx, contract: Contract, today: datetime.date) -> Order:
    order_date = min(contract.signed_on + datetime.timedelta(days=ctx.random.randint(0, 7)), today)
    age = (today - order_date).days
    shipped = order_date + datetime.timedelta(days=20) if age > 20 else None
    delivered = order_date + datetime.timedelta(days=45) if age > 45 else None
    status = (
        OrderStatus.DELIVERED
        if delivered
        else OrderStatus.SHIPPED
        if shipped
        else OrderStatus.PENDING
    )
    order = Order.objects.create(
        contract=contract,
        customer_id=contract.customer_id,
        opportunity_id=contract.opportunity_id,
        owner_id=contract.owner_id,
        amount=contract.amount,
        order_date=order_date,
        status=status,
        planned_delivery_on=order_date + datetime.timedelta(days=45),
        shipped_on=shipped,
        delivered_on=delivered,
        created_by_id=contract.owner_id,
        created_at=_moment(order_date),
    )
    order.number = f"DD-{order_date:%Y%m%d}-{order.pk:05d}"
    Order.objects.filter(pk=order.pk).update(number=order.number)
    DealEvent.objects.create(
        kind="order.create",
        order=order,
        contract=contract,
        to_status=status,
        amount=order.amount,
        actor=contract.owner,
        at=_moment(order_date),
    )
    ctx.count("orders")
    return order


def _plans(ctx, contract: Contract) -> list[PaymentPlan]:
    rows, left = [], contract.amount
    for sequence, (share, days) in enumerate(INSTALMENTS, start=1):
        amount = (
            left if sequence == len(INSTALMENTS) else (contract.amount * share).quantize(D("0.01"))
        )
        left -= amount
        rows.append(
            PaymentPlan(
                contract=contract,
                customer_id=contract.customer_id,
                sequence=sequence,
                due_date=contract.signed_on + datetime.timedelta(days=days),
                amount=amount,
                owner_id=contract.owner_id,
                created_by_id=contract.owner_id,
            )
        )
    ctx.count("payment plans", len(rows))
    return PaymentPlan.objects.bulk_create(rows)


def _by_contract(plans):
    grouped: dict[int, list[PaymentPlan]] = {}
    for plan in plans:
        grouped.setdefault(plan.contract_id, []).append(plan)
    return grouped


def _choose_unpaid(plans, today) -> dict[str, PaymentPlan]:
    """One unpaid instalment per aging bucket (the oldest candidates, one per contract), and
    the oldest one of more than 90 days as the bad debt."""
    chosen: dict[str, PaymentPlan] = {}
    contracts: set[int] = set()
    for plan in sorted(plans, key=lambda p: (p.due_date, p.pk)):
        days = rules.days_overdue(plan.due_date, today)
        if days < 1 or plan.contract_id in contracts:
            continue
        bucket = rules.aging_bucket(days)
        key = "bad_debt" if bucket == "90+" and "bad_debt" not in chosen else bucket
        if key not in chosen:
            chosen[key] = plan
            contracts.add(plan.contract_id)
    return chosen


def _receipts(ctx, plans, unpaid, finance, today) -> None:
    """Receipts of the due instalments, oldest first; a customer who left one instalment
    unpaid (perhaps paid half of it) has paid nothing after it either — receipts are matched
    oldest due date first, so a later payment would have settled the older debt."""
    unpaid_ids = {p.pk for p in unpaid.values()}
    rows = []
    for plan in sorted(plans, key=lambda p: p.due_date):
        if plan.due_date > today:
            continue
        if plan.pk in unpaid_ids:
            if ctx.random.random() < 0.5:  # a partial payment on some of the overdue ones
                rows.append(
                    _receipt(plan, (plan.amount / 2).quantize(D("0.01")), plan.due_date, finance)
                )
            break
        late = ctx.random.choice([0, 0, 3, 7, 12, 25])
        day = min(plan.due_date + datetime.timedelta(days=late), today)
        rows.append(_receipt(plan, plan.amount, day, finance))
    for receipt in rows:
        receipt.save()
        receipt.number = f"HK-{receipt.received_on:%Y%m%d}-{receipt.pk:05d}"
        Receipt.objects.filter(pk=receipt.pk).update(number=receipt.number)
    ctx.count("receipts", len(rows))


def _receipt(plan, amount, day, finance) -> Receipt:
    return Receipt(
        contract_id=plan.contract_id,
        customer_id=plan.customer_id,
        amount=amount,
        received_on=day,
        method=ReceiptMethod.BANK,
        reference=f"DEMO{plan.contract_id:05d}{plan.sequence}",
        recorded_by=finance,
        recorded_at=_moment(day),
    )


demo.register_step("deals", seed_deals, order=700)
