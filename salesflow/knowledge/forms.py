"""Forms of the knowledge pages: they check the shape of the input; the rules (required
note, won opportunity, known stage) live in ``services``."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from salesflow.pipeline.models import ProcessTemplate

from . import selectors

NOTE_HELP = _("简要说明本次修改了什么，会记录在版本历史中。")


def _area(label, rows=4, required=False, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


def _note_field():
    return forms.CharField(
        label=_("变更说明"),
        max_length=500,
        help_text=NOTE_HELP,
        error_messages={"required": _("请填写本次修改了什么。")},
    )


class PageForm(forms.Form):
    what_to_do = _area(_("要做什么"), rows=6, required=True)
    tips = _area(_("技巧提示"), rows=4)
    mistakes = _area(_("常见错误"), rows=4)
    note = _note_field()


class ScriptForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("流程模板"),
        queryset=ProcessTemplate.objects.none(),
        required=False,
        empty_label=_("所有流程"),
    )
    stage_name = forms.ChoiceField(label=_("阶段"), required=False)
    title = forms.CharField(
        label=_("场景"), max_length=200, help_text=_("在什么情况下使用，如“客户说价格太高”。")
    )
    script = _area(_("话术"), rows=6, required=True)
    tags = forms.CharField(
        label=_("标签"), max_length=200, required=False, help_text=_("多个标签用逗号或空格分隔。")
    )
    note = _note_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = ProcessTemplate.objects.filter(is_active=True)
        self.fields["stage_name"].choices = [("", _("通用（不限阶段）"))] + [
            (name, name) for name in selectors.all_stage_names()
        ]

    def service_data(self) -> dict:
        data = {k: self.cleaned_data[k] for k in ("title", "script", "tags", "stage_name")}
        template = self.cleaned_data.get("template")
        data["template_id"] = template.pk if template else None
        return data


class OpportunityChoiceField(forms.ModelChoiceField):
    """Won opportunities by name, customer and closing day — except the one a case already
    links when the editor's scope does not reach it (kept, but not described)."""

    visible_ids: set = set()

    def label_from_instance(self, obj):
        if obj.pk not in self.visible_ids:
            return str(_("原关联的商机（不在您的数据范围内）"))
        closed = obj.closed_at.strftime("%Y-%m-%d") if obj.closed_at else ""
        return f"{obj.name} · {obj.customer.name} · {closed}"


class CaseForm(forms.Form):
    opportunity = OpportunityChoiceField(
        label=_("赢单商机"),
        queryset=None,
        empty_label=_("请选择赢单商机"),
        help_text=_("只能关联已赢单、且在您数据范围内的商机（最近 200 个）。"),
    )
    title = forms.CharField(label=_("标题"), max_length=200)
    summary = _area(_("摘要"), rows=3, required=True)
    situation = _area(_("背景与挑战"))
    approach = _area(_("做法"))
    result = _area(_("结果"))
    lessons = _area(_("经验与启示"))
    tags = forms.CharField(
        label=_("标签"), max_length=200, required=False, help_text=_("多个标签用逗号或空格分隔。")
    )
    note = _note_field()

    def __init__(self, *args, user, current_opportunity_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        visible = selectors.won_opportunity_ids(user=user)
        field = self.fields["opportunity"]
        field.visible_ids = set(visible)
        field.queryset = selectors.opportunities_by_ids(
            [*visible, current_opportunity_id] if current_opportunity_id else visible
        )

    def service_data(self) -> dict:
        data = {
            k: self.cleaned_data[k]
            for k in ("title", "summary", "situation", "approach", "result", "lessons", "tags")
        }
        data["opportunity_id"] = self.cleaned_data["opportunity"].pk
        return data


class RestoreForm(forms.Form):
    note = forms.CharField(label=_("恢复原因"), max_length=300, required=False)


def apply_service_error(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError back on the form's fields (or on the form)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = name if name in form.fields else None
            if name == "template_id":
                target = "template"
            if name == "opportunity_id":
                target = "opportunity"
            for error in errors:
                form.add_error(target, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)
