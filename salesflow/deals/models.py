"""Deal to cash (SPEC S5): product catalog, quotes with lines, contract approval rules,
contracts with files, orders with delivery, payment plans (回款计划), receipts matched to plans,
and the event rows that every state change writes."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core import scope

MONEY = {"max_digits": 14, "decimal_places": 2}
PCT = {"max_digits": 5, "decimal_places": 2}
NON_NEGATIVE = [MinValueValidator(Decimal(0))]
PERCENT_RANGE = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


def _user_fk(verbose_name, related_name="+", **kwargs):
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        on_delete=kwargs.pop("on_delete", models.SET_NULL),
        related_name=related_name,
        **({"null": True, "blank": True} | kwargs),
    )


# --- catalog ----------------------------------------------------------------------------------


class Product(models.Model):
    """产品档案: product line, specs, list price and standard cost."""

    product_line = models.ForeignKey(
        "pipeline.ProductLine",
        verbose_name=_("产品线"),
        on_delete=models.PROTECT,
        related_name="products",
    )
    code = models.CharField(_("产品编码"), max_length=40, blank=True)
    name = models.CharField(_("产品名称"), max_length=100)
    specs = models.TextField(_("规格"), blank=True)
    unit = models.CharField(_("单位"), max_length=10, default="套")
    list_price = models.DecimalField(_("标准价（元）"), validators=NON_NEGATIVE, **MONEY)
    standard_cost = models.DecimalField(_("标准成本（元）"), validators=NON_NEGATIVE, **MONEY)
    is_active = models.BooleanField(_("在售"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("产品")
        verbose_name_plural = _("产品")
        ordering = ["product_line__sort_order", "product_line_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["product_line", "name"], name="uniq_product_name")
        ]

    def __str__(self) -> str:
        return self.name


# --- quotes -----------------------------------------------------------------------------------


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PENDING = "pending", _("折扣审批中")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    SENT = "sent", _("已发送")
    ACCEPTED = "accepted", _("客户接受")
    DECLINED = "declined", _("客户拒绝")


QUOTE_TRANSITIONS: dict[str, frozenset[str]] = {
    QuoteStatus.DRAFT: frozenset({QuoteStatus.PENDING, QuoteStatus.SENT}),
    QuoteStatus.PENDING: frozenset({QuoteStatus.APPROVED, QuoteStatus.REJECTED, QuoteStatus.DRAFT}),
    QuoteStatus.REJECTED: frozenset({QuoteStatus.DRAFT}),
    QuoteStatus.APPROVED: frozenset({QuoteStatus.SENT, QuoteStatus.DRAFT}),
    QuoteStatus.SENT: frozenset({QuoteStatus.ACCEPTED, QuoteStatus.DECLINED}),
    QuoteStatus.ACCEPTED: frozenset(),
    QuoteStatus.DECLINED: frozenset(),
}


@scope.register(object_type="quote")
class Quote(models.Model):
    number = models.CharField(_("报价单号"), max_length=30, unique=True, null=True, blank=True)
    title = models.CharField(_("报价名称"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="quotes",
    )
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        verbose_name=_("商机"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quotes",
    )
    owner = _user_fk(_("负责人"), "quotes", on_delete=models.PROTECT, null=False, blank=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    valid_until = models.DateField(_("有效期至"))
    terms = models.TextField(_("报价说明"), blank=True, help_text=_("含税、运费、交付周期等。"))
    list_total = models.DecimalField(_("标准价合计"), default=Decimal(0), editable=False, **MONEY)
    total = models.DecimalField(_("报价合计（元）"), default=Decimal(0), editable=False, **MONEY)
    cost_total = models.DecimalField(_("成本合计"), default=Decimal(0), editable=False, **MONEY)
    max_discount_pct = models.DecimalField(
        _("最大折扣（%）"), default=Decimal(0), editable=False, **PCT
    )
    approval = models.ForeignKey(
        "core.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("客户答复时间"), null=True, blank=True)
    created_by = _user_fk(_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("报价")
        verbose_name_plural = _("报价")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "-id"], name="quote_owner_idx"),
            models.Index(fields=["customer", "-id"], name="quote_customer_idx"),
            models.Index(fields=["status", "-id"], name="quote_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number or ''} {self.title}".strip()

    def can_move_to(self, status: str) -> bool:
        return status in QUOTE_TRANSITIONS.get(self.status, frozenset())

    @property
    def margin_amount(self) -> Decimal:
        return self.total - self.cost_total

    @property
    def margin_pct(self) -> Decimal | None:
        from .money import percent

        return percent(self.margin_amount, self.total)

    @property
    def discount_pct(self) -> Decimal | None:
        from .money import percent

        return percent(self.list_total - self.total, self.list_total)

    @property
    def is_expired(self) -> bool:
        return self.valid_until < timezone.localdate() and self.status in (
            QuoteStatus.DRAFT,
            QuoteStatus.APPROVED,
            QuoteStatus.SENT,
        )


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    product = models.ForeignKey(
        Product, verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("产品名称"), max_length=100)
    specs = models.TextField(_("规格"), blank=True)
    unit = models.CharField(_("单位"), max_length=10, blank=True)
    quantity = models.DecimalField(
        _("数量"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    list_price = models.DecimalField(_("标准单价"), validators=NON_NEGATIVE, **MONEY)
    discount_pct = models.DecimalField(
        _("折扣（%）"), default=Decimal(0), validators=PERCENT_RANGE, **PCT
    )
    unit_cost = models.DecimalField(_("单位成本"), validators=NON_NEGATIVE, **MONEY)
    list_amount = models.DecimalField(_("标准价金额"), **MONEY)
    amount = models.DecimalField(_("金额（元）"), **MONEY)
    cost_amount = models.DecimalField(_("成本金额"), **MONEY)

    class Meta:
        verbose_name = _("报价明细")
        verbose_name_plural = _("报价明细")
        ordering = ["quote_id", "position", "id"]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"

    @property
    def unit_price(self) -> Decimal:
        """Net unit price for display (the line amount is computed from the whole line)."""
        from .money import HUNDRED, cents

        return cents(self.list_price * (HUNDRED - self.discount_pct) / HUNDRED)


# --- contracts --------------------------------------------------------------------------------


class ContractApprovalRule(models.Model):
    """One row of the contract approval routing table (合同审批规则), edited in the admin.

    A rule matches a contract when its amount reaches ``min_amount`` OR its discount reaches
    ``min_discount_pct`` (an empty condition never matches). Of the matching active rules the
    one with the highest priority decides the chain of approver roles."""

    name = models.CharField(_("规则名称"), max_length=100)
    min_amount = models.DecimalField(
        _("合同金额不低于（元）"), null=True, blank=True, validators=NON_NEGATIVE, **MONEY
    )
    min_discount_pct = models.DecimalField(
        _("折扣不低于（%）"), null=True, blank=True, validators=PERCENT_RANGE, **PCT
    )
    chain = models.JSONField(
        _("审批链"),
        default=list,
        help_text=_('按顺序填写角色代码，如 ["sales_manager", "sales_director", "finance"]。'),
    )
    priority = models.PositiveIntegerField(_("优先级"), default=0, help_text=_("数字大者优先。"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("合同审批规则")
        verbose_name_plural = _("合同审批规则")
        ordering = ["-priority", "id"]

    def __str__(self) -> str:
        return self.name

    def matches(self, amount: Decimal, discount_pct: Decimal) -> bool:
        by_amount = self.min_amount is not None and amount >= self.min_amount
        by_discount = self.min_discount_pct is not None and discount_pct >= self.min_discount_pct
        return by_amount or by_discount

    def clean(self):
        from django.core.exceptions import ValidationError

        from salesflow.org.models import Role

        if self.min_amount is None and self.min_discount_pct is None:
            raise ValidationError(_("请至少填写金额或折扣中的一个条件。"))
        codes = self.chain if isinstance(self.chain, list) else None
        if not codes or not all(isinstance(c, str) for c in codes):
            raise ValidationError({"chain": _("审批链应为角色代码的列表。")})
        known = set(Role.objects.filter(code__in=codes).values_list("code", flat=True))
        if unknown := [c for c in codes if c not in known]:
            raise ValidationError({"chain": _("未知角色：%s") % ", ".join(unknown)})


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_APPROVAL = "in_approval", _("审批中")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    SIGNED = "signed", _("已签署")
    COMPLETED = "completed", _("已完成")
    TERMINATED = "terminated", _("已终止")


#: The contract state machine: status → the statuses it may move to.
CONTRACT_TRANSITIONS: dict[str, frozenset[str]] = {
    ContractStatus.DRAFT: frozenset({ContractStatus.IN_APPROVAL, ContractStatus.TERMINATED}),
    ContractStatus.IN_APPROVAL: frozenset(
        {ContractStatus.APPROVED, ContractStatus.REJECTED, ContractStatus.DRAFT}
    ),
    ContractStatus.REJECTED: frozenset({ContractStatus.DRAFT, ContractStatus.TERMINATED}),
    ContractStatus.APPROVED: frozenset(
        {ContractStatus.SIGNED, ContractStatus.DRAFT, ContractStatus.TERMINATED}
    ),
    ContractStatus.SIGNED: frozenset({ContractStatus.COMPLETED, ContractStatus.TERMINATED}),
    ContractStatus.COMPLETED: frozenset(),
    ContractStatus.TERMINATED: frozenset(),
}


@scope.register(object_type="contract")
class Contract(models.Model):
    number = models.CharField(_("合同编号"), max_length=30, unique=True, null=True, blank=True)
    title = models.CharField(_("合同名称"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        verbose_name=_("商机"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
    )
    quote = models.ForeignKey(
        Quote,
        verbose_name=_("报价"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
    )
    owner = _user_fk(_("负责人"), "contracts", on_delete=models.PROTECT, null=False, blank=False)
    amount = models.DecimalField(
        _("合同金额（元）"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    discount_pct = models.DecimalField(
        _("折扣（%）"), default=Decimal(0), validators=PERCENT_RANGE, **PCT
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    signed_on = models.DateField(_("签署日期"), null=True, blank=True)
    start_on = models.DateField(_("开始日期"), null=True, blank=True)
    end_on = models.DateField(_("结束日期"), null=True, blank=True)
    terms = models.TextField(_("主要条款"), blank=True)
    payment_terms = models.TextField(_("付款条件"), blank=True)
    approval = models.ForeignKey(
        "core.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_reason = models.TextField(_("完成/终止说明"), blank=True)
    closed_at = models.DateTimeField(_("完成/终止时间"), null=True, blank=True)
    created_by = _user_fk(_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("合同")
        verbose_name_plural = _("合同")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "-id"], name="contract_owner_idx"),
            models.Index(fields=["customer", "-id"], name="contract_customer_idx"),
            models.Index(fields=["status", "-id"], name="contract_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number or ''} {self.title}".strip()

    def can_move_to(self, status: str) -> bool:
        return status in CONTRACT_TRANSITIONS.get(self.status, frozenset())

    @property
    def is_editable(self) -> bool:
        return self.status in (
            ContractStatus.DRAFT,
            ContractStatus.REJECTED,
            ContractStatus.APPROVED,
        )


class ContractFile(models.Model):
    """A file of the contract archive (scanned signed copy, annexes). Served only through a
    view that checks the contract's scope, as an attachment."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("文件"), upload_to="contracts/%Y/%m/")
    file_name = models.CharField(_("文件名"), max_length=200)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = _user_fk(_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("合同文件")
        verbose_name_plural = _("合同文件")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.file_name


# --- orders -----------------------------------------------------------------------------------


class OrderStatus(models.TextChoices):
    CREDIT_HOLD = "credit_hold", _("信用审批中")
    PENDING = "pending", _("待发货")
    PARTIAL = "partial", _("部分发货")
    SHIPPED = "shipped", _("已发货")
    DELIVERED = "delivered", _("已交付验收")
    CANCELLED = "cancelled", _("已取消")


ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.CREDIT_HOLD: frozenset({OrderStatus.PENDING, OrderStatus.CANCELLED}),
    OrderStatus.PENDING: frozenset(
        {OrderStatus.PARTIAL, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED}
    ),
    OrderStatus.PARTIAL: frozenset(
        {OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED}
    ),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
#: Orders that are real business: they count for purchases (ABC), receivables and credit.
COUNTED_ORDER_STATUSES = (
    OrderStatus.PENDING,
    OrderStatus.PARTIAL,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)


@scope.register(object_type="order")
class Order(models.Model):
    number = models.CharField(_("订单编号"), max_length=30, unique=True, null=True, blank=True)
    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.PROTECT, related_name="orders"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        verbose_name=_("商机"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    owner = _user_fk(_("负责人"), "orders", on_delete=models.PROTECT, null=False, blank=False)
    amount = models.DecimalField(
        _("订单金额（元）"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    order_date = models.DateField(_("下单日期"), default=timezone.localdate)
    status = models.CharField(
        _("履约状态"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    planned_delivery_on = models.DateField(_("计划交付日期"), null=True, blank=True)
    shipped_on = models.DateField(_("发货日期"), null=True, blank=True)
    delivered_on = models.DateField(_("交付验收日期"), null=True, blank=True)
    delivery_note = models.TextField(_("履约说明"), blank=True)
    credit_approval = models.ForeignKey(
        "core.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = _user_fk(_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        ordering = ["-order_date", "-id"]
        indexes = [
            models.Index(fields=["customer", "order_date"], name="order_customer_date_idx"),
            models.Index(fields=["owner", "-id"], name="order_owner_idx"),
            models.Index(fields=["status", "-id"], name="order_status_idx"),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    def can_move_to(self, status: str) -> bool:
        return status in ORDER_TRANSITIONS.get(self.status, frozenset())


# --- payment collection -----------------------------------------------------------------------


class PlanStatus(models.TextChoices):
    UNPAID = "unpaid", _("未回款")
    PARTIAL = "partial", _("部分回款")
    PAID = "paid", _("已回款")


@scope.register(object_type="receipt")
class PaymentPlan(models.Model):
    """One instalment of a contract's 回款计划: due date, amount, the person who collects it.
    ``received_amount`` is maintained by the matching of receipts (never typed in)."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.PROTECT, related_name="plans"
    )
    order = models.ForeignKey(
        Order,
        verbose_name=_("订单"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plans",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="payment_plans",
    )
    sequence = models.PositiveSmallIntegerField(_("期次"))
    due_date = models.DateField(_("计划回款日期"))
    amount = models.DecimalField(
        _("计划金额（元）"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    received_amount = models.DecimalField(
        _("已回款（元）"), default=Decimal(0), editable=False, **MONEY
    )
    owner = _user_fk(_("回款负责人"), "payment_plans", on_delete=models.PROTECT, null=False)
    bad_debt = models.BooleanField(_("坏账"), default=False)
    bad_debt_at = models.DateTimeField(_("标记坏账时间"), null=True, blank=True)
    bad_debt_reason = models.TextField(_("坏账说明"), blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = _user_fk(_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("回款计划")
        verbose_name_plural = _("回款计划")
        ordering = ["due_date", "contract_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "sequence"], name="uniq_plan_sequence")
        ]
        indexes = [
            models.Index(fields=["due_date"], name="plan_due_idx"),
            models.Index(fields=["owner", "due_date"], name="plan_owner_due_idx"),
            models.Index(fields=["customer", "due_date"], name="plan_customer_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contract} 第{self.sequence}期"

    @property
    def outstanding(self) -> Decimal:
        return max(self.amount - self.received_amount, Decimal(0))

    @property
    def status(self) -> str:
        if self.received_amount >= self.amount:
            return PlanStatus.PAID
        return PlanStatus.PARTIAL if self.received_amount > 0 else PlanStatus.UNPAID

    def get_status_display(self) -> str:
        return PlanStatus(self.status).label


class ReceiptMethod(models.TextChoices):
    BANK = "bank", _("银行转账")
    ACCEPTANCE = "acceptance", _("承兑汇票")
    CASH = "cash", _("现金")
    OTHER = "other", _("其他")


@scope.register(object_type="receipt", owner_field="contract__owner")
class Receipt(models.Model):
    """A payment received (回款), recorded by finance against a contract. It is matched to the
    contract's plans oldest due date first; what exceeds every plan is ``unapplied_amount``
    (溢收, an over-payment)."""

    number = models.CharField(_("回款单号"), max_length=30, unique=True, null=True, blank=True)
    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.PROTECT, related_name="receipts"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="receipts",
    )
    amount = models.DecimalField(
        _("回款金额（元）"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    received_on = models.DateField(_("到账日期"))
    method = models.CharField(
        _("回款方式"), max_length=12, choices=ReceiptMethod.choices, default=ReceiptMethod.BANK
    )
    reference = models.CharField(_("流水号/票据号"), max_length=100, blank=True)
    unapplied_amount = models.DecimalField(
        _("未匹配金额（溢收）"), default=Decimal(0), editable=False, **MONEY
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = _user_fk(_("登记人"))
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("回款")
        verbose_name_plural = _("回款")
        ordering = ["-received_on", "-id"]
        indexes = [
            models.Index(fields=["contract", "received_on"], name="receipt_contract_idx"),
            models.Index(fields=["customer", "received_on"], name="receipt_customer_idx"),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"


class ReceiptAllocation(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="allocations")
    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="allocations")
    amount = models.DecimalField(_("匹配金额"), **MONEY)

    class Meta:
        verbose_name = _("回款匹配")
        verbose_name_plural = _("回款匹配")
        constraints = [
            models.UniqueConstraint(fields=["receipt", "plan"], name="uniq_receipt_plan")
        ]

    def __str__(self) -> str:
        return f"{self.receipt_id}→{self.plan_id}: {self.amount}"


# --- events -----------------------------------------------------------------------------------


class DealEvent(models.Model):
    """Every state change of a quote, contract, order, plan or receipt: who, when, from, to."""

    kind = models.CharField(_("事件"), max_length=40, db_index=True)
    quote = models.ForeignKey(
        Quote, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    amount = models.DecimalField(_("金额"), null=True, blank=True, **MONEY)
    actor = _user_fk(_("操作人"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("交易事件")
        verbose_name_plural = _("交易事件")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.kind


class RiskKind(models.TextChoices):
    OVER_LIMIT = "over_limit", _("超出信用额度")
    ORDER_CHANGE = "order_change", _("月订单额突变")
    OVERDUE = "overdue", _("回款逾期")
    BAD_DEBT = "bad_debt", _("坏账")


class RiskEvent(models.Model):
    """A credit or risk warning about a customer (风险预警), kept as a row for the risk page."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="risk_events"
    )
    kind = models.CharField(_("类型"), max_length=12, choices=RiskKind.choices)
    period = models.CharField(_("期间"), max_length=20, blank=True)
    amount = models.DecimalField(_("金额"), null=True, blank=True, **MONEY)
    reference_amount = models.DecimalField(_("对比金额"), null=True, blank=True, **MONEY)
    change_pct = models.DecimalField(
        _("变化（%）"), null=True, blank=True, max_digits=12, decimal_places=2
    )
    message = models.CharField(_("说明"), max_length=300)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL)
    plan = models.ForeignKey(PaymentPlan, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("风险预警")
        verbose_name_plural = _("风险预警")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "kind", "period"], name="risk_customer_idx")]

    def __str__(self) -> str:
        return self.message
