"""/api/v1/products and /api/v1/quotes — 产品 and 报价: the catalog (list, create, read,
change; the standard cost only for those who may change products), quotes with their lines
(list, create, read, change) and the quote actions: submit for discount approval, send, record
the customer's answer. Writes are calls of ``salesflow.deals.services``; reads go through the
deals selectors with the pages' rights and data scope.

``router`` also carries the contracts, orders, payment plans and receipts routers, so that the
whole deal-to-cash part is registered with one line in api.py."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from ninja import Query, Router, Status

from salesflow.core.scope import has_right
from salesflow.customers.selectors import customer_list
from salesflow.deals import selectors, services
from salesflow.deals.models import Product, Quote
from salesflow.pipeline.models import ProductLine
from salesflow.pipeline.selectors import opportunity_list

from ..concurrency import guarded_write, with_etag
from ..helpers import api_user, pick
from ..pagination import paginate
from ..schemas import Id, errors, headers
from . import contracts, receivables
from .deals_io import (
    AnswerIn,
    ProductFilters,
    ProductIn,
    ProductOut,
    ProductPage,
    ProductPatch,
    QuoteDetailOut,
    QuoteFilters,
    QuoteIn,
    QuotePage,
    QuotePatch,
    ReasonIn,
    input_names,
)

products = Router(tags=["产品 Products"])
quotes = Router(tags=["报价 Quotes"])

WRITE_ERRORS = errors(body=True, found=True, conflict=True, precondition=True)


# --- products ---------------------------------------------------------------------------------


def _product_get(user, pk: int) -> Product:
    """A product of the catalog, for a user who may see the catalog (else 404)."""
    if not has_right(user, "product", "view"):
        raise Http404
    product = selectors.product_list().filter(pk=pk).first()
    if product is None:
        raise Http404
    return product


def _product_data(data: dict) -> dict:
    if "product_line_id" in data:
        data["product_line"] = pick(
            ProductLine.objects.filter(is_active=True),
            data.pop("product_line_id"),
            "product_line_id",
        )
    return data


@products.get("/products", response={200: ProductPage, **errors()}, summary="产品列表")
def list_products(request, filters: Query[ProductFilters]):
    """The catalog (产品档案) in the order of the product lines; the filters of the page."""
    user = api_user(request)
    data = filters.model_dump(exclude_none=True)
    limit, cursor = data.pop("limit"), data.pop("cursor", None)
    if "active" in data:
        data["active"] = "1" if data["active"] else "0"
    if has_right(user, "product", "view"):
        qs = selectors.product_list(filters=data)
    else:
        qs = Product.objects.none()
    items, next_cursor = paginate(qs, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}


@products.post(
    "/products",
    response={201: ProductOut, **errors(body=True, conflict=True)},
    summary="新增产品",
    openapi_extra=headers(idempotency=True),
)
def create_product(request, payload: ProductIn):
    """A product of an active product line; the name is unique within its line."""
    user = api_user(request)
    data = _product_data(payload.model_dump())
    with input_names():
        product = services.product_create(actor=user, data=data)
    return Status(201, _product_get(user, product.pk))


@products.get(
    "/products/{product_id}",
    response={200: ProductOut, **errors(found=True)},
    summary="产品详情",
)
def get_product(request, product_id: Id, response: HttpResponse):
    product = _product_get(api_user(request), product_id)
    return with_etag(response, ProductOut, product, request)


@products.patch(
    "/products/{product_id}",
    response={200: ProductOut, **WRITE_ERRORS},
    summary="修改产品",
    openapi_extra=headers(if_match=True),
)
def update_product(request, product_id: Id, payload: ProductPatch, response: HttpResponse):
    """A new list price applies to quote lines written from now on (existing quotes keep
    theirs)."""
    user = api_user(request)

    def load():
        return _product_get(user, product_id)

    with guarded_write(request, model=Product, pk=product_id, load=load, schema=ProductOut):
        load()
        data = _product_data(payload.model_dump(exclude_unset=True))
        with input_names():
            services.product_update(actor=user, product_id=product_id, data=data)
    return with_etag(response, ProductOut, load(), request)


# --- quotes -----------------------------------------------------------------------------------


def _lines(lines) -> list[dict] | None:
    if lines is None:
        return None
    return [
        {"product": line.product_id, "quantity": line.quantity, "discount_pct": line.discount_pct}
        for line in lines
    ]


def _quote_after(user, pk: int) -> Quote:
    """The quote as the caller now sees it (after a write that may have moved it out of the
    caller's scope, as the record just written)."""
    try:
        return selectors.quote_get(user=user, pk=pk)
    except Http404:
        return Quote.objects.select_related("customer", "owner", "opportunity").get(pk=pk)


def _quote_guard(request, user, quote_id: int):
    def load():
        return selectors.quote_get(user=user, pk=quote_id, action="change")

    return load, guarded_write(request, model=Quote, pk=quote_id, load=load, schema=QuoteDetailOut)


@quotes.get("/quotes", response={200: QuotePage, **errors()}, summary="报价列表")
def list_quotes(request, filters: Query[QuoteFilters]):
    """Quotes in the caller's data scope, newest first."""
    data = filters.model_dump(exclude_none=True)
    limit, cursor = data.pop("limit"), data.pop("cursor", None)
    min_total, max_total = data.pop("min_total", None), data.pop("max_total", None)
    opportunity_id = data.pop("opportunity_id", None)
    qs = selectors.quote_list(user=api_user(request), filters=data)
    if min_total is not None:
        qs = qs.filter(total__gte=min_total)
    if max_total is not None:
        qs = qs.filter(total__lte=max_total)
    if opportunity_id is not None:
        qs = qs.filter(opportunity_id=opportunity_id)
    items, next_cursor = paginate(qs, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}


@quotes.post(
    "/quotes",
    response={201: QuoteDetailOut, **errors(body=True, conflict=True)},
    summary="新建报价",
    openapi_extra=headers(idempotency=True),
)
def create_quote(request, payload: QuoteIn):
    """A draft quote for a customer in the caller's scope (optionally for one of its
    opportunities). Line prices and costs come from the catalog; every line is rounded once
    to the cent and the totals are the sums of the lines."""
    user = api_user(request)
    pick(customer_list(user=user), payload.customer_id, "customer_id")
    pick(opportunity_list(user=user), payload.opportunity_id, "opportunity_id")
    with input_names():
        quote = services.quote_create(
            actor=user,
            customer_id=payload.customer_id,
            opportunity_id=payload.opportunity_id,
            data=payload.model_dump(include={"title", "valid_until", "terms"}),
            lines=_lines(payload.lines),
        )
    return Status(201, _quote_after(user, quote.pk))


@quotes.get(
    "/quotes/{quote_id}",
    response={200: QuoteDetailOut, **errors(found=True)},
    summary="报价详情（含明细、毛利与审批）",
)
def get_quote(request, quote_id: Id, response: HttpResponse):
    quote = selectors.quote_get(user=api_user(request), pk=quote_id)
    return with_etag(response, QuoteDetailOut, quote, request)


@quotes.patch(
    "/quotes/{quote_id}",
    response={200: QuoteDetailOut, **WRITE_ERRORS},
    summary="修改报价",
    openapi_extra=headers(if_match=True),
)
def update_quote(request, quote_id: Id, payload: QuotePatch, response: HttpResponse):
    """Change the header and, with ``lines``, replace every line. An approved or rejected
    quote goes back to draft: its approval covered the old lines. Sent and answered quotes
    cannot be changed (409)."""
    user = api_user(request)
    load, guard = _quote_guard(request, user, quote_id)
    with guard:
        load()
        data = payload.model_dump(exclude_unset=True)
        lines = _lines(payload.lines) if "lines" in data else None
        data.pop("lines", None)
        with input_names():
            services.quote_update(actor=user, quote_id=quote_id, data=data, lines=lines)
    return with_etag(response, QuoteDetailOut, _quote_after(user, quote_id), request)


@quotes.post(
    "/quotes/{quote_id}/submit",
    response={200: QuoteDetailOut, **WRITE_ERRORS},
    summary="提交折扣审批",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def submit_quote(request, quote_id: Id, payload: ReasonIn, response: HttpResponse):
    """A draft whose largest discount is above ``deal.discount_approval_threshold`` goes to a
    销售经理 (and above the director threshold a 销售总监 as well); the answer carries the
    approval. A quote that needs no approval is refused (409): send it directly."""
    user = api_user(request)
    load, guard = _quote_guard(request, user, quote_id)
    with guard:
        load()
        services.quote_submit(actor=user, quote_id=quote_id, reason=payload.reason)
    return with_etag(response, QuoteDetailOut, _quote_after(user, quote_id), request)


@quotes.post(
    "/quotes/{quote_id}/send",
    response={200: QuoteDetailOut, **errors(found=True, conflict=True, precondition=True)},
    summary="标记报价已发送",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def send_quote(request, quote_id: Id, response: HttpResponse):
    """Refused (409, ``code`` "approval") while a discount above the threshold is not
    approved, and after the validity date."""
    user = api_user(request)
    load, guard = _quote_guard(request, user, quote_id)
    with guard:
        load()
        services.quote_send(actor=user, quote_id=quote_id)
    return with_etag(response, QuoteDetailOut, _quote_after(user, quote_id), request)


@quotes.post(
    "/quotes/{quote_id}/answer",
    response={200: QuoteDetailOut, **WRITE_ERRORS},
    summary="记录客户答复（接受/拒绝）",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def answer_quote(request, quote_id: Id, payload: AnswerIn, response: HttpResponse):
    """The customer's answer to a sent quote."""
    user = api_user(request)
    load, guard = _quote_guard(request, user, quote_id)
    with guard:
        load()
        services.quote_answer(
            actor=user, quote_id=quote_id, accepted=payload.accepted, note=payload.note
        )
    return with_etag(response, QuoteDetailOut, _quote_after(user, quote_id), request)


# --- the deal-to-cash routers, registered together ------------------------------------------------

router = Router()
router.add_router("", products)
router.add_router("", quotes)
router.add_router("", contracts.router)
router.add_router("", receivables.router)
