"""/api/v1/customers and /api/v1/contacts — 客户 and 联系人: list (filters as in the list
page), create (with first contacts), read, change, delete; a customer's contacts, add and change
a contact. Writes are calls of ``salesflow.customers.services``. Contacts have no delete here:
the customers module has no service for it yet."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from ninja import Query, Router, Status

from salesflow.customers import selectors, services
from salesflow.customers.models import Contact, Customer, Industry, Region
from salesflow.org.models import User

from ..concurrency import guarded_write, with_etag
from ..helpers import api_user, drop_masked_echo, pick, resolve_ids
from ..pagination import paginate
from ..schemas import Id, PageParams, errors, headers
from .customers_io import (
    ContactIn,
    ContactOut,
    ContactPage,
    ContactPatch,
    CustomerFilters,
    CustomerIn,
    CustomerOut,
    CustomerPage,
    CustomerPatch,
)

router = Router(tags=["客户与联系人 Customers & contacts"])


def _lookups() -> dict:
    return {
        "industry_id": Industry.objects.filter(is_active=True),
        "region_id": Region.objects.filter(is_active=True),
    }


def _after(user, customer: Customer) -> Customer:
    try:
        return selectors.customer_get(user=user, pk=customer.pk)
    except Http404:
        customer.refresh_from_db()
        return customer


OK_WRITE = errors(body=True, found=True, conflict=True, precondition=True)


@router.get("/customers", response={200: CustomerPage, **errors()}, summary="客户列表")
def list_customers(request, filters: Query[CustomerFilters]):
    """Customers in the caller's data scope, newest first; the filters of the list page."""
    data = filters.model_dump(exclude_none=True)
    search = data.pop("q", "")
    limit, cursor = data.pop("limit"), data.pop("cursor", None)
    if "in_pool" in data:
        data["in_pool"] = "1" if data["in_pool"] else "0"
    qs = selectors.customer_list(user=api_user(request), filters=data, search=search)
    items, next_cursor = paginate(qs, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/customers",
    response={201: CustomerOut, **errors(body=True, conflict=True)},
    summary="新增客户",
    openapi_extra=headers(idempotency=True),
)
def create_customer(request, payload: CustomerIn):
    """A customer with its first contacts. A duplicate (same name, phone, or a contact's phone
    or e-mail) answers 409 with the matches unless ``confirm_duplicate`` is true."""
    user = api_user(request)
    data = payload.model_dump(exclude={"owner_id", "contacts", "confirm_duplicate"})
    data = resolve_ids(data, _lookups())
    owner = pick(User.objects.filter(is_active=True), payload.owner_id, "owner")
    customer = services.customer_create(
        actor=user,
        data=data,
        contacts=[c.model_dump() for c in payload.contacts],
        owner=owner,
        confirm_duplicate=payload.confirm_duplicate,
    )
    return Status(201, _after(user, customer))


@router.get(
    "/customers/{customer_id}",
    response={200: CustomerOut, **errors(found=True)},
    summary="客户详情",
)
def get_customer(request, customer_id: Id, response: HttpResponse):
    customer = selectors.customer_get(user=api_user(request), pk=customer_id)
    return with_etag(response, CustomerOut, customer, request)


@router.patch(
    "/customers/{customer_id}",
    response={200: CustomerOut, **OK_WRITE},
    summary="修改客户",
    openapi_extra=headers(if_match=True),
)
def update_customer(request, customer_id: Id, payload: CustomerPatch, response: HttpResponse):
    user = api_user(request)

    def load():
        return selectors.customer_get(user=user, pk=customer_id, action="change")

    with guarded_write(request, model=Customer, pk=customer_id, load=load, schema=CustomerOut):
        current = load()
        data = payload.model_dump(exclude_unset=True, exclude={"confirm_duplicate"})
        data = drop_masked_echo(user, "customer", data, current)
        data = resolve_ids(data, _lookups())
        services.customer_update(
            actor=user,
            customer_id=customer_id,
            data=data,
            confirm_duplicate=payload.confirm_duplicate,
        )
    return with_etag(response, CustomerOut, _after(user, current), request)


@router.delete(
    "/customers/{customer_id}",
    response={204: None, **errors(found=True, conflict=True, precondition=True)},
    summary="删除客户（进入回收站）",
    openapi_extra=headers(if_match=True),
)
def delete_customer(request, customer_id: Id):
    user = api_user(request)
    with guarded_write(
        request,
        model=Customer,
        pk=customer_id,
        load=lambda: selectors.customer_get(user=user, pk=customer_id, action="delete"),
        schema=CustomerOut,
    ):
        services.customer_delete(actor=user, customer_id=customer_id)
    return Status(204, None)


# --- contacts -------------------------------------------------------------------------------


@router.get(
    "/customers/{customer_id}/contacts",
    response={200: ContactPage, **errors(found=True)},
    summary="客户的联系人",
)
def list_contacts(request, customer_id: Id, page: Query[PageParams]):
    user = api_user(request)
    customer = selectors.customer_get(user=user, pk=customer_id)
    qs = selectors.contact_list(user=user, customer=customer)
    items, next_cursor = paginate(qs, limit=page.limit, cursor=page.cursor)
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/customers/{customer_id}/contacts",
    response={201: ContactOut, **errors(body=True, found=True, conflict=True)},
    summary="新增联系人",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def create_contact(request, customer_id: Id, payload: ContactIn):
    user = api_user(request)
    selectors.customer_get(user=user, pk=customer_id, action="change")
    contact = services.contact_add(actor=user, customer_id=customer_id, data=payload.model_dump())
    return Status(201, contact)


@router.get(
    "/contacts/{contact_id}", response={200: ContactOut, **errors(found=True)}, summary="联系人详情"
)
def get_contact(request, contact_id: Id, response: HttpResponse):
    contact = selectors.contact_get(user=api_user(request), pk=contact_id)
    return with_etag(response, ContactOut, contact, request)


@router.patch(
    "/contacts/{contact_id}",
    response={200: ContactOut, **OK_WRITE},
    summary="修改联系人",
    openapi_extra=headers(if_match=True),
)
def update_contact(request, contact_id: Id, payload: ContactPatch, response: HttpResponse):
    user = api_user(request)

    def load():
        return selectors.contact_get(user=user, pk=contact_id, action="change")

    with guarded_write(request, model=Contact, pk=contact_id, load=load, schema=ContactOut):
        current = load()
        data = payload.model_dump(exclude_unset=True)
        data = drop_masked_echo(user, "contact", data, current)
        contact = services.contact_update(actor=user, contact_id=contact_id, data=data)
    return with_etag(response, ContactOut, contact, request)
