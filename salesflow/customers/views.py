"""Pages of 客户档案 and the 公海 pool. Reads go through ``selectors`` (a record outside the
user's scope is a 404), writes through ``services``; service errors are put on the form by
``forms.apply_service_error`` or shown as a message."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesflow.core.dedup import DuplicateFound
from salesflow.core.errors import DomainError
from salesflow.core.exports import export_response
from salesflow.core.pagination import bounded_page
from salesflow.core.pii import can_view_contact, shown_email, shown_phone
from salesflow.core.scope import has_right, is_in_scope
from salesflow.core.views import require_right

from . import selectors, services
from .forms import (
    AssignForm,
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
    FirstContactForm,
    GradeForm,
    MergeForm,
    ReasonForm,
    apply_service_error,
)
from .models import Lifecycle

PAGE_SIZE = 50
SERVICE_ERRORS = (ValidationError, DomainError, PermissionDenied)


def _label_lifecycle(customers) -> None:
    for customer in customers:
        customer.lifecycle_label = Lifecycle(customer.lifecycle).label


def _filtered(request):
    user = request.user
    form = CustomerFilterForm(
        request.GET or None, owner_queryset=selectors.owner_choices(user=user)
    )
    filters, search = form.selector_args()
    return form, filters, search


def _error_message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, DomainError):
        return str(exc.message)
    return str(exc) or _("没有执行该操作的权限。")


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# --- list and export ----------------------------------------------------------------------------


@require_right("customer", "view")
@require_http_methods(["GET"])
def customer_list(request):
    user = request.user
    form, filters, search = _filtered(request)
    qs = selectors.with_primary_contact(
        selectors.customer_list(user=user, filters=filters, search=search), user=user
    )
    page = bounded_page(qs, PAGE_SIZE, request.GET.get("page"))
    _label_lifecycle(page.object_list)
    can_assign = has_right(user, "customer", "assign")
    return render(
        request,
        "customers/list.html",
        {
            "form": form,
            "page": page,
            "filtered": bool(filters or search),
            "can_add": has_right(user, "customer", "add"),
            "can_export": has_right(user, "customer", "export"),
            "can_assign": can_assign,
            "assign_form": (
                AssignForm(owner_queryset=selectors.assignable_users(user=user))
                if can_assign
                else None
            ),
        },
    )


def _export_columns(user) -> list:
    def contact(customer):
        return customer.primary_contacts[0] if customer.primary_contacts else None

    def contact_attr(name):
        return lambda c: getattr(contact(c), name, "") if contact(c) else ""

    return [
        (_("客户名称"), lambda c: c.name),
        (_("价值分级"), lambda c: c.grade),
        (_("分级依据"), lambda c: c.get_grade_source_display()),
        (_("生命周期"), lambda c: Lifecycle(c.lifecycle).label),
        (_("维护等级"), lambda c: c.get_tier_display()),
        (_("行业"), lambda c: c.industry.name if c.industry else ""),
        (_("区域"), lambda c: c.region.name if c.region else ""),
        (_("负责人"), lambda c: str(c.owner) if c.owner else _("公海")),
        (_("总机"), lambda c: shown_phone(user, "customer", c.phone)),
        (_("预计年采购额（元）"), lambda c: c.expected_annual_value),
        (_("信用等级"), lambda c: c.credit_rating),
        (_("信用额度（元）"), lambda c: c.credit_limit),
        (_("最近跟进"), lambda c: c.last_followup_at),
        (_("主要联系人"), contact_attr("name")),
        (_("职务"), contact_attr("title")),
        (_("联系人手机"), lambda c: shown_phone(user, "contact", contact_attr("phone")(c))),
        (_("联系人邮箱"), lambda c: shown_email(user, "contact", contact_attr("email")(c))),
        (_("创建时间"), lambda c: c.created_at),
    ]


@require_right("customer", "export")
@require_http_methods(["GET"])
def customer_export(request):
    user = request.user
    _form, filters, search = _filtered(request)
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    qs = selectors.customer_export_list(user=user, filters=filters, search=search)
    personal = can_view_contact(user, "contact") or can_view_contact(user, "customer")
    return export_response(
        user=user,
        queryset=qs,
        columns=_export_columns(user),
        fmt=fmt,
        filename=_("客户列表"),
        object_type="customer",
        personal_data=personal,
        filters=(filters | {"q": search}) if search else filters,
    )


# --- create and edit ----------------------------------------------------------------------------


@require_right("customer", "add")
@require_http_methods(["GET", "POST"])
def customer_create(request):
    user = request.user
    can_assign = has_right(user, "customer", "assign")
    data = request.POST if request.method == "POST" else None
    form = CustomerForm(
        data,
        owner_queryset=selectors.assignable_users(user=user) if can_assign else None,
        with_tier=False,
    )
    contact_form = FirstContactForm(data)
    duplicates = []
    if data is not None:
        valid = form.is_valid()
        if contact_form.is_valid() and valid:
            try:
                customer = services.customer_create(
                    actor=user,
                    data=form.service_data(),
                    contacts=contact_form.rows(),
                    owner=form.cleaned_data.get("owner"),
                    confirm_duplicate=form.cleaned_data["confirm_duplicate"],
                )
            except DuplicateFound as exc:
                duplicates = exc.matches
            except SERVICE_ERRORS as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("客户“%(name)s”已创建。") % {"name": customer.name})
                return redirect("customers:detail", customer.pk)
    return render(
        request,
        "customers/form.html",
        {
            "form": form,
            "contact_form": contact_form,
            "duplicates": duplicates,
            "customer": None,
        },
    )


@require_right("customer", "change")
@require_http_methods(["GET", "POST"])
def customer_edit(request, pk):
    user = request.user
    customer = selectors.customer_get(user=user, pk=pk, action="change")
    data = request.POST if request.method == "POST" else None
    form = CustomerForm(
        data,
        instance=copy.copy(customer),
        hide_phone=bool(customer.phone) and not can_view_contact(user, "customer"),
    )
    duplicates = []
    if data is not None and form.is_valid():
        try:
            services.customer_update(
                actor=user,
                customer_id=customer.pk,
                data=form.service_data(),
                confirm_duplicate=form.cleaned_data["confirm_duplicate"],
            )
        except DuplicateFound as exc:
            duplicates = exc.matches
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("客户资料已保存。"))
            return redirect("customers:detail", customer.pk)
    return render(
        request,
        "customers/form.html",
        {"form": form, "duplicates": duplicates, "customer": customer},
    )


# --- detail and its actions ---------------------------------------------------------------------


def _render_detail(request, customer, **bound_forms):
    """The detail page; ``bound_forms`` (``grade_form=…``) replaces an action's empty form by
    the submitted one with its errors, and that action's panel is shown open."""
    user = request.user
    can_change = has_right(user, "customer", "change") and is_in_scope(user, customer, "change")
    can_assign = has_right(user, "customer", "assign") and is_in_scope(user, customer, "assign")
    can_delete = has_right(user, "customer", "delete") and is_in_scope(user, customer, "delete")
    contacts = list(selectors.contact_list(user=user, customer=customer))
    for contact in contacts:
        contact.decision_role_label = contact.get_decision_role_display()
    customer.lifecycle_label = Lifecycle(customer.lifecycle).label
    context = {
        "customer": customer,
        "customer_phone": shown_phone(user, "customer", customer.phone),
        "contacts": contacts,
        "can_see_contacts": has_right(user, "contact", "view"),
        "can_view_contact_details": can_view_contact(user, "contact"),
        "timeline": selectors.customer_timeline(customer=customer),
        "content_type_id": ContentType.objects.get_for_model(customer).pk,
        "can_change": can_change,
        "can_assign": can_assign,
        "can_delete": can_delete,
        "can_add_contact": can_change and has_right(user, "contact", "add"),
        "can_change_contact": can_change and has_right(user, "contact", "change"),
        "grade_form": bound_forms.get("grade_form") or GradeForm(),
        "return_form": bound_forms.get("return_form") or ReasonForm(),
        "assign_form": bound_forms.get("assign_form")
        or (
            AssignForm(owner_queryset=selectors.assignable_users(user=user)) if can_assign else None
        ),
        "open_panel": next(iter(bound_forms), "").removesuffix("_form"),
    }
    return render(request, "customers/detail.html", context)


