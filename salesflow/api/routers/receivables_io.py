"""Input and output schemas of /api/v1 payment plans and receipts (see
routers/receivables.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Literal

from django.utils import timezone
from ninja import Schema
from pydantic import Field

from salesflow.deals import rules

from ..schemas import Id, Money, PageParams, Reason, RefOut, Short100, Text, ref, text
from .deals_io import Day, PositiveMoney

PlanNote = text(200)
BucketCode = Literal["overdue", "not_due", "0-30", "31-60", "61-90", "90+"]
MethodCode = Literal["bank", "acceptance", "cash", "other"]


# --- payment plans ----------------------------------------------------------------------------


class PlanOut(Schema):
    id: int
    contract: RefOut
    order_id: int | None
    customer: RefOut
    sequence: int = Field(description="期次")
    due_date: datetime.date
    amount: Decimal = Field(description="计划金额（元）")
    received_amount: Decimal = Field(description="已匹配的回款（元），由回款自动匹配")
    outstanding: Decimal = Field(description="未回款（元）")
    status: Literal["unpaid", "partial", "paid"]
    status_label: str
    days_overdue: int | None = Field(description="逾期天数（到期日当天为 0）；未到期或已结清为空")
    aging_bucket: str = Field(description="账龄：not_due / 0-30 / 31-60 / 61-90 / 90+；已结清为空")
    owner: RefOut = Field(description="回款负责人")
    bad_debt: bool
    bad_debt_at: datetime.datetime | None
    bad_debt_reason: str
    note: str
    created_at: datetime.datetime

    @staticmethod
    def resolve_contract(obj):
        return ref(obj.contract)

    @staticmethod
    def resolve_customer(obj):
        return ref(obj.customer)

    @staticmethod
    def resolve_owner(obj):
        return ref(obj.owner)

    @staticmethod
    def resolve_status_label(obj):
        return str(obj.get_status_display())

    @staticmethod
    def resolve_days_overdue(obj):
        days = rules.days_overdue(obj.due_date, timezone.localdate())
        return days if obj.outstanding > 0 and days >= 0 else None

    @staticmethod
    def resolve_aging_bucket(obj):
        if not obj.outstanding:
            return ""
        return rules.aging_bucket(rules.days_overdue(obj.due_date, timezone.localdate()))


class PlanPage(Schema):
    items: list[PlanOut]
    next_cursor: str | None


class PlanFilters(PageParams):
    q: Text | None = Field(None, max_length=100, description="合同编号或客户名")
    state: Literal["open", "paid", "bad_debt", "all"] = Field(
        "all", description="open 未结清 / paid 已结清 / bad_debt 坏账 / all 全部（默认）"
    )
    bucket: BucketCode | None = Field(None, description="账龄；overdue 为全部已到期未结清")
    owner_id: Id | None = Field(None, description="回款负责人")
    customer_id: Id | None = None
    contract_id: Id | None = None
    date_from: datetime.date | None = Field(None, description="计划回款日期从（含）")
    date_to: datetime.date | None = Field(None, description="计划回款日期到（含）")
    min_amount: Money | None = None
    max_amount: Money | None = None


class PlanIn(Schema):
    contract_id: Id = Field(description="已批准、已签署或已完成的合同")
    due_date: Day
    amount: PositiveMoney = Field(description="各期合计不超过合同金额")
    owner_id: Id | None = Field(None, description="回款负责人；默认合同负责人")
    order_id: Id | None = Field(None, description="对应的订单（须属于该合同）")
    note: PlanNote = ""


class PlanPatch(Schema):
    due_date: Day = None
    amount: PositiveMoney = None
    owner_id: Id = None
    note: PlanNote = None


class BadDebtIn(Schema):
    bad_debt: bool = Field(description="true：标记坏账；false：取消坏账标记")
    reason: Reason


# --- receipts ---------------------------------------------------------------------------------


class AllocationOut(Schema):
    plan_id: int
    sequence: int
    due_date: datetime.date
    amount: Decimal = Field(description="本笔回款匹配到该期的金额（元）")

    @staticmethod
    def resolve_sequence(obj):
        return obj.plan.sequence

    @staticmethod
    def resolve_due_date(obj):
        return obj.plan.due_date


class ReceiptOut(Schema):
    id: int
    number: str | None
    contract: RefOut
    customer: RefOut
    amount: Decimal = Field(description="回款金额（元）")
    received_on: datetime.date
    method: MethodCode
    method_label: str
    reference: str
    unapplied_amount: Decimal = Field(description="超出全部回款计划的部分（溢收，元）")
    note: str
    recorded_by: RefOut | None
    recorded_at: datetime.datetime
    allocations: list[AllocationOut] = Field(description="按到期日从早到晚匹配到的回款计划")

    @staticmethod
    def resolve_contract(obj):
        return ref(obj.contract)

    @staticmethod
    def resolve_customer(obj):
        return ref(obj.customer)

    @staticmethod
    def resolve_method_label(obj):
        return str(obj.get_method_display())

    @staticmethod
    def resolve_recorded_by(obj):
        return ref(obj.recorded_by)

    @staticmethod
    def resolve_allocations(obj):
        rows = list(obj.allocations.all())
        return sorted(rows, key=lambda a: (a.plan.due_date, a.plan.sequence))


class ReceiptPage(Schema):
    items: list[ReceiptOut]
    next_cursor: str | None


class ReceiptFilters(PageParams):
    q: Text | None = Field(None, max_length=100, description="回款单号、流水号、客户名或合同编号")
    customer_id: Id | None = None
    contract_id: Id | None = None
    contract_owner_id: Id | None = Field(None, description="合同负责人")
    date_from: datetime.date | None = Field(None, description="到账日期从（含）")
    date_to: datetime.date | None = Field(None, description="到账日期到（含）")
    unapplied: bool | None = Field(None, description="true：只看有溢收的")
    min_amount: Money | None = None
    max_amount: Money | None = None


class ReceiptIn(Schema):
    contract_id: Id = Field(description="已批准（含已签署、已完成、已终止）的合同")
    amount: PositiveMoney
    received_on: Day = Field(description="到账日期（不晚于今天）")
    method: MethodCode = "bank"
    reference: Short100 = Field("", description="银行流水号或票据号")
    note: PlanNote = ""


class ReceiptDeleteParams(Schema):
    reason: Text = Field(min_length=1, max_length=2000, description="冲销原因（必填）")
