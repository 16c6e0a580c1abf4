"""Weekly/monthly reports: due times on the working calendar, drafting from the data, late
flag and reason, comments, scope, and the sweep that drafts and reminds."""

import datetime
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone

from salesflow.activities.models import Notification
from salesflow.core.errors import NotAllowed, ValidationError
from salesflow.customers.models import Grade, Tier
from salesflow.targets import report_services as rs
from salesflow.targets import selectors
from salesflow.targets.models import ReportKind, ReportStatus, SalesReport

from .conftest import customer, opportunity, order, receipt

D = Decimal


def local(*args):
    return timezone.make_aware(datetime.datetime(*args))


class TestDueTimes:
    def test_weekly_due_monday_noon(self, db):
        assert rs.due_at(ReportKind.WEEKLY, datetime.date(2025, 9, 15)) == local(2025, 9, 22, 12, 0)

    def test_weekly_due_moves_past_a_holiday_monday(self, db):
        # Week of 29 Sep 2025: Monday 6 Oct is in the National Day holiday (1–8 Oct), so the
        # report is due on the next working day, Thursday 9 Oct, at 12:00.
        assert rs.due_at(ReportKind.WEEKLY, datetime.date(2025, 9, 29)) == local(2025, 10, 9, 12, 0)

    def test_monthly_due_last_working_day(self, db):
        # 31 Aug 2025 is a Sunday: the last working day is Friday 29 Aug.
        assert rs.due_at(ReportKind.MONTHLY, datetime.date(2025, 8, 1)) == local(2025, 8, 29, 18, 0)
        assert rs.due_at(ReportKind.MONTHLY, datetime.date(2025, 9, 1)) == local(2025, 9, 30, 18, 0)

    def test_monthly_due_follows_the_setting(self, make_user):
        from salesflow.core.services import setting_change

        setting_change(
            actor=make_user("admin"),
            key="report.monthly_due",
            value="月末 18:00",
            reason="按自然月末",
        )
        assert rs.due_at(ReportKind.MONTHLY, datetime.date(2025, 8, 1)) == local(2025, 8, 31, 18, 0)

    def test_periods(self):
        assert rs.week_of(datetime.date(2025, 10, 1)) == (
            datetime.date(2025, 9, 29),
            datetime.date(2025, 10, 5),
        )
        assert rs.month_of(datetime.date(2024, 2, 10)) == (
            datetime.date(2024, 2, 1),
            datetime.date(2024, 2, 29),
        )


def test_writers_are_reps_not_managers(people):
    writers = set(rs.report_writers())
    assert {people["rep"], people["rep_b"], people["other_rep"]} <= writers
    assert people["manager"] not in writers and people["director"] not in writers


def test_weekly_figures_from_the_data(people):
    from salesflow.activities.models import FollowUp

    rep = people["rep"]
    monday = datetime.date(2025, 9, 15)
    a_customer = customer(rep, grade=Grade.A)
    c_customer = customer(rep, grade=Grade.C)
    for cust, day in ((a_customer, 15), (a_customer, 17), (c_customer, 16), (a_customer, 22)):
        FollowUp.objects.create(
            customer=cust,
            owner=rep,
            communicated_at=local(2025, 9, day, 10),
            method="phone",
            topic="回访",
            summary="沟通需求",
        )
    opp = opportunity(
        rep,
        a_customer,
        amount=D("200000"),
        probability=50,
        expected_close_date=datetime.date(2025, 10, 20),
    )
    opp.created_at = local(2025, 9, 16, 9)
    opp.save()
    opportunity(rep, c_customer, amount=D("999"), expected_close_date=datetime.date(2026, 1, 1))
    figures = rs.weekly_figures(rep, monday, monday + datetime.timedelta(days=6))
    assert figures["a_followups"] == 2
    assert figures["followups"] == 3
    assert figures["new_opportunities"] == 1
    assert figures["expected_count"] == 1
    assert figures["expected_amount"] == "200000.00"
    assert figures["expected_weighted"] == "100000.00"
    assert figures["new_leads"] == 0


def test_monthly_figures_from_the_data(people):
    rep = people["rep"]
    key = customer(rep, tier=Tier.KEY)
    plain = customer(rep)
    order(rep, key, "300000", datetime.date(2025, 9, 3))
    order(rep, plain, "50000", datetime.date(2025, 9, 30))
    order(rep, plain, "7", datetime.date(2025, 10, 1))
    receipt(rep, key, "90000", datetime.date(2025, 9, 10))
    figures = rs.monthly_figures(rep, datetime.date(2025, 9, 1), datetime.date(2025, 9, 30))
    assert figures["sales_amount"] == "350000.00"
    assert figures["orders"] == 2
    assert figures["collected"] == "90000.00"
    assert figures["key_accounts"] == [
        {
            "name": key.name,
            "orders_amount": "300000.00",
            "followups": 0,
            "open_pipeline": "0.00",
        }
    ]


def test_empty_month_has_zeros_not_errors(people):
    figures = rs.monthly_figures(
        people["rep"], datetime.date(2025, 9, 1), datetime.date(2025, 9, 30)
    )
    assert figures["sales_amount"] == "0.00" and figures["stages"] == []


