"""Weekly and monthly reports (销售周报/月报): periods and due times on the working calendar,
figures drafted from the data, the rep's submission (late ones need a reason), managers'
comments, and the sweep that drafts and reminds."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.analytics.registry import ratio
from salesflow.core.audit import audit, snapshot
from salesflow.core.errors import NotAllowed, ValidationError
from salesflow.core.scope import has_right
from salesflow.core.settings_registry import get_setting
from salesflow.core.sla import deadline

from .metrics import KEY_TIERS, local_start
from .models import ReportComment, ReportKind, ReportStatus, SalesReport

TEXT_FIELDS = ("problems", "support_needed", "competitor_news", "next_plan")
MONEY = DecimalField(max_digits=18, decimal_places=2)
KEY_ACCOUNTS_SHOWN = 10


# --- periods and due times --------------------------------------------------------------------


def week_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    start = day - datetime.timedelta(days=day.weekday())
    return start, start + datetime.timedelta(days=6)


def month_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    start = day.replace(day=1)
    following = (start + datetime.timedelta(days=32)).replace(day=1)
    return start, following - datetime.timedelta(days=1)


def period_of(kind: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    return week_of(day) if kind == ReportKind.WEEKLY else month_of(day)


def due_at(kind: str, period_start: datetime.date) -> datetime.datetime:
    """Weekly: the rule ``report.weekly_due`` (default next Monday 12:00) counted from the
    week's Sunday — a Monday that is a public holiday moves to the next working day. Monthly:
    ``report.monthly_due`` (default the month's last working day 18:00) counted from the
    month's first day. Both through ``core.sla.deadline`` and the working calendar."""
    if kind == ReportKind.WEEKLY:
        sunday = period_start + datetime.timedelta(days=6)
        return deadline(local_start(sunday), get_setting("report.weekly_due"))
    return deadline(local_start(period_start), get_setting("report.monthly_due"))


def report_writers():
    """Active people who write reports: holders of a role that may add reports in their own
    scope (reps and key account managers by default; managers review)."""
    from salesflow.org.models import RolePermission, User

    role_ids = [
        row.role_id
        for row in RolePermission.objects.filter(object_type="report").select_related("role")
        if "add" in row.actions and row.effective_scope == "own"
    ]
    return User.objects.filter(is_active=True, roles__in=role_ids).distinct()


# --- figures ----------------------------------------------------------------------------------


def _span(start: datetime.date, end: datetime.date):
    return local_start(start), local_start(end + datetime.timedelta(days=1))


def _money(value) -> str:
    return str((value or Decimal(0)).quantize(Decimal("0.01")))


def weekly_figures(user, start: datetime.date, end: datetime.date) -> dict:
    """New leads, A-class follow-ups, new opportunities and expected deal amount (the
    weighted amount of the open opportunities expected to close by the end of next month)."""
    from salesflow.activities.models import FollowUp
    from salesflow.leads.models import Lead
    from salesflow.pipeline.models import Opportunity, OpportunityStatus

    since, until = _span(start, end)
    horizon = month_of(month_of(end)[1] + datetime.timedelta(days=1))[1]
    weighted = ExpressionWrapper(F("amount") * F("probability") / 100, output_field=MONEY)
    open_opps = Opportunity.objects.filter(owner=user, status=OpportunityStatus.OPEN).aggregate(
        pipeline_total=Sum("amount", filter=Q(expected_close_date__lte=horizon)),
        weighted_total=Sum(weighted, filter=Q(expected_close_date__lte=horizon)),
        n=Count("id", filter=Q(expected_close_date__lte=horizon)),
    )
    return {
        "new_leads": Lead.objects.filter(
            owner=user, entered_at__gte=since, entered_at__lt=until
        ).count(),
        "a_followups": FollowUp.objects.filter(
            owner=user, communicated_at__gte=since, communicated_at__lt=until
        )
        .filter(Q(customer__grade="A") | Q(lead__grade="A"))
        .count(),
        "followups": FollowUp.objects.filter(
            owner=user, communicated_at__gte=since, communicated_at__lt=until
        ).count(),
        "new_opportunities": Opportunity.objects.filter(
            owner=user, created_at__gte=since, created_at__lt=until
        ).count(),
        "expected_count": open_opps["n"],
        "expected_amount": _money(open_opps["pipeline_total"]),
        "expected_weighted": _money(open_opps["weighted_total"]),
        "expected_until": horizon.isoformat(),
    }


def monthly_figures(user, start: datetime.date, end: datetime.date) -> dict:
    """Sales amount and orders, collections, stage conversion (opportunities entering each
    stage this month / entering the previous stage) and key-account progress."""
    from salesflow.activities.models import FollowUp
    from salesflow.customers.models import Customer
    from salesflow.deals.models import COUNTED_ORDER_STATUSES, Order, Receipt
    from salesflow.pipeline.models import Opportunity, OpportunityStatus, StageEvent

    since, until = _span(start, end)
    orders = Order.objects.filter(
        owner=user, status__in=COUNTED_ORDER_STATUSES, order_date__gte=start, order_date__lte=end
    )
    sales = orders.aggregate(total=Sum("amount"), n=Count("id"))
    collected = Receipt.objects.filter(
        contract__owner=user, received_on__gte=start, received_on__lte=end
    ).aggregate(total=Sum("amount"))["total"]
    entered = (
        StageEvent.objects.filter(
            opportunity__owner=user,
            at__gte=since,
            at__lt=until,
            to_stage__isnull=False,
            kind__in=[StageEvent.Kind.CREATE, StageEvent.Kind.ADVANCE, StageEvent.Kind.SKIP],
        )
        .values("to_stage__order", "to_stage__name")
        .annotate(n=Count("opportunity", distinct=True))
        .order_by("to_stage__order")
    )
    stages, previous = [], None
    for row in entered:
        rate = ratio(row["n"] * 100, previous, places=1) if previous is not None else None
        stages.append(
            {
                "stage": row["to_stage__name"],
                "entered": row["n"],
                "conversion": None if rate is None else str(rate),
            }
        )
        previous = row["n"]
    outcomes = StageEvent.objects.filter(
        opportunity__owner=user, at__gte=since, at__lt=until
    ).aggregate(
        won=Count("opportunity", distinct=True, filter=Q(kind=StageEvent.Kind.WON)),
        lost=Count("opportunity", distinct=True, filter=Q(kind=StageEvent.Kind.LOST)),
    )
    key_accounts = list(
        Customer.objects.filter(owner=user, tier__in=KEY_TIERS)
        .order_by("-purchases_12m", "id")
        .values("id", "name", "tier")[:KEY_ACCOUNTS_SHOWN]
    )
    ids = [c["id"] for c in key_accounts]
    ordered = dict(
        orders.filter(customer_id__in=ids)
        .values_list("customer_id")
        .annotate(total=Sum("amount"))
        .values_list("customer_id", "total")
    )
    followed = dict(
        FollowUp.objects.filter(
            customer_id__in=ids, communicated_at__gte=since, communicated_at__lt=until
        )
        .values_list("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
    pipeline = dict(
        Opportunity.objects.filter(customer_id__in=ids, status=OpportunityStatus.OPEN)
        .values_list("customer_id")
        .annotate(total=Sum("amount"))
        .values_list("customer_id", "total")
    )
    return {
        "sales_amount": _money(sales["total"]),
        "orders": sales["n"],
        "collected": _money(collected),
        "stages": stages,
        "won": outcomes["won"],
        "lost": outcomes["lost"],
        "key_accounts": [
            {
                "name": c["name"],
                "orders_amount": _money(ordered.get(c["id"])),
                "followups": followed.get(c["id"], 0),
                "open_pipeline": _money(pipeline.get(c["id"])),
            }
            for c in key_accounts
        ],
    }


def draft_figures(report: SalesReport) -> dict:
    if report.kind == ReportKind.WEEKLY:
        return weekly_figures(report.owner, report.period_start, report.period_end)
    return monthly_figures(report.owner, report.period_start, report.period_end)


# --- writes -----------------------------------------------------------------------------------


def report_draft(
    *, owner, kind: str, day: datetime.date, refresh: bool = True, now=None
) -> SalesReport:
    """The owner's report of the period containing ``day``: created if missing; the figures of
    a draft are refreshed from the data (a submitted report keeps what was submitted; with
    ``refresh=False`` they are left for the submission, which drafts them anyway)."""
    start, end = period_of(kind, day)
    report = SalesReport.objects.filter(owner=owner, kind=kind, period_start=start).first()
    if report is None:
        try:
            with transaction.atomic():
                report = SalesReport.objects.create(
                    owner=owner,
                    kind=kind,
                    period_start=start,
                    period_end=end,
                    due_at=due_at(kind, start),
                    created_at=now or timezone.now(),
                )
        except IntegrityError:  # drafted at the same moment by another worker
            report = SalesReport.objects.get(owner=owner, kind=kind, period_start=start)
    if refresh and report.status == ReportStatus.DRAFT:
        report.figures = draft_figures(report)
        report.drafted_at = timezone.now()
        report.save(update_fields=["figures", "drafted_at", "updated_at"])
    return report


def _own_report(actor, report_id: int) -> SalesReport:
    report = SalesReport.objects.select_for_update().get_in_scope(actor, "change", pk=report_id)
    if report.owner_id != actor.pk:
        raise NotAllowed(_("只能填写本人的报告。"))
    return report


def report_save(*, actor, report_id: int, data: dict) -> SalesReport:
    """Save the text sections of one's own draft."""
    with transaction.atomic():
        report = _own_report(actor, report_id)
        if report.status != ReportStatus.DRAFT:
            raise ValidationError(_("报告已提交，不能再修改。"))
        before = snapshot(report, TEXT_FIELDS)
        for name in TEXT_FIELDS:
            if name in data:
                setattr(report, name, (data[name] or "").strip())
        report.save()
        audit(
            actor=actor,
            action="report.save",
            obj=report,
            before=before,
            after=snapshot(report, TEXT_FIELDS),
        )
    return report


def report_submit(
    *, actor, report_id: int, data: dict | None = None, late_reason: str = "", now=None
) -> SalesReport:
    """Submit one's own report: the figures are drafted one last time and frozen. After the
    due time the report is flagged late and a reason is required."""
    now = now or timezone.now()
    with transaction.atomic():
        report = _own_report(actor, report_id)
        if report.status == ReportStatus.SUBMITTED:
            raise ValidationError(_("报告已提交。"))
        for name in TEXT_FIELDS:
            if data and name in data:
                setattr(report, name, (data[name] or "").strip())
        late = now > report.due_at
        if late and not (late_reason or "").strip():
            raise ValidationError({"late_reason": _("已超过截止时间，请填写逾期原因。")})
        report.figures = draft_figures(report)
        report.drafted_at = now
        report.status = ReportStatus.SUBMITTED
        report.submitted_at = now
        report.is_late = late
        report.late_reason = (late_reason or "").strip() if late else ""
        report.save()
        audit(
            actor=actor,
            action="report.submit",
            obj=report,
            after=snapshot(report, ["status", "submitted_at", "is_late", "late_reason"]),
        )
    return report


def report_comment(*, actor, report_id: int, body: str) -> ReportComment:
    """A manager's comment on a report in their scope; the author is notified."""
    if not has_right(actor, "report", "approve"):
        raise NotAllowed(_("只有经理可以批注报告。"))
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("请填写批注内容。")})
    with transaction.atomic():
        report = SalesReport.objects.get_in_scope(actor, "view", pk=report_id)
        if report.owner_id == actor.pk:
            raise NotAllowed(_("不能批注本人的报告。"))
        comment = ReportComment.objects.create(report=report, author=actor, body=body)
        audit(actor=actor, action="report.comment", obj=report, message=body[:200])
        from salesflow.activities.notify import notify

        notify(
            report.owner,
            "report.comment",
            _("%(who)s 批注了您的%(kind)s（%(period)s）")
            % {"who": actor, "kind": report.get_kind_display(), "period": report.period_label},
            body[:500],
            reverse("targets:report_detail", args=[report.pk]),
        )
    return comment


# --- the sweep --------------------------------------------------------------------------------


def sweep(now: datetime.datetime | None = None) -> dict:
    """Draft the current and the previous week's and month's reports of every writer (figures
    of drafts refreshed), remind writers of reports due within ``report.remind_before_hours``,
    and remind writers and their managers of missing (overdue) ones — each reminder once."""
    from salesflow.activities.notify import remind_once

    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {"drafted": 0, "reminded": 0, "missing": 0}
    periods = [
        (ReportKind.WEEKLY, today),
        (ReportKind.WEEKLY, today - datetime.timedelta(days=7)),
        (ReportKind.MONTHLY, today),
        (ReportKind.MONTHLY, today.replace(day=1) - datetime.timedelta(days=1)),
    ]
    writers = list(report_writers().select_related("manager"))
    for person in writers:
        for kind, day in periods:
            report_draft(owner=person, kind=kind, day=day, now=now)
            counts["drafted"] += 1
    window = datetime.timedelta(hours=float(get_setting("report.remind_before_hours")))
    drafts = SalesReport.objects.filter(
        status=ReportStatus.DRAFT, owner__in=[p.pk for p in writers], due_at__lte=now + window
    ).select_related("owner", "owner__manager")
    for report in drafts:
        url = reverse("targets:report_detail", args=[report.pk])
        label = {"kind": report.get_kind_display(), "period": report.period_label}
        due_text = timezone.localtime(report.due_at).strftime("%Y-%m-%d %H:%M")
        if report.due_at > now:
            sent = remind_once(
                f"report.due:{report.pk}",
                report.owner,
                "report.due",
                _("请在 %(due)s 前提交%(kind)s（%(period)s）") % {**label, "due": due_text},
                url=url,
            )
            counts["reminded"] += sent is not None
            continue
        if report.created_at >= report.due_at:
            # drafted only after its due time (the module or the person is new): listed as
            # overdue in the team table, but nobody is chased for a report they never had
            continue
        title = _("%(who)s 的%(kind)s（%(period)s）已逾期未提交（截止 %(due)s）") % {
            **label,
            "who": report.owner,
            "due": due_text,
        }
        for person in (report.owner, report.owner.manager):
            if person is not None and person.is_active:
                sent = remind_once(
                    f"report.missing:{report.pk}:{person.pk}", person, "report.due", title, url=url
                )
                counts["missing"] += sent is not None
    return counts
