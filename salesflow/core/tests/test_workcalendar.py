import datetime

import pytest

from salesflow.core import workcalendar
from salesflow.core.context import work_context
from salesflow.core.models import CalendarOverride
from salesflow.core.workcalendar import (
    PACKAGE_YEARS,
    add_workdays,
    coverage_warning,
    covered_by_package,
    day_info,
    is_workday,
    month_calendar,
    next_workday,
    parse_windows,
    workdays_between,
    year_is_covered,
)

D = datetime.date

# chinesecalendar 1.11 covers 2004–2026; 2027 is the first year it does not know.
UNCOVERED_YEAR = min(year for year in range(2025, 2100) if year not in PACKAGE_YEARS)


def test_uncovered_year_is_2027_for_the_installed_package():
    # If a newer package covers 2027, the tests below still use the first uncovered year.
    assert UNCOVERED_YEAR >= 2027
    assert covered_by_package(2025)
    assert not covered_by_package(UNCOVERED_YEAR)


@pytest.mark.django_db
class TestPackageDays:
    def test_national_day_2025(self):
        assert not is_workday(D(2025, 10, 1))
        assert not is_workday(D(2025, 10, 8))  # Wednesday, inside the holiday
        assert is_workday(D(2025, 9, 28))  # Sunday, 调休 make-up working day
        assert is_workday(D(2025, 10, 11))  # Saturday, 调休 make-up working day
        assert not is_workday(D(2025, 9, 27))  # an ordinary Saturday

    def test_day_info_names_and_kinds(self):
        holiday = day_info(D(2025, 10, 1))
        assert (holiday.is_workday, holiday.source, holiday.name) == (False, "package", "国庆节")
        assert holiday.kind == "holiday"
        makeup = day_info(D(2025, 9, 28))
        assert (makeup.is_workday, makeup.source, makeup.kind) == (True, "package", "makeup")
        assert day_info(D(2025, 9, 27)).kind == "rest"
        assert day_info(D(2025, 9, 26)).kind == "workday"
        assert day_info(D(2025, 10, 6)).name == "中秋"

    def test_accepts_an_aware_datetime_in_company_time(self):
        # 2025-09-30 17:00 UTC is 2025-10-01 01:00 in Shanghai: a holiday.
        moment = datetime.datetime(2025, 9, 30, 17, 0, tzinfo=datetime.UTC)
        assert not is_workday(moment)


@pytest.mark.django_db
class TestFallback:
    def test_uncovered_year_is_monday_to_friday_without_exception(self):
        friday = D(UNCOVERED_YEAR, 1, 1)
        while friday.weekday() != 4:
            friday += datetime.timedelta(days=1)
        info = day_info(friday)
        assert (info.is_workday, info.source) == (True, "fallback")
        assert not is_workday(friday + datetime.timedelta(days=1))
        assert next_workday(friday) == friday + datetime.timedelta(days=3)

    def test_year_is_covered_by_package_or_by_one_override(self):
        assert year_is_covered(2025)
        assert not year_is_covered(UNCOVERED_YEAR)
        CalendarOverride.objects.create(date=D(UNCOVERED_YEAR, 1, 1), is_workday=False, name="元旦")
        assert year_is_covered(UNCOVERED_YEAR)

    def test_coverage_warning_for_an_uncovered_year(self, monkeypatch):
        monkeypatch.setattr(workcalendar.timezone, "localdate", lambda: D(UNCOVERED_YEAR - 1, 6, 1))
        message = coverage_warning()
        assert message is not None
        assert str(UNCOVERED_YEAR) in message
        assert "周一至周五" in message

    def test_no_coverage_warning_when_both_years_are_covered(self, monkeypatch):
        monkeypatch.setattr(workcalendar.timezone, "localdate", lambda: D(2024, 6, 1))
        assert coverage_warning() is None

    def test_override_entered_for_the_year_silences_the_warning(self, monkeypatch):
        monkeypatch.setattr(workcalendar.timezone, "localdate", lambda: D(UNCOVERED_YEAR - 1, 6, 1))
        CalendarOverride.objects.create(
            date=D(UNCOVERED_YEAR, 10, 1), is_workday=False, name="国庆节"
        )
        assert coverage_warning() is None

    def test_coverage_warning_is_memoised_per_request(self, monkeypatch, django_assert_num_queries):
        monkeypatch.setattr(workcalendar.timezone, "localdate", lambda: D(UNCOVERED_YEAR - 1, 6, 1))
        with work_context():
            coverage_warning()
            with django_assert_num_queries(0):
                coverage_warning()
                is_workday(D(UNCOVERED_YEAR, 3, 3))


