"""Administration of the deals module: the contract approval rules table (edited by those who
define rights and processes: ``org.role``) and the product catalog (``product`` rights). Every
save and delete is audited by ``RightsAdminMixin``."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from salesflow.core.admin_mixins import RightsAdminMixin

from .models import ContractApprovalRule, Product


class RuleForm(forms.ModelForm):
    chain = forms.CharField(
        label=_("审批链"),
        help_text=_("按顺序填写角色代码，用逗号分隔，如 sales_manager,sales_director,finance。"),
    )

    class Meta:
        model = ContractApprovalRule
        fields = ["name", "min_amount", "min_discount_pct", "chain", "priority", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance and isinstance(self.instance.chain, list):
            self.initial["chain"] = ",".join(self.instance.chain)

    def clean_chain(self):
        return [code.strip() for code in self.cleaned_data["chain"].split(",") if code.strip()]


@admin.register(ContractApprovalRule)
class ContractApprovalRuleAdmin(RightsAdminMixin, admin.ModelAdmin):
    object_type = "org.role"
    form = RuleForm
    list_display = [
        "name",
        "min_amount",
        "min_discount_pct",
        "chain_display",
        "priority",
        "is_active",
    ]
    list_filter = ["is_active"]
    ordering = ["-priority", "id"]

    @admin.display(description=_("审批链"))
    def chain_display(self, obj):
        return " → ".join(obj.chain or [])


@admin.register(Product)
class ProductAdmin(RightsAdminMixin, admin.ModelAdmin):
    object_type = "product"
    list_display = ["name", "product_line", "code", "list_price", "standard_cost", "is_active"]
    list_filter = ["product_line", "is_active"]
    search_fields = ["name", "code"]
