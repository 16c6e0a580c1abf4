import datetime
from decimal import Decimal

import pytest

from salesflow.analytics import registry
from salesflow.analytics.models import FunnelVariance
from salesflow.analytics.registry import Params
from salesflow.analytics.services import funnel_variance_save
from salesflow.core.errors import NotAllowed
from salesflow.core.models import AuditEntry
from salesflow.pipeline.models import OpportunityStatus, StageEvent

from .conftest import make_leads

pytestmark = pytest.mark.django_db
D = Decimal
MARCH = Params(date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 31))


def funnel(user, params=MARCH, **extra):
    params = Params(params.date_from, params.date_to, params.group_by, {**params.extra, **extra})
    return {row["key"]: row for row in registry.get("funnel").compute(user, params).rows}


def test_seed_example_200_leads_80_opportunities_32_orders(people, build):
    rep = people["rep"]
    make_leads(rep, 200, "2026-03-05")
    for i in range(80):
        won = i < 32
        build.opportunity(
            rep,
            created="2026-03-10",
            status=OpportunityStatus.WON if won else OpportunityStatus.OPEN,
            closed="2026-03-25" if won else None,
        )
    rows = funnel(people["director"])
    assert [rows[k]["count"] for k in ("lead", "opportunity", "won")] == [200, 80, 32]
    assert rows["lead"]["conversion"] is None
    assert rows["opportunity"]["conversion"] == D("40.0")
    assert rows["opportunity"]["target"] == D("60.0")
    assert rows["opportunity"]["gap"] == D("-20.0")
    assert rows["won"]["conversion"] == D("40.0")
    assert rows["won"]["target"] == D("50.0")
    assert rows["won"]["gap"] == D("-10.0")
    assert rows["won"]["below_target"] is True


def test_empty_period_shows_dashes_not_errors(people, build):
    rows = funnel(people["director"])
    assert [rows[k]["count"] for k in ("lead", "opportunity", "won")] == [0, 0, 0]
    assert rows["opportunity"]["conversion"] is None and rows["opportunity"]["gap"] is None
    assert rows["won"]["conversion"] is None
    _headers, table = registry.get("funnel").compute(people["director"], MARCH).table()
    assert table[1][2] is None and registry.cell(table[1][2]) == "—"


def test_rows_outside_the_period_do_not_count(people, build):
    rep = people["rep"]
    make_leads(rep, 5, "2026-02-28")
    make_leads(rep, 4, "2026-04-01")
    make_leads(rep, 2, "2026-03-31")
    build.opportunity(rep, created="2026-02-27")
    build.opportunity(rep, created="2026-03-01")
    rows = funnel(people["director"])
    assert rows["lead"]["count"] == 2
    assert rows["opportunity"]["count"] == 1
    assert rows["opportunity"]["conversion"] == D("50.0")


