"""目标与报告 pages: the module home, targets (list, new, detail with decomposition, sum check
and adjustment history), and the two analyses (completion by metric, performance)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesflow.analytics.registry import Params
from salesflow.core.exports import export_response
from salesflow.core.pagination import bounded_page
from salesflow.core.scope import has_right, owner_ids_for
from salesflow.core.views import require_right
from salesflow.deals.forms import apply_service_error, error_text
from salesflow.deals.views.common import SERVICE_ERRORS, export_format
from salesflow.org.models import User

from . import analyses, metrics, selectors, services
from .forms import (
    AdjustForm,
    AnalysisFilterForm,
    ChildFormSet,
    DecomposeForm,
    PerformanceFilterForm,
    PerformanceNoteForm,
    TargetFilterForm,
    TargetForm,
)
from .models import ADDITIVE_METRICS, Level, Metric

PAGE_SIZE = 50


@require_right("target", "view")
@require_http_methods(["GET"])
def home(request):
    """The module's start page: this month's completion and links to every sub-page."""
    result = analyses.completion_by_metric(request.user, Params())
    return render(
        request,
        "targets/home.html",
        {
            "result": result,
            "can_report": has_right(request.user, "report", "view"),
            "can_review": has_right(request.user, "report", "approve"),
        },
    )


# --- targets ----------------------------------------------------------------------------------


@require_right("target", "view")
@require_http_methods(["GET"])
def target_list(request):
    form = TargetFilterForm(request.GET or None)
    filters = form.selector_args()
    page = bounded_page(
        selectors.target_list(user=request.user, filters=filters),
        PAGE_SIZE,
        request.GET.get("page"),
    )
    rows = selectors.with_actuals(page.object_list, request.user)
    return render(
        request,
        "targets/target_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "filtered": bool(filters),
            "can_add": has_right(request.user, "target", "add"),
            "can_export": has_right(request.user, "target", "export"),
        },
    )


@require_right("target", "export")
@require_http_methods(["GET"])
def target_export(request):
    filters = TargetFilterForm(request.GET or None).selector_args()
    targets = list(selectors.target_list(user=request.user, filters=filters)[:5000])
    rows = selectors.with_actuals(targets, request.user)
    columns = [
        (_("周期"), lambda r: r.target.period_label),
        (_("指标"), lambda r: r.target.get_metric_display()),
        (_("层级"), lambda r: r.target.get_level_display()),
        (_("对象"), lambda r: r.target.scope_label),
        (_("负责人"), lambda r: str(r.target.owner)),
        (_("目标值"), lambda r: r.target.value),
        (_("实际"), lambda r: r.actual),
        (_("完成率"), lambda r: r.completion_text),
        (_("上级目标"), lambda r: str(r.target.parent) if r.target.parent_id else ""),
    ]
    return export_response(
        user=request.user,
        queryset=rows,
        columns=columns,
        fmt=export_format(request),
        filename=_("销售目标"),
        object_type="target",
        personal_data=False,
        filters=filters,
    )


@require_right("target", "add")
@require_http_methods(["GET", "POST"])
def target_create(request):
    form = TargetForm(request.POST or None, initial={"owner": request.user, "level": Level.COMPANY})
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.target_create(actor=request.user, data=form.target_data())
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("目标已创建。"))
            return redirect("targets:target_detail", outcome.target.pk)
    return render(request, "targets/target_form.html", {"form": form})


@require_right("target", "view")
@require_http_methods(["GET"])
def target_detail(request, pk):
    user = request.user
    target = selectors.target_get(user=user, pk=pk)
    children = list(selectors.target_list(user=user).filter(parent=target).order_by("level", "id"))
    rows = selectors.with_actuals([target, *children], user)
    check = services.sum_check(target) if target.metric in ADDITIVE_METRICS and children else None
    can_change = has_right(user, "target", "change") and has_right(user, "target", "add")
    return render(
        request,
        "targets/target_detail.html",
        {
            "target": target,
            "row": rows[0],
            "children": rows[1:],
            "check": check,
            "adjustments": target.adjustments.select_related("actor"),
            "adjust_form": AdjustForm(initial={"value": target.value}) if can_change else None,
            "can_change": can_change,
        },
    )


@require_right("target", "change")
@require_POST
def target_adjust(request, pk):
    target = selectors.target_get(user=request.user, pk=pk, action="change")
    form = AdjustForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写新目标值和调整原因。"))
        return redirect("targets:target_detail", target.pk)
    try:
        outcome = services.target_adjust(
            actor=request.user,
            target_id=target.pk,
            value=form.cleaned_data["value"],
            reason=form.cleaned_data["reason"],
        )
    except SERVICE_ERRORS as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("目标已调整，调整记录已保存。"))
        for warning in outcome.warnings:
            messages.warning(request, warning)
    return redirect("targets:target_detail", target.pk)


@require_right("target", "add")
@require_http_methods(["GET", "POST"])
def target_decompose(request, pk):
    user = request.user
    parent = selectors.target_get(user=user, pk=pk, action="change")
    children = list(parent.children.select_related("owner", "department", "region", "product_line"))
    data = request.POST if request.method == "POST" else None
    form = DecomposeForm(data, children=children)
    formset = ChildFormSet(data, prefix="new")
    if data is not None and form.is_valid() and formset.is_valid():
        rows = form.existing_rows() + [
            f.target_data() for f in formset.forms if f.has_changed() and f.cleaned_data
        ]
        try:
            outcome = services.target_decompose(
                actor=user, parent_id=parent.pk, children=rows, reason=form.cleaned_data["reason"]
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("目标分解已保存。"))
            for warning in outcome.warnings:
                messages.warning(request, warning)
            return redirect("targets:target_detail", parent.pk)
    return render(
        request,
        "targets/target_decompose.html",
        {"parent": parent, "form": form, "formset": formset},
    )


# --- analyses ---------------------------------------------------------------------------------


def _params(form, group_by: str = "", **extra) -> Params:
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    extra = {k: v for k, v in extra.items() if v}
    if data.get("period"):
        extra["period"] = data["period"]
    for name in ("metric",):
        if data.get(name):
            extra[name] = data[name]
    return Params(
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        group_by=data.get("group_by") or group_by,
        extra=extra,
    )


def _cell(key: str):
    def get(row):
        value = row.get(key)
        return metrics.percent_text(value, 1) if key in PERCENT_KEYS else value

    return get


def _xlsx(request, result, title: str, object_type: str, filters: dict):
    """The analysis table as xlsx (exactly the rows and totals of the page)."""
    rows = [*result.rows, *([result.totals] if result.totals else [])]
    return export_response(
        user=request.user,
        queryset=rows,
        columns=[(label, _cell(key)) for key, label in result.columns],
        fmt="xlsx",
        filename=title,
        object_type=object_type,
        personal_data=False,
        filters=filters,
    )


PERCENT_KEYS = {"completion", "mom", "yoy"}


@require_right("target", "view")
@require_http_methods(["GET"])
def completion(request):
    form = AnalysisFilterForm(request.GET or None)
    result = analyses.completion_by_metric(request.user, _params(form))
    if request.GET.get("format") == "xlsx" and has_right(request.user, "target", "export"):
        return _xlsx(request, result, _("目标完成情况"), "target", request.GET.dict())
    return render(
        request,
        "targets/completion.html",
        {
            "form": form,
            "result": result,
            "can_export": has_right(request.user, "target", "export"),
            "rate_metric": Metric.REPURCHASE_RATE,
        },
    )


def _team_people(user):
    ids = owner_ids_for(user, "report", "view")
    qs = User.objects.filter(is_active=True)
    return (qs if ids is None else qs.filter(pk__in=ids)).order_by("id")


@require_right("report", "view")
@require_http_methods(["GET", "POST"])
def performance(request):
    if request.method == "POST":
        return _performance_note(request)
    form = PerformanceFilterForm(request.GET or None)
    params = _params(form, group_by="owner")
    result = analyses.performance(request.user, params)
    if request.GET.get("format") == "xlsx" and has_right(request.user, "report", "export"):
        return _xlsx(request, result, _("销售业绩分析"), "report", request.GET.dict())
    start, end = analyses.resolve_period(params)
    group = params.group_by if params.group_by in analyses.GROUPS else "owner"
    can_note = has_right(request.user, "report", "approve")
    return render(
        request,
        "targets/performance.html",
        {
            "form": form,
            "result": result,
            "date_from": start,
            "date_to": end,
            "group_by": group,
            "metric": params.extra.get("metric") or Metric.SALES_AMOUNT,
            "can_export": has_right(request.user, "report", "export"),
            "can_note": can_note,
            "note_owners": _team_people(request.user) if can_note else [],
            "notes": selectors.performance_notes(user=request.user, date_from=start, date_to=end)[
                :50
            ],
        },
    )


def _performance_note(request):
    """A manager records a variance reason and action for one row (POST to the page)."""
    if not has_right(request.user, "report", "approve"):
        raise Http404
    form = PerformanceNoteForm(request.POST, owners=_team_people(request.user))
    back = request.POST.get("back") or ""
    if not back.startswith("/targets/"):
        back = reverse("targets:performance")
    if not form.is_valid():
        messages.error(request, _("请填写差异原因、改进措施、责任人和完成期限。"))
        return redirect(back)
    try:
        services.performance_note_add(actor=request.user, data=form.note_data())
    except SERVICE_ERRORS as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("差异原因与改进措施已记录。"))
    return redirect(back)
