"""Customer service: complaints with their SLA clocks and timeline (S6), maintenance plans per
tier with their scheduled actions, the action log and satisfaction surveys (S2 客户关系维护计划).

Complaints are scoped through the customer's owner (a rep sees the complaints of their own
customers), widened to the handler and the person who logged it. Maintenance rows use the
object type ``maintenance`` the same way, widened to the person who carries the action.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core import scope
from salesflow.core.models import ReferenceItem
from salesflow.customers.models import Tier


def _user_fk(verbose_name, related_name="+", **kwargs):
    kwargs.setdefault("null", True)
    kwargs.setdefault("blank", True)
    kwargs.setdefault("on_delete", models.SET_NULL)
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=verbose_name, related_name=related_name, **kwargs
    )


class ComplaintType(ReferenceItem):
    """投诉类型 (产品质量/服务态度/交付延迟/…), edited by an administrator."""

    class Meta(ReferenceItem.Meta):
        verbose_name = _("投诉类型")
        verbose_name_plural = _("投诉类型")


class ComplaintState(models.TextChoices):
    RECEIVED = "received", _("待转交")
    FORWARDED = "forwarded", _("待出方案")
    PLANNED = "planned", _("处理中")
    COMPLETED = "completed", _("待回访")
    REOPENED = "reopened", _("重新处理")
    CLOSED = "closed", _("已关闭")


OPEN_STATES = (
    ComplaintState.RECEIVED,
    ComplaintState.FORWARDED,
    ComplaintState.PLANNED,
    ComplaintState.COMPLETED,
    ComplaintState.REOPENED,
)


def _complaint_extra(user, action):
    # The handler works the ticket and the person who logged it follows it, whoever owns the
    # customer (still only for a user who holds the right for the action at all).
    return Q(handler=user) | Q(created_by=user)


@scope.register(object_type="complaint", owner_field="customer__owner", extra=_complaint_extra)
class Complaint(models.Model):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    received_at = models.DateTimeField(_("投诉时间"), default=timezone.now)
    type = models.ForeignKey(ComplaintType, verbose_name=_("投诉类型"), on_delete=models.PROTECT)
    description = models.TextField(_("投诉内容"))
    caused_by_sales = models.BooleanField(
        _("销售服务导致"),
        default=False,
        help_text=_("由销售人员的服务引起（计入投诉率）。"),
    )
    tier = models.CharField(
        _("维护等级"), max_length=10, choices=Tier.choices, default=Tier.NORMAL, editable=False
    )
    handler = _user_fk(_("处理人"), "handled_complaints")
    plan = models.TextField(_("处理方案"), blank=True)
    resolve_by = models.DateField(_("处理期限"), null=True, blank=True)
    customer_feedback = models.TextField(_("客户反馈"), blank=True)
    improvement_suggestion = models.TextField(_("改进建议"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("满意度（1–5）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=ComplaintState.choices, default=ComplaintState.RECEIVED
    )
    # SLA clocks: each has a due moment (core.sla.deadline) and the moment it was done.
    forward_due_at = models.DateTimeField(_("转交时限"), null=True, blank=True)
    forwarded_at = models.DateTimeField(_("转交时间"), null=True, blank=True)
    response_due_at = models.DateTimeField(_("响应时限"), null=True, blank=True)
    responded_at = models.DateTimeField(_("响应时间"), null=True, blank=True)
    plan_due_at = models.DateTimeField(_("方案时限"), null=True, blank=True)
    planned_at = models.DateTimeField(_("方案时间"), null=True, blank=True)
    resolve_due_at = models.DateTimeField(_("解决时限"), null=True, blank=True)
    completed_at = models.DateTimeField(_("处理完成时间"), null=True, blank=True)
    visit_due_at = models.DateTimeField(_("回访时限"), null=True, blank=True)
    visited_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重新处理次数"), default=0)
    created_by = _user_fk(_("登记人"), "logged_complaints")
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("客户投诉")
        verbose_name_plural = _("客户投诉")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["state", "-received_at"], name="complaint_state_idx"),
            models.Index(fields=["handler", "state"], name="complaint_handler_idx"),
            models.Index(fields=["customer", "-received_at"], name="complaint_customer_idx"),
        ]

    def __str__(self) -> str:
        return _("投诉 #%(pk)s %(customer)s") % {"pk": self.pk, "customer": self.customer}

    @property
    def is_open(self) -> bool:
        return self.state != ComplaintState.CLOSED


class ComplaintEventKind(models.TextChoices):
    RECEIVED = "received", _("登记")
    FORWARDED = "forwarded", _("转交处理人")
    RESPONDED = "responded", _("响应客户")
    PLANNED = "planned", _("制定方案")
    COMPLETED = "completed", _("处理完成")
    VISITED = "visited", _("回访")
    CLOSED = "closed", _("关闭")
    REOPENED = "reopened", _("重新处理")
    BREACHED = "breached", _("超时")


class ComplaintEvent(models.Model):
    """One fact of a complaint's life (the timeline): who, when, from/to state, note."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=10, choices=ComplaintEventKind.choices)
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10, blank=True)
    actor = _user_fk(_("操作人"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.TextField(_("说明"), blank=True)
    score = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    clock = models.CharField(_("时限"), max_length=12, blank=True)

    class Meta:
        verbose_name = _("投诉事件")
        verbose_name_plural = _("投诉事件")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


# --- maintenance -----------------------------------------------------------------------------


def _maintenance_extra(user, action):
    return Q(owner=user)


@scope.register(object_type="maintenance", owner_field="customer__owner", extra=_maintenance_extra)
class MaintenancePlan(models.Model):
    """A customer's 12-month relationship-maintenance plan: the tier it was built for (from the
    last 12 months of orders), who carries it, and its period. The actions hang off it."""

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="maintenance_plan",
    )
    tier = models.CharField(_("维护等级"), max_length=10, choices=Tier.choices)
    purchases_12m = models.DecimalField(
        _("近12个月订单额（元）"), max_digits=14, decimal_places=2, default=0
    )
    owner = _user_fk(_("维护负责人"), "maintenance_plans", on_delete=models.PROTECT, null=False)
    period_start = models.DateField(_("计划开始"))
    period_end = models.DateField(_("计划结束"))
    generated_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    created_by = _user_fk(_("生成人"))

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("客户维护计划")
        verbose_name_plural = _("客户维护计划")
        ordering = ["-generated_at", "-id"]

    def __str__(self) -> str:
        return _("%(customer)s 的维护计划") % {"customer": self.customer}


class ActionKind(models.TextChoices):
    GREETING = "greeting", _("节日问候")
    GIFT = "gift", _("节日礼品")
    INDUSTRY_REPORT = "report", _("行业报告")
    VISIT = "visit", _("拜访")
    CALL = "call", _("电话回访")


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("待执行")
    DONE = "done", _("已执行")
    CANCELLED = "cancelled", _("已取消")


class Effect(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    NEUTRAL = "neutral", _("一般")
    UNSATISFIED = "unsatisfied", _("不满意")


@scope.register(object_type="maintenance", owner_field="customer__owner", extra=_maintenance_extra)
class MaintenanceAction(models.Model):
    """One scheduled maintenance action (a task in the owner's list) and, once executed, its
    log entry: the customer's feedback and the effect rating."""

    plan = models.ForeignKey(
        MaintenancePlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="maintenance_actions",
    )
    kind = models.CharField(_("动作"), max_length=10, choices=ActionKind.choices)
    title = models.CharField(_("内容"), max_length=200)
    due_on = models.DateField(_("计划日期"))
    owner = _user_fk(_("执行人"), "maintenance_actions", on_delete=models.PROTECT, null=False)
    task = models.ForeignKey(
        "activities.Task",
        verbose_name=_("任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.PLANNED
    )
    done_at = models.DateTimeField(_("执行时间"), null=True, blank=True)
    done_by = _user_fk(_("执行人"))
    customer_feedback = models.TextField(_("客户反馈"), blank=True)
    effect = models.CharField(_("效果评价"), max_length=12, choices=Effect.choices, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("维护动作")
        verbose_name_plural = _("维护动作")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["customer", "due_on"], name="maint_action_customer_idx"),
            models.Index(fields=["status", "due_on"], name="maint_action_status_idx"),
        ]

    def __str__(self) -> str:
        return self.title


@scope.register(
    object_type="maintenance",
    owner_field="customer__owner",
    extra=lambda user, action: Q(recorded_by=user),
)
class SatisfactionSurvey(models.Model):
    """满意度调查: one score 0–100 per customer and survey date."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="satisfaction_surveys",
    )
    surveyed_on = models.DateField(_("调查日期"), default=timezone.localdate)
    score = models.DecimalField(
        _("满意度（0–100）"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    comment = models.TextField(_("客户意见"), blank=True)
    recorded_by = _user_fk(_("记录人"))
    improvement_task = models.ForeignKey(
        "activities.Task",
        verbose_name=_("改进计划任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("满意度调查")
        verbose_name_plural = _("满意度调查")
        ordering = ["-surveyed_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "-surveyed_on"], name="survey_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.surveyed_on:%Y-%m-%d} {self.score}"
