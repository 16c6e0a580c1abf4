"""Follow-up and task pages (SPEC S4, S8): my day, the follow-up form (quick entry from a lead,
customer or opportunity), the follow-up list with export, tasks with sub-items and daily
progress, and the manager's weekly review. Writes go through ``services``; records come from
``selectors`` (out of scope → 404)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesflow.core.errors import DomainError, NotAllowed
from salesflow.core.exports import export_response
from salesflow.core.scope import has_right, owner_ids_for
from salesflow.core.settings_registry import get_setting
from salesflow.core.views import require_right
from salesflow.customers.models import Customer
from salesflow.leads.models import Lead
from salesflow.org.models import User
from salesflow.pipeline.models import Opportunity

from . import selectors, services
from .forms import (
    CancelForm,
    FollowUpFilterForm,
    FollowUpForm,
    ProgressForm,
    TaskFilterForm,
    TaskForm,
    TaskItemForm,
)
from .models import TaskStatus

PAGE_SIZE = 30
SERVICE_ERRORS = (ValidationError, DomainError, NotAllowed)


# --- helpers ------------------------------------------------------------------------------


def apply_service_errors(form, exc) -> None:
    """A service's error on the form: field errors on their fields, the rest above it."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    elif isinstance(exc, ValidationError):
        form.add_error(None, exc.messages)
    elif isinstance(exc, DomainError):
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, str(exc.message))
    else:
        form.add_error(None, str(exc) or _("没有执行此操作的权限。"))


