import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from salesflow.core.models import CalendarOverride, SettingValue
from salesflow.core.sla import (
    SLA_STATE_LABELS,
    Rule,
    deadline,
    elapsed_working_days,
    elapsed_working_hours,
    parse_rule,
    sla_state,
)
from salesflow.core.workcalendar import covered_by_package

SH = ZoneInfo("Asia/Shanghai")
D = datetime.date


def at(year, month, day, hour=0, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def lunch_break(db):
    SettingValue.objects.create(key="calendar.work_hours", value="09:00-12:00,13:00-18:00")


# --- parse_rule -----------------------------------------------------------------------------


class TestParseRule:
    @pytest.mark.parametrize(
        ("text", "canonical"),
        [
            ("24h", "24h"),
            ("24H", "24h"),
            ("24小时", "24h"),
            ("2 hours", "2h"),
            ("90m", "90m"),
            ("90分钟", "90m"),
            ("1.5h", "90m"),
            ("8 working hours", "8 working hours"),
            ("8wh", "8 working hours"),
            ("8个工作小时", "8 working hours"),
            ("7d", "7d"),
            ("14 days", "14d"),
            ("14天", "14d"),
            ("3 working days", "3 working days"),
            ("3wd", "3 working days"),
            ("3 Working Days", "3 working days"),
            ("3个工作日", "3 working days"),
            ("3工作日", "3 working days"),
            ("３个工作日", "3 working days"),
            ("next Monday 12:00", "next Monday 12:00"),
            ("Monday 12:00", "next Monday 12:00"),
            ("next mon 9:30", "next Monday 09:30"),
            ("下周一 12:00", "next Monday 12:00"),
            ("星期五 17:00", "next Friday 17:00"),
            ("周三 9点半", "next Wednesday 09:30"),
            ("下周日 10点", "next Sunday 10:00"),
            ("last day of month 18:00", "last day of month 18:00"),
            ("月末 18:00", "last day of month 18:00"),
            ("月底18:00", "last day of month 18:00"),
            ("last working day of month 18:00", "last working day of month 18:00"),
            ("月末最后一个工作日 18:00", "last working day of month 18:00"),
        ],
    )
    def test_accepted_spellings(self, text, canonical):
        rule = parse_rule(text)
        assert str(rule) == canonical
        assert parse_rule(str(rule)) == rule  # the canonical spelling reads back

    @pytest.mark.parametrize(
        "text",
        [
            "abc",
            "",
            "-3h",
            "0h",
            "0 working days",
            "0d",
            "1.5d",
            "3 weeks",
            "next Funday 12:00",
            "Monday",
            "Monday 25:00",
            "月末",
            "0.001h",
            "10000 working days",
            "99999d",
            "30000h",
        ],
    )
    def test_refused_with_a_chinese_message(self, text):
        with pytest.raises(ValueError) as excinfo:
            parse_rule(text)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(excinfo.value))

    def test_labels(self):
        assert parse_rule("3wd").label == "3个工作日"
        assert parse_rule("next Monday 12:00").label == "下周一 12:00"
        assert parse_rule("last day of month 18:00").label == "月末 18:00"

    def test_rule_is_frozen(self):
        rule = parse_rule("24h")
        with pytest.raises(AttributeError):
            rule.amount = 1


# --- plain durations ------------------------------------------------------------------------


@pytest.mark.django_db
class TestPlainDuration:
    def test_48h_is_elapsed_time_through_the_holiday(self):
        assert deadline(at(2025, 9, 30, 10), "48h") == at(2025, 10, 2, 10)

    def test_result_is_aware_in_company_time_zone(self):
        start_utc = datetime.datetime(2025, 9, 30, 2, 0, tzinfo=datetime.UTC)  # 10:00 Shanghai
        result = deadline(start_utc, "48h")
        assert result == at(2025, 10, 2, 10)
        assert result.utcoffset() == datetime.timedelta(hours=8)

    def test_minutes_and_a_rule_object(self):
        assert deadline(at(2025, 9, 30, 10), "90m") == at(2025, 9, 30, 11, 30)
        assert deadline(at(2025, 9, 30, 10), Rule("duration", amount=30)) == at(2025, 9, 30, 10, 30)

    def test_naive_start_is_company_local_time(self):
        assert deadline(datetime.datetime(2025, 9, 30, 10), "2h") == at(2025, 9, 30, 12)


