"""The work calendar page (系统 › 工作日历): a year month by month, and the administrator's
overrides (holidays the package does not know, 调休 make-up working days)."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .errors import NotAllowed, ValidationError
from .models import CalendarOverride
from .scope import has_right
from .views import require_right
from .workcalendar import (
    PACKAGE_YEARS,
    DayInfo,
    forget_cached_calendar,
    month_calendar,
    year_coverage_message,
)

MIN_YEAR, MAX_YEAR = 1900, 2200
WEEKDAY_HEADERS = (
    gettext_lazy("一"),
    gettext_lazy("二"),
    gettext_lazy("三"),
    gettext_lazy("四"),
    gettext_lazy("五"),
    gettext_lazy("六"),
    gettext_lazy("日"),
)
KIND_LABELS = {
    "workday": gettext_lazy("工作日"),
    "rest": gettext_lazy("休息日"),
    "holiday": gettext_lazy("节假日"),
    "makeup": gettext_lazy("调休上班"),
}
KIND_CLASSES = {
    "workday": "",
    "rest": "text-body-tertiary",
    "holiday": "table-danger",
    "makeup": "table-warning",
}
SOURCE_LABELS = {
    "override": gettext_lazy("管理员调整"),
    "package": gettext_lazy("节假日数据包"),
    "fallback": gettext_lazy("按周一至周五推算"),
}


class CalendarOverrideForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("请输入有效的日期，格式为 YYYY-MM-DD。")},
    )
    is_workday = forms.TypedChoiceField(
        label=gettext_lazy("这一天"),
        choices=[("0", gettext_lazy("休息日（放假）")), ("1", gettext_lazy("工作日（调休上班）"))],
        coerce=lambda value: value == "1",
        empty_value=None,
    )
    name = forms.CharField(
        label=gettext_lazy("名称"),
        max_length=50,
        required=False,
        help_text=gettext_lazy("如 国庆节、调休、公司年会"),
    )
    note = forms.CharField(label=gettext_lazy("备注"), max_length=200, required=False)

    def clean_date(self):
        day = self.cleaned_data["date"]
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise forms.ValidationError(
                _("日期须在 %(min)s 年至 %(max)s 年之间。") % {"min": MIN_YEAR, "max": MAX_YEAR}
            )
        return day


@dataclass(frozen=True)
class Cell:
    info: DayInfo
    css: str
    title: str
    is_today: bool


def _cell(info: DayInfo, today: datetime.date) -> Cell:
    parts = [f"{info.day:%Y-%m-%d}", str(KIND_LABELS[info.kind])]
    if info.name:
        parts.append(info.name)
    parts.append(_("来源：%(source)s") % {"source": SOURCE_LABELS[info.source]})
    css = KIND_CLASSES[info.kind]
    if info.source == "override":
        css += " fw-bold text-decoration-underline"
    if info.day == today:
        css += " border border-primary border-2"
    return Cell(info=info, css=css.strip(), title=" · ".join(parts), is_today=info.day == today)


def _year_from(value, default: int) -> int:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return year if MIN_YEAR <= year <= MAX_YEAR else default


def _months(year: int, today: datetime.date):
    months, kinds, sources = [], Counter(), Counter()
    for month in range(1, 13):
        view = month_calendar(year, month)
        for info in view.days:
            kinds[info.kind] += 1
            sources[info.source] += 1
        months.append(
            {
                "number": month,
                "label": _("%(month)s月") % {"month": month},
                "workday_count": view.workday_count,
                "weeks": [
                    [_cell(info, today) if info else None for info in week] for week in view.weeks
                ],
            }
        )
    return months, kinds, sources


def _redirect_to_year(year: int):
    return redirect(f"{reverse('core:calendar')}?year={year}")


@require_http_methods(["GET", "POST"])
@require_right("core.calendar", "view")
def calendar_page(request):
    """A year month by month with the source of each day; POST adds (or replaces) the
    override of one date."""
    today = timezone.localdate()
    year = _year_from(request.GET.get("year"), today.year)
    can_add = has_right(request.user, "core.calendar", "add")
    form = CalendarOverrideForm(request.POST or None, initial={"is_workday": "0"})
    if request.method == "POST":
        if not can_add:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                override = services.calendar_override_save(
                    actor=request.user,
                    date=data["date"],
                    is_workday=data["is_workday"],
                    name=data["name"].strip(),
                    note=data["note"].strip(),
                )
            except NotAllowed as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                forget_cached_calendar()
                messages.success(
                    request,
                    _("已保存 %(date)s 的日历调整。") % {"date": f"{override.date:%Y-%m-%d}"},
                )
                return _redirect_to_year(override.date.year)
    months, kinds, sources = _months(year, today)
    overrides = (
        CalendarOverride.objects.filter(date__year=year)
        .select_related("created_by")
        .order_by("date")
    )
    return render(
        request,
        "core/calendar.html",
        {
            "year": year,
            "previous_year": year - 1 if year > MIN_YEAR else None,
            "next_year": year + 1 if year < MAX_YEAR else None,
            "this_year": today.year,
            "months": months,
            "weekday_headers": WEEKDAY_HEADERS,
            "year_warning": year_coverage_message(year),
            "covered_by_package": year in PACKAGE_YEARS,
            "package_first_year": min(PACKAGE_YEARS, default=None),
            "package_last_year": max(PACKAGE_YEARS, default=None),
            "workday_total": kinds["workday"] + kinds["makeup"],
            "holiday_total": kinds["holiday"],
            "makeup_total": kinds["makeup"],
            "override_total": sources["override"],
            "overrides": overrides,
            "form": form,
            "can_add": can_add,
            "can_delete": has_right(request.user, "core.calendar", "delete"),
        },
    )


@require_POST
@require_right("core.calendar", "delete")
def calendar_override_delete(request, pk: int):
    override = get_object_or_404(CalendarOverride, pk=pk)
    year, day = override.date.year, override.date
    try:
        services.calendar_override_delete(actor=request.user, override_id=override.pk)
    except (NotAllowed, CalendarOverride.DoesNotExist):
        raise Http404 from None
    forget_cached_calendar()
    messages.success(request, _("已删除 %(date)s 的日历调整。") % {"date": f"{day:%Y-%m-%d}"})
    return _redirect_to_year(year)
