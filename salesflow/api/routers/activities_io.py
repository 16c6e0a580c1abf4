"""Input and output schemas of /api/v1 activities (see routers/activities.py)."""

from __future__ import annotations

import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from ..schemas import (
    Id,
    Long,
    Name200,
    Note,
    PageParams,
    Reason,
    RefOut,
    Short200,
    Text,
    ref,
)

MethodCode = Literal["phone", "visit", "email", "wechat"]


ResultCode = Literal["todo", "done", "failed"]


class FollowUpOut(Schema):
    id: int
    lead: RefOut | None
    customer: RefOut | None
    opportunity: RefOut | None
    owner: RefOut
    communicated_at: datetime.datetime
    entered_at: datetime.datetime
    method: str
    topic: str
    summary: str
    customer_words: str
    objection_handling: str
    needs_change: str
    commitments: str
    next_step_action: str
    next_step_owner: RefOut | None
    next_step_due: datetime.datetime | None
    risk: str
    result: str
    entry_sla_met: bool
    is_complete: bool

    @staticmethod
    def resolve_lead(obj):
        return ref(obj.lead)

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
    def resolve_next_step_owner(obj):
        return ref(obj.next_step_owner)


class FollowUpPage(Schema):
    items: list[FollowUpOut]
    next_cursor: str | None


class FollowUpFilters(PageParams):
    q: Text | None = Field(None, max_length=100, description="主题、内容、客户名或线索公司名")
    owner_id: Id | None = None
    method: MethodCode | None = None
    result: ResultCode | None = None
    lead_id: Id | None = None
    customer_id: Id | None = None
    opportunity_id: Id | None = None
    date_from: datetime.date | None = Field(None, description="沟通日期从（含）")
    date_to: datetime.date | None = Field(None, description="沟通日期到（含）")
    is_complete: bool | None = None
    entry_sla_met: bool | None = None


class FollowUpIn(Schema):
    lead_id: Id | None = Field(None, description="线索、客户、商机至少填一个；商机隐含其客户")
    customer_id: Id | None = None
    opportunity_id: Id | None = None
    owner_id: Id | None = Field(None, description="沟通人；默认自己（助理可为同事录入）")
    communicated_at: datetime.datetime
    method: MethodCode
    topic: Name200
    summary: Long = Field(min_length=1)
    customer_words: Long = ""
    objection_handling: Long = ""
    needs_change: Long = ""
    commitments: Long = ""
    next_step_action: Short200 = Field("", description="下一步行动；填写后自动生成任务")
    next_step_owner_id: Id | None = None
    next_step_due: datetime.datetime | None = None
    risk: Short200 = ""
    result: ResultCode = "done"


class TaskOut(Schema):
    id: int
    title: str
    description: str
    owner: RefOut
    acceptor: RefOut | None
    due_at: datetime.datetime | None
    status: str
    status_label: str
    completed_at: datetime.datetime | None
    followup_id: int | None
    lead_id: int | None
    customer_id: int | None
    opportunity_id: int | None
    source_label: str
    created_by: RefOut | None
    created_at: datetime.datetime

    @staticmethod
    def resolve_owner(obj):
        return ref(obj.owner)

    @staticmethod
    def resolve_acceptor(obj):
        return ref(obj.acceptor)

    @staticmethod
    def resolve_created_by(obj):
        return ref(obj.created_by)

    @staticmethod
    def resolve_status_label(obj):
        return str(obj.get_status_display())


class TaskPage(Schema):
    items: list[TaskOut]
    next_cursor: str | None


class TaskFilters(PageParams):
    q: Text | None = Field(None, max_length=100)
    mine: Literal["owner", "created"] | None = Field(None, description="我负责的 / 我创建的")
    owner_id: Id | None = None
    status: Literal["open", "done", "cancelled", "all"] = Field(
        "open", description="默认只列进行中的任务"
    )
    overdue: bool | None = None


class TaskIn(Schema):
    title: Name200
    description: Long = ""
    owner_id: Id | None = Field(None, description="负责人；默认自己，指派给他人会通知对方")
    acceptor_id: Id | None = None
    due_at: datetime.datetime | None = None
    lead_id: Id | None = Field(None, description="来源记录（可选，须在您的数据范围内）")
    customer_id: Id | None = None
    opportunity_id: Id | None = None


class TaskPatch(Schema):
    title: Name200 = None
    description: Long = None
    owner_id: Id = None
    acceptor_id: Id | None = None
    due_at: datetime.datetime | None = None


class CompleteIn(Schema):
    note: Note = ""


class CancelIn(Schema):
    reason: Reason
