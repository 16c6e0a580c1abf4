"""Administration of the incentive configuration: scorecard templates (考核方案, with weighted
metrics whose weights must add up to 100) and commission plans (rates and tiers). Company-wide
settings: edited by those who may delete scorecards / commission statements (directors and
administrators); every save is audited by ``RightsAdminMixin``."""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from salesflow.core.admin_mixins import RightsAdminMixin

from .models import (
    CommissionPlan,
    CommissionRate,
    CommissionTier,
    ScorecardMetric,
    ScorecardTemplate,
)


class ConfigAdminMixin(RightsAdminMixin):
    def _allowed(self, request, action):
        return super()._allowed(request, "delete")


class MetricFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        total = Decimal(0)
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data and not data.get("DELETE") and data.get("weight") is not None:
                total += data["weight"]
        if total != Decimal(100):
            raise forms.ValidationError(
                _("各指标权重之和须为 100，当前为 %(total)s。") % {"total": total}
            )


class MetricInline(admin.TabularInline):
    model = ScorecardMetric
    formset = MetricFormSet
    extra = 0


@admin.register(ScorecardTemplate)
class ScorecardTemplateAdmin(ConfigAdminMixin, admin.ModelAdmin):
    object_type = "scorecard"
    list_display = ["name", "is_active", "created_at"]
    inlines = [MetricInline]


class RateInline(admin.TabularInline):
    model = CommissionRate
    extra = 0


class TierInline(admin.TabularInline):
    model = CommissionTier
    extra = 0


@admin.register(CommissionPlan)
class CommissionPlanAdmin(ConfigAdminMixin, admin.ModelAdmin):
    object_type = "commission"
    list_display = ["name", "base", "default_rate", "cap", "is_active"]
    inlines = [RateInline, TierInline]
