"""Demo step: a year of channel costs (so CAC and LTV:CAC have figures) and a funnel variance
note with its improvement action from the East region's manager for last month."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from salesflow.org import demo
from salesflow.org.demo import SeedContext

# Monthly marketing / sales cost ranges per channel kind (元), by the source's name.
COST_RANGES = {
    "展会": (20000, 60000),
    "官网": (3000, 8000),
    "渠道": (8000, 20000),
}
DEFAULT_RANGE = (2000, 10000)


def _director(ctx: SeedContext):
    from salesflow.org.models import User

    return ctx.users.get("director") or User.objects.filter(username="director").first()


def seed_analytics(ctx: SeedContext) -> None:
    from salesflow.leads.models import LeadSource

    from .models import ChannelCost, FunnelVariance
    from .services import channel_cost_save, funnel_variance_save

    director = _director(ctx)
    if director is None:
        return
    rng = ctx.rng_for("analytics")
    first = timezone.localdate().replace(day=1)
    months = []
    for back in range(12):
        year, month = divmod(first.month - 1 - back, 12)
        months.append(datetime.date(first.year + year, month + 1, 1))
    for source in LeadSource.objects.order_by("id"):
        low, high = next((r for key, r in COST_RANGES.items() if key in source.name), DEFAULT_RANGE)
        for month in months:
            marketing = Decimal(rng.randrange(low, high, 100))
            sales = Decimal(rng.randrange(low // 2, high // 2, 100))
            if ChannelCost.objects.filter(channel=source, month=month).exists():
                continue
            channel_cost_save(
                actor=director,
                channel=source,
                month=month,
                marketing_cost=marketing,
                sales_cost=sales,
                note="演示数据",
            )
            ctx.count("渠道费用")
    manager = ctx.users.get("manager.east")
    if manager is None:
        from salesflow.org.models import User

        manager = User.objects.filter(username="manager.east").first()
    last_month_end = first - datetime.timedelta(days=1)
    last_month = last_month_end.replace(day=1)
    if (
        manager is not None
        and not FunnelVariance.objects.filter(period_start=last_month, step="opportunity").exists()
    ):
        funnel_variance_save(
            actor=manager,
            data={
                "period_start": last_month,
                "period_end": last_month_end,
                "step": "opportunity",
                "team": manager.department,
                "reason": "展会线索占比高，多数为信息收集型客户，预算未落实。",
                "action": "线索评分表增加“预算已批复”项，低于 60 分的线索转入培育，不再直接建商机。",
                "owner": manager,
                "due_date": first + datetime.timedelta(days=20),
            },
        )
        ctx.count("漏斗差异分析")


demo.register_step("analytics", seed_analytics, order=950)
