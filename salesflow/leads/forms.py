"""Forms of the lead pages. They check the shape of the input; the rules live in the services
(``services.py``), whose errors are put back on these forms by ``views.apply_service_errors``."""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core.pii import can_view_contact, mask_email, mask_phone
from salesflow.core.widgets import use_fast_widgets
from salesflow.customers.models import Customer, Industry, Region

from . import selectors
from .models import Intent, Lead, LeadGrade, LeadSource, LeadStatus

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
MAX_NEED_ROWS = 30

#: The fields of the 客户信息登记表 that the form passes to ``lead_register``/``lead_update``.
LEAD_FORM_FIELDS = [
    "company_name",
    "industry",
    "region",
    "employees",
    "annual_revenue",
    "contact_name",
    "contact_title",
    "phone",
    "email",
    "needs",
    "source",
    "referral_customer",
    "acquired_at",
    "expected_purchase",
    "budget_min",
    "budget_max",
    "notes",
    "purpose",
]


def local_now_input() -> str:
    return timezone.localtime().strftime(DATETIME_LOCAL)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


class LeadForm(forms.ModelForm):
    """客户信息登记表 (registration and edit)."""

    confirm_duplicate = forms.BooleanField(label=_("我已核对，仍然保存"), required=False)

    class Meta:
        model = Lead
        fields = LEAD_FORM_FIELDS
        widgets = {
            "acquired_at": DateTimeLocalInput(),
            "expected_purchase": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "needs": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "phone": forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
            "email": forms.EmailInput(attrs={"inputmode": "email"}),
            "employees": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            "annual_revenue": forms.NumberInput(attrs={"min": 0, "step": "0.01"}),
            "budget_min": forms.NumberInput(attrs={"min": 0, "step": "1", "inputmode": "numeric"}),
            "budget_max": forms.NumberInput(attrs={"min": 0, "step": "1", "inputmode": "numeric"}),
        }
        help_texts = {
            "budget_min": _("单位：元。如 10–20万 填 100000 和 200000。"),
            "budget_max": _("单位：元。"),
            "acquired_at": _("拿到这条线索的时间；录入须在获取后 24 小时内完成。"),
        }

    def __init__(self, *args, user, can_assign: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        from salesflow.customers.selectors import customer_list

        self.user = user
        lead = self.instance
        self.fields["source"].queryset = LeadSource.objects.filter(
            Q(is_active=True) | Q(pk=lead.source_id)
        )
        self.fields["source"].empty_label = _("请选择来源")
        self.fields["industry"].queryset = Industry.objects.filter(
            Q(is_active=True) | Q(pk=lead.industry_id)
        )
        self.fields["region"].queryset = Region.objects.filter(
            Q(is_active=True) | Q(pk=lead.region_id)
        )
        # The user's own customers (and the one already chosen, even if now out of scope).
        visible = customer_list(user=user).values("pk")
        self.fields["referral_customer"].queryset = Customer.objects.filter(
            Q(pk__in=visible) | Q(pk=lead.referral_customer_id)
        ).order_by("name", "id")
        self.fields["referral_customer"].help_text = _("来源为“转介绍”时必填：推荐这条线索的客户。")
        self.fields["phone"].help_text = _("电话和邮箱至少填写一项。")
        if self.instance.pk is None and not self.is_bound:
            self.initial.setdefault("acquired_at", local_now_input())
        self.hidden_contact = self._hide_contact_details()
        if self.instance.pk is None:
            if can_assign:
                self.fields["owner"] = forms.ModelChoiceField(
                    label=_("负责人"),
                    queryset=selectors.assignable_users(user=user),
                    required=False,
                    empty_label=_("按分配规则自动分配"),
                    help_text=_("不选则按分配规则自动分配；没有匹配规则时进入未分配线索。"),
                )
            else:
                self.fields["assign_to_me"] = forms.BooleanField(
                    label=_("由我本人跟进"),
                    required=False,
                    help_text=_("不勾选则按分配规则自动分配。"),
                )

    def _hide_contact_details(self) -> bool:
        """Without the "view contact details" right an existing phone/e-mail is never sent to
        the browser: the field starts empty, shows the masked value, and empty keeps it."""
        if self.instance.pk is None or can_view_contact(self.user, "lead"):
            return False
        for name, masker in (("phone", mask_phone), ("email", mask_email)):
            current = getattr(self.instance, name)
            self.initial[name] = ""
            if current:
                self.fields[name].widget.attrs["placeholder"] = masker(current)
                self.fields[name].help_text = _("已隐藏；留空保持不变，填写则替换。")
        return True

    def _kept(self, name: str):
        value = self.cleaned_data.get(name)
        if self.hidden_contact and not value:
            return getattr(self.instance, name)
        return value

    def clean_phone(self):
        return self._kept("phone")

    def clean_email(self):
        return self._kept("email")

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("budget_min"), cleaned.get("budget_max")
        if low is not None and high is not None and low > high:
            self.add_error("budget_max", _("预算上限不能低于下限。"))
        return cleaned

    def service_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in LEAD_FORM_FIELDS}

    def chosen_owner(self):
        if "owner" in self.fields:
            return self.cleaned_data.get("owner")
        if self.cleaned_data.get("assign_to_me"):
            return self.user
        return None


