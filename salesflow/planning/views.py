"""Pages of 规划与复盘: the module index; strategy plans, review meetings, training and process
interviews, each with a filtered list, xlsx/csv export, detail, form and printable sheet; and the
interview summary by theme."""

from __future__ import annotations

from operator import itemgetter

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesflow.core.errors import DomainError
from salesflow.core.exports import export_response
from salesflow.core.pagination import bounded_page
from salesflow.core.scope import has_right, is_in_scope
from salesflow.core.views import require_right

from . import analyses, forms, selectors, services

PAGE_SIZE = 30
SERVICE_ERRORS = (ValidationError, DomainError, PermissionDenied)


def _fmt(request) -> str:
    return "csv" if request.GET.get("format") == "csv" else "xlsx"


def _apply_error(form, exc) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, getattr(exc, "message", None) or str(exc))


def _list(request, *, template, form, selector, object_type, extra=None):
    filters = form.selector_args()
    user = request.user
    return render(
        request,
        template,
        {
            "form": form,
            "filtered": bool(filters),
            "page": bounded_page(
                selector(user=user, filters=filters), PAGE_SIZE, request.GET.get("page")
            ),
            "can_add": has_right(user, object_type, "add"),
            "can_export": has_right(user, object_type, "export"),
            **(extra or {}),
        },
    )


def _save_form(request, form_class, *, instance=None, save, template, context, detail):
    """GET shows the form; a valid POST calls ``save(form)`` (a service) and redirects to
    ``detail(obj)``; service errors go back into the form."""
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            obj = save(form)
        except SERVICE_ERRORS as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect(detail, obj.pk)
    return render(
        request,
        template,
        {"form": form, "object": instance, **context},
        status=400 if request.method == "POST" else 200,
    )


def _model_data(form) -> dict:
    return {name: form.cleaned_data[name] for name in form.Meta.fields if name in form.cleaned_data}


def _child_post(request, form, call, *, back, success):
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except SERVICE_ERRORS as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, success)
            return redirect(*back)
    errors = "；".join(str(e) for errs in form.errors.values() for e in errs)
    messages.error(request, errors or _("请检查填写的内容。"))
    return redirect(*back)


# --- index ---------------------------------------------------------------------------------------


@require_right("plan", "view")
@require_http_methods(["GET"])
def index(request):
    user = request.user
    sections = []
    for object_type, url_name, title, hint, icon, selector in (
        (
            "plan",
            "planning:plans",
            _("销售策略规划"),
            _("目标、4P 策略、资源、里程碑与评估指标"),
            "bi-bullseye",
            selectors.plan_list,
        ),
        (
            "meeting",
            "planning:meetings",
            _("销售复盘会议"),
            _("准备数据、问题与原因、决议和行动事项"),
            "bi-people",
            selectors.meeting_list,
        ),
        (
            "training",
            "planning:trainings",
            _("销售培训效果评估"),
            _("出勤、测试成绩、实操考核和培训后业绩变化"),
            "bi-mortarboard",
            selectors.training_list,
        ),
        (
            "interview",
            "planning:interviews",
            _("流程现状访谈"),
            _("受访人、痛点、建议与主题汇总"),
            "bi-chat-quote",
            selectors.interview_list,
        ),
    ):
        if not has_right(user, object_type, "view"):
            continue
        recent = list(selector(user=user)[:5])
        sections.append(
            {"url_name": url_name, "title": title, "hint": hint, "icon": icon, "recent": recent}
        )
    return render(request, "planning/index.html", {"sections": sections})


# --- strategy plans ------------------------------------------------------------------------------


@require_right("plan", "view")
@require_http_methods(["GET"])
def plan_list(request):
    return _list(
        request,
        template="planning/plan_list.html",
        form=forms.PlanFilter(request.GET or None),
        selector=selectors.plan_list,
        object_type="plan",
    )