# --- working days ---------------------------------------------------------------------------


@pytest.mark.django_db
class TestWorkingDays:
    def test_across_national_day_2025(self):
        # Oct 1–8 off; Sep 28 (Sun) and Oct 11 (Sat) are make-up days: Oct 9, 10, 11.
        assert deadline(at(2025, 9, 30, 10), "3 working days") == at(2025, 10, 11, 10)
        assert deadline(at(2025, 9, 30, 10), "3个工作日") == at(2025, 10, 11, 10)

    def test_make_up_sunday_counts(self):
        # Fri Sep 26 → Sep 28 (Sun, make-up), Sep 29, Sep 30.
        assert deadline(at(2025, 9, 26, 10), "3wd") == at(2025, 9, 30, 10)

    def test_start_on_a_day_off_counts_from_the_next_working_morning(self):
        # Sat Sep 27 15:00 is treated as Sun Sep 28 09:00 (make-up day); 1 working day later.
        assert deadline(at(2025, 9, 27, 15), "1 working day") == at(2025, 9, 29, 9)
        # Oct 3 (holiday) → Oct 9 09:00 → +1 working day = Oct 10 09:00.
        assert deadline(at(2025, 10, 3, 22), "1wd") == at(2025, 10, 10, 9)

    def test_uncovered_year_falls_back_to_monday_to_friday(self):
        # chinesecalendar 1.11 stops at 2026; 2027 (and 2028) are outside the package.
        assert not covered_by_package(2027)
        assert not covered_by_package(2028)
        # Thu 2027-12-30 → Fri Dec 31, Mon Jan 3, Tue Jan 4 (New Year unknown to the fallback).
        assert deadline(at(2027, 12, 30, 10), "3 working days") == at(2028, 1, 4, 10)

    def test_override_holiday_on_a_weekday_wins(self):
        CalendarOverride.objects.create(date=D(2025, 10, 10), is_workday=False, name="公司假日")
        # Oct 9, (Oct 10 off), Oct 11 make-up, Oct 13.
        assert deadline(at(2025, 9, 30, 10), "3 working days") == at(2025, 10, 13, 10)

    def test_override_saturday_workday_wins(self):
        CalendarOverride.objects.create(date=D(2025, 9, 20), is_workday=True, name="调休")
        # Fri Sep 19 → Sat Sep 20 (override), Mon Sep 22.
        assert deadline(at(2025, 9, 19, 10), "2wd") == at(2025, 9, 22, 10)

    def test_override_wins_over_the_fallback(self):
        CalendarOverride.objects.create(date=D(2027, 12, 31), is_workday=False, name="元旦")
        CalendarOverride.objects.create(date=D(2028, 1, 1), is_workday=True, name="调休")
        # Thu 2027-12-30 → Sat Jan 1 (override workday), Mon Jan 3, Tue Jan 4.
        assert deadline(at(2027, 12, 30, 10), "3 working days") == at(2028, 1, 4, 10)
        assert deadline(at(2027, 12, 30, 10), "1wd") == at(2028, 1, 1, 10)

    def test_bounded_number_of_queries(self, django_assert_max_num_queries):
        with django_assert_max_num_queries(1):
            assert deadline(at(2025, 9, 30, 10), "3 working days") == at(2025, 10, 11, 10)
        # Start on a holiday (reads the working hours) and cross a year end.
        with django_assert_max_num_queries(3):
            deadline(at(2025, 10, 3, 10), "80 working days")

    def test_huge_rule_is_refused(self):
        with pytest.raises(ValueError):
            deadline(at(2025, 9, 30, 10), "10000 working days")
        with pytest.raises(ValueError):  # a hand-made Rule beyond the caps stops too
            deadline(at(2025, 9, 30, 10), Rule("working_days", amount=10**6))


# --- working hours only ---------------------------------------------------------------------


