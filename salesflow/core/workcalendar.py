"""The work calendar: which dates are working days in China, for every deadline of the product.

A date is answered by the first source that knows it:

1. ``override`` — an administrator's ``CalendarOverride`` row (a holiday the package does not
   know, or a 调休 make-up working day). It always wins.
2. ``package`` — the ``chinesecalendar`` package, for the years it covers (statutory holidays
   and 调休 days as published by the State Council).
3. ``fallback`` — Monday to Friday. Never an exception: an uncovered year still gives deadlines,
   and administrators see a warning asking them to enter that year's holidays.

Overrides are loaded one year at a time (one query) and kept in the per-request/per-job cache,
so that walking across a long holiday does not run one query per day.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime
import functools
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from .context import request_cache

SOURCE_OVERRIDE = "override"
SOURCE_PACKAGE = "package"
SOURCE_FALLBACK = "fallback"

#: Upper bound of any day-by-day walk (100 years); beyond it a computation is a mistake.
MAX_SPAN_DAYS = 36_600

_CACHE_KEY = "workcalendar"
_WARNING_CACHE_KEY = "workcalendar_warning"


# --- the package ----------------------------------------------------------------------------


def _load_package():
    try:
        import chinese_calendar
        from chinese_calendar import constants
    except ImportError:  # pragma: no cover - the package is a dependency; be robust anyway
        return None, frozenset(), {}
    years = frozenset(day.year for day in getattr(constants, "holidays", {}))
    names = {}
    holiday_enum = getattr(constants, "Holiday", None)
    if holiday_enum is not None:
        names = {item.value: getattr(item, "chinese", item.value) for item in holiday_enum}
    return chinese_calendar, years, names


_PACKAGE, PACKAGE_YEARS, _PACKAGE_NAMES = _load_package()


def covered_by_package(year: int) -> bool:
    """True when ``chinesecalendar`` holds the holidays and 调休 days of ``year``."""
    return year in PACKAGE_YEARS


@functools.lru_cache(maxsize=8192)
def _package_day(day: datetime.date) -> tuple[bool, str] | None:
    """``(is_workday, chinese_name)`` from the package, or None when it does not cover the day."""
    if _PACKAGE is None or not covered_by_package(day.year):
        return None
    try:
        is_workday = bool(_PACKAGE.is_workday(day))
        _is_holiday, name = _PACKAGE.get_holiday_detail(day)
    except NotImplementedError:
        return None
    chinese_name = _PACKAGE_NAMES.get(name, name) if name else ""
    return is_workday, chinese_name


# --- day information ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DayInfo:
    day: datetime.date
    is_workday: bool
    source: str  # "override" | "package" | "fallback"
    name: str = ""

    @property
    def is_weekend(self) -> bool:
        return self.day.weekday() >= 5

    @property
    def kind(self) -> str:
        """workday | makeup (调休上班 on a weekend) | holiday (named or weekday rest) | rest."""
        if self.is_workday:
            return "makeup" if self.is_weekend else "workday"
        if self.name or not self.is_weekend:
            return "holiday"
        return "rest"


class WorkCalendar:
    """Answers day questions with the overrides of each year loaded once."""

    def __init__(self) -> None:
        self._overrides: dict[int, dict[datetime.date, tuple[bool, str]]] = {}

    def overrides_for_year(self, year: int) -> dict[datetime.date, tuple[bool, str]]:
        if year not in self._overrides:
            from .models import CalendarOverride

            rows = CalendarOverride.objects.filter(
                date__gte=datetime.date(year, 1, 1), date__lte=datetime.date(year, 12, 31)
            ).values_list("date", "is_workday", "name")
            self._overrides[year] = {day: (is_workday, name) for day, is_workday, name in rows}
        return self._overrides[year]

    def info(self, day: datetime.date) -> DayInfo:
        override = self.overrides_for_year(day.year).get(day)
        if override is not None:
            return DayInfo(
                day=day, is_workday=override[0], source=SOURCE_OVERRIDE, name=override[1]
            )
        package = _package_day(day)
        if package is not None:
            return DayInfo(day=day, is_workday=package[0], source=SOURCE_PACKAGE, name=package[1])
        return DayInfo(day=day, is_workday=day.weekday() < 5, source=SOURCE_FALLBACK)

    def is_workday(self, day: datetime.date) -> bool:
        override = self.overrides_for_year(day.year).get(day)
        if override is not None:
            return override[0]
        package = _package_day(day)
        if package is not None:
            return package[0]
        return day.weekday() < 5

    def year_is_covered(self, year: int) -> bool:
        return covered_by_package(year) or bool(self.overrides_for_year(year))

    def next_workday(self, day: datetime.date) -> datetime.date:
        """The first working day strictly after ``day``."""
        for offset in range(1, MAX_SPAN_DAYS + 1):
            candidate = day + datetime.timedelta(days=offset)
            if self.is_workday(candidate):
                return candidate
        raise ValueError(_("日历中长期没有工作日，无法计算时限。"))

    def add_workdays(self, day: datetime.date, n: int) -> datetime.date:
        """The ``n``-th working day after ``day`` (before it when ``n`` is negative). ``n == 0``
        gives ``day`` itself when it is a working day, else the next working day."""
        if n == 0:
            return day if self.is_workday(day) else self.next_workday(day)
        step = datetime.timedelta(days=1 if n > 0 else -1)
        remaining = abs(n)
        current = day
        for _i in range(MAX_SPAN_DAYS):
            current += step
            if self.is_workday(current):
                remaining -= 1
                if remaining == 0:
                    return current
        raise ValueError(_("工作日数过大，超出可计算范围。"))

    def workdays_between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative if ``end`` is
        earlier), so that ``workdays_between(d, add_workdays(d, n)) == n``."""
        if end < start:
            return -self.workdays_between(end, start)
        span = (end - start).days
        if span > MAX_SPAN_DAYS:
            raise ValueError(_("日期跨度过大，超出可计算范围。"))
        return sum(
            1
            for offset in range(1, span + 1)
            if self.is_workday(start + datetime.timedelta(days=offset))
        )


