"""Forms of the deals pages: they check input at the edge (types, required fields); the
services validate again and own the rules."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core.errors import DomainError
from salesflow.customers.models import CreditRating
from salesflow.org.models import User
from salesflow.pipeline.models import ProductLine

from .models import (
    ContractStatus,
    OrderStatus,
    Product,
    QuoteStatus,
    ReceiptMethod,
)

MONEY_FIELD = {"max_digits": 14, "decimal_places": 2}


def apply_service_error(form: forms.BaseForm, exc: Exception) -> None:
    """Put a service error on ``form``: field errors on their field, the rest on the form."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
    elif isinstance(exc, DomainError):
        form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
    else:
        form.add_error(None, str(exc) or _("没有执行该操作的权限。"))


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, DomainError):
        return str(exc.message)
    return str(exc) or str(_("没有执行该操作的权限。"))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def money_field(label, required=True, min_value=Decimal("0.01"), **kwargs):
    return forms.DecimalField(
        label=label, required=required, min_value=min_value, **MONEY_FIELD, **kwargs
    )


def pct_field(label, required=False):
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
    )


def reason_field(label=None, required=True):
    return forms.CharField(
        label=label or _("说明"),
        required=required,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- filters ----------------------------------------------------------------------------------


class ListFilterForm(forms.Form):
    """Search, status, owner and a date range; each list passes its status choices."""

    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("状态"), required=False)
    owner_id = forms.ModelChoiceField(
        label=_("负责人"), required=False, queryset=User.objects.none(), to_field_name="pk"
    )
    date_from = forms.DateField(label=_("日期从"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("日期至"), required=False, widget=DateInput)

    def __init__(self, *args, statuses=(), owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if statuses:
            self.fields["status"].choices = [("", _("全部")), *statuses]
        else:
            del self.fields["status"]
        if owners is not None:
            self.fields["owner_id"].queryset = owners
        else:
            del self.fields["owner_id"]

    def selector_args(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        if owner := data.get("owner_id"):
            data["owner_id"] = owner.pk
        return data


STATUS_CHOICES = {
    "quote": QuoteStatus.choices,
    "contract": ContractStatus.choices,
    "order": OrderStatus.choices,
}


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    product_line_id = forms.ModelChoiceField(
        label=_("产品线"), required=False, queryset=ProductLine.objects.all()
    )
    active = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部")), ("1", _("在售")), ("0", _("停售"))],
    )

    def selector_args(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        if line := data.get("product_line_id"):
            data["product_line_id"] = line.pk
        return data


# --- catalog ----------------------------------------------------------------------------------


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = [
            "product_line",
            "code",
            "name",
            "specs",
            "unit",
            "list_price",
            "standard_cost",
            "is_active",
        ]
        widgets = {"specs": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.product_line_id if self.instance.pk else None
        self.fields["product_line"].queryset = ProductLine.objects.filter(is_active=True) | (
            ProductLine.objects.filter(pk=current)
        )


# --- quotes -----------------------------------------------------------------------------------


class QuoteHeaderForm(forms.Form):
    title = forms.CharField(label=_("报价名称"), max_length=200, required=False)
    opportunity = forms.ModelChoiceField(
        label=_("关联商机"), required=False, queryset=None, empty_label=_("（不关联）")
    )
    valid_until = forms.DateField(label=_("有效期至"), widget=DateInput)
    terms = forms.CharField(
        label=_("报价说明"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("含税、运费、交付周期、付款方式等。"),
    )

    def __init__(self, *args, opportunities, with_opportunity=True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_opportunity:
            self.fields["opportunity"].queryset = opportunities
        else:
            del self.fields["opportunity"]


class QuoteLineForm(forms.Form):
    product = forms.ModelChoiceField(label=_("产品"), queryset=None, required=False)
    quantity = forms.DecimalField(
        label=_("数量"), required=False, min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    discount_pct = pct_field(_("折扣（%）"))

    def __init__(self, *args, products=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products if products is not None else Product.objects
        self.fields["product"].label_from_instance = lambda p: (
            f"{p.product_line.name} · {p.name}（{p.list_price:,.2f} 元/{p.unit}）"
        )

    def clean(self):
        data = super().clean()
        if data.get("product") and not data.get("quantity"):
            self.add_error("quantity", _("请填写数量。"))
        return data

    def row(self):
        data = self.cleaned_data
        if not data or not data.get("product") or data.get("DELETE"):
            return None
        return {
            "product": data["product"],
            "quantity": data["quantity"],
            "discount_pct": data.get("discount_pct") or Decimal(0),
        }


QuoteLineFormSet = forms.formset_factory(QuoteLineForm, extra=3, can_delete=True, max_num=200)


def line_rows(formset) -> list[dict]:
    return [row for form in formset.forms if (row := form.row())]


class ReasonForm(forms.Form):
    reason = reason_field(_("申请理由"))


class AnswerForm(forms.Form):
    accepted = forms.TypedChoiceField(
        label=_("客户答复"),
        choices=[("1", _("接受")), ("0", _("拒绝"))],
        coerce=lambda v: v == "1",
    )
    note = reason_field(required=False)


# --- contracts --------------------------------------------------------------------------------


class ContractForm(forms.Form):
    title = forms.CharField(label=_("合同名称"), max_length=200, required=False)
    amount = money_field(_("合同金额（元）"))
    discount_pct = pct_field(_("折扣（%）"))
    start_on = forms.DateField(label=_("开始日期"), required=False, widget=DateInput)
    end_on = forms.DateField(label=_("结束日期"), required=False, widget=DateInput)
    terms = forms.CharField(
        label=_("主要条款"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    payment_terms = forms.CharField(
        label=_("付款条件"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, amount_locked=False, **kwargs):
        super().__init__(*args, **kwargs)
        if amount_locked:
            for name in ("amount", "discount_pct"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("来自报价，不能修改。")

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["discount_pct"] = data.get("discount_pct") or Decimal(0)
        for name, field in self.fields.items():
            if field.disabled:
                data.pop(name, None)
        return data


class SubmitForm(forms.Form):
    reason = reason_field(_("申请说明"), required=False)


class SignForm(forms.Form):
    signed_on = forms.DateField(label=_("签署日期"), widget=DateInput, initial=timezone.localdate)
    start_on = forms.DateField(label=_("开始日期"), required=False, widget=DateInput)
    end_on = forms.DateField(label=_("结束日期"), required=False, widget=DateInput)
    win_opportunity = forms.BooleanField(
        label=_("同时将关联商机标记为赢单（金额取合同金额）"), required=False, initial=True
    )


class CloseForm(forms.Form):
    completed = forms.TypedChoiceField(
        label=_("操作"),
        choices=[("1", _("完成合同")), ("0", _("终止合同"))],
        coerce=lambda v: v == "1",
    )
    reason = reason_field(required=False)


class FileForm(forms.Form):
    file = forms.FileField(label=_("文件"))
    description = forms.CharField(label=_("说明"), required=False, max_length=200)


class LinkWinForm(forms.Form):
    opportunity = forms.ModelChoiceField(label=_("商机"), queryset=None)

    def __init__(self, *args, opportunities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opportunity"].queryset = opportunities


# --- orders -----------------------------------------------------------------------------------


class OrderForm(forms.Form):
    amount = money_field(_("订单金额（元）"))
    order_date = forms.DateField(label=_("下单日期"), widget=DateInput, initial=timezone.localdate)
    planned_delivery_on = forms.DateField(label=_("计划交付日期"), required=False, widget=DateInput)
    delivery_note = forms.CharField(
        label=_("履约说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    credit_reason = reason_field(_("超额度理由（提交信用审批）"), required=False)


class DeliveryForm(forms.Form):
    status = forms.ChoiceField(label=_("履约状态"), choices=OrderStatus.choices)
    planned_delivery_on = forms.DateField(label=_("计划交付日期"), required=False, widget=DateInput)
    shipped_on = forms.DateField(label=_("发货日期"), required=False, widget=DateInput)
    delivered_on = forms.DateField(label=_("交付验收日期"), required=False, widget=DateInput)
    delivery_note = forms.CharField(
        label=_("履约说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = {order.status} | {s for s in OrderStatus.values if order.can_move_to(s)}
        self.fields["status"].choices = [c for c in OrderStatus.choices if c[0] in allowed]


# --- receivables ------------------------------------------------------------------------------


class PlanForm(forms.Form):
    due_date = forms.DateField(label=_("计划回款日期"), widget=DateInput)
    amount = money_field(_("计划金额（元）"))
    owner = forms.ModelChoiceField(label=_("回款负责人"), queryset=None, required=False)
    note = forms.CharField(label=_("备注"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("id")


class ReceiptForm(forms.Form):
    amount = money_field(_("回款金额（元）"))
    received_on = forms.DateField(label=_("到账日期"), widget=DateInput, initial=timezone.localdate)
    method = forms.ChoiceField(label=_("回款方式"), choices=ReceiptMethod.choices)
    reference = forms.CharField(label=_("流水号/票据号"), required=False, max_length=100)
    note = forms.CharField(label=_("备注"), required=False, max_length=200)


class BadDebtForm(forms.Form):
    bad_debt = forms.TypedChoiceField(
        label=_("操作"),
        choices=[("1", _("标记为坏账")), ("0", _("取消坏账标记"))],
        coerce=lambda v: v == "1",
    )
    reason = reason_field()


class CreditForm(forms.Form):
    credit_rating = forms.ChoiceField(
        label=_("信用等级"), required=False, choices=[("", _("未评级")), *CreditRating.choices]
    )
    credit_limit = money_field(
        _("信用额度（元）"), min_value=Decimal(0), help_text=_("0 表示未设置额度（不检查）。")
    )
    reason = reason_field(_("调整原因"))
