"""Forms of the incentives pages."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import CommissionPlan, Contest, ScorecardTemplate


class DateInput(forms.DateInput):
    input_type = "date"


def quarter_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    first_month = (day.month - 1) // 3 * 3 + 1
    start = day.replace(month=first_month, day=1)
    next_start = (start.replace(day=28) + datetime.timedelta(days=93)).replace(day=1)
    return start, next_start - datetime.timedelta(days=1)


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("开始日期"), widget=DateInput)
    date_to = forms.DateField(label=_("结束日期"), widget=DateInput)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("开始日期不能晚于结束日期。"))
        return data

    @classmethod
    def initial_quarter(cls) -> dict:
        start, end = quarter_bounds(timezone.localdate())
        return {"date_from": start, "date_to": end}


class StatementFilterForm(forms.Form):
    date_from = forms.DateField(label=_("开始日期"), required=False, widget=DateInput)
    status = forms.ChoiceField(label=_("状态"), required=False)

    def __init__(self, *args, **kwargs):
        from .models import StatementStatus

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部")), *StatementStatus.choices]


class ScorecardComputeForm(PeriodForm):
    template = forms.ModelChoiceField(
        label=_("考核方案"), queryset=ScorecardTemplate.objects.filter(is_active=True)
    )
    people = forms.ModelMultipleChoiceField(label=_("被考核人"), queryset=None)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = people


class StatementComputeForm(PeriodForm):
    plan = forms.ModelChoiceField(
        label=_("提成方案"), queryset=CommissionPlan.objects.filter(is_active=True)
    )
    people = forms.ModelMultipleChoiceField(label=_("销售"), queryset=None)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = people


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("上级评语"), widget=forms.Textarea, max_length=2000)


class ContestForm(forms.ModelForm):
    class Meta:
        model = Contest
        fields = ["name", "metric", "period_start", "period_end", "participants", "prizes"]
        widgets = {"period_start": DateInput, "period_end": DateInput}

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = people

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and start > end:
            raise forms.ValidationError(_("开始日期不能晚于结束日期。"))
        return data
