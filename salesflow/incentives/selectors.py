"""Read side: scoped lists of scorecards and statements, rankings, the recognition list and the
contests' live leaderboards (computed on read, one aggregate query per board)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from salesflow.deals.models import COUNTED_ORDER_STATUSES, Order, Receipt
from salesflow.targets.metrics import local_start

from .models import CommissionStatement, Contest, ContestMetric, Scorecard

User = get_user_model()
ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=18, decimal_places=2))


def scorecard_list(*, user, filters: dict | None = None):
    filters = filters or {}
    qs = Scorecard.objects.restrict(user, "view").select_related("owner", "template")
    if filters.get("period_start"):
        qs = qs.filter(period_start=filters["period_start"])
    if filters.get("period_end"):
        qs = qs.filter(period_end=filters["period_end"])
    if filters.get("template"):
        qs = qs.filter(template_id=filters["template"])
    return qs.order_by("-period_start", "-total_score", "owner__display_name", "id")


def scorecard_get(*, user, pk: int, action: str = "view") -> Scorecard:
    return Scorecard.objects.select_related("owner", "template").get_in_scope(user, action, pk=pk)


def ranking(cards) -> list[tuple[int, Scorecard]]:
    """Competition ranking by total score (equal scores share a rank)."""
    ranked, previous, rank = [], None, 0
    for index, card in enumerate(sorted(cards, key=lambda c: (-c.total_score, c.owner_id)), 1):
        if card.total_score != previous:
            rank, previous = index, card.total_score
        ranked.append((rank, card))
    return ranked


def process_stars(*, user, period_start, period_end, limit: int = 5):
    """流程执行标兵: the best process scores of the period among the scorecards the user sees."""
    return list(
        Scorecard.objects.restrict(user, "view")
        .filter(period_start=period_start, period_end=period_end, process_score__isnull=False)
        .select_related("owner")
        .order_by("-process_score", "owner__display_name", "id")[:limit]
    )


def statement_list(*, user, filters: dict | None = None):
    filters = filters or {}
    qs = CommissionStatement.objects.restrict(user, "view").select_related("owner", "plan")
    if filters.get("period_start"):
        qs = qs.filter(period_start=filters["period_start"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    return qs.order_by("-period_start", "owner__display_name", "id")


def statement_get(*, user, pk: int, action: str = "view") -> CommissionStatement:
    return CommissionStatement.objects.select_related("owner", "plan").get_in_scope(
        user, action, pk=pk
    )


def contest_list(*, user):
    return Contest.objects.restrict(user, "view").order_by("-period_start", "id")


def leaderboard(contest: Contest) -> list[dict]:
    """Participants ranked on the contest's metric over its period (one aggregate query)."""
    people = list(contest.participants.filter(is_active=True).order_by("id"))
    ids = [p.pk for p in people]
    start, end = contest.period_start, contest.period_end
    if contest.metric == ContestMetric.COLLECTED:
        rows = (
            Receipt.objects.filter(
                contract__owner_id__in=ids, received_on__gte=start, received_on__lte=end
            )
            .values("contract__owner_id")
            .annotate(v=Coalesce(Sum("amount"), ZERO))
            .values_list("contract__owner_id", "v")
        )
    else:
        orders = Order.objects.filter(
            owner_id__in=ids,
            status__in=COUNTED_ORDER_STATUSES,
            order_date__gte=start,
            order_date__lte=end,
        ).values("owner_id")
        if contest.metric == ContestMetric.SALES_AMOUNT:
            value = Coalesce(Sum("amount"), ZERO)
        elif contest.metric == ContestMetric.ORDER_COUNT:
            value = Count("id")
        else:  # new customers: first deal in the period (targets' definition)
            first = Q(
                customer__first_deal_at__gte=local_start(start),
                customer__first_deal_at__lt=local_start(end) + _one_day(),
            )
            value = Count("customer", distinct=True, filter=first)
        rows = orders.annotate(v=value).values_list("owner_id", "v")
    values = {owner_id: Decimal(v) for owner_id, v in rows}
    board = sorted(
        ({"person": p, "value": values.get(p.pk, Decimal(0))} for p in people),
        key=lambda r: (-r["value"], r["person"].pk),
    )
    previous, rank = None, 0
    for index, row in enumerate(board, 1):
        if row["value"] != previous:
            rank, previous = index, row["value"]
        row["rank"] = rank
    return board


def _one_day():
    import datetime

    return datetime.timedelta(days=1)