def test_stage_funnel_counts_the_furthest_stage_reached(people, build, settings):
    rep = people["rep"]
    K = StageEvent.Kind
    make_leads(rep, 10, "2026-03-02")
    # a: stays in 初步接洽; b: 需求分析; c: to 方案呈现 then back to 需求分析 (still counted
    # at 方案呈现); d: skips to 商务谈判 and is won.
    build.opportunity(rep, created="2026-03-03")
    build.opportunity(
        rep,
        created="2026-03-03",
        stage="needs_analysis",
        path=[(K.ADVANCE, "needs_analysis", "2026-03-05", 2, 48)],
    )
    build.opportunity(
        rep,
        created="2026-03-03",
        stage="needs_analysis",
        path=[
            (K.ADVANCE, "needs_analysis", "2026-03-04", 1, 24),
            (K.ADVANCE, "solution", "2026-03-06", 2, 48),
            (K.BACK, "needs_analysis", "2026-03-09", 1, 72),
        ],
    )
    build.opportunity(
        rep,
        created="2026-03-03",
        stage="negotiation",
        status=OpportunityStatus.WON,
        closed="2026-03-20",
        path=[(K.SKIP, "negotiation", "2026-03-04", 1, 24), (K.WON, "", "2026-03-20", 11, 384)],
    )
    rows = (
        registry.get("funnel")
        .compute(
            people["director"], Params(MARCH.date_from, MARCH.date_to, "", {"detail": "stages"})
        )
        .rows
    )
    counts = [(r["key"], r["count"]) for r in rows]
    assert counts == [
        ("lead", 10),
        ("initial_contact", 4),
        ("needs_analysis", 3),
        ("solution", 2),
        ("negotiation", 1),
        ("won", 1),
    ]
    by_key = {r["key"]: r for r in rows}
    assert by_key["initial_contact"]["conversion"] == D("40.0")
    assert by_key["needs_analysis"]["conversion"] == D("75.0")
    assert by_key["needs_analysis"]["target"] == D("70.0")
    assert by_key["needs_analysis"]["gap"] == D("5.0")
    assert by_key["won"]["conversion"] == D("100.0")
    # Activity in the period: who entered each stage (events), whatever their creation date.
    entered = {
        r["key"]: r["count"]
        for r in registry.get("funnel")
        .compute(
            people["director"],
            Params(
                datetime.date(2026, 3, 6),
                datetime.date(2026, 3, 31),
                "",
                {"detail": "stages", "cohort": "entered"},
            ),
        )
        .rows
    }
    assert entered["needs_analysis"] == 1  # the move back on 03-09
    assert entered["solution"] == 1 and entered["won"] == 1 and entered["initial_contact"] == 0


def test_scope_rep_manager_director_see_different_funnels(people, build):
    make_leads(people["rep"], 3, "2026-03-02")
    make_leads(people["manager"], 2, "2026-03-02")
    make_leads(people["rep2"], 7, "2026-03-02")
    # Unassigned leads are visible to managers in the lead pool, but they are nobody's figures
    # except the company's.
    make_leads(None, 4, "2026-03-02")
    build.opportunity(people["rep"], created="2026-03-03")
    build.opportunity(people["rep2"], created="2026-03-03")
    build.opportunity(people["rep2"], created="2026-03-03")
    assert funnel(people["rep"])["lead"]["count"] == 3
    assert funnel(people["rep"])["opportunity"]["count"] == 1
    assert funnel(people["manager"])["lead"]["count"] == 5
    assert funnel(people["manager"])["opportunity"]["count"] == 1
    assert funnel(people["director"])["lead"]["count"] == 16
    assert funnel(people["director"])["opportunity"]["count"] == 3
    # the team filter narrows the director's view to the North subtree
    north = funnel(people["director"], team=str(people["north"].pk))
    assert north["lead"]["count"] == 7 and north["opportunity"]["count"] == 2


def test_variance_reason_and_action_are_recorded_audited_and_shown(people, build):
    note = funnel_variance_save(
        actor=people["manager"],
        data={
            "period_start": datetime.date(2026, 3, 1),
            "period_end": datetime.date(2026, 3, 31),
            "step": "opportunity",
            "reason": "展会线索质量低",
            "action": "线索评分表增加预算项",
            "owner": people["rep"],
            "due_date": datetime.date(2026, 4, 15),
        },
    )
    assert AuditEntry.objects.filter(action="analytics.funnel_variance.create").count() == 1
    rows = funnel(people["manager"])
    assert rows["opportunity"]["reason"] == "展会线索质量低"
    assert rows["opportunity"]["action"] == "线索评分表增加预算项"
    assert rows["opportunity"]["due_date"] == datetime.date(2026, 4, 15)
    # not in another period
    assert (
        funnel(people["manager"], Params(datetime.date(2026, 5, 1), datetime.date(2026, 5, 31)))[
            "opportunity"
        ]["reason"]
        == ""
    )
    # the owner's manager chain sees it; the other region's rep does not
    assert funnel(people["rep2"])["opportunity"]["reason"] == ""
    funnel_variance_save(actor=people["manager"], data={"status": "done"}, variance_id=note.pk)
    assert FunnelVariance.objects.get(pk=note.pk).status == "done"
    assert AuditEntry.objects.filter(action="analytics.funnel_variance.change").count() == 1
    with pytest.raises(NotAllowed):
        funnel_variance_save(actor=people["rep"], data={})
