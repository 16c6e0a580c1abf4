"""Input and output schemas of /api/v1 leads (see routers/leads.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field, field_validator

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
    Reason,
    RefOut,
    Short40,
    Short50,
    Short200,
    Text,
    ref,
)

GradeCode = Literal["A", "B", "C"]


IntentCode = Literal["high", "medium", "low"]


StatusCode = Literal["new", "screened", "contacting", "nurture", "converted", "invalid"]


class LeadOut(Schema):
    id: int
    company_name: str
    industry: RefOut | None
    region: RefOut | None
    employees: int | None
    annual_revenue: Decimal | None = Field(description="年营业额（万元）")
    contact_name: str
    contact_title: str
    phone: str = Field(description="无“查看联系方式”权限时打码，如 138****5678")
    email: str = Field(description="无“查看联系方式”权限时打码，如 z***@example.cn")
    needs: str
    source: RefOut
    referral_customer_id: int | None
    acquired_at: datetime.datetime
    entered_at: datetime.datetime
    expected_purchase: datetime.date | None
    budget_min: Decimal | None
    budget_max: Decimal | None
    status: str
    status_label: str
    notes: str
    purpose: str
    owner: RefOut | None
    team_id: int | None
    assigned_at: datetime.datetime | None
    score: int | None
    grade: str
    intent: str
    graded_at: datetime.datetime | None
    screening_due_at: datetime.datetime | None
    first_contact_due_at: datetime.datetime | None
    first_contact_at: datetime.datetime | None
    last_followup_at: datetime.datetime | None
    next_followup_due_at: datetime.datetime | None
    converted_customer_id: int | None
    converted_at: datetime.datetime | None
    updated_at: datetime.datetime

    @staticmethod
    def resolve_industry(obj):
        return ref(obj.industry)

    @staticmethod
    def resolve_region(obj):
        return ref(obj.region)

    @staticmethod
    def resolve_source(obj):
        return ref(obj.source)

    @staticmethod
    def resolve_owner(obj):
        return ref(obj.owner)

    @staticmethod
    def resolve_status_label(obj):
        return str(obj.get_status_display())

    @staticmethod
    def resolve_phone(obj, context):
        return shown_phone(user_of_context(context), "lead", obj.phone)

    @staticmethod
    def resolve_email(obj, context):
        return shown_email(user_of_context(context), "lead", obj.email)


class LeadPage(Schema):
    items: list[LeadOut]
    next_cursor: str | None


class LeadFilters(PageParams):
    q: Text | None = Field(None, max_length=100, description="公司名 / 联系人 / 电话 / 邮箱")
    grade: GradeCode | None = None
    intent: IntentCode | None = None
    status: StatusCode | None = None
    source_id: Id | None = None
    owner_id: Id | None = None
    region_id: Id | None = None
    industry_id: Id | None = None
    team_id: Id | None = None
    unassigned: bool | None = Field(None, description="true：只看未分配的线索")
    open: bool | None = Field(None, description="true：只看未结（待筛选/已筛选/跟进中/培育中）")
    sla: Literal["screening_overdue", "contact_overdue", "due_soon"] | None = None


class _LeadFields(Schema):
    @field_validator("budget_max", check_fields=False)
    @classmethod
    def _budget_ordered(cls, value, info):
        low = info.data.get("budget_min")
        if value is not None and low is not None and low > value:
            raise ValueError(_("预算上限不能低于预算下限。"))
        return value


class LeadIn(_LeadFields):
    company_name: Name200
    industry_id: Id | None = None
    region_id: Id | None = None
    employees: Count | None = None
    annual_revenue: Money | None = None
    contact_name: Name50
    contact_title: Short50 = ""
    phone: Short40 = ""
    email: Email = ""
    needs: Long = Field(description="具体痛点，至少 6 个字")
    source_id: Id
    referral_customer_id: Id | None = Field(None, description="来源为转介绍时必填")
    acquired_at: datetime.datetime | None = Field(None, description="获取时间，默认现在")
    expected_purchase: datetime.date | None = None
    budget_min: Money | None = None
    budget_max: Money | None = None
    notes: Long = ""
    purpose: Short200 | None = None
    owner_id: Id | None = Field(None, description="负责人；不填则按分配规则自动分配")
    confirm_duplicate: bool = Field(False, description="已核对疑似重复，仍然保存")


class LeadPatch(_LeadFields):
    company_name: Name200 = None
    industry_id: Id | None = None
    region_id: Id | None = None
    employees: Count | None = None
    annual_revenue: Money | None = None
    contact_name: Name50 = None
    contact_title: Short50 = None
    phone: Short40 = None
    email: Email = None
    needs: Long = None
    source_id: Id = None
    referral_customer_id: Id | None = None
    acquired_at: datetime.datetime = None
    expected_purchase: datetime.date | None = None
    budget_min: Money | None = None
    budget_max: Money | None = None
    notes: Long = None
    purpose: Short200 = None
    confirm_duplicate: bool = False


class AssignIn(Schema):
    owner_id: Id
    reason: Reason


class ScreenAnswer(Schema):
    criterion_id: Id
    option_id: Id


class ScreenIn(Schema):
    answers: list[ScreenAnswer] = Field(max_length=100)
    intent: IntentCode


class ScreenOut(Schema):
    total: int
    grade: str
    intent: str
    lead: LeadOut


class StatusIn(Schema):
    status: Literal["contacting", "nurture", "invalid"]
    reason: Text = Field("", max_length=2000, description="标记为无效时必填")


class ConvertCustomerIn(Schema):
    name: Name200 | None = None
    expected_annual_value: Money | None = None


class ConvertOpportunityIn(Schema):
    name: Name200
    amount: Money = Decimal(0)


class ConvertIn(Schema):
    existing_customer_id: Id | None = Field(None, description="加入已有客户（查重后常用）")
    customer: ConvertCustomerIn | None = None
    opportunity: ConvertOpportunityIn | None = Field(None, description="同时创建商机")
    confirm_duplicate: bool = False


class ConvertOut(Schema):
    customer_id: int
    opportunity_id: int | None
    lead: LeadOut
