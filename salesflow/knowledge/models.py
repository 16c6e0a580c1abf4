"""The handbook and knowledge base (SPEC S14): per-stage guidance, sales scripts (话术) and
best-practice cases (标杆案例), each versioned — every save is a ``Revision`` with a required
"what changed" note.

A handbook page belongs to a stage *name* within a process template, not to a ``Stage`` row:
each new template version copies its stages, and the guidance written for "需求分析" must stay
with "需求分析" in every later version. A stage renamed in a new version starts without a page
(the old page stays listed under the template until it is renamed or deleted).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core import scope


class Kind(models.TextChoices):
    PAGE = "page", _("阶段手册")
    SCRIPT = "script", _("话术")
    CASE = "case", _("标杆案例")


class KnowledgeItem(models.Model):
    """What the three kinds share: the current version number, the search column and who
    wrote and last changed it. Company-wide content: the ``knowledge`` rights decide who reads
    and who writes; ``created_by`` only serves the scope registry."""

    version = models.PositiveIntegerField(_("版本"), default=1)
    search_text = models.TextField(editable=False, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("最后修改人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("最后修改时间"), default=timezone.now)

    objects = scope.ScopedManager()

    class Meta:
        abstract = True


@scope.register(object_type="knowledge", owner_field="created_by")
class HandbookPage(KnowledgeItem):
    """流程操作手册: what to do at one stage of one process template, tips, common mistakes."""

    KIND = Kind.PAGE
    template = models.ForeignKey(
        "pipeline.ProcessTemplate",
        verbose_name=_("流程模板"),
        on_delete=models.CASCADE,
        related_name="handbook_pages",
    )
    stage_name = models.CharField(_("阶段"), max_length=50)
    what_to_do = models.TextField(_("要做什么"))
    tips = models.TextField(_("技巧提示"), blank=True)
    mistakes = models.TextField(_("常见错误"), blank=True)

    class Meta:
        verbose_name = _("阶段手册")
        verbose_name_plural = _("阶段手册")
        ordering = ["template_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "stage_name"], name="uniq_handbook_stage_page"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template} · {self.stage_name}"

    @property
    def title(self) -> str:
        return self.stage_name


@scope.register(object_type="knowledge", owner_field="created_by")
class SalesScript(KnowledgeItem):
    """话术: what to say in a situation. Bound to a stage name (of one template, or of any
    template when ``template`` is empty) or general when the stage is empty."""

    KIND = Kind.SCRIPT
    template = models.ForeignKey(
        "pipeline.ProcessTemplate",
        verbose_name=_("流程模板"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_scripts",
        help_text=_("留空表示适用于所有流程模板。"),
    )
    stage_name = models.CharField(
        _("阶段"), max_length=50, blank=True, help_text=_("留空表示通用话术，不限阶段。")
    )
    title = models.CharField(
        _("场景"), max_length=200, help_text=_("在什么情况下使用，如“客户说价格太高”。")
    )
    script = models.TextField(_("话术"))
    tags = models.CharField(
        _("标签"), max_length=200, blank=True, help_text=_("多个标签用逗号或空格分隔。")
    )

    class Meta:
        verbose_name = _("话术")
        verbose_name_plural = _("话术")
        ordering = ["stage_name", "id"]
        indexes = [models.Index(fields=["stage_name", "template"], name="script_stage_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return split_tags(self.tags)


@scope.register(object_type="knowledge", owner_field="created_by")
class BestCase(KnowledgeItem):
    """标杆案例: a won deal written up for others to learn from. The text is for every sales
    role; the linked opportunity's customer, amount and cycle only for those whose data scope
    reaches it."""

    KIND = Kind.CASE
    title = models.CharField(_("标题"), max_length=200)
    summary = models.TextField(_("摘要"))
    situation = models.TextField(_("背景与挑战"), blank=True)
    approach = models.TextField(_("做法"), blank=True)
    result = models.TextField(_("结果"), blank=True)
    lessons = models.TextField(_("经验与启示"), blank=True)
    tags = models.CharField(
        _("标签"), max_length=200, blank=True, help_text=_("多个标签用逗号或空格分隔。")
    )
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        verbose_name=_("赢单商机"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("标杆案例")
        verbose_name_plural = _("标杆案例")
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return split_tags(self.tags)


class Revision(models.Model):
    """One saved version of a page, script or case: the full content at that version (``data``,
    field → value) and the author's "what changed" note. Restoring an old version writes a new
    revision with the old content, so history only ever grows."""

    kind = models.CharField(_("类型"), max_length=6, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField(_("对象"))
    number = models.PositiveIntegerField(_("版本"))
    data = models.JSONField(_("内容"), default=dict)
    note = models.TextField(_("变更说明"))
    restored_from = models.PositiveIntegerField(_("恢复自版本"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("知识库版本")
        verbose_name_plural = _("知识库版本")
        ordering = ["kind", "object_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "number"], name="uniq_knowledge_revision"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} v{self.number}"


def split_tags(text: str) -> list[str]:
    import re

    return [t for t in re.split(r"[\s,，、;；]+", text or "") if t]


MODELS = {Kind.PAGE: HandbookPage, Kind.SCRIPT: SalesScript, Kind.CASE: BestCase}
