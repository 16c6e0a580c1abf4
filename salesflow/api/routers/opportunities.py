"""/api/v1/opportunities — 商机: list (the filters of the board and list), create, read, change,
delete; submit a stage output (form), advance (the gate applies: 409 with the missing
outputs), move back, request a skip, win, lose, reopen. Writes are calls of
``salesflow.pipeline.services``."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from ninja import Query, Router, Status

from salesflow.customers.selectors import contact_list, customer_get, customer_list
from salesflow.org.models import User
from salesflow.pipeline import selectors, services
from salesflow.pipeline.models import Opportunity, ProductLine

from ..concurrency import guarded_write, with_etag
from ..helpers import api_user, pick
from ..pagination import paginate
from ..schemas import Id, errors, headers
from .opportunities_io import (
    BackIn,
    LoseIn,
    NoteIn,
    OpportunityDetailOut,
    OpportunityFilters,
    OpportunityIn,
    OpportunityPage,
    OpportunityPatch,
    OutputIn,
    ReasonIn,
    SkipRequestOut,
    SubmissionOut,
    TransitionOut,
    WinIn,
)

router = Router(tags=["商机 Opportunities"])


def _contacts_of(user, customer_id: int, ids) -> list[int]:
    """Contacts must be the customer's and visible to the caller."""
    if not ids:
        return []
    customer = customer_get(user=user, pk=customer_id)
    visible = set(
        contact_list(user=user, customer=customer).filter(pk__in=ids).values_list("pk", flat=True)
    )
    unknown = sorted(set(ids) - visible)
    if unknown:
        from django.core.exceptions import ValidationError

        raise ValidationError({"contact_ids": f"联系人 {unknown} 不属于该客户或不可见。"})
    return sorted(visible)


