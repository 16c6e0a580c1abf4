"""客户服务 pages: complaint list/export/detail and one form per step; the maintenance plan of a
customer, the action log, surveys and the measures page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from salesflow.core.errors import DomainError
from salesflow.core.exports import export_response
from salesflow.core.pagination import bounded_page
from salesflow.core.scope import has_right
from salesflow.core.views import require_right
from salesflow.customers.models import Customer

from . import measures as service_measures
from . import selectors, services
from .analyses import tier_chart, tier_rows
from .clocks import clock_rows
from .forms import (
    STEP_FORMS,
    ActionFilterForm,
    ActionLogForm,
    ActionRecordForm,
    ComplaintFilterForm,
    ComplaintForm,
    MeasuresPeriodForm,
    SurveyForm,
    apply_service_error,
)
from .models import ActionStatus, ComplaintState

PAGE_SIZE = 50
SERVICE_ERRORS = (ValidationError, DomainError, PermissionDenied)


def _export_format(request) -> str:
    return "csv" if request.GET.get("format") == "csv" else "xlsx"


# --- complaints -------------------------------------------------------------------------------


@require_right("complaint", "view")
@require_http_methods(["GET"])
def complaint_list(request):
    form = ComplaintFilterForm(request.GET or None)
    filters = form.selector_args()
    user = request.user
    return render(
        request,
        "service/complaint_list.html",
        {
            "form": form,
            "filtered": bool(filters),
            "page": bounded_page(
                selectors.complaint_list(user=user, filters=filters),
                PAGE_SIZE,
                request.GET.get("page"),
            ),
            "now": timezone.now(),
            "can_export": has_right(user, "complaint", "export"),
            "can_add": has_right(user, "complaint", "add"),
        },
    )


@require_right("complaint", "export")
@require_http_methods(["GET"])
def complaint_export(request):
    filters = ComplaintFilterForm(request.GET or None).selector_args()

    def when(value):
        return timezone.localtime(value) if value else None

    columns = [
        (_("编号"), lambda c: c.pk),
        (_("客户"), lambda c: c.customer.name),
        (_("投诉时间"), lambda c: when(c.received_at)),
        (_("投诉类型"), lambda c: c.type.name),
        (_("投诉内容"), lambda c: c.description),
        (_("销售服务导致"), lambda c: _("是") if c.caused_by_sales else _("否")),
        (_("处理人"), lambda c: str(c.handler or "")),
        (_("处理方案"), lambda c: c.plan),
        (_("处理期限"), lambda c: c.resolve_by),
        (_("客户反馈"), lambda c: c.customer_feedback),
        (_("改进建议"), lambda c: c.improvement_suggestion),
        (_("满意度"), lambda c: c.satisfaction),
        (_("状态"), lambda c: c.get_state_display()),
        (_("关闭时间"), lambda c: when(c.closed_at)),
    ]
    return export_response(
        user=request.user,
        queryset=selectors.complaint_list(user=request.user, filters=filters),
        columns=columns,
        fmt=_export_format(request),
        filename=_("客户投诉处理与跟进表"),
        object_type="complaint",
        personal_data=False,
        filters=filters,
    )


@require_right("complaint", "add")
@require_http_methods(["GET", "POST"])
def complaint_create(request):
    user = request.user
    customer = None
    matches = []
    customer_pk = request.GET.get("customer") or request.POST.get("customer")
    if customer_pk:
        customer = Customer.objects.get_in_scope(user, "view", pk=customer_pk)
    elif query := (request.GET.get("q") or "").strip():
        matches = list(
            selectors.customers_for_service(user=user).filter(name__icontains=query)[:20]
        )
    form = ComplaintForm(request.POST if request.method == "POST" else None)
    if customer is not None and request.method == "POST" and form.is_valid():
        try:
            complaint = services.complaint_create(
                actor=user, customer_id=customer.pk, data=form.cleaned_data
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("投诉已登记。"))
            return redirect("service:complaint_detail", complaint.pk)
    return render(
        request,
        "service/complaint_form.html",
        {"form": form, "customer": customer, "matches": matches, "q": request.GET.get("q", "")},
    )


def _step_allowed(complaint, step: str) -> bool:
    state = complaint.state
    return {
        "forward": state != ComplaintState.CLOSED,
        "respond": state not in (ComplaintState.RECEIVED, ComplaintState.CLOSED)
        and complaint.responded_at is None,
        "plan": state
        in (ComplaintState.FORWARDED, ComplaintState.PLANNED, ComplaintState.REOPENED),
        "complete": state == ComplaintState.PLANNED,
        "visit": state == ComplaintState.COMPLETED,
    }[step]


@require_right("complaint", "view")
@require_http_methods(["GET"])
def complaint_detail(request, pk):
    user = request.user
    complaint = selectors.complaint_get(user=user, pk=pk)
    can_change = has_right(user, "complaint", "change") and (
        selectors.Complaint.objects.restrict(user, "change").filter(pk=complaint.pk).exists()
    )
    steps = [step for step in STEP_FORMS if can_change and _step_allowed(complaint, step)]
    if complaint.state != ComplaintState.RECEIVED and "forward" in steps:
        steps.append(steps.pop(0))  # a hand-over is the exception, the next step comes first
    return render(
        request,
        "service/complaint_detail.html",
        {
            "complaint": complaint,
            "clocks": clock_rows(complaint),
            "events": selectors.complaint_events(complaint),
            "steps": steps,
        },
    )


STEP_LABELS = {
    "forward": gettext_lazy("转交处理人"),
    "respond": gettext_lazy("记录响应"),
    "plan": gettext_lazy("制定方案"),
    "complete": gettext_lazy("处理完成"),
    "visit": gettext_lazy("回访"),
}


def _run_step(user, complaint, step, data):
    if step == "forward":
        return services.complaint_forward(
            actor=user, complaint_id=complaint.pk, handler=data["handler"], note=data["note"]
        )
    if step == "respond":
        return services.complaint_respond(actor=user, complaint_id=complaint.pk, note=data["note"])
    if step == "plan":
        return services.complaint_plan(
            actor=user,
            complaint_id=complaint.pk,
            plan=data["plan"],
            resolve_by=data["resolve_by"],
        )
    if step == "complete":
        return services.complaint_complete(
            actor=user,
            complaint_id=complaint.pk,
            note=data["note"],
            caused_by_sales=data["caused_by_sales"],
            improvement_suggestion=data["improvement_suggestion"],
        )
    return services.complaint_return_visit(
        actor=user,
        complaint_id=complaint.pk,
        satisfaction=data["satisfaction"],
        feedback=data["feedback"],
        improvement_suggestion=data["improvement_suggestion"],
    )


@require_right("complaint", "change")
@require_http_methods(["GET", "POST"])
def complaint_step(request, pk, step):
    if step not in STEP_FORMS:
        raise Http404
    user = request.user
    complaint = selectors.complaint_get(user=user, pk=pk, action="change")
    form = STEP_FORMS[step](request.POST if request.method == "POST" else None, prefix=step)
    if request.method == "POST" and form.is_valid():
        try:
            result = _run_step(user, complaint, step, form.cleaned_data)
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            if step == "visit" and result.state == ComplaintState.REOPENED:
                messages.warning(request, _("客户不满意，投诉已重新打开，处理人需重新制定方案。"))
            elif step == "visit":
                messages.success(request, _("回访满意，投诉已关闭。"))
            else:
                messages.success(request, _("已保存。"))
            return redirect("service:complaint_detail", complaint.pk)
    return render(
        request,
        "service/complaint_step.html",
        {"complaint": complaint, "form": form, "step": step, "label": STEP_LABELS[step]},
    )


# --- maintenance --------------------------------------------------------------------------------


@require_right("maintenance", "view")
@require_http_methods(["GET"])
def plan_detail(request, customer_pk):
    user = request.user
    customer = Customer.objects.select_related("owner").get_in_scope(user, "view", pk=customer_pk)
    plan = selectors.plan_for(user=user, customer=customer)
    actions = selectors.action_list(user=user, filters={"customer": customer.pk})
    tier = services.plan_tier(customer)
    return render(
        request,
        "service/plan_detail.html",
        {
            "customer": customer,
            "plan": plan,
            "tier": tier,
            "tier_label": dict(Customer._meta.get_field("tier").choices)[tier],
            "actions": actions.order_by("due_on", "id")[:200],
            "surveys": selectors.survey_list(user=user, customer_id=customer.pk)[:20],
            "complaints": selectors.complaint_list(user=user, filters={"customer": customer.pk})[
                :20
            ],
            "can_generate": has_right(user, "maintenance", "add")
            and has_right(user, "task", "add"),
            "can_add": has_right(user, "maintenance", "add"),
        },
    )


@require_right("maintenance", "add")
@require_POST
def plan_generate(request, customer_pk):
    customer = Customer.objects.get_in_scope(request.user, "view", pk=customer_pk)
    try:
        plan = services.maintenance_plan_generate(actor=request.user, customer_id=customer.pk)
    except SERVICE_ERRORS as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request,
            _("维护计划已生成：%(n)s 个维护动作已排入任务。") % {"n": plan.actions.count()},
        )
    return redirect("service:plan_detail", customer.pk)


def _error_text(exc) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, DomainError):
        return str(exc.message)
    return str(exc) or _("没有执行该操作的权限。")


@require_right("maintenance", "add")
@require_http_methods(["GET", "POST"])
def survey_create(request, customer_pk):
    user = request.user
    customer = Customer.objects.get_in_scope(user, "view", pk=customer_pk)
    form = SurveyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            survey = services.satisfaction_survey_record(
                actor=user,
                customer_id=customer.pk,
                score=data["score"],
                surveyed_on=data["surveyed_on"],
                comment=data["comment"],
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("满意度调查已记录。"))
            if survey.improvement_task_id:
                messages.warning(request, _("满意度低于阈值，已生成改进计划任务。"))
            return redirect("service:plan_detail", customer.pk)
    return render(
        request,
        "service/simple_form.html",
        {"form": form, "customer": customer, "title": _("满意度调查")},
    )


@require_right("maintenance", "add")
@require_http_methods(["GET", "POST"])
def action_record(request, customer_pk):
    user = request.user
    customer = Customer.objects.get_in_scope(user, "view", pk=customer_pk)
    form = ActionRecordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.maintenance_action_record(
                actor=user,
                customer_id=customer.pk,
                kind=data["kind"],
                title=data["title"],
                feedback=data["feedback"],
                effect=data["effect"],
                done_at=data["done_at"],
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("维护动作已记录。"))
            return redirect("service:plan_detail", customer.pk)
    return render(
        request,
        "service/simple_form.html",
        {"form": form, "customer": customer, "title": _("记录维护动作")},
    )


@require_right("maintenance", "view")
@require_http_methods(["GET"])
def action_list(request):
    form = ActionFilterForm(request.GET or None)
    filters = form.selector_args()
    user = request.user
    return render(
        request,
        "service/action_list.html",
        {
            "form": form,
            "filtered": bool(filters),
            "page": bounded_page(
                selectors.action_list(user=user, filters=filters),
                PAGE_SIZE,
                request.GET.get("page"),
            ),
            "can_export": has_right(user, "maintenance", "export"),
            "can_log": has_right(user, "maintenance", "change"),
            "planned": ActionStatus.PLANNED,
        },
    )


@require_right("maintenance", "export")
@require_http_methods(["GET"])
def action_export(request):
    filters = ActionFilterForm(request.GET or None).selector_args()
    columns = [
        (_("客户"), lambda a: a.customer.name),
        (_("维护动作"), lambda a: a.get_kind_display()),
        (_("内容"), lambda a: a.title),
        (_("计划日期"), lambda a: a.due_on),
        (_("执行人"), lambda a: str(a.owner)),
        (_("状态"), lambda a: a.get_status_display()),
        (_("执行时间"), lambda a: timezone.localtime(a.done_at) if a.done_at else None),
        (_("客户反馈"), lambda a: a.customer_feedback),
        (_("效果评价"), lambda a: a.get_effect_display()),
    ]
    return export_response(
        user=request.user,
        queryset=selectors.action_list(user=request.user, filters=filters),
        columns=columns,
        fmt=_export_format(request),
        filename=_("客户维护动作记录"),
        object_type="maintenance",
        personal_data=False,
        filters=filters,
    )


@require_right("maintenance", "change")
@require_http_methods(["GET", "POST"])
def action_log(request, pk):
    user = request.user
    action = selectors.action_list(user=user).filter(pk=pk).first()
    if action is None or not (
        selectors.MaintenanceAction.objects.restrict(user, "change").filter(pk=pk).exists()
    ):
        raise Http404
    form = ActionLogForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.maintenance_action_log(
                actor=user,
                action_id=action.pk,
                feedback=data["feedback"],
                effect=data["effect"],
                done_at=data["done_at"],
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("执行记录已保存。"))
            return redirect("service:plan_detail", action.customer_id)
    return render(
        request,
        "service/simple_form.html",
        {"form": form, "customer": action.customer, "title": action.title},
    )


@require_right("complaint", "view")
@require_http_methods(["GET"])
def measures(request):
    user = request.user
    form = MeasuresPeriodForm(request.GET or None)
    date_from = date_to = None
    if form.is_bound and form.is_valid():
        date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    show_maintenance = has_right(user, "maintenance", "view")
    tiers = service_measures.tier_measures(user, date_from, date_to) if show_maintenance else []
    return render(
        request,
        "service/measures.html",
        {
            "form": form,
            "rate": service_measures.complaint_rate(user, date_from, date_to),
            "tiers": tiers,
            "tier_chart": tier_chart(tier_rows(tiers)) if tiers else None,
            "churn": service_measures.churn_signals(user) if show_maintenance else [],
        },
    )
