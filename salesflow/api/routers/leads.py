"""/api/v1/leads — 线索: list (filters as in the list page), register, read, change, delete,
assign, screen, set status, convert. Every write is a call of ``salesflow.leads.services``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from salesflow.customers.models import Industry, Region
from salesflow.customers.selectors import customer_list
from salesflow.leads import selectors, services
from salesflow.leads.models import Lead, LeadSource
from salesflow.org.models import User
from salesflow.pipeline.services import lead_convert_with_opportunity

from ..concurrency import guarded_write, with_etag
from ..helpers import api_user, drop_masked_echo, pick, resolve_ids
from ..pagination import paginate
from ..schemas import Id, errors, headers
from .leads_io import (
    AssignIn,
    ConvertIn,
    ConvertOut,
    LeadFilters,
    LeadIn,
    LeadOut,
    LeadPage,
    LeadPatch,
    ScreenIn,
    ScreenOut,
    StatusIn,
)

router = Router(tags=["线索 Leads"])


def _lookups(user) -> dict:
    return {
        "industry_id": Industry.objects.filter(is_active=True),
        "region_id": Region.objects.filter(is_active=True),
        "source_id": LeadSource.objects.filter(is_active=True),
        "referral_customer_id": customer_list(user=user),
    }


def _check_budget(lead: Lead, data: dict) -> None:
    low = data.get("budget_min", lead.budget_min)
    high = data.get("budget_max", lead.budget_max)
    if low is not None and high is not None and low > high:
        raise ValidationError({"budget_max": _("预算上限不能低于预算下限。")})


@router.get("/leads", response={200: LeadPage, **errors()}, summary="线索列表")
def list_leads(request, filters: Query[LeadFilters]):
    """Leads in the caller's data scope, newest first; the filters of the list page."""
    data = filters.model_dump(exclude_none=True)
    search = data.pop("q", "")
    limit, cursor = data.pop("limit"), data.pop("cursor", None)
    if data.pop("unassigned", False):
        data["unassigned"] = "1"
    if data.pop("open", False):
        data["open"] = "1"
    qs = selectors.lead_list(user=api_user(request), filters=data, search=search)
    items, next_cursor = paginate(qs, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/leads",
    response={201: LeadOut, **errors(body=True, conflict=True)},
    summary="登记线索",
    openapi_extra=headers(idempotency=True),
)
def create_lead(request, payload: LeadIn):
    """客户信息登记表. A duplicate (same company name, phone or e-mail as a lead or customer)
    answers 409 with the matches unless ``confirm_duplicate`` is true."""
    user = api_user(request)
    data = payload.model_dump(exclude={"owner_id", "confirm_duplicate"})
    if data["acquired_at"] is None:
        data["acquired_at"] = timezone.now()
    if data["purpose"] is None:
        data.pop("purpose")
    data = resolve_ids(data, _lookups(user))
    owner = pick(User.objects.filter(is_active=True), payload.owner_id, "owner")
    lead = services.lead_register(
        actor=user, data=data, owner=owner, confirm_duplicate=payload.confirm_duplicate
    )
    return Status(201, _after(user, lead))


@router.get("/leads/{lead_id}", response={200: LeadOut, **errors(found=True)}, summary="线索详情")
def get_lead(request, lead_id: Id, response: HttpResponse):
    lead = selectors.lead_get(user=api_user(request), pk=lead_id)
    return with_etag(response, LeadOut, lead, request)


@router.patch(
    "/leads/{lead_id}",
    response={200: LeadOut, **errors(body=True, found=True, conflict=True, precondition=True)},
    summary="修改线索",
    openapi_extra=headers(if_match=True),
)
def update_lead(request, lead_id: Id, payload: LeadPatch, response: HttpResponse):
    user = api_user(request)

    def load():
        return selectors.lead_get(user=user, pk=lead_id, action="change")

    with guarded_write(request, model=Lead, pk=lead_id, load=load, schema=LeadOut):
        current = load()
        data = payload.model_dump(exclude_unset=True, exclude={"confirm_duplicate"})
        data = drop_masked_echo(user, "lead", data, current)
        _check_budget(current, data)
        data = resolve_ids(data, _lookups(user))
        services.lead_update(
            actor=user, lead_id=lead_id, data=data, confirm_duplicate=payload.confirm_duplicate
        )
    return with_etag(response, LeadOut, _after(user, current), request)


