"""/api/v1/followups and /api/v1/tasks — 跟进记录 and 任务: follow-ups are records of what
happened (list, record, read; no change or delete), tasks are listed, created, changed,
completed and cancelled. Writes are calls of ``salesflow.activities.services``. Attachments
and task sub-items / progress stay in the browser for now."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from ninja import Query, Router, Status

from salesflow.activities import selectors, services
from salesflow.activities.models import Task
from salesflow.customers.selectors import customer_list
from salesflow.leads.selectors import lead_list
from salesflow.pipeline.selectors import opportunity_list

from ..concurrency import guarded_write, with_etag
from ..helpers import api_user, pick
from ..pagination import paginate
from ..schemas import Id, errors, headers
from .activities_io import (
    CancelIn,
    CompleteIn,
    FollowUpFilters,
    FollowUpIn,
    FollowUpOut,
    FollowUpPage,
    TaskFilters,
    TaskIn,
    TaskOut,
    TaskPage,
    TaskPatch,
)

router = Router(tags=["跟进与任务 Follow-ups & tasks"])


def _check_subjects(user, payload) -> None:
    """References in the body must be records the caller sees (else a 422 on that field)."""
    pick(lead_list(user=user), payload.lead_id, "lead_id")
    pick(customer_list(user=user), payload.customer_id, "customer_id")
    pick(opportunity_list(user=user), payload.opportunity_id, "opportunity_id")


# --- follow-ups -----------------------------------------------------------------------------


@router.get("/followups", response={200: FollowUpPage, **errors()}, summary="跟进记录列表")
def list_followups(request, filters: Query[FollowUpFilters]):
    data = filters.model_dump(exclude_none=True)
    search = data.pop("q", "")
    limit, cursor = data.pop("limit"), data.pop("cursor", None)
    for key in ("is_complete", "entry_sla_met"):
        if key in data:
            data[key] = "1" if data[key] else "0"
    qs = selectors.followup_list(user=api_user(request), filters=data, search=search)
    items, next_cursor = paginate(qs, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/followups",
    response={201: FollowUpOut, **errors(body=True, conflict=True)},
    summary="录入跟进记录",
    openapi_extra=headers(idempotency=True),
)
def create_followup(request, payload: FollowUpIn):
    """客户跟进记录. The entry SLA and completeness are computed; the next step becomes a
    task for its owner; the lead's / customer's / opportunity's follow-up dates move on."""
    user = api_user(request)
    _check_subjects(user, payload)
    data = payload.model_dump(
        exclude={"lead_id", "customer_id", "opportunity_id", "owner_id", "next_step_owner_id"}
    )
    data["owner"] = payload.owner_id
    data["next_step_owner"] = payload.next_step_owner_id
    followup = services.followup_record(
        actor=user,
        data=data,
        lead_id=payload.lead_id,
        customer_id=payload.customer_id,
        opportunity_id=payload.opportunity_id,
    )
    try:
        return Status(201, selectors.followup_get(user=user, pk=followup.pk))
    except Http404:  # entered for a colleague outside the caller's scope
        return Status(201, followup)


@router.get(
    "/followups/{followup_id}",
    response={200: FollowUpOut, **errors(found=True)},
    summary="跟进记录详情",
)
def get_followup(request, followup_id: Id, response: HttpResponse):
    followup = selectors.followup_get(user=api_user(request), pk=followup_id)
    return with_etag(response, FollowUpOut, followup, request)


# --- tasks ----------------------------------------------------------------------------------


def _task_after(user, task: Task) -> Task:
    try:
        return selectors.task_get(user=user, pk=task.pk)
    except Http404:
        task.refresh_from_db()
        return task


@router.get("/tasks", response={200: TaskPage, **errors()}, summary="任务列表")
def list_tasks(request, filters: Query[TaskFilters]):
    data = filters.model_dump(exclude_none=True)
    limit, cursor = data.pop("limit"), data.pop("cursor", None)
    if "overdue" in data:
        if data["overdue"]:
            data["overdue"] = "1"
        else:
            data.pop("overdue")
    qs = selectors.task_list(user=api_user(request), filters=data)
    items, next_cursor = paginate(qs, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/tasks",
    response={201: TaskOut, **errors(body=True, conflict=True)},
    summary="创建任务",
    openapi_extra=headers(idempotency=True),
)
def create_task(request, payload: TaskIn):
    user = api_user(request)
    _check_subjects(user, payload)
    task = services.task_create(
        actor=user,
        data={
            "title": payload.title,
            "description": payload.description,
            "owner": payload.owner_id,
            "acceptor": payload.acceptor_id,
            "due_at": payload.due_at,
        },
        lead_id=payload.lead_id,
        customer_id=payload.customer_id,
        opportunity_id=payload.opportunity_id,
    )
    return Status(201, _task_after(user, task))


@router.get("/tasks/{task_id}", response={200: TaskOut, **errors(found=True)}, summary="任务详情")
def get_task(request, task_id: Id, response: HttpResponse):
    task = selectors.task_get(user=api_user(request), pk=task_id)
    return with_etag(response, TaskOut, task, request)


def _task_write(request, task_id: int, call):
    user = api_user(request)

    def load():
        return selectors.task_get(user=user, pk=task_id, action="change")

    with guarded_write(request, model=Task, pk=task_id, load=load, schema=TaskOut):
        task = call(user, load())
    return _task_after(user, task)


TASK_WRITE = errors(body=True, found=True, conflict=True, precondition=True)


@router.patch(
    "/tasks/{task_id}",
    response={200: TaskOut, **TASK_WRITE},
    summary="修改任务",
    openapi_extra=headers(if_match=True),
)
def update_task(request, task_id: Id, payload: TaskPatch, response: HttpResponse):
    data = payload.model_dump(exclude_unset=True)
    for name in ("owner", "acceptor"):
        if f"{name}_id" in data:
            data[name] = data.pop(f"{name}_id")
    task = _task_write(
        request,
        task_id,
        lambda user, _task: services.task_update(actor=user, task_id=task_id, data=data),
    )
    return with_etag(response, TaskOut, task, request)


@router.post(
    "/tasks/{task_id}/complete",
    response={200: TaskOut, **TASK_WRITE},
    summary="完成任务",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def complete_task(request, task_id: Id, payload: CompleteIn):
    return _task_write(
        request,
        task_id,
        lambda user, _task: services.task_complete(actor=user, task_id=task_id, note=payload.note),
    )


@router.post(
    "/tasks/{task_id}/cancel",
    response={200: TaskOut, **TASK_WRITE},
    summary="取消任务",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def cancel_task(request, task_id: Id, payload: CancelIn):
    return _task_write(
        request,
        task_id,
        lambda user, _task: services.task_cancel(
            actor=user, task_id=task_id, reason=payload.reason
        ),
    )
