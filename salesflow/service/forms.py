"""Forms of the service pages; the services validate the rules, forms only shape the input."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesflow.core.errors import DomainError
from salesflow.org.models import User

from .models import ActionKind, ActionStatus, ComplaintState, ComplaintType, Effect


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


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def handler_choices():
    """Active people who hold the right to handle complaints."""
    from salesflow.org.models import RolePermission

    role_ids = [
        row.role_id
        for row in RolePermission.objects.filter(object_type="complaint").only("role", "actions")
        if "change" in row.actions
    ]
    return (
        User.objects.filter(Q(is_superuser=True) | Q(roles__in=role_ids), is_active=True)
        .distinct()
        .order_by("id")
    )


def _text(label, required=True, rows=3, **kwargs):
    return forms.CharField(
        label=label, required=required, widget=forms.Textarea(attrs={"rows": rows}), **kwargs
    )


class ComplaintForm(forms.Form):
    received_at = forms.DateTimeField(
        label=_("投诉时间"), required=False, widget=DateTimeInput(), help_text=_("留空为现在。")
    )
    type = forms.ModelChoiceField(
        label=_("投诉类型"), queryset=ComplaintType.objects.filter(is_active=True)
    )
    description = _text(_("投诉内容"), rows=4)
    caused_by_sales = forms.BooleanField(label=_("销售服务导致"), required=False)
    handler = forms.ModelChoiceField(
        label=_("处理人"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("选择后立即转交。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = handler_choices()


class ForwardForm(forms.Form):
    handler = forms.ModelChoiceField(label=_("处理人"), queryset=User.objects.none())
    note = _text(_("说明"), required=False, rows=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = handler_choices()


class RespondForm(forms.Form):
    note = _text(_("响应内容"))


class PlanForm(forms.Form):
    plan = _text(_("处理方案"), rows=4)
    resolve_by = forms.DateField(label=_("处理期限"), widget=DateInput())


class CompleteForm(forms.Form):
    note = _text(_("处理结果"))
    caused_by_sales = forms.BooleanField(label=_("销售服务导致"), required=False)
    improvement_suggestion = _text(_("改进建议"), required=False, rows=2)


class ReturnVisitForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("满意度（1–5）"),
        coerce=int,
        choices=[(i, str(i)) for i in range(5, 0, -1)],
    )
    feedback = _text(_("客户反馈"))
    improvement_suggestion = _text(_("改进建议"), required=False, rows=2)


STEP_FORMS = {
    "forward": ForwardForm,
    "respond": RespondForm,
    "plan": PlanForm,
    "complete": CompleteForm,
    "visit": ReturnVisitForm,
}


class ComplaintFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False)
    state = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部")), ("open", _("未关闭")), *ComplaintState.choices],
    )
    type = forms.ModelChoiceField(
        label=_("投诉类型"),
        required=False,
        queryset=ComplaintType.objects.all(),
        empty_label=_("全部类型"),
    )
    handler = forms.ModelChoiceField(
        label=_("处理人"), required=False, queryset=User.objects.none(), empty_label=_("全部")
    )
    overdue = forms.ChoiceField(
        label=_("超时"), required=False, choices=[("", _("全部")), ("1", _("仅超时"))]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = handler_choices()

    def selector_args(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        args = {
            "q": data.get("q") or "",
            "state": data.get("state") or "",
            "type": data["type"].pk if data.get("type") else "",
            "handler": data["handler"].pk if data.get("handler") else "",
            "overdue": data.get("overdue") or "",
        }
        return {k: v for k, v in args.items() if v}


class ActionLogForm(forms.Form):
    feedback = _text(_("客户反馈"))
    effect = forms.ChoiceField(label=_("效果评价"), choices=Effect.choices)
    done_at = forms.DateTimeField(
        label=_("执行时间"), required=False, widget=DateTimeInput(), help_text=_("留空为现在。")
    )


class ActionRecordForm(ActionLogForm):
    kind = forms.ChoiceField(label=_("维护动作"), choices=ActionKind.choices)
    title = forms.CharField(label=_("内容"), required=False, max_length=200)

    field_order = ["kind", "title", "feedback", "effect", "done_at"]


class SurveyForm(forms.Form):
    score = forms.DecimalField(
        label=_("满意度（0–100）"), min_value=0, max_value=100, decimal_places=1
    )
    surveyed_on = forms.DateField(label=_("调查日期"), required=False, widget=DateInput())
    comment = _text(_("客户意见"), required=False)


class ActionFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False)
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *ActionStatus.choices]
    )
    kind = forms.ChoiceField(
        label=_("维护动作"), required=False, choices=[("", _("全部")), *ActionKind.choices]
    )
    effect = forms.ChoiceField(
        label=_("效果评价"), required=False, choices=[("", _("全部")), *Effect.choices]
    )

    def selector_args(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class MeasuresPeriodForm(forms.Form):
    date_from = forms.DateField(label=_("开始日期"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("结束日期"), required=False, widget=DateInput())
