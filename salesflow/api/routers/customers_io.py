"""Input and output schemas of /api/v1 customers (see routers/customers.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Literal

from ninja import Schema
from pydantic import Field

from salesflow.core.pii import shown_email, shown_phone

from ..helpers import user_of_context
from ..schemas import (
    Count,
    Email,
    Id,
    Long,
    Money,
    Name50,
    Name200,
    PageParams,
    RefOut,
    Short40,
    Short50,
    Short200,
    Text,
    ref,
)

GradeCode = Literal["A", "B", "C"]


TierCode = Literal["vip", "key", "normal"]


CreditCode = Literal["AAA", "AA", "A", "B", "C"]


DecisionRoleCode = Literal["decision_maker", "influencer", "user", "purchaser", "other"]


class CustomerOut(Schema):
    id: int
    name: str
    industry: RefOut | None
    region: RefOut | None
    employees: int | None
    annual_revenue: Decimal | None = Field(description="年营业额（万元）")
    address: str
    website: str
    phone: str = Field(description="总机；无“查看联系方式”权限时打码")
    service_needs: str
    notes: str
    owner: RefOut | None = Field(description="为空表示在公海中")
    team_id: int | None
    grade: str
    grade_source: str
    expected_annual_value: Decimal
    purchases_12m: Decimal
    first_deal_at: datetime.datetime | None
    lost_at: datetime.datetime | None
    lifecycle: str
    tier: str
    credit_rating: str
    credit_limit: Decimal
    pool_id: int | None
    pooled_at: datetime.datetime | None
    owned_since: datetime.datetime | None
    last_followup_at: datetime.datetime | None
    next_followup_due_at: datetime.datetime | None
    source_lead_id: int | None
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_industry(obj):
        return ref(obj.industry)

    @staticmethod
    def resolve_region(obj):
        return ref(obj.region)

    @staticmethod
    def resolve_owner(obj):
        return ref(obj.owner)

    @staticmethod
    def resolve_lifecycle(obj):
        return str(obj.lifecycle)

    @staticmethod
    def resolve_phone(obj, context):
        return shown_phone(user_of_context(context), "customer", obj.phone)


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_cursor: str | None


class CustomerFilters(PageParams):
    q: Text | None = Field(None, max_length=100, description="客户名 / 电话 / 联系人邮箱")
    grade: GradeCode | None = None
    tier: TierCode | None = None
    industry_id: Id | None = None
    region_id: Id | None = None
    owner_id: Id | None = None
    team_id: Id | None = None
    pool_id: Id | None = None
    credit_rating: CreditCode | None = None
    in_pool: bool | None = Field(None, description="true：只看公海客户；false：只看有负责人的")


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    title: str
    decision_role: str
    phone: str = Field(description="无“查看联系方式”权限时打码")
    email: str = Field(description="无“查看联系方式”权限时打码")
    wechat: str = Field(description="无“查看联系方式”权限时显示 ***")
    is_primary: bool
    notes: str
    created_at: datetime.datetime

    @staticmethod
    def resolve_phone(obj, context):
        return shown_phone(user_of_context(context), "contact", obj.phone)

    @staticmethod
    def resolve_email(obj, context):
        return shown_email(user_of_context(context), "contact", obj.email)

    @staticmethod
    def resolve_wechat(obj, context):
        from salesflow.core.pii import can_view_contact

        if not obj.wechat or can_view_contact(user_of_context(context), "contact"):
            return obj.wechat
        return "***"


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class ContactIn(Schema):
    name: Name50
    title: Short50 = ""
    decision_role: DecisionRoleCode = "other"
    phone: Short40 = ""
    email: Email = ""
    wechat: Short50 = ""
    is_primary: bool = False
    notes: Long = ""


class ContactPatch(Schema):
    name: Name50 = None
    title: Short50 = None
    decision_role: DecisionRoleCode = None
    phone: Short40 = None
    email: Email = None
    wechat: Short50 = None
    is_primary: bool = None
    notes: Long = None


class CustomerIn(Schema):
    name: Name200
    industry_id: Id | None = None
    region_id: Id | None = None
    employees: Count | None = None
    annual_revenue: Money | None = None
    address: Short200 = ""
    website: Short200 = ""
    phone: Short40 = ""
    service_needs: Long = ""
    notes: Long = ""
    expected_annual_value: Money = Field(Decimal(0), description="预计年采购额（元），用于分级")
    credit_rating: CreditCode | Literal[""] = ""
    credit_limit: Money = Decimal(0)
    owner_id: Id | None = Field(None, description="负责人；默认自己（指定他人须有分配权限）")
    contacts: list[ContactIn] = Field(default_factory=list, max_length=20)
    confirm_duplicate: bool = Field(False, description="已核对疑似重复，仍然保存")


class CustomerPatch(Schema):
    name: Name200 = None
    industry_id: Id | None = None
    region_id: Id | None = None
    employees: Count | None = None
    annual_revenue: Money | None = None
    address: Short200 = None
    website: Short200 = None
    phone: Short40 = None
    service_needs: Long = None
    notes: Long = None
    expected_annual_value: Money = None
    tier: TierCode = None
    credit_rating: CreditCode | Literal[""] = None
    credit_limit: Money = None
    confirm_duplicate: bool = False
