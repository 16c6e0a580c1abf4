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
from .context import request_cache


def collaborator_ids(model_label: str, user, action: str) -> list[int]:
    """Ids of the ``model_label`` records ("customers.customer") where the user is a
    collaborator — for viewing, and for changing when added with edit rights (deleting,
    assigning, exporting or approving stay with the owner's side). Read once per request, so
    the big table's filter stays a plain index lookup instead of an OR with a subquery."""
    if action not in ("view", "change"):
        return []
    from .models import Collaborator

    cache = request_cache().setdefault("collaborations", {})
    key = (model_label, user.pk, action == "view")
    if key not in cache:
        app_label, model_name = model_label.split(".")
        content_type = ContentType.objects.get_by_natural_key(app_label, model_name)
        rows = Collaborator.objects.filter(content_type=content_type, user=user)
        if action != "view":
            rows = rows.filter(can_edit=True)
        cache[key] = sorted(rows.values_list("object_id", flat=True)[:5000])
    return cache[key]


def collaborator_extra(model_label: str):
    """A scope ``extra``: the records where the user is a collaborator (see above)."""

    def extra(user, action):
        ids = collaborator_ids(model_label, user, action)
        return Q(pk__in=ids) if ids else None

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
