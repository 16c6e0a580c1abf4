"""Process pilots (流程试点): a settings profile and/or a process template version applied to
chosen teams (departments, with their sub-departments) for a period while the other teams keep
the company's; customer satisfaction surveys and team feedback; the roll-out/adjust decision.

A pilot applies on the days of its period (``start_date`` … ``end_date``, company time zone):
``salesflow.pilots.overrides`` answers the settings registry's override hook and the pipeline's
version hook for the records of its teams."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core import scope


class PilotStatus(models.TextChoices):
    PLANNED = "planned", _("计划中")
    RUNNING = "running", _("进行中")
    FINISHED = "finished", _("已结束")
    DECIDED = "decided", _("已决策")


def _team_links(user):
    """Pilots of the user's team: a pilot team that contains the user's department; for users
    who see more than their own records (managers) also a pilot team below it."""
    department = getattr(user, "department", None)
    if department is None:
        return Q(pk__in=[])
    ancestors = [int(part) for part in department.path.strip("/").split("/") if part.isdigit()]
    teams = Q(department_id__in=ancestors)
    if scope.scope_for(user, "pilot", "view") not in (None, "own"):
        teams |= Q(department__path__startswith=department.path)
    links = Pilot.teams.through.objects.filter(teams)
    return Q(pk__in=links.values("pilot_id"))


def _pilot_extra(user, action):
    # Managers (and the participants) see the pilots of their teams; only viewing.
    if action != "view":
        return Q(pk__in=[])
    return _team_links(user)


@scope.register(object_type="pilot", extra=_pilot_extra)
class Pilot(models.Model):
    name = models.CharField(_("试点名称"), max_length=200)
    goal = models.TextField(_("试点目标"))
    teams = models.ManyToManyField(
        "org.Department",
        verbose_name=_("试点团队"),
        related_name="+",
        help_text=_("试点规则适用于这些部门及其下级部门负责人名下的线索、客户和商机。"),
    )
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    template_version = models.ForeignKey(
        "pipeline.TemplateVersion",
        verbose_name=_("试点流程版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("试点团队在试点期间新建的商机使用此版本；已有商机保持原版本。"),
    )
    settings_profile = models.JSONField(
        _("试点设置"),
        default=dict,
        blank=True,
        help_text=_("设置项代码 → 试点取值，如 lead.a_first_contact_sla = 12h。"),
    )
    baseline_start = models.DateField(_("基线开始"))
    baseline_end = models.DateField(_("基线结束"))
    status = models.CharField(
        _("状态"), max_length=10, choices=PilotStatus.choices, default=PilotStatus.PLANNED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        on_delete=models.PROTECT,
        related_name="pilots",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = scope.ScopedManager()

    class Meta:
        verbose_name = _("流程试点")
        verbose_name_plural = _("流程试点")
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["start_date", "end_date"], name="pilot_period_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("pilots:detail", args=[self.pk])

    def status_on(self, day: datetime.date) -> str:
        """The status the period gives on ``day`` (a decided pilot stays decided)."""
        if self.status == PilotStatus.DECIDED:
            return self.status
        if day < self.start_date:
            return PilotStatus.PLANNED
        if day <= self.end_date:
            return PilotStatus.RUNNING
        return PilotStatus.FINISHED

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


class DecisionKind(models.TextChoices):
    ROLL_OUT = "roll_out", _("全面推广")
    ADJUST = "adjust", _("调整后再试")


class PilotDecision(models.Model):
    """The recorded decision after a pilot: what changed and why. A roll-out applies the
    chosen parts (the settings profile to the company settings, the pilot version as the
    template's current version)."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(_("决策"), max_length=10, choices=DecisionKind.choices)
    what_changed = models.TextField(_("变更内容"))
    reason = models.TextField(_("原因"))
    applied_settings = models.JSONField(_("已应用的设置"), default=dict, blank=True)
    applied_version = models.ForeignKey(
        "pipeline.TemplateVersion",
        verbose_name=_("设为当前的流程版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("决策时间"), default=timezone.now)

    class Meta:
        verbose_name = _("试点决策")
        verbose_name_plural = _("试点决策")
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.pilot} · {self.get_kind_display()}"


class SatisfactionSurvey(models.Model):
    """A short customer satisfaction survey (1–5 and a comment) for a customer or opportunity
    of a pilot team (or of a comparison team)."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="surveys")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.CASCADE, related_name="+"
    )
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        verbose_name=_("商机"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    score = models.PositiveSmallIntegerField(
        _("满意度（1–5）"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("意见"), blank=True)
    answered_at = models.DateTimeField(_("调查时间"), default=timezone.now)
    # The customer's owner's department when answered: which side of the comparison it counts on.
    team = models.ForeignKey(
        "org.Department", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("客户满意度调查")
        verbose_name_plural = _("客户满意度调查")
        ordering = ["-answered_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id} · {self.score}"


class TeamFeedback(models.Model):
    """A participant's feedback on the pilot: acceptance 1–5 and suggestions (one each)."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="feedback")
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("参与人"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    acceptance = models.PositiveSmallIntegerField(
        _("接受度（1–5）"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    suggestions = models.TextField(_("改进建议"), blank=True)
    answered_at = models.DateTimeField(_("填写时间"), default=timezone.now)

    class Meta:
        verbose_name = _("团队反馈")
        verbose_name_plural = _("团队反馈")
        ordering = ["-answered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pilot", "participant"], name="one_feedback_per_participant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} · {self.acceptance}"
