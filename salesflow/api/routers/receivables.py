"""/api/v1/payment-plans and /api/v1/receipts — 回款计划 and 回款: a contract's instalments
(list with the aging filters, create, read, change, delete, mark or clear bad debt) and the
receipts finance records against contracts (list, record, read, reverse with a reason).
Receipts are matched to the contract's plans oldest due date first; what exceeds every plan
stays on the receipt as an over-payment. Writes are calls of ``salesflow.deals.services``."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from ninja import Query, Router, Status
from ninja.errors import ValidationError as InputError

from salesflow.deals import selectors, services
from salesflow.deals.models import PaymentPlan, Receipt
from salesflow.org.models import User

from ..concurrency import guarded_write, with_etag
from ..helpers import api_user, pick
from ..pagination import paginate
from ..schemas import Id, errors, headers
from .deals_io import input_names
from .receivables_io import (
    BadDebtIn,
    PlanFilters,
    PlanIn,
    PlanOut,
    PlanPage,
    PlanPatch,
    ReceiptDeleteParams,
    ReceiptFilters,
    ReceiptIn,
    ReceiptOut,
    ReceiptPage,
)

router = Router(tags=["回款 Payment plans & receipts"])

WRITE_ERRORS = errors(body=True, found=True, conflict=True, precondition=True)
PLAN_RELATED = ("contract", "customer", "owner")


# --- payment plans ----------------------------------------------------------------------------


def _plan_get(user, pk: int, action: str = "view") -> PaymentPlan:
    """As the plan pages read it: the instalment within the caller's receipt scope."""
    return PaymentPlan.objects.select_related(*PLAN_RELATED).get_in_scope(user, action, pk=pk)


def _plan_after(user, pk: int) -> PaymentPlan:
    try:
        return _plan_get(user, pk)
    except Http404:
        return PaymentPlan.objects.select_related(*PLAN_RELATED).get(pk=pk)


def _plan_guard(request, user, plan_id: int, action: str = "change"):
    def load():
        return _plan_get(user, plan_id, action)

    return load, guarded_write(request, model=PaymentPlan, pk=plan_id, load=load, schema=PlanOut)


def _active_user(pk):
    return pick(User.objects.filter(is_active=True), pk, "owner_id")


@router.get("/payment-plans", response={200: PlanPage, **errors()}, summary="回款计划列表")
def list_plans(request, filters: Query[PlanFilters]):
    """Instalments in the caller's scope (the collector's), newest first; ``bucket`` and
    ``state`` are the filters of the receivables page (here ``state`` defaults to all)."""
    data = filters.model_dump(exclude_none=True)
    limit, cursor = data.pop("limit"), data.pop("cursor", None)
    contract_id = data.pop("contract_id", None)
    qs = selectors.plan_list(user=api_user(request), filters=data)
    if contract_id is not None:
        qs = qs.filter(contract_id=contract_id)
    items, next_cursor = paginate(qs, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/payment-plans",
    response={201: PlanOut, **errors(body=True, conflict=True)},
    summary="新增回款计划（一期）",
    openapi_extra=headers(idempotency=True),
)
def create_plan(request, payload: PlanIn):
    """One instalment of an approved, signed or completed contract (else 409); the
    instalments never exceed the contract amount (422 on ``amount``). Receipts already
    recorded are matched again, so an earlier over-payment pays the new instalment."""
    user = api_user(request)
    pick(selectors.contract_list(user=user), payload.contract_id, "contract_id")
    owner = _active_user(payload.owner_id)
    pick(selectors.order_list(user=user), payload.order_id, "order_id")
    with input_names():
        plan = services.plan_create(
            actor=user,
            contract_id=payload.contract_id,
            due_date=payload.due_date,
            amount=payload.amount,
            owner=owner,
            order_id=payload.order_id,
            note=payload.note,
        )
    return Status(201, _plan_after(user, plan.pk))


@router.get(
    "/payment-plans/{plan_id}",
    response={200: PlanOut, **errors(found=True)},
    summary="回款计划详情",
)
def get_plan(request, plan_id: Id, response: HttpResponse):
    return with_etag(response, PlanOut, _plan_get(api_user(request), plan_id), request)


@router.patch(
    "/payment-plans/{plan_id}",
    response={200: PlanOut, **WRITE_ERRORS},
    summary="修改回款计划",
    openapi_extra=headers(if_match=True),
)
def update_plan(request, plan_id: Id, payload: PlanPatch, response: HttpResponse):
    """Due date, amount, collector and note; the contract's receipts are matched again
    afterwards (the instalments still never exceed the contract amount)."""
    user = api_user(request)
    load, guard = _plan_guard(request, user, plan_id)
    with guard:
        load()
        data = payload.model_dump(exclude_unset=True)
        if "owner_id" in data:
            data["owner"] = _active_user(data.pop("owner_id"))
        with input_names():
            services.plan_update(actor=user, plan_id=plan_id, data=data)
    return with_etag(response, PlanOut, _plan_after(user, plan_id), request)


