"""Process templates (versioned stages with outputs, roles, time limits), opportunities, output
submissions and stage events (SPEC S3)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core import scope
from salesflow.core.collab import SoftDeleteModel, collaborator_extra
from salesflow.core.models import ReferenceItem

MONEY = {"max_digits": 14, "decimal_places": 2}


class ProductLine(ReferenceItem):
    """产品线 — used by opportunities now and by the product catalog later."""

    class Meta(ReferenceItem.Meta):
        verbose_name = _("产品线")
        verbose_name_plural = _("产品线")


class LostReason(ReferenceItem):
    class Meta(ReferenceItem.Meta):
        verbose_name = _("输单原因")
        verbose_name_plural = _("输单原因")


class ProcessTemplate(models.Model):
    """A sales process (B2B, B2C, a new product line…). Several may be active at once; its
    stages live in versions, and an opportunity keeps the version it started on."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    description = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("流程模板")
        verbose_name_plural = _("流程模板")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    def current_version(self):
        return self.versions.filter(is_current=True).first()


class TemplateVersion(models.Model):
    template = models.ForeignKey(ProcessTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    is_current = models.BooleanField(_("当前版本"), default=False)
    change_note = models.TextField(_("变更说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("流程版本")
        verbose_name_plural = _("流程版本")
        ordering = ["template_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="uniq_template_version"),
            models.UniqueConstraint(
                fields=["template"], condition=Q(is_current=True), name="one_current_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"


class Stage(models.Model):
    version = models.ForeignKey(TemplateVersion, on_delete=models.CASCADE, related_name="stages")
    order = models.PositiveSmallIntegerField(_("顺序"))
    code = models.SlugField(_("代码"), max_length=40)
    name = models.CharField(_("阶段"), max_length=50)
    core_action = models.TextField(_("核心动作"), blank=True)
    responsible_roles = models.ManyToManyField(
        "org.Role", verbose_name=_("责任角色"), blank=True, related_name="+"
    )
    time_limit_rule = models.CharField(
        _("时限规则"),
        max_length=60,
        blank=True,
        help_text=_("从进入本阶段起计算，如 24h、3 working days；留空表示不限时。"),
    )
    time_limit_note = models.CharField(_("时限说明"), max_length=100, blank=True)
    probability = models.PositiveSmallIntegerField(
        _("默认赢率（%）"), default=10, validators=[MaxValueValidator(100)]
    )
    covered_by_lead = models.BooleanField(
        _("由线索完成"),
        default=False,
        help_text=_(
            "线索获取、线索筛选等阶段在线索模块完成；由线索转来的商机自动带入其产出，"
            "商机从第一个非线索阶段开始。"
        ),
    )

    class Meta:
        verbose_name = _("阶段")
        verbose_name_plural = _("阶段")
        ordering = ["version_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "order"], name="uniq_stage_order"),
            models.UniqueConstraint(fields=["version", "code"], name="uniq_stage_code"),
        ]

    def __str__(self) -> str:
        return self.name


class StageOutput(models.Model):
    """A required output of a stage: an uploaded file or a structured form (fields in
    ``form_fields``: ``[{"name", "label", "type": text|textarea|number|date|choice,
    "required", "choices"}]``)."""

    class Kind(models.TextChoices):
        FORM = "form", _("表单")
        FILE = "file", _("文件")

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="outputs")
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    code = models.SlugField(_("代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=50)
    kind = models.CharField(_("类型"), max_length=4, choices=Kind.choices, default=Kind.FORM)
    form_fields = models.JSONField(_("表单字段"), default=list, blank=True)
    required = models.BooleanField(_("必需"), default=True)

    class Meta:
        verbose_name = _("阶段产出")
        verbose_name_plural = _("阶段产出")
        ordering = ["stage_id", "order", "id"]

    def __str__(self) -> str:
        return self.name


class OpportunityStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    WON = "won", _("赢单")
    LOST = "lost", _("输单")


@scope.register(object_type="opportunity", extra=collaborator_extra("pipeline.opportunity"))
class Opportunity(SoftDeleteModel):
    name = models.CharField(_("商机名称"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    contacts = models.ManyToManyField(
        "customers.Contact", verbose_name=_("联系人"), blank=True, related_name="opportunities"
    )
    product_lines = models.ManyToManyField(
        ProductLine, verbose_name=_("产品线"), blank=True, related_name="opportunities"
    )
    amount = models.DecimalField(
        _("金额（元）"), default=Decimal(0), validators=[MinValueValidator(Decimal(0))], **MONEY
    )
    expected_close_date = models.DateField(_("预计成交日期"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(
        _("赢率（%）"), default=10, validators=[MaxValueValidator(100)]
    )
    template_version = models.ForeignKey(
        TemplateVersion, verbose_name=_("流程版本"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("阶段"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"),
        max_length=4,
        choices=OpportunityStatus.choices,
        default=OpportunityStatus.OPEN,
    )
    stage_entered_at = models.DateTimeField(_("进入阶段时间"), default=timezone.now)
    stage_due_at = models.DateTimeField(_("阶段截止"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    team = models.ForeignKey(
        "org.Department",
        verbose_name=_("所属团队"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source_lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("来源线索"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    competitors = models.CharField(_("竞争对手"), max_length=200, blank=True)
    lost_reason = models.ForeignKey(
        LostReason, verbose_name=_("输单原因"), null=True, blank=True, on_delete=models.PROTECT
    )
    won_by_competitor = models.CharField(_("赢单竞争对手"), max_length=100, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    description = models.TextField(_("说明"), blank=True)
    followups_since_stage = models.PositiveIntegerField(_("本阶段跟进次数"), default=0)
    last_followup_at = models.DateTimeField(_("最近跟进"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("商机")
        verbose_name_plural = _("商机")
        ordering = ["-id"]
        indexes = [
            # The board: one column = (version, stage) among open ones, largest first.
            models.Index(
                fields=["owner", "status", "stage", "-amount", "id"], name="opp_owner_board_idx"
            ),
            models.Index(
                fields=["template_version", "stage", "status", "-amount", "id"],
                name="opp_board_idx",
            ),
            # The board's column totals (count, amount, overdue) of open ones: index-only
            # scans, for one owner's (or a team's) board and for the whole company's.
            models.Index(
                fields=["owner", "template_version", "stage"],
                include=["amount", "stage_due_at"],
                condition=Q(deleted_at__isnull=True, status="open"),
                name="opp_open_owner_board_idx",
            ),
            models.Index(
                fields=["template_version", "stage"],
                include=["amount", "stage_due_at"],
                condition=Q(deleted_at__isnull=True, status="open"),
                name="opp_open_board_idx",
            ),
            models.Index(fields=["status", "stage_due_at"], name="opp_due_idx"),
            # The list, newest first within the owners a user sees (ids read index-only).
            models.Index(
                fields=["owner", "-id"], condition=Q(deleted_at__isnull=True), name="opp_owner_idx"
            ),
            models.Index(fields=["customer"], name="opp_customer_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == OpportunityStatus.OPEN

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.probability / Decimal(100)).quantize(Decimal("0.01"))


class OutputSubmission(models.Model):
    """A filled structured form or an uploaded file for one output of one opportunity.
    ``opened_at`` → ``submitted_at`` measures how long the form took (pilot reports)."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="submissions"
    )
    output = models.ForeignKey(StageOutput, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(_("内容"), default=dict, blank=True)
    file = models.FileField(_("文件"), upload_to="outputs/%Y/%m/", blank=True)
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    opened_at = models.DateTimeField(_("开始填写"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("阶段产出提交")
        verbose_name_plural = _("阶段产出提交")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["opportunity", "output"], name="submission_idx")]

    def __str__(self) -> str:
        return f"{self.opportunity_id}:{self.output_id}"


class StageEvent(models.Model):
    """Every change of an opportunity's stage or status — the source of funnels, cycle times
    and the bottleneck analysis."""

    class Kind(models.TextChoices):
        CREATE = "create", _("创建")
        ADVANCE = "advance", _("推进")
        BACK = "back", _("退回")
        SKIP = "skip", _("跳过")
        WON = "won", _("赢单")
        LOST = "lost", _("输单")
        REOPEN = "reopen", _("重新打开")

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=4, blank=True)
    to_status = models.CharField(max_length=4, blank=True)
    skipped = models.BooleanField(_("跳过标准流程"), default=False)
    approval = models.ForeignKey(
        "core.ApprovalRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    hours_in_previous = models.DecimalField(
        _("上一阶段停留（小时）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    working_days_in_previous = models.DecimalField(
        _("上一阶段停留（工作日）"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    amount = models.DecimalField(_("当时金额"), default=Decimal(0), **MONEY)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("阶段事件")
        verbose_name_plural = _("阶段事件")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["opportunity", "at"], name="event_opp_idx"),
            models.Index(fields=["to_stage", "at"], name="event_stage_idx"),
            models.Index(fields=["kind", "at"], name="event_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id} {self.kind}"
