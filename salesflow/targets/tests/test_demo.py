"""The demo step: targets that add up, an adjustment, reports on time, late and missing."""

import random

from salesflow.org.demo import SeedContext
from salesflow.targets import demo as targets_demo
from salesflow.targets import services
from salesflow.targets.models import Level, ReportStatus, SalesReport, Target, TargetAdjustment


def ctx_for(people):
    users = {
        "director": people["director"],
        "manager.east": people["manager"],
        "manager.north": people["other_manager"],
        "rep.east.1": people["rep"],
        "rep.east.2": people["rep_b"],
        "rep.north.1": people["other_rep"],
    }
    departments = {"east": people["east"], "north": people["north"]}
    return SeedContext(seed=1, random=random.Random(1), users=users, departments=departments)


def test_demo_targets_and_reports(people):
    targets_demo.seed_targets(ctx_for(people))
    company = Target.objects.filter(level=Level.COMPANY, parent__isnull=True)
    assert company.filter(period_kind="year", metric="sales_amount").count() == 1
    # every decomposition of an additive metric adds up (the south team is missing here, so
    # its share stays with the parent: only check parents whose children are all present)
    for parent in Target.objects.filter(children__isnull=False).distinct():
        if parent.level != Level.COMPANY:
            assert services.sum_check(parent).ok, parent
    quarter = company.get(
        period_kind="quarter",
        metric="sales_amount",
        region__isnull=True,
        product_line__isnull=True,
        customer_type="",
    )
    months = company.filter(period_kind="month", metric="sales_amount", region__isnull=True)
    assert sum(m.value for m in months) == quarter.value
    assert set(quarter.children.values_list("level", flat=True)) == {Level.TEAM}
    assert TargetAdjustment.objects.filter(target__parent=quarter).count() == 2
    reps = SalesReport.objects.filter(owner=people["rep"])
    assert reps.filter(kind="weekly").count() == 3 and reps.filter(kind="monthly").count() == 1
    submitted = SalesReport.objects.filter(status=ReportStatus.SUBMITTED)
    assert submitted.exists()
    assert all(r.late_reason for r in submitted.filter(is_late=True))

    before = list(SalesReport.objects.order_by("pk").values_list("pk", "status", "is_late"))
    n_targets = Target.objects.count()
    again = ctx_for(people)
    targets_demo.seed_targets(again)  # idempotent: nothing new, nothing submitted later
    assert not again.created
    assert Target.objects.count() == n_targets
    assert list(SalesReport.objects.order_by("pk").values_list("pk", "status", "is_late")) == before