def _draft(rep, day=datetime.date(2025, 9, 17), kind=ReportKind.WEEKLY):
    return rs.report_draft(owner=rep, kind=kind, day=day)


def test_draft_is_created_once_and_refreshed(people):
    rep = people["rep"]
    report = _draft(rep)
    again = _draft(rep, day=datetime.date(2025, 9, 21))
    assert again.pk == report.pk
    assert report.period_start == datetime.date(2025, 9, 15)
    assert report.due_at == local(2025, 9, 22, 12)
    assert "new_leads" in report.figures


def test_submit_on_time(people):
    rep = people["rep"]
    report = _draft(rep)
    done = rs.report_submit(
        actor=rep,
        report_id=report.pk,
        data={"problems": "客户预算冻结", "next_plan": "拜访3家A类客户"},
        now=local(2025, 9, 22, 11, 59),
    )
    assert done.status == ReportStatus.SUBMITTED and not done.is_late
    assert done.problems == "客户预算冻结"
    with pytest.raises(ValidationError):
        rs.report_save(actor=rep, report_id=report.pk, data={"problems": "改"})


def test_late_submission_needs_a_reason(people):
    rep = people["rep"]
    report = _draft(rep)
    late = local(2025, 9, 22, 12, 1)
    with pytest.raises(ValidationError) as exc:
        rs.report_submit(actor=rep, report_id=report.pk, now=late)
    assert "late_reason" in exc.value.message_dict
    done = rs.report_submit(actor=rep, report_id=report.pk, late_reason="出差在外", now=late)
    assert done.is_late and done.late_reason == "出差在外"


def test_only_the_owner_writes_and_a_manager_comments(people):
    rep, manager = people["rep"], people["manager"]
    report = _draft(rep)
    with pytest.raises(Http404):  # another rep's report is not even visible
        rs.report_save(actor=people["rep_b"], report_id=report.pk, data={"problems": "x"})
    with pytest.raises(NotAllowed):  # the manager sees it but does not write it
        rs.report_save(actor=manager, report_id=report.pk, data={"problems": "x"})
    with pytest.raises(NotAllowed):
        rs.report_comment(actor=rep, report_id=report.pk, body="自评")
    with pytest.raises(Http404):
        rs.report_comment(actor=people["other_manager"], report_id=report.pk, body="看看")
    rs.report_comment(actor=manager, report_id=report.pk, body="下周重点跟进恒达")
    assert report.comments.get().author == manager
    assert Notification.objects.filter(user=rep, kind="report.comment").exists()


def test_report_scope(people):
    rep, rep_b, other = people["rep"], people["rep_b"], people["other_rep"]
    mine, theirs, far = _draft(rep), _draft(rep_b), _draft(other)
    assert set(selectors.report_list(user=rep)) == {mine}
    assert set(selectors.report_list(user=people["manager"])) == {mine, theirs}
    assert set(selectors.report_list(user=people["director"])) == {mine, theirs, far}
    table = dict(
        selectors.team_reports(
            user=people["manager"], kind=ReportKind.WEEKLY, period_start=mine.period_start
        )
    )
    assert table == {rep: mine, rep_b: theirs}


def test_sweep_drafts_and_reminds_once(people):
    rep, rep_b, manager = people["rep"], people["rep_b"], people["manager"]
    # Friday 19 Sep 2025 15:00: the weekly report is due Monday 22 Sep 12:00, in 69h — later
    # than the 24h reminder window; the month's is due Tue 30 Sep 18:00.
    counts = rs.sweep(now=local(2025, 9, 19, 15))
    assert SalesReport.objects.filter(owner=rep, kind=ReportKind.WEEKLY).count() == 2
    assert SalesReport.objects.filter(owner=rep, kind=ReportKind.MONTHLY).count() == 2
    # last week's and last month's were drafted only now, after their due time: they show as
    # overdue, but nobody is chased for them
    assert counts["missing"] == 0
    assert not Notification.objects.filter(user=manager).exists()
    last_week = SalesReport.objects.get(
        owner=rep, kind=ReportKind.WEEKLY, period_start=datetime.date(2025, 9, 8)
    )
    assert last_week.is_overdue(now=local(2025, 9, 19, 15))

    # Sunday 21 Sep 13:00: within 24h of Monday noon → the reps are reminded, once
    rs.report_submit(
        actor=rep_b,
        report_id=SalesReport.objects.get(
            owner=rep_b, kind=ReportKind.WEEKLY, period_start=datetime.date(2025, 9, 15)
        ).pk,
        now=local(2025, 9, 21, 12),
    )
    rs.sweep(now=local(2025, 9, 21, 13))
    rs.sweep(now=local(2025, 9, 21, 14))
    due = Notification.objects.filter(kind="report.due", title__contains="请在")
    assert due.filter(user=rep).count() == 1
    assert not due.filter(user=rep_b).exists()  # already submitted

    # Monday 22 Sep 12:30: the rep's report is missing → rep and manager, once
    before = Notification.objects.filter(user=manager).count()
    rs.sweep(now=local(2025, 9, 22, 12, 30))
    rs.sweep(now=local(2025, 9, 22, 13, 30))
    assert Notification.objects.filter(user=manager).count() == before + 1