@pytest.mark.django_db
class TestWorkingHoursOnly:
    def test_friday_afternoon_into_make_up_sunday(self):
        # 2h on Friday (16–18), then Sun Sep 28 (make-up) 09:00 + 6h.
        result = deadline(at(2025, 9, 26, 16), "8h", working_hours_only=True)
        assert result == at(2025, 9, 28, 15)
        assert deadline(at(2025, 9, 26, 16), "8 working hours") == result

    def test_start_before_opening(self):
        assert deadline(at(2025, 9, 26, 7, 30), "2h", working_hours_only=True) == at(
            2025, 9, 26, 11
        )

    def test_start_after_closing(self):
        assert deadline(at(2025, 9, 26, 19), "2h", working_hours_only=True) == at(2025, 9, 28, 11)

    def test_start_on_a_holiday(self):
        assert deadline(at(2025, 10, 3, 10), "4h", working_hours_only=True) == at(2025, 10, 9, 13)

    def test_ends_exactly_at_closing_time(self):
        assert deadline(at(2025, 9, 29, 9), "9h", working_hours_only=True) == at(2025, 9, 29, 18)

    def test_lunch_break(self, lunch_break):
        # 11:00–12:00, then 13:00–14:00.
        assert deadline(at(2025, 9, 29, 11), "2h", working_hours_only=True) == at(2025, 9, 29, 14)
        # A start inside the lunch break waits until 13:00.
        assert deadline(at(2025, 9, 29, 12, 30), "90m", working_hours_only=True) == at(
            2025, 9, 29, 14, 30
        )
        # 8h from opening fills both windows exactly: 3h + 5h.
        assert deadline(at(2025, 9, 29, 9), "8h", working_hours_only=True) == at(2025, 9, 29, 18)
        # Tue Sep 30 17:00: 1h, then the holiday, then Oct 9 09:00 + 3h = 12:00.
        assert deadline(at(2025, 9, 30, 17), "4h", working_hours_only=True) == at(2025, 10, 9, 12)

    def test_walk_is_bounded(self):
        with pytest.raises(ValueError):
            deadline(at(2025, 9, 30, 10), Rule("duration", amount=10**9, working_hours=True))


# --- calendar days (cadence) ----------------------------------------------------------------


@pytest.mark.django_db
class TestCalendarDays:
    def test_plain_week(self):
        assert deadline(at(2025, 9, 1, 15), "7d") == at(2025, 9, 8, 15)

    def test_due_on_a_holiday_moves_to_the_next_working_day(self):
        # Wed Sep 24 + 7d = Oct 1 (National Day) → Thu Oct 9, same time of day.
        assert deadline(at(2025, 9, 24, 15), "7d") == at(2025, 10, 9, 15)

    def test_due_on_a_weekend_moves_to_monday(self):
        assert deadline(at(2025, 9, 6, 10), "14d") == at(2025, 9, 22, 10)  # Sat → Mon

    def test_due_on_a_make_up_sunday_stays(self):
        assert deadline(at(2025, 9, 21, 10), "7d") == at(2025, 9, 28, 10)


# --- weekday and month end ------------------------------------------------------------------


@pytest.mark.django_db
class TestWeekdayAndMonthEnd:
    def test_next_monday(self):
        assert deadline(at(2025, 9, 24, 10), "next Monday 12:00") == at(2025, 9, 29, 12)

    def test_next_monday_is_strictly_after_the_start_date(self):
        # From Monday 08:00 the next Monday is a week later, not today.
        assert deadline(at(2025, 9, 22, 8), "next Monday 12:00") == at(2025, 9, 29, 12)

    def test_monday_inside_national_day_moves_to_the_next_working_day(self):
        # Mon 2025-10-06 is a holiday (中秋 inside National Day) → Thu Oct 9 12:00.
        assert deadline(at(2025, 9, 30, 10), "next Monday 12:00") == at(2025, 10, 9, 12)
        assert deadline(at(2025, 9, 30, 10), "下周一 12:00") == at(2025, 10, 9, 12)

    def test_last_day_of_month(self):
        assert deadline(at(2025, 9, 10, 10), "last day of month 18:00") == at(2025, 9, 30, 18)
        assert deadline(at(2025, 9, 10, 10), "月末 18:00") == at(2025, 9, 30, 18)

    def test_last_day_of_month_already_past_gives_next_month(self):
        assert deadline(at(2025, 9, 30, 19), "last day of month 18:00") == at(2025, 10, 31, 18)
        assert deadline(at(2025, 12, 31, 18), "last day of month 18:00") == at(2026, 1, 31, 18)

    def test_last_day_of_month_is_a_calendar_day(self):
        # Aug 31 2025 is a Sunday: the plain rule keeps it.
        assert deadline(at(2025, 8, 5, 10), "last day of month 18:00") == at(2025, 8, 31, 18)

    def test_last_working_day_of_month(self):
        assert deadline(at(2025, 8, 5, 10), "last working day of month 18:00") == at(
            2025, 8, 29, 18
        )
        # Past Aug 29 18:00 → September's last working day, Tue Sep 30.
        assert deadline(at(2025, 8, 30, 10), "月末最后一个工作日 18:00") == at(2025, 9, 30, 18)

    def test_month_without_working_days_goes_to_the_next(self):
        CalendarOverride.objects.bulk_create(
            CalendarOverride(date=D(2025, 2, day), is_workday=False) for day in range(1, 29)
        )
        assert deadline(at(2025, 2, 1, 10), "last working day of month 18:00") == at(
            2025, 3, 31, 18
        )


