"""合同: list, export, create from a quote / an opportunity / a customer, edit, the detail page
(approval, archive files, orders, payment plan, receipts, events) and its actions."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q, Sum
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesflow.core.exports import export_response
from salesflow.core.scope import has_right
from salesflow.core.views import require_right
from salesflow.customers.models import Customer
from salesflow.pipeline.models import Opportunity, OpportunityStatus

from .. import rules, selectors, services
from ..forms import (
    STATUS_CHOICES,
    CloseForm,
    ContractForm,
    FileForm,
    LinkWinForm,
    ListFilterForm,
    PlanForm,
    SignForm,
    SubmitForm,
    apply_service_error,
)
from ..models import Contract, ContractFile, ContractStatus, Order, PaymentPlan, Quote, Receipt
from .common import SERVICE_ERRORS, export_format, int_param, owner_choices, page_of, run_action

PICK_LIMIT = 20


def _filter_form(request):
    return ListFilterForm(
        request.GET or None,
        statuses=STATUS_CHOICES["contract"],
        owners=owner_choices(request.user, "contract"),
    )


@require_right("contract", "view")
@require_http_methods(["GET"])
def contract_list(request):
    form = _filter_form(request)
    filters = form.selector_args()
    user = request.user
    return render(
        request,
        "deals/contract_list.html",
        {
            "form": form,
            "page": page_of(request, selectors.contract_list(user=user, filters=filters)),
            "filtered": bool(filters),
            "can_add": has_right(user, "contract", "add"),
            "can_export": has_right(user, "contract", "export"),
        },
    )


@require_right("contract", "export")
@require_http_methods(["GET"])
def contract_export(request):
    filters = _filter_form(request).selector_args()
    columns = [
        (_("合同编号"), lambda c: c.number),
        (_("合同名称"), lambda c: c.title),
        (_("客户"), lambda c: c.customer.name),
        (_("商机"), lambda c: c.opportunity.name if c.opportunity else ""),
        (_("负责人"), lambda c: str(c.owner)),
        (_("状态"), lambda c: c.get_status_display()),
        (_("合同金额（元）"), lambda c: c.amount),
        (_("折扣（%）"), lambda c: c.discount_pct),
        (_("签署日期"), lambda c: c.signed_on),
        (_("开始日期"), lambda c: c.start_on),
        (_("结束日期"), lambda c: c.end_on),
    ]
    return export_response(
        user=request.user,
        queryset=selectors.contract_list(user=request.user, filters=filters),
        columns=columns,
        fmt=export_format(request),
        filename=_("合同列表"),
        object_type="contract",
        personal_data=False,
        filters=filters,
    )


def _pick(request):
    user = request.user
    q = (request.GET.get("q") or "").strip()[:100]
    found = {"opportunities": [], "quotes": [], "customers": []}
    if q:
        found["opportunities"] = list(
            Opportunity.objects.restrict(user, "view")
            .filter(status__in=(OpportunityStatus.OPEN, OpportunityStatus.WON))
            .filter(Q(name__icontains=q) | Q(customer__name__icontains=q))
            .select_related("customer")[:PICK_LIMIT]
        )
        quotes = (
            Quote.objects.restrict(user, "view")
            .filter(Q(title__icontains=q) | Q(number__icontains=q) | Q(customer__name__icontains=q))
            .select_related("customer")[: PICK_LIMIT * 2]
        )
        found["quotes"] = [x for x in quotes if services.quote_is_usable(x)][:PICK_LIMIT]
        found["customers"] = list(
            Customer.objects.restrict(user, "view").filter(name__icontains=q)[:PICK_LIMIT]
        )
    return render(request, "deals/contract_pick.html", {"q": q, **found})


@require_right("contract", "add")
@require_http_methods(["GET", "POST"])
def contract_create(request):
    user = request.user
    quote_id, opp_id, customer_id = (
        int_param(request, "quote"),
        int_param(request, "opportunity"),
        int_param(request, "customer"),
    )
    if not (quote_id or opp_id or customer_id):
        return _pick(request)
    source = {"quote": None, "opportunity": None, "customer": None}
    if quote_id:
        quote = Quote.objects.select_related("customer").get_in_scope(user, "view", pk=quote_id)
        source.update(quote=quote, customer=quote.customer)
        initial = {
            "title": quote.title,
            "amount": quote.total,
            "discount_pct": quote.max_discount_pct,
        }
    elif opp_id:
        opp = Opportunity.objects.select_related("customer").get_in_scope(user, "view", pk=opp_id)
        source.update(opportunity=opp, customer=opp.customer)
        initial = {"title": opp.name, "amount": opp.amount}
    else:
        source["customer"] = Customer.objects.get_in_scope(user, "view", pk=customer_id)
        initial = {"title": source["customer"].name}
    data = request.POST if request.method == "POST" else None
    form = ContractForm(data, initial=initial, amount_locked=bool(quote_id))
    if data is not None and form.is_valid():
        try:
            contract = services.contract_create(
                actor=user,
                data=form.service_data(),
                quote_id=quote_id,
                opportunity_id=None if quote_id else opp_id,
                customer_id=customer_id if not (quote_id or opp_id) else None,
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("合同 %(n)s 已创建（草稿）。") % {"n": contract.number})
            return redirect("deals:contract_detail", contract.pk)
    return render(
        request,
        "deals/contract_form.html",
        {"form": form, "contract": None, **source},
        status=400 if data is not None else 200,
    )


@require_right("contract", "change")
@require_http_methods(["GET", "POST"])
def contract_edit(request, pk):
    contract = selectors.contract_get(user=request.user, pk=pk, action="change")
    initial = {f: getattr(contract, f) for f in services.contracts.FIELDS}
    data = request.POST if request.method == "POST" else None
    form = ContractForm(data, initial=initial)
    if data is not None and form.is_valid():
        try:
            services.contract_update(
                actor=request.user, contract_id=contract.pk, data=form.service_data()
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("合同已保存。"))
            return redirect("deals:contract_detail", contract.pk)
    return render(
        request,
        "deals/contract_form.html",
        {
            "form": form,
            "contract": contract,
            "customer": contract.customer,
            "quote": contract.quote,
            "opportunity": contract.opportunity,
        },
        status=400 if data is not None else 200,
    )


def _detail_context(request, contract: Contract, **forms) -> dict:
    user = request.user
    can_change = Contract.objects.restrict(user, "change").filter(pk=contract.pk).exists()
    orders = Order.objects.restrict(user, "view").filter(contract=contract).order_by("order_date")
    plans = list(
        PaymentPlan.objects.restrict(user, "view")
        .filter(contract=contract)
        .select_related("owner")
        .order_by("due_date", "sequence")
    )
    today = timezone.localdate()
    for plan in plans:
        days = rules.days_overdue(plan.due_date, today)
        plan.days_overdue = days if plan.outstanding > 0 else None
        plan.bucket = rules.bucket_label(rules.aging_bucket(days)) if plan.outstanding else ""
    receipts = Receipt.objects.restrict(user, "view").filter(contract=contract)
    placed = (
        contract.orders.exclude(status="cancelled").aggregate(total=Sum("amount")).get("total")
    ) or 0
    planned = sum((p.amount for p in plans), 0)
    received = sum((r.amount for r in receipts), 0)
    route = None
    if contract.status == ContractStatus.DRAFT and can_change:
        try:
            route = services.contract_route(contract, actor=user)
        except SERVICE_ERRORS as exc:
            route = exc
    opp_choices = Opportunity.objects.restrict(user, "change").filter(
        customer=contract.customer, status=OpportunityStatus.OPEN
    )
    return {
        "contract": contract,
        "can_change": can_change,
        "can_add_order": has_right(user, "order", "add")
        and contract.status == ContractStatus.SIGNED,
        "can_plan": has_right(user, "receipt", "add"),
        "can_record": has_right(user, "receipt", "add"),
        "route": route,
        "steps": contract.approval.steps.select_related("role", "decided_by")
        if contract.approval_id
        else [],
        "events": selectors.contract_events(contract),
        "files": contract.files.select_related("uploaded_by"),
        "orders": orders,
        "plans": plans,
        "receipts": receipts,
        "placed": placed,
        "planned": planned,
        "received": received,
        "outstanding": contract.amount - received,
        "win_blocker": services.win_blocker(contract.opportunity)
        if contract.opportunity_id
        else "",
        "submit_form": forms.get("submit_form") or SubmitForm(),
        "sign_form": forms.get("sign_form") or SignForm(),
        "close_form": forms.get("close_form") or CloseForm(),
        "file_form": forms.get("file_form") or FileForm(),
        "plan_form": forms.get("plan_form") or PlanForm(initial={"owner": contract.owner_id}),
        "link_form": LinkWinForm(opportunities=opp_choices)
        if not contract.opportunity_id and contract.status in services.contracts.WINNING_STATUSES
        else None,
        "open_panel": forms.get("open_panel", ""),
    }


def _render(request, contract, status=200, **forms):
    return render(
        request,
        "deals/contract_detail.html",
        _detail_context(request, contract, **forms),
        status=status,
    )


@require_right("contract", "view")
@require_http_methods(["GET"])
def contract_detail(request, pk):
    return _render(request, selectors.contract_get(user=request.user, pk=pk))


def _back(contract) -> str:
    return reverse("deals:contract_detail", args=[contract.pk])


def _form_action(request, pk, *, form_class, panel, call, success, action="change"):
    contract = selectors.contract_get(user=request.user, pk=pk, action=action)
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        try:
            result = call(contract, form.cleaned_data)
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            for level, text in success(result):
                messages.add_message(request, level, text)
            return redirect(_back(contract))
    return _render(request, contract, status=400, open_panel=panel, **{f"{panel}_form": form})


@require_right("contract", "change")
@require_POST
def contract_submit(request, pk):
    return _form_action(
        request,
        pk,
        form_class=SubmitForm,
        panel="submit",
        call=lambda c, d: services.contract_submit(
            actor=request.user, contract_id=c.pk, reason=d["reason"]
        ),
        success=lambda c: [
            (messages.SUCCESS, _("合同已提交：%(s)s。") % {"s": c.get_status_display()})
        ],
    )


@require_right("contract", "change")
@require_POST
def contract_withdraw(request, pk):
    contract = selectors.contract_get(user=request.user, pk=pk, action="change")
    _result, response = run_action(
        request,
        lambda: services.contract_withdraw(actor=request.user, contract_id=contract.pk),
        success=_("已撤回审批，合同回到草稿。"),
        back=_back(contract),
    )
    return response


def _sign_messages(result):
    out = [(messages.SUCCESS, _("合同已签署。"))]
    if result.won:
        out.append((messages.SUCCESS, _("关联商机已标记赢单。")))
    elif result.win_error:
        out.append((messages.WARNING, _("商机未标记赢单：%(e)s") % {"e": result.win_error}))
    return out


@require_right("contract", "change")
@require_POST
def contract_sign(request, pk):
    return _form_action(
        request,
        pk,
        form_class=SignForm,
        panel="sign",
        call=lambda c, d: services.contract_sign(
            actor=request.user,
            contract_id=c.pk,
            signed_on=d["signed_on"],
            start_on=d["start_on"],
            end_on=d["end_on"],
            win_opportunity=d["win_opportunity"],
        ),
        success=_sign_messages,
    )


@require_right("contract", "change")
@require_POST
def contract_close(request, pk):
    return _form_action(
        request,
        pk,
        form_class=CloseForm,
        panel="close",
        call=lambda c, d: services.contract_close(
            actor=request.user, contract_id=c.pk, completed=d["completed"], reason=d["reason"]
        ),
        success=lambda c: [(messages.SUCCESS, _("合同%(s)s。") % {"s": c.get_status_display()})],
    )


@require_right("contract", "change")
@require_POST
def contract_file_add(request, pk):
    return _form_action(
        request,
        pk,
        form_class=FileForm,
        panel="file",
        call=lambda c, d: services.contract_file_add(
            actor=request.user, contract_id=c.pk, upload=d["file"], description=d["description"]
        ),
        success=lambda f: [(messages.SUCCESS, _("文件“%(n)s”已归档。") % {"n": f.file_name})],
    )


@require_right("contract", "view")
@require_http_methods(["GET"])
def contract_file(request, pk):
    """An archived file, served as an attachment after checking the contract's scope."""
    row = ContractFile.objects.select_related("contract").filter(pk=pk).first()
    if row is None:
        raise Http404
    selectors.contract_get(user=request.user, pk=row.contract_id)
    try:
        handle = row.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=row.file_name, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_right("receipt", "add")
@require_POST
def plan_add(request, pk):
    return _form_action(
        request,
        pk,
        form_class=PlanForm,
        panel="plan",
        action="view",
        call=lambda c, d: services.plan_create(
            actor=request.user,
            contract_id=c.pk,
            due_date=d["due_date"],
            amount=d["amount"],
            owner=d["owner"],
            note=d["note"],
        ),
        success=lambda p: [
            (messages.SUCCESS, _("已添加第 %(n)s 期回款计划。") % {"n": p.sequence})
        ],
    )


@require_right("opportunity", "change")
@require_POST
def contract_link_win(request, pk):
    contract = selectors.contract_get(user=request.user, pk=pk)
    opportunity_id = int_param(request, "opportunity")
    if opportunity_id is None:
        messages.error(request, _("请选择商机。"))
        return redirect(_back(contract))
    _result, response = run_action(
        request,
        lambda: services.deal_link_win(
            actor=request.user, opportunity_id=opportunity_id, contract_id=contract.pk
        ),
        success=_("合同已关联商机。"),
        back=_back(contract),
    )
    return response
