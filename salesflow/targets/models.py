"""Sales targets (销售目标分解与跟踪, SPEC S7), their adjustment history, the variance notes of
the performance analysis, and the weekly/monthly reports of the reps (销售周报/月报, S12)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core import scope

VALUE = {"max_digits": 16, "decimal_places": 2}


class Metric(models.TextChoices):
    SALES_AMOUNT = "sales_amount", _("销售额（元）")
    ORDER_COUNT = "order_count", _("订单数")
    NEW_CUSTOMERS = "new_customers", _("新客户数")
    REPURCHASE_RATE = "repurchase_rate", _("复购率（%）")
    COLLECTED = "collected", _("回款额（元）")


#: Metrics whose children add up to the parent (a rate does not).
ADDITIVE_METRICS = frozenset(
    {Metric.SALES_AMOUNT, Metric.ORDER_COUNT, Metric.NEW_CUSTOMERS, Metric.COLLECTED}
)
RATE_METRICS = frozenset({Metric.REPURCHASE_RATE})


class PeriodKind(models.TextChoices):
    YEAR = "year", _("年度")
    QUARTER = "quarter", _("季度")
    MONTH = "month", _("月度")


class Level(models.TextChoices):
    COMPANY = "company", _("公司")
    TEAM = "team", _("团队")
    PERSON = "person", _("个人")


class CustomerType(models.TextChoices):
    NEW = "new", _("新客户")
    OLD = "old", _("老客户")
    KEY = "key", _("重点客户")


@scope.register(object_type="target")
class Target(models.Model):
    """One target: a metric for a period, at the company, a team (department subtree) or one
    person, optionally narrowed to a region, a product line and a customer type. ``owner`` is
    the person responsible (the rep of a personal target, the team lead of a team target, the
    director of a company target): scope and checkpoint reminders follow them. ``parent`` is the
    target this one was decomposed from."""

    metric = models.CharField(_("指标"), max_length=20, choices=Metric.choices)
    period_kind = models.CharField(_("周期"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("结束日期"))
    level = models.CharField(_("层级"), max_length=8, choices=Level.choices)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("团队"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "customers.Region",
        verbose_name=_("区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    product_line = models.ForeignKey(
        "pipeline.ProductLine",
        verbose_name=_("产品线"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    customer_type = models.CharField(
        _("客户类型"), max_length=4, choices=CustomerType.choices, blank=True
    )
    value = models.DecimalField(_("目标值"), **VALUE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        on_delete=models.PROTECT,
        related_name="sales_targets",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级目标"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("销售目标")
        verbose_name_plural = _("销售目标")
        ordering = ["-period_start", "period_end", "metric", "level", "id"]
        indexes = [
            models.Index(fields=["metric", "period_start", "period_end"], name="target_period_idx"),
            models.Index(fields=["owner", "-period_start"], name="target_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.period_label} {self.scope_label} {self.get_metric_display()}"

    @property
    def period_label(self) -> str:
        start = self.period_start
        if self.period_kind == PeriodKind.YEAR:
            return f"{start.year}"
        if self.period_kind == PeriodKind.QUARTER:
            return f"{start.year} Q{(start.month - 1) // 3 + 1}"
        return f"{start:%Y-%m}"

    @property
    def scope_label(self) -> str:
        if self.level == Level.PERSON:
            base = str(self.owner)
        elif self.level == Level.TEAM:
            base = self.department.name if self.department_id else str(_("团队"))
        else:
            base = str(_("全公司"))
        dims = [
            self.region.name if self.region_id else "",
            self.product_line.name if self.product_line_id else "",
            self.get_customer_type_display() if self.customer_type else "",
        ]
        return " · ".join([base, *[d for d in dims if d]])

    @property
    def is_rate(self) -> bool:
        return self.metric in RATE_METRICS


class TargetAdjustment(models.Model):
    """One change of a target's value (动态调整): kept forever with its reason."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="adjustments")
    old_value = models.DecimalField(_("原目标值"), **VALUE)
    new_value = models.DecimalField(_("新目标值"), **VALUE)
    reason = models.TextField(_("调整原因"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("调整人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("调整时间"), default=timezone.now)

    class Meta:
        verbose_name = _("目标调整记录")
        verbose_name_plural = _("目标调整记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.target_id}: {self.old_value} → {self.new_value}"


class Dimension(models.TextChoices):
    REGION = "region", _("区域")
    PRODUCT_LINE = "product_line", _("产品线")
    OWNER = "owner", _("销售人员")
    CUSTOMER_TYPE = "customer_type", _("客户类型")


@scope.register(object_type="report")
class PerformanceNote(models.Model):
    """A manager's note on one row of the performance analysis (业绩分析): why the figure
    differs from the target, what will be done, by whom and by when."""

    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("结束日期"))
    metric = models.CharField(
        _("指标"), max_length=20, choices=Metric.choices, default=Metric.SALES_AMOUNT
    )
    dimension = models.CharField(_("维度"), max_length=16, choices=Dimension.choices)
    key = models.CharField(_("维度取值"), max_length=40)
    key_label = models.CharField(_("对象"), max_length=100, blank=True)
    reason = models.TextField(_("差异原因"))
    action = models.TextField(_("改进措施"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_date = models.DateField(_("完成期限"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("业绩差异说明")
        verbose_name_plural = _("业绩差异说明")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["period_start", "period_end", "dimension"], name="perfnote_period_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key_label or self.key}: {self.reason[:30]}"


class ReportKind(models.TextChoices):
    WEEKLY = "weekly", _("周报")
    MONTHLY = "monthly", _("月报")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")


@scope.register(object_type="report")
class SalesReport(models.Model):
    """A rep's weekly or monthly report. The figures are drafted from the data (``figures``,
    refreshed until submission); the text sections are the rep's own."""

    kind = models.CharField(_("类型"), max_length=8, choices=ReportKind.choices)
    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("结束日期"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.PROTECT,
        related_name="sales_reports",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    due_at = models.DateTimeField(_("截止时间"))
    figures = models.JSONField(_("数据摘要"), default=dict, blank=True)
    drafted_at = models.DateTimeField(_("数据生成时间"), null=True, blank=True)
    problems = models.TextField(_("存在问题"), blank=True)
    support_needed = models.TextField(_("需要的支持"), blank=True)
    competitor_news = models.TextField(_("竞争对手动态"), blank=True)
    next_plan = models.TextField(_("下期计划"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    is_late = models.BooleanField(_("逾期提交"), default=False)
    late_reason = models.TextField(_("逾期原因"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("销售周报/月报")
        verbose_name_plural = _("销售周报/月报")
        ordering = ["-period_start", "kind", "owner_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "period_start"], name="uniq_report_period"
            )
        ]
        indexes = [
            models.Index(fields=["kind", "period_start", "status"], name="report_period_idx"),
            models.Index(fields=["owner", "-period_start"], name="report_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.get_kind_display()} {self.period_label}"

    @property
    def period_label(self) -> str:
        if self.kind == ReportKind.MONTHLY:
            return f"{self.period_start:%Y-%m}"
        return f"{self.period_start:%Y-%m-%d} ~ {self.period_end:%m-%d}"

    @property
    def is_submitted(self) -> bool:
        return self.status == ReportStatus.SUBMITTED

    def is_overdue(self, now=None) -> bool:
        """Not submitted and past due (a submitted one carries ``is_late`` instead)."""
        return not self.is_submitted and (now or timezone.now()) > self.due_at


class ReportComment(models.Model):
    """A manager's comment (批注) on a report."""

    report = models.ForeignKey(SalesReport, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批注人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    body = models.TextField(_("批注"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("报告批注")
        verbose_name_plural = _("报告批注")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:30]


ZERO = Decimal(0)
