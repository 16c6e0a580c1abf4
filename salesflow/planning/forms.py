"""Forms of the planning pages: the records, their small child forms and the list filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salesflow.org.models import Department, User

from .models import (
    PlanStatus,
    ProcessInterview,
    ReviewMeeting,
    StrategyPlan,
    TrainingParticipant,
    TrainingSession,
)
from .services import parse_themes

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TEXT = forms.Textarea(attrs={"rows": 3})


def active_users():
    return (
        User.objects.filter(is_active=True)
        .select_related("department")
        .order_by("department__path", "id")
    )


def departments():
    return Department.objects.filter(is_active=True).order_by("path")


class _Dates(forms.ModelForm):
    """Model forms with date pickers and short text areas."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateTimeField):
                field.widget = DATETIME
                field.input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
            elif isinstance(field, forms.DateField):
                field.widget = DATE
            elif isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 3
        for name in ("owner", "follow_up_owner", "interviewee_user"):
            if name in self.fields:
                self.fields[name].queryset = active_users()
        if "department" in self.fields:
            self.fields["department"].queryset = departments()


class PlanForm(_Dates):
    class Meta:
        model = StrategyPlan
        fields = [
            "title",
            "owner",
            "department",
            "period_start",
            "period_end",
            "status",
            "goal",
            "goal_metric",
            "goal_value",
            "lead_source",
            "product_line",
            "strategy_product",
            "strategy_price",
            "strategy_place",
            "strategy_promotion",
            "resources_people",
            "resources_materials",
            "budget",
            "expected_effect",
            "review_every_days",
            "manual_reach",
            "manual_revenue",
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("结束日期不能早于开始日期。"))
        return data


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("里程碑"), max_length=200)
    owner = forms.ModelChoiceField(label=_("负责人"), queryset=User.objects.none())
    due_date = forms.DateField(label=_("计划完成日期"), widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = active_users()


class ReviewForm(forms.Form):
    notes = forms.CharField(label=_("回顾结论"), widget=TEXT)
    adjustments = forms.CharField(label=_("调整措施"), widget=TEXT, required=False)


class MeetingForm(_Dates):
    attendees = forms.ModelMultipleChoiceField(
        label=_("参会人"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = ReviewMeeting
        fields = [
            "topic",
            "held_at",
            "owner",
            "department",
            "follow_up_owner",
            "period_start",
            "period_end",
            "agenda",
            "key_discussion",
            "highlights",
            "problems",
            "root_causes",
            "lessons",
            "resolutions",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = active_users()
        if self.instance.pk:
            self.fields["attendees"].initial = list(
                self.instance.attendees.values_list("pk", flat=True)
            )

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("结束日期不能早于开始日期。"))
        return data


class ActionForm(forms.Form):
    what = forms.CharField(label=_("行动事项"), max_length=200)
    owner = forms.ModelChoiceField(label=_("负责人"), queryset=User.objects.none())
    due_date = forms.DateField(label=_("完成期限"), widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = active_users()


class TrainingForm(_Dates):
    class Meta:
        model = TrainingSession
        fields = [
            "title",
            "owner",
            "trainer",
            "department",
            "held_on",
            "hours",
            "followup_months",
            "content",
            "summary",
        ]


class ParticipantForm(forms.ModelForm):
    user = forms.ModelChoiceField(label=_("学员"), queryset=User.objects.none())

    class Meta:
        model = TrainingParticipant
        fields = [
            "attended",
            "participation",
            "pre_score",
            "post_score",
            "practical_score",
            "notes",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = active_users()
        self.order_fields(["user", *self.Meta.fields])


class InterviewForm(_Dates):
    theme_names = forms.CharField(
        label=_("主题标签"),
        required=False,
        max_length=300,
        help_text=_("多个主题用逗号或顿号分隔，如：审批慢、报表重复"),
    )

    class Meta:
        model = ProcessInterview
        fields = [
            "interviewee",
            "interviewee_user",
            "role",
            "department",
            "interviewed_on",
            "owner",
            "pain_points",
            "suggestions",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields([*self.Meta.fields[:6], "theme_names", *self.Meta.fields[6:]])
        if self.instance.pk:
            self.fields["theme_names"].initial = "、".join(
                t.name for t in self.instance.themes.all()
            )

    def themes(self) -> list[str]:
        return parse_themes(self.cleaned_data.get("theme_names", ""))


# --- list filters --------------------------------------------------------------------------------


class _Filter(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)

    def selector_args(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "", [])}


class PlanFilter(_Filter):
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *PlanStatus.choices]
    )
    department = forms.ModelChoiceField(
        label=_("团队"), required=False, queryset=Department.objects.none()
    )
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments()


class DatedFilter(_Filter):
    department = forms.ModelChoiceField(
        label=_("团队"), required=False, queryset=Department.objects.none()
    )
    date_from = forms.DateField(label=_("日期自"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("日期至"), required=False, widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments()


class InterviewFilter(_Filter):
    theme = forms.IntegerField(required=False, widget=forms.HiddenInput)
    department = forms.ModelChoiceField(
        label=_("部门"), required=False, queryset=Department.objects.none()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments()


class PeriodFilter(forms.Form):
    date_from = forms.DateField(label=_("访谈日期自"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("访谈日期至"), required=False, widget=DATE)

    def selector_args(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}
