"""回款/应收: receivables aging with the instalment list, receipts (recorded by finance), plan
edits and bad debts, and the credit and risk page with credit limits."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from salesflow.core.exports import export_response
from salesflow.core.scope import has_right
from salesflow.core.views import require_right
from salesflow.customers.models import Customer

from .. import rules, selectors, services
from ..forms import (
    BadDebtForm,
    CreditForm,
    DateInput,
    PlanForm,
    ReceiptForm,
    apply_service_error,
    reason_field,
)
from ..models import Contract, PaymentPlan
from .common import SERVICE_ERRORS, export_format, int_param, owner_choices, page_of, run_action

PICK_LIMIT = 20


class PlanFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("搜索"), required=False, max_length=100)
    bucket = forms.ChoiceField(label=gettext_lazy("账龄"), required=False)
    state = forms.ChoiceField(
        label=gettext_lazy("回款状态"),
        required=False,
        choices=[
            ("open", gettext_lazy("未结清")),
            ("paid", gettext_lazy("已结清")),
            ("bad_debt", gettext_lazy("坏账")),
            ("all", gettext_lazy("全部")),
        ],
    )
    owner_id = forms.ModelChoiceField(
        label=gettext_lazy("回款负责人"), required=False, queryset=None
    )
    date_from = forms.DateField(label=gettext_lazy("计划日期从"), required=False, widget=DateInput)
    date_to = forms.DateField(label=gettext_lazy("计划日期至"), required=False, widget=DateInput)

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_id"].queryset = owners
        self.fields["bucket"].choices = [
            ("", _("全部")),
            ("overdue", _("已逾期")),
            (rules.NOT_DUE, rules.bucket_label(rules.NOT_DUE)),
            *((b.key, str(b.label)) for b in rules.BUCKETS),
        ]

    def selector_args(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        if owner := data.get("owner_id"):
            data["owner_id"] = owner.pk
        return data


def _plan_filters(request):
    form = PlanFilterForm(request.GET or None, owners=owner_choices(request.user, "receipt"))
    return form, form.selector_args()


def _annotate_aging(plans, today):
    for plan in plans:
        days = rules.days_overdue(plan.due_date, today)
        plan.days_overdue = days
        plan.bucket = rules.aging_bucket(days) if plan.outstanding else ""
        plan.bucket_label = rules.bucket_label(plan.bucket) if plan.bucket else ""
    return plans


@require_right("receipt", "view")
@require_http_methods(["GET"])
def receivables(request):
    user = request.user
    today = timezone.localdate()
    form, filters = _plan_filters(request)
    page = page_of(request, selectors.plan_list(user=user, filters=filters, today=today))
    _annotate_aging(page.object_list, today)
    return render(
        request,
        "deals/receivables.html",
        {
            "form": form,
            "page": page,
            "filtered": bool(filters),
            "summary": selectors.aging_summary(user=user, today=today, filters=filters),
            "bucket_headers": [rules.bucket_label(rules.NOT_DUE)]
            + [str(b.label) for b in rules.BUCKETS],
            "can_export": has_right(user, "receipt", "export"),
            "can_record": has_right(user, "receipt", "add"),
            "can_change": has_right(user, "receipt", "change"),
        },
    )


@require_right("receipt", "export")
@require_http_methods(["GET"])
def receivables_export(request):
    today = timezone.localdate()
    _form, filters = _plan_filters(request)

    def bucket(plan):
        if not plan.outstanding:
            return ""
        return rules.bucket_label(rules.aging_bucket(rules.days_overdue(plan.due_date, today)))

    columns = [
        (_("合同编号"), lambda p: p.contract.number),
        (_("客户"), lambda p: p.customer.name),
        (_("期次"), lambda p: p.sequence),
        (_("计划回款日期"), lambda p: p.due_date),
        (_("计划金额（元）"), lambda p: p.amount),
        (_("已回款（元）"), lambda p: p.received_amount),
        (_("未回款（元）"), lambda p: p.outstanding),
        (
            _("逾期天数"),
            lambda p: max(rules.days_overdue(p.due_date, today), 0) if p.outstanding else 0,
        ),
        (_("账龄"), bucket),
        (_("回款负责人"), lambda p: str(p.owner)),
        (_("坏账"), lambda p: p.bad_debt),
    ]
    return export_response(
        user=request.user,
        queryset=selectors.plan_list(user=request.user, filters=filters, today=today),
        columns=columns,
        fmt=export_format(request),
        filename=_("应收账龄"),
        object_type="receipt",
        personal_data=False,
        filters=filters,
    )


class ReceiptFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("搜索"), required=False, max_length=100)
    date_from = forms.DateField(label=gettext_lazy("到账日期从"), required=False, widget=DateInput)
    date_to = forms.DateField(label=gettext_lazy("到账日期至"), required=False, widget=DateInput)
    unapplied = forms.ChoiceField(
        label=gettext_lazy("溢收"),
        required=False,
        choices=[("", gettext_lazy("全部")), ("1", gettext_lazy("仅有溢收"))],
    )

    def selector_args(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


@require_right("receipt", "view")
@require_http_methods(["GET"])
def receipt_list(request):
    user = request.user
    form = ReceiptFilterForm(request.GET or None)
    filters = form.selector_args()
    return render(
        request,
        "deals/receipt_list.html",
        {
            "form": form,
            "page": page_of(request, selectors.receipt_list(user=user, filters=filters)),
            "filtered": bool(filters),
            "can_export": has_right(user, "receipt", "export"),
            "can_record": has_right(user, "receipt", "add"),
            "can_delete": has_right(user, "receipt", "delete"),
        },
    )


@require_right("receipt", "export")
@require_http_methods(["GET"])
def receipt_export(request):
    filters = ReceiptFilterForm(request.GET or None).selector_args()
    columns = [
        (_("回款单号"), lambda r: r.number),
        (_("合同编号"), lambda r: r.contract.number),
        (_("客户"), lambda r: r.customer.name),
        (_("回款金额（元）"), lambda r: r.amount),
        (_("未匹配（溢收，元）"), lambda r: r.unapplied_amount),
        (_("到账日期"), lambda r: r.received_on),
        (_("回款方式"), lambda r: r.get_method_display()),
        (_("流水号/票据号"), lambda r: r.reference),
        (_("登记人"), lambda r: str(r.recorded_by or "")),
    ]
    return export_response(
        user=request.user,
        queryset=selectors.receipt_list(user=request.user, filters=filters),
        columns=columns,
        fmt=export_format(request),
        filename=_("回款记录"),
        object_type="receipt",
        personal_data=False,
        filters=filters,
    )


@require_right("receipt", "add")
@require_http_methods(["GET", "POST"])
def receipt_create(request):
    user = request.user
    contract_id = int_param(request, "contract")
    if contract_id is None:
        q = (request.GET.get("q") or "").strip()[:100]
        contracts = []
        if q:
            contracts = list(
                selectors.contracts_for_receipts(user=user).filter(
                    Q(number__icontains=q) | Q(title__icontains=q) | Q(customer__name__icontains=q)
                )[:PICK_LIMIT]
            )
        return render(request, "deals/receipt_pick.html", {"q": q, "contracts": contracts})
    contract = selectors.contracts_for_receipts(user=user).filter(pk=contract_id).first()
    if contract is None:
        contract = selectors.contract_get(user=user, pk=contract_id)  # 404 when out of scope
    data = request.POST if request.method == "POST" else None
    form = ReceiptForm(data)
    if data is not None and form.is_valid():
        try:
            receipt = services.receipt_record(
                actor=user, contract_id=contract.pk, **form.cleaned_data
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("回款 %(n)s 已登记。") % {"n": receipt.number})
            if receipt.unapplied_amount:
                messages.warning(
                    request,
                    _("回款超出回款计划 %(amount)s 元（溢收），将用于后续新增的回款计划。")
                    % {"amount": receipt.unapplied_amount},
                )
            return redirect("deals:contract_detail", contract.pk)
    plans = PaymentPlan.objects.filter(contract=contract).order_by("due_date", "sequence")
    return render(
        request,
        "deals/receipt_form.html",
        {"form": form, "contract": contract, "plans": plans},
        status=400 if data is not None else 200,
    )


class DeleteReasonForm(forms.Form):
    reason = reason_field(gettext_lazy("冲销原因"))


@require_right("receipt", "delete")
@require_POST
def receipt_delete(request, pk):
    receipt = selectors.receipt_list(user=request.user).filter(pk=pk).first()
    if receipt is None:
        raise Http404
    form = DeleteReasonForm(request.POST)
    back = reverse("deals:contract_detail", args=[receipt.contract_id])
    if not form.is_valid():
        messages.error(request, _("请填写冲销原因。"))
        return redirect(back)
    _result, response = run_action(
        request,
        lambda: services.receipt_delete(
            actor=request.user, receipt_id=receipt.pk, reason=form.cleaned_data["reason"]
        ),
        success=_("回款已冲销。"),
        back=back,
    )
    return response


@require_right("receipt", "change")
@require_http_methods(["GET", "POST"])
def plan_edit(request, pk):
    user = request.user
    plan = PaymentPlan.objects.select_related("contract", "customer").get_in_scope(
        user, "change", pk=pk
    )
    data = request.POST if request.method == "POST" else None
    form = PlanForm(
        data,
        initial={
            "due_date": plan.due_date,
            "amount": plan.amount,
            "owner": plan.owner_id,
            "note": plan.note,
        },
    )
    bad_debt_form = BadDebtForm(initial={"bad_debt": "0" if plan.bad_debt else "1"})
    if data is not None and form.is_valid():
        try:
            services.plan_update(actor=user, plan_id=plan.pk, data=form.cleaned_data)
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("回款计划已保存。"))
            return redirect("deals:contract_detail", plan.contract_id)
    return render(
        request,
        "deals/plan_form.html",
        {
            "form": form,
            "plan": plan,
            "bad_debt_form": bad_debt_form,
            "can_delete": has_right(user, "receipt", "delete") and not plan.received_amount,
        },
        status=400 if data is not None else 200,
    )


@require_right("receipt", "change")
@require_POST
def plan_bad_debt(request, pk):
    plan = PaymentPlan.objects.get_in_scope(request.user, "change", pk=pk)
    form = BadDebtForm(request.POST)
    back = reverse("deals:plan_edit", args=[plan.pk])
    if not form.is_valid():
        messages.error(request, _("请填写说明。"))
        return redirect(back)
    _result, response = run_action(
        request,
        lambda: services.plan_mark_bad_debt(
            actor=request.user,
            plan_id=plan.pk,
            bad_debt=form.cleaned_data["bad_debt"],
            reason=form.cleaned_data["reason"],
        ),
        success=_("坏账标记已更新。"),
        back=reverse("deals:contract_detail", args=[plan.contract_id]),
    )
    return response


@require_right("receipt", "delete")
@require_POST
def plan_delete(request, pk):
    plan = PaymentPlan.objects.get_in_scope(request.user, "delete", pk=pk)
    _result, response = run_action(
        request,
        lambda: services.plan_delete(actor=request.user, plan_id=plan.pk),
        success=_("回款计划已删除。"),
        back=reverse("deals:contract_detail", args=[plan.contract_id]),
    )
    return response


# --- credit and risk ------------------------------------------------------------------------------


@require_right("receipt", "view")
@require_http_methods(["GET"])
def risk(request):
    user = request.user
    filters = {"q": request.GET.get("q", "")[:100], "over": request.GET.get("over", "")}
    return render(
        request,
        "deals/risk.html",
        {
            "rows": selectors.credit_overview(user=user, filters=filters),
            "events": selectors.risk_events(user=user),
            "q": filters["q"],
            "over": filters["over"] == "1",
            "can_set_credit": services.receivables.has_credit_right(user),
        },
    )


@require_right("receipt", "change")
@require_http_methods(["GET", "POST"])
def credit_edit(request, customer_pk):
    user = request.user
    customer = Customer.objects.get_in_scope(user, "view", pk=customer_pk)
    data = request.POST if request.method == "POST" else None
    form = CreditForm(
        data,
        initial={"credit_rating": customer.credit_rating, "credit_limit": customer.credit_limit},
    )
    if data is not None and form.is_valid():
        try:
            services.credit_limit_set(actor=user, customer_id=customer.pk, **form.cleaned_data)
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("“%(name)s”的信用额度已更新。") % {"name": customer.name})
            return redirect("deals:risk")
    return render(
        request,
        "deals/credit_form.html",
        {
            "form": form,
            "customer": customer,
            "receivable": selectors.customer_receivable(customer.pk),
            "contracts": Contract.objects.restrict(user, "view").filter(customer=customer)[:20],
        },
        status=400 if data is not None else 200,
    )