@router.delete(
    "/leads/{lead_id}",
    response={204: None, **errors(found=True, conflict=True, precondition=True)},
    summary="删除线索（进入回收站）",
    openapi_extra=headers(if_match=True),
)
def delete_lead(request, lead_id: Id):
    user = api_user(request)
    with guarded_write(
        request,
        model=Lead,
        pk=lead_id,
        load=lambda: selectors.lead_get(user=user, pk=lead_id, action="delete"),
        schema=LeadOut,
    ):
        services.lead_delete(actor=user, lead_id=lead_id)
    return Status(204, None)


def _action(request, lead_id: int, action: str, call):
    """A POST action on one lead: 404 outside the scope of ``action``; If-Match honoured."""
    user = api_user(request)

    def load():
        return selectors.lead_get(user=user, pk=lead_id, action=action)

    with guarded_write(request, model=Lead, pk=lead_id, load=load, schema=LeadOut):
        result = call(user, load())
    return result


ACTION_ERRORS = errors(body=True, found=True, conflict=True, precondition=True)


@router.post(
    "/leads/{lead_id}/assign",
    response={200: LeadOut, **ACTION_ERRORS},
    summary="分配线索",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def assign_lead(request, lead_id: Id, payload: AssignIn):
    def call(user, lead):
        owner = pick(User.objects.filter(is_active=True), payload.owner_id, "owner")
        services.lead_assign(actor=user, lead_ids=[lead_id], to_owner=owner, reason=payload.reason)
        return _after(user, lead)

    return _action(request, lead_id, "assign", call)


@router.post(
    "/leads/{lead_id}/screen",
    response={200: ScreenOut, **ACTION_ERRORS},
    summary="线索评分",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def screen_lead(request, lead_id: Id, payload: ScreenIn):
    """Score on the active scorecard: one option per criterion, plus the intent grade."""

    def call(user, lead):
        answers = {a.criterion_id: a.option_id for a in payload.answers}
        score = services.lead_screen(
            actor=user, lead_id=lead_id, answers=answers, intent=payload.intent
        )
        return {
            "total": score.total,
            "grade": score.grade,
            "intent": score.intent,
            "lead": _after(user, lead),
        }

    return _action(request, lead_id, "change", call)


@router.post(
    "/leads/{lead_id}/status",
    response={200: LeadOut, **ACTION_ERRORS},
    summary="设置线索状态",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def set_lead_status(request, lead_id: Id, payload: StatusIn):
    def call(user, lead):
        services.lead_set_status(
            actor=user, lead_id=lead_id, status=payload.status, reason=payload.reason
        )
        return _after(user, lead)

    return _action(request, lead_id, "change", call)


@router.post(
    "/leads/{lead_id}/convert",
    response={200: ConvertOut, **ACTION_ERRORS},
    summary="线索转客户",
    openapi_extra=headers(if_match=True, idempotency=True),
)
def convert_lead(request, lead_id: Id, payload: ConvertIn):
    """Lead → customer + contact, and optionally an opportunity that carries the lead's
    registration and score as its first outputs — one transaction."""

    def call(user, lead):
        pick(customer_list(user=user), payload.existing_customer_id, "existing_customer_id")
        customer_data = payload.customer.model_dump(exclude_none=True) if payload.customer else None
        customer, opportunity = lead_convert_with_opportunity(
            actor=user,
            lead_id=lead_id,
            opportunity=payload.opportunity.model_dump() if payload.opportunity else None,
            customer_data=customer_data,
            existing_customer_id=payload.existing_customer_id,
            confirm_duplicate=payload.confirm_duplicate,
        )
        return {
            "customer_id": customer.pk,
            "opportunity_id": opportunity.pk if opportunity else None,
            "lead": _after(user, lead),
        }

    return _action(request, lead_id, "change", call)


def _after(user, lead: Lead) -> Lead:
    """The lead after a write, as the caller now sees it; one that left the caller's scope
    (handed to someone else) is shown as it was written, since the caller just acted on it."""
    try:
        return selectors.lead_get(user=user, pk=lead.pk)
    except Http404:
        lead.refresh_from_db()
        return lead
