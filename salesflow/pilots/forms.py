"""Forms of the pilot pages. The settings profile is typed one ``key = value`` per line and
checked by the settings registry's own parsing in the service."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from salesflow.org.models import Department, User
from salesflow.pipeline.models import TemplateVersion

from .models import DecisionKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SCORES = [(n, str(n)) for n in range(5, 0, -1)]


def parse_profile(text: str) -> dict:
    profile = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValidationError(_("第 %(n)s 行应为“设置项代码 = 取值”。"), params={"n": number})
        profile[key.strip()] = value.strip()
    return profile


def profile_text(profile: dict) -> str:
    return "\n".join(f"{key} = {value}" for key, value in (profile or {}).items())


class VersionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        current = _("（当前）") if obj.is_current else ""
        return f"{obj.template.name} v{obj.number}{current} {obj.change_note[:30]}"


class PilotForm(forms.Form):
    name = forms.CharField(label=_("试点名称"), max_length=200)
    goal = forms.CharField(label=_("试点目标"), widget=forms.Textarea(attrs={"rows": 3}))
    teams = forms.ModelMultipleChoiceField(
        label=_("试点团队"),
        queryset=Department.objects.order_by("path"),
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("含下级部门；其他团队保持公司当前的设置和流程。"),
    )
    start_date = forms.DateField(label=_("开始日期"), widget=DATE)
    end_date = forms.DateField(label=_("结束日期"), widget=DATE)
    baseline_start = forms.DateField(
        label=_("基线开始"),
        widget=DATE,
        required=False,
        help_text=_("留空：试点开始前同样长度的期间。"),
    )
    baseline_end = forms.DateField(label=_("基线结束"), widget=DATE, required=False)
    template_version = VersionChoice(
        label=_("试点流程版本"),
        queryset=TemplateVersion.objects.filter(template__is_active=True).select_related(
            "template"
        ),
        required=False,
        help_text=_(
            "试点团队在试点期间新建的商机使用此版本（在流程模板中新建一个草稿版本后选择）。"
        ),
    )
    settings_profile = forms.CharField(
        label=_("试点设置"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "lead.a_first_contact_sla = 12h"}),
        help_text=_("每行一项：设置项代码 = 取值（代码见系统设置页）。"),
    )

    def clean_settings_profile(self):
        return parse_profile(self.cleaned_data.get("settings_profile") or "")

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("teams", None)
        return data


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(label=_("决策"), choices=DecisionKind.choices)
    what_changed = forms.CharField(label=_("变更内容"), widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 3}))
    apply_settings = forms.BooleanField(
        label=_("全面推广时把试点设置应用为公司设置"), required=False, initial=True
    )
    apply_version = forms.BooleanField(
        label=_("全面推广时把试点流程版本设为当前版本"), required=False, initial=True
    )


class SurveyForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("客户"), queryset=None)
    score = forms.TypedChoiceField(label=_("满意度（1–5）"), choices=SCORES, coerce=int)
    comment = forms.CharField(
        label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, customers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers


class FeedbackForm(forms.Form):
    participant = forms.ModelChoiceField(label=_("参与人"), queryset=User.objects.none())
    acceptance = forms.TypedChoiceField(label=_("接受度（1–5）"), choices=SCORES, coerce=int)
    suggestions = forms.CharField(
        label=_("改进建议"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, participants=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = participants
