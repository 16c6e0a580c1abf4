"""Appraisal scorecards (绩效考核), commission plans and statements (提成/奖金) and sales contests
(销售竞赛), SPEC S14. Every figure is computed from the system's own data; formulas are in
``docs/incentives.md``."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core import scope

MONEY = {"max_digits": 16, "decimal_places": 2}
PERCENT = {"max_digits": 9, "decimal_places": 2}
POSITIVE = [MinValueValidator(Decimal(0))]


class ScoreMetric(models.TextChoices):
    # results (结果指标)
    SALES_AMOUNT = "sales_amount", _("销售额（元）")
    COLLECTED = "collected", _("回款额（元）")
    NEW_CUSTOMERS = "new_customers", _("新客户数")
    TARGET_COMPLETION = "target_completion", _("销售目标完成率（%）")
    # process (过程指标)
    FOLLOWUP_COMPLETENESS = "followup_completeness", _("跟进记录完整率（%）")
    LEAD_RESPONSE = "lead_response", _("A类线索响应及时率（%）")
    STAGE_SLA = "stage_sla", _("阶段时限达标率（%）")
    REPORT_PUNCTUALITY = "report_punctuality", _("周报/月报按时提交率（%）")


RESULT_METRICS = frozenset(
    {
        ScoreMetric.SALES_AMOUNT,
        ScoreMetric.COLLECTED,
        ScoreMetric.NEW_CUSTOMERS,
        ScoreMetric.TARGET_COMPLETION,
    }
)
PROCESS_METRICS = frozenset(set(ScoreMetric) - RESULT_METRICS)

#: The default target of each metric when the template leaves it blank: results use the
#: person's own target of the period (targets module), process metrics the thresholds of S14.
DEFAULT_THRESHOLDS = {
    ScoreMetric.TARGET_COMPLETION: Decimal(100),
    ScoreMetric.FOLLOWUP_COMPLETENESS: Decimal(95),
    ScoreMetric.LEAD_RESPONSE: Decimal(90),
    ScoreMetric.STAGE_SLA: Decimal(90),
    ScoreMetric.REPORT_PUNCTUALITY: Decimal(100),
}


class ScorecardTemplate(models.Model):
    """A scorecard template (考核方案): weighted metrics whose weights add up to 100."""

    name = models.CharField(_("方案名称"), max_length=100, unique=True)
    description = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ScorecardMetric(models.Model):
    template = models.ForeignKey(
        ScorecardTemplate, on_delete=models.CASCADE, related_name="metrics"
    )
    metric = models.CharField(_("指标"), max_length=24, choices=ScoreMetric.choices)
    weight = models.DecimalField(
        _("权重（%）"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(100))],
        **PERCENT,
    )
    target = models.DecimalField(
        _("目标值/达标线"),
        null=True,
        blank=True,
        validators=POSITIVE,
        help_text=_("留空：结果指标取本人当期目标，过程指标取默认达标线。"),
        **MONEY,
    )
    position = models.PositiveSmallIntegerField(_("序号"), default=0)

    class Meta:
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        ordering = ["template", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["template", "metric"], name="uniq_template_metric")
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} {self.weight}%"

    @property
    def is_process(self) -> bool:
        return self.metric in PROCESS_METRICS


class ScorecardStatus(models.TextChoices):
    DRAFT = "draft", _("待确认")
    CONFIRMED = "confirmed", _("已确认")


@scope.register(object_type="scorecard")
class Scorecard(models.Model):
    """One person's scorecard for one period, with the figures it was computed from
    (``figures``: one entry per metric — actual, target, sample, score). Recomputable until
    confirmed."""

    template = models.ForeignKey(
        ScorecardTemplate, verbose_name=_("考核方案"), on_delete=models.PROTECT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("被考核人"),
        on_delete=models.PROTECT,
        related_name="scorecards",
    )
    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("结束日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=ScorecardStatus.choices, default=ScorecardStatus.DRAFT
    )
    total_score = models.DecimalField(_("总分"), default=Decimal(0), **PERCENT)
    results_score = models.DecimalField(_("结果得分"), default=Decimal(0), **PERCENT)
    process_score = models.DecimalField(_("过程得分（百分制）"), null=True, blank=True, **PERCENT)
    figures = models.JSONField(_("计算依据"), default=list, blank=True)
    comment = models.TextField(_("上级评语"), blank=True)
    commented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("考核评分卡")
        verbose_name_plural = _("考核评分卡")
        ordering = ["-period_start", "-total_score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "owner", "period_start", "period_end"],
                name="uniq_scorecard_period",
            )
        ]
        indexes = [models.Index(fields=["period_start", "period_end"], name="scorecard_period_idx")]

    def __str__(self) -> str:
        return f"{self.owner} {self.period_start}~{self.period_end}"


# --- commissions ----------------------------------------------------------------------------


class CommissionBase(models.TextChoices):
    COLLECTED = "collected", _("回款额")
    SIGNED = "signed", _("签约（订单）额")


class CommissionPlan(models.Model):
    """A commission plan (提成方案): the base, the default rate, rates by product line or
    customer type, tiers by target completion and an optional cap per statement."""

    name = models.CharField(_("方案名称"), max_length=100, unique=True)
    base = models.CharField(
        _("提成基数"),
        max_length=10,
        choices=CommissionBase.choices,
        default=CommissionBase.COLLECTED,
    )
    default_rate = models.DecimalField(
        _("默认提成比例（%）"), validators=POSITIVE, max_digits=7, decimal_places=4
    )
    cap = models.DecimalField(
        _("单期封顶（元）"), null=True, blank=True, validators=POSITIVE, **MONEY
    )
    is_active = models.BooleanField(_("启用"), default=True)
    description = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("提成方案")
        verbose_name_plural = _("提成方案")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class CommissionRate(models.Model):
    """A rate for a product line and/or a customer type (the most specific row wins)."""

    plan = models.ForeignKey(CommissionPlan, on_delete=models.CASCADE, related_name="rates")
    product_line = models.ForeignKey(
        "pipeline.ProductLine",
        verbose_name=_("产品线"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    customer_type = models.CharField(
        _("客户类型"),
        max_length=4,
        blank=True,
        choices=[("new", _("新客户")), ("old", _("老客户")), ("key", _("重点客户"))],
    )
    rate = models.DecimalField(
        _("提成比例（%）"), validators=POSITIVE, max_digits=7, decimal_places=4
    )

    class Meta:
        verbose_name = _("提成比例")
        verbose_name_plural = _("提成比例")

    def __str__(self) -> str:
        return f"{self.product_line or ''} {self.customer_type} {self.rate}%"


class CommissionTier(models.Model):
    """From ``min_completion`` % of target completion (inclusive) upward the commission is
    multiplied by ``multiplier`` until the next tier's lower bound (exclusive)."""

    plan = models.ForeignKey(CommissionPlan, on_delete=models.CASCADE, related_name="tiers")
    min_completion = models.DecimalField(_("完成率下限（%，含）"), validators=POSITIVE, **PERCENT)
    multiplier = models.DecimalField(_("系数"), validators=POSITIVE, max_digits=6, decimal_places=3)

    class Meta:
        verbose_name = _("提成阶梯")
        verbose_name_plural = _("提成阶梯")
        ordering = ["plan", "min_completion"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "min_completion"], name="uniq_plan_tier")
        ]

    def __str__(self) -> str:
        return f"≥{self.min_completion}% ×{self.multiplier}"


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("待提交")
    IN_APPROVAL = "in_approval", _("审批中")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


