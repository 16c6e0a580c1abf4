"""Every KPI against a hand-computed fixture, and empty periods as "—"."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from salesflow.activities.models import FollowUp
from salesflow.analytics import registry
from salesflow.analytics.registry import Params
from salesflow.analytics.services import channel_cost_save
from salesflow.deals.models import Contract, Order, OrderStatus
from salesflow.leads.models import LeadSource
from salesflow.pipeline.models import OpportunityStatus, StageEvent

from .conftest import at, make_leads

pytestmark = pytest.mark.django_db
D = Decimal
K = StageEvent.Kind
MARCH = Params(date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 31))
EMPTY = Params(date_from=datetime.date(2020, 1, 1), date_to=datetime.date(2020, 1, 31))


def contract_for(customer, owner):
    return Contract.objects.create(
        title="合同", customer=customer, owner=owner, amount=D("1000000")
    )


def kpis(user, params=MARCH):
    return {r["key"]: r["value"] for r in registry.get("kpis").compute(user, params).rows}


@pytest.fixture
def closed_deals(people, build):
    """rep: won 100k (cycle 10 d), won 300k (cycle 20 d), lost; rep2: won 200k (cycle 40 d)."""
    rep, rep2 = people["rep"], people["rep2"]
    won = OpportunityStatus.WON
    build.opportunity(
        rep, created="2026-02-20", status=won, closed="2026-03-02", amount=D("100000")
    )
    build.opportunity(
        rep, created="2026-02-15", status=won, closed="2026-03-07", amount=D("300000")
    )
    build.opportunity(rep, created="2026-02-01", status=OpportunityStatus.LOST, closed="2026-03-10")
    build.opportunity(
        rep2, created="2026-01-20", status=won, closed="2026-03-01", amount=D("200000")
    )
    # closed outside the period: ignored
    build.opportunity(rep, created="2026-01-01", status=won, closed="2026-04-02")


def test_win_rate_deal_size_and_sales_cycle(people, closed_deals):
    director = kpis(people["director"])
    assert director["win_rate"] == D("75.0")  # 3 / (3 + 1)
    assert director["avg_deal_size"] == D("200000.00")
    assert director["sales_cycle_avg"] == D("23.3")  # (10 + 20 + 40) / 3
    assert director["sales_cycle_median"] == D("20.0")
    rep = kpis(people["rep"])
    assert rep["win_rate"] == D("66.7")  # 2 / 3
    assert rep["avg_deal_size"] == D("200000.00")
    assert rep["sales_cycle_avg"] == D("15.0") and rep["sales_cycle_median"] == D("15.0")


def test_win_rate_by_group_and_customer_tier(people, closed_deals):
    result = registry.get("win_rate").compute(
        people["director"], Params(MARCH.date_from, MARCH.date_to, "owner")
    )
    rows = {r["group"]: r for r in result.rows}
    assert rows[people["rep"].display_name]["won"] == 2
    assert rows[people["rep"].display_name]["lost"] == 1
    assert rows[people["rep2"].display_name]["win_rate"] == D("100.0")
    assert result.totals["won"] == 3 and result.totals["win_rate"] == D("75.0")
    tiers = registry.get("win_rate").compute(
        people["director"], Params(MARCH.date_from, MARCH.date_to, "customer_tier")
    )
    assert [r["won"] for r in tiers.rows] == [3]


def test_sales_cycle_starts_at_the_leads_first_contact(people, build):
    lead = make_leads(people["rep"], 1, "2026-01-01", first_contact_at=at("2026-02-01"))[0]
    build.opportunity(
        people["rep"],
        created="2026-02-20",
        status=OpportunityStatus.WON,
        closed="2026-03-03",
        source_lead=lead,
    )
    assert kpis(people["rep"])["sales_cycle_avg"] == D("30.0")


def test_time_in_stage_distribution_and_skip_rate(people, build):
    rep = people["rep"]
    for days in (1, 2, 3, 4, 10):
        build.opportunity(
            rep,
            created="2026-03-02",
            stage="needs_analysis",
            path=[(K.ADVANCE, "needs_analysis", "2026-03-20", days, days * 24)],
        )
    build.opportunity(
        rep,
        created="2026-03-02",
        stage="negotiation",
        path=[(K.SKIP, "negotiation", "2026-03-20", 5, 120)],
    )
    values = kpis(people["director"])
    assert values["time_in_stage"] == D("4.2")  # (1+2+3+4+10+5) / 6
    assert values["time_in_stage_median"] == D("3.5")
    assert values["skip_rate"] == D("16.7")  # 1 skip / 6 forward moves
    rows = {
        r["stage"]: r for r in registry.get("stage_time").compute(people["director"], MARCH).rows
    }
    first = rows["初步接洽"]
    assert first["n"] == 6
    assert first["median"] == D("3.5")
    assert first["p25"] == D("2.3")  # 2 + 0.25 × (3 − 2)
    assert first["p75"] == D("4.8")  # 4 + 0.75 × (5 − 4)
    assert first["max"] == D("10.0")
    assert rows["需求分析"]["n"] == 0 and rows["需求分析"]["median"] is None
    skips = {
        r["group"]: r for r in registry.get("skip_outcomes").compute(people["director"], MARCH).rows
    }
    assert skips["跳过过阶段"]["opportunities"] == 1
    assert skips["按标准流程"]["opportunities"] == 5
    repeats = {
        r["stage"]: r for r in registry.get("stage_repeats").compute(people["director"], MARCH).rows
    }
    assert repeats["需求分析"]["skipped"] == 1 and repeats["方案呈现"]["skipped"] == 1


def test_repeated_steps(people, build):
    build.opportunity(
        people["rep"],
        created="2026-03-02",
        stage="solution",
        path=[
            (K.ADVANCE, "needs_analysis", "2026-03-03", 1, 24),
            (K.BACK, "initial_contact", "2026-03-04", 1, 24),
            (K.ADVANCE, "needs_analysis", "2026-03-05", 1, 24),
            (K.ADVANCE, "solution", "2026-03-06", 1, 24),
        ],
    )
    rows = {
        r["stage"]: r for r in registry.get("stage_repeats").compute(people["director"], MARCH).rows
    }
    assert rows["需求分析"]["backs_from"] == 1
    assert rows["初步接洽"]["backs_into"] == 1
    assert rows["需求分析"]["repeat_opps"] == 1 and rows["需求分析"]["repeat_rate"] == D("100.0")
    assert rows["初步接洽"]["repeat_opps"] == 1  # created there, moved back there
    assert rows["方案呈现"]["repeat_opps"] == 0


def test_stage_sla_compliance(people, build):
    # 初步接洽 has a 24h rule in the default template.
    for hours in (10, 20, 30, 50):
        build.opportunity(
            people["rep"],
            created="2026-03-02",
            stage="needs_analysis",
            path=[(K.ADVANCE, "needs_analysis", "2026-03-05", 1, hours)],
        )
    rows = {
        r["stage"]: r for r in registry.get("stage_sla").compute(people["director"], MARCH).rows
    }
    assert rows["初步接洽"]["exits"] == 4 and rows["初步接洽"]["on_time"] == 2
    assert rows["初步接洽"]["rate"] == D("50.0")
    assert kpis(people["director"])["stage_sla"] == D("50.0")


def test_followup_completeness_and_lead_response(people, build):
    customer = build.customer(people["rep"])
    for complete in (True, True, True, False):
        FollowUp.objects.create(
            customer=customer,
            owner=people["rep"],
            communicated_at=at("2026-03-03"),
            method="phone",
            topic="t",
            summary="s",
            is_complete=complete,
        )
    FollowUp.objects.create(
        customer=customer,
        owner=people["rep"],
        communicated_at=at("2026-04-03"),
        method="phone",
        topic="t",
        summary="s",
        is_complete=False,
    )
    graded = {"grade": "A", "graded_at": at("2026-03-02")}
    due = at("2026-03-03")
    make_leads(
        people["rep"],
        1,
        "2026-03-01",
        first_contact_due_at=due,
        first_contact_at=at("2026-03-02", 15),
        **graded,
    )
    make_leads(
        people["rep"],
        1,
        "2026-03-01",
        first_contact_due_at=due,
        first_contact_at=at("2026-03-04"),
        **graded,
    )
    make_leads(people["rep"], 1, "2026-03-01", first_contact_due_at=due, **graded)  # late
    make_leads(
        people["rep"],
        1,
        "2026-03-01",
        first_contact_due_at=timezone.now() + datetime.timedelta(days=3),
        grade="A",
        graded_at=at("2026-03-30"),
    )  # not due yet: not counted
    values = kpis(people["rep"])
    assert values["followup_completeness"] == D("75.0")
    assert values["lead_response"] == D("33.3")


def test_churn_repurchase_cac_and_ltv(people, build):
    rep = people["rep"]
    channels = list(LeadSource.objects.order_by("id")[:2])
    leads_a = make_leads(rep, 2, "2026-01-05", source=channels[0])
    leads_b = make_leads(rep, 1, "2026-01-05", source=channels[1])
    c1 = build.customer(
        rep, first_deal_at=at("2026-03-05"), source_lead_id=leads_a[0].pk, lost_at=at("2026-04-20")
    )
    c2 = build.customer(rep, first_deal_at=at("2026-03-10"), source_lead_id=leads_a[1].pk)
    c3 = build.customer(
        rep, first_deal_at=at("2026-03-12"), source_lead_id=leads_b[0].pk, lost_at=at("2026-09-01")
    )  # lost after the 3 months: not churn
    for customer, amounts in ((c1, [100000]), (c2, [50000, 70000]), (c3, [30000])):
        for amount in amounts:
            Order.objects.create(
                contract=contract_for(customer, rep),
                customer=customer,
                owner=rep,
                amount=D(amount),
                order_date=datetime.date(2026, 3, 20),
                status=OrderStatus.PENDING,
            )
    Order.objects.create(
        contract=contract_for(c3, rep),
        customer=c3,
        owner=rep,
        amount=D(99999),
        order_date=datetime.date(2026, 3, 21),
        status=OrderStatus.CANCELLED,
    )
    channel_cost_save(
        actor=people["director"],
        channel=channels[0],
        month=datetime.date(2026, 3, 1),
        marketing_cost=D(30000),
        sales_cost=D(10000),
    )
    channel_cost_save(
        actor=people["director"],
        channel=channels[1],
        month=datetime.date(2026, 3, 15),
        marketing_cost=D(5000),
        sales_cost=D(0),
    )
    values = kpis(people["director"])
    assert values["churn_rate"] == D("33.3")  # c1 of c1..c3
    assert values["repurchase_rate"] == D("33.3")  # c2 of 3 customers with orders
    result = registry.get("cac").compute(people["director"], MARCH)
    rows = {r["channel"]: r for r in result.rows}
    a, b = rows[channels[0].name], rows[channels[1].name]
    assert a["new_customers"] == 2 and a["cac"] == D("20000.00")
    assert a["ltv"] == D("110000.00") and a["ltv_cac"] == D("5.50")
    assert b["cac"] == D("5000.00") and b["ltv"] == D("30000.00") and b["ltv_cac"] == D("6.00")
    assert result.totals["cac"] == D("15000.00")


def test_empty_period_every_kpi_is_a_dash(people, closed_deals):
    values = kpis(people["director"], EMPTY)
    assert all(value is None for value in values.values()), values
    for name in ("win_rate", "stage_time", "stage_repeats", "skip_outcomes", "stage_sla", "cac"):
        registry.get(name).compute(people["director"], EMPTY)


def test_forecast_weights_open_opportunities_only(people, build):
    rep = people["rep"]
    build.opportunity(
        rep,
        created="2026-03-01",
        amount=D("100000"),
        probability=20,
        expected_close=datetime.date(2026, 4, 10),
    )
    build.opportunity(
        rep,
        created="2026-03-01",
        amount=D("50000"),
        probability=50,
        expected_close=datetime.date(2026, 4, 20),
    )
    build.opportunity(
        rep,
        created="2026-03-01",
        amount=D("80000"),
        probability=60,
        expected_close=datetime.date(2026, 5, 2),
    )
    build.opportunity(
        rep,
        created="2026-03-01",
        amount=D("999999"),
        probability=90,
        status=OpportunityStatus.LOST,
        expected_close=datetime.date(2026, 4, 1),
    )
    build.opportunity(
        rep,
        created="2026-03-01",
        amount=D("999999"),
        probability=100,
        status=OpportunityStatus.WON,
        expected_close=datetime.date(2026, 4, 1),
    )
    result = registry.get("forecast").compute(
        people["manager"], Params(datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
    )
    rows = {r["month"]: r for r in result.rows}
    assert rows["2026-04"]["weighted"] == D("45000.00") and rows["2026-04"]["opportunities"] == 2
    assert rows["2026-05"]["weighted"] == D("48000.00")
    assert result.totals["weighted"] == D("93000.00") and result.totals["amount"] == D("230000.00")
    other = registry.get("forecast").compute(
        people["rep2"], Params(datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
    )
    assert other.rows == [] and other.totals["weighted"] == 0


def test_pipeline_totals_and_people(people, build):
    build.opportunity(people["rep"], created="2026-03-01", amount=D("100000"), probability=20)
    build.opportunity(
        people["rep"], created="2026-03-01", stage="negotiation", amount=D("200000"), probability=80
    )
    build.opportunity(people["rep2"], created="2026-03-01", amount=D("50000"), probability=20)
    by_stage = registry.get("pipeline_totals").compute(people["director"], MARCH)
    rows = {r["group"]: r for r in by_stage.rows}
    assert rows["初步接洽"]["opportunities"] == 2 and rows["初步接洽"]["weighted"] == D("30000.00")
    assert rows["商务谈判"]["weighted"] == D("160000.00")
    assert by_stage.totals["amount"] == D("350000.00")
    by_owner = registry.get("pipeline_totals").compute(
        people["manager"], Params(MARCH.date_from, MARCH.date_to, "owner")
    )
    assert [(r["group"], r["weighted"]) for r in by_owner.rows] == [
        (people["rep"].display_name, D("180000.00"))
    ]
    team = registry.get("people").compute(people["manager"], MARCH)
    assert [r["owner"] for r in team.rows] == [people["rep"].display_name]
    assert team.rows[0]["open"] == 2 and team.rows[0]["created"] == 2


def test_forecast_compares_with_the_targets_modules_monthly_target(people, build):
    from salesflow.targets.models import Target

    build.opportunity(
        people["rep"],
        created="2026-03-01",
        amount=D("100000"),
        probability=45,
        expected_close=datetime.date(2026, 4, 10),
    )
    Target.objects.create(
        metric="sales_amount",
        period_kind="month",
        period_start=datetime.date(2026, 4, 1),
        period_end=datetime.date(2026, 4, 30),
        level="company",
        owner=people["director"],
        value=D("90000"),
    )
    result = registry.get("forecast").compute(
        people["director"], Params(datetime.date(2026, 4, 1), datetime.date(2026, 4, 30))
    )
    row = result.rows[0]
    assert row["weighted"] == D("45000.00") and row["target"] == D("90000")
    assert row["coverage"] == D("50.0")
    assert result.totals["target"] == D("90000") and result.notes == []
