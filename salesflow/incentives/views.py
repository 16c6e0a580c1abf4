"""考核与激励 pages: scorecards (ranking, 流程执行标兵, comments), commission statements
(computation, approval, xlsx export by finance) and contests with their live leaderboard."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Max
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesflow.core.errors import DomainError
from salesflow.core.exports import export_response
from salesflow.core.pagination import BoundedPaginator
from salesflow.core.scope import has_right, owner_ids_for
from salesflow.core.views import require_right
from salesflow.org.models import User

from . import selectors
from .forms import (
    CommentForm,
    ContestForm,
    PeriodForm,
    ScorecardComputeForm,
    StatementComputeForm,
    StatementFilterForm,
)
from .models import Scorecard
from .services import commissions, scorecards

ERRORS = (DjangoValidationError, DomainError, PermissionDenied)
PAGE_SIZE = 50


def _error_text(exc) -> str:
    if hasattr(exc, "message_dict"):
        return "；".join(str(m) for msgs in exc.message_dict.values() for m in msgs)
    if hasattr(exc, "messages"):
        return "；".join(str(m) for m in exc.messages)
    return str(exc)


def _people(user, object_type: str, action: str = "add"):
    ids = owner_ids_for(user, object_type, action)
    qs = User.objects.filter(is_active=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.order_by("department_id", "id")


def _page(request, qs):
    return BoundedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _period(request):
    form = PeriodForm(request.GET or None, initial=PeriodForm.initial_quarter())
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    return form, None, None


@require_right("commission")
def home(request):
    user = request.user
    context = {"can_scorecards": has_right(user, "scorecard", "view")}
    if context["can_scorecards"]:
        latest = Scorecard.objects.restrict(user, "view").aggregate(end=Max("period_end"))["end"]
        if latest:
            period = (
                Scorecard.objects.restrict(user, "view")
                .filter(period_end=latest)
                .values_list("period_start", flat=True)
                .first()
            )
            context["stars"] = selectors.process_stars(
                user=user, period_start=period, period_end=latest
            )
    context["statements"] = selectors.statement_list(user=user)[:10]
    context["contests"] = selectors.contest_list(user=user)[:5]
    return render(request, "incentives/home.html", context)


# --- scorecards -------------------------------------------------------------------------------


@require_right("scorecard")
def scorecard_list(request):
    form, date_from, date_to = _period(request)
    filters = {"period_start": date_from, "period_end": date_to}
    cards = selectors.scorecard_list(user=request.user, filters=filters)
    if request.GET.get("format") in ("xlsx", "csv"):
        if not has_right(request.user, "scorecard", "export"):
            raise Http404
        return _scorecard_export(request, cards)
    ranked = ranked_page = None
    if date_from and date_to:
        ranked = selectors.ranking(list(cards[:500]))
    else:
        ranked_page = _page(request, cards)
    stars = (
        selectors.process_stars(user=request.user, period_start=date_from, period_end=date_to)
        if date_from and date_to
        else []
    )
    return render(
        request,
        "incentives/scorecard_list.html",
        {
            "form": form,
            "ranked": ranked,
            "page": ranked_page,
            "stars": stars,
            "filtered": date_from is not None,
            "can_export": has_right(request.user, "scorecard", "export"),
            "query": request.GET.urlencode(),
        },
    )


def _scorecard_export(request, cards):
    """The scores (no comments) of the scorecards in the list, one row per scorecard."""
    columns = [
        (_("被考核人"), lambda c: c.owner.display_name),
        (_("考核方案"), lambda c: c.template.name),
        (_("开始日期"), lambda c: c.period_start),
        (_("结束日期"), lambda c: c.period_end),
        (_("总分"), lambda c: c.total_score),
        (_("结果得分"), lambda c: c.results_score),
        (_("过程得分"), lambda c: c.process_score),
        (_("状态"), lambda c: c.get_status_display()),
    ]
    return export_response(
        user=request.user,
        queryset=cards,
        columns=columns,
        fmt="csv" if request.GET.get("format") == "csv" else "xlsx",
        filename="考核评分卡",
        object_type="scorecard",
        personal_data=False,
        filters=dict(request.GET.items()),
    )


@require_right("scorecard", "add")
@require_http_methods(["GET", "POST"])
def scorecard_compute(request):
    people = _people(request.user, "scorecard")
    form = ScorecardComputeForm(
        request.POST or None, people=people, initial=PeriodForm.initial_quarter()
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cards = scorecards.scorecard_compute(
                actor=request.user,
                template_id=data["template"].pk,
                person_ids=[p.pk for p in data["people"]],
                date_from=data["date_from"],
                date_to=data["date_to"],
            )
        except ERRORS as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, _("已计算 %(n)s 份考核评分卡。") % {"n": len(cards)})
            query = f"?date_from={data['date_from']}&date_to={data['date_to']}"
            return redirect(reverse("incentives:scorecard_list") + query)
    return render(request, "incentives/compute.html", {"form": form, "title": _("计算考核")})


@require_right("scorecard")
def scorecard_detail(request, pk: int):
    card = selectors.scorecard_get(user=request.user, pk=pk)
    can_change = has_right(request.user, "scorecard", "change") and card.owner_id != request.user.pk
    if can_change:
        can_change = Scorecard.objects.restrict(request.user, "change").filter(pk=pk).exists()
    return render(
        request,
        "incentives/scorecard_detail.html",
        {
            "card": card,
            "can_change": can_change,
            "comment_form": CommentForm(initial={"comment": card.comment}),
        },
    )


@require_right("scorecard", "change")
@require_POST
def scorecard_comment(request, pk: int):
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            scorecards.scorecard_comment(
                actor=request.user, scorecard_id=pk, comment=form.cleaned_data["comment"]
            )
        except ERRORS as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("评语已保存。"))
    else:
        messages.error(request, _("请填写评语。"))
    return redirect("incentives:scorecard_detail", pk=pk)


@require_right("scorecard", "change")
@require_POST
def scorecard_confirm(request, pk: int):
    try:
        scorecards.scorecard_confirm(actor=request.user, scorecard_id=pk)
    except ERRORS as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("考核已确认，不再重新计算。"))
    return redirect("incentives:scorecard_detail", pk=pk)


# --- statements -------------------------------------------------------------------------------


@require_right("commission")
def statement_list(request):
    form = StatementFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    date_from, status = filters.get("date_from"), filters.get("status") or ""
    qs = selectors.statement_list(
        user=request.user, filters={"period_start": date_from, "status": status}
    )
    if request.GET.get("format") in ("xlsx", "csv"):
        if not has_right(request.user, "commission", "export"):
            raise Http404
        return _export(request, qs, "提成结算单")
    return render(
        request,
        "incentives/statement_list.html",
        {
            "form": form,
            "page": _page(request, qs),
            "filtered": bool(date_from or status),
            "can_export": has_right(request.user, "commission", "export"),
            "query": request.GET.urlencode(),
        },
    )


def _export(request, qs, filename):
    columns = [
        (_("销售"), lambda s: s.owner.display_name),
        (_("提成方案"), lambda s: s.plan.name),
        (_("开始日期"), lambda s: s.period_start),
        (_("结束日期"), lambda s: s.period_end),
        (_("状态"), lambda s: s.get_status_display()),
        (_("提成基数合计"), lambda s: s.base_total),
        (_("按比例提成"), lambda s: s.gross),
        (_("目标完成率"), lambda s: s.completion),
        (_("阶梯系数"), lambda s: s.multiplier),
        (_("已封顶"), lambda s: _("是") if s.capped else _("否")),
        (_("本期提成"), lambda s: s.commission),
        (_("冲销调整"), lambda s: s.adjustments),
        (_("应发合计"), lambda s: s.total),
    ]
    return export_response(
        user=request.user,
        queryset=qs,
        columns=columns,
        fmt="csv" if request.GET.get("format") == "csv" else "xlsx",
        filename=filename,
        object_type="commission",
        personal_data=False,
        filters=dict(request.GET.items()),
    )


@require_right("commission", "add")
@require_http_methods(["GET", "POST"])
def statement_compute(request):
    people = _people(request.user, "commission")
    form = StatementComputeForm(
        request.POST or None, people=people, initial=PeriodForm.initial_quarter()
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            done = commissions.statement_compute(
                actor=request.user,
                plan_id=data["plan"].pk,
                person_ids=[p.pk for p in data["people"]],
                date_from=data["date_from"],
                date_to=data["date_to"],
            )
        except ERRORS as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, _("已计算 %(n)s 份提成结算单。") % {"n": len(done)})
            return redirect("incentives:statement_list")
    return render(request, "incentives/compute.html", {"form": form, "title": _("计算提成")})


@require_right("commission")
def statement_detail(request, pk: int):
    statement = selectors.statement_get(user=request.user, pk=pk)
    can_submit = statement.is_editable and (
        commissions.CommissionStatement.objects.restrict(request.user, "change")
        .filter(pk=pk)
        .exists()
    )
    return render(
        request,
        "incentives/statement_detail.html",
        {
            "statement": statement,
            "lines": statement.lines.select_related("order", "contract").all(),
            "can_submit": can_submit,
            "can_export": has_right(request.user, "commission", "export"),
        },
    )


@require_right("commission", "change")
@require_POST
def statement_submit(request, pk: int):
    try:
        commissions.statement_submit(actor=request.user, statement_id=pk)
    except ERRORS as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("已重新计算并提交销售总监审批。"))
    return redirect("incentives:statement_detail", pk=pk)


@require_right("commission", "export")
def statement_export(request, pk: int):
    statement = selectors.statement_get(user=request.user, pk=pk)
    columns = [
        (_("类型"), lambda line: line.get_kind_display()),
        (_("单号"), lambda line: line.reference),
        (_("合同"), lambda line: line.contract.number if line.contract else ""),
        (_("客户"), lambda line: line.customer_name),
        (_("日期"), lambda line: line.on_date),
        (_("产品线"), lambda line: line.product_line),
        (_("客户类型"), lambda line: line.customer_type),
        (_("基数（元）"), lambda line: line.base_amount),
        (_("比例（%）"), lambda line: line.rate),
        (_("提成（元）"), lambda line: line.amount),
    ]
    return export_response(
        user=request.user,
        queryset=statement.lines.select_related("contract").all(),
        columns=columns,
        fmt="csv" if request.GET.get("format") == "csv" else "xlsx",
        filename=f"提成明细-{statement.owner.display_name}-{statement.period_start}",
        object_type="commission",
        personal_data=False,
        filters={"statement": statement.pk},
    )


# --- contests ---------------------------------------------------------------------------------


@require_right("contest")
def contest_list(request):
    return render(
        request,
        "incentives/contest_list.html",
        {
            "page": _page(request, selectors.contest_list(user=request.user)),
            "can_add": has_right(request.user, "contest", "add"),
        },
    )


@require_right("contest", "add")
@require_http_methods(["GET", "POST"])
def contest_create(request):
    people = _people(request.user, "commission", "view")
    form = ContestForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        contest = form.save(commit=False)
        contest.created_by = request.user
        contest.save()
        form.save_m2m()
        messages.success(request, _("竞赛已创建。"))
        return redirect("incentives:contest_detail", pk=contest.pk)
    return render(request, "incentives/compute.html", {"form": form, "title": _("发起竞赛")})


@require_right("contest")
def contest_detail(request, pk: int):
    contest = selectors.contest_list(user=request.user).filter(pk=pk).first()
    if contest is None:
        raise Http404
    return render(
        request,
        "incentives/contest_detail.html",
        {"contest": contest, "board": selectors.leaderboard(contest)},
    )
