"""Fixtures of the targets tests: a small sales organisation and helpers that write orders and
receipts directly (dated in the past, hand-computed amounts)."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from salesflow.customers.models import Customer, Region
from salesflow.deals.models import Contract, ContractStatus, Order, OrderStatus, Receipt
from salesflow.pipeline.models import Opportunity, ProductLine, Stage

D = Decimal
_seq = itertools.count(1)


@pytest.fixture
def people(make_user, make_department):
    """director ← manager ← rep, rep_b (East team); other_rep in the North team."""
    company = make_department("华信")
    east = make_department("华东区", parent=company)
    north = make_department("华北区", parent=company)
    director = make_user("sales_director", department=company, username="director")
    manager = make_user("sales_manager", department=east, manager=director, username="mgr")
    rep = make_user("sales_rep", department=east, manager=manager, username="rep")
    rep_b = make_user("sales_rep", department=east, manager=manager, username="rep_b")
    other_manager = make_user("sales_manager", department=north, manager=director, username="m2")
    other_rep = make_user("sales_rep", department=north, manager=other_manager, username="rep2")
    return {
        "company": company,
        "east": east,
        "north": north,
        "director": director,
        "manager": manager,
        "rep": rep,
        "rep_b": rep_b,
        "other_manager": other_manager,
        "other_rep": other_rep,
    }


@pytest.fixture
def regions(db):
    return {
        "east": Region.objects.get_or_create(name="华东")[0],
        "north": Region.objects.get_or_create(name="华北")[0],
    }


@pytest.fixture
def lines(db):
    return {
        "A": ProductLine.objects.get_or_create(name="A产品线")[0],
        "B": ProductLine.objects.get_or_create(name="B产品线")[0],
    }


def moment(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def customer(owner, *, region=None, first_deal: datetime.date | None = None, **fields):
    n = next(_seq)
    return Customer.objects.create(
        name=f"测试客户{n}",
        name_key=f"test-customer-{n}",
        owner=owner,
        region=region,
        first_deal_at=moment(first_deal) if first_deal else None,
        **fields,
    )


def opportunity(owner, cust, line=None, **fields):
    stage = Stage.objects.order_by("version_id", "order").first()
    opp = Opportunity.objects.create(
        name=f"商机{next(_seq)}",
        customer=cust,
        owner=owner,
        template_version=stage.version,
        stage=stage,
        **fields,
    )
    if line is not None:
        opp.product_lines.add(line)
    return opp


def contract(owner, cust, amount="1", opp=None):
    return Contract.objects.create(
        title="合同",
        customer=cust,
        owner=owner,
        amount=amount,
        status=ContractStatus.SIGNED,
        opportunity=opp,
        signed_on=datetime.date(2024, 1, 1),
    )


def order(owner, cust, amount, day, *, opp=None, status=OrderStatus.DELIVERED):
    c = contract(owner, cust, amount, opp)
    return Order.objects.create(
        contract=c,
        customer=cust,
        opportunity=opp,
        owner=owner,
        amount=D(amount),
        order_date=day,
        status=status,
    )


def receipt(owner, cust, amount, day):
    c = contract(owner, cust, amount)
    return Receipt.objects.create(contract=c, customer=cust, amount=D(amount), received_on=day)
