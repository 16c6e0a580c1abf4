"""Forms of the follow-up and task pages. They check the shape of the input; the rules live
in ``services.py``, whose errors the views put back on these forms."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.org.models import User
from salesflow.pipeline.services import MAX_UPLOAD_BYTES

from .models import FollowUp, FollowUpResult, Method, TaskItem, TaskStatus

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
MAX_ATTACHMENTS = 10


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={"accept": ".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.png,.jpg,.jpeg"}
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            files = [single(item, initial) for item in data if item]
        else:
            files = [single(data, initial)] if data else []
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(_("一次最多上传 %(n)s 个附件。") % {"n": MAX_ATTACHMENTS})
        for upload in files:
            if upload.size > MAX_UPLOAD_BYTES:
                raise forms.ValidationError(_("文件不能超过 20 MB。"))
        return files


def active_users():
    return (
        User.objects.filter(is_active=True)
        .select_related("department")
        .order_by("department__path", "display_name", "id")
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} · {obj.department}" if obj.department_id else str(obj)


class FollowUpForm(forms.ModelForm):
    """客户跟进记录 — phone-width; subject from the query string or picked from my records."""

    subject = forms.ChoiceField(label=_("跟进对象"), required=False)
    owner = UserChoiceField(
        label=_("跟进人"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("代同事录入时选择实际沟通的人；留空为本人。"),
    )
    next_step_owner = UserChoiceField(
        label=_("下一步负责人"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("留空为本人；选择其他部门的同事会通知对方（跨部门）。"),
    )
    attachments = MultipleFileField(
        label=_("附件"),
        required=False,
        help_text=_("会议纪要、邮件等；PDF、Office 文档或图片，每个不超过 20 MB。"),
    )

    class Meta:
        model = FollowUp
        fields = [
            "communicated_at",
            "method",
            "topic",
            "summary",
            "customer_words",
            "objection_handling",
            "needs_change",
            "commitments",
            "next_step_action",
            "next_step_owner",
            "next_step_due",
            "risk",
            "result",
        ]
        widgets = {
            "communicated_at": DateTimeLocalInput(),
            "next_step_due": DateTimeLocalInput(),
            "method": forms.RadioSelect,
            "result": forms.RadioSelect,
            "summary": forms.Textarea(attrs={"rows": 3}),
            "customer_words": forms.Textarea(
                attrs={"rows": 2, "placeholder": _("尽量引用客户原话，如“预算要等下季度才批”")}
            ),
            "objection_handling": forms.Textarea(attrs={"rows": 2}),
            "needs_change": forms.Textarea(attrs={"rows": 2}),
            "commitments": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "communicated_at": _("沟通后 2 小时内录入计为按时。"),
        }

    def __init__(self, *args, subjects=None, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if owners is None:
            del self.fields["owner"]  # only for those who enter follow-ups for colleagues
        else:
            self.fields["owner"].queryset = owners
        self.fields["method"].choices = Method.choices
        self.fields["result"].choices = FollowUpResult.choices
        self.fields["next_step_owner"].queryset = active_users()
        if not self.is_bound and not self.initial.get("communicated_at"):
            self.initial["communicated_at"] = timezone.localtime().replace(second=0, microsecond=0)
        self.initial.setdefault("result", FollowUpResult.DONE)
        if subjects is None:
            del self.fields["subject"]
        else:
            choices = [("", "—")]
            if subjects["customers"]:
                choices.append(
                    (_("客户"), [(f"customer:{c.pk}", c.name) for c in subjects["customers"]])
                )
            if subjects["leads"]:
                choices.append(
                    (
                        _("线索"),
                        [(f"lead:{lead.pk}", lead.company_name) for lead in subjects["leads"]],
                    )
                )
            self.fields["subject"].choices = choices
            self.fields["subject"].required = True

    def service_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        data["result"] = data.get("result") or FollowUpResult.DONE
        if self.cleaned_data.get("owner"):
            data["owner"] = self.cleaned_data["owner"]
        return data

    def subject_ids(self) -> dict:
        value = self.cleaned_data.get("subject") or ""
        kind, _sep, pk = value.partition(":")
        if kind in ("lead", "customer") and pk.isdigit():
            return {f"{kind}_id": int(pk)}
        return {}


class FollowUpFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    owner_id = forms.TypedChoiceField(
        label=_("跟进人"), required=False, coerce=int, empty_value=None
    )
    method = forms.ChoiceField(
        label=_("方式"), required=False, choices=[("", _("全部")), *Method.choices]
    )
    result = forms.ChoiceField(
        label=_("结果"), required=False, choices=[("", _("全部")), *FollowUpResult.choices]
    )
    is_complete = forms.ChoiceField(
        label=_("完整性"),
        required=False,
        choices=[("", _("全部")), ("1", _("完整")), ("0", _("不完整"))],
    )
    entry_sla_met = forms.ChoiceField(
        label=_("按时录入"),
        required=False,
        choices=[("", _("全部")), ("1", _("按时")), ("0", _("超时"))],
    )
    date_from = forms.DateField(label=_("从"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("到"), required=False, widget=DateInput())
    lead_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    customer_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    opportunity_id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_id"].choices = [("", _("全部")), *[(u.pk, str(u)) for u in owners]]

    def selector_args(self) -> tuple[dict, str]:
        if not self.is_bound or not self.is_valid():
            return {}, ""
        data = dict(self.cleaned_data)
        search = data.pop("q", "") or ""
        return {k: v for k, v in data.items() if v not in (None, "")}, search


class TaskForm(forms.Form):
    title = forms.CharField(label=_("任务"), max_length=200)
    description = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner = UserChoiceField(
        label=_("负责人"), queryset=User.objects.none(), help_text=_("分配给其他同事会通知对方。")
    )
    due_at = forms.DateTimeField(label=_("截止时间"), required=False, widget=DateTimeLocalInput())
    acceptor = UserChoiceField(label=_("验收人"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = active_users()
        self.fields["acceptor"].queryset = active_users()


class TaskItemForm(forms.ModelForm):
    owner = UserChoiceField(label=_("负责人"), queryset=User.objects.none(), required=False)
    acceptor = UserChoiceField(label=_("验收人"), queryset=User.objects.none(), required=False)

    class Meta:
        model = TaskItem
        fields = ["name", "target_value", "actual_value", "owner", "planned_start",
                  "planned_finish", "actual_finish", "acceptor", "notes"]  # fmt: skip
        widgets = {
            "planned_start": DateInput(),
            "planned_finish": DateInput(),
            "actual_finish": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "target_value": forms.NumberInput(
                attrs={"min": 0, "step": "any", "inputmode": "decimal"}
            ),
            "actual_value": forms.NumberInput(
                attrs={"min": 0, "step": "any", "inputmode": "decimal"}
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = active_users()
        self.fields["acceptor"].queryset = active_users()


class ProgressForm(forms.Form):
    day = forms.DateField(label=_("日期"), widget=DateInput())
    item = forms.TypedChoiceField(label=_("子项"), required=False, coerce=int, empty_value=None)
    actual_value = forms.DecimalField(
        label=_("累计实际值"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=_("选择子项后填写，更新该子项的实际值。"),
    )
    note = forms.CharField(
        label=_("今日进展"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", "—"), *[(i.pk, i.name) for i in items]]
        self.initial.setdefault("day", timezone.localdate())


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("取消原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class TaskFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    mine = forms.ChoiceField(
        label=_("范围"),
        required=False,
        choices=[("", _("全部可见")), ("owner", _("我负责的")), ("created", _("我创建的"))],
    )
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[*TaskStatus.choices, ("all", _("全部"))]
    )
    overdue = forms.ChoiceField(
        label=_("逾期"), required=False, choices=[("", _("全部")), ("1", _("仅逾期"))]
    )

    def selector_args(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {"status": TaskStatus.OPEN}
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        data.setdefault("status", TaskStatus.OPEN)
        return data
