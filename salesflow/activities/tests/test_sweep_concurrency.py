"""With PostgreSQL and two worker processes sweeping at the same moment, an overdue A-class lead
produces exactly one reminder (per recipient). Skipped on SQLite (one writer at a time there).

Run locally: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/salesflow pytest
salesflow/activities``.
"""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from salesflow.leads.models import LeadGrade

from ..models import Notification, Reminder
from .followup_fixtures import H, lead_for, people

FIXTURES = (people,)  # imported fixtures, used as test parameters
ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.pg,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (row locks, two writers)"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

#: A worker process that sweeps at an agreed moment (so both run at the same time).
SWEEP_AT = """
import sys, time
import django
django.setup()
from salesflow.activities.sweep import sla_sweep
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
print(sla_sweep())
"""


def _test_database_url() -> str:
    """The URL of the test database (its name differs from the configured one)."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{s['NAME']}"


def _env() -> dict:
    env = dict(os.environ)
    env["DATABASE_URL"] = _test_database_url()
    # The settings of this run (tests.settings: the Immediate task backend, as here).
    env["DJANGO_SETTINGS_MODULE"] = settings.SETTINGS_MODULE
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *(p for p in sys.path if p)])
    return env


def _run_pair(args_for) -> list[subprocess.CompletedProcess]:
    env = _env()
    processes = [
        subprocess.Popen(
            args_for(index),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(2)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
        assert process.returncode == 0, err
    return results


def _overdue_a_lead(people):
    now = timezone.now()
    return lead_for(
        people["rep"],
        grade=LeadGrade.A,
        graded_at=now - 30 * H,
        first_contact_due_at=now - 2 * H,
    )


def _assert_one_reminder_each(people, lead):
    owner_notes = Notification.objects.filter(user=people["rep"], kind="lead.sla")
    assert owner_notes.count() == 1
    assert lead.company_name in owner_notes.get().title
    assert Notification.objects.filter(user=people["manager"], kind="lead.sla").count() == 1
    keys = list(Reminder.objects.filter(key__startswith=f"lead.a_contact:{lead.pk}:"))
    assert len(keys) == 2


def test_two_processes_sweeping_at_once_send_one_reminder(people):
    lead = _overdue_a_lead(people)
    start = time.time() + 4  # both processes are set up by then
    results = _run_pair(lambda _i: [sys.executable, "-c", SWEEP_AT, str(start)])
    sent = [int(r.stdout.strip().splitlines()[-1]) for r in results]
    assert sum(sent) == 2  # owner + manager, shared between the two workers
    _assert_one_reminder_each(people, lead)


def test_two_run_worker_once_processes_send_one_reminder(people):
    lead = _overdue_a_lead(people)
    _run_pair(
        lambda i: [
            sys.executable,
            "manage.py",
            "run_worker",
            "--once",
            "--worker-id",
            f"test-{i}",
        ]
    )
    _assert_one_reminder_each(people, lead)
