"""Input and output schemas of /api/v1 opportunities (see routers/opportunities.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from salesflow.pipeline import services

from ..schemas import (
    Id,
    Long,
    Money,
    Name200,
    Note,
    PageParams,
    Reason,
    RefOut,
    Short100,
    Short200,
    Text,
    ref,
)


class StageOut(Schema):
    id: int
    code: str
    name: str
    order: int


class OpportunityOut(Schema):
    id: int
    name: str
    customer: RefOut
    amount: Decimal
    weighted_amount: Decimal
    expected_close_date: datetime.date | None
    probability: int
    template: RefOut
    template_version_id: int
    stage: StageOut
    status: str
    status_label: str
    stage_entered_at: datetime.datetime
    stage_due_at: datetime.datetime | None
    owner: RefOut
    team_id: int | None
    source_lead_id: int | None
    competitors: str
    lost_reason_id: int | None
    won_by_competitor: str
    closed_at: datetime.datetime | None
    description: str
    followups_since_stage: int
    last_followup_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_customer(obj):
        return ref(obj.customer)

    @staticmethod
    def resolve_owner(obj):
        return ref(obj.owner)

    @staticmethod
    def resolve_template(obj):
        return ref(obj.template_version.template)

    @staticmethod
    def resolve_status_label(obj):
        return str(obj.get_status_display())


class OpportunityDetailOut(OpportunityOut):
    contact_ids: list[int]
    product_line_ids: list[int]
    missing_outputs: list[RefOut] = Field(description="当前阶段尚缺的必需产出（推进闸门）")

    @staticmethod
    def resolve_contact_ids(obj):
        return sorted(obj.contacts.values_list("pk", flat=True))

    @staticmethod
    def resolve_product_line_ids(obj):
        return sorted(obj.product_lines.values_list("pk", flat=True))

    @staticmethod
    def resolve_missing_outputs(obj):
        if not obj.is_open:
            return []
        return [{"id": o.pk, "name": o.name} for o in services.gate_missing_outputs(obj)]


class OpportunityPage(Schema):
    items: list[OpportunityOut]
    next_cursor: str | None


class OpportunityFilters(PageParams):
    q: Text | None = Field(None, max_length=100, description="商机名或客户名")
    owner_id: Id | None = None
    team_id: Id | None = None
    customer_id: Id | None = None
    stage_id: Id | None = None
    template_version_id: Id | None = None
    status: Literal["open", "won", "lost"] | None = None
    close_month: Text | None = Field(
        None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="预计成交月份 YYYY-MM"
    )
    min_amount: Money | None = None
    max_amount: Money | None = None
    overdue: bool | None = Field(None, description="true：只看阶段超时的")


class OpportunityIn(Schema):
    customer_id: Id
    name: Name200
    amount: Money = Decimal(0)
    expected_close_date: datetime.date | None = None
    probability: int | None = Field(None, ge=0, le=100, description="不填则取阶段默认赢率")
    competitors: Short200 = ""
    description: Long = ""
    template_id: Id | None = Field(None, description="流程模板；默认第一个启用的模板")
    owner_id: Id | None = Field(None, description="负责人；默认客户负责人或自己")
    contact_ids: list[Id] = Field(default_factory=list, max_length=50)
    product_line_ids: list[Id] = Field(default_factory=list, max_length=50)


class OpportunityPatch(Schema):
    name: Name200 = None
    amount: Money = None
    expected_close_date: datetime.date | None = None
    probability: int = Field(None, ge=0, le=100)
    competitors: Short200 = None
    description: Long = None
    contact_ids: list[Id] = Field(None, max_length=50)
    product_line_ids: list[Id] = Field(None, max_length=50)


class NoteIn(Schema):
    note: Note = ""


class BackIn(Schema):
    to_stage_id: Id
    note: Reason


class ReasonIn(Schema):
    reason: Reason


class WinIn(Schema):
    amount: Money | None = Field(None, description="成交金额；不填则用商机金额（须大于 0）")
    note: Note = ""


class LoseIn(Schema):
    lost_reason_id: Id
    competitor: Short100 = ""
    note: Note = ""


class OutputIn(Schema):
    data: dict[str, Any] = Field(description="表单产出的字段值，按模板字段名")


class EventOut(Schema):
    id: int
    kind: str
    from_stage_id: int | None
    to_stage_id: int | None
    from_status: str
    to_status: str
    skipped: bool
    at: datetime.datetime
    note: str


class TransitionOut(Schema):
    event: EventOut
    opportunity: OpportunityDetailOut


class SkipRequestOut(Schema):
    id: int
    status: str
    title: str
    reason: str
    requested_at: datetime.datetime


class SubmissionOut(Schema):
    id: int
    output_id: int
    data: dict[str, Any]
    submitted_at: datetime.datetime
