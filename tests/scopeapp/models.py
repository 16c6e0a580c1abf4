"""Owned models used only by the data-scope tests (no migrations: created for the test run)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from salesflow.core import scope


def _entered_by_me_or_assignable(user, action):
    # "Records they entered" for everyone; "unassigned records" for those who assign them.
    q = Q(created_by=user)
    if scope.has_right(user, "lead", "assign"):
        q |= Q(owner__isnull=True)
    return q


@scope.register(object_type="lead", extra=_entered_by_me_or_assignable)
class Thing(models.Model):
    name = models.CharField(max_length=50)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )

    objects = scope.ScopedManager()

    def __str__(self):
        return self.name


class UnregisteredThing(models.Model):
    """Has an owner but no scope registration: the registry test must notice it."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    def __str__(self):
        return str(self.pk)
