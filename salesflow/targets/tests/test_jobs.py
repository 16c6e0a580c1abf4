"""The periodic jobs: registered with the worker's schedule; the monthly target checkpoint
reminds owners once, by the 5th on the working calendar."""

import datetime
from decimal import Decimal

from django.utils import timezone

from salesflow.activities.models import Notification
from salesflow.core.jobs import periodic_jobs
from salesflow.targets import checkpoints
from salesflow.targets.models import Level, Metric, PeriodKind, SalesReport, Target

from .conftest import customer, order


def local(*args):
    return timezone.make_aware(datetime.datetime(*args))


def test_jobs_are_scheduled():
    jobs = periodic_jobs()
    assert jobs["targets.reports"].every == datetime.timedelta(hours=1)
    assert jobs["targets.checkpoint"].at == datetime.time(9, 0)


def test_report_job_runs_the_sweep(people):
    from salesflow.targets.tasks import report_sweep

    counts = report_sweep.call()
    assert counts["drafted"] == 3 * 4  # three reps × (this/last week, this/last month)
    assert SalesReport.objects.filter(owner=people["rep"]).count() == 4


def test_checkpoint_window_on_the_working_calendar(db):
    # 5 Oct 2025 is in the National Day holiday: the September checkpoint is due on the next
    # working day, Thursday 9 Oct.
    assert checkpoints.checkpoint_for(datetime.date(2025, 10, 1)) == (
        datetime.date(2025, 9, 1),
        datetime.date(2025, 9, 30),
        datetime.date(2025, 10, 9),
    )
    assert checkpoints.checkpoint_for(datetime.date(2025, 10, 10)) is None
    # 5 Sep 2025 is a Friday (a working day)
    assert checkpoints.checkpoint_for(datetime.date(2025, 9, 5))[2] == datetime.date(2025, 9, 5)


def test_quarterly_checkpoint(make_user):
    from salesflow.core.services import setting_change

    setting_change(
        actor=make_user("admin"), key="target.checkpoint_period", value="quarter", reason="按季"
    )
    assert checkpoints.checkpoint_for(datetime.date(2025, 9, 2)) is None
    assert checkpoints.checkpoint_for(datetime.date(2025, 10, 1))[:2] == (
        datetime.date(2025, 7, 1),
        datetime.date(2025, 9, 30),
    )


def test_checkpoint_reminds_each_owner_once_with_completion(people):
    rep = people["rep"]
    Target.objects.create(
        metric=Metric.SALES_AMOUNT,
        period_kind=PeriodKind.MONTH,
        period_start=datetime.date(2025, 9, 1),
        period_end=datetime.date(2025, 9, 30),
        level=Level.PERSON,
        value=Decimal("1000"),
        owner=rep,
    )
    Target.objects.create(  # next month's target: not part of the September checkpoint
        metric=Metric.SALES_AMOUNT,
        period_kind=PeriodKind.MONTH,
        period_start=datetime.date(2025, 10, 1),
        period_end=datetime.date(2025, 10, 31),
        level=Level.PERSON,
        value=Decimal("1000"),
        owner=people["rep_b"],
    )
    order(rep, customer(rep), "800", datetime.date(2025, 9, 20))
    assert checkpoints.checkpoint_sweep(now=local(2025, 10, 8, 9)) == 1
    assert checkpoints.checkpoint_sweep(now=local(2025, 10, 9, 9)) == 0
    note = Notification.objects.get(kind="target.checkpoint")
    assert note.user == rep and "2025-10-09" in note.title and "80%" in note.body
    assert checkpoints.checkpoint_sweep(now=local(2025, 10, 10, 9)) == 0  # closed
