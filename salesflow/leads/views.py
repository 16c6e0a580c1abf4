"""Lead pages (SPEC S1): list, unassigned leads, export, registration, detail with SLAs and
timeline, edit, screening, needs match, first contact, assignment, status, conversion, merge and
delete. Every write goes through ``services``; every object comes from ``selectors.lead_get``
(out of scope → 404); service errors are mapped onto the forms by ``apply_service_errors``."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesflow.core.dedup import DuplicateFound
from salesflow.core.errors import DomainError, NotAllowed
from salesflow.core.exports import export_response
from salesflow.core.pagination import bounded_page
from salesflow.core.pii import can_view_contact, shown_email, shown_phone
from salesflow.core.scope import has_right, is_in_scope
from salesflow.core.sla import parse_rule
from salesflow.core.views import require_right

from . import rules, selectors, services
from .forms import (
    AssignForm,
    ContactForm,
    ConvertForm,
    LeadFilterForm,
    LeadForm,
    MergeForm,
    NeedsForm,
    ScreenForm,
    StatusForm,
)
from .models import OPEN_STATUSES, LeadGrade, LeadStatus, PurchasingPower, Scorecard

PAGE_SIZE = 50
SERVICE_ERRORS = (ValidationError, DomainError, NotAllowed)


# --- helpers ------------------------------------------------------------------------------


def apply_service_errors(form, exc, field_for=None) -> None:
    """Put a service's error on the form: field errors on their fields (``field_for`` maps a
    service key such as ``items.0.score`` to a form field), the rest above the form."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            name = field_for(key) if field_for else key
            form.add_error(name if name in form.fields else None, errors)
    elif isinstance(exc, ValidationError):
        form.add_error(None, exc.messages)
    elif isinstance(exc, DomainError):
        field = field_for(exc.field) if field_for and exc.field else exc.field
        form.add_error(field if field in form.fields else None, str(exc.message))
    else:  # NotAllowed
        form.add_error(None, str(exc) or _("没有执行此操作的权限。"))


