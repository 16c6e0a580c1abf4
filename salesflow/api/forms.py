from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TokenScope

EXPIRY_CHOICES = [
    ("30", _("30 天")),
    ("90", _("90 天")),
    ("180", _("180 天")),
    ("365", _("1 年")),
    ("", _("永不过期")),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("名称"),
        max_length=100,
        help_text=_("写明用途，例如“ERP 订单同步”，便于以后辨认和吊销。"),
    )
    scopes = forms.MultipleChoiceField(
        label=_("权限范围"),
        choices=TokenScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[TokenScope.READ],
        help_text=_(
            "只读令牌只能查询；读写令牌还能新增、修改和删除。令牌的权限不会超过您本人的权限和数据范围。"
        ),
    )
    expires_in_days = forms.ChoiceField(
        label=_("有效期"), choices=EXPIRY_CHOICES, initial="90", required=False
    )

    def expiry_days(self) -> int | None:
        value = self.cleaned_data.get("expires_in_days")
        return int(value) if value else None
