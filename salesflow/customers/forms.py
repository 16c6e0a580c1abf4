"""Forms of the customer pages. They check input at the edge (types, required fields, the
personal-data refusal); every write still goes through ``services``, which validates again."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesflow.core.errors import DomainError
from salesflow.core.pii import mask_email, mask_phone, reject_sensitive
from salesflow.core.widgets import use_fast_widgets

from .models import Contact, CreditRating, Customer, Grade, Industry, Region, Tier

CUSTOMER_FORM_FIELDS = [
    "name",
    "industry",
    "region",
    "employees",
    "annual_revenue",
    "expected_annual_value",
    "tier",
    "credit_rating",
    "credit_limit",
    "phone",
    "website",
    "address",
    "service_needs",
    "notes",
]
CONTACT_FORM_FIELDS = [
    "name",
    "title",
    "decision_role",
    "phone",
    "email",
    "wechat",
    "is_primary",
    "notes",
]
CONTACT_TEXT_FIELDS = ("name", "title", "phone", "email", "wechat", "notes")
HIDDEN_CONTACT_FIELDS = ("phone", "email", "wechat")


def apply_service_error(form: forms.BaseForm, exc: Exception) -> None:
    """Put an error raised by a service on ``form``: field errors on their field when the form
    has it, everything else as a non-field error."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
    elif isinstance(exc, DomainError):
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, str(exc.message))
    else:  # NotAllowed and other PermissionDenied
        form.add_error(None, str(exc) or _("没有执行该操作的权限。"))


def _refuse_sensitive(form: forms.BaseForm, fields) -> None:
    try:
        reject_sensitive({f: form.cleaned_data.get(f) or "" for f in fields})
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field, errors)


def _active_or_current(model, current_id):
    q = Q(is_active=True)
    if current_id:
        q |= Q(pk=current_id)
    return model.objects.filter(q)


class CustomerForm(forms.ModelForm):
    """The customer archive. ``hide_phone``: the user may change the customer but not see its
    switchboard number, so the field starts empty and empty means "unchanged"."""

    owner = forms.ModelChoiceField(
        label=_("负责人"), queryset=Customer.objects.none(), required=False
    )
    confirm_duplicate = forms.BooleanField(label=_("我已核对，仍然保存"), required=False)

    class Meta:
        model = Customer
        fields = CUSTOMER_FORM_FIELDS
        widgets = {
            "service_needs": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }

    def __init__(self, *args, owner_queryset=None, with_tier=True, hide_phone=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.hide_phone = hide_phone
        self.fields["industry"].queryset = _active_or_current(Industry, self.instance.industry_id)
        self.fields["region"].queryset = _active_or_current(Region, self.instance.region_id)
        self.fields["industry"].empty_label = self.fields["region"].empty_label = _("请选择")
        self.fields["credit_rating"].choices = [("", _("未评级")), *CreditRating.choices]
        self.fields["expected_annual_value"].help_text = _(
            "尚无订单时，按此金额计算价值分级和维护等级。"
        )
        if owner_queryset is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = owner_queryset
            self.fields["owner"].empty_label = _("我自己")
        if with_tier:
            self.fields["tier"].help_text = _("修改预计年采购额时会按规则重新计算。")
        else:
            del self.fields["tier"]
        if hide_phone:
            self.initial["phone"] = ""
            self.fields["phone"].help_text = _("当前号码已隐藏（%(masked)s），留空表示不修改。") % {
                "masked": mask_phone(self.instance.phone) or "—"
            }

    def service_data(self) -> dict:
        data = {k: self.cleaned_data[k] for k in CUSTOMER_FORM_FIELDS if k in self.fields}
        if self.hide_phone and not data.get("phone"):
            data.pop("phone", None)
        return data


class ContactForm(forms.ModelForm):
    """A contact. ``hide_details``: the user may change the contact but not see its phone,
    e-mail and WeChat, so those start empty and empty means "unchanged"."""

    class Meta:
        model = Contact
        fields = CONTACT_FORM_FIELDS
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 2}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, hide_details=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.hide_details = hide_details
        if hide_details:
            shown = {
                "phone": mask_phone(self.instance.phone),
                "email": mask_email(self.instance.email),
                "wechat": "***" if self.instance.wechat else "",
            }
            for name in HIDDEN_CONTACT_FIELDS:
                self.initial[name] = ""
                self.fields[name].help_text = _("当前已隐藏（%(masked)s），留空表示不修改。") % {
                    "masked": shown[name] or "—"
                }

    def clean(self):
        cleaned = super().clean()
        _refuse_sensitive(self, CONTACT_TEXT_FIELDS)
        return cleaned

    def service_data(self) -> dict:
        data = {k: self.cleaned_data[k] for k in CONTACT_FORM_FIELDS if k in self.fields}
        if self.hide_details:
            for name in HIDDEN_CONTACT_FIELDS:
                if not data.get(name):
                    data.pop(name, None)
        return data


