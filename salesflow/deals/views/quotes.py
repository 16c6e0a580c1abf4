"""报价: list, export, create (customer search first), edit with lines, detail with totals and
margin, discount approval, sending, the customer's answer, and the printable Chinese quote."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesflow.core.exports import export_response
from salesflow.core.scope import has_right
from salesflow.core.settings_registry import get_setting
from salesflow.core.views import require_right
from salesflow.customers.models import Customer
from salesflow.pipeline.models import Opportunity, OpportunityStatus

from .. import money, routing, selectors, services
from ..forms import (
    STATUS_CHOICES,
    AnswerForm,
    ListFilterForm,
    QuoteHeaderForm,
    QuoteLineFormSet,
    ReasonForm,
    apply_service_error,
    line_rows,
)
from ..models import Contract, Product, Quote
from .common import SERVICE_ERRORS, export_format, int_param, owner_choices, page_of, run_action

PICK_LIMIT = 20


def _filter_form(request):
    return ListFilterForm(
        request.GET or None,
        statuses=STATUS_CHOICES["quote"],
        owners=owner_choices(request.user, "quote"),
    )


@require_right("quote", "view")
@require_http_methods(["GET"])
def quote_list(request):
    form = _filter_form(request)
    filters = form.selector_args()
    user = request.user
    return render(
        request,
        "deals/quote_list.html",
        {
            "form": form,
            "page": page_of(request, selectors.quote_list(user=user, filters=filters)),
            "filtered": bool(filters),
            "can_add": has_right(user, "quote", "add"),
            "can_export": has_right(user, "quote", "export"),
        },
    )


@require_right("quote", "export")
@require_http_methods(["GET"])
def quote_export(request):
    filters = _filter_form(request).selector_args()
    columns = [
        (_("报价单号"), lambda q: q.number),
        (_("报价名称"), lambda q: q.title),
        (_("客户"), lambda q: q.customer.name),
        (_("商机"), lambda q: q.opportunity.name if q.opportunity else ""),
        (_("负责人"), lambda q: str(q.owner)),
        (_("状态"), lambda q: q.get_status_display()),
        (_("标准价合计（元）"), lambda q: q.list_total),
        (_("报价合计（元）"), lambda q: q.total),
        (_("最大折扣（%）"), lambda q: q.max_discount_pct),
        (_("毛利率（%）"), lambda q: money.shown_pct(q.margin_pct)),
        (_("有效期至"), lambda q: q.valid_until),
        (_("创建时间"), lambda q: q.created_at),
    ]
    return export_response(
        user=request.user,
        queryset=selectors.quote_list(user=request.user, filters=filters),
        columns=columns,
        fmt=export_format(request),
        filename=_("报价列表"),
        object_type="quote",
        personal_data=False,
        filters=filters,
    )


def _opportunities(user, customer):
    return Opportunity.objects.restrict(user, "view").filter(
        customer=customer, status__in=(OpportunityStatus.OPEN, OpportunityStatus.WON)
    )


def _products_for(quote=None):
    qs = Product.objects.filter(is_active=True)
    if quote is not None:
        qs = qs | Product.objects.filter(pk__in=quote.lines.values("product_id"))
    return qs.select_related("product_line").order_by("product_line__sort_order", "name")


def _pick(request):
    """Step one of a new quote: find the customer (or an opportunity) in scope."""
    user = request.user
    q = (request.GET.get("q") or "").strip()[:100]
    customers = opportunities = []
    if q:
        customers = list(
            Customer.objects.restrict(user, "view").filter(name__icontains=q)[:PICK_LIMIT]
        )
        opportunities = list(
            Opportunity.objects.restrict(user, "view")
            .filter(status=OpportunityStatus.OPEN)
            .filter(Q(name__icontains=q) | Q(customer__name__icontains=q))
            .select_related("customer")[:PICK_LIMIT]
        )
    return render(
        request,
        "deals/quote_pick.html",
        {"q": q, "customers": customers, "opportunities": opportunities},
    )


@require_right("quote", "add")
@require_http_methods(["GET", "POST"])
def quote_create(request):
    user = request.user
    customer_id = int_param(request, "customer")
    if customer_id is None:
        return _pick(request)
    customer = Customer.objects.get_in_scope(user, "view", pk=customer_id)
    opportunities = _opportunities(user, customer)
    products = _products_for()
    data = request.POST if request.method == "POST" else None
    form = QuoteHeaderForm(
        data,
        opportunities=opportunities,
        initial={
            "opportunity": int_param(request, "opportunity"),
            "valid_until": timezone.localdate()
            + datetime.timedelta(days=get_setting("deal.quote_validity_days")),
        },
    )
    lines = QuoteLineFormSet(data, prefix="lines", form_kwargs={"products": products})
    if data is not None and form.is_valid() and lines.is_valid():
        opportunity = form.cleaned_data.get("opportunity")
        try:
            quote = services.quote_create(
                actor=user,
                customer_id=customer.pk,
                opportunity_id=opportunity.pk if opportunity else None,
                data=form.cleaned_data,
                lines=line_rows(lines),
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("报价 %(n)s 已创建。") % {"n": quote.number})
            return redirect("deals:quote_detail", quote.pk)
    return render(
        request,
        "deals/quote_form.html",
        {"form": form, "lines": lines, "customer": customer, "quote": None},
        status=400 if data is not None else 200,
    )


@require_http_methods(["GET", "POST"])
@require_right("quote", "change")
def quote_edit(request, pk):
    user = request.user
    quote = selectors.quote_get(user=user, pk=pk, action="change")
    products = _products_for(quote)
    data = request.POST if request.method == "POST" else None
    form = QuoteHeaderForm(
        data,
        opportunities=None,
        with_opportunity=False,
        initial={"title": quote.title, "valid_until": quote.valid_until, "terms": quote.terms},
    )
    initial_lines = [
        {"product": line.product_id, "quantity": line.quantity, "discount_pct": line.discount_pct}
        for line in quote.lines.all()
    ]
    lines = QuoteLineFormSet(
        data, prefix="lines", initial=initial_lines, form_kwargs={"products": products}
    )
    if data is not None and form.is_valid() and lines.is_valid():
        try:
            services.quote_update(
                actor=user, quote_id=quote.pk, data=form.cleaned_data, lines=line_rows(lines)
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("报价已保存。"))
            return redirect("deals:quote_detail", quote.pk)
    return render(
        request,
        "deals/quote_form.html",
        {"form": form, "lines": lines, "customer": quote.customer, "quote": quote},
        status=400 if data is not None else 200,
    )


def _detail_context(request, quote, **extra) -> dict:
    user = request.user
    can_change = Quote.objects.restrict(user, "change").filter(pk=quote.pk).exists()
    needs = services.quote_needs_approval(quote)
    return {
        "quote": quote,
        "lines": list(quote.lines.all()),
        "margin_pct": money.shown_pct(quote.margin_pct),
        "discount_pct": money.shown_pct(quote.discount_pct),
        "needs_approval": needs,
        "approval_codes": routing.quote_chain_codes(quote.max_discount_pct),
        "threshold": get_setting("deal.discount_approval_threshold"),
        "usable": services.quote_is_usable(quote),
        "can_change": can_change,
        "can_contract": has_right(user, "contract", "add"),
        "events": quote.events.select_related("actor").order_by("at", "id"),
        "steps": quote.approval.steps.select_related("role", "decided_by")
        if quote.approval_id
        else [],
        "submit_form": extra.pop("submit_form", None) or ReasonForm(),
        "answer_form": AnswerForm(),
        "contracts": Contract.objects.restrict(user, "view").filter(quote=quote),
        **extra,
    }


@require_right("quote", "view")
@require_http_methods(["GET"])
def quote_detail(request, pk):
    quote = selectors.quote_get(user=request.user, pk=pk)
    return render(request, "deals/quote_detail.html", _detail_context(request, quote))


@require_right("quote", "view")
@require_http_methods(["GET"])
def quote_print(request, pk):
    """The printable Chinese quote (报价单): print CSS, the browser prints or saves a PDF. The
    company name is the root of the department tree."""
    from salesflow.org.models import Department

    company = Department.objects.filter(parent__isnull=True).order_by("id").first()
    quote = selectors.quote_get(user=request.user, pk=pk)
    return render(
        request,
        "deals/quote_print.html",
        {
            "quote": quote,
            "lines": list(quote.lines.all()),
            "company": company.name if company else "",
            "discount_pct": money.shown_pct(quote.discount_pct),
            "total_upper": money.rmb_upper(quote.total),
            "printable": services.quote_is_usable(quote),
        },
    )


@require_right("quote", "change")
@require_POST
def quote_submit(request, pk):
    quote = selectors.quote_get(user=request.user, pk=pk, action="change")
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.quote_submit(
                actor=request.user, quote_id=quote.pk, reason=form.cleaned_data["reason"]
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已提交折扣审批。"))
            return redirect("deals:quote_detail", quote.pk)
    return render(
        request,
        "deals/quote_detail.html",
        _detail_context(request, quote, submit_form=form, open_panel="submit"),
        status=400,
    )


@require_right("quote", "change")
@require_POST
def quote_send(request, pk):
    quote = selectors.quote_get(user=request.user, pk=pk, action="change")
    _result, response = run_action(
        request,
        lambda: services.quote_send(actor=request.user, quote_id=quote.pk),
        success=_("报价已标记为发送。"),
        back=reverse("deals:quote_detail", args=[quote.pk]),
    )
    return response


@require_right("quote", "change")
@require_POST
def quote_answer(request, pk):
    quote = selectors.quote_get(user=request.user, pk=pk, action="change")
    form = AnswerForm(request.POST)
    back = reverse("deals:quote_detail", args=[quote.pk])
    if not form.is_valid():
        messages.error(request, _("请选择客户答复。"))
        return redirect(back)
    _result, response = run_action(
        request,
        lambda: services.quote_answer(
            actor=request.user,
            quote_id=quote.pk,
            accepted=form.cleaned_data["accepted"],
            note=form.cleaned_data["note"],
        ),
        success=_("已记录客户答复。"),
        back=back,
    )
    return response
