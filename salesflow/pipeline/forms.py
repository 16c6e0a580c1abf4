"""Forms of the pipeline pages. They check input at the edge (types, required fields); every
write still goes through ``services``, which validates again and owns the rules."""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core.errors import DomainError
from salesflow.customers.models import Contact
from salesflow.org.models import User

from .models import LostReason, OpportunityStatus, ProcessTemplate, ProductLine, StageOutput

MAX_FORM_AGE = datetime.timedelta(days=1)
CLOCK_SKEW = datetime.timedelta(minutes=5)
# The moment an output form is shown travels signed in a hidden field, so the measured fill
# time (pilot reports) cannot be shortened by editing the page.
OPENED_AT_SALT = "salesflow.pipeline.output.opened_at"


def sign_opened_at(moment: datetime.datetime) -> str:
    from django.core.signing import Signer

    return Signer(salt=OPENED_AT_SALT).sign(moment.isoformat(timespec="seconds"))


def apply_service_error(form: forms.BaseForm, exc: Exception, field_map=None) -> None:
    """Put an error raised by a service on ``form``: field errors on their field (``data.x``
    → ``x`` through ``field_map``), everything else as a non-field error."""
    field_map = field_map or {}
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                name = field_map.get(field, field)
                if name.startswith("data."):
                    name = name[5:]
                form.add_error(name if name in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
    elif isinstance(exc, DomainError):
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, str(exc.message))
    else:  # NotAllowed and other PermissionDenied
        form.add_error(None, str(exc) or _("没有执行该操作的权限。"))


