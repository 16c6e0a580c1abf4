"""The open-pipeline summary gives the same totals as the opportunities while it is fresh."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from salesflow.analytics import registry
from salesflow.analytics.models import OpenPipelineSummary
from salesflow.analytics.registry import Params
from salesflow.analytics.summaries import pipeline_summary_refresh
from salesflow.core.services import setting_change
from salesflow.pipeline.models import OpportunityStatus

pytestmark = pytest.mark.django_db
D = Decimal


def totals(user, group_by=""):
    result = registry.get("pipeline_totals").compute(user, Params(group_by=group_by))
    return [
        (r["group"], r["opportunities"], r["amount"], r["weighted"]) for r in result.rows
    ], result


def test_summary_matches_the_live_totals_and_is_read_while_fresh(people, build, make_user):
    build.opportunity(people["rep"], created="2026-03-01", amount=D("100000"), probability=20)
    build.opportunity(
        people["rep"], created="2026-03-01", stage="negotiation", amount=D("200000"), probability=80
    )
    build.opportunity(people["rep2"], created="2026-03-01", amount=D("50000"), probability=20)
    build.opportunity(
        people["rep2"], created="2026-03-01", amount=D("70000"), status=OpportunityStatus.WON
    )
    live = {
        (who, g): totals(people[who], g)[0]
        for who in ("director", "manager", "rep")
        for g in ("", "owner")
    }
    assert pipeline_summary_refresh() == 3
    for (who, g), rows in live.items():
        rows_now, result = totals(people[who], g)
        assert rows_now == rows, (who, g)
        assert result.notes  # "数据截至 …"
    # a new opportunity shows after the next refresh, not before
    build.opportunity(people["rep"], created="2026-03-02", amount=D("10000"), probability=50)
    assert totals(people["rep"])[0] == live[("rep", "")]
    pipeline_summary_refresh()
    assert totals(people["rep"])[0][0][1] == 2
    # a stale summary is not read
    OpenPipelineSummary.objects.update(refreshed_at=timezone.now() - datetime.timedelta(hours=1))
    rows, result = totals(people["rep"])
    assert result.notes == [] and rows[0][1] == 2
    # 0 minutes: never read
    pipeline_summary_refresh()
    setting_change(
        actor=make_user("admin"), key="analytics.summary_max_age_minutes", value=0, reason="测试"
    )
    assert totals(people["rep"])[1].notes == []
