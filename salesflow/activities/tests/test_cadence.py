"""The cadence engine (SPEC S2/S4): candidate rules from ABC grade, lifecycle and intent; the
most frequent applicable rule wins (the earliest due date); due dates on holidays move to the
next working day; the cadence counts from the last follow-up (or from when the owner got the
record)."""

import datetime

import pytest

from salesflow.core.models import CalendarOverride, SettingValue
from salesflow.core.workcalendar import is_workday
from salesflow.leads.models import Intent, LeadStatus

from .. import cadence
from .followup_fixtures import at, customer_for, lead_for, people

pytestmark = pytest.mark.django_db
FIXTURES = (people,)  # imported fixtures, used as test parameters

NOW = at(2025, 6, 10, 12, 0)  # a Tuesday
LAST = at(2025, 6, 9, 10, 0)  # the last follow-up, a Monday


def test_a_class_new_customer_in_the_deals_month_is_weekly(people):
    customer = customer_for(people["rep"], grade="A", first_deal_at=at(2025, 6, 5, 15),
                            last_followup_at=LAST)  # fmt: skip
    assert cadence.applicable_rules(customer, NOW) == [
        ("A类客户", "7d"),
        ("新客户（成交当月）", "7d"),
    ]
    due, label = cadence.next_due(customer, NOW)
    assert due == at(2025, 6, 16, 10, 0)
    assert label == "A类客户"  # a tie: the first rule (grade) names it


def test_b_class_old_customer_is_two_weekly_b_beats_old(people):
    customer = customer_for(people["rep"], grade="B", first_deal_at=at(2024, 1, 8, 10),
                            last_followup_at=LAST)  # fmt: skip
    assert cadence.applicable_rules(customer, NOW) == [("B类客户", "14d"), ("老客户", "30d")]
    assert cadence.next_due(customer, NOW) == (at(2025, 6, 23, 10, 0), "B类客户")


def test_c_class_with_a_deal_two_months_ago_is_twice_a_month(people):
    customer = customer_for(people["rep"], grade="C", first_deal_at=at(2025, 4, 10, 10),
                            last_followup_at=LAST)  # fmt: skip
    assert cadence.applicable_rules(customer, NOW) == [("C类客户", "30d"), ("新客户", "15d")]
    assert cadence.next_due(customer, NOW) == (at(2025, 6, 24, 10, 0), "新客户")


def test_new_customer_period_ends_after_the_new_customer_months(people):
    customer = customer_for(people["rep"], grade="C", first_deal_at=at(2025, 3, 9, 10),
                            last_followup_at=LAST)  # fmt: skip
    assert cadence.next_due(customer, NOW) == (at(2025, 7, 9, 10, 0), "C类客户")  # old: 30d


def test_lead_with_low_intent_is_monthly(people):
    lead = lead_for(people["rep"], intent=Intent.LOW, last_followup_at=LAST)
    assert cadence.applicable_rules(lead, NOW) == [("低意向", "30d")]
    assert cadence.next_due(lead, NOW) == (at(2025, 7, 9, 10, 0), "低意向")


@pytest.mark.parametrize(
    ("intent", "due"),
    [(Intent.HIGH, at(2025, 6, 16, 10)), (Intent.MEDIUM, at(2025, 6, 23, 10))],
)
def test_lead_intent_high_weekly_medium_two_weekly(people, intent, due):
    lead = lead_for(people["rep"], intent=intent, last_followup_at=LAST)
    assert cadence.next_due(lead, NOW)[0] == due


def test_prospect_keeps_the_intent_of_its_lead(people):
    rep = people["rep"]
    lead = lead_for(rep, intent=Intent.HIGH, status=LeadStatus.CONVERTED)
    customer = customer_for(rep, grade="C", source_lead_id=lead.pk, last_followup_at=LAST)
    assert cadence.next_due(customer, NOW) == (at(2025, 6, 16, 10, 0), "高意向")


def test_a_due_date_on_a_holiday_moves_to_the_next_working_day(people):
    # 7 days after 2025-09-24 is 2025-10-01, National Day (holidays until 10-08).
    customer = customer_for(people["rep"], grade="A", last_followup_at=at(2025, 9, 24, 10))
    now = at(2025, 9, 25, 9)
    assert cadence.next_due(customer, now) == (at(2025, 10, 9, 10, 0), "A类客户")


def test_working_calendar_holidays_make_up_days_and_overrides(people):
    assert is_workday(datetime.date(2025, 10, 1)) is False  # National Day
    assert is_workday(datetime.date(2025, 10, 8)) is False
    assert is_workday(datetime.date(2025, 10, 9)) is True
    assert is_workday(datetime.date(2025, 9, 28)) is True  # a Sunday 调休 make-up day
    # An administrator's override is a day off too: 7d lands on it → the next working day.
    CalendarOverride.objects.create(
        date=datetime.date(2025, 6, 16), is_workday=False, name="公司活动"
    )
    customer = customer_for(people["rep"], grade="A", last_followup_at=LAST)
    assert cadence.next_due(customer, NOW)[0] == at(2025, 6, 17, 10, 0)


def test_without_a_followup_the_cadence_counts_from_when_the_owner_got_it(people):
    customer = customer_for(people["rep"], grade="B", owned_since=at(2025, 6, 2, 9))
    assert cadence.next_due(customer, NOW) == (at(2025, 6, 16, 9, 0), "B类客户")
    lead = lead_for(people["rep"], intent=Intent.HIGH, assigned_at=at(2025, 6, 3, 14))
    assert cadence.next_due(lead, NOW)[0] == at(2025, 6, 10, 14, 0)


def test_no_cadence_for_lost_unowned_closed_or_unscreened(people):
    rep = people["rep"]
    lost = customer_for(rep, grade="A", first_deal_at=at(2024, 1, 1), lost_at=at(2025, 5, 1))
    pooled = customer_for(rep, grade="A")
    pooled.owner = None
    assert cadence.next_due(lost, NOW) == (None, "")
    assert cadence.next_due(pooled, NOW) == (None, "")
    assert cadence.next_due(lead_for(rep, intent=""), NOW) == (None, "")
    closed = lead_for(rep, intent=Intent.HIGH, status=LeadStatus.INVALID)
    assert cadence.next_due(closed, NOW) == (None, "")


def test_cadence_rules_are_settings(people):
    SettingValue.objects.create(key="cadence.grade_b", value="10d")
    customer = customer_for(people["rep"], grade="B", last_followup_at=LAST)
    assert cadence.next_due(customer, NOW)[0] == at(2025, 6, 19, 10, 0)


def test_recompute_all_stores_the_due_dates(people):
    rep = people["rep"]
    customer = customer_for(rep, grade="B", last_followup_at=LAST)
    lead = lead_for(rep, intent=Intent.LOW, last_followup_at=LAST)
    closed = lead_for(rep, intent=Intent.LOW, status=LeadStatus.CONVERTED)
    type(closed).all_objects.filter(pk=closed.pk).update(next_followup_due_at=NOW)
    changed = cadence.recompute_all(NOW)
    customer.refresh_from_db()
    lead.refresh_from_db()
    closed.refresh_from_db()
    assert customer.next_followup_due_at == at(2025, 6, 23, 10, 0)
    assert lead.next_followup_due_at == at(2025, 7, 9, 10, 0)
    assert closed.next_followup_due_at is None
    assert changed == 3
    assert cadence.recompute_all(NOW) == 0  # nothing moves the second time
