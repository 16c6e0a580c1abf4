"""Chinese administration pages for the customer reference lists (行业, 区域) and the 公海
pools. Access follows the ``org.department`` right of the roles (the same administrators
who keep the organisation); every save and delete is audited by ``RightsAdminMixin``."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from salesflow.core.admin_mixins import RightsAdminMixin

from .models import CustomerPool, Industry, Region


class ReferenceListAdmin(RightsAdminMixin, admin.ModelAdmin):
    object_type = "org.department"
    list_display = ["name", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    fields = ["name", "sort_order", "is_active"]
    ordering = ["sort_order", "id"]


@admin.register(Industry)
class IndustryAdmin(ReferenceListAdmin):
    pass


@admin.register(Region)
class RegionAdmin(ReferenceListAdmin):
    pass


@admin.register(CustomerPool)
class CustomerPoolAdmin(RightsAdminMixin, admin.ModelAdmin):
    object_type = "org.department"
    list_display = ["name", "department_label", "recycle_days", "claim_limit", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "department__name"]
    fields = ["name", "department", "recycle_days", "claim_limit", "is_active"]
    autocomplete_fields = ["department"]
    list_select_related = ["department"]

    @admin.display(description=_("适用范围"), ordering="department__path")
    def department_label(self, obj):
        if obj.department_id is None:
            return _("全公司")
        return obj.department.full_name
