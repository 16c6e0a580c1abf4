"""Orders and receipts of contracts already in salesflow (found by contract number), written
through ``deals.services.order_create`` and ``receipt_record``: the contract must be signed
(orders) or approved (receipts), an order never exceeds what is left of its contract, the
credit limit applies, receipts are allocated to the payment plan as when finance enters them."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesflow.core.errors import DomainError

from .base import CellError, Entity, FieldDef, WriteResult


def resolve_contract(text: str, ctx):
    from salesflow.deals.models import Contract

    def load():
        return Contract.objects.filter(number=text).first()

    contract = ctx.cached("contract", text, load)
    if contract is None:
        raise CellError(_("找不到合同编号“%(v)s”。") % {"v": text})
    visible = ctx.cached(
        "contract_visible",
        str(contract.pk),
        lambda: Contract.objects.restrict(ctx.actor, "view").filter(pk=contract.pk).exists(),
    )
    if not visible:
        raise CellError(_("合同“%(v)s”不在你的数据范围内。") % {"v": text})
    return contract


CONTRACT = FieldDef(
    "contract",
    gettext_lazy("合同编号"),
    ("合同号", "合同", "contract", "contract no", "contract number"),
    kind="ref",
    required=True,
    resolve=resolve_contract,
)


class OrderEntity(Entity):
    key = "order"
    label = gettext_lazy("订单")
    object_type = "order"
    model_label = "deals.order"
    duplicate_key_label = gettext_lazy("同一合同、同一下单日期、同一金额")
    fields = [
        CONTRACT,
        FieldDef(
            "amount",
            gettext_lazy("订单金额（元）"),
            ("金额", "订单金额", "amount"),
            kind="decimal",
            required=True,
        ),
        FieldDef("order_date", gettext_lazy("下单日期"), ("日期", "order date"), kind="date"),
        FieldDef(
            "planned_delivery_on",
            gettext_lazy("计划交付日期"),
            ("交付日期", "交期", "delivery date"),
            kind="date",
        ),
        FieldDef("delivery_note", gettext_lazy("履约说明"), ("说明", "备注", "note")),
        FieldDef(
            "credit_reason",
            gettext_lazy("超信用额度说明"),
            ("credit reason",),
            help=gettext_lazy("超出客户信用额度时必填，订单将进入信用审批。"),
        ),
    ]

    def find(self, values, ctx):
        from salesflow.deals.models import Order

        if not values.get("contract") or values.get("amount") is None:
            return None
        qs = Order.objects.filter(contract=values["contract"], amount=values["amount"])
        if values.get("order_date"):
            qs = qs.filter(order_date=values["order_date"])
        return qs.first()

    def create(self, values, ctx, *, allow_duplicate):
        from salesflow.deals.services import order_create

        data = {k: values.get(k) for k in ("amount", "order_date", "planned_delivery_on",
                                           "delivery_note") if values.get(k) is not None}  # fmt: skip
        result = order_create(
            actor=ctx.actor,
            contract_id=values["contract"].pk,
            data=data,
            credit_reason=values.get("credit_reason") or "",
        )
        return WriteResult(result.order, "created", notes=[str(w) for w in result.warnings])

    def update(self, obj, values, ctx):
        raise DomainError(_("已有订单不能通过导入修改，请在订单页面操作。"))


class ReceiptEntity(Entity):
    key = "receipt"
    label = gettext_lazy("回款")
    object_type = "receipt"
    model_label = "deals.receipt"
    duplicate_key_label = gettext_lazy("同一合同的流水号；无流水号时同一到账日期和金额")
    fields = [
        CONTRACT,
        FieldDef(
            "amount",
            gettext_lazy("回款金额（元）"),
            ("金额", "到账金额", "amount"),
            kind="decimal",
            required=True,
        ),
        FieldDef(
            "received_on",
            gettext_lazy("到账日期"),
            ("日期", "回款日期", "received on", "date"),
            kind="date",
            required=True,
        ),
        FieldDef("method", gettext_lazy("回款方式"), ("方式", "method"), kind="choice"),
        FieldDef(
            "reference",
            gettext_lazy("流水号/票据号"),
            ("流水号", "票据号", "reference"),
            max_length=100,
        ),
        FieldDef("note", gettext_lazy("备注"), ("说明", "note"), max_length=200),
    ]

    def __init__(self):
        from salesflow.deals.models import ReceiptMethod

        self.field("method").choices = dict(ReceiptMethod.choices)

    def find(self, values, ctx):
        from salesflow.deals.models import Receipt

        if not values.get("contract"):
            return None
        qs = Receipt.objects.filter(contract=values["contract"])
        if values.get("reference"):
            return qs.filter(reference=values["reference"]).first()
        return qs.filter(amount=values.get("amount"), received_on=values.get("received_on")).first()

    def create(self, values, ctx, *, allow_duplicate):
        from salesflow.deals.services import receipt_record

        receipt = receipt_record(
            actor=ctx.actor,
            contract_id=values["contract"].pk,
            amount=values["amount"],
            received_on=values["received_on"],
            method=values.get("method") or "bank",
            reference=values.get("reference") or "",
            note=values.get("note") or "",
        )
        return WriteResult(receipt, "created")

    def update(self, obj, values, ctx):
        raise DomainError(_("已登记的回款不能通过导入修改，请在回款页面操作。"))