def _safe_next(request, candidate: str | None, default: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _url_or_empty(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _int_param(request, name: str) -> int | None:
    value = request.GET.get(name) or request.POST.get(name)
    return int(value) if value and str(value).isdigit() else None


def _subject_from_request(request) -> dict:
    """The lead/customer/opportunity of a quick entry, each checked against the user's scope
    (404 outside it). Returns the ids for the service and the objects for the page."""
    user = request.user
    found = {}
    if pk := _int_param(request, "opportunity"):
        found["opportunity"] = Opportunity.objects.select_related("customer").get_in_scope(
            user, "view", pk=pk
        )
    elif pk := _int_param(request, "customer"):
        found["customer"] = Customer.objects.get_in_scope(user, "view", pk=pk)
    elif pk := _int_param(request, "lead"):
        found["lead"] = Lead.objects.get_in_scope(user, "view", pk=pk)
    return found


def _subject_url(subject: dict) -> str:
    if "opportunity" in subject:
        return _url_or_empty("pipeline:detail", subject["opportunity"].pk)
    if "customer" in subject:
        return _url_or_empty("customers:detail", subject["customer"].pk)
    if "lead" in subject:
        return _url_or_empty("leads:detail", subject["lead"].pk)
    return ""


def _owners_in_reach(user, object_type: str) -> list[User]:
    reach = owner_ids_for(user, object_type, "view")
    qs = User.objects.filter(is_active=True).order_by("display_name", "id")
    if reach is not None:
        qs = qs.filter(pk__in=sorted(reach))
    return list(qs[:300])


# --- my day -------------------------------------------------------------------------------


@require_http_methods(["GET"])
@require_right("followup", "view")
def my_day(request):
    today = timezone.localdate()
    context = selectors.my_day(request.user, today)
    context["can_add_followup"] = has_right(request.user, "followup", "add")
    context["can_add_task"] = has_right(request.user, "task", "add")
    context["back"] = request.get_full_path()
    return render(request, "activities/my_day.html", context)


# --- follow-ups ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@require_right("followup", "add")
def followup_new(request):
    subject = _subject_from_request(request)
    default_next = _subject_url(subject) or reverse("activities:my_day")
    next_url = _safe_next(
        request, request.POST.get("next") or request.GET.get("next"), default_next
    )
    subjects = None if subject else selectors.subject_choices(user=request.user)
    form = FollowUpForm(
        request.POST or None,
        request.FILES or None,
        subjects=subjects,
        owners=selectors.followup_owner_choices(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        ids = {f"{k}_id": v.pk for k, v in subject.items()} if subject else form.subject_ids()
        try:
            followup = services.followup_record(
                actor=request.user,
                data=form.service_data(),
                attachments=form.cleaned_data.get("attachments") or (),
                **ids,
            )
        except SERVICE_ERRORS as exc:
            apply_service_errors(form, exc)
        else:
            text = _("跟进记录已保存。")
            if not followup.entry_sla_met:
                text += " " + _("提示：超过录入时限（沟通后 %(rule)s）。") % {
                    "rule": get_setting("followup.entry_sla")
                }
            if followup.next_step_action:
                text += " " + _("下一步已生成任务。")
            messages.success(request, text)
            return redirect(next_url)
    return render(
        request,
        "activities/followup_form.html",
        {"form": form, "subject": subject, "next": next_url, "cancel_url": next_url},
    )


@require_http_methods(["GET"])
@require_right("followup", "view")
def followup_list(request):
    user = request.user
    filter_form = FollowUpFilterForm(request.GET or None, owners=_owners_in_reach(user, "followup"))
    filters, search = filter_form.selector_args()
    page = Paginator(
        selectors.followup_list(user=user, filters=filters, search=search), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "activities/followup_list.html",
        {
            "page": page,
            "filter_form": filter_form,
            "filtered": bool(filters or search),
            "can_add": has_right(user, "followup", "add"),
            "can_export": has_right(user, "followup", "export"),
        },
    )


def _subject_name(followup) -> str:
    if followup.customer_id:
        return followup.customer.name
    return followup.lead.company_name if followup.lead_id else ""


FOLLOWUP_COLUMNS = [
    (_("沟通时间"), lambda f: f.communicated_at),
    (_("录入时间"), lambda f: f.entered_at),
    (_("按时录入"), lambda f: f.entry_sla_met),
    (_("跟进人"), lambda f: str(f.owner)),
    (_("客户/线索"), _subject_name),
    (_("商机"), lambda f: f.opportunity.name if f.opportunity_id else ""),
    (_("方式"), lambda f: f.get_method_display()),
    (_("主题"), lambda f: f.topic),
    (_("内容摘要"), lambda f: f.summary),
    (_("客户反馈（原话）"), lambda f: f.customer_words),
    (_("异议处理"), lambda f: f.objection_handling),
    (_("需求变化"), lambda f: f.needs_change),
    (_("承诺事项"), lambda f: f.commitments),
    (_("下一步行动"), lambda f: f.next_step_action),
    (_("下一步负责人"), lambda f: str(f.next_step_owner) if f.next_step_owner_id else ""),
    (_("下一步截止"), lambda f: f.next_step_due),
    (_("当前风险"), lambda f: f.risk),
    (_("结果"), lambda f: f.get_result_display()),
    (_("记录完整"), lambda f: f.is_complete),
]


@require_http_methods(["GET"])
@require_right("followup", "export")
def followup_export(request):
    user = request.user
    filter_form = FollowUpFilterForm(request.GET or None, owners=_owners_in_reach(user, "followup"))
    filters, search = filter_form.selector_args()
    return export_response(
        user=user,
        queryset=selectors.followup_list(user=user, filters=filters, search=search),
        columns=FOLLOWUP_COLUMNS,
        fmt="csv" if request.GET.get("format") == "csv" else "xlsx",
        filename=_("跟进记录"),
        object_type="followup",
        personal_data=False,
        filters={k: str(v) for k, v in filters.items()} | ({"q": search} if search else {}),
    )


@require_http_methods(["GET"])
@require_right("followup", "view")
def followup_detail(request, pk):
    followup = selectors.followup_get(user=request.user, pk=pk)
    return render(
        request,
        "activities/followup_detail.html",
        {
            "followup": followup,
            "attachments": list(followup.attachments.all()),
            "tasks": list(selectors.restrict(followup.tasks.select_related("owner"), request.user)),
            "entry_rule": get_setting("followup.entry_sla"),
        },
    )


@require_http_methods(["GET"])
@require_right("followup", "view")
def attachment_download(request, pk):
    attachment = selectors.attachment_get(user=request.user, pk=pk)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=attachment.name)


# --- tasks --------------------------------------------------------------------------------


@require_http_methods(["GET"])
@require_right("task", "view")
def task_list(request):
    user = request.user
    filter_form = TaskFilterForm(request.GET or None)
    filters = filter_form.selector_args()
    page = Paginator(selectors.task_list(user=user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "activities/task_list.html",
        {
            "page": page,
            "filter_form": filter_form,
            "filtered": bool(request.GET.get("q") or request.GET.get("overdue")),
            "can_add": has_right(user, "task", "add"),
            "now": timezone.now(),
        },
    )


@require_http_methods(["GET", "POST"])
@require_right("task", "add")
def task_new(request):
    subject = _subject_from_request(request)
    form = TaskForm(request.POST or None, initial={"owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        ids = {f"{k}_id": v.pk for k, v in subject.items()}
        try:
            task = services.task_create(actor=request.user, data=form.cleaned_data, **ids)
        except SERVICE_ERRORS as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("任务已创建。"))
            return redirect("activities:task_detail", task.pk)
    return render(
        request, "activities/task_form.html", {"form": form, "task": None, "subject": subject}
    )


@require_http_methods(["GET"])
@require_right("task", "view")
def task_detail(request, pk):
    user = request.user
    task = selectors.task_get(user=user, pk=pk)
    items = selectors.task_items(task)
    can_change = selectors.can_change_task(user, task)
    is_open = task.status == TaskStatus.OPEN
    can_report = is_open and (can_change or any(i.owner_id == user.pk for i in items))
    return render(
        request,
        "activities/task_detail.html",
        {
            "task": task,
            "items": items,
            "progress": list(selectors.task_progress(task)[:100]),
            "can_change": can_change and is_open,
            "can_report": can_report,
            "progress_form": ProgressForm(items=items) if can_report else None,
            "cancel_form": CancelForm() if can_change and is_open else None,
            "now": timezone.now(),
            "source_url": _task_source_url(task),
        },
    )


def _task_source_url(task) -> str:
    if task.followup_id:
        return reverse("activities:followup_detail", args=[task.followup_id])
    if task.opportunity_id:
        return _url_or_empty("pipeline:detail", task.opportunity_id)
    if task.customer_id:
        return _url_or_empty("customers:detail", task.customer_id)
    if task.lead_id:
        return _url_or_empty("leads:detail", task.lead_id)
    return ""


def _changeable_task(request, pk):
    task = selectors.task_get(user=request.user, pk=pk)
    if not selectors.can_change_task(request.user, task):
        raise Http404
    return task


@require_http_methods(["GET", "POST"])
@require_right("task", "view")
def task_edit(request, pk):
    task = _changeable_task(request, pk)
    initial = {
        "title": task.title,
        "description": task.description,
        "owner": task.owner_id,
        "due_at": timezone.localtime(task.due_at) if task.due_at else None,
        "acceptor": task.acceptor_id,
    }
    form = TaskForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.task_update(actor=request.user, task_id=task.pk, data=form.cleaned_data)
        except SERVICE_ERRORS as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("任务已保存。"))
            return redirect("activities:task_detail", task.pk)
    return render(request, "activities/task_form.html", {"form": form, "task": task})


@require_http_methods(["GET", "POST"])
@require_right("task", "view")
def task_item_edit(request, pk, item_pk=None):
    task = _changeable_task(request, pk)
    item = task.items.filter(pk=item_pk).first() if item_pk else None
    if item_pk and item is None:
        raise Http404
    form = TaskItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data.get(name) for name in form.Meta.fields}
        try:
            services.task_item_save(actor=request.user, task_id=task.pk, data=data, item_id=item_pk)
        except SERVICE_ERRORS as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("子项已保存。"))
            return redirect("activities:task_detail", task.pk)
    return render(
        request, "activities/task_item_form.html", {"form": form, "task": task, "item": item}
    )


@require_POST
@require_right("task", "view")
def task_progress(request, pk):
    task = selectors.task_get(user=request.user, pk=pk)
    items = list(task.items.all())
    form = ProgressForm(request.POST, items=items)
    if form.is_valid():
        try:
            services.task_progress_add(
                actor=request.user,
                task_id=task.pk,
                note=form.cleaned_data["note"],
                day=form.cleaned_data["day"],
                item_id=form.cleaned_data.get("item"),
                actual_value=form.cleaned_data.get("actual_value"),
            )
        except SERVICE_ERRORS as exc:
            apply_service_errors(form, exc)
    if form.errors:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.success(request, _("进度已记录。"))
    return redirect("activities:task_detail", task.pk)


@require_POST
@require_right("task", "view")
def task_complete(request, pk):
    task = _changeable_task(request, pk)
    try:
        services.task_complete(actor=request.user, task_id=task.pk)
    except SERVICE_ERRORS as exc:
        messages.error(request, getattr(exc, "message", None) or "; ".join(exc.messages))
    else:
        messages.success(request, _("任务已完成。"))
    return redirect("activities:task_detail", task.pk)


@require_POST
@require_right("task", "view")
def task_cancel(request, pk):
    task = _changeable_task(request, pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.task_cancel(
                actor=request.user, task_id=task.pk, reason=form.cleaned_data["reason"]
            )
        except SERVICE_ERRORS as exc:
            messages.error(request, getattr(exc, "message", None) or "; ".join(exc.messages))
        else:
            messages.success(request, _("任务已取消。"))
    else:
        messages.error(request, _("请填写取消原因。"))
    return redirect("activities:task_detail", task.pk)


# --- weekly review ------------------------------------------------------------------------


def _review_period(request):
    today = timezone.localdate()
    week_of = request.GET.get("week")
    if week_of:
        try:
            day = datetime.date.fromisoformat(week_of)
        except ValueError:
            day = None
        if day is not None:
            monday = day - datetime.timedelta(days=day.weekday())
            return monday, monday + datetime.timedelta(days=6)
    return selectors.last_week(today)


@require_http_methods(["GET"])
@require_right("followup", "export")
def weekly_review(request):
    """周度检查: stalled opportunities, delayed tasks, follow-up completeness and lead response
    timeliness per person for a week (default: last week)."""
    user = request.user
    period = _review_period(request)
    members = selectors.team_members(user)
    ids = [m.pk for m in members]
    completeness = selectors.followup_completeness(ids, period)
    timeliness = selectors.lead_response_timeliness(ids, period)
    rows = [
        {
            "user": member,
            "completeness": completeness.for_user(member.pk),
            "timeliness": timeliness.for_user(member.pk),
        }
        for member in members
    ]
    monday = period[0]
    return render(
        request,
        "activities/weekly_review.html",
        {
            "period": period,
            "previous_week": (monday - datetime.timedelta(days=7)).isoformat(),
            "next_week": (monday + datetime.timedelta(days=7)).isoformat(),
            "stalled": list(selectors.stalled_opportunities(user)[:100]),
            "stalled_threshold": get_setting("pipeline.stalled_followups"),
            "delayed": list(selectors.delayed_tasks(user)[:100]),
            "rows": rows,
            "completeness": completeness,
            "timeliness": timeliness,
            "completeness_target": get_setting("kpi.followup_completeness_target"),
            "timeliness_target": get_setting("kpi.lead_response_timeliness_target"),
            "now": timezone.now(),
        },
    )
