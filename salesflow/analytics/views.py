"""Analytics pages: the role dashboard, the list of analyses, one generic page per analysis
(chart + table + xlsx/csv), funnel variance notes and channel costs."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesflow.core.audit import audit
from salesflow.core.errors import NotAllowed
from salesflow.core.exports import XLSX_TYPE, build_csv, build_xlsx, neutralise
from salesflow.core.scope import has_right, scope_for
from salesflow.core.views import require_right
from salesflow.org.rights import DataScope

from . import registry, services
from .forms import AnalysisFilterForm, ChannelCostForm, FunnelVarianceForm
from .models import ChannelCost, FunnelVariance
from .registry import Params

# Analyses shown under another one's page when they are registered (other modules add them).
RELATED = {
    "kpis": ("complaint_rate", "win_rate", "stage_sla", "cac"),
    "stage_time": ("stage_repeats", "skip_outcomes", "interview_themes"),
    "funnel": (),
}


def analysis_url(analysis) -> str:
    if analysis.url_name:
        try:
            return reverse(analysis.url_name)
        except NoReverseMatch:
            pass
    return reverse("analytics:analysis", args=[analysis.name])


def visible_analyses(user) -> list:
    return [a for a in registry.all_analyses() if has_right(user, a.object_type, "view")]


def team_choices(user) -> list[tuple[int, str]]:
    """Departments the user may filter by: their own subtree (everything for company scope)."""
    from salesflow.org.models import Department

    qs = Department.objects.order_by("path")
    if scope_for(user, "opportunity", "view") != DataScope.COMPANY:
        if user.department_id is None:
            return []
        qs = qs.filter(path__startswith=user.department.path)
    return list(qs.values_list("id", "name")[:200])


def _get_analysis(user, name: str):
    try:
        analysis = registry.get(name)
    except KeyError:
        raise Http404 from None
    if not has_right(user, analysis.object_type, "view"):
        raise Http404
    return analysis


def export_result(*, user, analysis, result, fmt: str, params: Params) -> HttpResponse:
    headers, rows = result.table()
    rows = [[neutralise(registry.cell(v)) for v in row] for row in rows]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    title = str(analysis.title)
    if fmt == "csv":
        body, content_type, ext = build_csv(rows, headers), "text/csv; charset=utf-8", "csv"
    else:
        body, content_type, ext = build_xlsx(rows, headers, title), XLSX_TYPE, "xlsx"
    audit(
        actor=user,
        action=f"{analysis.object_type}.export",
        object_repr=f"{analysis.name}.{ext}",
        message=f"{len(rows)} rows; from={params.date_from} to={params.date_to} "
        f"group_by={params.group_by} {params.extra}",
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{analysis.name}-{stamp}.{ext}"
    )
    return response


@login_required
def analysis_page(request, name: str):
    analysis = _get_analysis(request.user, name)
    form = AnalysisFilterForm(
        request.GET or None, analysis=analysis, teams=team_choices(request.user)
    )
    params = form.params()
    result = analysis.compute(request.user, params)
    fmt = request.GET.get("format")
    can_export = has_right(request.user, analysis.object_type, "export")
    if fmt in ("xlsx", "csv"):
        if not can_export:
            raise Http404
        return export_result(
            user=request.user, analysis=analysis, result=result, fmt=fmt, params=params
        )
    related = []
    for other in RELATED.get(name, ()):
        try:
            extra = _get_analysis(request.user, other)
        except Http404:
            continue
        related.append({"analysis": extra, "result": extra.compute(request.user, params)})
    return render(
        request,
        "analytics/analysis.html",
        {
            "analysis": analysis,
            "form": form,
            "result": result,
            "related": related,
            "can_export": can_export,
            "can_record_variance": name == "funnel" and services.can_record_variance(request.user),
            "period": params,
        },
    )


@require_right("report", "view")
def index(request):
    """The list of every analysis the user may open."""
    analyses = visible_analyses(request.user)
    return render(
        request,
        "analytics/index.html",
        {"analyses": [{"analysis": a, "url": analysis_url(a)} for a in analyses]},
    )


def dashboard_kind(user) -> str:
    """rep (own numbers) · manager (team) · director (company), from the opportunity scope."""
    scope = scope_for(user, "opportunity", "view")
    if scope == DataScope.COMPANY:
        return "director"
    if scope in (DataScope.SUBORDINATES, DataScope.DEPARTMENT, DataScope.DEPARTMENT_TREE):
        return "manager"
    return "rep"


DASHBOARD_PANELS = {
    "rep": ("kpis", "funnel", "forecast"),
    "manager": ("funnel", "people", "pipeline_totals", "forecast"),
    "director": ("funnel", "kpis", "people", "forecast"),
}


@require_right("report", "view")
def dashboard(request):
    kind = dashboard_kind(request.user)
    today = timezone.localdate()
    params = Params(date_from=today.replace(day=1), date_to=today)
    year = Params(date_from=today.replace(month=1, day=1), date_to=today)
    panels = []
    for name in DASHBOARD_PANELS[kind]:
        try:
            analysis = registry.get(name)
        except KeyError:
            continue
        panel_params = params if name in ("people", "kpis") else year
        if name == "forecast":
            panel_params = Params()
        panels.append(
            {
                "analysis": analysis,
                "url": analysis_url(analysis),
                "result": analysis.compute(request.user, panel_params),
                "params": panel_params,
            }
        )
    return render(
        request,
        "analytics/dashboard.html",
        {"kind": kind, "panels": panels, "analyses": visible_analyses(request.user)},
    )


def _steps_choices():
    from salesflow.pipeline.models import Stage

    codes = Stage.objects.filter(version__is_current=True, covered_by_lead=False).values_list(
        "code", "name"
    )
    steps = [
        ("lead", _("线索")),
        ("opportunity", _("商机")),
        *dict(codes).items(),
        ("won", _("赢单")),
    ]
    return steps


def _owner_choices(user):
    from salesflow.core.scope import owner_ids_for
    from salesflow.org.models import User

    ids = owner_ids_for(user, "report", "view")
    qs = User.objects.filter(is_active=True).order_by("display_name")
    return qs if ids is None else qs.filter(pk__in=ids)


@require_http_methods(["GET", "POST"])
@require_right("opportunity", "assign")  # managers and directors (services.can_record_variance)
def variance_edit(request, pk: int | None = None):
    if not services.can_record_variance(request.user):
        raise Http404
    instance = None
    if pk is not None:
        instance = FunnelVariance.objects.get_in_scope(request.user, "view", pk=pk)
    initial = {}
    if instance is None:
        for key in ("period_start", "period_end", "step"):
            if request.GET.get(key):
                initial[key] = request.GET[key]
        initial.setdefault("owner", request.user.pk)
    form = FunnelVarianceForm(
        request.POST or None,
        instance=instance,
        initial=initial,
        owners=_owner_choices(request.user),
        steps=_steps_choices(),
    )
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in FunnelVarianceForm.Meta.fields}
        try:
            services.funnel_variance_save(
                actor=request.user, data=data, variance_id=instance.pk if instance else None
            )
        except NotAllowed:
            raise Http404 from None
        messages.success(request, _("差异原因与改进措施已保存。"))
        return redirect("analytics:variance_list")
    return render(request, "analytics/variance_form.html", {"form": form, "instance": instance})


@require_right("report", "view")
def variance_list(request):
    notes = (
        FunnelVariance.objects.restrict(request.user, "view")
        .select_related("owner", "template", "team")
        .order_by("-period_start", "step", "-id")[:300]
    )
    return render(
        request,
        "analytics/variance_list.html",
        {"notes": notes, "can_record": services.can_record_variance(request.user)},
    )


@require_http_methods(["GET", "POST"])
@require_right("report", "view")
def channel_costs(request):
    can_edit = services.can_edit_costs(request.user)
    form = ChannelCostForm(request.POST or None) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            services.channel_cost_save(actor=request.user, **form.cleaned_data)
            messages.success(request, _("渠道费用已保存。"))
            return redirect("analytics:channel_costs")
    costs = ChannelCost.objects.select_related("channel").order_by("-month", "channel__name")[:300]
    return render(
        request,
        "analytics/channel_costs.html",
        {"form": form, "costs": costs, "can_edit": can_edit},
    )
