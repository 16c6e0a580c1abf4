"""Input and output schemas of /api/v1 contracts and orders (see routers/contracts.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Literal

from ninja import Schema
from pydantic import Field

from salesflow.deals import selectors

from ..schemas import Id, Long, Money, Note, PageParams, RefOut, Short200, Text, ref, text
from .deals_io import ApprovalOut, Day, DealEventOut, Percent, PositiveMoney

ContractStatusCode = Literal[
    "draft", "in_approval", "approved", "rejected", "signed", "completed", "terminated"
]
OrderStatusCode = Literal["credit_hold", "pending", "partial", "shipped", "delivered", "cancelled"]


# --- contracts --------------------------------------------------------------------------------


class ContractOut(Schema):
    id: int
    number: str | None
    title: str
    customer: RefOut
    opportunity: RefOut | None
    quote: RefOut | None
    owner: RefOut
    amount: Decimal = Field(description="合同金额（元）")
    discount_pct: Decimal = Field(description="折扣（%），决定审批规则")
    status: ContractStatusCode
    status_label: str
    signed_on: datetime.date | None
    start_on: datetime.date | None
    end_on: datetime.date | None
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
    def resolve_quote(obj):
        return ref(obj.quote)

    @staticmethod
    def resolve_owner(obj):
        return ref(obj.owner)

    @staticmethod
    def resolve_status_label(obj):
        return str(obj.get_status_display())


class ContractDetailOut(ContractOut):
    terms: str
    payment_terms: str
    closed_reason: str
    editable: bool = Field(description="草稿、已驳回、已批准的合同可修改（修改后回到草稿）")
    approval: ApprovalOut | None
    events: list[DealEventOut] = Field(description="合同及其订单的全部状态变化")

    @staticmethod
    def resolve_editable(obj):
        return obj.is_editable

    @staticmethod
    def resolve_events(obj):
        return list(selectors.contract_events(obj))


class ContractPage(Schema):
    items: list[ContractOut]
    next_cursor: str | None


class ContractFilters(PageParams):
    q: Text | None = Field(None, max_length=100, description="合同编号、名称或客户名")
    status: ContractStatusCode | None = None
    owner_id: Id | None = None
    customer_id: Id | None = None
    opportunity_id: Id | None = None
    quote_id: Id | None = None
    date_from: datetime.date | None = Field(None, description="签署日期从（含）")
    date_to: datetime.date | None = Field(None, description="签署日期到（含）")
    min_amount: Money | None = None
    max_amount: Money | None = None


class ContractIn(Schema):
    quote_id: Id | None = Field(
        None, description="从报价创建：客户、商机、金额与折扣取自报价（折扣须已审批）"
    )
    opportunity_id: Id | None = Field(
        None, description="从商机创建：客户取自商机，金额默认商机金额"
    )
    customer_id: Id | None = Field(None, description="直接为客户创建（须填金额）")
    title: Short200 = Field("", description="不填则用报价名、商机名或客户名")
    amount: PositiveMoney | None = None
    discount_pct: Percent | None = None
    start_on: Day | None = None
    end_on: Day | None = None
    terms: Long = ""
    payment_terms: Long = ""


class ContractPatch(Schema):
    title: text(200, min_length=1) = None
    amount: PositiveMoney = None
    discount_pct: Percent = None
    start_on: Day | None = None
    end_on: Day | None = None
    terms: Long = None
    payment_terms: Long = None


class ContractSubmitIn(Schema):
    reason: Note = Field("", description="申请说明；不填则写明金额与折扣")


class SignIn(Schema):
    signed_on: Day = Field(description="签署日期（不晚于今天）")
    start_on: Day | None = Field(None, description="不填则为签署日期")
    end_on: Day | None = None
    win_opportunity: bool = Field(True, description="同时将关联的进行中商机按合同金额标记赢单")


class SignOut(Schema):
    contract: ContractDetailOut
    won: bool = Field(description="关联商机已在本次签署时赢单")
    win_error: str = Field(description="未能赢单的原因（例如无权修改该商机）；空表示无")


class CloseIn(Schema):
    completed: bool = Field(description="true：完成（须已签署）；false：终止（须填原因）")
    reason: Note = ""


# --- orders -----------------------------------------------------------------------------------


class OrderOut(Schema):
    id: int
    number: str | None
    contract: RefOut
    customer: RefOut
    opportunity: RefOut | None
    owner: RefOut
    amount: Decimal = Field(description="订单金额（元）")
    order_date: datetime.date
    status: OrderStatusCode
    status_label: str
    planned_delivery_on: datetime.date | None
    shipped_on: datetime.date | None
    delivered_on: datetime.date | None
    delivery_note: str
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_contract(obj):
        return ref(obj.contract)

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


class OrderDetailOut(OrderOut):
    credit_approval: ApprovalOut | None = Field(description="超信用额度时的信用审批")
    events: list[DealEventOut]

    @staticmethod
    def resolve_events(obj):
        return list(obj.events.select_related("actor").order_by("at", "id"))


class OrderCreatedOut(OrderDetailOut):
    warnings: list[str] = Field(description="提示（如超信用额度已提交审批、月订单额突变）")


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None


class OrderFilters(PageParams):
    q: Text | None = Field(None, max_length=100, description="订单编号、客户名或合同编号")
    status: OrderStatusCode | None = None
    owner_id: Id | None = None
    customer_id: Id | None = None
    contract_id: Id | None = None
    date_from: datetime.date | None = Field(None, description="下单日期从（含）")
    date_to: datetime.date | None = Field(None, description="下单日期到（含）")
    min_amount: Money | None = None
    max_amount: Money | None = None
    late: bool | None = Field(None, description="true：只看超过计划交付日期仍未发货的")


class OrderIn(Schema):
    contract_id: Id = Field(description="已签署的合同；同一合同的订单合计不超过合同金额")
    amount: PositiveMoney
    order_date: Day | None = Field(None, description="不填则为今天")
    planned_delivery_on: Day | None = None
    delivery_note: Long = ""
    credit_reason: Note = Field(
        "",
        description="超出客户信用额度时的申请理由：不填则返回 409（credit_limit），"
        "填写则订单进入信用审批",
    )


class DeliveryIn(Schema):
    status: OrderStatusCode = Field(None, description="新的履约状态；取消须填 delivery_note")
    planned_delivery_on: Day | None = None
    shipped_on: Day | None = None
    delivered_on: Day | None = None
    delivery_note: Long = Field(None, description="履约说明；空表示不修改")