class FirstContactForm(ContactForm):
    """The first contact entered with a new customer: optional, but a name once anything of
    it is filled in; it becomes the primary contact."""

    class Meta(ContactForm.Meta):
        fields = ["name", "title", "decision_role", "phone", "email"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "contact")
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["name"].label = _("联系人姓名")

    def clean(self):
        cleaned = super().clean()
        if not self.is_empty() and not cleaned.get("name"):
            self.add_error("name", _("请填写联系人姓名。"))
        return cleaned

    def is_empty(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(f) for f in ("name", "title", "phone", "email"))

    def rows(self) -> list[dict]:
        if self.is_empty():
            return []
        return [self.service_data() | {"is_primary": True}]


class GradeForm(forms.Form):
    AUTO = "auto"
    grade = forms.ChoiceField(
        label=_("价值分级"),
        choices=[(AUTO, _("按规则自动计算")), *Grade.choices],
    )
    reason = forms.CharField(
        label=_("调整原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "grade_%s")
        super().__init__(*args, **kwargs)

    def chosen_grade(self) -> str | None:
        grade = self.cleaned_data["grade"]
        return None if grade == self.AUTO else grade


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "return_%s")
        super().__init__(*args, **kwargs)


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("新负责人"), queryset=Customer.objects.none())
    reason = forms.CharField(
        label=_("分配原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, owner_queryset, **kwargs):
        kwargs.setdefault("auto_id", "assign_%s")
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_queryset
        self.fields["owner"].empty_label = _("请选择")
        use_fast_widgets(self)


class MergeForm(forms.Form):
    THIS, OTHER = "this", "other"
    other = forms.ModelChoiceField(
        label=_("另一个客户"),
        queryset=Customer.objects.none(),
        error_messages={"invalid_choice": _("请选择您有权修改的另一个客户。")},
    )
    keep = forms.ChoiceField(
        label=_("保留哪一个"),
        choices=[(THIS, _("保留当前客户，另一个并入")), (OTHER, _("保留另一个，当前客户并入"))],
        initial=THIS,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    reason = forms.CharField(
        label=_("合并原因"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].queryset = candidates


class CustomerFilterForm(forms.Form):
    """The filters of the customer list; an invalid filter is ignored, never an error page."""

    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    grade = forms.ChoiceField(
        label=_("价值分级"), required=False, choices=[("", _("全部分级")), *Grade.choices]
    )
    tier = forms.ChoiceField(
        label=_("维护等级"), required=False, choices=[("", _("全部维护等级")), *Tier.choices]
    )
    industry = forms.ModelChoiceField(
        label=_("行业"), required=False, queryset=Industry.objects.all(), empty_label=_("全部行业")
    )
    region = forms.ModelChoiceField(
        label=_("区域"), required=False, queryset=Region.objects.all(), empty_label=_("全部区域")
    )
    owner = forms.ModelChoiceField(
        label=_("负责人"),
        required=False,
        queryset=Customer.objects.none(),
        empty_label=_("全部负责人"),
    )
    in_pool = forms.ChoiceField(
        label=_("公海"),
        required=False,
        choices=[("", _("全部")), ("0", _("有负责人")), ("1", _("在公海中"))],
    )

    def __init__(self, *args, owner_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_queryset
        use_fast_widgets(self)  # the list page renders these on every request

    def selector_args(self) -> tuple[dict, str]:
        """``(filters, search)`` for ``selectors.customer_list`` from the valid fields only."""
        if not self.is_bound:
            return {}, ""
        self.is_valid()
        data = self.cleaned_data
        filters = {
            "grade": data.get("grade") or "",
            "tier": data.get("tier") or "",
            "industry_id": data["industry"].pk if data.get("industry") else "",
            "region_id": data["region"].pk if data.get("region") else "",
            "owner_id": data["owner"].pk if data.get("owner") else "",
            "in_pool": data.get("in_pool") or "",
        }
        return {k: v for k, v in filters.items() if v != ""}, data.get("q") or ""