def get_calendar() -> WorkCalendar:
    """The calendar of the current request or job (a fresh one outside of any)."""
    cache = request_cache()
    calendar = cache.get(_CACHE_KEY)
    if calendar is None:
        calendar = cache[_CACHE_KEY] = WorkCalendar()
    return calendar


def forget_cached_calendar() -> None:
    """Drop the overrides cached for this request/job (call after changing an override)."""
    cache = request_cache()
    cache.pop(_CACHE_KEY, None)
    cache.pop(_WARNING_CACHE_KEY, None)


def _as_date(day) -> datetime.date:
    if isinstance(day, datetime.datetime):
        return timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    return day


def is_workday(day: datetime.date) -> bool:
    """Override table first, then ``chinesecalendar`` for its years, else Monday–Friday."""
    return get_calendar().is_workday(_as_date(day))


def day_info(day: datetime.date) -> DayInfo:
    return get_calendar().info(_as_date(day))


def next_workday(day: datetime.date) -> datetime.date:
    return get_calendar().next_workday(_as_date(day))


def add_workdays(day: datetime.date, n: int) -> datetime.date:
    return get_calendar().add_workdays(_as_date(day), n)


def workdays_between(d1: datetime.date, d2: datetime.date) -> int:
    return get_calendar().workdays_between(_as_date(d1), _as_date(d2))


# --- coverage -------------------------------------------------------------------------------


def year_is_covered(year: int) -> bool:
    """A year is covered when the package knows it, or when an administrator has entered at
    least one override for it (taken as "this year's holidays have been maintained")."""
    return get_calendar().year_is_covered(year)


def year_coverage_message(year: int) -> str | None:
    """The warning for one uncovered year, or None when it is covered."""
    if year_is_covered(year):
        return None
    return _(
        "%(year)s 年的法定节假日和调休安排尚未收录，该年的时限暂按周一至周五计算。"
        "请管理员在“工作日历”中录入该年的节假日和调休上班日。"
    ) % {"year": year}


def coverage_warning() -> str | None:
    """A message for administrators when this year or next year is not covered (memoised per
    request; shown in the page header)."""
    cache = request_cache()
    if _WARNING_CACHE_KEY in cache:
        return cache[_WARNING_CACHE_KEY]
    this_year = timezone.localdate().year
    missing = [year for year in (this_year, this_year + 1) if not year_is_covered(year)]
    message = None
    if missing:
        years = "、".join(str(year) for year in missing)
        message = _(
            "工作日历未收录 %(years)s 年的法定节假日和调休安排，相关时限将按周一至周五计算。"
            "请管理员在“工作日历”中录入该年的节假日和调休上班日。"
        ) % {"years": years}
    cache[_WARNING_CACHE_KEY] = message
    return message


# --- working hours --------------------------------------------------------------------------

_WINDOW_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def _parse_clock(hours: str, minutes: str) -> datetime.time:
    hour, minute = int(hours), int(minutes)
    if hour > 23 or minute > 59:
        raise ValueError(
            _("时间“%(value)s:%(minutes)s”无效。") % {"value": hours, "minutes": minutes}
        )
    return datetime.time(hour, minute)


def parse_windows(text: str) -> list[tuple[datetime.time, datetime.time]]:
    """``"09:00-12:00,13:00-18:00"`` → ``[(09:00, 12:00), (13:00, 18:00)]``.

    Windows must be in ascending order and must not overlap (touching is allowed); each must
    end after it starts. Raises ``ValueError`` with a Chinese message otherwise.
    """
    parts = [part.strip() for part in str(text or "").replace("，", ",").split(",")]
    if not any(parts):
        raise ValueError(_("请填写工作时间，如 09:00-18:00。"))
    windows: list[tuple[datetime.time, datetime.time]] = []
    for part in parts:
        match = _WINDOW_RE.match(part)
        if not match:
            raise ValueError(_("工作时段“%(part)s”格式不正确，应为 09:00-18:00。") % {"part": part})
        start = _parse_clock(match[1], match[2])
        end = _parse_clock(match[3], match[4])
        if end <= start:
            raise ValueError(_("工作时段“%(part)s”的结束时间必须晚于开始时间。") % {"part": part})
        if windows and start < windows[-1][1]:
            raise ValueError(
                _("工作时段“%(part)s”与前一时段重叠或顺序颠倒，请按时间先后填写。") % {"part": part}
            )
        windows.append((start, end))
    return windows


def work_windows() -> list[tuple[datetime.time, datetime.time]]:
    """The working windows of the setting ``calendar.work_hours`` (default 09:00–18:00)."""
    from .settings_registry import get_setting

    return parse_windows(get_setting("calendar.work_hours"))


# --- the page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthView:
    year: int
    month: int
    weeks: list[list[DayInfo | None]]  # Monday first; None for days of other months

    @property
    def days(self) -> list[DayInfo]:
        return [cell for week in self.weeks for cell in week if cell is not None]

    @property
    def workday_count(self) -> int:
        return sum(1 for cell in self.days if cell.is_workday)


def month_calendar(year: int, month: int) -> MonthView:
    """One month as weeks of seven cells (Monday first), each a ``DayInfo`` or None."""
    calendar = get_calendar()
    weeks = [
        [calendar.info(day) if day.month == month else None for day in week]
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    ]
    return MonthView(year=year, month=month, weeks=weeks)
