"""Training: attendance, scores and improvement; each participant's performance change —
won amount and win rate of the opportunities they own that closed in the N months before the
session versus the N months from it — checked against hand-computed figures."""

import datetime
from decimal import Decimal

import pytest

from salesflow.pipeline.models import OpportunityStatus
from salesflow.planning import selectors, services

from .conftest import make_opportunity

pytestmark = pytest.mark.django_db
D = Decimal
WON, LOST = OpportunityStatus.WON, OpportunityStatus.LOST
DAY = datetime.date(2026, 6, 15)


def closed(owner, status, day, amount="0"):
    return make_opportunity(
        owner, amount=amount, created=day - datetime.timedelta(days=30), status=status, closed=day
    )


@pytest.fixture
def session(org):
    s = services.training_create(
        actor=org["manager"],
        data={
            "title": "顾问式销售与异议处理",
            "held_on": DAY,
            "followup_months": 2,
            "trainer": "王老师",
            "department": org["east"],
        },
    )
    services.participant_save(
        actor=org["manager"],
        session_id=s.pk,
        user=org["rep"],
        data={
            "attended": True,
            "participation": 5,
            "pre_score": D("60"),
            "post_score": D("85"),
            "practical_score": D("80"),
        },
    )
    services.participant_save(
        actor=org["manager"],
        session_id=s.pk,
        user=org["rep_b"],
        data={"attended": False, "pre_score": D("70"), "post_score": D("72")},
    )
    return s


def test_windows_are_n_calendar_months_either_side(session):
    before, after = selectors.training_windows(session)
    assert (before.start, before.last_day) == (
        datetime.date(2026, 4, 15),
        datetime.date(2026, 6, 14),
    )
    assert (after.start, after.last_day) == (datetime.date(2026, 6, 15), datetime.date(2026, 8, 14))
    assert selectors.add_months(datetime.date(2026, 3, 31), -1) == datetime.date(2026, 2, 28)
    assert selectors.add_months(datetime.date(2026, 11, 30), 3) == datetime.date(2027, 2, 28)


def test_performance_change_is_computed_from_the_opportunities(org, session):
    rep, rep_b = org["rep"], org["rep_b"]
    # rep, before: won 100,000 and one lost → 50 %; a win one day before the window is ignored
    closed(rep, WON, datetime.date(2026, 5, 1), "100000")
    closed(rep, LOST, datetime.date(2026, 5, 20), "40000")
    closed(rep, WON, datetime.date(2026, 4, 14), "999")
    # rep, after: won 150,000 on the session day and 50,000 on the window's last day → 100 %;
    # a win on the first day after the window is ignored
    closed(rep, WON, DAY, "150000")
    closed(rep, WON, datetime.date(2026, 8, 14), "50000")
    closed(rep, WON, datetime.date(2026, 8, 15), "777")
    # rep_b: nothing before, one lost after
    closed(rep_b, LOST, datetime.date(2026, 7, 1), "30000")
    # someone else's win in the window does not count for anyone
    closed(org["rep2"], WON, datetime.date(2026, 7, 1), "500000")

    rows = {
        r.participant.user: r
        for r in selectors.training_participants(user=org["manager"], session=session)
    }
    r = rows[rep]
    assert (r.before.won_amount, r.before.won, r.before.closed) == (D("100000"), 1, 2)
    assert (r.after.won_amount, r.after.won, r.after.closed) == (D("200000"), 2, 2)
    assert r.before.win_rate == D("50.00") and r.after.win_rate == D("100.00")
    assert r.amount_change == D("100000")
    assert r.win_rate_change == D("50.00")
    b = rows[rep_b]
    assert b.before.won_amount == 0 and b.before.win_rate is None
    assert b.after.win_rate == D("0.00")
    assert b.amount_change == 0 and b.win_rate_change is None

    summary = selectors.training_summary(list(rows.values()))
    assert summary["invited"] == 2 and summary["attended"] == 1
    assert summary["attendance_rate"] == D("50.00")
    assert summary["avg_improvement"] == D("13.50")  # (25 + 2) / 2
    assert summary["avg_amount_change"] == D("50000.00")  # (100000 + 0) / 2


def test_a_participant_sees_only_the_performance_they_may_see(org, session):
    closed(org["rep_b"], WON, datetime.date(2026, 7, 1), "30000")
    rows = {
        r.participant.user: r
        for r in selectors.training_participants(user=org["rep"], session=session)
    }
    assert rows[org["rep"]].before is not None
    assert rows[org["rep_b"]].before is None and rows[org["rep_b"]].amount_change is None


def test_updating_a_participant_keeps_one_row(org, session):
    services.participant_save(
        actor=org["manager"], session_id=session.pk, user=org["rep"], data={"post_score": D("90")}
    )
    row = session.participants.get(user=org["rep"])
    assert session.participants.count() == 2
    assert row.improvement == D("30")


def test_followup_months_is_one_to_three(org):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.training_create(
            actor=org["manager"], data={"title": "x", "held_on": DAY, "followup_months": 6}
        )