# --- elapsed working time -------------------------------------------------------------------


@pytest.mark.django_db
class TestElapsed:
    def test_across_a_weekend(self):
        # Fri Sep 19 17:00–18:00 and Mon Sep 22 09:00–10:00.
        assert elapsed_working_hours(at(2025, 9, 19, 17), at(2025, 9, 22, 10)) == Decimal("2.00")

    def test_across_a_weekend_and_national_day(self):
        # Fri 2h + Sun Sep 28 9h + Mon 9h + Tue 9h + (Oct 1–8 off) + Thu Oct 9 1h = 30h.
        start, end = at(2025, 9, 26, 16), at(2025, 10, 9, 10)
        assert elapsed_working_hours(start, end) == Decimal("30.00")
        assert elapsed_working_days(start, end) == Decimal("3.33")

    def test_inverse_of_deadline(self):
        start = at(2025, 9, 26, 16)
        end = deadline(start, "8h", working_hours_only=True)
        assert elapsed_working_hours(start, end) == Decimal("8.00")

    def test_lunch_break(self, lunch_break):
        start, end = at(2025, 9, 29, 11, 30), at(2025, 9, 29, 13, 30)
        assert elapsed_working_hours(start, end) == Decimal("1.00")
        assert elapsed_working_days(start, end) == Decimal("0.13")  # 1h / 8h = 0.125

    def test_end_before_start_is_zero(self):
        assert elapsed_working_hours(at(2025, 9, 29, 12), at(2025, 9, 29, 10)) == Decimal("0.00")


# --- state ----------------------------------------------------------------------------------


@pytest.mark.django_db  # the "due soon" window is a setting
class TestSlaState:
    due = at(2025, 9, 30, 18)

    def test_open_states(self):
        assert sla_state(self.due, now=at(2025, 9, 30, 10)) == "on_time"
        assert sla_state(self.due, now=at(2025, 9, 30, 14)) == "due_soon"
        assert sla_state(self.due, now=at(2025, 9, 30, 18)) == "due_soon"
        assert sla_state(self.due, now=at(2025, 9, 30, 18, 1)) == "breached"
        assert sla_state(self.due, now=at(2025, 9, 30, 10), due_soon_hours=12) == "due_soon"

    def test_done_states(self):
        assert sla_state(self.due, done_at=at(2025, 9, 30, 18)) == "met"
        assert sla_state(self.due, done_at=at(2025, 10, 1, 9)) == "missed"

    def test_no_due_moment_is_never_late(self):
        assert sla_state(None, now=at(2025, 9, 30, 10)) == "on_time"
        assert sla_state(None, done_at=at(2025, 9, 30, 10)) == "met"

    def test_labels(self):
        assert {key: str(label) for key, label in SLA_STATE_LABELS.items()} == {
            "on_time": "按时",
            "due_soon": "即将到期",
            "breached": "已超时",
            "met": "已达成",
            "missed": "已逾期完成",
        }


def test_every_rule_default_of_the_settings_registry_parses():
    from salesflow.core.settings_registry import REGISTRY

    rules = [d for d in REGISTRY.values() if d.kind == "rule"]
    assert rules
    for definition in rules:
        assert parse_rule(definition.default).label


def test_singular_working_day_reads_back():
    assert str(parse_rule("1wd")) == "1 working day"
    assert parse_rule("1 working day") == parse_rule("1个工作日")
