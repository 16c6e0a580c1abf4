"""/api/v1/contracts and /api/v1/orders — 合同 and 订单: contracts created from a quote, an
opportunity or a customer, changed while editable, submitted into the approval chain of the
rules table, withdrawn, signed (which may win the linked opportunity) and completed or
terminated; orders placed from signed contracts (over the credit limit: refused, or held for
a credit approval with a reason) and their delivery. Writes are calls of
``salesflow.deals.services``; reads go through the deals selectors."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from salesflow.customers.selectors import customer_list
from salesflow.deals import selectors, services
from salesflow.deals.models import Contract, Order
from salesflow.pipeline.selectors import opportunity_list

from ..concurrency import guarded_write, with_etag
from ..helpers import api_user, pick
from ..pagination import paginate
from ..schemas import Id, errors, headers
from .contracts_io import (
    CloseIn,
    ContractDetailOut,
    ContractFilters,
    ContractIn,
    ContractPage,
    ContractPatch,
    ContractSubmitIn,
    DeliveryIn,
    OrderCreatedOut,
    OrderDetailOut,
    OrderFilters,
    OrderIn,
    OrderPage,
    SignIn,
    SignOut,
)
from .deals_io import input_names

router = Router(tags=["合同与订单 Contracts & orders"])

WRITE_ERRORS = errors(body=True, found=True, conflict=True, precondition=True)
SOURCES = ("quote_id", "opportunity_id", "customer_id")


# --- contracts --------------------------------------------------------------------------------


def _contract_after(user, pk: int) -> Contract:
    try:
        return selectors.contract_get(user=user, pk=pk)
    except Http404:
        return Contract.objects.select_related(
            "customer", "owner", "opportunity", "quote", "approval"
        ).get(pk=pk)


def _contract_guard(request, user, contract_id: int):
    def load():
        return selectors.contract_get(user=user, pk=contract_id, action="change")

    return load, guarded_write(
        request, model=Contract, pk=contract_id, load=load, schema=ContractDetailOut
    )


def _check_source(user, payload: ContractIn) -> None:
    """Exactly one source, in the caller's scope (else a 422 on that field)."""
    given = [name for name in SOURCES if getattr(payload, name) is not None]
    if not given:
        raise ValidationError(
            {"quote_id": _("请指定 quote_id、opportunity_id 或 customer_id 之一。")}
        )
    if len(given) > 1:
        raise ValidationError({given[1]: _("quote_id、opportunity_id、customer_id 只能指定一个。")})
    if payload.quote_id is not None:
        pick(selectors.quote_list(user=user), payload.quote_id, "quote_id")
        for name in ("amount", "discount_pct"):
            if getattr(payload, name) is not None:
                raise ValidationError({name: _("从报价创建的合同，金额与折扣取自报价。")})
    pick(opportunity_list(user=user), payload.opportunity_id, "opportunity_id")
    pick(customer_list(user=user), payload.customer_id, "customer_id")


@router.get("/contracts", response={200: ContractPage, **errors()}, summary="合同列表")
def list_contracts(request, filters: Query[ContractFilters]):
    """Contracts in the caller's data scope, newest first; ``date_from``/``date_to`` filter
    the signing date."""
    data = filters.model_dump(exclude_none=True)
    limit, cursor = data.pop("limit"), data.pop("cursor", None)
    extra = {key: data.pop(key) for key in ("opportunity_id", "quote_id") if key in data}
    qs = selectors.contract_list(user=api_user(request), filters=data).filter(**extra)
    qs = qs.select_related("quote")
    items, next_cursor = paginate(qs, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/contracts",
    response={201: ContractDetailOut, **errors(body=True, conflict=True)},
    summary="新建合同（草稿）",
    openapi_extra=headers(idempotency=True),
)
def create_contract(request, payload: ContractIn):
    """A draft contract from exactly one of: a quote (usable: its discount approved when it
    needed it, else 409 ``approval``), an opportunity (not lost), or a customer (amount
    required)."""
    user = api_user(request)
    _check_source(user, payload)
    data = payload.model_dump(exclude=set(SOURCES), exclude_none=True)
    with input_names():
        contract = services.contract_create(
            actor=user,
            data=data,
            quote_id=payload.quote_id,
            opportunity_id=payload.opportunity_id,
            customer_id=payload.customer_id,
        )
    return Status(201, _contract_after(user, contract.pk))


