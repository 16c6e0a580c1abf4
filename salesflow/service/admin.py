"""Chinese administration page for the complaint types (投诉类型). Access follows the
``org.department`` right (the administrators who keep the reference lists); every save and
delete is audited by ``RightsAdminMixin``."""

from django.contrib import admin

from salesflow.customers.admin import ReferenceListAdmin

from .models import ComplaintType


@admin.register(ComplaintType)
class ComplaintTypeAdmin(ReferenceListAdmin):
    pass