@require_right("plan", "export")
@require_http_methods(["GET"])
def plan_export(request):
    filters = forms.PlanFilter(request.GET or None).selector_args()
    columns = [
        (_("规划名称"), lambda p: p.title),
        (_("适用团队"), lambda p: str(p.department)),
        (_("负责人"), lambda p: str(p.owner)),
        (_("开始日期"), lambda p: p.period_start),
        (_("结束日期"), lambda p: p.period_end),
        (_("状态"), lambda p: p.get_status_display()),
        (_("目标说明"), lambda p: p.goal),
        (_("目标指标"), lambda p: p.get_goal_metric_display()),
        (_("目标值"), lambda p: p.goal_value),
        (_("预算（元）"), lambda p: p.budget),
        (_("产品策略"), lambda p: p.strategy_product),
        (_("价格策略"), lambda p: p.strategy_price),
        (_("渠道策略"), lambda p: p.strategy_place),
        (_("推广策略"), lambda p: p.strategy_promotion),
        (_("预期效果"), lambda p: p.expected_effect),
    ]
    return export_response(
        user=request.user,
        queryset=selectors.plan_list(user=request.user, filters=filters),
        columns=columns,
        fmt=_fmt(request),
        filename=_("销售策略规划"),
        object_type="plan",
        personal_data=False,
        filters=filters,
    )


