"""Administrators see every API token (never a secret: only its prefix) and can revoke them
(through the service, so the revocation is audited). Tokens are created by their users."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from salesflow.core.admin_mixins import RightsAdminMixin

from . import services
from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(RightsAdminMixin, admin.ModelAdmin):
    object_type = "org.user"
    audit_on_save = False
    list_display = ["name", "user", "display_prefix", "scopes", "created_at", "last_used_at",
                    "expires_at", "revoked_at"]  # fmt: skip
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username", "user__display_name"]
    readonly_fields = ["user", "name", "display_prefix", "scopes", "created_at", "last_used_at",
                       "expires_at", "revoked_at"]  # fmt: skip
    fields = readonly_fields
    actions = ["revoke"]

    @admin.display(description=_("前缀"))
    def display_prefix(self, obj):
        return f"sf_{obj.prefix}…"

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return self._allowed(request, "change")

    @admin.action(description=_("吊销所选令牌"), permissions=["revoke"])
    def revoke(self, request, queryset):
        for token in queryset:
            services.token_revoke(actor=request.user, token_id=token.pk)
        self.message_user(request, _("所选令牌已吊销。"), messages.SUCCESS)
