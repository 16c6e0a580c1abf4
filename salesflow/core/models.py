from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One thing a person or a job did: who, when, what, to which object, before → after.

    Written explicitly by services (``core.audit.audit``), never by signals, so that jobs,
    imports and bulk writes are logged the same way as clicks.
    """

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=80, db_index=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("对象类型"), null=True, blank=True, on_delete=models.SET_NULL
    )
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    message = models.TextField(_("说明"), blank=True)
    request_id = models.CharField(_("请求ID"), max_length=64, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-at"], name="audit_object_idx"),
            models.Index(fields=["actor", "-at"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"


class SettingValue(models.Model):
    """The current value of a registry key that differs from its default."""

    key = models.CharField(_("键"), max_length=100, unique=True)
    value = models.JSONField(_("值"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("设置值")
        verbose_name_plural = _("设置值")

    def __str__(self) -> str:
        return self.key


class SettingChange(models.Model):
    """History of a setting: every change with who, when and why."""

    key = models.CharField(_("设置项"), max_length=100, db_index=True)
    old_value = models.JSONField(_("原值"), null=True)
    new_value = models.JSONField(_("新值"), null=True)
    reason = models.TextField(_("原因"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("设置变更")
        verbose_name_plural = _("设置变更")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.key} @ {self.at:%Y-%m-%d %H:%M}"


class CalendarOverride(models.Model):
    """An administrator's correction of the working calendar for one date: a holiday that the
    package does not know, or a 调休 make-up working day. It wins over ``chinesecalendar``."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(
        _("是工作日"), help_text=_("勾选＝调休上班（工作日）；不勾选＝放假（非工作日）")
    )
    name = models.CharField(_("名称"), max_length=50, blank=True, help_text=_("如 国庆节、调休"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")
        ordering = ["date"]

    def __str__(self) -> str:
        kind = _("工作日") if self.is_workday else _("休息日")
        return f"{self.date:%Y-%m-%d} {kind} {self.name}"


class WorkerHeartbeat(models.Model):
    """Written by each running job worker every few seconds; read by /healthz."""

    worker_id = models.CharField(max_length=100, unique=True)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("后台进程心跳")
        verbose_name_plural = _("后台进程心跳")

    def __str__(self) -> str:
        return self.worker_id


class ScheduledJob(models.Model):
    """When each periodic job runs next. Rows are claimed with SELECT … FOR UPDATE SKIP LOCKED
    (PostgreSQL) or inside SQLite's exclusive write transaction, so that two workers never
    enqueue the same run twice."""

    name = models.CharField(_("任务"), max_length=100, unique=True)
    next_run_at = models.DateTimeField(_("下次运行"), db_index=True)
    last_run_at = models.DateTimeField(_("上次运行"), null=True, blank=True)
    last_enqueued_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("定时任务")
        verbose_name_plural = _("定时任务")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Collaborator(models.Model):
    """A team member (团队成员) added to a lead, customer or opportunity."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.BigIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("成员"),
        on_delete=models.CASCADE,
        related_name="collaborations",
    )
    can_edit = models.BooleanField(_("可编辑"), default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("添加人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_at = models.DateTimeField(_("添加时间"), default=timezone.now)

    class Meta:
        verbose_name = _("协作成员")
        verbose_name_plural = _("协作成员")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "user"], name="uniq_collaborator"
            )
        ]
        indexes = [models.Index(fields=["user", "content_type"], name="collab_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.content_type_id}:{self.object_id}"


class ApprovalRequest(models.Model):
    """An approval (审批) about any object: stage skip, discount, contract, credit, …"""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")
        CANCELLED = "cancelled", _("已撤回")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.BigIntegerField()
    object_type = models.CharField(_("对象类型"), max_length=50)
    kind = models.CharField(_("审批类型"), max_length=50, db_index=True)
    title = models.CharField(_("标题"), max_length=200)
    reason = models.TextField(_("申请理由"))
    payload = models.JSONField(_("申请内容"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="approval_requests",
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    consumed_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("审批申请")
        verbose_name_plural = _("审批申请")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="approval_object_idx")]

    def __str__(self) -> str:
        return self.title

    def current_step(self):
        for step in self.steps.all():
            if not step.decision:
                return step
        return None

    def target(self):
        model = self.content_type.model_class()
        manager = getattr(model, "all_objects", model._default_manager)
        return manager.filter(pk=self.object_id).first()


class ApprovalStep(models.Model):
    class Decision(models.TextChoices):
        APPROVED = "approved", _("同意")
        REJECTED = "rejected", _("驳回")

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("顺序"))
    role = models.ForeignKey(
        "org.Role", verbose_name=_("审批角色"), on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("结果"), max_length=10, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    comment = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("审批步骤")
        verbose_name_plural = _("审批步骤")
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["request", "order"], name="uniq_approval_step")
        ]

    def __str__(self) -> str:
        return f"{self.request_id}#{self.order}"


class ReferenceItem(models.Model):
    """An entry of an administrator-edited list (industries, regions, lead sources, product
    lines, lost reasons …): a unique name, an order and an active flag."""

    name = models.CharField(_("名称"), max_length=50, unique=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        abstract = True
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name
