"""Payment collection: plans in instalments, receipts matched to them (partial, full, over),
aging at the bucket boundaries, overdue warnings once per bucket, bad debts, and the rights:
finance records receipts but cannot change opportunities; a rep cannot record receipts."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from salesflow.activities.models import Notification
from salesflow.core.errors import DomainError, NotAllowed
from salesflow.core.scope import has_right
from salesflow.deals import rules, selectors, services
from salesflow.deals.models import PaymentPlan, PlanStatus, ReceiptAllocation
from salesflow.deals.tests.conftest import make_customer, make_opportunity, signed_contract
from salesflow.pipeline import services as pipeline_services

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.date(2026, 6, 15)


def plan(people, contract, amount, due, owner=None):
    return services.plan_create(
        actor=people["finance"],
        contract_id=contract.pk,
        due_date=due,
        amount=D(amount),
        owner=owner,
    )


def receive(people, contract, amount, day=None):
    return services.receipt_record(
        actor=people["finance"],
        contract_id=contract.pk,
        amount=D(amount),
        received_on=day or timezone.localdate(),
        method="bank",
        reference="622202000012345678901",
    )


@pytest.fixture
def contract(people):
    return signed_contract(people, amount=D("300000.00"))


def test_plans_never_exceed_the_contract(people, contract):
    today = timezone.localdate()
    first = plan(people, contract, "100000", today)
    assert first.sequence == 1 and first.owner == people["rep"]
    plan(people, contract, "150000", today + datetime.timedelta(days=30))
    with pytest.raises(ValidationError):
        plan(people, contract, "50000.01", today + datetime.timedelta(days=60))
    third = plan(people, contract, "50000", today + datetime.timedelta(days=60))
    assert third.sequence == 3


def test_partial_full_and_over_payment(people, contract):
    today = timezone.localdate()
    p1 = plan(people, contract, "100000", today - datetime.timedelta(days=10))
    p2 = plan(people, contract, "200000", today + datetime.timedelta(days=20))

    r1 = receive(people, contract, "40000.50")  # partial
    p1.refresh_from_db()
    assert p1.received_amount == D("40000.50")
    assert p1.status == PlanStatus.PARTIAL
    assert p1.outstanding == D("59999.50")
    assert r1.unapplied_amount == D(0)

    receive(people, contract, "59999.50")  # completes the first instalment exactly
    p1.refresh_from_db()
    p2.refresh_from_db()
    assert p1.status == PlanStatus.PAID and p2.received_amount == D(0)

    r3 = receive(people, contract, "250000")  # over-payment: 50000 left over
    p2.refresh_from_db()
    assert p2.status == PlanStatus.PAID
    assert r3.unapplied_amount == D("50000.00")
    allocated = sum(a.amount for a in ReceiptAllocation.objects.filter(receipt__contract=contract))
    assert allocated == D("300000.00")


def test_over_payment_pays_a_plan_added_later(people):
    contract = signed_contract(people, amount=D("100000"))
    plan(people, contract, "60000", timezone.localdate())
    receipt = receive(people, contract, "100000")
    assert receipt.unapplied_amount == D("40000")
    later = plan(people, contract, "40000", timezone.localdate() + datetime.timedelta(days=90))
    later.refresh_from_db()
    receipt.refresh_from_db()
    assert later.status == PlanStatus.PAID
    assert receipt.unapplied_amount == D(0)


def test_deleting_a_receipt_rematches(people, contract):
    p1 = plan(people, contract, "100000", timezone.localdate())
    receipt = receive(people, contract, "100000")
    with pytest.raises(ValidationError):
        services.receipt_delete(actor=people["finance"], receipt_id=receipt.pk, reason="")
    services.receipt_delete(actor=people["finance"], receipt_id=receipt.pk, reason="录错合同")
    p1.refresh_from_db()
    assert p1.received_amount == D(0)


def test_receipts_refused_for_a_rep_and_allowed_for_finance(people, contract):
    rep, finance = people["rep"], people["finance"]
    assert not has_right(rep, "receipt", "add")
    assert has_right(finance, "receipt", "add")
    with pytest.raises(NotAllowed):
        services.receipt_record(
            actor=rep, contract_id=contract.pk, amount=D(1), received_on=timezone.localdate()
        )
    with pytest.raises(NotAllowed):
        services.plan_create(
            actor=rep, contract_id=contract.pk, due_date=timezone.localdate(), amount=D(1)
        )
    assert receive(people, contract, "1").amount == D(1)


def test_receipt_rights_follow_the_role_table_not_role_names(people, make_user):
    """Give a rep's role the receipt add right and the same rep may record receipts."""
    from salesflow.core.scope import forget_rights
    from salesflow.org.models import RolePermission

    rep = people["rep"]
    contract = signed_contract(people, amount=D("1000"))
    row = RolePermission.objects.get(role__code="sales_rep", object_type="receipt")
    row.actions = ["view", "add"]
    row.save()
    forget_rights(rep)
    receipt = services.receipt_record(
        actor=rep, contract_id=contract.pk, amount=D(1), received_on=timezone.localdate()
    )
    assert receipt.recorded_by == rep


def test_finance_cannot_change_an_opportunity(people):
    rep, finance = people["rep"], people["finance"]
    opp = make_opportunity(rep, make_customer(rep))
    assert not has_right(finance, "opportunity", "change")
    with pytest.raises((NotAllowed, Http404)):
        pipeline_services.opportunity_update(
            actor=finance, opportunity_id=opp.pk, data={"amount": D(1)}
        )


