"""Fixtures of the knowledge tests: a small sales organisation, the default B2B template and
helpers that open, win and lose opportunities through the pipeline services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from salesflow.customers.models import Customer
from salesflow.pipeline import services as pipeline_services
from salesflow.pipeline.models import LostReason, ProcessTemplate


@pytest.fixture
def people(make_user, make_department):
    """director ← manager ← rep (East); other_rep in the North under other_manager; a
    marketing user (no knowledge right); admin."""
    company = make_department("华信")
    east = make_department("华东区", parent=company)
    north = make_department("华北区", parent=company)
    director = make_user("sales_director", department=company, username="director")
    manager = make_user("sales_manager", department=east, manager=director, username="mgr")
    rep = make_user("sales_rep", department=east, manager=manager, username="rep")
    other_manager = make_user("sales_manager", department=north, manager=director, username="mgr2")
    other_rep = make_user("sales_rep", department=north, manager=other_manager, username="rep2")
    marketing = make_user("marketing", department=company, username="mkt")
    admin = make_user("admin", department=company, username="sysadmin")
    return {
        "director": director,
        "manager": manager,
        "rep": rep,
        "other_manager": other_manager,
        "other_rep": other_rep,
        "marketing": marketing,
        "admin": admin,
    }


@pytest.fixture
def b2b(db) -> ProcessTemplate:
    return ProcessTemplate.objects.get(name="标准B2B销售流程")


def make_customer(owner, name="苏州恒达精密机械有限公司") -> Customer:
    return Customer.objects.create(name=name, name_key=f"{name}-{owner.pk}", owner=owner)


def make_opportunity(owner, *, name="产线改造", amount="300000", customer=None):
    customer = customer or make_customer(owner, name=f"{name}客户")
    return pipeline_services.opportunity_create(
        actor=owner, customer_id=customer.pk, data={"name": name, "amount": Decimal(amount)}
    )


def won_opportunity(owner, **kwargs):
    opp = make_opportunity(owner, **kwargs)
    pipeline_services.opportunity_win(actor=owner, opportunity_id=opp.pk)
    opp.refresh_from_db()
    return opp


def lost_opportunity(owner, **kwargs):
    opp = make_opportunity(owner, **kwargs)
    pipeline_services.opportunity_lose(
        actor=owner, opportunity_id=opp.pk, lost_reason_id=LostReason.objects.first().pk
    )
    opp.refresh_from_db()
    return opp