def error_text(exc: Exception) -> str:
    """One line for a message: a service error as the user should read it."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, DomainError):
        return str(exc.message)
    return str(exc) or str(_("没有执行该操作的权限。"))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


# --- filters ----------------------------------------------------------------------------------


class OpportunityFilterForm(forms.Form):
    """The board's and the list's filters; invalid values are ignored, never an error page."""

    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    owner_id = forms.TypedChoiceField(label=_("负责人"), required=False, coerce=int)
    team_id = forms.TypedChoiceField(label=_("团队"), required=False, coerce=int)
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), *OpportunityStatus.choices],
    )
    close_month = forms.CharField(
        label=_("预计成交月份"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    min_amount = forms.DecimalField(
        label=_("金额下限（元）"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    max_amount = forms.DecimalField(
        label=_("金额上限（元）"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    overdue = forms.BooleanField(label=_("仅阶段超时"), required=False)

    KEYS = (
        "q",
        "owner_id",
        "team_id",
        "status",
        "close_month",
        "min_amount",
        "max_amount",
        "overdue",
    )

    def __init__(self, data=None, *, owners=(), teams=(), with_status=True, with_search=True):
        """``owners``/``teams`` None: no choice lists (the board's fragments), the ids are only
        checked to be numbers — the selector applies the user's scope whatever they are."""
        super().__init__(data)
        if owners is None:
            self.fields["owner_id"] = forms.IntegerField(required=False, min_value=1)
        else:
            self.fields["owner_id"].choices = [("", _("全部负责人"))] + [
                (u.pk, str(u)) for u in owners
            ]
        if teams is None:
            self.fields["team_id"] = forms.IntegerField(required=False, min_value=1)
        else:
            self.fields["team_id"].choices = [("", _("全部团队"))] + [
                (d.pk, ("· " * d.depth) + d.name) for d in teams
            ]
        if not with_status:
            del self.fields["status"]
        if not with_search:
            del self.fields["q"]

    def clean_close_month(self):
        value = (self.cleaned_data.get("close_month") or "").strip()
        if not value:
            return ""
        try:
            datetime.date.fromisoformat(f"{value}-01")
        except ValueError:
            raise ValidationError(_("月份格式应为 YYYY-MM。")) from None
        return value

    def selector_filters(self) -> dict:
        """The valid values as the selectors' filters dict (an invalid field is dropped)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        filters = {}
        for key in self.KEYS:
            if key not in self.fields or key in self.errors:
                continue
            value = data.get(key)
            if key == "overdue":
                if value:
                    filters["overdue"] = "1"
            elif value not in (None, ""):
                filters[key] = value
        return filters


# --- stage outputs ----------------------------------------------------------------------------


def _output_field(spec: dict) -> forms.Field:
    kind = spec.get("type", "text")
    required = spec.get("required", True)
    label = spec.get("label") or spec["name"]
    if kind == "textarea":
        return forms.CharField(
            label=label,
            required=required,
            max_length=5000,
            widget=forms.Textarea(attrs={"rows": 3}),
        )
    if kind == "number":
        return forms.CharField(
            label=label,
            required=required,
            max_length=30,
            widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        )
    if kind == "date":
        return forms.CharField(label=label, required=required, widget=DateInput())
    if kind == "choice":
        choices = [(c, c) for c in spec.get("choices") or []]
        return forms.ChoiceField(
            label=label, required=required, choices=[("", _("请选择")), *choices]
        )
    return forms.CharField(label=label, required=required, max_length=500)


class OutputForm(forms.Form):
    """One required output of a stage: its structured form fields (from ``form_fields``) or a
    file. ``opened_at`` records when the form was shown (how long filling it took)."""

    opened_at = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, output: StageOutput, **kwargs):
        kwargs.setdefault("prefix", f"out{output.pk}")
        super().__init__(*args, **kwargs)
        self.output = output
        if output.kind == StageOutput.Kind.FILE:
            self.fields["file"] = forms.FileField(
                label=output.name,
                help_text=_("PDF、Office 文档（Word/Excel/PPT）或图片，不超过 20 MB。"),
            )
        else:
            for spec in output.form_fields:
                if spec.get("name") and spec["name"] not in ("opened_at", "file"):
                    self.fields[spec["name"]] = _output_field(spec)
        if not self.is_bound:
            self.initial["opened_at"] = sign_opened_at(timezone.now())

    @property
    def is_file(self) -> bool:
        return self.output.kind == StageOutput.Kind.FILE

    def service_data(self) -> dict:
        return {
            name: self.cleaned_data.get(name, "")
            for name in self.fields
            if name not in ("opened_at", "file")
        }

    def opened_at_value(self, now: datetime.datetime | None = None) -> datetime.datetime | None:
        """When the form was rendered: a past moment within a day carrying the server's
        signature, else unknown (None) — the pilot's "time to fill" report."""
        from django.core.signing import BadSignature, Signer

        raw = (self.cleaned_data.get("opened_at") or "").strip()
        if not raw:
            return None
        try:
            moment = datetime.datetime.fromisoformat(Signer(salt=OPENED_AT_SALT).unsign(raw))
        except (BadSignature, ValueError):
            return None
        if timezone.is_naive(moment):
            return None
        now = now or timezone.now()
        if moment > now + CLOCK_SKEW or now - moment > MAX_FORM_AGE:
            return None
        return min(moment, now)


# --- opportunity ------------------------------------------------------------------------------


class OpportunityForm(forms.Form):
    """Edit form (and the base of the create form)."""

    name = forms.CharField(label=_("商机名称"), max_length=200)
    amount = forms.DecimalField(
        label=_("金额（元）"), min_value=0, max_digits=14, decimal_places=2, initial=0
    )
    expected_close_date = forms.DateField(
        label=_("预计成交日期"), required=False, widget=DateInput()
    )
    probability = forms.IntegerField(label=_("赢率（%）"), min_value=0, max_value=100)
    product_lines = forms.ModelMultipleChoiceField(
        label=_("产品线"),
        required=False,
        queryset=ProductLine.objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    contacts = forms.ModelMultipleChoiceField(
        label=_("联系人"),
        required=False,
        queryset=Contact.objects.none(),  # the customer's contacts, set in __init__
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    competitors = forms.CharField(
        label=_("竞争对手"), required=False, max_length=200, help_text=_("多个用顿号或逗号分隔")
    )
    description = forms.CharField(
        label=_("说明"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )

    SERVICE_FIELDS = (
        "name",
        "amount",
        "expected_close_date",
        "probability",
        "competitors",
        "description",
    )

    def __init__(self, *args, contacts=None, product_lines=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_lines"].queryset = (
            product_lines if product_lines is not None else ProductLine.objects.none()
        )
        if contacts is None:
            del self.fields["contacts"]
        else:
            self.fields["contacts"].queryset = contacts

    def service_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in self.SERVICE_FIELDS if k in self.cleaned_data}

    def contact_ids(self):
        if "contacts" not in self.fields:
            return ()
        return [c.pk for c in self.cleaned_data.get("contacts") or []]

    def product_line_ids(self):
        return [p.pk for p in self.cleaned_data.get("product_lines") or []]


class OpportunityCreateForm(OpportunityForm):
    customer = forms.TypedChoiceField(label=_("客户"), coerce=int)
    template = forms.ModelChoiceField(
        label=_("销售流程"), queryset=ProcessTemplate.objects.none(), empty_label=None
    )
    owner = forms.ModelChoiceField(
        label=_("负责人"),
        required=False,
        queryset=User.objects.none(),  # the assign scope, set in __init__
        empty_label=_("默认：客户负责人或本人"),
    )

    field_order = [
        "customer",
        "template",
        "name",
        "amount",
        "expected_close_date",
        "product_lines",
        "contacts",
        "competitors",
        "description",
        "owner",
    ]

    def __init__(self, *args, customers=(), templates=None, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["probability"]  # the first stage's default; changed on the edit page
        self.fields["customer"].choices = [("", _("请选择客户"))] + [
            (c.pk, f"{c.name}（{c.grade}）" if c.grade else c.name) for c in customers
        ]
        # Choosing a customer reloads its contacts (htmx); without JavaScript the page opened
        # with ?customer=<id> lists them, and the edit page always does.
        self.fields["customer"].widget.attrs.update(
            {
                "hx-get": reverse("pipeline:create"),
                "hx-trigger": "change",
                "hx-target": "#sf-contacts-field",
                "hx-select": "#sf-contacts-field",
                "hx-swap": "outerHTML",
            }
        )
        self.fields["template"].queryset = (
            templates if templates is not None else ProcessTemplate.objects.none()
        )
        if owners is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = owners


# --- actions of the detail page ----------------------------------------------------------------


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("备注"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class BackForm(forms.Form):
    to_stage = forms.TypedChoiceField(label=_("退回到"), coerce=int)
    note = forms.CharField(
        label=_("退回原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, stages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_stage"].choices = [(s.pk, s.name) for s in stages]


class SkipForm(forms.Form):
    reason = forms.CharField(
        label=_("申请理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("说明为何本阶段的标准产出可以跳过；由销售总监审批。"),
    )


class WinForm(forms.Form):
    amount = forms.DecimalField(
        label=_("成交金额（元）"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    note = forms.CharField(
        label=_("备注"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class LoseForm(forms.Form):
    lost_reason = forms.ModelChoiceField(
        label=_("输单原因"),
        queryset=LostReason.objects.filter(is_active=True),
        error_messages={"required": _("请选择输单原因。")},
        empty_label=_("请选择"),
    )
    competitor = forms.CharField(label=_("赢单的竞争对手"), required=False, max_length=100)
    note = forms.CharField(
        label=_("备注"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=_("新负责人"), queryset=User.objects.none(), empty_label=_("请选择")
    )
    reason = forms.CharField(label=_("分配原因"), max_length=500)

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if owners is not None:
            self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda u: (
            f"{u}（{u.department}）" if u.department_id else str(u)
        )
