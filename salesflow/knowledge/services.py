"""Every write of the knowledge base: save a handbook page, a script or a case (each save is a
new version with a "what changed" note) and restore an old version (as a new version)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.core.audit import audit
from salesflow.core.errors import DomainError
from salesflow.core.scope import has_right
from salesflow.pipeline.models import (
    Opportunity,
    OpportunityStatus,
    ProcessTemplate,
    Stage,
)

from . import search
from .models import MODELS, BestCase, HandbookPage, Kind, Revision, SalesScript

#: The versioned fields of each kind, in display order (a foreign key by its ``_id``).
FIELDS = {
    Kind.PAGE: ["what_to_do", "tips", "mistakes"],
    Kind.SCRIPT: ["title", "script", "tags", "template_id", "stage_name"],
    Kind.CASE: [
        "title",
        "summary",
        "situation",
        "approach",
        "result",
        "lessons",
        "tags",
        "opportunity_id",
    ],
}
MAX_NOTE = 500


def snapshot(obj) -> dict:
    return {name: getattr(obj, name) for name in FIELDS[obj.KIND]}


def _value(name: str, value):
    """Text fields stripped (None → ""), foreign keys as an id or None."""
    if name.endswith("_id"):
        return value or None
    return (value or "").strip() if isinstance(value, str) or value is None else value


def _check_right(actor, action: str) -> None:
    if not has_right(actor, "knowledge", action):
        raise PermissionDenied(_("没有编辑知识库的权限。"))


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写本次修改了什么。")})
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": _("变更说明不能超过 %(n)s 字。") % {"n": MAX_NOTE}})
    return note


def _stage_names(template_id: int | None) -> set[str]:
    stages = Stage.objects.all()
    if template_id:
        stages = stages.filter(version__template_id=template_id)
    return set(stages.values_list("name", flat=True))


def _search_text(obj) -> str:
    if obj.KIND == Kind.PAGE:
        return search.search_text_for(obj.stage_name, obj.what_to_do, obj.tips, obj.mistakes)
    if obj.KIND == Kind.SCRIPT:
        return search.search_text_for(obj.title, obj.script, obj.tags, obj.stage_name)
    return search.search_text_for(
        obj.title,
        obj.summary,
        obj.situation,
        obj.approach,
        obj.result,
        obj.lessons,
        obj.tags,
    )


def _validate(actor, obj, before: dict | None) -> None:
    errors = {}
    if obj.KIND == Kind.PAGE:
        if not obj.what_to_do:
            errors["what_to_do"] = _("请填写本阶段要做什么。")
    elif obj.KIND == Kind.SCRIPT:
        if not obj.title:
            errors["title"] = _("请填写使用场景。")
        if not obj.script:
            errors["script"] = _("请填写话术内容。")
        if obj.template_id and not ProcessTemplate.objects.filter(pk=obj.template_id).exists():
            errors["template"] = _("流程模板不存在。")
        elif obj.stage_name and obj.stage_name not in _stage_names(obj.template_id):
            errors["stage_name"] = _("该流程中没有这个阶段。")
    else:
        if not obj.title:
            errors["title"] = _("请填写标题。")
        if not obj.summary:
            errors["summary"] = _("请填写摘要。")
        relinked = before is None or before["opportunity_id"] != obj.opportunity_id
        errors.update(_case_opportunity_errors(actor, obj, check_scope=relinked))
    if errors:
        raise ValidationError(errors)


def _case_opportunity_errors(actor, case: BestCase, *, check_scope: bool) -> dict:
    """A case links a won opportunity; a new link must be one the writer can see (no linking
    by a guessed id), while editing the text of a case keeps its link whoever edits it."""
    if not case.opportunity_id:
        return {"opportunity": _("请选择一个赢单商机。")}
    opportunities = (
        Opportunity.objects.restrict(actor, "view") if check_scope else Opportunity.objects
    )
    opp = opportunities.filter(pk=case.opportunity_id).only("status").first()
    if opp is None:
        return {"opportunity": _("商机不存在或不在您的数据范围内。")}
    if opp.status != OpportunityStatus.WON:
        return {"opportunity": _("标杆案例只能关联已赢单的商机。")}
    return {}


def _save(*, actor, obj, data: dict, note: str, restored_from: int | None = None):
    """Apply ``data`` (versioned fields only) to ``obj`` and write the next version."""
    kind = obj.KIND
    note = _clean_note(note)
    is_new = obj.pk is None
    before = None if is_new else snapshot(obj)
    for name in FIELDS[kind]:
        if name in data:
            setattr(obj, name, _value(name, data[name]))
    _validate(actor, obj, before)
    after = snapshot(obj)
    if before is not None and before == after:
        raise ValidationError(_("内容与当前版本相同，没有需要保存的修改。"))
    now = timezone.now()
    obj.version = 1 if is_new else obj.version + 1
    obj.search_text = _search_text(obj)
    obj.updated_by, obj.updated_at = actor, now
    if is_new:
        obj.created_by, obj.created_at = actor, now
    obj.save()
    Revision.objects.create(
        kind=kind,
        object_id=obj.pk,
        number=obj.version,
        data=after,
        note=note,
        restored_from=restored_from,
        author=actor,
        created_at=now,
    )
    audit(
        actor=actor,
        action=f"knowledge.{kind}.{'create' if is_new else 'change'}",
        obj=obj,
        before=before,
        after=after,
        message=note,
    )
    return obj


def _locked(model, pk: int):
    obj = model.objects.select_for_update().filter(pk=pk).first()
    if obj is None:
        raise DomainError(_("内容不存在。"), code="not_found")
    return obj


def page_save(*, actor, template_id: int, stage_name: str, data: dict, note: str) -> HandbookPage:
    """Write (or first create) the handbook page of ``stage_name`` in a process template."""
    with transaction.atomic():
        page = (
            HandbookPage.objects.select_for_update()
            .filter(template_id=template_id, stage_name=stage_name)
            .first()
        )
        _check_right(actor, "add" if page is None else "change")
        if page is None:
            if stage_name not in _stage_names(template_id) or not template_id:
                raise ValidationError({"stage_name": _("该流程中没有这个阶段。")})
            page = HandbookPage(template_id=template_id, stage_name=stage_name)
        return _save(actor=actor, obj=page, data=data, note=note)


def script_save(*, actor, data: dict, note: str, script_id: int | None = None) -> SalesScript:
    with transaction.atomic():
        _check_right(actor, "add" if script_id is None else "change")
        script = SalesScript() if script_id is None else _locked(SalesScript, script_id)
        return _save(actor=actor, obj=script, data=data, note=note)


def case_save(*, actor, data: dict, note: str, case_id: int | None = None) -> BestCase:
    with transaction.atomic():
        _check_right(actor, "add" if case_id is None else "change")
        case = BestCase() if case_id is None else _locked(BestCase, case_id)
        return _save(actor=actor, obj=case, data=data, note=note)


def revision_restore(*, actor, kind: str, object_id: int, number: int, note: str = ""):
    """Make version ``number`` the current content again, as a new version (the versions in
    between stay in the history)."""
    with transaction.atomic():
        _check_right(actor, "change")
        obj = _locked(MODELS[kind], object_id)
        revision = Revision.objects.filter(kind=kind, object_id=object_id, number=number).first()
        if revision is None:
            raise DomainError(_("没有这个版本。"), code="not_found")
        if number == obj.version:
            raise DomainError(_("这已经是当前版本。"), code="current")
        text = _("恢复到第 %(number)s 版") % {"number": number}
        if (note or "").strip():
            text = f"{text}：{note.strip()}"
        return _save(actor=actor, obj=obj, data=revision.data, note=text, restored_from=number)
