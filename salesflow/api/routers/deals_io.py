"""Input and output schemas of /api/v1 products and quotes (see routers/deals.py), and the
pieces the other deal-to-cash routers share: bounded dates, money above zero, percentages,
approvals, deal events, and the renaming of service field names to input names."""

from __future__ import annotations

import contextlib
import datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from ninja import Schema
from pydantic import Field

from salesflow.core.scope import has_right
from salesflow.deals import money
from salesflow.deals import services as deal_services

from ..helpers import user_of_context
from ..schemas import (
    Id,
    Long,
    Money,
    Name100,
    Note,
    PageParams,
    Reason,
    RefOut,
    Short40,
    Short200,
    Text,
    ref,
    text,
)

# Business dates: wide enough for any real contract, narrow enough that month arithmetic
# (previous month, twelve months back) never leaves the calendar.
Day = Annotated[datetime.date, Field(ge=datetime.date(1900, 1, 1), le=datetime.date(2999, 12, 31))]
PositiveMoney = Annotated[
    Decimal, Field(gt=0, max_digits=14, decimal_places=2, allow_inf_nan=False)
]
Percent = Annotated[
    Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2, allow_inf_nan=False)
]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2, allow_inf_nan=False)]

# What a service calls a field → what the API calls it (at any depth: "lines.0.product").
INPUT_NAMES = {
    "product": "product_id",
    "product_line": "product_line_id",
    "quote": "quote_id",
    "contract": "contract_id",
    "order": "order_id",
}


