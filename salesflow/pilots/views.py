"""Pages of 流程试点: the list, the detail with the report (chart and table), the pilot form,
the decision, the customer satisfaction survey and the team feedback form. Every page obeys
the pilot scope (out of scope → 404)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.core.errors import DomainError
from salesflow.core.pagination import bounded_page
from salesflow.core.scope import has_right, owner_ids_for, scope_for
from salesflow.core.views import require_right
from salesflow.org.models import User

from . import forms, report, services
from .models import Pilot, PilotStatus

SERVICE_ERRORS = (ValidationError, DomainError, PermissionDenied)


def _apply_error(form, exc) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, getattr(exc, "message", None) or str(exc))


def _form_page(request, form, *, title, pilot=None, status=200):
    return render(
        request,
        "pilots/form.html",
        {"form": form, "title": title, "pilot": pilot},
        status=400 if request.method == "POST" else status,
    )


@require_right("pilot", "view")
def pilot_list(request):
    today = timezone.localdate()
    qs = Pilot.objects.restrict(request.user).select_related("owner").prefetch_related("teams")
    page = bounded_page(qs.order_by("-start_date", "-id"), 30, request.GET.get("page"))
    for pilot in page.object_list:
        pilot.shown_status = PilotStatus(pilot.status_on(today)).label
    return render(
        request,
        "pilots/list.html",
        {"page": page, "can_add": has_right(request.user, "pilot", "add")},
    )


@require_right("pilot", "add")
def pilot_create(request):
    form = forms.PilotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pilot = services.pilot_create(
                actor=request.user,
                data=form.data_for_service(),
                teams=form.cleaned_data["teams"],
            )
        except SERVICE_ERRORS as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("试点已创建。"))
            return redirect("pilots:detail", pilot.pk)
    return _form_page(request, form, title=_("新建流程试点"))


@require_right("pilot", "change")
def pilot_edit(request, pk: int):
    pilot = Pilot.objects.get_in_scope(request.user, "change", pk=pk)
    initial = {
        "name": pilot.name,
        "goal": pilot.goal,
        "teams": list(pilot.teams.all()),
        "start_date": pilot.start_date,
        "end_date": pilot.end_date,
        "baseline_start": pilot.baseline_start,
        "baseline_end": pilot.baseline_end,
        "template_version": pilot.template_version,
        "settings_profile": forms.profile_text(pilot.settings_profile),
    }
    form = forms.PilotForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.data_for_service()
        if not data.get("baseline_start") or not data.get("baseline_end"):
            data["baseline_start"], data["baseline_end"] = services.default_baseline(
                data["start_date"], data["end_date"]
            )
        try:
            services.pilot_update(
                actor=request.user, pilot_id=pilot.pk, data=data, teams=form.cleaned_data["teams"]
            )
        except SERVICE_ERRORS as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("pilots:detail", pilot.pk)
    return _form_page(request, form, title=_("修改流程试点"), pilot=pilot)


@require_right("pilot", "view")
def pilot_detail(request, pk: int):
    user = request.user
    pilot = Pilot.objects.select_related("owner", "template_version__template").get_in_scope(
        user, "view", pk=pk
    )
    from salesflow.core.settings_registry import REGISTRY, get_setting

    profile = [
        {
            "key": key,
            "label": REGISTRY[key].label if key in REGISTRY else key,
            "value": value,
            "company": get_setting(key) if key in REGISTRY else "—",
        }
        for key, value in pilot.settings_profile.items()
    ]
    reachable = owner_ids_for(user, "pilot", "view")
    feedback = pilot.feedback.select_related("participant")
    if reachable is not None:
        feedback = feedback.filter(participant_id__in=sorted(reachable))
    can_change = has_right(user, "pilot", "change") and pilot.status != PilotStatus.DECIDED
    return render(
        request,
        "pilots/detail.html",
        {
            "pilot": pilot,
            "shown_status": PilotStatus(pilot.status_on(timezone.localdate())).label,
            "teams": list(pilot.teams.all()),
            "profile": profile,
            "result": report.build_result(user, pilot),
            "decisions": pilot.decisions.select_related("decided_by", "applied_version"),
            "feedback": feedback[:100],
            "can_change": can_change,
            "can_decide": can_change and has_right(user, "pilot", "approve"),
        },
    )


@require_right("pilot", "approve")
def pilot_decide(request, pk: int):
    pilot = Pilot.objects.get_in_scope(request.user, "change", pk=pk)
    form = forms.DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.pilot_decide(actor=request.user, pilot_id=pilot.pk, **form.cleaned_data)
        except SERVICE_ERRORS as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("决策已记录。"))
            return redirect("pilots:detail", pilot.pk)
    return _form_page(
        request, form, title=_("试点决策：%(name)s") % {"name": pilot.name}, pilot=pilot
    )


def _survey_customers(user, pilot: Pilot):
    """Customers the user sees that had an opportunity open during the pilot (pilot teams and
    the others, for the comparison)."""
    from salesflow.customers.models import Customer
    from salesflow.pipeline.models import Opportunity

    active = Opportunity.objects.filter(
        Q(closed_at__isnull=True) | Q(closed_at__date__gte=pilot.start_date),
        created_at__date__lte=pilot.end_date,
    ).values("customer_id")
    return Customer.objects.restrict(user, "view").filter(pk__in=active).order_by("name")


@require_right("pilot", "view")
def survey_add(request, pk: int):
    pilot = Pilot.objects.get_in_scope(request.user, "view", pk=pk)
    form = forms.SurveyForm(request.POST or None, customers=_survey_customers(request.user, pilot))
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_record(
                actor=request.user,
                pilot_id=pilot.pk,
                customer_id=form.cleaned_data["customer"].pk,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except SERVICE_ERRORS as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("满意度调查已记录。"))
            return redirect("pilots:detail", pilot.pk)
    return _form_page(request, form, title=_("客户满意度调查"), pilot=pilot)


def _participants(user, pilot: Pilot):
    teams = Q(pk__in=[])
    for path in pilot.teams.values_list("path", flat=True):
        teams |= Q(department__path__startswith=path)
    qs = User.objects.filter(teams, is_active=True).order_by("display_name", "id")
    if scope_for(user, "pilot", "view") == "own":
        return qs.filter(pk=user.pk)
    reachable = owner_ids_for(user, "pilot", "view")
    return qs if reachable is None else qs.filter(pk__in=sorted(reachable))


@require_right("pilot", "view")
def feedback_add(request, pk: int):
    pilot = Pilot.objects.get_in_scope(request.user, "view", pk=pk)
    participants = _participants(request.user, pilot)
    form = forms.FeedbackForm(
        request.POST or None,
        participants=participants,
        initial={"participant": request.user.pk},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_record(
                actor=request.user,
                pilot_id=pilot.pk,
                participant=form.cleaned_data["participant"],
                acceptance=form.cleaned_data["acceptance"],
                suggestions=form.cleaned_data["suggestions"],
            )
        except SERVICE_ERRORS as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("团队反馈已记录。"))
            return redirect("pilots:detail", pilot.pk)
    return _form_page(request, form, title=_("团队反馈"), pilot=pilot)