@pytest.mark.django_db
class TestOverrides:
    def test_override_wins_over_package(self):
        # 2025-09-26 is a Friday working day in the package; 2025-10-11 a make-up Saturday.
        CalendarOverride.objects.create(date=D(2025, 9, 26), is_workday=False, name="公司年会")
        CalendarOverride.objects.create(date=D(2025, 10, 11), is_workday=False, name="公司放假")
        assert not is_workday(D(2025, 9, 26))
        assert not is_workday(D(2025, 10, 11))
        info = day_info(D(2025, 9, 26))
        assert (info.source, info.name, info.kind) == ("override", "公司年会", "holiday")

    def test_override_makes_a_saturday_a_workday(self):
        CalendarOverride.objects.create(date=D(2025, 9, 27), is_workday=True, name="调休")
        assert is_workday(D(2025, 9, 27))
        assert day_info(D(2025, 9, 27)).kind == "makeup"

    def test_override_wins_over_fallback(self):
        wednesday = D(UNCOVERED_YEAR, 1, 6)
        assert wednesday.weekday() == 2
        saturday = wednesday + datetime.timedelta(days=3)
        CalendarOverride.objects.create(date=wednesday, is_workday=False, name="假日")
        CalendarOverride.objects.create(date=saturday, is_workday=True, name="调休")
        assert not is_workday(wednesday)
        assert is_workday(saturday)
        assert day_info(saturday).source == "override"


@pytest.mark.django_db
class TestCounting:
    def test_next_workday_across_national_day(self):
        assert next_workday(D(2025, 9, 30)) == D(2025, 10, 9)

    def test_add_workdays(self):
        assert add_workdays(D(2025, 9, 30), 3) == D(2025, 10, 11)
        assert add_workdays(D(2025, 9, 26), 3) == D(2025, 9, 30)
        assert add_workdays(D(2025, 10, 9), -1) == D(2025, 9, 30)
        assert add_workdays(D(2025, 10, 1), 0) == D(2025, 10, 9)
        assert add_workdays(D(2025, 9, 30), 0) == D(2025, 9, 30)

    def test_workdays_between_is_the_inverse_of_add_workdays(self):
        assert workdays_between(D(2025, 9, 30), D(2025, 10, 11)) == 3
        assert workdays_between(D(2025, 10, 11), D(2025, 9, 30)) == -3
        assert workdays_between(D(2025, 9, 30), D(2025, 9, 30)) == 0

    def test_huge_counts_are_refused_not_spun(self):
        with pytest.raises(ValueError):
            add_workdays(D(2025, 1, 1), 100_000)
        with pytest.raises(ValueError):
            workdays_between(D(1900, 1, 1), D(2100, 1, 1))

    def test_long_walk_runs_one_query_per_year(self, django_assert_max_num_queries):
        with django_assert_max_num_queries(3):
            assert add_workdays(D(2025, 1, 1), 400) > D(2026, 1, 1)


class TestParseWindows:
    def test_one_and_two_windows(self):
        t = datetime.time
        assert parse_windows("09:00-18:00") == [(t(9), t(18))]
        assert parse_windows("09:00-12:00, 13:00-18:00") == [(t(9), t(12)), (t(13), t(18))]
        assert parse_windows("09:00-12:00,12:00-18:00") == [(t(9), t(12)), (t(12), t(18))]

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "9-18",
            "18:00-09:00",
            "09:00-09:00",
            "13:00-18:00,09:00-12:00",
            "09:00-13:00,12:00-18:00",
            "09:00-24:00",
            "09:61-18:00",
        ],
    )
    def test_invalid(self, text):
        with pytest.raises(ValueError):
            parse_windows(text)


@pytest.mark.django_db
def test_month_calendar_october_2025():
    month = month_calendar(2025, 10)
    assert all(len(week) == 7 for week in month.weeks)
    assert month.weeks[0][:2] == [None, None]  # October 1st 2025 is a Wednesday
    assert month.days[0].day == D(2025, 10, 1)
    assert len(month.days) == 31
    assert month.days[10].kind == "makeup"  # Saturday October 11
    # 23 weekdays − 6 weekday holidays (1–3, 6–8) + 1 make-up Saturday (11th).
    assert month.workday_count == 18
