"""Administration of the group robots (企业微信/钉钉) and a read-only view of deliveries.

Both are for the administrators who keep users (right ``org.user`` change). A robot's URL
carries its key and 钉钉's 加签 secret is a credential: neither is shown in lists nor written
to the audit log in clear.
"""

import urllib.parse

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from salesflow.core.audit import audit, snapshot
from salesflow.core.scope import has_right

from .delivery import NEEDS_ATTENTION, delivery_retry
from .models import Delivery, WebhookEndpoint

ADMIN_RIGHT = ("org.user", "change")


def redact_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")) + (
        "?…" if parts.query else ""
    )


def _redacted(endpoint: WebhookEndpoint) -> dict:
    data = snapshot(endpoint)
    data["url"] = redact_url(endpoint.url)
    data["secret"] = "******" if endpoint.secret else ""
    return data


class AdministratorsOnly:
    def _allowed(self, request) -> bool:
        return has_right(request.user, *ADMIN_RIGHT)

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=_("Webhook 地址"),
        max_length=500,
        assume_scheme="https",
        help_text=_("群机器人设置中复制的完整地址（含 key 或 access_token）。"),
    )
    secret = forms.CharField(
        label=_("加签密钥（钉钉）"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("钉钉机器人“加签”的密钥（SEC 开头）。留空则保留原密钥。"),
    )
    clear_secret = forms.BooleanField(label=_("清除密钥"), required=False)

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "kind", "url", "secret", "department", "is_active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
            raise forms.ValidationError(_("Webhook 地址必须以 https:// 或 http:// 开头。"))
        return url

    def clean(self):
        data = super().clean()
        if self.cleaned_data.get("clear_secret"):
            data["secret"] = ""
        elif not data.get("secret") and self.instance.pk:
            data["secret"] = WebhookEndpoint.objects.get(pk=self.instance.pk).secret
        if data.get("kind") == "wecom" and data.get("secret"):
            self.add_error("secret", _("企业微信群机器人不使用加签密钥。"))
        return data


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AdministratorsOnly, admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "kind", "department_label", "url_redacted", "has_secret", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "department__name"]
    autocomplete_fields = ["department"]
    list_select_related = ["department"]

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)

    @admin.display(description=_("适用范围"), ordering="department__path")
    def department_label(self, obj):
        return _("全公司") if obj.department_id is None else obj.department.full_name

    @admin.display(description=_("Webhook 地址"))
    def url_redacted(self, obj):
        return redact_url(obj.url)

    @admin.display(description=_("加签"), boolean=True)
    def has_secret(self, obj):
        return bool(obj.secret)

    def save_model(self, request, obj, form, change):
        before = _redacted(WebhookEndpoint.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        action = f"webhookendpoint.{'change' if change else 'create'}"
        audit(actor=request.user, action=action, obj=obj, before=before, after=_redacted(obj))

    def delete_model(self, request, obj):
        audit(actor=request.user, action="webhookendpoint.delete", obj=obj, before=_redacted(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Delivery)
class DeliveryAdmin(AdministratorsOnly, admin.ModelAdmin):
    list_display = [
        "notification_title",
        "recipient",
        "channel",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["notification__title", "notification__user__display_name", "last_error"]
    list_select_related = ["notification__user", "endpoint"]
    actions = ["retry"]
    readonly_fields = [
        "notification",
        "channel",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
        "created_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return self._allowed(request)

    @admin.display(description=_("消息"), ordering="notification__title")
    def notification_title(self, obj):
        return obj.notification.title

    @admin.display(description=_("接收人"))
    def recipient(self, obj):
        return obj.notification.user

    @admin.display(description=_("最近错误"))
    def short_error(self, obj):
        return obj.last_error[:80]

    @admin.action(description=_("重试"), permissions=["retry"])
    def retry(self, request, queryset):
        count = 0
        for pk in queryset.filter(NEEDS_ATTENTION).values_list("pk", flat=True):
            delivery_retry(actor=request.user, delivery_id=pk)
            count += 1
        if count:
            self.message_user(request, _("已安排重新发送 %(count)s 条。") % {"count": count})
        else:
            self.message_user(
                request, _("所选记录中没有发送失败或等待重试的投递。"), messages.WARNING
            )
