"""Leads (线索): registration, screening scorecard, intent, needs match, assignment (SPEC S1)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core import scope
from salesflow.core.collab import SoftDeleteModel, collaborator_extra, combine_extras
from salesflow.core.models import ReferenceItem

MONEY = {"max_digits": 14, "decimal_places": 2}


class LeadSource(ReferenceItem):
    """线索来源 — 展会 / 官网 / 渠道 / 转介绍 / 抖音广告 / 陌拜 / … (administrator-edited)."""

    is_referral = models.BooleanField(
        _("转介绍"), default=False, help_text=_("勾选后，登记线索时须选择推荐客户。")
    )

    class Meta(ReferenceItem.Meta):
        verbose_name = _("线索来源")
        verbose_name_plural = _("线索来源")


class LeadStatus(models.TextChoices):
    NEW = "new", _("待筛选")
    SCREENED = "screened", _("已筛选")
    CONTACTING = "contacting", _("跟进中")
    NURTURE = "nurture", _("培育中")
    CONVERTED = "converted", _("已转化")
    INVALID = "invalid", _("无效")


OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.SCREENED, LeadStatus.CONTACTING, LeadStatus.NURTURE)


class LeadGrade(models.TextChoices):
    A = "A", _("A类")
    B = "B", _("B类")
    C = "C", _("C类")


class Intent(models.TextChoices):
    HIGH = "high", _("高（1个月内采购）")
    MEDIUM = "medium", _("中（3个月内采购）")
    LOW = "low", _("低（长期培育，6个月以上）")


def _lead_extra(user, action):
    """Leads a user entered stay visible to them (marketing registers, sales owns); unassigned
    leads are visible to holders of the "unassigned leads" right (managers who assign them,
    marketing who register them)."""
    q = Q(created_by=user) if action == "view" else None
    if scope.has_right(user, "lead_pool", "view" if action == "view" else "assign"):
        q = Q(owner__isnull=True) if q is None else q | Q(owner__isnull=True)
    return q


@scope.register(
    object_type="lead", extra=combine_extras(_lead_extra, collaborator_extra("leads.lead"))
)
class Lead(SoftDeleteModel):
    # 客户信息登记表
    company_name = models.CharField(_("公司名称"), max_length=200)
    name_key = models.CharField(max_length=200, editable=False, db_index=True)
    industry = models.ForeignKey(
        "customers.Industry",
        verbose_name=_("行业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    region = models.ForeignKey(
        "customers.Region", verbose_name=_("区域"), null=True, blank=True, on_delete=models.PROTECT
    )
    employees = models.PositiveIntegerField(_("员工人数"), null=True, blank=True)
    annual_revenue = models.DecimalField(
        _("年营业额（万元）"),
        null=True,
        blank=True,
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    contact_name = models.CharField(_("联系人"), max_length=50)
    contact_title = models.CharField(_("联系人职务"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    phone_key = models.CharField(max_length=40, editable=False, blank=True, db_index=True)
    email = models.EmailField(_("邮箱"), blank=True)
    email_key = models.CharField(max_length=254, editable=False, blank=True, db_index=True)
    needs = models.TextField(
        _("需求描述"),
        help_text=_("写具体痛点，例如“现有设备故障率高，每月停机约20小时”，不要只写“有需求”。"),
    )
    source = models.ForeignKey(LeadSource, verbose_name=_("线索来源"), on_delete=models.PROTECT)
    referral_customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("推荐客户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referred_leads",
    )
    acquired_at = models.DateTimeField(_("获取时间"))
    entered_at = models.DateTimeField(_("录入时间"), default=timezone.now, editable=False)
    expected_purchase = models.DateField(_("预计采购时间"), null=True, blank=True)
    budget_min = models.DecimalField(
        _("预算下限（元）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        **MONEY,
    )
    budget_max = models.DecimalField(
        _("预算上限（元）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        **MONEY,
    )
    status = models.CharField(
        _("跟进状态"), max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    notes = models.TextField(_("备注"), blank=True)
    purpose = models.CharField(
        _("收集目的"),
        max_length=200,
        default=_("用于产品咨询与销售跟进"),
        help_text=_("个人信息保护法要求记录收集联系人信息的目的。"),
    )

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
    )
    team = models.ForeignKey(
        "org.Department",
        verbose_name=_("所属团队"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("分配时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # 线索评分表 / 初步分级
    score = models.PositiveIntegerField(_("评分"), null=True, blank=True)
    grade = models.CharField(_("线索等级"), max_length=1, choices=LeadGrade.choices, blank=True)
    graded_at = models.DateTimeField(_("评级时间"), null=True, blank=True)
    intent = models.CharField(_("意向等级"), max_length=6, choices=Intent.choices, blank=True)
    screening_due_at = models.DateTimeField(_("筛选截止"), null=True, blank=True)
    first_contact_due_at = models.DateTimeField(_("首次联系截止"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("首次联系时间"), null=True, blank=True)
    last_followup_at = models.DateTimeField(_("最近跟进"), null=True, blank=True)
    next_followup_due_at = models.DateTimeField(_("下次跟进"), null=True, blank=True)

    converted_customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("转化客户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="source_leads",
    )
    converted_at = models.DateTimeField(_("转化时间"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("已合并到"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("线索")
        verbose_name_plural = _("线索")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "status", "-id"], name="lead_owner_status_idx"),
            models.Index(fields=["status", "-id"], name="lead_status_idx"),
            models.Index(fields=["grade", "-id"], name="lead_grade_idx"),
            models.Index(fields=["owner", "next_followup_due_at"], name="lead_cadence_idx"),
            models.Index(
                fields=["status", "owner"],
                name="lead_live_status_owner_idx",
                condition=Q(deleted_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_min__isnull=True)
                | Q(budget_max__isnull=True)
                | Q(budget_min__lte=models.F("budget_max")),
                name="lead_budget_range_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.company_name

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class LeadAssignment(models.Model):
    """Every (re)assignment of a lead: who, when, why, by which rule."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="assignments")
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.ForeignKey(
        "AssignmentRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("原因"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("线索分配记录")
        verbose_name_plural = _("线索分配记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.from_owner_id}→{self.to_owner_id}"


# --- screening scorecard ------------------------------------------------------------------


class Scorecard(models.Model):
    """线索评分表: criteria with options and points; total ≥ A threshold → A, ≥ B → B, else C."""

    name = models.CharField(_("名称"), max_length=100)
    is_active = models.BooleanField(
        _("当前使用"), default=False, help_text=_("同一时间只有一张评分表在使用。")
    )
    a_min = models.PositiveIntegerField(_("A类最低分"), default=80)
    b_min = models.PositiveIntegerField(_("B类最低分"), default=60)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("线索评分表")
        verbose_name_plural = _("线索评分表")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_scorecard"
            ),
            models.CheckConstraint(condition=Q(a_min__gt=models.F("b_min")), name="a_above_b"),
        ]

    def __str__(self) -> str:
        return self.name

    def grade_for(self, total: int) -> str:
        if total >= self.a_min:
            return LeadGrade.A
        if total >= self.b_min:
            return LeadGrade.B
        return LeadGrade.C


