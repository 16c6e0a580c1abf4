"""``manage.py import_data --profile PATH FILE [--dry-run] [--mode strict|partial] [--user U]``:
the same engine, rights and history as the import pages, for large or scripted loads."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from salesflow.core.errors import DomainError, ValidationError


class Command(BaseCommand):
    help = "导入 .xlsx/.xls/.csv 文件（按导入方案 JSON 映射），打印新增/更新/跳过/失败行数。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="要导入的 .xlsx、.xls 或 .csv 文件")
        parser.add_argument("--profile", required=True, help="导入方案 JSON 文件")
        parser.add_argument("--dry-run", action="store_true", help="试运行：全部校验，不写入")
        parser.add_argument("--mode", choices=["strict", "partial"], default="partial")
        parser.add_argument("--user", help="以此用户名的权限和名义导入（默认：唯一的超级管理员）")
        parser.add_argument("--max-errors", type=int, default=50, help="最多打印的错误行数")

    def handle(self, *args, **options):
        from salesflow.imports.mapping import Profile
        from salesflow.imports.models import ImportRun, RunStatus
        from salesflow.imports.services import run_start, run_upload

        actor = self._actor(options.get("user"))
        try:
            profile = Profile.from_json(Path(options["profile"]).read_text(encoding="utf-8-sig"))
            data = Path(options["file"]).read_bytes()
        except OSError as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        try:
            run = run_upload(
                actor=actor,
                entity_key=profile.entity,
                file_name=Path(options["file"]).name,
                data=data,
            )
            run.config = profile.to_json()
            run.save(update_fields=["config"])
            run = run_start(
                actor=actor,
                run=run,
                mode=options["mode"],
                dry_run=options["dry_run"],
                background=False,
            )
        except (ValidationError, DomainError, PermissionDenied) as exc:
            raise CommandError(
                getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", [str(exc)]))
            ) from None
        run = ImportRun.objects.get(pk=run.pk)
        if run.status == RunStatus.FAILED:
            raise CommandError(run.message)
        self._print(run, options["max_errors"])

    def _actor(self, username):
        from salesflow.org.models import User

        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"用户不存在或已停用：{username}")
            return user
        admins = list(User.objects.filter(is_superuser=True, is_active=True)[:2])
        if len(admins) != 1:
            raise CommandError("请用 --user 指定以哪个用户的名义导入。")
        return admins[0]

    def _print(self, run, max_errors: int) -> None:
        out = self.stdout
        label = "试运行" if run.dry_run else "导入"
        out.write(f"{label} #{run.pk} {run.file_name}: {run.total_rows} 行")
        out.write(
            f"created={run.created_count} updated={run.updated_count} "
            f"skipped={run.skipped_count} failed={run.failed_count}"
        )
        if run.message:
            out.write(run.message)
        shown = 0
        for entry in run.report:
            if entry["status"] != "failed":
                continue
            if shown >= max_errors:
                out.write(f"… 另有 {run.failed_count - shown} 行错误，见导入历史的错误报告。")
                break
            reasons = "；".join(f"{k}: {v}" if k else v for k, v in entry["errors"].items())
            out.write(f"  第 {entry['row']} 行: {reasons or entry['message']}")
            shown += 1
        skipped = [e for e in run.report if e["status"] == "skipped"]
        if skipped and run.skipped_count <= max_errors:
            for entry in skipped:
                out.write(f"  第 {entry['row']} 行跳过: {entry['message']}")
