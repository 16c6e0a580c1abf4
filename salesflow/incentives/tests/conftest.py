"""Fixtures of the incentives tests: an organisation (director ← manager ← rep, a second team,
finance), and helpers writing orders, receipts, targets, follow-ups, leads, stage events and
reports straight into the tables with known dates, so that every figure is computed by hand.
The quarter is Q1 2026."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest

from salesflow.analytics.tests.conftest import SH, Builder, at
from salesflow.customers.models import Customer
from salesflow.deals.models import Contract, ContractStatus, Order, OrderStatus, Receipt

D = Decimal
Q1 = (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
_seq = itertools.count(1)


@pytest.fixture
def people(make_user, make_department):
    company = make_department("华信")
    east = make_department("华东区", parent=company)
    north = make_department("华北区", parent=company)
    fin = make_department("财务部", parent=company)
    director = make_user("sales_director", department=company, username="director")
    manager = make_user("sales_manager", department=east, manager=director, username="mgr")
    rep = make_user("sales_rep", department=east, manager=manager, username="rep")
    other_manager = make_user("sales_manager", department=north, manager=director, username="mgr2")
    other_rep = make_user("sales_rep", department=north, manager=other_manager, username="rep2")
    finance = make_user("finance", department=fin, username="finance")
    return {
        "director": director,
        "manager": manager,
        "rep": rep,
        "other_manager": other_manager,
        "other_rep": other_rep,
        "finance": finance,
        "east": east,
        "north": north,
    }


@pytest.fixture
def b2b(db):
    from salesflow.pipeline.models import ProcessTemplate

    template = ProcessTemplate.objects.get(name="标准B2B销售流程")
    version = template.current_version()
    return {
        "template": template,
        "version": version,
        "stages": {s.code: s for s in version.stages.all()},
    }


@pytest.fixture
def build(b2b):
    return Builder(b2b)


def customer(owner, *, first_deal: datetime.date | None = None, **fields) -> Customer:
    n = next(_seq)
    return Customer.objects.create(
        name=f"激励客户{n}",
        name_key=f"incentive-{n}",
        owner=owner,
        first_deal_at=at(first_deal) if first_deal else None,
        **fields,
    )


def contract(owner, cust, amount="1000000", opportunity=None) -> Contract:
    n = next(_seq)
    return Contract.objects.create(
        number=f"HT-T{n}",
        title=f"合同{n}",
        customer=cust,
        opportunity=opportunity,
        amount=D(amount),
        status=ContractStatus.SIGNED,
        signed_on=Q1[0],
        owner=owner,
    )


def order(owner, cust, amount, day, *, ctr=None, status=OrderStatus.DELIVERED, opportunity=None):
    ctr = ctr or contract(owner, cust, opportunity=opportunity)
    n = next(_seq)
    return Order.objects.create(
        number=f"DD-T{n}",
        contract=ctr,
        customer=cust,
        opportunity=opportunity,
        owner=owner,
        amount=D(amount),
        order_date=day,
        status=status,
    )


def receipt(ctr, amount, day) -> Receipt:
    n = next(_seq)
    return Receipt.objects.create(
        number=f"HK-T{n}", contract=ctr, customer=ctr.customer, amount=D(amount), received_on=day
    )


def target(owner, metric, value, period=Q1):
    from salesflow.targets.models import Level, PeriodKind, Target

    return Target.objects.create(
        metric=metric,
        period_kind=PeriodKind.QUARTER,
        period_start=period[0],
        period_end=period[1],
        level=Level.PERSON,
        owner=owner,
        value=D(value),
    )


def followups(owner, count, day, *, complete: bool, cust=None):
    from salesflow.activities.models import FollowUp

    cust = cust or customer(owner)
    FollowUp.objects.bulk_create(
        FollowUp(
            customer=cust,
            owner=owner,
            communicated_at=at(day),
            method="phone",
            topic="回访",
            summary="电话沟通",
            is_complete=complete,
        )
        for _ in range(count)
    )


def a_leads(owner, count, graded: datetime.date, *, on_time: bool):
    from salesflow.analytics.tests.conftest import make_leads
    from salesflow.leads.models import Lead, LeadGrade

    due = at(graded, 10) + datetime.timedelta(hours=24)
    contact = due - datetime.timedelta(hours=1) if on_time else due + datetime.timedelta(hours=5)
    made = make_leads(owner, count, graded, grade=LeadGrade.A)
    Lead.objects.filter(pk__in=[lead.pk for lead in made]).update(
        graded_at=at(graded, 10), first_contact_due_at=due, first_contact_at=contact
    )


def report(owner, due: datetime.date, *, submitted: bool, late: bool = False, kind="weekly"):
    from salesflow.targets.models import ReportStatus, SalesReport

    due_at = datetime.datetime.combine(due, datetime.time(18), tzinfo=SH)
    return SalesReport.objects.create(
        kind=kind,
        period_start=due - datetime.timedelta(days=6),
        period_end=due,
        owner=owner,
        status=ReportStatus.SUBMITTED if submitted else ReportStatus.DRAFT,
        due_at=due_at,
        submitted_at=due_at if submitted else None,
        is_late=late,
    )
