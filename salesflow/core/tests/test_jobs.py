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
    assert "core.prune_heartbeats" in jobs.schedule_tick(now + datetime.timedelta(hours=1))


def test_daily_job_runs_at_its_local_time():
    import zoneinfo

    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    job = jobs.Periodic("x", None, datetime.timedelta(days=1), datetime.time(2, 0))
    at_one = datetime.datetime(2026, 3, 2, 1, 0, tzinfo=shanghai)
    assert job.next_run(at_one) == datetime.datetime(2026, 3, 2, 2, 0, tzinfo=shanghai)
    at_three = datetime.datetime(2026, 3, 2, 3, 0, tzinfo=shanghai)
    assert job.next_run(at_three) == datetime.datetime(2026, 3, 3, 2, 0, tzinfo=shanghai)


def test_prune_heartbeats_task_is_idempotent():
    from salesflow.core.tasks import prune_heartbeats

    old = timezone.now() - datetime.timedelta(days=2)
    WorkerHeartbeat.objects.create(worker_id="gone", seen_at=old)
    WorkerHeartbeat.objects.create(worker_id="alive")
    prune_heartbeats.call()
    prune_heartbeats.call()
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["alive"]


@pytest.mark.django_db(transaction=True)  # the worker closes stale connections, as in production
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
