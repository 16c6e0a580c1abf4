"""产品档案: the catalog list with filters and export, create and edit."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesflow.core.exports import export_response
from salesflow.core.scope import has_right
from salesflow.core.views import require_right

from .. import selectors, services
from ..forms import ProductFilterForm, ProductForm, apply_service_error
from ..models import Product
from .common import SERVICE_ERRORS, export_format, page_of


@require_right("product", "view")
@require_http_methods(["GET"])
def product_list(request):
    form = ProductFilterForm(request.GET or None)
    filters = form.selector_args()
    user = request.user
    return render(
        request,
        "deals/product_list.html",
        {
            "form": form,
            "page": page_of(request, selectors.product_list(filters=filters)),
            "filtered": bool(filters),
            "can_add": has_right(user, "product", "add"),
            "can_change": has_right(user, "product", "change"),
            "can_export": has_right(user, "product", "export"),
            "can_see_cost": has_right(user, "product", "change"),
        },
    )


@require_right("product", "export")
@require_http_methods(["GET"])
def product_export(request):
    filters = ProductFilterForm(request.GET or None).selector_args()
    columns = [
        (_("产品线"), lambda p: p.product_line.name),
        (_("产品编码"), lambda p: p.code),
        (_("产品名称"), lambda p: p.name),
        (_("规格"), lambda p: p.specs),
        (_("单位"), lambda p: p.unit),
        (_("标准价（元）"), lambda p: p.list_price),
        (_("标准成本（元）"), lambda p: p.standard_cost),
        (_("在售"), lambda p: p.is_active),
    ]
    return export_response(
        user=request.user,
        queryset=selectors.product_list(filters=filters),
        columns=columns,
        fmt=export_format(request),
        filename=_("产品目录"),
        object_type="product",
        personal_data=False,
        filters=filters,
    )


def _save(request, product=None):
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if product is None:
                product = services.product_create(actor=request.user, data=data)
            else:
                product = services.product_update(
                    actor=request.user, product_id=product.pk, data=data
                )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("产品“%(name)s”已保存。") % {"name": product.name})
            return redirect("deals:product_list")
    return render(request, "deals/product_form.html", {"form": form, "product": product})


@require_right("product", "add")
@require_http_methods(["GET", "POST"])
def product_create(request):
    return _save(request)


@require_right("product", "change")
@require_http_methods(["GET", "POST"])
def product_edit(request, pk):
    # Product form: a fresh instance each time (ModelForm writes into it on validation).
    return _save(request, get_object_or_404(Product, pk=pk))
