"""Pages of 商机 and the sales process: the kanban board (column shells + lazily loaded column
pages), the list and its export, create/edit, the detail page with the stage checklist and the
whole timeline, the POST actions and the skip report.

Reads go through ``selectors`` (an opportunity outside the user's scope is a 404 everywhere,
the board's fragments included), writes through ``services`` (the stage gate, skips, won/lost
and reopen rules live there, once)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesflow.core.errors import DomainError
from salesflow.core.exports import export_response
from salesflow.core.models import ApprovalRequest
from salesflow.core.scope import has_right, is_in_scope
from salesflow.core.views import require_right
from salesflow.core.widgets import use_fast_widgets
from salesflow.customers.models import Contact

from . import selectors, services, stage_panels
from .forms import (
    AssignForm,
    BackForm,
    LoseForm,
    NoteForm,
    OpportunityCreateForm,
    OpportunityFilterForm,
    OpportunityForm,
    OutputForm,
    ReasonForm,
    SkipForm,
    WinForm,
    apply_service_error,
    error_text,
)
from .models import (
    Opportunity,
    OpportunityStatus,
    ProcessTemplate,
    ProductLine,
    Stage,
    StageOutput,
    TemplateVersion,
)
from .templatetags.pipeline_tags import wan

PAGE_SIZE = 50
SERVICE_ERRORS = (ValidationError, DomainError, PermissionDenied)
FILTER_KEYS = OpportunityFilterForm.KEYS


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _detail_url(opp_or_pk) -> str:
    return reverse("pipeline:detail", args=[getattr(opp_or_pk, "pk", opp_or_pk)])


def _filter_form(request, *, with_status=True, with_search=True, choices=True):
    """The filter form of the board and the list. Without ``choices`` (the board's fragments)
    owner and team are only checked to be numbers: the selector applies the scope anyway."""
    user = request.user
    form = OpportunityFilterForm(
        request.GET or None,
        owners=selectors.owner_choices(user=user) if choices else None,
        teams=selectors.team_choices() if choices else None,
        with_status=with_status,
        with_search=with_search,
    )
    return use_fast_widgets(form) if choices else form


def _filter_query(request, **extra) -> str:
    """The filter parameters of the current request (raw) plus ``extra``, url-encoded."""
    query = QueryDict(mutable=True)
    for key in FILTER_KEYS:
        value = request.GET.get(key)
        if value not in (None, ""):
            query[key] = value
    for key, value in extra.items():
        if value not in (None, ""):
            query[key] = value
    return query.urlencode()


# --- board -------------------------------------------------------------------------------------


def _board_stages(version: TemplateVersion) -> list[Stage]:
    return list(version.stages.filter(covered_by_lead=False).order_by("order"))


def _column_state(*, user, version, filters, stages) -> list[dict]:
    totals = selectors.board_column_totals(user=user, version=version, filters=filters)
    rows = []
    for stage in stages:
        count, total, overdue = totals.get(stage.pk, (0, 0, 0))
        rows.append({"stage": stage, "count": count, "total": total, "overdue": overdue})
    return rows


@require_right("opportunity", "view")
@require_http_methods(["GET"])
def board(request):
    """Column shells with count, 万元 total and overdue count per stage; each column body loads
    its first page itself (``hx-trigger="load"``)."""
    user = request.user
    versions = selectors.board_version_choices(user=user)
    version = versions[0] if versions else None
    wanted = request.GET.get("version")
    if wanted:
        version = next((v for v in versions if str(v.pk) == wanted), None)
        if version is None:
            raise Http404
    form = _filter_form(request, with_status=False, with_search=False)
    filters = form.selector_filters()
    columns = []
    if version is not None:
        columns = _column_state(
            user=user, version=version, filters=filters, stages=_board_stages(version)
        )
        for column in columns:
            column["url"] = (
                reverse("pipeline:board_column")
                + "?"
                + _filter_query(request, version=version.pk, stage=column["stage"].pk)
            )
    return render(
        request,
        "pipeline/board.html",
        {
            "versions": [
                {"version": v, "url": "?" + _filter_query(request, version=v.pk)} for v in versions
            ],
            "version": version,
            "form": form,
            "filtered": bool(filters),
            "columns": columns,
            "filter_query": _filter_query(request, version=version.pk if version else None),
            "clear_url": reverse("pipeline:board") + (f"?version={version.pk}" if version else ""),
            "can_add": has_right(user, "opportunity", "add"),
            "can_move": has_right(user, "opportunity", "change"),
        },
    )


def _column_target(request, user) -> tuple[TemplateVersion | None, Stage | None, Stage | None]:
    """The version, stage and next stage a column request is about; a stage of another
    version, a lead stage or an unknown id is a 404. Without parameters: the first column of
    the first board. The version's stages are read once (one query)."""
    version_param, stage_param = request.GET.get("version"), request.GET.get("stage")
    if version_param:
        version = TemplateVersion.objects.filter(
            pk=_int(version_param) or 0, template__is_active=True
        ).first()
        if version is None:
            raise Http404
    else:
        versions = selectors.board_versions(user)
        version = versions[0] if versions else None
        if version is None:
            return None, None, None
    stages = list(version.stages.order_by("order"))
    board_stages = [s for s in stages if not s.covered_by_lead]
    if stage_param:
        wanted = _int(stage_param)
        stage = next((s for s in board_stages if s.pk == wanted), None)
        if stage is None:
            raise Http404
    else:
        stage = board_stages[0] if board_stages else None
    next_stage = (
        next((s for s in stages if s.order > stage.order), None) if stage is not None else None
    )
    return version, stage, next_stage


CARD_URL_MARKER = 987654321


def _card_text() -> dict:
    """The fixed labels of a board card, translated once per page instead of once per card."""
    return {
        "drag": _("拖动到下一列以推进"),
        "yuan": _("元"),
        "close": _("预计成交"),
        "due": _("阶段截止"),
        "overdue": _("阶段超时"),
        "skip": _("跳过已批准"),
        "advance": _("推进到下一阶段"),
    }


def _set_urls(opportunities, *names: str) -> None:
    """``opp.<name>_url`` for each of ``pipeline:<name>``: one ``reverse`` per name for the
    whole page instead of one per row."""
    marker = str(CARD_URL_MARKER)
    patterns = {name: reverse(f"pipeline:{name}", args=[CARD_URL_MARKER]) for name in names}
    for opp in opportunities:
        pk = str(opp.pk)
        for name, pattern in patterns.items():
            setattr(opp, f"{name}_url", pattern.replace(marker, pk))


def _prepare_cards(cards, now) -> list:
    """What each card shows that a template would compute per card: its detail / move /
    advance links and whether it is overdue."""
    _set_urls(cards, "detail", "move", "advance")
    for card in cards:
        card.overdue = bool(card.stage_due_at and card.stage_due_at < now)
    return cards


@require_right("opportunity", "view")
@require_http_methods(["GET"])
def board_column(request):
    """One page (50 cards) of one column, from the ``board_column`` selector (scope + keyset);
    the last card is followed by a "加载更多" row that loads the next page when revealed."""
    user = request.user
    version, stage, next_stage = _column_target(request, user)
    if stage is None:
        return render(request, "pipeline/partials/board_cards.html", {"cards": []})
    form = _filter_form(request, with_status=False, with_search=False, choices=False)
    filters = form.selector_filters()
    cards, cursor = selectors.board_column(
        user=user,
        version=version,
        stage_id=stage.pk,
        filters=filters,
        after=request.GET.get("after") or None,
    )
    skip_ids = selectors.approved_skip_ids(cards)
    more_url = None
    if cursor:
        more_url = (
            reverse("pipeline:board_column")
            + "?"
            + _filter_query(request, version=version.pk, stage=stage.pk, after=cursor)
        )
    return render(
        request,
        "pipeline/partials/board_cards.html",
        {
            "cards": _prepare_cards(cards, timezone.now()),
            "card_text": _card_text(),
            "stage": stage,
            "next_stage": next_stage,
            "skip_ids": skip_ids,
            "more_url": more_url,
            "first_page": not request.GET.get("after"),
            "can_move": has_right(user, "opportunity", "change"),
            "board_url": reverse("pipeline:board")
            + "?"
            + _filter_query(request, version=version.pk),
        },
    )


def _json_error(message: str, status: int, **extra) -> JsonResponse:
    return JsonResponse({"ok": False, "message": message, **extra}, status=status)


@login_required
@require_POST
def move(request, pk):
    """A card dropped on another column (board.js). Only the next stage is a move: it goes
    through ``opportunity_advance`` (the gate applies; a refusal is a 409 with the missing
    outputs and the card goes back); going back needs a reason, on the detail page."""
    user = request.user
    opp = selectors.opportunity_get(user=user, pk=pk)
    target = Stage.objects.filter(
        pk=_int(request.POST.get("to_stage")) or 0, version_id=opp.template_version_id
    ).first()
    detail_url = _detail_url(opp)
    if target is None:
        return _json_error(_("目标阶段不属于该商机的流程。"), 400)
    if not opp.is_open:
        return _json_error(_("已关闭的商机不能移动。"), 400, detail_url=detail_url)
    if target.order <= opp.stage.order:
        return _json_error(
            _("退回到之前的阶段须填写原因，请在商机详情页操作。"), 400, detail_url=detail_url
        )
    following = services.next_stage(opp)
    if following is None or target.pk != following.pk:
        return _json_error(
            _("只能推进到下一阶段（%(stage)s）。")
            % {"stage": following.name if following else "—"},
            400,
            detail_url=detail_url,
        )
    try:
        event = services.opportunity_advance(actor=user, opportunity_id=opp.pk)
    except services.GateNotMet as exc:
        return _json_error(
            exc.message,
            409,
            code="gate",
            missing=[o.name for o in exc.missing],
            detail_url=detail_url,
        )
    except (ValidationError, DomainError, PermissionDenied) as exc:
        return _json_error(error_text(exc), 400, detail_url=detail_url)
    opp = selectors.opportunity_get(user=user, pk=pk)
    stages = _board_stages(opp.template_version)
    filters = _filter_form(
        request, with_status=False, with_search=False, choices=False
    ).selector_filters()
    columns = _column_state(user=user, version=opp.template_version, filters=filters, stages=stages)
    card = render_to_string(
        "pipeline/partials/board_card.html",
        {
            "opp": _prepare_cards([opp], timezone.now())[0],
            "card_text": _card_text(),
            "next_stage": next((s for s in stages if s.order > opp.stage.order), None),
            "skip_ids": set(),
            "can_move": True,
            "board_url": _safe_next(request, reverse("pipeline:board")),
        },
        request=request,
    )
    message = (
        _("“%(name)s”已按批准跳过，推进到“%(stage)s”。")
        if event.skipped
        else _("“%(name)s”已推进到“%(stage)s”。")
    ) % {"name": opp.name, "stage": opp.stage.name}
    return JsonResponse(
        {
            "ok": True,
            "message": message,
            "card": card,
            "columns": {
                str(c["stage"].pk): {
                    "count": c["count"],
                    "total": wan(c["total"]),
                    "overdue": c["overdue"],
                }
                for c in columns
            },
        }
    )


# --- list and export ---------------------------------------------------------------------------


@require_right("opportunity", "view")
@require_http_methods(["GET"])
def opportunity_list(request):
    user = request.user
    form = _filter_form(request)
    filters = form.selector_filters()
    page = selectors.opportunity_page(
        user=user, filters=filters, number=request.GET.get("page"), per_page=PAGE_SIZE
    )
    _set_urls(page.object_list, "detail")
    return render(
        request,
        "pipeline/list.html",
        {
            "form": form,
            "page": page,
            "filtered": bool(filters),
            "now": timezone.now(),
            "can_add": has_right(user, "opportunity", "add"),
            "can_export": has_right(user, "opportunity", "export"),
        },
    )


def _export_columns():
    def overdue(opp):
        return bool(opp.is_open and opp.stage_due_at and opp.stage_due_at < timezone.now())

    return [
        (_("商机名称"), lambda o: o.name),
        (_("客户"), lambda o: o.customer.name),
        (_("销售流程"), lambda o: str(o.template_version)),
        (_("阶段"), lambda o: o.stage.name),
        (_("状态"), lambda o: o.get_status_display()),
        (_("金额（元）"), lambda o: o.amount),
        (_("赢率（%）"), lambda o: o.probability),
        (_("加权金额（元）"), lambda o: o.weighted_amount),
        (_("预计成交日期"), lambda o: o.expected_close_date),
        (_("负责人"), lambda o: str(o.owner)),
        (_("所属团队"), lambda o: o.team.name if o.team_id else ""),
        (_("进入阶段时间"), lambda o: o.stage_entered_at),
        (_("阶段截止"), lambda o: o.stage_due_at),
        (_("阶段超时"), overdue),
        (_("竞争对手"), lambda o: o.competitors),
        (_("输单原因"), lambda o: o.lost_reason.name if o.lost_reason_id else ""),
        (_("赢单竞争对手"), lambda o: o.won_by_competitor),
        (_("创建时间"), lambda o: o.created_at),
    ]


@require_right("opportunity", "export")
@require_http_methods(["GET"])
def opportunity_export(request):
    user = request.user
    filters = _filter_form(request).selector_filters()
    qs = selectors.opportunity_export_list(user=user, filters=filters).select_related(
        "team", "lost_reason"
    )
    return export_response(
        user=user,
        queryset=qs,
        columns=_export_columns(),
        fmt="csv" if request.GET.get("format") == "csv" else "xlsx",
        filename=_("商机列表"),
        object_type="opportunity",
        personal_data=False,
        filters={k: str(v) for k, v in filters.items()},
    )


# --- create and edit ---------------------------------------------------------------------------


def _active_templates():
    return ProcessTemplate.objects.filter(is_active=True, versions__is_current=True).distinct()


def _product_lines(opp: Opportunity | None = None):
    qs = ProductLine.objects.filter(is_active=True)
    if opp is not None:
        qs = ProductLine.objects.filter(pk__in=opp.product_lines.values("pk")) | qs
    return qs.distinct().order_by("sort_order", "id")


@require_right("opportunity", "add")
@require_http_methods(["GET", "POST"])
def opportunity_create(request):
    """New opportunity: customer (those the user sees), template, figures, products, contacts
    of that customer; the owner only with the assign right. ``?customer=<id>`` preselects."""
    user = request.user
    source = request.POST if request.method == "POST" else request.GET
    customer_id = _int(source.get("customer"))
    customers = selectors.customer_choices(
        user=user, search=request.GET.get("customer_q", ""), selected_id=customer_id
    )
    if customer_id not in {c.pk for c in customers}:
        customer_id = None
    contacts = (
        Contact.objects.restrict(user, "view").filter(customer_id=customer_id)
        if customer_id
        else Contact.objects.none()
    )
    templates = _active_templates()
    can_assign = has_right(user, "opportunity", "assign")
    form = OpportunityCreateForm(
        request.POST if request.method == "POST" else None,
        initial={"customer": customer_id, "template": templates.first()},
        customers=customers,
        templates=templates,
        owners=selectors.assignable_users(user=user) if can_assign else None,
        contacts=contacts,
        product_lines=_product_lines(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            opp = services.opportunity_create(
                actor=user,
                customer_id=data["customer"],
                data=form.service_data(),
                template_id=data["template"].pk,
                owner=data.get("owner"),
                contact_ids=form.contact_ids(),
                product_line_ids=form.product_line_ids(),
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("商机“%(name)s”已创建。") % {"name": opp.name})
            return redirect("pipeline:detail", opp.pk)
    return render(
        request,
        "pipeline/form.html",
        {
            "form": form,
            "opp": None,
            "customer_q": request.GET.get("customer_q", ""),
            "has_contacts_field": True,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_edit(request, pk):
    user = request.user
    opp = selectors.opportunity_get(user=user, pk=pk, action="change")
    contacts = Contact.objects.restrict(user, "view").filter(customer_id=opp.customer_id)
    initial = {
        "name": opp.name,
        "amount": opp.amount,
        "expected_close_date": opp.expected_close_date,
        "probability": opp.probability,
        "competitors": opp.competitors,
        "description": opp.description,
        "contacts": list(opp.contacts.values_list("pk", flat=True)),
        "product_lines": list(opp.product_lines.values_list("pk", flat=True)),
    }
    form = OpportunityForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        contacts=contacts,
        product_lines=_product_lines(opp),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_update(
                actor=user,
                opportunity_id=opp.pk,
                data=form.service_data(),
                contact_ids=form.contact_ids(),
                product_line_ids=form.product_line_ids(),
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("商机已保存。"))
            return redirect("pipeline:detail", opp.pk)
    return render(
        request,
        "pipeline/form.html",
        {"form": form, "opp": opp, "has_contacts_field": True},
        status=400 if request.method == "POST" else 200,
    )


# --- detail ------------------------------------------------------------------------------------


def _timeline(events, submissions, requests) -> list[dict]:
    """Stage events, output submissions and approval requests, newest first."""
    by_id = {r.pk: r for r in requests}
    rows = [
        {"type": "event", "at": e.at, "event": e, "approval": by_id.get(e.approval_id)}
        for e in events
    ]
    rows += [{"type": "submission", "at": s.submitted_at, "submission": s} for s in submissions]
    rows += [{"type": "request", "at": r.requested_at, "request": r} for r in requests]
    rows.sort(key=lambda row: row["at"], reverse=True)
    return rows


def _render_detail(request, opp: Opportunity, *, bound=None, open_panel="", status=200):
    """The detail page; ``bound`` holds forms that came back with errors (by panel name, or
    ``("output", id)``) so that nothing typed is lost."""
    user = request.user
    bound = bound or {}
    stages = selectors.template_stages(opp.template_version)
    current = next(s for s in stages if s.pk == opp.stage_id)
    following = next((s for s in stages if s.order > current.order), None)
    submissions = selectors.opportunity_submissions(opp)
    latest = {}
    for submission in submissions:
        latest.setdefault(submission.output_id, submission)
        labels = {f.get("name"): f.get("label") for f in submission.output.form_fields}
        submission.rows = [
            (labels.get(name) or name, value) for name, value in (submission.data or {}).items()
        ]
    missing = services.gate_missing_outputs(opp, current)
    requests = selectors.opportunity_requests(opp)
    skip = services.approved_skip(opp) if opp.is_open else None
    pending_skip = next(
        (
            r
            for r in requests
            if r.kind == services.SKIP_KIND
            and r.status == ApprovalRequest.Status.PENDING
            and (r.payload or {}).get("from_stage") == opp.stage_id
        ),
        None,
    )
    can_change = is_in_scope(user, opp, "change")
    can_assign = has_right(user, "opportunity", "assign") and is_in_scope(user, opp, "assign")
    checklist = []
    for output in current.outputs.all():
        submission = latest.get(output.pk)
        form = None
        if submission is None and can_change and opp.is_open:
            form = bound.get(("output", output.pk)) or OutputForm(output=output)
        checklist.append(
            {
                "output": output,
                "submission": submission,
                "missing": output in missing,
                "form": form,
            }
        )
    win_blockers = services.win_blockers(opp) if opp.is_open and can_change else []
    back_stages = [s for s in stages if s.order < current.order and not s.covered_by_lead]
    forms = {
        "advance": NoteForm(),
        "back": BackForm(stages=back_stages),
        "skip": SkipForm(),
        "win": WinForm(initial={"amount": opp.amount or None}),
        "lose": LoseForm(),
        "reopen": ReasonForm(),
        "assign": AssignForm(owners=selectors.assignable_users(user=user)) if can_assign else None,
    }
    forms.update({k: v for k, v in bound.items() if isinstance(k, str)})
    for form in forms.values():
        if form is not None:
            use_fast_widgets(form)
    now = timezone.now()
    context = {
        "opp": opp,
        "stages": stages,
        "current": current,
        "next_stage": following,
        "checklist": checklist,
        "win_blockers": win_blockers,
        "missing": missing,
        "skip": skip,
        "pending_skip": pending_skip,
        "back_stages": back_stages,
        "timeline": _timeline(selectors.events_for(opp), submissions, requests),
        "contacts": list(opp.contacts.all()),
        "product_lines": list(opp.product_lines.all()),
        "forms": forms,
        "open_panel": open_panel,
        "now": now,
        "overdue": bool(opp.is_open and opp.stage_due_at and opp.stage_due_at < now),
        "can_change": can_change,
        "can_assign": can_assign,
        "can_delete": is_in_scope(user, opp, "delete"),
        "can_reopen": has_right(user, "opportunity", "approve"),
        "can_skip": opp.customer.grade == "A",
        "can_see_customer": is_in_scope(user, opp.customer, "view"),
        "content_type_id": ContentType.objects.get_for_model(Opportunity).pk,
        "stage_panels": stage_panels.render(request, opp, current),
    }
    return render(request, "pipeline/detail.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def opportunity_detail(request, pk):
    opp = selectors.opportunity_get(user=request.user, pk=pk)
    return _render_detail(request, opp)


@login_required
@require_POST
def output_submit(request, pk, output_id):
    """Fill one output's form or upload its file; errors re-render the page with the input."""
    user = request.user
    opp = selectors.opportunity_get(user=user, pk=pk)
    output = StageOutput.objects.filter(
        pk=output_id, stage__version_id=opp.template_version_id
    ).first()
    if output is None:
        raise Http404
    form = OutputForm(request.POST, request.FILES, output=output)
    if form.is_valid():
        try:
            services.output_submit(
                actor=user,
                opportunity_id=opp.pk,
                output_id=output.pk,
                data=None if form.is_file else form.service_data(),
                upload=form.cleaned_data.get("file") if form.is_file else None,
                opened_at=form.opened_at_value(),
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已提交“%(name)s”。") % {"name": output.name})
            return redirect(_detail_url(opp) + "#checklist")
    return _render_detail(request, opp, bound={("output", output.pk): form}, status=400)


@login_required
@require_POST
def advance(request, pk):
    """推进到下一阶段 (also the board's keyboard / no-JS path, which sends ``next``)."""
    user = request.user
    opp = selectors.opportunity_get(user=user, pk=pk)
    target = _safe_next(request, _detail_url(opp))
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        event = services.opportunity_advance(actor=user, opportunity_id=opp.pk, note=note)
    except services.GateNotMet as exc:
        messages.error(
            request,
            _("“%(name)s”未推进：%(reason)s") % {"name": opp.name, "reason": exc.message},
        )
    except (ValidationError, DomainError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        opp.refresh_from_db(fields=["stage"])
        template = (
            _("“%(name)s”已按批准跳过，推进到“%(stage)s”。")
            if event.skipped
            else _("“%(name)s”已推进到“%(stage)s”。")
        )
        messages.success(request, template % {"name": opp.name, "stage": opp.stage.name})
    return redirect(target)


def _detail_action(request, pk, *, panel, form_class, call, success, form_kwargs=None):
    """The common shape of the detail page's POST actions: a form error or a service
    ValidationError re-renders the page with the panel open; a refusal of the business
    (closed, not allowed) is a message; success redirects to the page."""
    user = request.user
    opp = selectors.opportunity_get(user=user, pk=pk)
    form = form_class(request.POST, **(form_kwargs(opp) if form_kwargs else {}))
    if form.is_valid():
        try:
            result = call(user, opp, form.cleaned_data)
        except ValidationError as exc:
            apply_service_error(form, exc)
        except (DomainError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
            return redirect(_detail_url(opp))
        else:
            messages.success(request, success(opp, result))
            return redirect(_detail_url(opp))
    return _render_detail(request, opp, bound={panel: form}, open_panel=panel, status=400)


def _earlier_stages(opp):
    return {
        "stages": list(
            opp.template_version.stages.filter(
                order__lt=opp.stage.order, covered_by_lead=False
            ).order_by("order")
        )
    }


@login_required
@require_POST
def move_back(request, pk):
    return _detail_action(
        request,
        pk,
        panel="back",
        form_class=BackForm,
        form_kwargs=_earlier_stages,
        call=lambda user, opp, data: services.opportunity_move_back(
            actor=user, opportunity_id=opp.pk, to_stage_id=data["to_stage"], note=data["note"]
        ),
        success=lambda opp, event: _("已退回到“%(stage)s”。") % {"stage": event.to_stage.name},
    )


@login_required
@require_POST
def request_skip(request, pk):
    return _detail_action(
        request,
        pk,
        panel="skip",
        form_class=SkipForm,
        call=lambda user, opp, data: services.opportunity_request_skip(
            actor=user, opportunity_id=opp.pk, reason=data["reason"]
        ),
        success=lambda opp, req: _("跳过申请已提交，等待销售总监审批。"),
    )


@login_required
@require_POST
def win(request, pk):
    return _detail_action(
        request,
        pk,
        panel="win",
        form_class=WinForm,
        call=lambda user, opp, data: services.opportunity_win(
            actor=user, opportunity_id=opp.pk, amount=data["amount"], note=data["note"]
        ),
        success=lambda opp, event: _("已标记赢单。"),
    )


@login_required
@require_POST
def lose(request, pk):
    return _detail_action(
        request,
        pk,
        panel="lose",
        form_class=LoseForm,
        call=lambda user, opp, data: services.opportunity_lose(
            actor=user,
            opportunity_id=opp.pk,
            lost_reason_id=data["lost_reason"].pk,
            competitor=data["competitor"],
            note=data["note"],
        ),
        success=lambda opp, event: _("已标记输单。"),
    )


@login_required
@require_POST
def reopen(request, pk):
    return _detail_action(
        request,
        pk,
        panel="reopen",
        form_class=ReasonForm,
        call=lambda user, opp, data: services.opportunity_reopen(
            actor=user, opportunity_id=opp.pk, reason=data["reason"]
        ),
        success=lambda opp, event: _("商机已重新打开。"),
    )


@login_required
@require_POST
def assign(request, pk):
    return _detail_action(
        request,
        pk,
        panel="assign",
        form_class=AssignForm,
        form_kwargs=lambda opp: {"owners": selectors.assignable_users(user=request.user)},
        call=lambda user, opp, data: services.opportunity_assign(
            actor=user, opportunity_ids=[opp.pk], to_owner=data["owner"], reason=data["reason"]
        ),
        success=lambda opp, count: _("商机已分配。"),
    )


@login_required
@require_POST
def delete(request, pk):
    user = request.user
    opp = selectors.opportunity_get(user=user, pk=pk)
    try:
        services.opportunity_delete(actor=user, opportunity_id=opp.pk)
    except (DomainError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return redirect(_detail_url(opp))
    messages.success(
        request,
        _("商机“%(name)s”已移入回收站，管理员可在15天内恢复。") % {"name": opp.name},
    )
    return redirect("pipeline:list")


@login_required
@require_http_methods(["GET"])
def submission_file(request, pk):
    """An uploaded output, served as an attachment after checking the opportunity's scope."""
    submission = selectors.submission_get(user=request.user, pk=pk)
    if not submission.file:
        raise Http404
    try:
        handle = submission.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=submission.file_name or submission.file.name.rsplit("/", 1)[-1],
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- skip report -------------------------------------------------------------------------------


def _date_param(request, name) -> datetime.date | None:
    value = (request.GET.get(name) or "").strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        messages.error(request, _("日期格式应为 YYYY-MM-DD。"))
        return None


@require_right("opportunity", "approve")
@require_http_methods(["GET"])
def skip_report(request):
    """Skips of standard stages (灵活授权) by stage, by person and by outcome, with the rows
    themselves — the review of flexibility against standardisation."""
    user = request.user
    date_from, date_to = _date_param(request, "from"), _date_param(request, "to")
    report = selectors.skip_report(user=user, date_from=date_from, date_to=date_to)
    labels = dict(OpportunityStatus.choices)
    outcomes = [
        {"label": labels.get(row["opportunity__status"], row["opportunity__status"]), **row}
        for row in report["by_outcome"]
    ]
    return render(
        request,
        "pipeline/skip_report.html",
        {
            "report": report,
            "outcomes": outcomes,
            "outcome_total": sum(row["n"] for row in outcomes),
            "events": selectors.skip_events(user=user, date_from=date_from, date_to=date_to),
            "date_from": date_from,
            "date_to": date_to,
        },
    )
