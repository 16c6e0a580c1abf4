"""Forms of the targets pages: setting, decomposing and adjusting targets, the analysis filters,
variance notes, and the report text sections."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.customers.models import Region
from salesflow.deals.forms import DateInput
from salesflow.org.models import Department, User
from salesflow.pipeline.models import ProductLine

from .models import (
    CustomerType,
    Dimension,
    Level,
    Metric,
    PeriodKind,
    ReportKind,
    ReportStatus,
)
from .services import period_bounds

VALUE_FIELD = {"max_digits": 16, "decimal_places": 2, "min_value": Decimal(0)}


ALL = _("全部")


def _blank(choices, label=ALL):
    return [("", label), *choices]


class DimensionFields(forms.Form):
    """The level and dimensions of one target (shared by the new-target and child rows)."""

    level = forms.ChoiceField(label=_("层级"), choices=Level.choices)
    department = forms.ModelChoiceField(
        label=_("团队"), queryset=Department.objects.none(), required=False
    )
    owner = forms.ModelChoiceField(
        label=_("负责人"),
        queryset=User.objects.none(),
        help_text=_("个人目标即该销售本人；团队目标为团队负责人。"),
    )
    region = forms.ModelChoiceField(label=_("区域"), queryset=Region.objects.none(), required=False)
    product_line = forms.ModelChoiceField(
        label=_("产品线"), queryset=ProductLine.objects.none(), required=False
    )
    customer_type = forms.ChoiceField(
        label=_("客户类型"), choices=_blank(CustomerType.choices), required=False
    )
    value = forms.DecimalField(label=_("目标值"), **VALUE_FIELD)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(is_active=True).order_by(
            "path"
        )
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("id")
        self.fields["region"].queryset = Region.objects.all()
        self.fields["product_line"].queryset = ProductLine.objects.all()

    def target_data(self) -> dict:
        data = self.cleaned_data
        return {
            "level": data["level"],
            "department": data.get("department"),
            "owner": data["owner"],
            "region": data.get("region"),
            "product_line": data.get("product_line"),
            "customer_type": data.get("customer_type") or "",
            "value": data["value"],
        }


class TargetForm(DimensionFields):
    metric = forms.ChoiceField(label=_("指标"), choices=Metric.choices)
    period_kind = forms.ChoiceField(label=_("周期"), choices=PeriodKind.choices)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    number = forms.IntegerField(
        label=_("季度/月份"),
        required=False,
        min_value=1,
        max_value=12,
        help_text=_("季度填 1–4，月度填 1–12，年度留空。"),
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    field_order = ["metric", "period_kind", "year", "number"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year

    def clean(self):
        data = super().clean()
        kind = data.get("period_kind")
        if kind and data.get("year"):
            try:
                data["period_start"], data["period_end"] = period_bounds(
                    kind, data["year"], data.get("number") or 1
                )
            except forms.ValidationError as exc:
                self.add_error("number", exc)
        return data

    def target_data(self) -> dict:
        data = self.cleaned_data
        return {
            **super().target_data(),
            "metric": data["metric"],
            "period_kind": data["period_kind"],
            "period_start": data["period_start"],
            "period_end": data["period_end"],
            "note": data.get("note") or "",
        }


class ChildForm(DimensionFields):
    """One new child row of a decomposition (empty rows are ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.empty_permitted = True
        self.use_required_attribute = False
        # an untouched row (the level select shows its first choice) is not a change
        self.fields["level"].initial = Level.TEAM
        self.fields["level"].choices = [c for c in Level.choices if c[0] != Level.COMPANY]

    def has_changed(self) -> bool:
        """A row counts once it names a person or a value (selects always post something)."""
        return any(
            str(self.data.get(self.add_prefix(name)) or "").strip() for name in ("owner", "value")
        )


ChildFormSet = forms.formset_factory(ChildForm, extra=3)


class DecomposeForm(forms.Form):
    reason = forms.CharField(
        label=_("调整原因"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("修改已有下级目标的数值时必填，记入调整历史。"),
    )

    def __init__(self, *args, children=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.children = list(children)
        for child in self.children:
            self.fields[f"child_{child.pk}"] = forms.DecimalField(
                label=child.scope_label, initial=child.value, **VALUE_FIELD
            )

    def child_fields(self):
        return [(child, self[f"child_{child.pk}"]) for child in self.children]

    def existing_rows(self) -> list[dict]:
        return [
            {"id": child.pk, "value": self.cleaned_data[f"child_{child.pk}"]}
            for child in self.children
        ]


class AdjustForm(forms.Form):
    value = forms.DecimalField(label=_("新目标值"), **VALUE_FIELD)
    reason = forms.CharField(label=_("调整原因"), widget=forms.Textarea(attrs={"rows": 2}))


class TargetFilterForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)
    metric = forms.ChoiceField(label=_("指标"), choices=_blank(Metric.choices), required=False)
    period_kind = forms.ChoiceField(
        label=_("周期"), choices=_blank(PeriodKind.choices), required=False
    )
    level = forms.ChoiceField(label=_("层级"), choices=_blank(Level.choices), required=False)

    def selector_args(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class AnalysisFilterForm(forms.Form):
    date_from = forms.DateField(label=_("开始日期"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("结束日期"), required=False, widget=DateInput())
    period = forms.ChoiceField(
        label=_("本期"), choices=_blank(PeriodKind.choices, _("本月")), required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        return data


class PerformanceFilterForm(AnalysisFilterForm):
    # the salesperson first: the analysis's default, and what an unset select shows
    group_by = forms.ChoiceField(
        label=_("分析维度"),
        choices=sorted(Dimension.choices, key=lambda c: c[0] != Dimension.OWNER),
        required=False,
    )
    metric = forms.ChoiceField(
        label=_("指标"),
        required=False,
        choices=[(m, Metric(m).label) for m in ("sales_amount", "order_count", "collected")],
    )


class PerformanceNoteForm(forms.Form):
    date_from = forms.DateField(widget=forms.HiddenInput())
    date_to = forms.DateField(widget=forms.HiddenInput())
    metric = forms.ChoiceField(choices=Metric.choices, widget=forms.HiddenInput())
    dimension = forms.ChoiceField(choices=Dimension.choices, widget=forms.HiddenInput())
    key = forms.CharField(max_length=40, widget=forms.HiddenInput())
    key_label = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput())
    reason = forms.CharField(label=_("差异原因"), widget=forms.Textarea(attrs={"rows": 2}))
    action = forms.CharField(label=_("改进措施"), widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(label=_("责任人"), queryset=User.objects.none())
    due_date = forms.DateField(label=_("完成期限"), widget=DateInput())

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if owners is not None:
            self.fields["owner"].queryset = owners

    def note_data(self) -> dict:
        data = self.cleaned_data
        return {
            "period_start": data["date_from"],
            "period_end": data["date_to"],
            "metric": data["metric"],
            "dimension": data["dimension"],
            "key": data["key"],
            "key_label": data.get("key_label") or "",
            "reason": data["reason"],
            "action": data["action"],
            "owner": data["owner"],
            "due_date": data["due_date"],
        }


class ReportForm(forms.Form):
    problems = forms.CharField(
        label=_("存在问题"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    support_needed = forms.CharField(
        label=_("需要的支持"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    competitor_news = forms.CharField(
        label=_("竞争对手动态"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_plan = forms.CharField(
        label=_("下期计划"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    late_reason = forms.CharField(
        label=_("逾期原因"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("超过截止时间提交时必填。"),
    )


class CommentForm(forms.Form):
    body = forms.CharField(label=_("批注"), widget=forms.Textarea(attrs={"rows": 2}))


class ReportFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=_blank(ReportKind.choices), required=False)
    status = forms.ChoiceField(
        label=_("状态"), choices=_blank(ReportStatus.choices), required=False
    )
    owner_id = forms.TypedChoiceField(label=_("提交人"), coerce=int, required=False)
    late = forms.ChoiceField(
        label=_("逾期"), choices=[("", _("全部")), ("1", _("仅逾期提交"))], required=False
    )

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_id"].choices = [("", _("全部")), *[(u.pk, str(u)) for u in owners]]

    def selector_args(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class TeamTableForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=ReportKind.choices, required=False)
    day = forms.DateField(label=_("所在日期"), required=False, widget=DateInput())

    def period(self) -> tuple[str, datetime.date]:
        """The chosen kind and a day of the period; by default the last finished week or month
        (the reports that are due or overdue now)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        kind = data.get("kind") or ReportKind.WEEKLY
        if data.get("day"):
            return kind, data["day"]
        today = timezone.localdate()
        if kind == ReportKind.WEEKLY:
            return kind, today - datetime.timedelta(days=7)
        return kind, today.replace(day=1) - datetime.timedelta(days=1)
