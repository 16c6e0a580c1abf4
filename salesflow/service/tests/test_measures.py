"""Measures: complaint rate on a fixture, repurchase and satisfaction per tier, churn signals,
and the analyses registered under the analytics registry."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from salesflow.analytics.registry import Params, get
from salesflow.customers.models import Tier
from salesflow.deals.models import Contract, Order, OrderStatus
from salesflow.service import measures, services

from .conftest import local, log_complaint, make_customer

pytestmark = pytest.mark.django_db

PERIOD = (datetime.date(2026, 1, 1), datetime.date(2026, 6, 30))


def order(customer, day, status=OrderStatus.DELIVERED, amount="100000"):
    contract = Contract.objects.create(
        title="供货合同", customer=customer, owner=customer.owner, amount=Decimal(amount)
    )
    return Order.objects.create(
        contract=contract,
        customer=customer,
        owner=customer.owner,
        amount=Decimal(amount),
        order_date=day,
        status=status,
    )


@pytest.fixture
def served(people, quality):
    """Four customers ordered in the first half of 2026 (one more only cancelled, one only
    before); one without orders complained. Three complaints in the period, two caused by
    sales service; one caused-by-sales complaint falls outside the period."""
    rep, cs = people["rep"], people["cs"]
    buyers = [make_customer(rep, name=f"买家{i}") for i in range(4)]
    for index, customer in enumerate(buyers):
        order(customer, datetime.date(2026, 2, 1) + datetime.timedelta(days=20 * index))
    order(buyers[0], datetime.date(2026, 3, 15))  # a second order: still one customer
    cancelled = make_customer(rep, name="取消单")
    order(cancelled, datetime.date(2026, 3, 1), status=OrderStatus.CANCELLED)
    earlier = make_customer(rep, name="去年客户")
    order(earlier, datetime.date(2025, 8, 1))
    complainer = make_customer(rep, name="只投诉")
    log_complaint(cs, buyers[0], quality, received_at=local(2026, 3, 2, 10), caused_by_sales=True)
    log_complaint(cs, complainer, quality, received_at=local(2026, 4, 2, 10), caused_by_sales=True)
    log_complaint(cs, buyers[1], quality, received_at=local(2026, 5, 2, 10))
    log_complaint(cs, earlier, quality, received_at=local(2025, 12, 2, 10), caused_by_sales=True)
    return buyers


def test_complaint_rate_on_a_fixture(people, served):
    figure = measures.complaint_rate(people["director"], *PERIOD)
    # served = 4 buyers + the customer who only complained; 2 caused by sales service
    assert (figure.complaints, figure.caused_by_sales, figure.served) == (3, 2, 5)
    assert figure.rate == Decimal("40.0")
    # scope: the other team's manager serves nobody here
    assert measures.complaint_rate(people["other_manager"], *PERIOD).rate is None
    result = get("complaint_rate").compute(
        people["director"], Params(date_from=PERIOD[0], date_to=PERIOD[1])
    )
    assert result.rows[0]["rate"] == Decimal("40.0") and result.rows[0]["served"] == 5


def test_repurchase_and_satisfaction_per_tier(people):
    rep = people["rep"]
    again = make_customer(rep, name="再次购买", tier=Tier.KEY)
    once = make_customer(rep, name="只买一次", tier=Tier.KEY)
    order(again, datetime.date(2025, 9, 1))
    order(again, datetime.date(2026, 2, 1))
    order(once, datetime.date(2025, 10, 1))
    for customer, score in ((again, 95), (once, 80)):
        services.satisfaction_survey_record(
            actor=people["cs"], customer_id=customer.pk, score=score,
            surveyed_on=datetime.date(2026, 3, 1),
        )  # fmt: skip
    key = {m.tier: m for m in measures.tier_measures(people["director"], *PERIOD)}[Tier.KEY]
    assert (key.ordered_before, key.repurchased, key.repurchase_rate) == (2, 1, Decimal("50.0"))
    assert key.repurchase_met is False  # goal 70 %
    assert key.satisfaction == Decimal("87.5") and key.satisfaction_met is False
    rows = (
        get("service_tiers")
        .compute(people["director"], Params(date_from=PERIOD[0], date_to=PERIOD[1]))
        .rows
    )
    assert [r["customers"] for r in rows] == [0, 2, 0]


def test_churn_signals(people):
    rep = people["rep"]
    regular = make_customer(rep, name="按月下单")
    for month in (1, 2, 3):
        order(regular, datetime.date(2026, month, 1))
    falling = make_customer(rep, name="满意度下滑")
    for day, score in ((datetime.date(2026, 1, 10), 92), (datetime.date(2026, 6, 10), 80)):
        services.satisfaction_survey_record(
            actor=people["cs"], customer_id=falling.pk, score=score, surveyed_on=day
        )
    signals = measures.churn_signals(rep, today=datetime.date(2026, 7, 1))
    assert {(s.customer.name, s.reason) for s in signals} == {
        ("按月下单", "no_order"),  # every ~30 days, 91 days since the last
        ("满意度下滑", "satisfaction"),
    }
    early = measures.churn_signals(rep, today=datetime.date(2026, 4, 10))
    assert {s.reason for s in early} == {"satisfaction"}  # 40 days < 1.5 × 29.5
    assert measures.churn_signals(people["other_rep"], today=datetime.date(2026, 7, 1)) == []