@require_right("customer", "view")
@require_http_methods(["GET"])
def customer_detail(request, pk):
    customer = selectors.customer_get(user=request.user, pk=pk)
    return _render_detail(request, customer)


@require_right("customer", "change")
@require_http_methods(["POST"])
def customer_grade(request, pk):
    customer = selectors.customer_get(user=request.user, pk=pk, action="change")
    form = GradeForm(request.POST)
    if form.is_valid():
        try:
            services.customer_grade_override(
                actor=request.user,
                customer_id=customer.pk,
                grade=form.chosen_grade(),
                reason=form.cleaned_data["reason"],
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("价值分级已更新。"))
            return redirect("customers:detail", customer.pk)
    return _render_detail(request, customer, grade_form=form)


@require_right("customer", "change")
@require_http_methods(["POST"])
def customer_return(request, pk):
    customer = selectors.customer_get(user=request.user, pk=pk, action="change")
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.customer_return_to_pool(
                actor=request.user, customer_id=customer.pk, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:  # already in the pool: there is no return form to show
            messages.error(request, _error_message(exc))
            return redirect("customers:detail", customer.pk)
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("客户已退回公海。"))
            if is_in_scope(request.user, customer, "view"):
                return redirect("customers:detail", customer.pk)
            return redirect("customers:list")
    return _render_detail(request, customer, return_form=form)


@require_right("customer", "delete")
@require_http_methods(["POST"])
def customer_delete(request, pk):
    customer = selectors.customer_get(user=request.user, pk=pk, action="delete")
    try:
        services.customer_delete(actor=request.user, customer_id=customer.pk)
    except SERVICE_ERRORS as exc:
        messages.error(request, _error_message(exc))
        return redirect("customers:detail", customer.pk)
    messages.success(
        request, _("客户“%(name)s”已移入回收站，管理员可在15天内恢复。") % {"name": customer.name}
    )
    return redirect("customers:list")