@router.delete(
    "/payment-plans/{plan_id}",
    response={204: None, **errors(found=True, conflict=True, precondition=True)},
    summary="删除回款计划",
    openapi_extra=headers(if_match=True),
)
def delete_plan(request, plan_id: Id):
    """An instalment that has received money cannot be deleted (409)."""
    user = api_user(request)
    _load, guard = _plan_guard(request, user, plan_id, "delete")
    with guard:
        services.plan_delete(actor=user, plan_id=plan_id)
    return Status(204, None)


@router.post(
    "/payment-plans/{plan_id}/bad-debt",
    response={200: PlanOut, **WRITE_ERRORS},
    summary="标记或取消坏账",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def mark_bad_debt(request, plan_id: Id, payload: BadDebtIn, response: HttpResponse):
    """Finance flags (or clears) an instalment as bad debt, with a reason; flagging writes a
    risk warning about the customer. Setting the flag it already has is 409."""
    user = api_user(request)
    load, guard = _plan_guard(request, user, plan_id)
    with guard:
        load()
        services.plan_mark_bad_debt(
            actor=user, plan_id=plan_id, bad_debt=payload.bad_debt, reason=payload.reason
        )
    return with_etag(response, PlanOut, _plan_after(user, plan_id), request)


# --- receipts ---------------------------------------------------------------------------------


def _receipts(user):
    return selectors.receipt_list(user=user).prefetch_related("allocations__plan")


def _receipt_get(user, pk: int) -> Receipt:
    receipt = _receipts(user).filter(pk=pk).first()
    if receipt is None:
        raise Http404
    return receipt


@router.get("/receipts", response={200: ReceiptPage, **errors()}, summary="回款列表")
def list_receipts(request, filters: Query[ReceiptFilters]):
    """Receipts of the contracts in the caller's scope, newest first."""
    data = filters.model_dump(exclude_none=True)
    limit, cursor = data.pop("limit"), data.pop("cursor", None)
    contract_id = data.pop("contract_id", None)
    if "unapplied" in data:
        if data["unapplied"]:
            data["unapplied"] = "1"
        else:
            data.pop("unapplied")
    qs = selectors.receipt_list(user=api_user(request), filters=data)
    if contract_id is not None:
        qs = qs.filter(contract_id=contract_id)
    items, next_cursor = paginate(
        qs.prefetch_related("allocations__plan"), limit=limit, cursor=cursor
    )
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/receipts",
    response={201: ReceiptOut, **errors(body=True, conflict=True)},
    summary="登记回款",
    openapi_extra=headers(idempotency=True),
)
def record_receipt(request, payload: ReceiptIn):
    """Money received against a contract (finance: the receipt add right). It is matched to
    the contract's instalments oldest due date first; ``allocations`` shows how, and
    ``unapplied_amount`` what exceeds every instalment (溢收)."""
    user = api_user(request)
    pick(selectors.contract_list(user=user), payload.contract_id, "contract_id")
    with input_names():
        receipt = services.receipt_record(
            actor=user,
            contract_id=payload.contract_id,
            amount=payload.amount,
            received_on=payload.received_on,
            method=payload.method,
            reference=payload.reference,
            note=payload.note,
        )
    try:
        return Status(201, _receipt_get(user, receipt.pk))
    except Http404:
        return Status(201, receipt)


@router.get(
    "/receipts/{receipt_id}",
    response={200: ReceiptOut, **errors(found=True)},
    summary="回款详情",
)
def get_receipt(request, receipt_id: Id, response: HttpResponse):
    return with_etag(response, ReceiptOut, _receipt_get(api_user(request), receipt_id), request)


@router.delete(
    "/receipts/{receipt_id}",
    response={204: None, **errors(found=True, conflict=True, precondition=True)},
    summary="冲销回款（须填原因）",
    openapi_extra=headers(if_match=True),
)
def delete_receipt(request, receipt_id: Id, params: Query[ReceiptDeleteParams]):
    """冲销 a wrongly recorded receipt: ``?reason=`` is required; the matching of the
    contract's receipts to its instalments is recomputed."""
    user = api_user(request)
    if not params.reason.strip():
        raise InputError(
            [{"loc": ["query", "reason"], "msg": "请填写冲销原因。", "type": "value_error"}]
        )
    with guarded_write(
        request,
        model=Receipt,
        pk=receipt_id,
        load=lambda: _receipt_get(user, receipt_id),
        schema=ReceiptOut,
    ):
        services.receipt_delete(actor=user, receipt_id=receipt_id, reason=params.reason)
    return Status(204, None)