def _safe_next(request, candidate: str | None, default: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _url_or_empty(name: str, *args) -> str:
    """A link to another module's page, or "" while that page does not exist yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def current_sla(lead) -> dict | None:
    """The deadline that runs now: screening while ungraded, then an A-class lead's first
    contact while nobody has contacted it."""
    if lead.graded_at is None and lead.status == LeadStatus.NEW:
        return {"label": _("筛选"), "due_at": lead.screening_due_at}
    if (
        lead.grade == LeadGrade.A
        and lead.first_contact_at is None
        and lead.status in OPEN_STATUSES
        and lead.first_contact_due_at
    ):
        return {"label": _("首次联系"), "due_at": lead.first_contact_due_at}
    return None


def decorate(lead):
    """Attach the SLA facts a page shows (no queries: settings and calendar are cached)."""
    lead.entry = rules.entry_sla(lead.acquired_at, lead.entered_at)
    lead.current_sla = current_sla(lead)
    return lead


def _wan(value: Decimal) -> str:
    wan = (value / Decimal(10000)).normalize()
    return f"{wan:f}万"


def budget_text(lead) -> str:
    low, high = lead.budget_min, lead.budget_max
    if low is None and high is None:
        return ""
    if low is not None and high is not None:
        return f"{_wan(low)}–{_wan(high)}" if low != high else _wan(low)
    return (
        _("%(amount)s以上") % {"amount": _wan(low)}
        if low is not None
        else _("%(amount)s以内") % {"amount": _wan(high)}
    )


def duration_text(delta: datetime.timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(h)s小时%(m)s分钟") % {"h": hours, "m": minutes}
    return _("%(m)s分钟") % {"m": minutes}


def cadence_text(intent: str) -> str:
    """The follow-up frequency of an intent grade in words ("7天")."""
    if not intent:
        return ""
    rule = rules.intent_cadence(intent)
    try:
        return parse_rule(str(rule)).label
    except ValueError:
        return str(rule)


URL_MARKER = 987654321


def _page(request, queryset):
    """A page of the lead table: SLA facts and the detail link of each row (the link from one
    ``reverse`` for the page, not one per row)."""
    page = bounded_page(queryset, PAGE_SIZE, request.GET.get("page"))
    detail = reverse("leads:detail", args=[URL_MARKER])
    for lead in page.object_list:
        decorate(lead)
        lead.detail_url = detail.replace(str(URL_MARKER), str(lead.pk))
    return page


# --- lists and export ---------------------------------------------------------------------


@require_http_methods(["GET"])
@require_right("lead", "view")
def lead_list(request):
    user = request.user
    filter_form = LeadFilterForm(request.GET or None, user=user)
    filters, search = filter_form.selector_args()
    page = _page(request, selectors.lead_list(user=user, filters=filters, search=search))
    can_assign = has_right(user, "lead", "assign")
    return render(
        request,
        "leads/list.html",
        {
            "page": page,
            "filter_form": filter_form,
            "filtered": bool(filters or search),
            "can_add": has_right(user, "lead", "add"),
            "can_export": has_right(user, "lead", "export"),
            "can_assign": can_assign,
            "can_pool": has_right(user, "lead_pool", "view"),
            "assign_form": AssignForm(user=user, initial={"next": request.get_full_path()})
            if can_assign
            else None,
        },
    )


@require_http_methods(["GET"])
@require_right("lead_pool", "view")
def lead_unassigned(request):
    user = request.user
    page = _page(request, selectors.unassigned_leads(user=user))
    can_assign = has_right(user, "lead", "assign")
    return render(
        request,
        "leads/unassigned.html",
        {
            "page": page,
            "can_assign": can_assign,
            "assign_form": AssignForm(user=user, initial={"next": request.get_full_path()})
            if can_assign
            else None,
        },
    )


def export_columns(user) -> list[tuple[str, Callable]]:
    def status(lead):
        return lead.get_status_display()

    def entry_on_time(lead):
        return _("按时") if rules.entry_sla(lead.acquired_at, lead.entered_at).met else _("超时")

    return [
        (_("编号"), lambda lead: lead.pk),
        (_("公司名称"), lambda lead: lead.company_name),
        (_("行业"), lambda lead: lead.industry or ""),
        (_("区域"), lambda lead: lead.region or ""),
        (_("员工人数"), lambda lead: lead.employees),
        (_("年营业额（万元）"), lambda lead: lead.annual_revenue),
        (_("联系人"), lambda lead: lead.contact_name),
        (_("职务"), lambda lead: lead.contact_title),
        (_("联系电话"), lambda lead: shown_phone(user, "lead", lead.phone)),
        (_("邮箱"), lambda lead: shown_email(user, "lead", lead.email)),
        (_("需求描述"), lambda lead: lead.needs),
        (_("线索来源"), lambda lead: lead.source),
        (_("获取时间"), lambda lead: lead.acquired_at),
        (_("录入时间"), lambda lead: lead.entered_at),
        (_("录入时效"), entry_on_time),
        (_("预计采购时间"), lambda lead: lead.expected_purchase),
        (_("预算下限（元）"), lambda lead: lead.budget_min),
        (_("预算上限（元）"), lambda lead: lead.budget_max),
        (_("跟进状态"), status),
        (_("评分"), lambda lead: lead.score),
        (_("等级"), lambda lead: lead.grade),
        (_("意向"), lambda lead: lead.get_intent_display() if lead.intent else ""),
        (_("负责人"), lambda lead: lead.owner or _("未分配")),
        (_("筛选截止"), lambda lead: lead.screening_due_at),
        (_("评级时间"), lambda lead: lead.graded_at),
        (_("首次联系截止"), lambda lead: lead.first_contact_due_at),
        (_("首次联系时间"), lambda lead: lead.first_contact_at),
        (_("收集目的"), lambda lead: lead.purpose),
        (_("备注"), lambda lead: lead.notes),
    ]


@require_http_methods(["GET"])
@require_right("lead", "export")
def lead_export(request):
    """The current filtered list as xlsx or csv; contact details masked without the right;
    the export is written to the audit log."""
    user = request.user
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    filter_form = LeadFilterForm(request.GET, user=user)
    filters, search = filter_form.selector_args()
    queryset = selectors.lead_list(user=user, filters=filters, search=search)
    return export_response(
        user=user,
        queryset=queryset,
        columns=export_columns(user),
        fmt=fmt,
        filename=_("线索"),
        object_type="lead",
        personal_data=can_view_contact(user, "lead"),
        filters={**filters, **({"q": search} if search else {})},
    )


# --- registration and edit ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@require_right("lead", "add")
def lead_create(request):
    user = request.user
    form = LeadForm(request.POST or None, user=user, can_assign=has_right(user, "lead", "assign"))
    matches = []
    if request.method == "POST" and form.is_valid():
        try:
            lead = services.lead_register(
                actor=user,
                data=form.service_data(),
                owner=form.chosen_owner(),
                confirm_duplicate=form.cleaned_data["confirm_duplicate"],
            )
        except DuplicateFound as exc:
            matches = exc.matches
            form.add_error(None, str(exc.message))
        except SERVICE_ERRORS as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("线索“%(name)s”已登记。") % {"name": lead.company_name})
            if not is_in_scope(user, lead):
                return redirect("leads:list")
            return redirect("leads:detail", lead.pk)
    return render(
        request,
        "leads/form.html",
        {"form": form, "matches": matches, "lead": None, "title": _("登记线索")},
    )


@require_http_methods(["GET", "POST"])
@require_right("lead", "change")
def lead_edit(request, pk):
    user = request.user
    lead = selectors.lead_get(user=user, pk=pk, action="change")
    form = LeadForm(request.POST or None, instance=lead, user=user)
    matches = []
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_update(
                actor=user,
                lead_id=lead.pk,
                data=form.service_data(),
                confirm_duplicate=form.cleaned_data["confirm_duplicate"],
            )
        except DuplicateFound as exc:
            matches = exc.matches
            form.add_error(None, str(exc.message))
        except SERVICE_ERRORS as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("线索已保存。"))
            return redirect("leads:detail", lead.pk)
    return render(
        request,
        "leads/form.html",
        {"form": form, "matches": matches, "lead": lead, "title": _("编辑线索")},
    )


# --- detail and its small actions ---------------------------------------------------------


def _detail(request, lead, *, status_form=None, contact_form=None, assign_form=None, code=200):
    user = request.user
    decorate(lead)
    can_change = is_in_scope(user, lead, "change")
    can_assign = has_right(user, "lead", "assign") and is_in_scope(user, lead, "assign")
    can_delete = has_right(user, "lead", "delete") and is_in_scope(user, lead, "delete")
    is_open = lead.status in OPEN_STATUSES
    response_time = None
    if lead.first_contact_at and lead.graded_at:
        response_time = duration_text(lead.first_contact_at - lead.graded_at)
    context = {
        "lead": lead,
        "budget": budget_text(lead),
        "purchasing_power": PurchasingPower(
            rules.purchasing_power(lead.budget_min, lead.budget_max)
        ).label,
        "score": selectors.latest_score(lead=lead),
        "assessments": selectors.lead_assessments(lead=lead),
        "timeline": selectors.lead_timeline(lead=lead),
        "response_time": response_time,
        "cadence": cadence_text(lead.intent),
        "can_change": can_change,
        "can_work": can_change and is_open,
        "can_convert": can_change and is_open and has_right(user, "customer", "add"),
        "can_assign": can_assign,
        "can_delete": can_delete,
        "customer_url": _url_or_empty("customers:detail", lead.converted_customer_id)
        if lead.converted_customer_id
        else "",
        "status_form": status_form or StatusForm(),
        "contact_form": contact_form or ContactForm(),
        "assign_form": assign_form
        or (
            AssignForm(user=user, initial={"ids": [lead.pk], "next": lead_url(lead)})
            if can_assign
            else None
        ),
    }
    return render(request, "leads/detail.html", context, status=code)


def lead_url(lead) -> str:
    return reverse("leads:detail", args=[lead.pk])


@require_http_methods(["GET"])
@require_right("lead", "view")
def lead_detail(request, pk):
    lead = selectors.lead_get(user=request.user, pk=pk)
    return _detail(request, lead)


@require_http_methods(["POST"])
@require_right("lead", "change")
def lead_contact(request, pk):
    user = request.user
    lead = selectors.lead_get(user=user, pk=pk, action="change")
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.lead_record_first_contact(
                actor=user, lead_id=lead.pk, at=form.cleaned_data.get("at")
            )
        except SERVICE_ERRORS as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("已记录首次联系。"))
            return redirect("leads:detail", lead.pk)
    return _detail(request, lead, contact_form=form)


@require_http_methods(["POST"])
@require_right("lead", "change")
def lead_status(request, pk):
    user = request.user
    lead = selectors.lead_get(user=user, pk=pk, action="change")
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            updated = services.lead_set_status(
                actor=user,
                lead_id=lead.pk,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except SERVICE_ERRORS as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, _("状态已改为“%(status)s”。") % {"status": updated.get_status_display()}
            )
            return redirect("leads:detail", lead.pk)
    return _detail(request, lead, status_form=form)


@require_http_methods(["GET", "POST"])
@require_right("lead", "assign")
def lead_assign(request):
    """Bulk (or single) assignment: ids + owner + reason; every move is recorded."""
    user = request.user
    source = request.POST if request.method == "POST" else request.GET
    form = AssignForm(
        source if request.method == "POST" else None,
        user=user,
        initial={"ids": source.getlist("ids"), "next": source.get("next", "")},
    )
    fallback = reverse("leads:list")
    if request.method == "POST" and form.is_valid():
        try:
            moved = services.lead_assign(
                actor=user,
                lead_ids=form.cleaned_data["ids"],
                to_owner=form.cleaned_data["owner"],
                reason=form.cleaned_data["reason"],
            )
        except SERVICE_ERRORS as exc:
            apply_service_errors(form, exc, field_for=lambda key: "ids" if key == "leads" else key)
        else:
            messages.success(
                request,
                _("已将 %(count)s 条线索分配给 %(owner)s。")
                % {"count": moved, "owner": form.cleaned_data["owner"]},
            )
            return redirect(_safe_next(request, form.cleaned_data.get("next"), fallback))
    ids = []
    for value in source.getlist("ids"):
        try:
            ids.append(int(value))
        except ValueError:
            continue
    chosen = list(
        selectors.lead_list(user=user).filter(pk__in=ids).select_related("owner")[: PAGE_SIZE * 4]
    )
    return render(
        request,
        "leads/assign.html",
        {
            "form": form,
            "chosen": chosen,
            "back_url": _safe_next(request, source.get("next"), fallback),
        },
    )


# --- screening and needs match ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@require_right("lead", "change")
def lead_screen(request, pk):
    user = request.user
    lead = selectors.lead_get(user=user, pk=pk, action="change")
    scorecard = (
        Scorecard.objects.filter(is_active=True).prefetch_related("criteria__options").first()
    )
    latest = selectors.latest_score(lead=lead)
    form = None
    if scorecard is not None:
        initial = {"intent": lead.intent or None}
        if latest is not None:  # preselect the options chosen last time (by label)
            chosen = {item.criterion_name: item.option_label for item in latest.items.all()}
            for criterion in scorecard.criteria.all():
                for option in criterion.options.all():
                    if chosen.get(criterion.name) == option.label:
                        initial[ScreenForm.key(criterion)] = option.pk
        form = ScreenForm(request.POST or None, scorecard=scorecard, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                score = services.lead_screen(
                    actor=user,
                    lead_id=lead.pk,
                    answers=form.answers(),
                    intent=form.cleaned_data["intent"],
                )
            except SERVICE_ERRORS as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("评分完成：%(total)s 分，%(grade)s。")
                    % {"total": score.total, "grade": score.get_grade_display()},
                )
                return redirect("leads:screen", lead.pk)
    elif request.method == "POST":
        messages.error(request, _("没有启用的线索评分表，请管理员先配置。"))
    return render(
        request,
        "leads/screen.html",
        {"lead": decorate(lead), "scorecard": scorecard, "form": form, "latest": latest},
    )


@require_http_methods(["GET", "POST"])
@require_right("lead", "change")
def lead_assess(request, pk):
    user = request.user
    lead = selectors.lead_get(user=user, pk=pk, action="change")
    if request.method == "POST":
        rows = NeedsForm.rows_posted(request.POST)
        if "add_row" in request.POST:
            form = NeedsForm(request.POST, rows=rows + 1)
            form.data = form.data.copy()
            form.data["rows"] = str(form.row_count)
        else:
            form = NeedsForm(request.POST, rows=rows)
            if form.is_valid():
                try:
                    assessment = services.lead_assess_needs(
                        actor=user,
                        lead_id=lead.pk,
                        items=form.items(),
                        conclusion=form.cleaned_data["conclusion"],
                        strategy=form.cleaned_data["strategy"],
                    )
                except SERVICE_ERRORS as exc:
                    apply_service_errors(form, exc, field_for=NeedsForm.field_for)
                else:
                    messages.success(
                        request,
                        _("需求匹配度评估已保存：总分 %(total)s，%(band)s，购买力%(power)s。")
                        % {
                            "total": assessment.total,
                            "band": assessment.get_band_display(),
                            "power": assessment.get_purchasing_power_display(),
                        },
                    )
                    return redirect("leads:detail", lead.pk)
    else:
        form = NeedsForm(rows=3)
    return render(
        request,
        "leads/assess.html",
        {
            "lead": lead,
            "form": form,
            "budget": budget_text(lead),
            "purchasing_power": PurchasingPower(
                rules.purchasing_power(lead.budget_min, lead.budget_max)
            ).label,
        },
    )


# --- conversion, merge, delete ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@require_right("lead", "change")
def lead_convert(request, pk):
    user = request.user
    lead = selectors.lead_get(user=user, pk=pk, action="change")
    from salesflow.pipeline.services import lead_convert_with_opportunity

    can_add_opportunity = has_right(user, "opportunity", "add")
    form = ConvertForm(
        request.POST or None,
        initial={
            "name": lead.company_name,
            "expected_annual_value": lead.budget_max or lead.budget_min,
            "create_opportunity": can_add_opportunity,
            "opportunity_name": f"{lead.company_name} · {lead.needs[:20]}",
            "opportunity_amount": lead.budget_max or lead.budget_min,
        },
    )
    if not can_add_opportunity:
        for name in ("create_opportunity", "opportunity_name", "opportunity_amount"):
            form.fields.pop(name)
    matches = []
    if request.method == "POST" and form.is_valid():
        try:
            customer, opportunity = lead_convert_with_opportunity(
                actor=user,
                lead_id=lead.pk,
                opportunity=form.opportunity_data() if can_add_opportunity else None,
                customer_data=form.customer_data(),
                existing_customer_id=form.cleaned_data.get("existing_customer") or None,
                confirm_duplicate=form.cleaned_data["confirm_duplicate"],
            )
        except DuplicateFound as exc:
            matches = exc.matches
            form.add_error(None, str(exc.message))
        except SERVICE_ERRORS as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("线索已转为客户“%(name)s”，联系人已建立，线索历史保留。")
                % {"name": customer.name},
            )
            if opportunity is not None:
                return redirect(
                    _url_or_empty("pipeline:detail", opportunity.pk)
                    or _url_or_empty("customers:detail", customer.pk)
                )
            return redirect(_url_or_empty("customers:detail", customer.pk) or lead_url(lead))
    return render(
        request,
        "leads/convert.html",
        {
            "lead": lead,
            "form": form,
            "matches": matches,
            "linkable": [m for m in matches if m.kind == "customer" and m.in_scope],
            "can_add_customer": has_right(user, "customer", "add"),
        },
    )


@require_http_methods(["GET", "POST"])
@require_right("lead", "change")
def lead_merge(request, pk):
    user = request.user
    lead = selectors.lead_get(user=user, pk=pk, action="change")
    search = (request.GET.get("q") or "").strip()
    candidates = selectors.merge_candidates(user=user, lead=lead, search=search)
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        other = selectors.lead_get(user=user, pk=form.cleaned_data["other"], action="change")
        keep, gone = (
            (lead, other)
            if form.cleaned_data["keep"] == MergeForm.KEEP_THIS
            else (
                other,
                lead,
            )
        )
        try:
            kept = services.lead_merge(
                actor=user, keep_id=keep.pk, merge_id=gone.pk, reason=form.cleaned_data["reason"]
            )
        except SERVICE_ERRORS as exc:
            apply_service_errors(form, exc, field_for=lambda key: "other")
        else:
            messages.success(
                request,
                _("已把“%(gone)s”合并到“%(kept)s”。")
                % {"gone": gone.company_name, "kept": kept.company_name},
            )
            return redirect("leads:detail", kept.pk)
    return render(
        request,
        "leads/merge.html",
        {"lead": lead, "form": form, "candidates": candidates, "q": search},
    )


@require_http_methods(["POST"])
@require_right("lead", "delete")
def lead_delete(request, pk):
    user = request.user
    lead = selectors.lead_get(user=user, pk=pk, action="delete")
    try:
        services.lead_delete(actor=user, lead_id=lead.pk)
    except SERVICE_ERRORS as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc))
        return redirect("leads:detail", lead.pk)
    messages.success(
        request, _("线索“%(name)s”已移入回收站，15 天内可由管理员恢复。") % {"name": lead}
    )
    return redirect("leads:list")