class ScoreCriterion(models.Model):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("评分项"), max_length=50)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("评分项")
        verbose_name_plural = _("评分项")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class ScoreOption(models.Model):
    criterion = models.ForeignKey(ScoreCriterion, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("选项"), max_length=100)
    points = models.PositiveIntegerField(_("分值"))
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("评分选项")
        verbose_name_plural = _("评分选项")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return f"{self.label} ({self.points})"


class LeadScore(models.Model):
    """One screening of a lead: the total, the grade and each criterion's points (kept even
    if the scorecard is edited later)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="scores")
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="+")
    total = models.PositiveIntegerField(_("总分"))
    grade = models.CharField(_("等级"), max_length=1, choices=LeadGrade.choices)
    intent = models.CharField(_("意向等级"), max_length=6, choices=Intent.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("评分时间"), default=timezone.now)

    class Meta:
        verbose_name = _("线索评分")
        verbose_name_plural = _("线索评分")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.total} {self.grade}"


class LeadScoreItem(models.Model):
    score = models.ForeignKey(LeadScore, on_delete=models.CASCADE, related_name="items")
    criterion_name = models.CharField(_("评分项"), max_length=50)
    option_label = models.CharField(_("选项"), max_length=100)
    points = models.PositiveIntegerField(_("得分"))

    class Meta:
        verbose_name = _("评分明细")
        verbose_name_plural = _("评分明细")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.criterion_name}: {self.points}"


# --- needs match (客户需求匹配度评估表) -------------------------------------------------------


class MatchBand(models.TextChoices):
    HIGH = "high", _("高匹配")
    MEDIUM = "medium", _("中匹配")
    LOW = "low", _("低匹配")


class PurchasingPower(models.TextChoices):
    HIGH = "high", _("高")
    MEDIUM = "medium", _("中")
    LOW = "low", _("低")
    UNKNOWN = "unknown", _("未知")


class NeedsAssessment(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="assessments")
    total = models.PositiveIntegerField(_("总分"))
    band = models.CharField(_("匹配度"), max_length=6, choices=MatchBand.choices)
    purchasing_power = models.CharField(_("购买力"), max_length=7, choices=PurchasingPower.choices)
    conclusion = models.TextField(_("结论"))
    strategy = models.TextField(_("跟进策略"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("评估时间"), default=timezone.now)

    class Meta:
        verbose_name = _("需求匹配度评估")
        verbose_name_plural = _("需求匹配度评估")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.total} {self.band}"


class NeedsItem(models.Model):
    assessment = models.ForeignKey(NeedsAssessment, on_delete=models.CASCADE, related_name="items")
    need = models.CharField(_("核心需求"), max_length=200)
    score = models.PositiveSmallIntegerField(
        _("匹配分（1–5）"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    reason = models.CharField(_("理由"), max_length=300)

    class Meta:
        verbose_name = _("需求项")
        verbose_name_plural = _("需求项")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.need}: {self.score}"


# --- assignment rules -----------------------------------------------------------------------


class AssignmentRule(models.Model):
    """分配规则: leads matching region / industry / source (empty = any) go round-robin to the
    members, optionally weighted by capacity; the first matching active rule in order wins."""

    name = models.CharField(_("名称"), max_length=100)
    sort_order = models.PositiveIntegerField(
        _("优先级"), default=0, help_text=_("数字小的先匹配。")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    region = models.ForeignKey(
        "customers.Region", verbose_name=_("区域"), null=True, blank=True, on_delete=models.CASCADE
    )
    industry = models.ForeignKey(
        "customers.Industry",
        verbose_name=_("行业"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
    )
    source = models.ForeignKey(
        LeadSource, verbose_name=_("来源"), null=True, blank=True, on_delete=models.CASCADE
    )
    team = models.ForeignKey(
        "org.Department", verbose_name=_("团队"), null=True, blank=True, on_delete=models.CASCADE
    )
    weighted = models.BooleanField(
        _("按产能加权"), default=False, help_text=_("勾选后按成员的权重比例轮流分配。")
    )

    class Meta:
        verbose_name = _("分配规则")
        verbose_name_plural = _("分配规则")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class AssignmentMember(models.Model):
    rule = models.ForeignKey(AssignmentRule, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("成员"), on_delete=models.CASCADE
    )
    weight = models.PositiveSmallIntegerField(
        _("权重"), default=1, validators=[MinValueValidator(1)]
    )
    current = models.IntegerField(default=0, editable=False)  # smooth weighted round-robin state

    class Meta:
        verbose_name = _("分配成员")
        verbose_name_plural = _("分配成员")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["rule", "user"], name="uniq_rule_member")]

    def __str__(self) -> str:
        return f"{self.user} ×{self.weight}"