class LeadFilterForm(forms.Form):
    """The list's filters and search (GET)."""

    SLA_CHOICES = [
        ("", _("全部 SLA 状态")),
        ("screening_overdue", _("筛选超时")),
        ("contact_overdue", _("首次联系超时")),
        ("due_soon", _("即将到期")),
    ]

    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    grade = forms.ChoiceField(
        label=_("等级"), required=False, choices=[("", _("全部等级")), *LeadGrade.choices]
    )
    intent = forms.ChoiceField(
        label=_("意向"), required=False, choices=[("", _("全部意向")), *Intent.choices]
    )
    source = forms.ModelChoiceField(
        label=_("来源"),
        required=False,
        queryset=LeadSource.objects.all(),
        empty_label=_("全部来源"),
    )
    owner = forms.ChoiceField(label=_("负责人"), required=False)
    region = forms.ModelChoiceField(
        label=_("区域"),
        required=False,
        queryset=Region.objects.filter(is_active=True),
        empty_label=_("全部区域"),
    )
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部状态")), *LeadStatus.choices]
    )
    sla = forms.ChoiceField(label=_("SLA 状态"), required=False, choices=SLA_CHOICES)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        people = [(str(u.pk), str(u)) for u in selectors.owner_filter_users(user=user)]
        self.fields["owner"].choices = [("", _("全部负责人")), ("none", _("未分配")), *people]
        self.fields["q"].widget.attrs["placeholder"] = _("公司名 / 联系人 / 电话 / 邮箱")
        use_fast_widgets(self)  # the list page renders these on every request

    def selector_args(self) -> tuple[dict, str]:
        """``(filters, search)`` for ``selectors.lead_list``; invalid values are ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        filters = {
            "grade": data.get("grade") or "",
            "intent": data.get("intent") or "",
            "status": data.get("status") or "",
            "sla": data.get("sla") or "",
            "source_id": data["source"].pk if data.get("source") else "",
            "region_id": data["region"].pk if data.get("region") else "",
        }
        owner = data.get("owner") or ""
        if owner == "none":
            filters["unassigned"] = "1"
        elif owner:
            filters["owner_id"] = owner
        return {k: v for k, v in filters.items() if v}, data.get("q") or ""


class LeadIdsField(forms.Field):
    """Lead ids posted as repeated ``ids`` values."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("请至少选择一条线索。"),
        "invalid": _("线索编号无效。"),
    }

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str | int):
            value = [value]
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class AssignForm(forms.Form):
    ids = LeadIdsField(label=_("线索"))
    owner = forms.ModelChoiceField(label=_("分配给"), queryset=None, empty_label=_("请选择负责人"))
    reason = forms.CharField(
        label=_("分配原因"),
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("例如：按区域调整、原负责人离职")}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.assignable_users(user=user)
        use_fast_widgets(self)


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        choices=[
            (LeadStatus.NURTURE, _("设为培育")),
            (LeadStatus.INVALID, _("设为无效")),
            (LeadStatus.CONTACTING, _("恢复跟进")),
        ],
    )
    reason = forms.CharField(
        label=_("原因"),
        required=False,
        max_length=500,
        help_text=_("设为无效时必填。"),
    )


