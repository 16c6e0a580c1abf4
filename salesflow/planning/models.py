"""Planning and coaching: strategy plans (销售策略规划表) with milestones tracked as tasks and
periodic reviews; review meetings (销售复盘会议记录表) with a frozen data snapshot and action
items tracked as tasks; training sessions (销售培训效果评估表) with per-participant scores; and
process interviews (销售流程现状访谈记录表) tagged by theme.

Milestones and action items own a link to an ``activities.Task``: their status is the task's
status, read live, so there is one place where work is marked done."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core import scope

MONEY = {"max_digits": 14, "decimal_places": 2}
SCORE = {"max_digits": 5, "decimal_places": 1, "null": True, "blank": True}


def _user_fk(label, related_name="+", **kwargs):
    kwargs.setdefault("on_delete", models.PROTECT)
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=label, related_name=related_name, **kwargs
    )


def _team_q(user, prefix: str = "") -> Q:
    """Records made for the user's team: for the user's department, a department above it
    (a regional or company plan applies to its teams too) or a department below it."""
    department = getattr(user, "department", None)
    if department is None:
        return Q(pk__in=[])
    ancestors = [int(part) for part in department.path.strip("/").split("/") if part.isdigit()]
    return Q(**{f"{prefix}department__path__startswith": department.path}) | Q(
        **{f"{prefix}department_id__in": ancestors}
    )


# --- strategy plans ------------------------------------------------------------------------------


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("执行中")
    CLOSED = "closed", _("已结束")


class GoalMetric(models.TextChoices):
    ORDER_AMOUNT = "order_amount", _("订单金额（元）")
    WON_AMOUNT = "won_amount", _("赢单金额（元）")
    LEAD_COUNT = "lead_count", _("新增线索数")
    OPPORTUNITY_COUNT = "opportunity_count", _("新增商机数")
    ORDER_COUNT = "order_count", _("订单数")


def _plan_extra(user, action):
    # Reps and assistants see the plans of their team (the plan's department) and the plans
    # in which they own a milestone.
    if action != "view":
        return Q(pk__in=[])
    return _team_q(user) | Q(pk__in=PlanMilestone.objects.filter(owner=user).values("plan_id"))


@scope.register(object_type="plan", extra=_plan_extra)
class StrategyPlan(models.Model):
    title = models.CharField(_("规划名称"), max_length=200)
    owner = _user_fk(_("负责人"), "strategy_plans")
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("适用团队"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("规划的范围：该部门及其下级部门的线索、商机和订单计入评估指标。"),
    )
    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("结束日期"))
    status = models.CharField(
        _("状态"), max_length=8, choices=PlanStatus.choices, default=PlanStatus.ACTIVE
    )
    # goal (quantified)
    goal = models.TextField(_("目标说明"))
    goal_metric = models.CharField(
        _("目标指标"), max_length=20, choices=GoalMetric.choices, default=GoalMetric.ORDER_AMOUNT
    )
    goal_value = models.DecimalField(
        _("目标值"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    # what the plan works on: narrows the computed metrics
    lead_source = models.ForeignKey(
        "leads.LeadSource",
        verbose_name=_("线索来源"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("只统计该来源的线索及其商机、订单；留空为全部来源。"),
    )
    product_line = models.ForeignKey(
        "pipeline.ProductLine",
        verbose_name=_("产品线"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("只统计包含该产品线的商机及其订单；留空为全部产品线。"),
    )
    # core strategy (4P)
    strategy_product = models.TextField(_("产品策略"), blank=True)
    strategy_price = models.TextField(_("价格策略"), blank=True)
    strategy_place = models.TextField(_("渠道策略"), blank=True)
    strategy_promotion = models.TextField(_("推广策略"), blank=True)
    # resources
    resources_people = models.TextField(_("人员"), blank=True)
    resources_materials = models.TextField(_("物料"), blank=True)
    budget = models.DecimalField(
        _("预算（元）"), default=Decimal(0), validators=[MinValueValidator(Decimal(0))], **MONEY
    )
    expected_effect = models.TextField(_("预期效果"), blank=True)
    review_every_days = models.PositiveSmallIntegerField(
        _("回顾周期（天）"),
        default=30,
        validators=[MinValueValidator(7), MaxValueValidator(180)],
        help_text=_("执行中的规划到期未回顾时提醒负责人（从开始日期或上次回顾起算）。"),
    )
    # typed figures, used only where the system holds no data for the plan's scope
    manual_reach = models.PositiveIntegerField(
        _("触达人数（手工）"),
        null=True,
        blank=True,
        help_text=_("系统中没有该范围的线索时（如线下活动的到场人数）才使用，并标注为手工填写。"),
    )
    manual_revenue = models.DecimalField(
        _("带来收入（手工，元）"),
        null=True,
        blank=True,
        help_text=_("系统中没有该范围的订单时才使用，并标注为手工填写。"),
        **MONEY,
    )
    created_by = _user_fk(_("创建人"), null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("销售策略规划")
        verbose_name_plural = _("销售策略规划")
        ordering = ["-period_start", "-id"]
        indexes = [
            models.Index(fields=["owner", "-period_start"], name="plan_owner_idx"),
            models.Index(fields=["department", "-period_start"], name="plan_dept_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("planning:plan_detail", args=[self.pk])


def _milestone_extra(user, action):
    if action != "view":
        return Q(pk__in=[])
    return _team_q(user, "plan__") | Q(owner=user)


@scope.register(object_type="plan", owner_field="plan__owner", extra=_milestone_extra)
class PlanMilestone(models.Model):
    """A milestone (what, owner, date); its status is the status of its task."""

    plan = models.ForeignKey(StrategyPlan, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("里程碑"), max_length=200)
    owner = _user_fk(_("负责人"))
    due_date = models.DateField(_("计划完成日期"))
    task = models.OneToOneField(
        "activities.Task",
        verbose_name=_("跟踪任务"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="plan_milestone",
    )

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("里程碑")
        verbose_name_plural = _("里程碑")
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.title


class PlanReview(models.Model):
    """A periodic review of a plan: notes and the metrics as they stood that day."""

    plan = models.ForeignKey(StrategyPlan, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField(_("回顾日期"), default=timezone.localdate)
    author = _user_fk(_("回顾人"), null=True, on_delete=models.SET_NULL)
    notes = models.TextField(_("回顾结论"))
    adjustments = models.TextField(_("调整措施"), blank=True)
    metrics = models.JSONField(_("当时指标"), default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("规划回顾")
        verbose_name_plural = _("规划回顾")
        ordering = ["-reviewed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.plan} · {self.reviewed_on}"


# --- review meetings -----------------------------------------------------------------------------


def _meeting_extra(user, action):
    # Attendees and the follow-up owner see the meeting, whatever their scope.
    if action != "view":
        return Q(pk__in=[])
    attended = ReviewMeeting.attendees.through.objects.filter(user=user).values("reviewmeeting_id")
    return Q(pk__in=attended) | Q(follow_up_owner=user)


@scope.register(object_type="meeting", extra=_meeting_extra)
class ReviewMeeting(models.Model):
    topic = models.CharField(_("会议主题"), max_length=200)
    held_at = models.DateTimeField(_("会议时间"))
    owner = _user_fk(_("主持人"), "review_meetings")
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("复盘团队"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("准备数据按该部门及其下级部门统计；上次会议取同一团队的前一次会议。"),
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("参会人"), blank=True, related_name="+"
    )
    follow_up_owner = _user_fk(_("跟进负责人"), null=True, blank=True, on_delete=models.SET_NULL)
    period_start = models.DateField(_("复盘期间自"))
    period_end = models.DateField(_("复盘期间至"))
    agenda = models.TextField(_("议程"), blank=True)
    # the prepared data: frozen when the meeting is prepared
    prepared_data = models.JSONField(_("准备数据"), default=dict, blank=True)
    prepared_at = models.DateTimeField(_("数据准备时间"), null=True, blank=True)
    key_discussion = models.TextField(_("重点讨论"), blank=True)
    highlights = models.TextField(_("亮点"), blank=True)
    problems = models.TextField(_("问题"), blank=True)
    root_causes = models.TextField(_("根本原因"), blank=True)
    lessons = models.TextField(_("经验教训"), blank=True)
    resolutions = models.TextField(_("会议决议"), blank=True)
    previous = models.ForeignKey(
        "self",
        verbose_name=_("上次会议"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = _user_fk(_("创建人"), null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("复盘会议")
        verbose_name_plural = _("复盘会议")
        ordering = ["-held_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-held_at"], name="meeting_owner_idx"),
            models.Index(fields=["department", "-held_at"], name="meeting_dept_idx"),
        ]

    def __str__(self) -> str:
        return self.topic

    def get_absolute_url(self) -> str:
        return reverse("planning:meeting_detail", args=[self.pk])


def _action_extra(user, action):
    if action != "view":
        return Q(pk__in=[])
    attended = ReviewMeeting.attendees.through.objects.filter(user=user).values("reviewmeeting_id")
    return Q(owner=user) | Q(meeting_id__in=attended) | Q(meeting__follow_up_owner=user)


@scope.register(object_type="meeting", owner_field="meeting__owner", extra=_action_extra)
class MeetingAction(models.Model):
    """An action item (what, who, when); tracked as a task whose acceptor is the meeting's
    follow-up owner."""

    meeting = models.ForeignKey(ReviewMeeting, on_delete=models.CASCADE, related_name="actions")
    what = models.CharField(_("行动事项"), max_length=200)
    owner = _user_fk(_("负责人"))
    due_date = models.DateField(_("完成期限"))
    task = models.OneToOneField(
        "activities.Task",
        verbose_name=_("跟踪任务"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="meeting_action",
    )

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("行动事项")
        verbose_name_plural = _("行动事项")
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.what


# --- training ------------------------------------------------------------------------------------


def _training_extra(user, action):
    if action != "view":
        return Q(pk__in=[])
    return Q(pk__in=TrainingParticipant.objects.filter(user=user).values("session_id"))


@scope.register(object_type="training", extra=_training_extra)
class TrainingSession(models.Model):
    title = models.CharField(_("培训主题"), max_length=200)
    owner = _user_fk(_("组织人"), "training_sessions")
    trainer = models.CharField(_("讲师"), max_length=100, blank=True)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("培训对象部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    held_on = models.DateField(_("培训日期"))
    hours = models.DecimalField(
        _("课时（小时）"), max_digits=5, decimal_places=1, default=Decimal("2.0")
    )
    content = models.TextField(_("培训内容"), blank=True)
    followup_months = models.PositiveSmallIntegerField(
        _("效果观察期（月）"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text=_("比较培训前后各 N 个月的业绩（1–3 个月）。"),
    )
    summary = models.TextField(_("评估结论"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("培训")
        verbose_name_plural = _("培训")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["owner", "-held_on"], name="training_owner_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("planning:training_detail", args=[self.pk])


class TrainingParticipant(models.Model):
    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="participants"
    )
    user = _user_fk(_("学员"))
    attended = models.BooleanField(_("出勤"), default=True)
    participation = models.PositiveSmallIntegerField(
        _("参与度（1–5）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    pre_score = models.DecimalField(_("培训前测试"), **SCORE)
    post_score = models.DecimalField(_("培训后测试"), **SCORE)
    practical_score = models.DecimalField(_("实操考核"), **SCORE)
    notes = models.CharField(_("备注"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("培训学员")
        verbose_name_plural = _("培训学员")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="training_participant_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.user}"

    @property
    def improvement(self) -> Decimal | None:
        if self.pre_score is None or self.post_score is None:
            return None
        return self.post_score - self.pre_score


# --- process interviews --------------------------------------------------------------------------


class InterviewTheme(models.Model):
    name = models.CharField(_("主题"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("访谈主题")
        verbose_name_plural = _("访谈主题")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def _interview_extra(user, action):
    # Interviews of people in the user's department (and below), whoever conducted them.
    department = getattr(user, "department", None)
    if action != "view" or department is None:
        return Q(pk__in=[])
    return Q(department__path__startswith=department.path)


@scope.register(object_type="interview", extra=_interview_extra)
class ProcessInterview(models.Model):
    interviewee = models.CharField(_("受访人"), max_length=50)
    interviewee_user = _user_fk(
        _("受访人（系统用户）"), null=True, blank=True, on_delete=models.SET_NULL
    )
    role = models.CharField(_("岗位"), max_length=50)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("所在部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    interviewed_on = models.DateField(_("访谈日期"), default=timezone.localdate)
    owner = _user_fk(_("访谈人"), "process_interviews")
    pain_points = models.TextField(_("痛点"))
    suggestions = models.TextField(_("建议"), blank=True)
    themes = models.ManyToManyField(
        InterviewTheme, verbose_name=_("主题标签"), blank=True, related_name="interviews"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("流程访谈")
        verbose_name_plural = _("流程访谈")
        ordering = ["-interviewed_on", "-id"]
        indexes = [models.Index(fields=["owner", "-interviewed_on"], name="interview_owner_idx")]

    def __str__(self) -> str:
        return f"{self.interviewee}（{self.role}）"

    def get_absolute_url(self) -> str:
        return reverse("planning:interview_detail", args=[self.pk])
