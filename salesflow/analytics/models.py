"""What managers record next to the numbers: the reason for a funnel gap and the action that
closes it, and the cost of each lead channel per month (for CAC)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core import scope

MONEY = {"max_digits": 14, "decimal_places": 2}


class ActionStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    DONE = "done", _("已完成")
    DROPPED = "dropped", _("已取消")


@scope.register(object_type="report")
class FunnelVariance(models.Model):
    """Why one funnel step missed its target in a period, and what will be done about it."""

    period_start = models.DateField(_("期间开始"))
    period_end = models.DateField(_("期间结束"))
    step = models.CharField(
        _("漏斗环节"),
        max_length=40,
        help_text=_("lead、opportunity、won 或流程阶段代码。"),
    )
    template = models.ForeignKey(
        "pipeline.ProcessTemplate",
        verbose_name=_("流程模板"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "org.Department",
        verbose_name=_("团队"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(_("差异原因"))
    action = models.TextField(_("改进措施"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_date = models.DateField(_("完成期限"))
    status = models.CharField(
        _("状态"), max_length=8, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("漏斗差异分析")
        verbose_name_plural = _("漏斗差异分析")
        ordering = ["-period_start", "step", "-id"]
        indexes = [
            models.Index(fields=["period_start", "period_end"], name="funnel_var_period_idx")
        ]

    def __str__(self) -> str:
        return f"{self.period_start}–{self.period_end} {self.step}"


class ChannelCost(models.Model):
    """Marketing and sales cost of one lead channel in one month (the numerator of CAC)."""

    channel = models.ForeignKey(
        "leads.LeadSource", verbose_name=_("渠道"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("月份"), help_text=_("当月第一天。"))
    marketing_cost = models.DecimalField(
        _("市场费用（元）"),
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
        **MONEY,
    )
    sales_cost = models.DecimalField(
        _("销售费用（元）"),
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
        **MONEY,
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("渠道费用")
        verbose_name_plural = _("渠道费用")
        ordering = ["-month", "channel_id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "month"], name="uniq_channel_cost_month")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.month:%Y-%m}"

    @property
    def total(self) -> Decimal:
        return self.marketing_cost + self.sales_cost


@scope.register(object_type="opportunity")
class OpenPipelineSummary(models.Model):
    """The open pipeline per owner, template version and stage, rebuilt by the worker (job
    ``analytics.pipeline_summary``) so that pipeline totals read a few hundred rows instead of
    every open opportunity. Read only while fresh (setting ``analytics.summary_max_age_minutes``);
    otherwise the analyses read the opportunities themselves."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    template_version = models.ForeignKey(
        "pipeline.TemplateVersion", on_delete=models.CASCADE, related_name="+"
    )
    stage = models.ForeignKey("pipeline.Stage", on_delete=models.CASCADE, related_name="+")
    opportunities = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(max_digits=20, decimal_places=2, default=Decimal(0))
    weighted = models.DecimalField(max_digits=20, decimal_places=2, default=Decimal(0))
    refreshed_at = models.DateTimeField(default=timezone.now)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("进行中管道汇总")
        verbose_name_plural = _("进行中管道汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "template_version", "stage"], name="uniq_pipeline_summary"
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner_id}/{self.stage_id}: {self.opportunities}"