def _product_lines(ids) -> list[int]:
    if not ids:
        return []
    found = set(ProductLine.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    if set(ids) - found:
        from django.core.exceptions import ValidationError

        raise ValidationError({"product_line_ids": "所选产品线不存在或已停用。"})
    return sorted(found)


def _after(user, opp: Opportunity) -> Opportunity:
    try:
        return selectors.opportunity_get(user=user, pk=opp.pk)
    except Http404:
        opp.refresh_from_db()
        return opp


WRITE_ERRORS = errors(body=True, found=True, conflict=True, precondition=True)


@router.get("/opportunities", response={200: OpportunityPage, **errors()}, summary="商机列表")
def list_opportunities(request, filters: Query[OpportunityFilters]):
    """Opportunities in the caller's data scope, newest first."""
    data = filters.model_dump(exclude_none=True)
    limit, cursor = data.pop("limit"), data.pop("cursor", None)
    if "overdue" in data:
        if data["overdue"]:
            data["overdue"] = "1"
        else:
            data.pop("overdue")
    qs = selectors.opportunity_list(user=api_user(request), filters=data)
    items, next_cursor = paginate(qs, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/opportunities",
    response={201: OpportunityDetailOut, **errors(body=True, conflict=True)},
    summary="新建商机",
    openapi_extra=headers(idempotency=True),
)
def create_opportunity(request, payload: OpportunityIn):
    """A new opportunity for a customer in the caller's scope, in the first stage of the
    current version of its process template."""
    user = api_user(request)
    pick(customer_list(user=user), payload.customer_id, "customer")
    owner = pick(User.objects.filter(is_active=True), payload.owner_id, "owner")
    contact_ids = _contacts_of(user, payload.customer_id, payload.contact_ids)
    data = payload.model_dump(
        include={
            "name",
            "amount",
            "expected_close_date",
            "probability",
            "competitors",
            "description",
        }
    )
    if data["probability"] is None:
        data.pop("probability")
    opp = services.opportunity_create(
        actor=user,
        customer_id=payload.customer_id,
        data=data,
        template_id=payload.template_id,
        owner=owner,
        contact_ids=contact_ids,
        product_line_ids=_product_lines(payload.product_line_ids),
    )
    return Status(201, _after(user, opp))


@router.get(
    "/opportunities/{opportunity_id}",
    response={200: OpportunityDetailOut, **errors(found=True)},
    summary="商机详情",
)
def get_opportunity(request, opportunity_id: Id, response: HttpResponse):
    opp = selectors.opportunity_get(user=api_user(request), pk=opportunity_id)
    return with_etag(response, OpportunityDetailOut, opp, request)


def _guard(request, user, opportunity_id: int, action: str = "change"):
    def load():
        return selectors.opportunity_get(user=user, pk=opportunity_id, action=action)

    return load, guarded_write(
        request, model=Opportunity, pk=opportunity_id, load=load, schema=OpportunityDetailOut
    )


@router.patch(
    "/opportunities/{opportunity_id}",
    response={200: OpportunityDetailOut, **WRITE_ERRORS},
    summary="修改商机",
    openapi_extra=headers(if_match=True),
)
def update_opportunity(
    request, opportunity_id: Id, payload: OpportunityPatch, response: HttpResponse
):
    user = api_user(request)
    load, guard = _guard(request, user, opportunity_id)
    with guard:
        current = load()
        data = payload.model_dump(exclude_unset=True)
        contact_ids = data.pop("contact_ids", None)
        product_line_ids = data.pop("product_line_ids", None)
        opp = services.opportunity_update(
            actor=user,
            opportunity_id=opportunity_id,
            data=data,
            contact_ids=None
            if contact_ids is None
            else _contacts_of(user, current.customer_id, contact_ids),
            product_line_ids=None if product_line_ids is None else _product_lines(product_line_ids),
        )
    return with_etag(response, OpportunityDetailOut, _after(user, opp), request)


@router.delete(
    "/opportunities/{opportunity_id}",
    response={204: None, **errors(found=True, conflict=True, precondition=True)},
    summary="删除商机（进入回收站）",
    openapi_extra=headers(if_match=True),
)
def delete_opportunity(request, opportunity_id: Id):
    user = api_user(request)
    _load, guard = _guard(request, user, opportunity_id, "delete")
    with guard:
        services.opportunity_delete(actor=user, opportunity_id=opportunity_id)
    return Status(204, None)


def _transition(request, opportunity_id: int, call, action: str = "change"):
    user = api_user(request)
    load, guard = _guard(request, user, opportunity_id, action)
    with guard:
        opp = load()
        event = call(user)
    return {"event": event, "opportunity": _after(user, opp)}


@router.post(
    "/opportunities/{opportunity_id}/outputs/{output_id}",
    response={201: SubmissionOut, **WRITE_ERRORS},
    summary="提交阶段产出（表单）",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def submit_output(request, opportunity_id: Id, output_id: Id, payload: OutputIn):
    """Fill a structured-form output of the opportunity's process. File outputs are uploaded
    in the browser."""
    user = api_user(request)
    load, guard = _guard(request, user, opportunity_id)
    with guard:
        load()
        submission = services.output_submit(
            actor=user, opportunity_id=opportunity_id, output_id=output_id, data=payload.data
        )
    return Status(201, submission)


@router.post(
    "/opportunities/{opportunity_id}/advance",
    response={200: TransitionOut, **WRITE_ERRORS},
    summary="推进到下一阶段",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def advance_opportunity(request, opportunity_id: Id, payload: NoteIn):
    """The gate refuses (409, ``code`` "gate", ``missing`` lists the outputs) while a required
    output of the current stage is missing, unless a director approved skipping it."""
    return _transition(
        request,
        opportunity_id,
        lambda user: services.opportunity_advance(
            actor=user, opportunity_id=opportunity_id, note=payload.note
        ),
    )


@router.post(
    "/opportunities/{opportunity_id}/move-back",
    response={200: TransitionOut, **WRITE_ERRORS},
    summary="退回到之前的阶段",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def move_back_opportunity(request, opportunity_id: Id, payload: BackIn):
    return _transition(
        request,
        opportunity_id,
        lambda user: services.opportunity_move_back(
            actor=user,
            opportunity_id=opportunity_id,
            to_stage_id=payload.to_stage_id,
            note=payload.note,
        ),
    )


@router.post(
    "/opportunities/{opportunity_id}/skip-request",
    response={201: SkipRequestOut, **WRITE_ERRORS},
    summary="申请跳过当前阶段（A类客户）",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def request_skip(request, opportunity_id: Id, payload: ReasonIn):
    """灵活授权: ask a sales director to let the current stage's outputs be skipped. Once
    approved, the next advance passes the gate (the event is marked skipped)."""
    user = api_user(request)
    load, guard = _guard(request, user, opportunity_id)
    with guard:
        load()
        approval = services.opportunity_request_skip(
            actor=user, opportunity_id=opportunity_id, reason=payload.reason
        )
    return Status(201, approval)


@router.post(
    "/opportunities/{opportunity_id}/win",
    response={200: TransitionOut, **WRITE_ERRORS},
    summary="标记赢单",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def win_opportunity(request, opportunity_id: Id, payload: WinIn):
    """Won needs an amount above 0 (given here or already on the opportunity), else 422."""
    return _transition(
        request,
        opportunity_id,
        lambda user: services.opportunity_win(
            actor=user, opportunity_id=opportunity_id, amount=payload.amount, note=payload.note
        ),
    )


@router.post(
    "/opportunities/{opportunity_id}/lose",
    response={200: TransitionOut, **WRITE_ERRORS},
    summary="标记输单",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def lose_opportunity(request, opportunity_id: Id, payload: LoseIn):
    return _transition(
        request,
        opportunity_id,
        lambda user: services.opportunity_lose(
            actor=user,
            opportunity_id=opportunity_id,
            lost_reason_id=payload.lost_reason_id,
            competitor=payload.competitor,
            note=payload.note,
        ),
    )


@router.post(
    "/opportunities/{opportunity_id}/reopen",
    response={200: TransitionOut, **WRITE_ERRORS},
    summary="重新打开（销售总监）",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def reopen_opportunity(request, opportunity_id: Id, payload: ReasonIn):
    return _transition(
        request,
        opportunity_id,
        lambda user: services.opportunity_reopen(
            actor=user, opportunity_id=opportunity_id, reason=payload.reason
        ),
        action="view",
    )