@router.get(
    "/contracts/{contract_id}",
    response={200: ContractDetailOut, **errors(found=True)},
    summary="合同详情（含审批与事件）",
)
def get_contract(request, contract_id: Id, response: HttpResponse):
    contract = selectors.contract_get(user=api_user(request), pk=contract_id)
    return with_etag(response, ContractDetailOut, contract, request)


@router.patch(
    "/contracts/{contract_id}",
    response={200: ContractDetailOut, **WRITE_ERRORS},
    summary="修改合同",
    openapi_extra=headers(if_match=True),
)
def update_contract(request, contract_id: Id, payload: ContractPatch, response: HttpResponse):
    """A draft, rejected or approved contract; a rejected or approved one goes back to draft
    (what changed needs a fresh approval). Signed and closed contracts: 409."""
    user = api_user(request)
    load, guard = _contract_guard(request, user, contract_id)
    with guard:
        load()
        with input_names():
            services.contract_update(
                actor=user, contract_id=contract_id, data=payload.model_dump(exclude_unset=True)
            )
    return with_etag(response, ContractDetailOut, _contract_after(user, contract_id), request)


@router.post(
    "/contracts/{contract_id}/submit",
    response={200: ContractDetailOut, **WRITE_ERRORS},
    summary="提交合同审批",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def submit_contract(request, contract_id: Id, payload: ContractSubmitIn, response: HttpResponse):
    """The rules table gives the approver chain for the amount and discount; when no rule
    matches the contract is approved at once (``status`` "approved", the event says so)."""
    user = api_user(request)
    load, guard = _contract_guard(request, user, contract_id)
    with guard:
        load()
        services.contract_submit(actor=user, contract_id=contract_id, reason=payload.reason)
    return with_etag(response, ContractDetailOut, _contract_after(user, contract_id), request)


@router.post(
    "/contracts/{contract_id}/withdraw",
    response={200: ContractDetailOut, **errors(found=True, conflict=True, precondition=True)},
    summary="撤回合同审批",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def withdraw_contract(request, contract_id: Id, response: HttpResponse):
    """Take a contract in approval back to draft (the approval is cancelled)."""
    user = api_user(request)
    load, guard = _contract_guard(request, user, contract_id)
    with guard:
        load()
        services.contract_withdraw(actor=user, contract_id=contract_id)
    return with_etag(response, ContractDetailOut, _contract_after(user, contract_id), request)


@router.post(
    "/contracts/{contract_id}/sign",
    response={200: SignOut, **WRITE_ERRORS},
    summary="签署合同（可同时赢单）",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def sign_contract(request, contract_id: Id, payload: SignIn):
    """Record the signature of an approved contract. With ``win_opportunity`` (default) the
    linked open opportunity is won with the contract amount through the pipeline's own service;
    when the signer may not change that opportunity the contract is signed all the same and
    ``win_error`` says why it was not won."""
    user = api_user(request)
    load, guard = _contract_guard(request, user, contract_id)
    with guard:
        load()
        with input_names():
            result = services.contract_sign(
                actor=user,
                contract_id=contract_id,
                signed_on=payload.signed_on,
                start_on=payload.start_on,
                end_on=payload.end_on,
                win_opportunity=payload.win_opportunity,
            )
    return {
        "contract": _contract_after(user, contract_id),
        "won": result.won,
        "win_error": str(result.win_error or ""),
    }


@router.post(
    "/contracts/{contract_id}/close",
    response={200: ContractDetailOut, **WRITE_ERRORS},
    summary="完成或终止合同",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def close_contract(request, contract_id: Id, payload: CloseIn, response: HttpResponse):
    """完成 a signed contract (``completed`` true) or 终止 a contract (false, with a reason)."""
    user = api_user(request)
    load, guard = _contract_guard(request, user, contract_id)
    with guard:
        load()
        services.contract_close(
            actor=user, contract_id=contract_id, completed=payload.completed, reason=payload.reason
        )
    return with_etag(response, ContractDetailOut, _contract_after(user, contract_id), request)


# --- orders -----------------------------------------------------------------------------------


def _order_after(user, pk: int) -> Order:
    try:
        return selectors.order_get(user=user, pk=pk)
    except Http404:
        return Order.objects.select_related(
            "customer", "owner", "contract", "opportunity", "credit_approval"
        ).get(pk=pk)


@router.get("/orders", response={200: OrderPage, **errors()}, summary="订单列表")
def list_orders(request, filters: Query[OrderFilters]):
    """Orders in the caller's data scope, newest first."""
    data = filters.model_dump(exclude_none=True)
    limit, cursor = data.pop("limit"), data.pop("cursor", None)
    contract_id = data.pop("contract_id", None)
    if data.pop("late", False):
        data["late"] = "1"
    qs = selectors.order_list(user=api_user(request), filters=data).select_related("opportunity")
    if contract_id is not None:
        qs = qs.filter(contract_id=contract_id)
    items, next_cursor = paginate(qs, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/orders",
    response={201: OrderCreatedOut, **errors(body=True, conflict=True)},
    summary="从已签署合同下订单",
    openapi_extra=headers(idempotency=True),
)
def create_order(request, payload: OrderIn):
    """An order of a signed contract (its customer, opportunity and owner); the orders of a
    contract never exceed its amount (422 on ``amount``). When the customer's receivables plus
    this order would pass its credit limit the order is refused with 409 ``credit_limit`` —
    unless ``credit_reason`` is given: then it is created on hold (``credit_hold``) and a credit
    approval is requested."""
    user = api_user(request)
    pick(selectors.contract_list(user=user), payload.contract_id, "contract_id")
    data = payload.model_dump(exclude={"contract_id", "credit_reason"})
    with input_names():
        result = services.order_create(
            actor=user,
            contract_id=payload.contract_id,
            data=data,
            credit_reason=payload.credit_reason,
        )
    order = _order_after(user, result.order.pk)
    order.warnings = [str(w) for w in result.warnings]
    return Status(201, order)


@router.get(
    "/orders/{order_id}",
    response={200: OrderDetailOut, **errors(found=True)},
    summary="订单详情",
)
def get_order(request, order_id: Id, response: HttpResponse):
    order = selectors.order_get(user=api_user(request), pk=order_id)
    return with_etag(response, OrderDetailOut, order, request)


@router.patch(
    "/orders/{order_id}",
    response={200: OrderDetailOut, **WRITE_ERRORS},
    summary="更新履约（发货、交付、取消）",
    openapi_extra=headers(if_match=True),
)
def update_delivery(request, order_id: Id, payload: DeliveryIn, response: HttpResponse):
    """履约: move the delivery status on (the date of the new status defaults to today), keep
    the planned and actual dates and the note. Cancelling needs ``delivery_note`` and gives the
    amount back to the contract, the customer's purchases and receivables. An order on credit
    hold cannot ship (409)."""
    user = api_user(request)

    def load():
        return selectors.order_get(user=user, pk=order_id, action="change")

    with guarded_write(request, model=Order, pk=order_id, load=load, schema=OrderDetailOut):
        load()
        services.order_update_delivery(
            actor=user, order_id=order_id, data=payload.model_dump(exclude_unset=True)
        )
    return with_etag(response, OrderDetailOut, _order_after(user, order_id), request)
