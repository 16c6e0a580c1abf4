from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import base
from .models import ChannelCost, FunnelVariance
from .registry import Analysis, Params


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class AnalysisFilterForm(forms.Form):
    """Period, group-by, template and team, plus the analysis's own choices."""

    date_from = forms.DateField(label=_("从"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("至"), required=False, widget=DateInput)
    group_by = forms.ChoiceField(label=_("分组"), required=False)
    template = forms.ChoiceField(label=_("流程模板"), required=False)
    team = forms.ChoiceField(label=_("团队"), required=False)

    def __init__(self, *args, analysis: Analysis, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.analysis = analysis
        if analysis.group_by_choices:
            self.fields["group_by"].choices = [
                (key, base.GROUP_LABELS.get(key, key)) for key in analysis.group_by_choices
            ]
        else:
            del self.fields["group_by"]
        self.fields["template"].choices = [
            ("", _("全部（按第一个启用的模板展开阶段）")),
            *base.template_choices(),
        ]
        self.fields["team"].choices = [("", _("我可见的全部"))] + [
            (str(pk), name) for pk, name in teams
        ]
        for key, label, choices in analysis.options:
            self.fields[key] = forms.ChoiceField(
                label=label, required=False, choices=[(str(v), lbl) for v, lbl in choices]
            )

    def params(self) -> Params:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        extra = {}
        for key in ["template", "team", *(o[0] for o in self.analysis.options)]:
            if data.get(key):
                extra[key] = data[key]
        return Params(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            group_by=data.get("group_by") or "",
            extra=extra,
        )


class FunnelVarianceForm(forms.ModelForm):
    class Meta:
        model = FunnelVariance
        fields = [
            "period_start",
            "period_end",
            "step",
            "template",
            "team",
            "reason",
            "action",
            "owner",
            "due_date",
            "status",
        ]
        widgets = {
            "period_start": DateInput(),
            "period_end": DateInput(),
            "due_date": DateInput(),
            "reason": forms.Textarea(attrs={"rows": 2}),
            "action": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, owners, steps, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["step"] = forms.ChoiceField(label=_("漏斗环节"), choices=steps)

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and start > end:
            self.add_error("period_end", _("结束日期不能早于开始日期。"))
        return data


class ChannelCostForm(forms.ModelForm):
    month = forms.DateField(
        label=_("月份"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )

    class Meta:
        model = ChannelCost
        fields = ["channel", "month", "marketing_cost", "sales_cost", "note"]

    def validate_unique(self):  # the service updates the month's row if it exists
        pass
