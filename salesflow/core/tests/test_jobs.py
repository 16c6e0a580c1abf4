import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from salesflow.core import jobs
from salesflow.core.models import ScheduledJob, WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_schedule_tick_enqueues_each_due_job_once():
    now = timezone.now()
    first = jobs.schedule_tick(now)
    assert "core.prune_heartbeats" in first
    # Same instant again (a second worker): nothing is due any more.
    assert jobs.schedule_tick(now) == []
    row = ScheduledJob.objects.get(name="core.prune_heartbeats")
    assert row.next_run_at == now + datetime.timedelta(hours=1)
    assert jobs.schedule_tick(now + datetime.timedelta(hours=1)) == first


def test_prune_heartbeats_task_is_idempotent():
    from salesflow.core.tasks import prune_heartbeats

    old = timezone.now() - datetime.timedelta(days=2)
    WorkerHeartbeat.objects.create(worker_id="gone", seen_at=old)
    WorkerHeartbeat.objects.create(worker_id="alive")
    prune_heartbeats.call()
    prune_heartbeats.call()
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["alive"]


def test_worker_once_beats_and_schedules():
    call_command("run_worker", "--once", "--worker-id", "test-worker")
    assert WorkerHeartbeat.objects.filter(worker_id="test-worker").exists()
    assert ScheduledJob.objects.filter(name="core.prune_heartbeats").exists()


def test_healthz_reports_worker_heartbeat(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "worker": "no heartbeat",
    }
    jobs.heartbeat("w1")
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"