@contextlib.contextmanager
def input_names():
    """Re-raise a service's ValidationError with the names of the input fields, so that the
    422 points at ``["body", "lines", 0, "product_id"]`` rather than at a model field."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        renamed = {
            ".".join(INPUT_NAMES.get(part, part) for part in str(key).split(".")): messages
            for key, messages in exc.message_dict.items()
        }
        raise ValidationError(renamed) from None


def pct(value: Decimal | None) -> Decimal | None:
    """A derived percentage for output: rounded once to 0.01."""
    return money.shown_pct(value, "0.01")


# --- shared outputs ---------------------------------------------------------------------------


class ApprovalStepOut(Schema):
    order: int
    role: str = Field(description="审批角色名称")
    decision: str = Field(description="approved / rejected；空表示未审批")
    decided_by: RefOut | None
    decided_at: datetime.datetime | None
    comment: str

    @staticmethod
    def resolve_role(obj):
        return obj.role.name

    @staticmethod
    def resolve_decided_by(obj):
        return ref(obj.decided_by)


class ApprovalOut(Schema):
    id: int
    kind: str
    status: str = Field(description="pending / approved / rejected / cancelled")
    title: str
    reason: str
    requested_at: datetime.datetime
    decided_at: datetime.datetime | None
    steps: list[ApprovalStepOut]

    @staticmethod
    def resolve_steps(obj):
        return list(obj.steps.select_related("role", "decided_by").order_by("order"))


class DealEventOut(Schema):
    id: int
    kind: str = Field(description="如 quote.submit、contract.sign、order.delivery")
    from_status: str
    to_status: str
    amount: Decimal | None
    actor: RefOut | None
    order_id: int | None
    at: datetime.datetime
    note: str

    @staticmethod
    def resolve_actor(obj):
        return ref(obj.actor)


# --- products ---------------------------------------------------------------------------------


class ProductOut(Schema):
    id: int
    product_line: RefOut
    code: str
    name: str
    specs: str
    unit: str
    list_price: Decimal
    standard_cost: Decimal | None = Field(description="标准成本；只对有“修改产品”权限的用户给出")
    is_active: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_product_line(obj):
        return ref(obj.product_line)

    @staticmethod
    def resolve_standard_cost(obj, context):
        if has_right(user_of_context(context), "product", "change"):
            return obj.standard_cost
        return None


class ProductPage(Schema):
    items: list[ProductOut]
    next_cursor: str | None


class ProductFilters(PageParams):
    q: Text | None = Field(None, max_length=100, description="产品名称或编码")
    product_line_id: Id | None = None
    active: bool | None = Field(None, description="true：在售；false：停售")


Unit = text(10, min_length=1)


class ProductIn(Schema):
    product_line_id: Id
    code: Short40 = ""
    name: Name100
    specs: Long = ""
    unit: Unit = "套"
    list_price: Money
    standard_cost: Money
    is_active: bool = True


class ProductPatch(Schema):
    product_line_id: Id = None
    code: Short40 = None
    name: Name100 = None
    specs: Long = None
    unit: Unit = None
    list_price: Money = None
    standard_cost: Money = None
    is_active: bool = None


# --- quotes -----------------------------------------------------------------------------------

QuoteStatusCode = Literal[
    "draft", "pending", "approved", "rejected", "sent", "accepted", "declined"
]


class QuoteLineOut(Schema):
    id: int
    position: int
    product_id: int
    name: str
    specs: str
    unit: str
    quantity: Decimal
    list_price: Decimal
    discount_pct: Decimal
    unit_price: Decimal = Field(description="折后单价（展示用，金额按整行计算）")
    unit_cost: Decimal
    list_amount: Decimal
    amount: Decimal
    cost_amount: Decimal


class QuoteOut(Schema):
    id: int
    number: str | None
    title: str
    customer: RefOut
    opportunity: RefOut | None
    owner: RefOut
    status: QuoteStatusCode
    status_label: str
    valid_until: datetime.date
    is_expired: bool
    list_total: Decimal = Field(description="标准价合计（元）")
    total: Decimal = Field(description="报价合计（元），各行金额之和")
    max_discount_pct: Decimal = Field(description="各行最大折扣（%），决定是否需要审批")
    sent_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_customer(obj):
        return ref(obj.customer)

    @staticmethod
    def resolve_opportunity(obj):
        return ref(obj.opportunity)

    @staticmethod
    def resolve_owner(obj):
        return ref(obj.owner)

    @staticmethod
    def resolve_status_label(obj):
        return str(obj.get_status_display())


class QuoteDetailOut(QuoteOut):
    terms: str
    cost_total: Decimal
    margin_amount: Decimal
    margin_pct: Decimal | None = Field(description="毛利率（%），保留两位小数；合计为 0 时为空")
    discount_pct: Decimal | None = Field(description="整单折扣（%），保留两位小数")
    needs_approval: bool = Field(description="最大折扣超过审批阈值")
    usable: bool = Field(description="可发送或用于合同（无需审批或已批准）")
    approval: ApprovalOut | None
    lines: list[QuoteLineOut]

    @staticmethod
    def resolve_margin_pct(obj):
        return pct(obj.margin_pct)

    @staticmethod
    def resolve_discount_pct(obj):
        return pct(obj.discount_pct)

    @staticmethod
    def resolve_needs_approval(obj):
        return deal_services.quote_needs_approval(obj)

    @staticmethod
    def resolve_usable(obj):
        return deal_services.quote_is_usable(obj)

    @staticmethod
    def resolve_lines(obj):
        return list(obj.lines.all())


class QuotePage(Schema):
    items: list[QuoteOut]
    next_cursor: str | None


class QuoteFilters(PageParams):
    q: Text | None = Field(None, max_length=100, description="报价单号、名称或客户名")
    status: QuoteStatusCode | None = None
    owner_id: Id | None = None
    customer_id: Id | None = None
    opportunity_id: Id | None = None
    date_from: datetime.date | None = Field(None, description="创建日期从（含）")
    date_to: datetime.date | None = Field(None, description="创建日期到（含）")
    min_total: Money | None = None
    max_total: Money | None = None


class QuoteLineIn(Schema):
    product_id: Id
    quantity: Quantity
    discount_pct: Percent = Decimal(0)


class QuoteIn(Schema):
    customer_id: Id
    opportunity_id: Id | None = Field(None, description="所属商机（须属于该客户）")
    title: Short200 = Field("", description="不填则用商机名或客户名")
    valid_until: Day | None = Field(None, description="有效期至；不填按系统设置的报价有效天数")
    terms: Long = ""
    lines: list[QuoteLineIn] = Field(default_factory=list, max_length=200)


class QuotePatch(Schema):
    title: text(200, min_length=1) = None
    valid_until: Day = None
    terms: Long = None
    lines: list[QuoteLineIn] = Field(
        None, max_length=200, description="给出时整体替换明细（价格按当前产品档案）"
    )


class ReasonIn(Schema):
    reason: Reason


class AnswerIn(Schema):
    accepted: bool = Field(description="true：客户接受；false：客户拒绝")
    note: Note = ""
