"""Actuals only from orders and receipts, hand-computed; the SPEC S7 worked example."""

import datetime
from decimal import Decimal

import pytest

from salesflow.customers.models import Tier
from salesflow.deals.models import OrderStatus
from salesflow.targets import metrics, selectors
from salesflow.targets.models import CustomerType, Level, Metric, PeriodKind, Target

from .conftest import customer, opportunity, order, receipt

D = Decimal
Q1 = (datetime.date(2024, 1, 1), datetime.date(2024, 3, 31))
JAN = datetime.date(2024, 1, 15)
FEB = datetime.date(2024, 2, 10)


def target(owner, metric, value, *, level=Level.COMPANY, period=Q1, **dims):
    return Target.objects.create(
        metric=metric,
        period_kind=PeriodKind.QUARTER,
        period_start=period[0],
        period_end=period[1],
        level=level,
        value=D(value),
        owner=owner,
        **dims,
    )


@pytest.fixture
def seed_q1(people, regions, lines):
    """2024 Q1 in 华东: 25 customers ordered, 8 of them twice (33 orders, 32% repurchase);
    12 of the 25 had their first deal in Q1. 21 orders of line A × 100,000 = 2,100,000 and
    12 others × 62,500 = 750,000: 2,850,000 in all. Noise: a 华北 order, a cancelled order, an
    order in April."""
    rep = people["rep"]
    east = regions["east"]
    a_line, b_line = lines["A"], lines["B"]
    customers = []
    for i in range(25):
        first = JAN if i < 12 else datetime.date(2023, 6, 1)
        customers.append(customer(rep, region=east, first_deal=first))
    amounts = [(c, JAN) for c in customers] + [(c, FEB) for c in customers[:8]]
    for n, (cust, day) in enumerate(amounts):
        if n < 21:
            order(rep, cust, "100000", day, opp=opportunity(rep, cust, a_line))
        else:
            order(rep, cust, "62500", day, opp=opportunity(rep, cust, b_line))
    north = customer(people["other_rep"], region=regions["north"], first_deal=JAN)
    order(people["other_rep"], north, "500000", JAN)
    order(rep, customers[0], "990000", FEB, status=OrderStatus.CANCELLED)
    order(rep, customers[1], "880000", datetime.date(2024, 4, 1))
    return {"east": east, "A": a_line, "customers": customers}


def test_seed_example(people, seed_q1):
    """华东区 300万/285万 → 95%; A 200/210 → 105%; new customers 15/12 → 80%;
    repurchase 30%/32% → 107%."""
    director, east = people["director"], seed_q1["east"]
    sales = target(director, Metric.SALES_AMOUNT, "3000000", region=east)
    line_a = target(director, Metric.SALES_AMOUNT, "2000000", product_line=seed_q1["A"])
    new = target(director, Metric.NEW_CUSTOMERS, "15", region=east)
    repurchase = target(director, Metric.REPURCHASE_RATE, "30", region=east)
    rows = {r.target.pk: r for r in selectors.with_actuals([sales, line_a, new, repurchase])}

    assert rows[sales.pk].actual == D("2850000")
    assert rows[sales.pk].completion_text == "95%"
    assert rows[line_a.pk].actual == D("2100000")
    assert rows[line_a.pk].completion_text == "105%"
    assert rows[new.pk].actual == 12
    assert rows[new.pk].completion_text == "80%"
    assert rows[repurchase.pk].actual == D("32.00")
    assert rows[repurchase.pk].completion == D("1.0667")
    assert rows[repurchase.pk].completion_text == "107%"


def test_actuals_are_bounded_queries(people, seed_q1, django_assert_max_num_queries):
    director = people["director"]
    targets = [
        target(director, metric, "100", region=seed_q1["east"])
        for metric in Metric.values
        for _ in range(3)
    ]
    with django_assert_max_num_queries(3):
        metrics.actuals_for(targets)


