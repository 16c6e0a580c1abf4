"""Collaborators (团队成员) and the recycle bin, shared by leads, customers and opportunities.

A collaborator sees a record whatever their own data scope (read, or read + edit); the scope
``extra`` built here is plugged into ``scope.register`` by each owned model.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import scope


def collaborator_extra(model_label: str):
    """A scope ``extra`` for ``model_label`` ("customers.customer"): records where the user is
    a collaborator — for viewing, and for changing when added with edit rights. Deleting,
    assigning, exporting or approving stay with the owner's side."""

    def extra(user, action):
        from .models import Collaborator

        if action not in ("view", "change"):
            return None
        app_label, model_name = model_label.split(".")
        content_type = ContentType.objects.get_by_natural_key(app_label, model_name)
        rows = Collaborator.objects.filter(content_type=content_type, user=user)
        if action != "view":
            rows = rows.filter(can_edit=True)
        return Q(pk__in=rows.values("object_id"))

    return extra


def combine_extras(*extras):
    def extra(user, action):
        q = None
        for item in extras:
            part = item(user, action)
            if part is not None:
                q = part if q is None else q | part
        return q

    return extra


class LiveQuerySet(scope.ScopedQuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)


class LiveManager(models.Manager.from_queryset(LiveQuerySet)):
    """Default manager of recycle-bin models: deleted rows are invisible everywhere."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class RecycleBinManager(models.Manager.from_queryset(LiveQuerySet)):
    """Every row, deleted or not (recycle bin and purge job only)."""


class SoftDeleteModel(models.Model):
    deleted_at = models.DateTimeField(_("删除时间"), null=True, blank=True, db_index=True)
    deleted_by = models.ForeignKey(
        "org.User",
        verbose_name=_("删除人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = LiveManager()
    all_objects = RecycleBinManager()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    def mark_deleted(self, actor) -> None:
        self.deleted_at = timezone.now()
        self.deleted_by = actor if getattr(actor, "is_authenticated", False) else None
        self.save(update_fields=["deleted_at", "deleted_by"])