@require_right("plan", "add")
@require_http_methods(["GET", "POST"])
def plan_create(request):
    today = timezone.localdate()

    class Form(forms.PlanForm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.initial.setdefault("owner", request.user.pk)
            self.initial.setdefault("department", request.user.department_id)
            self.initial.setdefault("period_start", today)

    return _save_form(
        request,
        Form,
        save=lambda form: services.plan_create(actor=request.user, data=_model_data(form)),
        template="planning/form.html",
        context={"title": _("新建策略规划"), "back": "planning:plans"},
        detail="planning:plan_detail",
    )


@require_right("plan", "change")
@require_http_methods(["GET", "POST"])
def plan_edit(request, pk):
    plan = selectors.plan_get(user=request.user, pk=pk, action="change")
    return _save_form(
        request,
        forms.PlanForm,
        instance=plan,
        save=lambda form: services.plan_update(
            actor=request.user, plan_id=plan.pk, data=_model_data(form)
        ),
        template="planning/form.html",
        context={"title": _("编辑策略规划"), "back": "planning:plans"},
        detail="planning:plan_detail",
    )


def _plan_context(request, plan) -> dict:
    milestones = selectors.plan_milestones(plan)
    next_review = selectors.next_review_on(plan)
    return {
        "plan": plan,
        "metrics": selectors.plan_metrics(plan),
        "milestones": [(m, *selectors.action_status(m)) for m in milestones],
        "reviews": selectors.plan_reviews(plan),
        "next_review": next_review,
        "review_overdue": plan.status == "active" and next_review <= timezone.localdate(),
        "can_change": is_in_scope(request.user, plan, "change"),
    }


@require_right("plan", "view")
@require_http_methods(["GET"])
def plan_detail(request, pk):
    plan = selectors.plan_get(user=request.user, pk=pk)
    context = _plan_context(request, plan)
    context |= {"milestone_form": forms.MilestoneForm(), "review_form": forms.ReviewForm()}
    return render(request, "planning/plan_detail.html", context)


@require_right("plan", "view")
@require_http_methods(["GET"])
def plan_print(request, pk):
    plan = selectors.plan_get(user=request.user, pk=pk)
    return render(request, "planning/plan_print.html", _plan_context(request, plan))


@require_right("plan", "change")
@require_POST
def milestone_add(request, pk):
    plan = selectors.plan_get(user=request.user, pk=pk, action="change")
    return _child_post(
        request,
        forms.MilestoneForm(request.POST),
        lambda data: services.milestone_add(actor=request.user, plan_id=plan.pk, **data),
        back=("planning:plan_detail", plan.pk),
        success=_("里程碑已添加，并已生成跟踪任务。"),
    )


@require_right("plan", "change")
@require_POST
def plan_review_add(request, pk):
    plan = selectors.plan_get(user=request.user, pk=pk, action="change")
    return _child_post(
        request,
        forms.ReviewForm(request.POST),
        lambda data: services.plan_review_add(actor=request.user, plan_id=plan.pk, **data),
        back=("planning:plan_detail", plan.pk),
        success=_("回顾已记录（含当时的指标）。"),
    )


# --- review meetings -----------------------------------------------------------------------------


@require_right("meeting", "view")
@require_http_methods(["GET"])
def meeting_list(request):
    return _list(
        request,
        template="planning/meeting_list.html",
        form=forms.DatedFilter(request.GET or None),
        selector=selectors.meeting_list,
        object_type="meeting",
    )


@require_right("meeting", "export")
@require_http_methods(["GET"])
def meeting_export(request):
    filters = forms.DatedFilter(request.GET or None).selector_args()
    columns = [
        (_("会议主题"), lambda m: m.topic),
        (_("会议时间"), lambda m: timezone.localtime(m.held_at).strftime("%Y-%m-%d %H:%M")),
        (_("复盘团队"), lambda m: str(m.department)),
        (_("主持人"), lambda m: str(m.owner)),
        (_("复盘期间自"), lambda m: m.period_start),
        (_("复盘期间至"), lambda m: m.period_end),
        (_("议程"), lambda m: m.agenda),
        (_("亮点"), lambda m: m.highlights),
        (_("问题"), lambda m: m.problems),
        (_("根本原因"), lambda m: m.root_causes),
        (_("经验教训"), lambda m: m.lessons),
        (_("会议决议"), lambda m: m.resolutions),
    ]
    return export_response(
        user=request.user,
        queryset=selectors.meeting_list(user=request.user, filters=filters),
        columns=columns,
        fmt=_fmt(request),
        filename=_("销售复盘会议"),
        object_type="meeting",
        personal_data=False,
        filters=filters,
    )


def _meeting_save(request, form, meeting=None):
    data = _model_data(form)
    attendees = form.cleaned_data.get("attendees") or []
    if meeting is None:
        return services.meeting_create(actor=request.user, data=data, attendees=attendees)
    return services.meeting_update(
        actor=request.user, meeting_id=meeting.pk, data=data, attendees=attendees
    )


@require_right("meeting", "add")
@require_http_methods(["GET", "POST"])
def meeting_create(request):
    today = timezone.localdate()

    class Form(forms.MeetingForm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.initial.setdefault("owner", request.user.pk)
            self.initial.setdefault("follow_up_owner", request.user.pk)
            self.initial.setdefault("department", request.user.department_id)
            self.initial.setdefault("period_start", today.replace(day=1))
            self.initial.setdefault("period_end", today)

    return _save_form(
        request,
        Form,
        save=lambda form: _meeting_save(request, form),
        template="planning/form.html",
        context={"title": _("新建复盘会议"), "back": "planning:meetings"},
        detail="planning:meeting_detail",
    )


@require_right("meeting", "change")
@require_http_methods(["GET", "POST"])
def meeting_edit(request, pk):
    meeting = selectors.meeting_get(user=request.user, pk=pk, action="change")
    return _save_form(
        request,
        forms.MeetingForm,
        instance=meeting,
        save=lambda form: _meeting_save(request, form, meeting),
        template="planning/form.html",
        context={"title": _("编辑复盘会议"), "back": "planning:meetings"},
        detail="planning:meeting_detail",
    )


def _meeting_context(request, meeting) -> dict:
    previous = meeting.previous
    if previous is not None and not is_in_scope(request.user, previous, "view"):
        previous_visible = False
    else:
        previous_visible = True
    return {
        "meeting": meeting,
        "attendees": list(meeting.attendees.order_by("id")),
        "data": meeting.prepared_data,
        "actions": [(a, *selectors.action_status(a)) for a in selectors.meeting_actions(meeting)],
        "previous": previous,
        "previous_visible": previous_visible,
        "previous_actions": [
            (a, *selectors.action_status(a)) for a in selectors.meeting_actions(previous)
        ],
        "can_change": is_in_scope(request.user, meeting, "change"),
    }


@require_right("meeting", "view")
@require_http_methods(["GET"])
def meeting_detail(request, pk):
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    context = _meeting_context(request, meeting) | {"action_form": forms.ActionForm()}
    return render(request, "planning/meeting_detail.html", context)


@require_right("meeting", "view")
@require_http_methods(["GET"])
def meeting_print(request, pk):
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    return render(request, "planning/meeting_print.html", _meeting_context(request, meeting))


@require_right("meeting", "change")
@require_POST
def meeting_prepare(request, pk):
    meeting = selectors.meeting_get(user=request.user, pk=pk, action="change")
    services.meeting_prepare(actor=request.user, meeting_id=meeting.pk)
    messages.success(request, _("已重新准备会议数据。"))
    return redirect("planning:meeting_detail", meeting.pk)


@require_right("meeting", "change")
@require_POST
def meeting_action_add(request, pk):
    meeting = selectors.meeting_get(user=request.user, pk=pk, action="change")
    return _child_post(
        request,
        forms.ActionForm(request.POST),
        lambda data: services.meeting_action_add(actor=request.user, meeting_id=meeting.pk, **data),
        back=("planning:meeting_detail", meeting.pk),
        success=_("行动事项已添加，并已生成跟踪任务。"),
    )


# --- training ------------------------------------------------------------------------------------


@require_right("training", "view")
@require_http_methods(["GET"])
def training_list(request):
    return _list(
        request,
        template="planning/training_list.html",
        form=forms.DatedFilter(request.GET or None),
        selector=selectors.training_list,
        object_type="training",
    )


@require_right("training", "export")
@require_http_methods(["GET"])
def training_export(request):
    filters = forms.DatedFilter(request.GET or None).selector_args()
    columns = [
        (_("培训主题"), lambda t: t.title),
        (_("培训日期"), lambda t: t.held_on),
        (_("讲师"), lambda t: t.trainer),
        (_("组织人"), lambda t: str(t.owner)),
        (_("培训对象部门"), lambda t: str(t.department or "")),
        (_("课时（小时）"), lambda t: t.hours),
        (_("学员数"), lambda t: t.participant_count),
        (_("效果观察期（月）"), lambda t: t.followup_months),
        (_("评估结论"), lambda t: t.summary),
    ]
    return export_response(
        user=request.user,
        queryset=selectors.training_list(user=request.user, filters=filters),
        columns=columns,
        fmt=_fmt(request),
        filename=_("销售培训"),
        object_type="training",
        personal_data=False,
        filters=filters,
    )


@require_right("training", "add")
@require_http_methods(["GET", "POST"])
def training_create(request):
    class Form(forms.TrainingForm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.initial.setdefault("owner", request.user.pk)
            self.initial.setdefault("department", request.user.department_id)
            self.initial.setdefault("held_on", timezone.localdate())

    return _save_form(
        request,
        Form,
        save=lambda form: services.training_create(actor=request.user, data=_model_data(form)),
        template="planning/form.html",
        context={"title": _("登记培训"), "back": "planning:trainings"},
        detail="planning:training_detail",
    )


@require_right("training", "change")
@require_http_methods(["GET", "POST"])
def training_edit(request, pk):
    session = selectors.training_get(user=request.user, pk=pk, action="change")
    return _save_form(
        request,
        forms.TrainingForm,
        instance=session,
        save=lambda form: services.training_update(
            actor=request.user, session_id=session.pk, data=_model_data(form)
        ),
        template="planning/form.html",
        context={"title": _("编辑培训"), "back": "planning:trainings"},
        detail="planning:training_detail",
    )


def _training_context(request, session) -> dict:
    rows = selectors.training_participants(user=request.user, session=session)
    before, after = selectors.training_windows(session)
    return {
        "session": session,
        "rows": rows,
        "summary": selectors.training_summary(rows),
        "before": before,
        "after": after,
        "after_complete": after.end <= timezone.localdate(),
        "can_change": is_in_scope(request.user, session, "change"),
    }


@require_right("training", "view")
@require_http_methods(["GET"])
def training_detail(request, pk):
    session = selectors.training_get(user=request.user, pk=pk)
    context = _training_context(request, session) | {"participant_form": forms.ParticipantForm()}
    return render(request, "planning/training_detail.html", context)


@require_right("training", "view")
@require_http_methods(["GET"])
def training_print(request, pk):
    session = selectors.training_get(user=request.user, pk=pk)
    return render(request, "planning/training_print.html", _training_context(request, session))


@require_right("training", "change")
@require_POST
def participant_save(request, pk):
    session = selectors.training_get(user=request.user, pk=pk, action="change")

    def call(data):
        user = data.pop("user")
        services.participant_save(actor=request.user, session_id=session.pk, user=user, data=data)

    return _child_post(
        request,
        forms.ParticipantForm(request.POST),
        call,
        back=("planning:training_detail", session.pk),
        success=_("学员记录已保存。"),
    )


@require_right("training", "change")
@require_POST
def participant_remove(request, pk, participant_id):
    session = selectors.training_get(user=request.user, pk=pk, action="change")
    services.participant_remove(
        actor=request.user, session_id=session.pk, participant_id=participant_id
    )
    messages.success(request, _("学员已移除。"))
    return redirect("planning:training_detail", session.pk)


# --- process interviews --------------------------------------------------------------------------


@require_right("interview", "view")
@require_http_methods(["GET"])
def interview_list(request):
    return _list(
        request,
        template="planning/interview_list.html",
        form=forms.InterviewFilter(request.GET or None),
        selector=selectors.interview_list,
        object_type="interview",
    )


@require_right("interview", "export")
@require_http_methods(["GET"])
def interview_export(request):
    filters = forms.InterviewFilter(request.GET or None).selector_args()
    columns = [
        (_("访谈日期"), lambda i: i.interviewed_on),
        (_("受访人"), lambda i: i.interviewee),
        (_("岗位"), lambda i: i.role),
        (_("所在部门"), lambda i: str(i.department or "")),
        (_("访谈人"), lambda i: str(i.owner)),
        (_("主题标签"), lambda i: "、".join(t.name for t in i.themes.all())),
        (_("痛点"), lambda i: i.pain_points),
        (_("建议"), lambda i: i.suggestions),
    ]
    return export_response(
        user=request.user,
        queryset=selectors.interview_list(user=request.user, filters=filters),
        columns=columns,
        fmt=_fmt(request),
        filename=_("流程现状访谈"),
        object_type="interview",
        personal_data=False,
        filters=filters,
    )


def _interview_save(request, form, interview=None):
    data = _model_data(form)
    if interview is None:
        return services.interview_create(actor=request.user, data=data, themes=form.themes())
    return services.interview_update(
        actor=request.user, interview_id=interview.pk, data=data, themes=form.themes()
    )


@require_right("interview", "add")
@require_http_methods(["GET", "POST"])
def interview_create(request):
    class Form(forms.InterviewForm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.initial.setdefault("owner", request.user.pk)

    return _save_form(
        request,
        Form,
        save=lambda form: _interview_save(request, form),
        template="planning/form.html",
        context={"title": _("登记流程访谈"), "back": "planning:interviews"},
        detail="planning:interview_detail",
    )


@require_right("interview", "change")
@require_http_methods(["GET", "POST"])
def interview_edit(request, pk):
    interview = selectors.interview_get(user=request.user, pk=pk, action="change")
    return _save_form(
        request,
        forms.InterviewForm,
        instance=interview,
        save=lambda form: _interview_save(request, form, interview),
        template="planning/form.html",
        context={"title": _("编辑流程访谈"), "back": "planning:interviews"},
        detail="planning:interview_detail",
    )


@require_right("interview", "view")
@require_http_methods(["GET"])
def interview_detail(request, pk):
    interview = selectors.interview_get(user=request.user, pk=pk)
    return render(
        request,
        "planning/interview_detail.html",
        {"interview": interview, "can_change": is_in_scope(request.user, interview, "change")},
    )


@require_right("interview", "view")
@require_http_methods(["GET"])
def interview_print(request, pk):
    interview = selectors.interview_get(user=request.user, pk=pk)
    return render(request, "planning/interview_print.html", {"interview": interview})


@require_right("interview", "view")
@require_http_methods(["GET"])
def interview_themes(request):
    form = forms.PeriodFilter(request.GET or None)
    args = form.selector_args()
    result = analyses.interview_themes(
        request.user,
        analyses.Params(date_from=args.get("date_from"), date_to=args.get("date_to")),
    )
    can_export = has_right(request.user, "interview", "export")
    if request.GET.get("format") in ("xlsx", "csv"):
        if not can_export:
            raise Http404
        return export_response(
            user=request.user,
            queryset=result.rows,
            columns=[(label, itemgetter(key)) for key, label in result.columns],
            fmt=_fmt(request),
            filename=_("流程访谈主题汇总"),
            object_type="interview",
            personal_data=False,
            filters={k: str(v) for k, v in args.items()},
        )
    return render(
        request,
        "planning/interview_themes.html",
        {"form": form, "result": result, "can_export": can_export},
    )