def test_order_count_collected_and_dimensions(people, regions, lines):
    rep, rep_b, other = people["rep"], people["rep_b"], people["other_rep"]
    director = people["director"]
    key = customer(rep, region=regions["east"], first_deal=datetime.date(2020, 1, 1), tier=Tier.KEY)
    old = customer(rep, region=regions["east"], first_deal=datetime.date(2020, 1, 1))
    new = customer(rep_b, region=regions["east"], first_deal=FEB)
    far = customer(other, region=regions["north"], first_deal=FEB)
    order(rep, key, "1000", JAN)
    order(rep, old, "200", JAN)
    order(rep_b, new, "30", FEB)
    order(other, far, "4", FEB)
    receipt(rep, key, "500", FEB)
    receipt(rep_b, new, "25", datetime.date(2024, 3, 31))
    receipt(rep_b, new, "9999", datetime.date(2024, 4, 1))  # after the quarter

    t = {
        "count": target(director, Metric.ORDER_COUNT, "10"),
        "rep": target(rep, Metric.SALES_AMOUNT, "1", level=Level.PERSON),
        "team": target(
            people["manager"], Metric.SALES_AMOUNT, "1", level=Level.TEAM, department=people["east"]
        ),
        "key": target(director, Metric.SALES_AMOUNT, "1", customer_type=CustomerType.KEY),
        "new": target(director, Metric.SALES_AMOUNT, "1", customer_type=CustomerType.NEW),
        "old": target(director, Metric.SALES_AMOUNT, "1", customer_type=CustomerType.OLD),
        "collected": target(director, Metric.COLLECTED, "1000"),
        "team_collected": target(
            people["manager"],
            Metric.COLLECTED,
            "1",
            level=Level.TEAM,
            department=people["east"],
            region=regions["east"],
        ),
    }
    actual = metrics.actuals_for(t.values())
    assert actual[t["count"].pk] == 4
    assert actual[t["rep"].pk] == D("1200")
    assert actual[t["team"].pk] == D("1230")
    assert actual[t["key"].pk] == D("1000")
    assert actual[t["new"].pk] == D("34")
    assert actual[t["old"].pk] == D("200")
    assert actual[t["collected"].pk] == D("525")
    assert actual[t["team_collected"].pk] == D("525")


def test_empty_period_gives_zero_and_dash(people):
    director = people["director"]
    sales = target(director, Metric.SALES_AMOUNT, "100")
    rate = target(director, Metric.REPURCHASE_RATE, "30")
    zero_target = target(director, Metric.ORDER_COUNT, "0")
    rows = {r.target.pk: r for r in selectors.with_actuals([sales, rate, zero_target])}
    assert rows[sales.pk].actual == 0
    assert rows[sales.pk].completion_text == "0%"
    assert rows[rate.pk].actual is None  # nobody ordered: no rate, no division by zero
    assert rows[rate.pk].completion_text == "—"
    assert rows[zero_target.pk].completion is None
    assert rows[zero_target.pk].completion_text == "—"


def test_actuals_obey_the_viewers_scope(people, regions):
    rep, other = people["rep"], people["other_rep"]
    order(rep, customer(rep), "100", JAN)
    order(other, customer(other), "7", JAN)
    company = target(people["director"], Metric.SALES_AMOUNT, "1000")
    assert metrics.actuals_for([company], people["director"])[company.pk] == D("107")
    assert metrics.actuals_for([company], rep)[company.pk] == D("100")


def test_period_target_picks_the_users_level(people):
    director, manager, rep = people["director"], people["manager"], people["rep"]
    total = target(director, Metric.SALES_AMOUNT, "3000000")
    team = target(
        manager,
        Metric.SALES_AMOUNT,
        "1800000",
        level=Level.TEAM,
        department=people["east"],
        parent=total,
    )
    target(rep, Metric.SALES_AMOUNT, "1000000", level=Level.PERSON, parent=team)
    target(people["rep_b"], Metric.SALES_AMOUNT, "800000", level=Level.PERSON, parent=team)
    assert selectors.period_target(director, Metric.SALES_AMOUNT, *Q1) == D("3000000")
    assert selectors.period_target(manager, Metric.SALES_AMOUNT, *Q1) == D("1800000")
    assert selectors.period_target(rep, Metric.SALES_AMOUNT, *Q1) == D("1000000")
    assert selectors.period_target(people["other_rep"], Metric.SALES_AMOUNT, *Q1) is None
    assert selectors.period_target(rep, Metric.ORDER_COUNT, *Q1) is None
    assert (
        selectors.period_target(director, Metric.SALES_AMOUNT, Q1[0], datetime.date(2024, 1, 31))
        is None
    )
