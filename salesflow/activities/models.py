"""Follow-ups (客户跟进记录, S4), tasks with sub-items (销售任务分配与跟踪表, S8), notifications
with their delivery channels, and the reminder ledger that makes every reminder go out once."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core import scope

MONEY = {"max_digits": 14, "decimal_places": 2}


class Method(models.TextChoices):
    PHONE = "phone", _("电话")
    VISIT = "visit", _("拜访")
    EMAIL = "email", _("邮件")
    WECHAT = "wechat", _("微信")


class FollowUpResult(models.TextChoices):
    TODO = "todo", _("待办")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


@scope.register(object_type="followup")
class FollowUp(models.Model):
    """One communication with a lead or customer (and optionally an opportunity)."""

    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("线索"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="followups",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="followups",
    )
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        verbose_name=_("商机"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="followups",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("跟进人"),
        on_delete=models.PROTECT,
        related_name="followups",
    )
    communicated_at = models.DateTimeField(_("沟通时间"))
    entered_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    method = models.CharField(_("方式"), max_length=8, choices=Method.choices)
    topic = models.CharField(_("主题"), max_length=200)
    summary = models.TextField(_("内容摘要"))
    customer_words = models.TextField(_("客户反馈（原话）"), blank=True)
    objection_handling = models.TextField(_("异议处理"), blank=True)
    needs_change = models.TextField(_("需求变化"), blank=True)
    commitments = models.TextField(_("承诺事项"), blank=True)
    next_step_action = models.CharField(_("下一步行动"), max_length=200, blank=True)
    next_step_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("下一步负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    next_step_due = models.DateTimeField(_("下一步截止"), null=True, blank=True)
    risk = models.CharField(
        _("当前风险"), max_length=200, blank=True, help_text=_("如 预算未审批、决策人变动")
    )
    result = models.CharField(
        _("结果"), max_length=6, choices=FollowUpResult.choices, default=FollowUpResult.DONE
    )
    entry_sla_met = models.BooleanField(_("按时录入"), default=True)
    is_complete = models.BooleanField(_("记录完整"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("跟进记录")
        verbose_name_plural = _("跟进记录")
        ordering = ["-communicated_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-communicated_at"], name="followup_owner_idx"),
            models.Index(fields=["customer", "-communicated_at"], name="followup_customer_idx"),
            models.Index(fields=["lead", "-communicated_at"], name="followup_lead_idx"),
            models.Index(fields=["opportunity", "-communicated_at"], name="followup_opp_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(lead__isnull=False) | Q(customer__isnull=False),
                name="followup_has_subject",
            )
        ]

    def __str__(self) -> str:
        return self.topic


class FollowUpAttachment(models.Model):
    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to="followups/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("跟进附件")
        verbose_name_plural = _("跟进附件")

    def __str__(self) -> str:
        return self.name


class TaskStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class QualityGrade(models.TextChoices):
    EXCELLENT = "excellent", _("优")
    GOOD = "good", _("良")
    FAIR = "fair", _("中")
    POOR = "poor", _("差")


def _task_extra(user, action):
    # The creator and the acceptor follow the task too (e.g. a cross-department next step).
    if action == "view":
        return (
            Q(created_by=user)
            | Q(acceptor=user)
            | Q(pk__in=TaskItem.objects.filter(owner=user).values("task_id"))
        )
    return Q(created_by=user)


@scope.register(object_type="task", extra=_task_extra)
class Task(models.Model):
    """A task: from a follow-up's next step, a meeting's action item, a plan's milestone, a
    maintenance action, or created by hand; with optional sub-items that carry targets."""

    title = models.CharField(_("任务"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    due_at = models.DateTimeField(_("截止时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=9, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    acceptor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("验收人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # where it came from
    followup = models.ForeignKey(
        FollowUp,
        verbose_name=_("来源跟进"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    source_label = models.CharField(_("来源"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due_at"], name="task_owner_due_idx"),
            models.Index(fields=["status", "due_at"], name="task_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title


@scope.register(
    object_type="task",
    owner_field="task__owner",
    extra=lambda user, action: Q(owner=user) | Q(task__created_by=user),
)
class TaskItem(models.Model):
    """A sub-item with a target: e.g. 线上线索 target 20, actual 25 → 优."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(_("子项"), max_length=100)
    target_value = models.DecimalField(
        _("目标值"), default=Decimal(0), max_digits=14, decimal_places=2
    )
    actual_value = models.DecimalField(
        _("实际值"), default=Decimal(0), max_digits=14, decimal_places=2
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    planned_start = models.DateField(_("计划开始"), null=True, blank=True)
    planned_finish = models.DateField(_("计划完成"), null=True, blank=True)
    actual_finish = models.DateField(_("实际完成"), null=True, blank=True)
    acceptor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("验收人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.TextField(_("备注"), blank=True)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("任务子项")
        verbose_name_plural = _("任务子项")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class TaskProgress(models.Model):
    """A daily progress update (日进度)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="progress")
    item = models.ForeignKey(
        TaskItem, null=True, blank=True, on_delete=models.CASCADE, related_name="progress"
    )
    day = models.DateField(_("日期"))
    actual_value = models.DecimalField(
        _("累计实际值"), null=True, blank=True, max_digits=14, decimal_places=2
    )
    note = models.TextField(_("进展"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("任务进度")
        verbose_name_plural = _("任务进度")
        ordering = ["-day", "-id"]

    def __str__(self) -> str:
        return f"{self.task_id} {self.day}"


# --- notifications -------------------------------------------------------------------------


class Channel(models.TextChoices):
    IN_APP = "in_app", _("站内消息")
    EMAIL = "email", _("邮件")
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("类型"), max_length=50)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox_idx")
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """Which channels a user wants for a notification kind (default: in-app + email)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("类型"), max_length=50)
    channels = models.JSONField(_("渠道"), default=list)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="uniq_pref")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.kind}"


class WebhookEndpoint(models.Model):
    """A 企业微信 or 钉钉 group robot. Users who choose that channel have their notifications
    posted to the robot of their department (nearest up the tree) or the company one."""

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(
        _("类型"),
        max_length=8,
        choices=[(Channel.WECOM, Channel.WECOM.label), (Channel.DINGTALK, Channel.DINGTALK.label)],
    )
    url = models.URLField(_("Webhook 地址"), max_length=500)
    secret = models.CharField(_("加签密钥（钉钉）"), max_length=200, blank=True)
    department = models.ForeignKey(
        "org.Department", verbose_name=_("部门"), null=True, blank=True, on_delete=models.CASCADE
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """One send of one notification on one channel (email or webhook), with retries: a failed
    send is retried with backoff and then listed as failed — never silently dropped."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    status = models.CharField(
        _("状态"), max_length=7, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    last_error = models.TextField(_("最近错误"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("消息投递")
        verbose_name_plural = _("消息投递")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel}:{self.status}"


class Reminder(models.Model):
    """The ledger of reminders sent: the unique key (e.g. "lead.a_contact:42:2026-11-23") makes
    a reminder go out once, even with several workers sweeping at the same moment."""

    key = models.CharField(max_length=200, unique=True)
    notification = models.ForeignKey(
        Notification, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("提醒记录")
        verbose_name_plural = _("提醒记录")

    def __str__(self) -> str:
        return self.key
