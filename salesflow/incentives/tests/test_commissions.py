"""Commission statements: Decimal money, rates by product line and customer type, tiers at
their boundaries (99.99% vs 100%), the cap, the director's approval and a reversed receipt
lowering the next statement."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from salesflow.core import approvals
from salesflow.core.errors import NotAllowed
from salesflow.core.models import ApprovalRequest
from salesflow.customers.models import Tier
from salesflow.deals.services import receivables
from salesflow.incentives.models import (
    CommissionBase,
    CommissionPlan,
    CommissionRate,
    CommissionTier,
    LineKind,
    StatementStatus,
)
from salesflow.incentives.services import commissions
from salesflow.pipeline.models import ProductLine

from .conftest import contract, customer, order, receipt, target

D = Decimal
JAN = (datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
FEB = (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))


@pytest.fixture
def plan(db):
    plan = CommissionPlan.objects.create(name="回款提成", default_rate=D("3"))
    CommissionRate.objects.create(
        plan=plan, product_line=ProductLine.objects.get(name="智能装备"), rate=D("5")
    )
    CommissionRate.objects.create(plan=plan, customer_type="key", rate=D("4"))
    for bound, factor in (("0", "0.8"), ("80", "1.0"), ("100", "1.2")):
        CommissionTier.objects.create(plan=plan, min_completion=D(bound), multiplier=D(factor))
    return plan


def compute(actor, plan, person, period):
    [statement] = commissions.statement_compute(
        actor=actor, plan_id=plan.pk, person_ids=[person.pk], date_from=period[0], date_to=period[1]
    )
    return statement


@pytest.mark.parametrize(
    ("collected", "completion", "multiplier", "commission"),
    [
        ("999900.00", D("0.9999"), D("1.0"), D("29997.00")),  # 99.99%: the 80–100 tier
        ("1000000.00", D("1.0000"), D("1.2"), D("36000.00")),  # 100%: the ≥ 100 tier
        ("999999.99", D("0.9999"), D("1.0"), D("30000.00")),  # 99.999999%: still below 100
        ("800000.00", D("0.8000"), D("1.0"), D("24000.00")),  # 80% inclusive
        ("799999.99", D("0.7999"), D("0.8"), D("19200.00")),  # 23999.9997 → 24000.00 × 0.8
    ],
)
def test_tier_boundaries_with_decimal_money(
    people, plan, collected, completion, multiplier, commission
):
    rep = people["rep"]
    target(rep, "collected", "1000000", period=JAN)
    ctr = contract(rep, customer(rep, first_deal=datetime.date(2025, 1, 1)))
    receipt(ctr, collected, datetime.date(2026, 1, 15))
    statement = compute(people["manager"], plan, rep, JAN)
    assert statement.completion == completion
    assert statement.multiplier == multiplier
    assert statement.commission == commission
    assert isinstance(statement.commission, Decimal)
    assert statement.total == commission
    [line] = statement.lines.all()
    assert line.kind == LineKind.RECEIPT and line.rate == D("3")


def test_rates_by_product_line_and_customer_type_each_line_traceable(people, plan, build):
    rep = people["rep"]
    smart = ProductLine.objects.get(name="智能装备")
    opp = build.opportunity(rep, created="2026-01-02")
    opp.product_lines.add(smart)
    line_ctr = contract(rep, customer(rep, first_deal=datetime.date(2025, 1, 1)), opportunity=opp)
    key_ctr = contract(rep, customer(rep, first_deal=datetime.date(2025, 1, 1), tier=Tier.KEY))
    plain_ctr = contract(rep, customer(rep, first_deal=datetime.date(2025, 1, 1)))
    r1 = receipt(line_ctr, "33333.33", datetime.date(2026, 1, 10))
    r2 = receipt(key_ctr, "10000.00", datetime.date(2026, 1, 11))
    r3 = receipt(plain_ctr, "10000.01", datetime.date(2026, 1, 12))
    receipt(plain_ctr, "5000.00", datetime.date(2026, 2, 1))  # next month
    statement = compute(people["manager"], plan, rep, JAN)
    lines = {line.receipt_id: line for line in statement.lines.all()}
    assert set(lines) == {r1.pk, r2.pk, r3.pk}
    assert (lines[r1.pk].rate, lines[r1.pk].amount) == (D("5"), D("1666.67"))  # 1666.6665
    assert lines[r1.pk].product_line == "智能装备"
    assert (lines[r2.pk].rate, lines[r2.pk].amount) == (D("4"), D("400.00"))
    assert (lines[r3.pk].rate, lines[r3.pk].amount) == (D("3"), D("300.00"))  # 300.0003
    assert lines[r1.pk].reference == r1.number and lines[r1.pk].contract_id == line_ctr.pk
    # no target: multiplier 1
    assert statement.completion is None and statement.multiplier == D(1)
    assert statement.base_total == D("53333.34")
    assert statement.commission == D("2366.67")


def test_signed_amount_base_and_cap(people, plan):
    rep = people["rep"]
    plan.base = CommissionBase.SIGNED
    plan.cap = D("5000.00")
    plan.save()
    target(rep, "sales_amount", "100000", period=JAN)
    cust = customer(rep, first_deal=datetime.date(2025, 1, 1))
    o = order(rep, cust, "200000", datetime.date(2026, 1, 20))
    statement = compute(people["manager"], plan, rep, JAN)
    [line] = statement.lines.all()
    assert line.kind == LineKind.ORDER and line.order_id == o.pk
    assert statement.gross == D("6000.00")  # 200000 × 3%
    assert statement.multiplier == D("1.2")  # 200%
    assert statement.capped and statement.commission == D("5000.00")


def approve(people, statement):
    statement = commissions.statement_submit(actor=people["manager"], statement_id=statement.pk)
    assert statement.status == StatementStatus.IN_APPROVAL
    request = ApprovalRequest.objects.get(pk=statement.approval_id)
    with pytest.raises(NotAllowed):
        approvals.approval_decide(actor=people["finance"], request_id=request.pk, approve=True)
    approvals.approval_decide(actor=people["director"], request_id=request.pk, approve=True)
    statement.refresh_from_db()
    assert statement.status == StatementStatus.APPROVED
    return statement


def test_reversed_receipt_lowers_the_next_statement(people, plan):
    rep, finance, manager = people["rep"], people["finance"], people["manager"]
    ctr = contract(rep, customer(rep, first_deal=datetime.date(2025, 1, 1)))
    kept = receivables.receipt_record(
        actor=finance, contract_id=ctr.pk, amount=D("100000.00"), received_on=JAN[0]
    )
    wrong = receivables.receipt_record(
        actor=finance,
        contract_id=ctr.pk,
        amount=D("50000.00"),
        received_on=datetime.date(2026, 1, 9),
    )
    january = compute(manager, plan, rep, JAN)
    assert january.total == D("4500.00")
    january = approve(people, january)

    receivables.receipt_record(
        actor=finance, contract_id=ctr.pk, amount=D("20000.00"), received_on=FEB[0]
    )
    february = compute(manager, plan, rep, FEB)
    assert february.total == D("600.00")

    receivables.receipt_delete(actor=finance, receipt_id=wrong.pk, reason="重复登记")
    # the approved January statement stays as paid
    january.refresh_from_db()
    assert january.total == D("4500.00")
    assert january.lines.filter(receipt_id=wrong.pk).exists()
    # February (still a draft) is recomputed at once with the reversal
    february.refresh_from_db()
    assert february.total == D("-900.00")
    february = compute(manager, plan, rep, FEB)
    reversal = february.lines.get(kind=LineKind.REVERSAL)
    assert reversal.receipt_id == wrong.pk and reversal.amount == D("-1500.00")
    assert february.commission == D("600.00")
    assert february.adjustments == D("-1500.00")
    assert february.total == D("-900.00")
    # recomputing again does not reverse twice
    february = compute(manager, plan, rep, FEB)
    assert february.adjustments == D("-1500.00")
    # submitting recomputes from the data; the approved reversal is not taken again in March
    approve(people, february)
    march = compute(manager, plan, rep, (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)))
    assert march.adjustments == D("0.00")
    assert kept.pk in set(january.lines.values_list("receipt_id", flat=True))


def test_reversal_before_approval_just_drops_the_line(people, plan):
    rep, finance = people["rep"], people["finance"]
    ctr = contract(rep, customer(rep, first_deal=datetime.date(2025, 1, 1)))
    r = receivables.receipt_record(
        actor=finance, contract_id=ctr.pk, amount=D("10000.00"), received_on=JAN[0]
    )
    assert compute(people["manager"], plan, rep, JAN).total == D("300.00")
    receivables.receipt_delete(actor=finance, receipt_id=r.pk, reason="误登记")
    statement = commissions.statement_submit(
        actor=people["manager"], statement_id=compute(people["manager"], plan, rep, JAN).pk
    )
    assert statement.total == D("0.00")
    assert not statement.lines.exists()
