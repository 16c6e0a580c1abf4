"""Fixtures of the planning tests: a small sales organisation (East and North teams) and
helpers that put real leads, opportunities and orders into the system."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from salesflow.customers.models import Customer
from salesflow.leads.models import Lead, LeadSource
from salesflow.pipeline.models import Opportunity, OpportunityStatus

D = Decimal


@pytest.fixture
def org(make_user, make_department):
    """director ← manager (华东区) ← rep, rep_b (上海组 under 华东区); North: manager2 ← rep2."""
    company = make_department("华信")
    east = make_department("华东区", parent=company)
    shanghai = make_department("上海组", parent=east)
    north = make_department("华北区", parent=company)
    director = make_user("sales_director", department=company, username="director")
    manager = make_user("sales_manager", department=east, manager=director, username="mgr")
    rep = make_user("sales_rep", department=shanghai, manager=manager, username="rep")
    rep_b = make_user("sales_rep", department=shanghai, manager=manager, username="rep_b")
    manager2 = make_user("sales_manager", department=north, manager=director, username="mgr2")
    rep2 = make_user("sales_rep", department=north, manager=manager2, username="rep2")
    admin = make_user("admin", department=company, username="sysadmin")
    return {
        "company": company,
        "east": east,
        "shanghai": shanghai,
        "north": north,
        "director": director,
        "manager": manager,
        "rep": rep,
        "rep_b": rep_b,
        "manager2": manager2,
        "rep2": rep2,
        "admin": admin,
    }


def aware(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def make_customer(owner, name: str) -> Customer:
    return Customer.objects.create(name=name, name_key=name, owner=owner)


_seq = {"n": 0}


def make_lead(owner, day: datetime.date, source: LeadSource | None = None, **fields) -> Lead:
    _seq["n"] += 1
    n = _seq["n"]
    return Lead.objects.create(
        company_name=f"线索公司{n}",
        name_key=f"lead-{n}",
        contact_name="张先生",
        phone=f"1380000{n:04d}",
        source=source or LeadSource.objects.order_by("id").first(),
        owner=owner,
        acquired_at=aware(day),
        **fields,
    )


def make_opportunity(
    owner,
    *,
    amount="100000",
    created: datetime.date | None = None,
    status: str = OpportunityStatus.OPEN,
    closed: datetime.date | None = None,
    lead: Lead | None = None,
    product_line=None,
) -> Opportunity:
    """An opportunity through the real service, then dated and closed as the fixture needs
    (the services refuse back-dated wins, for good reason)."""
    from salesflow.pipeline import services as pipeline_services

    _seq["n"] += 1
    customer = make_customer(owner, f"客户{_seq['n']}")
    opp = pipeline_services.opportunity_create(
        actor=owner, customer_id=customer.pk, data={"name": "产线改造", "amount": D(amount)}
    )
    updates = {}
    if created:
        updates["created_at"] = aware(created, 9)
    if status != OpportunityStatus.OPEN:
        updates["status"] = status
        updates["closed_at"] = aware(closed or created or timezone.localdate(), 15)
    if lead is not None:
        updates["source_lead"] = lead
    if updates:
        Opportunity.objects.filter(pk=opp.pk).update(**updates)
    if product_line is not None:
        opp.product_lines.add(product_line)
    opp.refresh_from_db()
    return opp


def make_order(opp: Opportunity, day: datetime.date, amount=None, status=None):
    """A signed contract and its order for an opportunity, dated ``day``."""
    from salesflow.deals.models import Contract, ContractStatus, Order, OrderStatus

    contract = Contract.objects.create(
        title=opp.name,
        customer=opp.customer,
        opportunity=opp,
        owner=opp.owner,
        amount=amount or opp.amount,
        status=ContractStatus.SIGNED,
        signed_on=day,
        created_by=opp.owner,
    )
    return Order.objects.create(
        contract=contract,
        customer=opp.customer,
        opportunity=opp,
        owner=opp.owner,
        amount=amount or opp.amount,
        order_date=day,
        status=status or OrderStatus.PENDING,
        created_by=opp.owner,
    )
