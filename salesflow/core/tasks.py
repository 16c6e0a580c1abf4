"""Periodic housekeeping of the shared kernel."""

import datetime

from django.utils import timezone
from django_tasks import task

from .jobs import periodic
from .models import WorkerHeartbeat


@periodic("core.prune_heartbeats", every=datetime.timedelta(hours=1))
@task()
def prune_heartbeats() -> int:
    """Forget workers that have not been seen for a day (idempotent)."""
    cutoff = timezone.now() - datetime.timedelta(days=1)
    deleted, _ = WorkerHeartbeat.objects.filter(seen_at__lt=cutoff).delete()
    return deleted


@periodic("core.purge_recycle_bin", at=datetime.time(3, 0))
@task()
def purge_recycle_bin() -> int:
    """Nightly: remove what has been in the recycle bin longer than the retention setting."""
    from .recycle import purge_expired

    return purge_expired()
