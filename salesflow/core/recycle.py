"""The recycle bin (回收站): soft-deleted leads, customers, contacts (any ``SoftDeleteModel``)
stay restorable by an administrator for ``core.recycle_days`` days (default 15), then the
nightly job purges them."""

from __future__ import annotations

import datetime

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit
from .collab import SoftDeleteModel
from .errors import NotAllowed
from .scope import has_right
from .settings_registry import get_setting


def recyclable_models() -> list:
    return [
        m
        for m in apps.get_models()
        if issubclass(m, SoftDeleteModel) and m.__module__.startswith("salesflow.")
    ]


def model_by_label(label: str):
    for model in recyclable_models():
        if model._meta.label_lower == label:
            return model
    raise LookupError(label)


def deleted_items(*, limit_per_model: int = 200) -> list[dict]:
    items = []
    for model in recyclable_models():
        rows = (
            model.all_objects.filter(deleted_at__isnull=False)
            .select_related("deleted_by")
            .order_by("-deleted_at")[:limit_per_model]
        )
        for row in rows:
            items.append(
                {
                    "label": model._meta.label_lower,
                    "kind": model._meta.verbose_name,
                    "object": row,
                    "purge_at": row.deleted_at
                    + datetime.timedelta(days=get_setting("core.recycle_days")),
                }
            )
    return sorted(items, key=lambda item: item["object"].deleted_at, reverse=True)


def recycle_restore(*, actor, label: str, pk: int):
    if not has_right(actor, "core.recycle", "change"):
        raise NotAllowed(_("只有管理员可以从回收站恢复。"))
    model = model_by_label(label)
    with transaction.atomic():
        row = model.all_objects.select_for_update().get(pk=pk, deleted_at__isnull=False)
        row.deleted_at, row.deleted_by = None, None
        row.save(update_fields=["deleted_at", "deleted_by"])
        audit(actor=actor, action=f"{model._meta.model_name}.restore", obj=row)
    return row


def purge_expired(*, now: datetime.datetime | None = None) -> int:
    """Delete for good what has been in the bin longer than the retention (idempotent)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=get_setting("core.recycle_days"))
    purged = 0
    for model in recyclable_models():
        expired = model.all_objects.filter(deleted_at__lt=cutoff)
        for row in expired.iterator():
            with transaction.atomic():
                audit(actor=None, action=f"{model._meta.model_name}.purge", obj=row)
                row.delete()
                purged += 1
    return purged
