"""Undo of an import: what it created and nobody has touched since goes away through the
owning app's delete action (customers, contacts, leads and opportunities to the recycle bin,
restorable for its retention period; users deactivated, since their history must keep its
author; empty departments and unused products deleted). What cannot be undone is listed with
the reason."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.core.audit import audit, snapshot
from salesflow.core.errors import DomainError, NotAllowed
from salesflow.core.models import AuditEntry

from .models import ImportedRecord, ImportRun, RunStatus

CANNOT_UNDO = [
    _("导入时更新的已有记录不会恢复原值（原值可在审计日志中查到）。"),
    _("导入后被修改过的记录（有新的操作记录）会保留。"),
    _("导入后被其他记录引用的客户、产品和部门会保留。"),
    _("导入的用户会被停用而不是删除，以保留其操作历史；仍有成员的部门会被停用。"),
    _("导入的订单不会撤销（请在订单页面取消）；导入的回款会冲销。"),
]


def _changed_since(record: ImportedRecord, obj, since) -> bool:
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    return AuditEntry.objects.filter(content_type=ct, object_id=str(obj.pk), at__gt=since).exists()


def _blocker(obj, created_ids: dict) -> str:
    """Why removing ``obj`` would take others' records with it ("" when it would not)."""
    label = obj._meta.label_lower
    if label == "customers.customer":
        others = obj.opportunities.exclude(pk__in=created_ids.get("pipeline.opportunity", ()))
        if others.exists():
            return _("已有其他商机关联该客户。")
    if label == "deals.product":
        from salesflow.deals.models import QuoteLine

        if QuoteLine.objects.filter(product=obj).exists():
            return _("产品已被报价使用。")
    if label == "deals.order":
        return _("订单请在订单页面取消（可能已进入发货或信用审批）。")
    if label == "org.department" and (
        obj.children.filter(is_active=True).exists() or obj.members.filter(is_active=True).exists()
    ):
        return _("部门下还有成员或下级部门。")
    return ""


def _remove(obj, actor) -> None:
    label = obj._meta.label_lower
    if label == "customers.customer":
        from salesflow.customers.services import customer_delete

        customer_delete(actor=actor, customer_id=obj.pk)
    elif label == "leads.lead":
        from salesflow.leads.services import lead_delete

        lead_delete(actor=actor, lead_id=obj.pk)
    elif label == "pipeline.opportunity":
        from salesflow.pipeline.services import opportunity_delete

        opportunity_delete(actor=actor, opportunity_id=obj.pk)
    elif label == "deals.receipt":
        from salesflow.deals.services import receipt_delete

        receipt_delete(actor=actor, receipt_id=obj.pk, reason=_("撤销导入"))
    elif label == "customers.contact":
        from salesflow.core.scope import has_right

        if not has_right(actor, "contact", "delete"):
            raise NotAllowed(_("没有删除联系人的权限。"))
        obj.mark_deleted(actor)
        audit(actor=actor, action="contact.delete", obj=obj, message=_("撤销导入"))
    elif label == "org.user":
        before = snapshot(obj)
        obj.is_active = False
        obj.save(update_fields=["is_active"])
        audit(
            actor=actor,
            action="user.change",
            obj=obj,
            before=before,
            after=snapshot(obj),
            message=_("撤销导入：停用"),
        )
    elif label == "org.department" and (obj.members.exists() or obj.children.exists()):
        # deactivated users still belong to it: the team is closed, not deleted
        before = snapshot(obj)
        obj.is_active = False
        obj.save(update_fields=["is_active"])
        audit(
            actor=actor,
            action="department.change",
            obj=obj,
            before=before,
            after=snapshot(obj),
            message=_("撤销导入：停用"),
        )
    else:  # products, empty departments: no recycle bin; removed when nothing refers to them
        audit(
            actor=actor,
            action=f"{label.split('.')[1]}.delete",
            obj=obj,
            before=snapshot(obj),
            message=_("撤销导入"),
        )
        obj.delete()


def undo_run(*, actor, run: ImportRun) -> ImportRun:
    from django.apps import apps

    if run.created_by_id != actor.pk and not actor.is_superuser:
        raise NotAllowed(_("只能撤销自己的导入。"))
    if run.dry_run or run.status != RunStatus.DONE:
        raise DomainError(_("只有已完成的正式导入可以撤销。"))
    since = run.finished_at or run.created_at
    records = list(run.records.filter(action=ImportedRecord.Action.CREATED, undone=False))
    created_ids: dict[str, set] = {}
    for r in records:
        created_ids.setdefault(r.model_label, set()).add(r.object_id)
    report = []
    removed = 0
    for record in sorted(records, key=lambda r: (-r.row_number, -r.pk)):
        model = apps.get_model(record.model_label)
        manager = getattr(model, "all_objects", model._default_manager)
        obj = manager.filter(pk=record.object_id).first()
        if obj is None or getattr(obj, "deleted_at", None) is not None:
            record.undone = True
            record.save(update_fields=["undone"])
            continue
        reason = ""
        if _changed_since(record, obj, since):
            reason = _("导入后已被修改。")
        else:
            reason = _blocker(obj, created_ids)
        if not reason:
            try:
                with transaction.atomic():
                    _remove(obj, actor)
                    record.undone = True
                    record.save(update_fields=["undone"])
                removed += 1
                continue
            except (DomainError, PermissionDenied, Http404) as exc:
                reason = str(getattr(exc, "message", exc))
        report.append({"row": record.row_number, "object": str(obj), "reason": str(reason)})
    run.undo_report = report
    run.undone_at = timezone.now()
    if not report:
        run.status = RunStatus.UNDONE
    run.save(update_fields=["undo_report", "undone_at", "status"])
    audit(
        actor=actor,
        action="import.undo",
        obj=run,
        after={"removed": removed, "kept": len(report)},
        message=run.file_name,
    )
    return run
