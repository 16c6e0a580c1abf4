"""One clock for deadlines: ``deadline(start, rule)`` for every SLA of the product.

Rules are short strings stored in settings ("24h", "3 working days", "next Monday 12:00",
"last day of month 18:00", or the Chinese "3个工作日", "下周一 12:00", "月末 18:00"); the grammar
is documented in ``docs/sla-rules.md``. Everything is computed in the company time zone with the
work calendar of ``core.workcalendar`` (holidays, 调休 make-up days, administrator overrides)
and returned as an aware datetime in that time zone.

SLA state is computed on read with ``sla_state``; a periodic job sweeps breaches.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .workcalendar import MAX_SPAN_DAYS, WorkCalendar, get_calendar, work_windows

#: Caps that keep every computation bounded (a larger rule is a typing mistake).
MAX_HOURS = 20_000
MAX_DAYS = 3_660
MAX_WORKING_DAYS = 2_500
_MAX_MONTHS_AHEAD = 120

DURATION = "duration"
DAYS = "days"
WORKING_DAYS = "working_days"
WEEKDAY = "weekday"
MONTH_END = "month_end"

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAY_ZH = "一二三四五六日"


@dataclass(frozen=True)
class Rule:
    """A parsed rule. ``amount`` is minutes for ``duration`` and days for the day kinds."""

    kind: str
    amount: int = 0
    working_hours: bool = False  # duration counted only inside working windows
    weekday: int | None = None  # 0 = Monday, for ``weekday``
    at: datetime.time | None = None  # time of day, for ``weekday`` and ``month_end``
    last_working_day: bool = False  # ``month_end``: the last working day instead

    def __str__(self) -> str:
        """The canonical (English) spelling, which ``parse_rule`` reads back."""
        at = f"{self.at:%H:%M}" if self.at else ""
        if self.kind == DURATION:
            if self.working_hours:
                return f"{Decimal(self.amount) / 60:f}".rstrip("0").rstrip(".") + " working hours"
            return f"{self.amount // 60}h" if self.amount % 60 == 0 else f"{self.amount}m"
        if self.kind == DAYS:
            return f"{self.amount}d"
        if self.kind == WORKING_DAYS:
            return f"{self.amount} working day{'' if self.amount == 1 else 's'}"
        if self.kind == WEEKDAY:
            return f"next {WEEKDAY_NAMES[self.weekday]} {at}"
        if self.last_working_day:
            return f"last working day of month {at}"
        return f"last day of month {at}"

    @property
    def label(self) -> str:
        """A Chinese description for the interface, e.g. "3个工作日", "下周一 12:00"."""
        at = f"{self.at:%H:%M}" if self.at else ""
        if self.kind == DURATION:
            if self.amount % 60 == 0:
                text = _("%(n)s小时") % {"n": self.amount // 60}
            else:
                text = _("%(n)s分钟") % {"n": self.amount}
            return _("%(t)s（仅计工作时间）") % {"t": text} if self.working_hours else text
        if self.kind == DAYS:
            return _("%(n)s天") % {"n": self.amount}
        if self.kind == WORKING_DAYS:
            return _("%(n)s个工作日") % {"n": self.amount}
        if self.kind == WEEKDAY:
            return _("下周%(d)s %(at)s") % {"d": _WEEKDAY_ZH[self.weekday], "at": at}
        if self.last_working_day:
            return _("月末最后一个工作日 %(at)s") % {"at": at}
        return _("月末 %(at)s") % {"at": at}


# --- parsing --------------------------------------------------------------------------------

_NUMBER = r"(?P<n>\d+(?:\.\d+)?)"
_TIME = r"(?P<hh>\d{1,2})(?::(?P<mm>\d{2})|点(?:(?P<half>半)|(?P<cm>\d{1,2})分?)?)"
_HOURS = r"h|hr|hrs|hour|hours|小时|个小时|钟头|个钟头"
_MINUTES = r"m|min|mins|minute|minutes|分钟|个分钟"
_WORKING_HOURS = (
    r"wh|working hours?|work hours?|business hours?|工作小时|个工作小时"
    r"|工作时|个工作时"
)
_DAYS = r"d|day|days|天|日|个自然日|自然日"
_WORKING_DAYS = r"wd|working days?|work days?|workdays?|business days?|工作日|个工作日"
_WEEKDAYS_EN = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}

_AMOUNT_RE = re.compile(
    rf"^{_NUMBER}\s*(?:(?P<wh>{_WORKING_HOURS})|(?P<h>{_HOURS})|(?P<m>{_MINUTES})"
    rf"|(?P<wd>{_WORKING_DAYS})|(?P<d>{_DAYS}))$"
)
_WEEKDAY_EN_RE = re.compile(rf"^(?:next\s+)?(?P<day>[a-z]+)\s*(?:at\s+)?{_TIME}$")
_WEEKDAY_ZH_RE = re.compile(
    rf"^(?:下个?|每)?(?:周|星期|礼拜)(?P<day>[一二三四五六日天])\s*{_TIME}$"
)
_MONTH_END_RE = re.compile(
    rf"^(?:(?P<en_work>last working day of (?:the )?month)|(?P<en_day>last day of (?:the )?month)"
    rf"|(?P<zh_work>(?:每月|本月|当月|月末|月底)?最后一个工作日|(?:月末|月底)工作日)"
    rf"|(?P<zh_day>月末|月底|(?:每月|本月|当月)最后一天))\s*(?:at\s+)?{_TIME}$"
)

_EXAMPLES = "24h、90m、7d、3个工作日、下周一 12:00、月末 18:00"


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    return re.sub(r"\s+", " ", text)


def _clock(match: re.Match) -> datetime.time:
    hour = int(match["hh"])
    if match["mm"] is not None:
        minute = int(match["mm"])
    elif match["half"]:
        minute = 30
    else:
        minute = int(match["cm"] or 0)
    if hour > 23 or minute > 59:
        raise ValueError(_("时间“%(h)s:%(m)02d”无效。") % {"h": hour, "m": minute})
    return datetime.time(hour, minute)


def _amount_rule(match: re.Match, original: str) -> Rule:
    try:
        number = Decimal(match["n"])
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        raise ValueError(_("无法识别的时限规则“%(text)s”。") % {"text": original}) from None
    if number <= 0:
        raise ValueError(_("时限必须大于 0：“%(text)s”。") % {"text": original})
    if match["wh"] or match["h"] or match["m"]:
        minutes = number if match["m"] else number * 60
        if minutes != minutes.to_integral_value():
            raise ValueError(_("时限最小单位为 1 分钟：“%(text)s”。") % {"text": original})
        if minutes > MAX_HOURS * 60:
            raise ValueError(_("时限过长，最多 %(max)s 小时。") % {"max": MAX_HOURS})
        return Rule(DURATION, amount=int(minutes), working_hours=bool(match["wh"]))
    if number != number.to_integral_value():
        raise ValueError(_("天数必须是整数：“%(text)s”。") % {"text": original})
    if match["wd"]:
        if number > MAX_WORKING_DAYS:
            raise ValueError(_("时限过长，最多 %(max)s 个工作日。") % {"max": MAX_WORKING_DAYS})
        return Rule(WORKING_DAYS, amount=int(number))
    if number > MAX_DAYS:
        raise ValueError(_("时限过长，最多 %(max)s 天。") % {"max": MAX_DAYS})
    return Rule(DAYS, amount=int(number))


def parse_rule(text: str | Rule) -> Rule:
    """Read a rule string (case-insensitive, English or Chinese); ``ValueError`` with a Chinese
    message for anything it cannot read, for zero or negative amounts and for amounts beyond
    the caps."""
    if isinstance(text, Rule):
        return text
    original = str(text or "").strip()
    normalised = _normalise(original)
    if not normalised:
        raise ValueError(_("请填写时限规则，如 %(examples)s。") % {"examples": _EXAMPLES})
    if normalised.startswith("-"):
        raise ValueError(_("时限不能为负数：“%(text)s”。") % {"text": original})
    if match := _AMOUNT_RE.match(normalised):
        return _amount_rule(match, original)
    if (match := _WEEKDAY_EN_RE.match(normalised)) and match["day"] in _WEEKDAYS_EN:
        return Rule(WEEKDAY, weekday=_WEEKDAYS_EN[match["day"]], at=_clock(match))
    if match := _WEEKDAY_ZH_RE.match(normalised):
        return Rule(WEEKDAY, weekday=_WEEKDAYS_ZH[match["day"]], at=_clock(match))
    if match := _MONTH_END_RE.match(normalised):
        working = bool(match["en_work"] or match["zh_work"])
        return Rule(MONTH_END, at=_clock(match), last_working_day=working)
    raise ValueError(
        _("无法识别的时限规则“%(text)s”。可用的写法如：%(examples)s。")
        % {"text": original, "examples": _EXAMPLES}
    )


# --- deadline -------------------------------------------------------------------------------


def _local(moment: datetime.datetime) -> datetime.datetime:
    """``moment`` in the company time zone (a naive value is taken as company local time)."""
    tz = timezone.get_default_timezone()
    if timezone.is_naive(moment):
        return timezone.make_aware(moment, tz)
    return moment.astimezone(tz)


def _at(day: datetime.date, clock: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, clock, tzinfo=timezone.get_default_timezone())


def _add_working_time(start, remaining: datetime.timedelta, windows, cal: WorkCalendar):
    """Walk day by day and consume the working windows (never minute by minute)."""
    day, cursor = start.date(), start
    for _i in range(MAX_SPAN_DAYS):
        if cal.is_workday(day):
            for window_start, window_end in windows:
                end = _at(day, window_end)
                if cursor >= end:
                    continue
                begin = max(cursor, _at(day, window_start))
                available = end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += datetime.timedelta(days=1)
        cursor = _at(day, datetime.time.min)
    raise ValueError(_("时限超出可计算范围。"))


def _last_day_of_month(year: int, month: int, rule: Rule, cal: WorkCalendar):
    last = datetime.date(year, month, pycalendar.monthrange(year, month)[1])
    if not rule.last_working_day:
        return last
    for back in range(last.day):
        day = last - datetime.timedelta(days=back)
        if cal.is_workday(day):
            return day
    return None  # a month without any working day: the next month's applies


def _month_end(local, rule: Rule, cal: WorkCalendar):
    year, month = local.year, local.month
    for _i in range(_MAX_MONTHS_AHEAD):
        day = _last_day_of_month(year, month, rule, cal)
        if day is not None and _at(day, rule.at) > local:
            return _at(day, rule.at)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise ValueError(_("时限超出可计算范围。"))


def deadline(
    start: datetime.datetime, rule: str | Rule, *, working_hours_only: bool = False
) -> datetime.datetime:
    """The moment by which something started at ``start`` is due under ``rule``.

    ``working_hours_only`` counts hour/minute rules inside the working windows (setting
    ``calendar.work_hours``) on working days only; it does not change day-based rules.
    Returns an aware datetime in the company time zone.
    """
    rule = parse_rule(rule)
    local = _local(start)
    cal = get_calendar()
    if rule.kind == DURATION:
        delta = datetime.timedelta(minutes=rule.amount)
        if working_hours_only or rule.working_hours:
            return _add_working_time(local, delta, work_windows(), cal)
        # Elapsed time is absolute: add in UTC so a DST zone would still give real hours.
        return _local(local.astimezone(datetime.UTC) + delta)
    if rule.kind == DAYS:
        day = local.date() + datetime.timedelta(days=rule.amount)
        if not cal.is_workday(day):
            day = cal.next_workday(day)
        return _at(day, local.time())
    if rule.kind == WORKING_DAYS:
        if cal.is_workday(local.date()):
            base_day, clock = local.date(), local.time()
        else:
            # Started on a day off: counted as if started when the next working day opens.
            base_day, clock = cal.next_workday(local.date()), work_windows()[0][0]
        return _at(cal.add_workdays(base_day, rule.amount), clock)
    if rule.kind == WEEKDAY:
        ahead = (rule.weekday - local.weekday()) % 7 or 7
        day = local.date() + datetime.timedelta(days=ahead)
        if not cal.is_workday(day):
            day = cal.next_workday(day)
        return _at(day, rule.at)
    return _month_end(local, rule, cal)


# --- elapsed working time -------------------------------------------------------------------


def _working_time(start, end, windows, cal: WorkCalendar) -> datetime.timedelta:
    start, end = _local(start), _local(end)
    total = datetime.timedelta()
    if end <= start:
        return total
    span = (end.date() - start.date()).days
    if span > MAX_SPAN_DAYS:
        raise ValueError(_("日期跨度过大，超出可计算范围。"))
    for offset in range(span + 1):
        day = start.date() + datetime.timedelta(days=offset)
        if not cal.is_workday(day):
            continue
        for window_start, window_end in windows:
            overlap = min(end, _at(day, window_end)) - max(start, _at(day, window_start))
            if overlap > datetime.timedelta():
                total += overlap
    return total


def _seconds(delta: datetime.timedelta) -> Decimal:
    return Decimal(delta.days * 86_400 + delta.seconds) + Decimal(delta.microseconds) / 1_000_000


_CENT = Decimal("0.01")


def elapsed_working_hours(start: datetime.datetime, end: datetime.datetime) -> Decimal:
    """Hours inside the working windows on working days between two instants (0 if
    ``end`` is not after ``start``), rounded to 2 places."""
    seconds = _seconds(_working_time(start, end, work_windows(), get_calendar()))
    return (seconds / 3600).quantize(_CENT, rounding=ROUND_HALF_UP)


def elapsed_working_days(start: datetime.datetime, end: datetime.datetime) -> Decimal:
    """Working hours between two instants divided by the hours of one working day, rounded to
    2 places (e.g. "time in stage: 2.50 working days")."""
    windows = work_windows()
    day_seconds = sum(
        _seconds(
            datetime.datetime.combine(datetime.date.min, end)
            - datetime.datetime.combine(datetime.date.min, begin)
        )
        for begin, end in windows
    )
    seconds = _seconds(_working_time(start, end, windows, get_calendar()))
    return (seconds / day_seconds).quantize(_CENT, rounding=ROUND_HALF_UP)


# --- state ----------------------------------------------------------------------------------

ON_TIME, DUE_SOON, BREACHED, MET, MISSED = "on_time", "due_soon", "breached", "met", "missed"

SLA_STATE_LABELS = {
    ON_TIME: gettext_lazy("按时"),
    DUE_SOON: gettext_lazy("即将到期"),
    BREACHED: gettext_lazy("已超时"),
    MET: gettext_lazy("已达成"),
    MISSED: gettext_lazy("已逾期完成"),
}

#: Bootstrap badge classes for templates.
SLA_STATE_BADGES = {
    ON_TIME: "text-bg-success",
    DUE_SOON: "text-bg-warning",
    BREACHED: "text-bg-danger",
    MET: "text-bg-secondary",
    MISSED: "text-bg-dark",
}


def sla_state(
    due_at: datetime.datetime | None,
    *,
    done_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
    due_soon_hours: float | Decimal | None = None,
) -> str:
    """``met``/``missed`` once done (on or before the due moment is met); otherwise
    ``breached`` after the due moment, ``due_soon`` within ``due_soon_hours`` elapsed hours
    of it, else ``on_time``. Something without a due moment cannot be late."""
    if done_at is not None:
        return MET if due_at is None or done_at <= due_at else MISSED
    if due_at is None:
        return ON_TIME
    now = now or timezone.now()
    if now > due_at:
        return BREACHED
    if due_soon_hours is None:
        from .settings_registry import get_setting

        due_soon_hours = get_setting("sla.due_soon_hours")
    if due_at - now <= datetime.timedelta(hours=float(due_soon_hours)):
        return DUE_SOON
    return ON_TIME