def test_receipt_validation(people, contract):
    with pytest.raises(ValidationError):
        receive(people, contract, "0")
    with pytest.raises(ValidationError):
        receive(people, contract, "10", day=timezone.localdate() + datetime.timedelta(days=1))
    rep = people["rep"]
    draft_contract = services.contract_create(
        actor=rep, data={"amount": D(10)}, customer_id=make_customer(rep, name="草稿客户").pk
    )
    with pytest.raises(DomainError):
        receive(people, draft_contract, "10")


# --- aging -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-1, rules.NOT_DUE),
        (0, "0-30"),
        (30, "0-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "90+"),
        (400, "90+"),
    ],
)
def test_aging_bucket_boundaries(days, bucket):
    assert rules.aging_bucket(days) == bucket
    due = TODAY - datetime.timedelta(days=days)
    assert rules.aging_bucket(rules.days_overdue(due, TODAY)) == bucket
    if bucket != rules.NOT_DUE:
        earliest, latest = rules.due_range(bucket, TODAY)
        assert due <= latest and (earliest is None or due >= earliest)


def test_aging_summary_and_bucket_filter_use_the_same_boundaries(people):
    today = timezone.localdate()
    contract = signed_contract(
        people, amount=D("1000000"), signed_on=today - datetime.timedelta(200)
    )
    days_list = [0, 30, 31, 60, 61, 90, 91, -5]
    for index, days in enumerate(days_list):
        plan(people, contract, str(1000 * (index + 1)), today - datetime.timedelta(days=days))
    receive(people, contract, "500")  # partial on the oldest plan (91 days): 3500 left of 7000
    summary = selectors.aging_summary(user=people["finance"], today=today)
    amounts = {row.key: row.amount for row in summary.rows}
    assert amounts == {
        rules.NOT_DUE: D("8000"),
        "0-30": D("3000"),  # 1000 + 2000
        "31-60": D("7000"),  # 3000 + 4000
        "61-90": D("11000"),  # 5000 + 6000
        "90+": D("6500"),  # 7000 − 500
    }
    assert summary.overdue_amount == D("27500")
    for key in ("0-30", "31-60", "61-90", "90+"):
        plans = selectors.plan_list(user=people["finance"], filters={"bucket": key}, today=today)
        assert sum(p.outstanding for p in plans) == amounts[key]
    # the rep owns the plans (contract owner); another rep sees none of them
    assert selectors.aging_summary(user=people["other_rep"], today=today).total == D(0)
    assert selectors.aging_summary(user=people["rep"], today=today).total == summary.total


def test_overdue_warnings_once_per_bucket_to_owner_and_manager(people):
    today = timezone.localdate()
    contract = signed_contract(people, amount=D("10000"), signed_on=today - datetime.timedelta(90))
    overdue = plan(people, contract, "5000", today - datetime.timedelta(days=31))
    plan(people, contract, "5000", today + datetime.timedelta(days=40))  # not due: no warning
    sent = services.overdue_sweep(today=today)
    assert sent == 2
    rep_notes = Notification.objects.filter(user=people["rep"], kind="receivable.overdue")
    assert rep_notes.count() == 1
    assert "31–60天" in rep_notes.get().body
    assert (
        Notification.objects.filter(user=people["manager"], kind="receivable.overdue").count() == 1
    )
    assert services.overdue_sweep(today=today) == 0  # once per plan and bucket
    assert services.overdue_sweep(today=today + datetime.timedelta(days=30)) == 2  # 61–90
    receive(people, contract, "5000")
    overdue.refresh_from_db()
    assert overdue.status == PlanStatus.PAID
    # later only the second instalment (20 days overdue) is chased
    assert services.overdue_sweep(today=today + datetime.timedelta(days=60)) == 2


def test_bad_debt_flag(people):
    today = timezone.localdate()
    contract = signed_contract(people, amount=D("10000"), signed_on=today - datetime.timedelta(200))
    row = plan(people, contract, "10000", today - datetime.timedelta(days=150))
    with pytest.raises(Http404):
        services.plan_mark_bad_debt(actor=people["rep"], plan_id=row.pk, bad_debt=True, reason="x")
    row = services.plan_mark_bad_debt(
        actor=people["finance"], plan_id=row.pk, bad_debt=True, reason="客户破产清算"
    )
    assert row.bad_debt and row.bad_debt_at
    summary = selectors.aging_summary(user=people["finance"], today=today)
    assert summary.bad_debt_amount == D("10000")
    assert services.overdue_sweep(today=today) == 0  # bad debts are not chased
    assert PaymentPlan.objects.filter(bad_debt=True).count() == 1


def test_credit_limit_is_set_by_finance_not_by_a_rep(people):
    customer = make_customer(people["rep"])
    with pytest.raises(NotAllowed):
        services.credit_limit_set(
            actor=people["rep"],
            customer_id=customer.pk,
            credit_limit=D(1),
            credit_rating="A",
            reason="x",
        )
    customer = services.credit_limit_set(
        actor=people["finance"],
        customer_id=customer.pk,
        credit_limit=D("200000"),
        credit_rating="AA",
        reason="年度授信",
    )
    customer.refresh_from_db()
    assert customer.credit_limit == D("200000") and customer.credit_rating == "AA"
