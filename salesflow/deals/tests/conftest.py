"""Fixtures of the deals tests: a small sales organisation, a catalog, and helpers that walk a
deal from quote to signed contract through the real services."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from salesflow.core import approvals
from salesflow.core.models import ApprovalRequest
from salesflow.customers.models import Customer
from salesflow.deals import services
from salesflow.deals.models import Contract, ContractStatus, Product
from salesflow.pipeline.models import ProductLine

D = Decimal


@pytest.fixture
def people(make_user, make_department):
    """director ← manager ← rep (East team); other_rep reports to the director elsewhere;
    finance; admin."""
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
    }


@pytest.fixture
def catalog(db):
    line = ProductLine.objects.get(name="智能装备")
    software = ProductLine.objects.get(name="工业软件")
    return {
        "robot": Product.objects.create(
            product_line=line,
            name="焊接机器人",
            unit="台",
            list_price=D("100000.00"),
            standard_cost=D("62000.00"),
        ),
        "mes": Product.objects.create(
            product_line=software,
            name="MES 授权",
            unit="套",
            list_price=D("33333.33"),
            standard_cost=D("5000.00"),
        ),
    }


def make_customer(owner, name="苏州恒达精密机械有限公司", **fields) -> Customer:
    return Customer.objects.create(
        name=name, name_key=f"{name}-{owner.pk if owner else 0}", owner=owner, **fields
    )


def make_opportunity(rep, customer, amount=None):
    from salesflow.pipeline import services as pipeline_services

    amount = D("300000") if amount is None else amount
    return pipeline_services.opportunity_create(
        actor=rep, customer_id=customer.pk, data={"name": "产线改造", "amount": amount}
    )


def decide_all(request: ApprovalRequest, people_in_order, approve=True, comment=""):
    for person in people_in_order:
        request = approvals.approval_decide(
            actor=person, request_id=request.pk, approve=approve, comment=comment
        )
    return request


def approve_contract(people, contract) -> Contract:
    """Submit the rep's contract and let each step of its chain approve it."""
    contract = services.contract_submit(actor=people["rep"], contract_id=contract.pk)
    if contract.status == ContractStatus.IN_APPROVAL:
        request = ApprovalRequest.objects.get(pk=contract.approval_id)
        deciders = {
            "sales_manager": people["manager"],
            "sales_director": people["director"],
            "finance": people["finance"],
        }
        decide_all(request, [deciders[step.role.code] for step in request.steps.all()])
        contract.refresh_from_db()
    return contract


def signed_contract(
    people,
    *,
    amount=None,
    customer=None,
    opportunity=None,
    signed_on: datetime.date | None = None,
) -> Contract:
    """The rep's contract (from an opportunity or for a customer), approved along its chain
    and signed by the rep."""
    rep = people["rep"]
    if opportunity is None:
        customer = customer or make_customer(rep)
    contract = services.contract_create(
        actor=rep,
        data={"amount": D("200000.00") if amount is None else amount},
        opportunity_id=opportunity.pk if opportunity else None,
        customer_id=None if opportunity else customer.pk,
    )
    approve_contract(people, contract)
    return services.contract_sign(
        actor=rep,
        contract_id=contract.pk,
        signed_on=signed_on or timezone.localdate(),
        win_opportunity=False,
    ).contract
