"""The demo step: this quarter's scorecards and statements of the demo reps from their data,
one manager comment, a contest; a second run adds nothing."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from salesflow.incentives import demo as incentives_demo
from salesflow.incentives.forms import quarter_bounds
from salesflow.incentives.models import CommissionStatement, Contest, Scorecard
from salesflow.org.demo import SeedContext

from .conftest import contract, customer, receipt, target


def test_demo_step_builds_a_quarter_from_the_data(people):
    rep = people["rep"]
    start, end = quarter_bounds(timezone.localdate())
    target(rep, "collected", "200000", period=(start, end))
    ctr = contract(rep, customer(rep, first_deal=datetime.date(2025, 1, 1)))
    receipt(ctr, "100000.00", start)
    ctx = SeedContext(
        seed=1,
        random=random.Random(1),
        users={
            "director": people["director"],
            "manager.east": people["manager"],
            "rep.east.1": rep,
            "rep.north.1": people["other_rep"],
        },
    )
    incentives_demo.seed_incentives(ctx)
    assert Scorecard.objects.filter(period_start=start).count() == 2
    assert Scorecard.objects.get(owner=rep).comment
    mine = CommissionStatement.objects.get(owner=rep)
    assert mine.base_total == Decimal("100000.00")
    assert mine.completion == Decimal("0.5000")
    assert mine.total == Decimal("1600.00")  # 100000 × 2% × 0.8 (50% of target: the lowest tier)
    assert Contest.objects.get().participants.count() == 2
    assert ctx.created == {"scorecards": 2, "commission_statements": 2}
    again = SeedContext(seed=1, random=random.Random(1), users=ctx.users)
    incentives_demo.seed_incentives(again)
    assert not again.created
    assert Scorecard.objects.count() == 2 and CommissionStatement.objects.count() == 2
    assert Contest.objects.count() == 1
