"""Background jobs: periodic schedule and the worker loop.

Jobs are ``django_tasks`` tasks. Periodic ones are declared with ``periodic(name, every=…)``;
the worker's scheduler tick claims due ``ScheduledJob`` rows (SKIP LOCKED on PostgreSQL, the
exclusive write transaction on SQLite), enqueues the task and moves ``next_run_at`` on, so a run
is enqueued once however many workers are running. Jobs must be idempotent: delivery is
at-least-once. Enqueue from a service only inside ``transaction.on_commit``.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from .models import ScheduledJob, WorkerHeartbeat

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    task: object  # a django_tasks Task
    every: datetime.timedelta
    at: datetime.time | None = None  # local time of day for daily jobs

    def next_run(self, now: datetime.datetime) -> datetime.datetime:
        if self.at is None:
            return now + self.every
        local = timezone.localtime(now)
        candidate = local.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
        while candidate <= local:
            candidate += datetime.timedelta(days=1)
        return candidate


_periodic: dict[str, Periodic] = {}


def periodic(
    name: str,
    *,
    every: datetime.timedelta = datetime.timedelta(days=1),
    at: datetime.time | None = None,
):
    """Decorator for a task object: run it every ``every`` (the first run on the worker's
    first tick), or daily at local time ``at`` (e.g. the nightly 公海 recycle at 02:00)."""

    def decorator(task):
        _periodic[name] = Periodic(name, task, every, at)
        return task

    return decorator


def periodic_jobs() -> dict[str, Periodic]:
    return dict(_periodic)


def schedule_tick(now: datetime.datetime | None = None) -> list[str]:
    """Enqueue every periodic job that is due; returns the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    for job in _periodic.values():
        first = now if job.at is None else job.next_run(now)
        ScheduledJob.objects.get_or_create(name=job.name, defaults={"next_run_at": first})
    with transaction.atomic():
        due = ScheduledJob.objects.filter(name__in=list(_periodic), next_run_at__lte=now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        for row in due:
            job = _periodic[row.name]
            result = job.task.enqueue()
            row.last_run_at = now
            row.last_enqueued_id = str(getattr(result, "id", ""))[:64]
            row.next_run_at = job.next_run(now)
            row.save(update_fields=["last_run_at", "last_enqueued_id", "next_run_at"])
            enqueued.append(row.name)
    return enqueued


def heartbeat(worker_id: str) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id, defaults={"seen_at": timezone.now()}
    )