@scope.register(object_type="commission")
class CommissionStatement(models.Model):
    """One rep's commission for one period under one plan. Draft and rejected statements are
    recomputed from the data; an approved one is frozen (a later reversal of one of its
    receipts becomes a negative line of the next statement)."""

    plan = models.ForeignKey(CommissionPlan, verbose_name=_("提成方案"), on_delete=models.PROTECT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("销售"),
        on_delete=models.PROTECT,
        related_name="commission_statements",
    )
    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("结束日期"))
    status = models.CharField(
        _("状态"), max_length=12, choices=StatementStatus.choices, default=StatementStatus.DRAFT
    )
    base_total = models.DecimalField(_("提成基数合计"), default=Decimal(0), **MONEY)
    gross = models.DecimalField(_("按比例提成"), default=Decimal(0), **MONEY)
    target_value = models.DecimalField(_("目标值"), null=True, blank=True, **MONEY)
    target_actual = models.DecimalField(_("实际完成"), null=True, blank=True, **MONEY)
    completion = models.DecimalField(
        _("目标完成率"), null=True, blank=True, max_digits=9, decimal_places=4
    )
    multiplier = models.DecimalField(
        _("阶梯系数"), default=Decimal(1), max_digits=6, decimal_places=3
    )
    capped = models.BooleanField(_("已封顶"), default=False)
    commission = models.DecimalField(_("本期提成"), default=Decimal(0), **MONEY)
    adjustments = models.DecimalField(_("冲销调整"), default=Decimal(0), **MONEY)
    total = models.DecimalField(_("应发合计"), default=Decimal(0), **MONEY)
    approval = models.ForeignKey(
        "core.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("提成结算单")
        verbose_name_plural = _("提成结算单")
        ordering = ["-period_start", "owner_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "owner", "period_start", "period_end"],
                name="uniq_statement_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.period_start}~{self.period_end}"

    @property
    def is_editable(self) -> bool:
        return self.status in (StatementStatus.DRAFT, StatementStatus.REJECTED)


class LineKind(models.TextChoices):
    RECEIPT = "receipt", _("回款")
    ORDER = "order", _("订单")
    REVERSAL = "reversal", _("回款冲销调整")


class StatementLine(models.Model):
    """One order or receipt of a statement: its base, rate and commission (before the tier
    multiplier); a reversal line carries the negative commission already paid for a receipt
    that was reversed after its statement was approved. ``receipt_id`` is a plain number so
    that the line survives the receipt's deletion."""

    statement = models.ForeignKey(
        CommissionStatement, on_delete=models.CASCADE, related_name="lines"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=LineKind.choices)
    receipt_id = models.IntegerField(_("回款ID"), null=True, blank=True, db_index=True)
    order = models.ForeignKey(
        "deals.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contract = models.ForeignKey(
        "deals.Contract", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reference = models.CharField(_("单号"), max_length=60, blank=True)
    customer_name = models.CharField(_("客户"), max_length=200, blank=True)
    on_date = models.DateField(_("日期"))
    product_line = models.CharField(_("产品线"), max_length=100, blank=True)
    customer_type = models.CharField(_("客户类型"), max_length=10, blank=True)
    base_amount = models.DecimalField(_("基数（元）"), **MONEY)
    rate = models.DecimalField(_("比例（%）"), max_digits=7, decimal_places=4)
    amount = models.DecimalField(_("提成（元）"), **MONEY)
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        verbose_name=_("冲销的明细"),
    )

    class Meta:
        verbose_name = _("提成明细")
        verbose_name_plural = _("提成明细")
        ordering = ["statement", "on_date", "id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"


# --- contests -------------------------------------------------------------------------------


class ContestMetric(models.TextChoices):
    SALES_AMOUNT = "sales_amount", _("销售额（元）")
    COLLECTED = "collected", _("回款额（元）")
    ORDER_COUNT = "order_count", _("订单数")
    NEW_CUSTOMERS = "new_customers", _("新客户数")


@scope.register(object_type="contest", owner_field="created_by")
class Contest(models.Model):
    """A sales contest (销售竞赛): a metric over a period among the participants; the
    leaderboard is computed on read."""

    name = models.CharField(_("竞赛名称"), max_length=100)
    metric = models.CharField(_("比拼指标"), max_length=16, choices=ContestMetric.choices)
    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("结束日期"))
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("参赛人员"), related_name="contests"
    )
    prizes = models.TextField(_("奖项设置"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("发起人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("销售竞赛")
        verbose_name_plural = _("销售竞赛")
        ordering = ["-period_start", "id"]

    def __str__(self) -> str:
        return self.name
