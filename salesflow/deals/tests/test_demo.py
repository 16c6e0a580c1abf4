"""The demo step: the catalog always; for won opportunities a year of contracts, orders,
instalments and receipts with overdue plans in every aging bucket and one bad debt."""

import datetime
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from salesflow.deals import demo as deals_demo
from salesflow.deals import selectors
from salesflow.deals.models import Contract, Order, PaymentPlan, Product, Receipt
from salesflow.deals.tests.conftest import make_customer, make_opportunity
from salesflow.org.demo import SeedContext
from salesflow.pipeline import services as pipeline_services

pytestmark = pytest.mark.django_db
D = Decimal


def ctx_for(people):
    return SeedContext(seed=1, random=random.Random(1), users={"finance.1": people["finance"]})


def test_without_won_opportunities_only_the_catalog(people):
    deals_demo.seed_deals(ctx_for(people))
    assert Product.objects.count() == sum(len(v) for v in deals_demo.CATALOG.values())
    assert not Contract.objects.exists()
    deals_demo.seed_deals(ctx_for(people))  # idempotent
    assert Product.objects.count() == sum(len(v) for v in deals_demo.CATALOG.values())


def test_a_year_of_deals_for_won_opportunities(people, make_user):
    from salesflow.core.services import setting_change

    # the demo's won opportunities predate their contracts (the step creates them)
    setting_change(
        actor=make_user("admin"), key="deal.win_requires_contract", value=False, reason="演示"
    )
    rep = people["rep"]
    now = timezone.now()
    won = []
    for index, days_ago in enumerate([5, 40, 100, 130, 170, 230, 300, 360]):
        customer = make_customer(rep, name=f"演示客户{index}")
        opp = make_opportunity(rep, customer, amount=D("100000") * (index + 1))
        pipeline_services.opportunity_win(
            actor=rep, opportunity_id=opp.pk, now=now - datetime.timedelta(days=days_ago)
        )
        won.append(opp)
    deals_demo.seed_deals(ctx_for(people))
    assert Contract.objects.count() == len(won)
    for opp in won:
        contract = Contract.objects.get(opportunity=opp)
        assert contract.amount == opp.amount
        assert contract.customer_id == opp.customer_id
        assert Order.objects.get(contract=contract).amount == opp.amount
        plans = PaymentPlan.objects.filter(contract=contract)
        assert sum(p.amount for p in plans) == opp.amount
    summary = selectors.aging_summary(user=people["finance"])
    amounts = {row.key: row.amount for row in summary.rows}
    for key in ("0-30", "31-60", "61-90", "90+"):
        assert amounts[key] > 0, key
    assert PaymentPlan.objects.filter(bad_debt=True).count() == 1
    assert Receipt.objects.exists()
    customer = Contract.objects.order_by("-amount").first().customer
    customer.refresh_from_db()
    assert customer.purchases_12m > 0 and customer.first_deal_at is not None
    before = (Contract.objects.count(), Receipt.objects.count())
    deals_demo.seed_deals(ctx_for(people))  # idempotent
    assert (Contract.objects.count(), Receipt.objects.count()) == before