class ContactForm(forms.Form):
    at = forms.DateTimeField(
        label=_("首次联系时间"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("留空则记为现在。"),
    )

    def clean_at(self):
        at = self.cleaned_data.get("at")
        if at and at > timezone.now() + datetime.timedelta(minutes=5):
            raise ValidationError(_("联系时间不能晚于现在。"))
        return at


class ScreenForm(forms.Form):
    """线索评分表: one radio group per criterion of the active scorecard, plus the intent."""

    intent = forms.ChoiceField(
        label=_("意向等级"), choices=Intent.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, scorecard, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(scorecard.criteria.all())
        intent = self.fields.pop("intent")
        for criterion in self.criteria:
            self.fields[self.key(criterion)] = forms.TypedChoiceField(
                label=criterion.name,
                choices=[
                    (o.pk, _("%(label)s（%(points)s分）") % {"label": o.label, "points": o.points})
                    for o in criterion.options.all()
                ],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("请选择一项。")},
            )
        self.fields["intent"] = intent

    @staticmethod
    def key(criterion) -> str:
        return f"criterion_{criterion.pk}"

    def criterion_fields(self):
        return [self[self.key(c)] for c in self.criteria]

    def answers(self) -> dict[int, int]:
        return {c.pk: self.cleaned_data[self.key(c)] for c in self.criteria}


class NeedsForm(forms.Form):
    """客户需求匹配度评估表: rows of need / 1–5 score / reason (the service validates them and
    drafts the conclusion and strategy when left empty)."""

    rows = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_NEED_ROWS)
    conclusion = forms.CharField(
        label=_("结论"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("留空则按匹配度和购买力自动生成。"),
    )
    strategy = forms.CharField(
        label=_("跟进策略"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("留空则给出建议策略。"),
    )

    def __init__(self, *args, rows: int = 3, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_count = max(1, min(rows, MAX_NEED_ROWS))
        self.initial.setdefault("rows", self.row_count)
        self.fields["rows"].initial = self.row_count
        for i in range(self.row_count):
            self.fields[f"need_{i}"] = forms.CharField(
                label=_("核心需求"), required=False, max_length=200
            )
            self.fields[f"score_{i}"] = forms.CharField(
                label=_("匹配分（1–5）"),
                required=False,
                max_length=3,
                widget=forms.NumberInput(attrs={"min": 1, "max": 5, "inputmode": "numeric"}),
            )
            self.fields[f"reason_{i}"] = forms.CharField(
                label=_("理由"), required=False, max_length=300
            )

    @staticmethod
    def rows_posted(data) -> int:
        try:
            return int(data.get("rows") or 3)
        except (TypeError, ValueError):
            return 3

    def item_rows(self):
        return [
            (i + 1, self[f"need_{i}"], self[f"score_{i}"], self[f"reason_{i}"])
            for i in range(self.row_count)
        ]

    def items(self) -> list[dict]:
        return [
            {
                "need": self.cleaned_data.get(f"need_{i}", ""),
                "score": self.cleaned_data.get(f"score_{i}", ""),
                "reason": self.cleaned_data.get(f"reason_{i}", ""),
            }
            for i in range(self.row_count)
        ]

    @staticmethod
    def field_for(service_key: str) -> str | None:
        """``items.2.score`` (the service's key) → ``score_2``."""
        parts = service_key.split(".")
        if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit():
            return f"{parts[2]}_{parts[1]}"
        if len(parts) == 2 and parts[0] == "items" and parts[1].isdigit():
            return f"need_{parts[1]}"
        return service_key


class ConvertForm(forms.Form):
    name = forms.CharField(label=_("客户名称"), max_length=200)
    expected_annual_value = forms.DecimalField(
        label=_("预计年采购额（元）"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("默认取线索的预算上限；用于客户价值分级。"),
    )
    existing_customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    confirm_duplicate = forms.BooleanField(label=_("我已核对，仍然新建客户"), required=False)
    create_opportunity = forms.BooleanField(
        label=_("同时创建商机"),
        required=False,
        help_text=_("商机从“初步接洽”开始，线索登记表和评分表自动作为前两个阶段的产出。"),
    )
    opportunity_name = forms.CharField(label=_("商机名称"), max_length=200, required=False)
    opportunity_amount = forms.DecimalField(
        label=_("预计金额（元）"), required=False, min_value=0, max_digits=14, decimal_places=2
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("create_opportunity") and not cleaned.get("opportunity_name"):
            self.add_error("opportunity_name", _("请填写商机名称。"))
        return cleaned

    def opportunity_data(self) -> dict | None:
        if not self.cleaned_data.get("create_opportunity"):
            return None
        return {
            "name": self.cleaned_data["opportunity_name"],
            "amount": self.cleaned_data.get("opportunity_amount") or 0,
        }

    def customer_data(self) -> dict:
        data = {"name": self.cleaned_data["name"]}
        if self.cleaned_data.get("expected_annual_value") is not None:
            data["expected_annual_value"] = self.cleaned_data["expected_annual_value"]
        return data


class MergeForm(forms.Form):
    KEEP_THIS, KEEP_OTHER = "this", "other"

    other = forms.IntegerField(
        label=_("另一条线索"), error_messages={"required": _("请选择要合并的线索。")}
    )
    keep = forms.ChoiceField(
        label=_("保留哪一条"),
        choices=[
            (KEEP_THIS, _("保留当前线索，把所选线索合并进来")),
            (KEEP_OTHER, _("保留所选线索，把当前线索合并过去")),
        ],
        initial=KEEP_THIS,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("合并原因"), required=False, max_length=500)
