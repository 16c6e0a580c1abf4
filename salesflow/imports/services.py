"""Writes of the import module: uploads, profiles, starting a run (in the request or as a
background job), undo. Every action is audited."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from salesflow.core.audit import audit, snapshot
from salesflow.core.errors import NotAllowed, ValidationError
from salesflow.core.settings_registry import get_setting

from .engine import execute_run, load_sheet
from .entities import get_entity
from .mapping import Profile
from .models import ImportProfile, ImportRun, RunMode, RunStatus
from .reading import detect_kind


def importable_entities(user):
    from .entities import all_entities

    return [e for e in all_entities() if e.can_import(user)]


def require_import_right(user, entity_key: str):
    try:
        entity = get_entity(entity_key)
    except KeyError:
        raise ValidationError({"entity": _("未知的导入对象。")}) from None
    if not entity.can_import(user):
        raise NotAllowed(_("没有导入%(e)s的权限。") % {"e": entity.label})
    return entity


def check_upload(name: str, data: bytes) -> None:
    limit = int(get_setting("import.max_upload_mb")) * 1024 * 1024
    if not data:
        raise ValidationError({"file": _("文件是空的。")})
    if len(data) > limit:
        raise ValidationError(
            {"file": _("文件超过 %(mb)s MB 上限。") % {"mb": get_setting("import.max_upload_mb")}}
        )
    detect_kind(data)  # content, not the name, decides the format


def run_upload(*, actor, entity_key: str, file_name: str, data: bytes, profile=None) -> ImportRun:
    """Store an upload for mapping; with a profile its mapping is taken over."""
    entity = require_import_right(actor, entity_key)
    check_upload(file_name, data)
    if profile is not None and profile.entity != entity.key:
        raise ValidationError({"profile": _("该方案用于导入其他对象。")})
    config = dict(profile.config) if profile is not None else Profile(entity=entity.key).to_json()
    config["entity"] = entity.key
    with transaction.atomic():
        run = ImportRun.objects.create(
            entity=entity.key,
            file_name=file_name[:255],
            file_data=data,
            profile=profile,
            config=config,
            created_by=actor,
        )
        audit(actor=actor, action="import.upload", obj=run, message=file_name)
    return run


def run_set_mapping(*, actor, run: ImportRun, profile: Profile) -> ImportRun:
    if run.created_by_id != actor.pk or run.status != RunStatus.UPLOADED:
        raise NotAllowed(_("只能修改自己尚未运行的导入。"))
    run.config = profile.to_json()
    run.save(update_fields=["config"])
    return run


def run_start(
    *, actor, run: ImportRun, mode: str, dry_run: bool, background: bool | None = None
) -> ImportRun:
    """Run now, or — for files over the ``import.background_rows`` setting — queue a background
    job (enqueued once the transaction commits) that the worker runs; the page polls it."""
    if run.created_by_id != actor.pk:
        raise NotAllowed(_("只能运行自己上传的导入。"))
    if run.status not in (RunStatus.UPLOADED, RunStatus.DONE) or (
        run.status == RunStatus.DONE and not run.dry_run
    ):
        raise ValidationError(_("该导入已经运行过。"))
    profile = Profile.from_json(run.config)
    require_import_right(actor, profile.entity)
    if mode not in RunMode.values:
        raise ValidationError({"mode": _("请选择导入模式。")})
    sheet = load_sheet(bytes(run.file_data), profile)
    run.mode, run.dry_run, run.total_rows = mode, dry_run, len(sheet.rows)
    run.processed_rows = 0
    if background is None:
        background = run.total_rows > int(get_setting("import.background_rows"))
    if not background:
        run.save(update_fields=["mode", "dry_run", "total_rows", "processed_rows"])
        return execute_run(run, sheet=sheet)  # the file is read once
    run.status = RunStatus.QUEUED
    run.save(update_fields=["mode", "dry_run", "total_rows", "processed_rows", "status"])
    from .tasks import run_import

    transaction.on_commit(lambda: run_import.enqueue(run_id=run.pk))
    return run


def run_again_for_real(*, actor, run: ImportRun, mode: str) -> ImportRun:
    """After a dry run: the same file and mapping as a new, real run."""
    if run.created_by_id != actor.pk:
        raise NotAllowed(_("只能运行自己上传的导入。"))
    fresh = ImportRun.objects.create(
        entity=run.entity,
        file_name=run.file_name,
        file_data=bytes(run.file_data),
        profile=run.profile,
        config=run.config,
        created_by=actor,
    )
    audit(actor=actor, action="import.upload", obj=fresh, message=run.file_name)
    return run_start(actor=actor, run=fresh, mode=mode, dry_run=False)


# --- profiles -----------------------------------------------------------------------------------


def profile_save(*, actor, profile: Profile, name: str) -> ImportProfile:
    require_import_right(actor, profile.entity)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("请填写方案名称。")})
    profile.name = name
    with transaction.atomic():
        obj = ImportProfile.objects.select_for_update().filter(name=name).first()
        before = snapshot(obj) if obj else None
        if (
            obj is not None
            and obj.created_by_id not in (None, actor.pk)
            and not (actor.is_superuser or get_entity("user").can_import(actor))
        ):
            raise NotAllowed(_("已有同名方案，由他人创建，请换一个名称。"))
        obj = obj or ImportProfile(name=name, created_by=actor)
        obj.entity, obj.config = profile.entity, profile.to_json()
        obj.save()
        audit(
            actor=actor,
            action="import_profile.change" if before else "import_profile.create",
            obj=obj,
            before=before,
            after=snapshot(obj),
        )
    return obj


def profile_load(*, actor, data: bytes | str, name: str = "") -> ImportProfile:
    """Import a profile from its JSON file."""
    if isinstance(data, bytes):
        data = data.decode("utf-8-sig", errors="replace")
    profile = Profile.from_json(data)
    return profile_save(actor=actor, profile=profile, name=name or profile.name)


def profile_delete(*, actor, profile: ImportProfile) -> None:
    if profile.created_by_id != actor.pk and not actor.is_superuser:
        raise NotAllowed(_("只能删除自己创建的方案。"))
    audit(actor=actor, action="import_profile.delete", obj=profile, before=snapshot(profile))
    profile.delete()
