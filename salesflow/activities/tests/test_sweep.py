"""The periodic reminder jobs: the SLA sweep (every minute; each reminder once; breaches also to
the owner's manager) and the cadence digest (working days 08:30, one per person)."""

import datetime

import pytest
from django.utils import timezone

from salesflow.core.jobs import periodic_jobs
from salesflow.leads.models import LeadGrade, LeadStatus
from salesflow.pipeline.models import Opportunity

from .. import services, sweep
from ..models import Notification, Reminder
from .followup_fixtures import H, at, customer_for, lead_for, opportunity_for, people

pytestmark = pytest.mark.django_db
FIXTURES = (people,)  # imported fixtures, used as test parameters


def overdue_a_lead(owner, now):
    return lead_for(
        owner,
        grade=LeadGrade.A,
        graded_at=now - 30 * H,
        first_contact_due_at=now - 6 * H,
    )


def test_overdue_a_class_lead_reminds_owner_and_manager_once(people):
    rep, manager = people["rep"], people["manager"]
    now = timezone.now()
    lead = overdue_a_lead(rep, now)
    assert sweep.sla_sweep(now) == 2
    assert sweep.sla_sweep(now) == 0
    assert sweep.sla_sweep(now + datetime.timedelta(minutes=1)) == 0
    owner_note = Notification.objects.get(user=rep)
    assert owner_note.kind == "lead.sla" and lead.company_name in owner_note.title
    assert "已超时" in owner_note.title
    assert owner_note.url.endswith(f"/leads/{lead.pk}/")
    manager_note = Notification.objects.get(user=manager)
    assert manager_note.title.startswith("下属超时")
    assert Reminder.objects.count() == 2


def test_due_soon_reminds_the_owner_only_then_the_breach_follows(people):
    rep = people["rep"]
    now = timezone.now()
    lead_for(rep, grade=LeadGrade.A, graded_at=now - 22 * H, first_contact_due_at=now + 2 * H)
    assert sweep.sla_sweep(now) == 1
    assert "即将" in Notification.objects.get(user=rep).title
    assert not Notification.objects.filter(user=people["manager"]).exists()
    assert sweep.sla_sweep(now + 3 * H) == 2  # breached: owner + manager
    assert sweep.sla_sweep(now + 4 * H) == 0


def test_contacted_or_far_or_old_deadlines_are_not_reminded(people):
    rep = people["rep"]
    now = timezone.now()
    lead_for(rep, grade=LeadGrade.A, first_contact_due_at=now - H, first_contact_at=now - 2 * H)
    lead_for(rep, grade=LeadGrade.A, first_contact_due_at=now + 10 * H)
    lead_for(rep, grade=LeadGrade.A, first_contact_due_at=now - 8 * 24 * H)  # past lookback
    lead_for(rep, grade=LeadGrade.A, first_contact_due_at=now - H, status=LeadStatus.INVALID)
    assert sweep.sla_sweep(now) == 0


def test_screening_opportunity_stage_and_task_deadlines(people):
    rep, manager = people["rep"], people["manager"]
    now = timezone.now()
    lead_for(rep, status=LeadStatus.NEW, screening_due_at=now - H)
    opp = opportunity_for(rep)
    Opportunity.objects.filter(pk=opp.pk).update(stage_due_at=now - H)
    services.task_create(actor=rep, data={"title": "发报价", "due_at": now - H})
    assert sweep.sla_sweep(now) == 6
    kinds = sorted(Notification.objects.filter(user=rep).values_list("kind", flat=True))
    assert kinds == ["lead.sla", "opportunity.sla", "task.overdue"]
    assert Notification.objects.filter(user=manager).count() == 3
    assert sweep.sla_sweep(now) == 0


def test_a_new_deadline_is_a_new_reminder(people):
    rep = people["rep"]
    now = timezone.now()
    task = services.task_create(actor=rep, data={"title": "发报价", "due_at": now - H})
    sweep.sla_sweep(now)
    services.task_update(actor=rep, task_id=task.pk, data={"due_at": now - H / 2})
    assert sweep.sla_sweep(now) == 2  # the moved deadline was missed again


# --- cadence digest ----------------------------------------------------------------------------


def test_cadence_digest_one_per_person_on_a_working_day(people):
    rep, mate = people["rep"], people["mate"]
    day = datetime.date(2025, 10, 9)  # Thursday after the National Day holidays
    morning = at(2025, 10, 9, 8, 30)
    customer_for(rep, name="甲公司", next_followup_due_at=at(2025, 10, 9, 10))
    customer_for(rep, name="乙公司", next_followup_due_at=at(2025, 9, 30, 10))  # overdue
    lead_for(rep, name="丙线索", next_followup_due_at=at(2025, 10, 9, 16))
    customer_for(mate, name="丁公司", next_followup_due_at=at(2025, 10, 20, 10))  # not yet
    assert sweep.cadence_digest(day, morning) == 1
    assert sweep.cadence_digest(day, morning) == 0
    digest = Notification.objects.get(user=rep)
    assert digest.kind == "cadence.due"
    assert "今日待跟进 2 个，逾期 1 个" in digest.title
    assert "乙公司" in digest.body and "甲公司" in digest.body and "丙线索" in digest.body
    assert digest.url == "/me/"
    assert not Notification.objects.filter(user=mate).exists()


def test_cadence_digest_counts_tasks_too(people):
    rep = people["rep"]
    services.task_create(actor=rep, data={"title": "回电", "due_at": at(2025, 10, 9, 15)})
    assert sweep.cadence_digest(datetime.date(2025, 10, 9), at(2025, 10, 9, 8, 30)) == 1
    assert "待办任务 1 个" in Notification.objects.get(user=rep).title


def test_cadence_digest_skips_non_working_days(people):
    customer_for(people["rep"], next_followup_due_at=at(2025, 9, 30, 10))
    assert sweep.cadence_digest(datetime.date(2025, 10, 1), at(2025, 10, 1, 8, 30)) == 0
    assert sweep.cadence_digest(datetime.date(2025, 10, 4), at(2025, 10, 4, 8, 30)) == 0
    assert not Notification.objects.exists()


def test_the_jobs_are_scheduled():
    jobs = periodic_jobs()
    assert jobs["activities.sla_sweep"].every == datetime.timedelta(minutes=1)
    assert jobs["activities.cadence_digest"].at == datetime.time(8, 30)
    assert jobs["activities.cadence_recompute"].at is not None


def test_the_sweep_task_runs_through_the_task_backend(people):
    from ..tasks import cadence_recompute, sla_sweep

    overdue_a_lead(people["rep"], timezone.now())
    result = sla_sweep.enqueue()
    assert result.return_value == 2
    assert cadence_recompute.enqueue().return_value >= 0


def test_the_due_soon_window_is_the_setting(people):
    from salesflow.core.models import SettingValue

    SettingValue.objects.create(key="sla.due_soon_hours", value="1")
    now = timezone.now()
    lead_for(people["rep"], grade=LeadGrade.A, first_contact_due_at=now + 2 * H)
    assert sweep.sla_sweep(now) == 0
    assert sweep.sla_sweep(now + H + H / 2) == 1
