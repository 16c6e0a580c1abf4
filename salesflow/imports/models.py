"""Import profiles (saved mappings), import runs (the history, with counts and the row report)
and the records each run created or updated (what undo works from)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportProfile(models.Model):
    """A reusable mapping: entity, header row, column → field, value maps, defaults and the
    duplicate policy, stored as the same JSON that is exported and imported as a file."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    entity = models.CharField(_("导入对象"), max_length=30)
    config = models.JSONField(_("配置"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("导入方案")
        verbose_name_plural = _("导入方案")
        ordering = ["entity", "name"]

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    UPLOADED = "uploaded", _("待映射")
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    UNDONE = "undone", _("已撤销")


class RunMode(models.TextChoices):
    PARTIAL = "partial", _("部分导入（正确的行导入，错误的行报告）")
    STRICT = "strict", _("严格模式（任何一行出错则全部不导入）")


class ImportRun(models.Model):
    """One upload and what became of it: who, when, which file and profile, the counts and the
    per-row report."""

    entity = models.CharField(_("导入对象"), max_length=30)
    file_name = models.CharField(_("文件名"), max_length=255)
    file_data = models.BinaryField(_("文件内容"), editable=False)
    profile = models.ForeignKey(
        ImportProfile,
        verbose_name=_("导入方案"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
    )
    config = models.JSONField(_("使用的映射"), default=dict, blank=True)
    mode = models.CharField(
        _("模式"), max_length=10, choices=RunMode.choices, default=RunMode.PARTIAL
    )
    dry_run = models.BooleanField(_("试运行"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.UPLOADED
    )
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    skipped_count = models.PositiveIntegerField(_("跳过"), default=0)
    failed_count = models.PositiveIntegerField(_("失败"), default=0)
    report = models.JSONField(_("逐行报告"), default=list, blank=True)
    message = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    undone_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    undo_report = models.JSONField(_("撤销结果"), default=list, blank=True)

    class Meta:
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == RunStatus.DONE else 0
        return min(100, round(self.processed_rows * 100 / self.total_rows))

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED, RunStatus.UNDONE)


class ImportedRecord(models.Model):
    """A record an import created or updated; undo removes the created ones that nobody has
    changed since."""

    class Action(models.TextChoices):
        CREATED = "created", _("新增")
        UPDATED = "updated", _("更新")

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="records")
    row_number = models.PositiveIntegerField(_("行号"))
    model_label = models.CharField(max_length=60)
    object_id = models.PositiveBigIntegerField()
    action = models.CharField(max_length=10, choices=Action.choices)
    undone = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["model_label", "object_id"], name="imports_record_obj_idx")]

    def __str__(self) -> str:
        return f"{self.model_label}#{self.object_id}"
