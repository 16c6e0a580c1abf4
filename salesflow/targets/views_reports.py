"""周报/月报 pages: the list (mine and my team's), the team table (谁已提交), a report with its
figures, text sections, submission, comments, and a printable view."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesflow.core.exports import export_response
from salesflow.core.pagination import bounded_page
from salesflow.core.scope import has_right
from salesflow.core.views import require_right
from salesflow.deals.forms import apply_service_error, error_text
from salesflow.deals.views.common import SERVICE_ERRORS, export_format, owner_choices

from . import report_services, selectors
from .forms import CommentForm, ReportFilterForm, ReportForm, TeamTableForm
from .models import ReportKind

PAGE_SIZE = 50


def _filters(request, form) -> dict:
    filters = form.selector_args()
    if request.GET.get("mine") == "1":
        filters["owner_id"] = request.user.pk
    return filters


@require_right("report", "view")
@require_http_methods(["GET"])
def report_list(request):
    user = request.user
    form = ReportFilterForm(request.GET or None, owners=owner_choices(user, "report"))
    filters = _filters(request, form)
    page = bounded_page(
        selectors.report_list(user=user, filters=filters), PAGE_SIZE, request.GET.get("page")
    )
    return render(
        request,
        "targets/report_list.html",
        {
            "form": form,
            "page": page,
            "filtered": bool(filters),
            "now": timezone.now(),
            "can_write": has_right(user, "report", "add"),
            "can_review": has_right(user, "report", "approve"),
            "can_export": has_right(user, "report", "export"),
        },
    )


@require_right("report", "export")
@require_http_methods(["GET"])
def report_export(request):
    user = request.user
    form = ReportFilterForm(request.GET or None, owners=owner_choices(user, "report"))
    filters = _filters(request, form)
    columns = [
        (_("类型"), lambda r: r.get_kind_display()),
        (_("期间"), lambda r: r.period_label),
        (_("提交人"), lambda r: str(r.owner)),
        (_("状态"), lambda r: r.get_status_display()),
        (_("截止时间"), lambda r: r.due_at),
        (_("提交时间"), lambda r: r.submitted_at),
        (_("逾期提交"), lambda r: _("是") if r.is_late else ""),
        (_("逾期原因"), lambda r: r.late_reason),
        (_("存在问题"), lambda r: r.problems),
        (_("需要的支持"), lambda r: r.support_needed),
        (_("竞争对手动态"), lambda r: r.competitor_news),
        (_("下期计划"), lambda r: r.next_plan),
    ]
    return export_response(
        user=user,
        queryset=selectors.report_list(user=user, filters=filters)[:5000],
        columns=columns,
        fmt=export_format(request),
        filename=_("周报月报"),
        object_type="report",
        personal_data=False,
        filters=filters,
    )


@require_right("report", "add")
@require_POST
def report_start(request, kind):
    """Open (drafting if needed) my report of the current week or month."""
    if kind not in ReportKind.values:
        raise Http404
    report = report_services.report_draft(owner=request.user, kind=kind, day=timezone.localdate())
    return redirect("targets:report_detail", report.pk)


@require_right("report", "view")
@require_http_methods(["GET"])
def report_team(request):
    """Who has submitted (团队提交情况) for one week or month."""
    form = TeamTableForm(request.GET or None)
    kind, day = form.period()
    start, end = report_services.period_of(kind, day)
    rows = selectors.team_reports(user=request.user, kind=kind, period_start=start)
    now = timezone.now()
    return render(
        request,
        "targets/report_team.html",
        {
            "form": form,
            "rows": rows,
            "kind_label": ReportKind(kind).label,
            "period_start": start,
            "period_end": end,
            "due_at": report_services.due_at(kind, start),
            "now": now,
            "submitted": sum(1 for _p, r in rows if r is not None and r.is_submitted),
        },
    )


def _detail_context(request, report, form=None):
    user = request.user
    is_owner = report.owner_id == user.pk
    editable = is_owner and not report.is_submitted
    return {
        "report": report,
        "figures": report.figures or {},
        "form": form or (ReportForm(initial=_initial(report)) if editable else None),
        "editable": editable,
        "overdue": report.is_overdue(),
        "comments": report.comments.select_related("author"),
        "comment_form": (
            CommentForm() if has_right(user, "report", "approve") and not is_owner else None
        ),
    }


def _initial(report) -> dict:
    return {name: getattr(report, name) for name in report_services.TEXT_FIELDS}


@require_right("report", "view")
@require_http_methods(["GET", "POST"])
def report_detail(request, pk):
    user = request.user
    report = selectors.report_get(user=user, pk=pk)
    form = None
    if request.method == "POST":
        form = ReportForm(request.POST)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in report_services.TEXT_FIELDS}
            try:
                if "submit" in request.POST:
                    report_services.report_submit(
                        actor=user,
                        report_id=report.pk,
                        data=data,
                        late_reason=form.cleaned_data["late_reason"],
                    )
                    messages.success(request, _("报告已提交。"))
                else:
                    report_services.report_save(actor=user, report_id=report.pk, data=data)
                    messages.success(request, _("草稿已保存。"))
            except SERVICE_ERRORS as exc:
                apply_service_error(form, exc)
            else:
                return redirect("targets:report_detail", report.pk)
    return render(request, "targets/report_detail.html", _detail_context(request, report, form))


@require_right("report", "approve")
@require_POST
def report_comment(request, pk):
    report = selectors.report_get(user=request.user, pk=pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写批注内容。"))
    else:
        try:
            report_services.report_comment(
                actor=request.user, report_id=report.pk, body=form.cleaned_data["body"]
            )
        except SERVICE_ERRORS as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("批注已发送给提交人。"))
    return redirect("targets:report_detail", report.pk)


@require_right("report", "view")
@require_http_methods(["GET"])
def report_print(request, pk):
    report = selectors.report_get(user=request.user, pk=pk)
    return render(
        request,
        "targets/report_print.html",
        {
            "report": report,
            "figures": report.figures or {},
            "comments": report.comments.select_related("author"),
        },
    )
