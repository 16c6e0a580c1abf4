"""订单: list, export, create from a signed contract (credit-limit warning and approval),
detail, delivery/fulfilment status."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesflow.core.exports import export_response
from salesflow.core.scope import has_right
from salesflow.core.views import require_right

from .. import selectors, services
from ..forms import (
    STATUS_CHOICES,
    DeliveryForm,
    ListFilterForm,
    OrderForm,
    apply_service_error,
)
from ..models import Order, PaymentPlan
from .common import SERVICE_ERRORS, export_format, owner_choices, page_of


def _filter_form(request):
    return ListFilterForm(
        request.GET or None,
        statuses=STATUS_CHOICES["order"],
        owners=owner_choices(request.user, "order"),
    )


def _filters(request) -> dict:
    filters = _filter_form(request).selector_args()
    if request.GET.get("late") == "1":
        filters["late"] = "1"
    return filters


@require_right("order", "view")
@require_http_methods(["GET"])
def order_list(request):
    form = _filter_form(request)
    filters = _filters(request)
    user = request.user
    return render(
        request,
        "deals/order_list.html",
        {
            "form": form,
            "page": page_of(request, selectors.order_list(user=user, filters=filters)),
            "filtered": bool(filters),
            "late": filters.get("late") == "1",
            "can_export": has_right(user, "order", "export"),
        },
    )


@require_right("order", "export")
@require_http_methods(["GET"])
def order_export(request):
    filters = _filters(request)
    columns = [
        (_("订单编号"), lambda o: o.number),
        (_("合同编号"), lambda o: o.contract.number),
        (_("客户"), lambda o: o.customer.name),
        (_("负责人"), lambda o: str(o.owner)),
        (_("订单金额（元）"), lambda o: o.amount),
        (_("下单日期"), lambda o: o.order_date),
        (_("履约状态"), lambda o: o.get_status_display()),
        (_("计划交付日期"), lambda o: o.planned_delivery_on),
        (_("发货日期"), lambda o: o.shipped_on),
        (_("交付验收日期"), lambda o: o.delivered_on),
    ]
    return export_response(
        user=request.user,
        queryset=selectors.order_list(user=request.user, filters=filters),
        columns=columns,
        fmt=export_format(request),
        filename=_("订单列表"),
        object_type="order",
        personal_data=False,
        filters=filters,
    )


@require_right("order", "add")
@require_http_methods(["GET", "POST"])
def order_create(request, contract_pk):
    user = request.user
    contract = selectors.contract_get(user=user, pk=contract_pk)
    data = request.POST if request.method == "POST" else None
    form = OrderForm(data)
    credit_warning = None
    if data is not None and form.is_valid():
        try:
            result = services.order_create(
                actor=user,
                contract_id=contract.pk,
                data=form.cleaned_data,
                credit_reason=form.cleaned_data["credit_reason"],
            )
        except services.CreditLimitExceeded as exc:
            credit_warning = exc.message
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            order = result.order
            messages.success(request, _("订单 %(n)s 已创建。") % {"n": order.number})
            for warning in result.warnings:
                messages.warning(request, warning)
            return redirect("deals:order_detail", order.pk)
    return render(
        request,
        "deals/order_form.html",
        {
            "form": form,
            "contract": contract,
            "credit_warning": credit_warning,
            "receivable": selectors.customer_receivable(contract.customer_id),
        },
        status=400 if data is not None else 200,
    )


def _detail(request, order: Order, *, form=None, status=200):
    user = request.user
    can_change = Order.objects.restrict(user, "change").filter(pk=order.pk).exists()
    return render(
        request,
        "deals/order_detail.html",
        {
            "order": order,
            "can_change": can_change,
            "form": form or DeliveryForm(order=order, initial=_delivery_initial(order)),
            "events": order.events.select_related("actor").order_by("at", "id"),
            "steps": order.credit_approval.steps.select_related("role", "decided_by")
            if order.credit_approval_id
            else [],
            "plans": PaymentPlan.objects.restrict(user, "view").filter(order=order),
        },
        status=status,
    )


def _delivery_initial(order: Order) -> dict:
    return {
        "status": order.status,
        "planned_delivery_on": order.planned_delivery_on,
        "shipped_on": order.shipped_on,
        "delivered_on": order.delivered_on,
        "delivery_note": order.delivery_note,
    }


@require_right("order", "view")
@require_http_methods(["GET"])
def order_detail(request, pk):
    return _detail(request, selectors.order_get(user=request.user, pk=pk))


@require_right("order", "change")
@require_POST
def order_delivery(request, pk):
    order = selectors.order_get(user=request.user, pk=pk, action="change")
    form = DeliveryForm(request.POST, order=order)
    if form.is_valid():
        try:
            services.order_update_delivery(
                actor=request.user, order_id=order.pk, data=form.cleaned_data
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("履约信息已更新。"))
            return redirect("deals:order_detail", order.pk)
    return _detail(request, order, form=form, status=400)