@require_right("customer", "assign")
@require_http_methods(["GET", "POST"])
def customer_assign(request):
    """Bulk (re)assignment: the list posts the ticked customers here; GET shows the form for
    ``?ids=…`` and a refused POST shows it again with the errors."""
    user = request.user
    source = request.POST if request.method == "POST" else request.GET
    ids = sorted({int(v) for v in source.getlist("ids") if v.isdigit()})
    customers = list(selectors.customers_for_assign(user=user, ids=ids)) if ids else []
    owners = selectors.assignable_users(user=user)
    form = AssignForm(request.POST if request.method == "POST" else None, owner_queryset=owners)
    if request.method == "POST" and form.is_valid():
        if not ids:
            form.add_error(None, _("请至少选择一个客户。"))
        else:
            try:
                changed = services.customer_assign(
                    actor=user,
                    customer_ids=ids,
                    to_owner=form.cleaned_data["owner"],
                    reason=form.cleaned_data["reason"],
                )
            except SERVICE_ERRORS as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("已将 %(count)s 个客户分配给 %(owner)s。")
                    % {"count": changed, "owner": form.cleaned_data["owner"]},
                )
                return redirect(_safe_next(request, reverse("customers:list")))
    return render(
        request,
        "customers/assign.html",
        {
            "form": form,
            "customers": customers,
            "selected": set(ids),
            "next": _safe_next(request, ""),
        },
    )


@require_right("customer", "change")
@require_http_methods(["GET", "POST"])
def customer_merge(request, pk):
    user = request.user
    customer = selectors.customer_get(user=user, pk=pk, action="change")
    search = request.GET.get("q", "").strip()
    candidates = selectors.merge_candidates(user=user, customer=customer)
    preselected = request.GET.get("other", "")
    form = MergeForm(
        request.POST if request.method == "POST" else None,
        candidates=candidates,
        initial={"other": preselected} if preselected.isdigit() else None,
    )
    if request.method == "POST" and form.is_valid():
        other = form.cleaned_data["other"]
        keep, merged = customer, other
        if form.cleaned_data["keep"] == form.OTHER:
            keep, merged = other, customer
        try:
            kept = services.customer_merge(
                actor=user, keep_id=keep.pk, merge_id=merged.pk, reason=form.cleaned_data["reason"]
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(
                request,
                _("客户“%(merged)s”已合并到“%(kept)s”。")
                % {"merged": merged.name, "kept": kept.name},
            )
            return redirect("customers:detail", kept.pk)
    shown = []
    if search:
        shown = list(selectors.merge_candidates(user=user, customer=customer, search=search)[:20])
    if preselected.isdigit():
        chosen = candidates.filter(pk=preselected).first()
        if chosen and chosen not in shown:
            shown.insert(0, chosen)
    if form.is_bound and form.data.get("other", "").isdigit():
        chosen = candidates.filter(pk=form.data["other"]).first()
        if chosen and chosen not in shown:
            shown.insert(0, chosen)
    return render(
        request,
        "customers/merge.html",
        {"customer": customer, "form": form, "candidates": shown, "q": search},
    )


# --- contacts -----------------------------------------------------------------------------------


@require_right("contact", "add")
@require_http_methods(["GET", "POST"])
def contact_add(request, pk):
    customer = selectors.customer_get(user=request.user, pk=pk, action="change")
    form = ContactForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_add(
                actor=request.user, customer_id=customer.pk, data=form.service_data()
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("联系人已添加。"))
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#contacts")
    return render(
        request,
        "customers/contact_form.html",
        {"form": form, "customer": customer, "contact": None},
    )


@require_right("contact", "change")
@require_http_methods(["GET", "POST"])
def contact_edit(request, pk):
    user = request.user
    contact = selectors.contact_get(user=user, pk=pk, action="change")
    form = ContactForm(
        request.POST if request.method == "POST" else None,
        instance=copy.copy(contact),
        hide_details=not can_view_contact(user, "contact"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(actor=user, contact_id=contact.pk, data=form.service_data())
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("联系人已保存。"))
            return redirect(reverse("customers:detail", args=[contact.customer_id]) + "#contacts")
    return render(
        request,
        "customers/contact_form.html",
        {"form": form, "customer": contact.customer, "contact": contact},
    )


# --- 公海 pool -----------------------------------------------------------------------------------


@require_right("customer", "add")
@require_http_methods(["GET"])
def pool(request):
    user = request.user
    search = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.pool_list(user=user, search=search), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "customers/pool.html",
        {
            "page": page,
            "q": search,
            "held": selectors.claimed_and_held_count(user=user),
            "limit": services.claim_limit_for(None),
        },
    )


@require_right("customer", "add")
@require_http_methods(["POST"])
def pool_claim(request, pk):
    try:
        customer = services.customer_claim(actor=request.user, customer_id=pk)
    except SERVICE_ERRORS as exc:
        messages.error(request, _error_message(exc))
        return redirect(_safe_next(request, reverse("customers:pool")))
    messages.success(request, _("已领取客户“%(name)s”。") % {"name": customer.name})
    return redirect("customers:detail", customer.pk)
