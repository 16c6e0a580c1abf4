"""Orders: from signed contracts only, never above the contract; the credit limit (warning and
approval); the monthly change warning at its threshold; the ABC grade from the last 12 months
of orders at the band boundaries, with grade history; the first deal."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from salesflow.activities.models import Notification
from salesflow.core import approvals
from salesflow.core.errors import DomainError, NotAllowed
from salesflow.core.models import ApprovalRequest
from salesflow.customers.models import GradeChange, GradeSource
from salesflow.customers.rules import add_months
from salesflow.deals import services
from salesflow.deals.models import OrderStatus, RiskEvent, RiskKind
from salesflow.deals.services.orders import CreditLimitExceeded
from salesflow.deals.tests.conftest import make_customer, signed_contract

pytestmark = pytest.mark.django_db
D = Decimal


def place(people, contract, amount, *, day=None, reason=""):
    return services.order_create(
        actor=people["manager"],
        contract_id=contract.pk,
        data={"amount": D(amount), "order_date": day or timezone.localdate()},
        credit_reason=reason,
    )


def test_order_from_a_signed_contract_only(people):
    rep = people["rep"]
    contract = services.contract_create(
        actor=rep, data={"amount": D("1000")}, customer_id=make_customer(rep).pk
    )
    with pytest.raises(DomainError):
        place(people, contract, "100")
    with pytest.raises(NotAllowed):
        services.order_create(actor=rep, contract_id=contract.pk, data={"amount": D(1)})


def test_orders_never_exceed_the_contract(people):
    contract = signed_contract(people, amount=D("100000"))
    result = place(people, contract, "60000")
    assert result.order.status == OrderStatus.PENDING
    assert result.order.owner == people["rep"]
    assert result.order.number.startswith("DD-")
    with pytest.raises(ValidationError):
        place(people, contract, "40000.01")
    place(people, contract, "40000")


def test_credit_limit_warns_and_needs_approval(people):
    director = people["director"]
    customer = make_customer(people["rep"], credit_limit=D("150000"))
    contract = signed_contract(people, amount=D("400000"), customer=customer)
    place(people, contract, "100000")  # receivable 100000 ≤ 150000
    place(people, contract, "50000")  # exactly at the limit: fine
    with pytest.raises(CreditLimitExceeded) as exc:
        place(people, contract, "0.01")
    assert exc.value.receivable == D("150000")
    assert exc.value.limit == D("150000")

    result = place(people, contract, "80000", reason="老客户，月底回款")
    order = result.order
    assert order.status == OrderStatus.CREDIT_HOLD
    assert result.warnings
    assert RiskEvent.objects.filter(customer=customer, kind=RiskKind.OVER_LIMIT).exists()
    assert Notification.objects.filter(user=people["rep"], kind="customer.credit").exists()
    request = ApprovalRequest.objects.get(pk=order.credit_approval_id)
    assert [s.role.code for s in request.steps.all()] == ["sales_director"]
    # on hold it is not business yet: not in purchases, not in receivables
    customer.refresh_from_db()
    assert customer.purchases_12m == D("150000")
    with pytest.raises(DomainError):
        services.order_update_delivery(
            actor=people["manager"], order_id=order.pk, data={"status": OrderStatus.SHIPPED}
        )
    approvals.approval_decide(actor=director, request_id=request.pk, approve=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    customer.refresh_from_db()
    assert customer.purchases_12m == D("230000")


def test_rejected_credit_cancels_the_order(people):
    customer = make_customer(people["rep"], credit_limit=D("1000"))
    contract = signed_contract(people, amount=D("5000"), customer=customer)
    order = place(people, contract, "2000", reason="试单").order
    approvals.approval_decide(
        actor=people["director"], request_id=order.credit_approval_id, approve=False, comment="否"
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_receipts_free_the_credit_and_zero_limit_means_unchecked(people, make_user):
    finance = people["finance"]
    customer = make_customer(people["rep"], credit_limit=D("100000"))
    contract = signed_contract(people, amount=D("300000"), customer=customer)
    place(people, contract, "100000")
    services.receipt_record(
        actor=finance, contract_id=contract.pk, amount=D("60000"), received_on=timezone.localdate()
    )
    place(people, contract, "60000")  # receivable 40000 + 60000 = 100000
    services.credit_limit_set(
        actor=finance, customer_id=customer.pk, credit_limit=D(0), credit_rating="A", reason="取消"
    )
    place(people, contract, "100000")  # no limit set: no check


@pytest.mark.parametrize(
    ("current", "warned"), [("150000", True), ("149999.99", False), ("50000", False)]
)
def test_monthly_change_warning_at_the_threshold(people, current, warned):
    """Default threshold 50 %: last month 100000 → this month 150000 warns, 149999.99 not.
    While the month runs only rises are warned (a half month is not a drop)."""
    today = timezone.localdate()
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    customer = make_customer(people["rep"])
    contract = signed_contract(people, amount=D("1000000"), customer=customer)
    place(people, contract, "100000", day=last_month)
    result = place(people, contract, current, day=today.replace(day=1))
    events = RiskEvent.objects.filter(customer=customer, kind=RiskKind.ORDER_CHANGE)
    assert events.exists() is warned
    assert bool(result.warnings) is warned
    if warned:
        event = events.get()
        assert event.change_pct == D("50.00")
        assert event.period == f"{today:%Y-%m}"
        assert Notification.objects.filter(user=people["manager"], kind="customer.credit").exists()


def test_month_end_check_warns_drops(people):
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    customer = make_customer(people["rep"])
    contract = signed_contract(people, amount=D("1000000"), customer=customer)
    place(people, contract, "100000", day=last_month)
    place(people, contract, "50000", day=this_month)
    assert not RiskEvent.objects.filter(customer=customer).exists()
    event = services.order_change_check(customer_id=customer.pk, month=this_month)
    assert event.change_pct == D("-50.00")


# --- ABC grade from orders ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "grade"),
    [("500000.00", "A"), ("499999.99", "B"), ("100000.00", "B"), ("99999.99", "C")],
)
def test_abc_recompute_at_the_boundaries(people, amount, grade):
    customer = make_customer(people["rep"], grade="C", expected_annual_value=D("20000"))
    contract = signed_contract(people, amount=D(amount), customer=customer)
    place(people, contract, amount)
    customer.refresh_from_db()
    assert customer.purchases_12m == D(amount)
    assert customer.grade == grade
    assert customer.grade_source == GradeSource.ORDERS
    change = GradeChange.objects.filter(customer=customer).first()
    if grade != "C":
        assert (change.from_grade, change.to_grade) == ("C", grade)
        assert change.amount == D(amount)
        assert change.source == GradeSource.ORDERS
    else:
        assert not GradeChange.objects.filter(customer=customer).exists()


def test_twelve_month_window_and_nightly_regrade(people):
    today = timezone.localdate()
    customer = make_customer(people["rep"], grade="C")
    contract = signed_contract(
        people, amount=D("600000"), customer=customer, signed_on=today - datetime.timedelta(400)
    )
    old_day = add_months(today, -12) + datetime.timedelta(days=1)
    place(people, contract, "500000", day=old_day)  # inside the window (after a year ago)
    customer.refresh_from_db()
    assert customer.grade == "A"
    # a day later the order has left the window: the nightly job regrades to C
    changed = services.regrade_all(today=add_months(old_day, 12))
    assert changed == 1
    customer.refresh_from_db()
    assert customer.purchases_12m == D(0)
    assert customer.grade == "C"
    assert [g.to_grade for g in GradeChange.objects.filter(customer=customer)] == ["C", "A"]
    assert services.regrade_all(today=add_months(old_day, 12)) == 0  # idempotent


def test_manual_override_stands(people, make_user):
    from salesflow.customers.services import customer_grade_override

    customer = make_customer(people["rep"], grade="C")
    customer_grade_override(
        actor=people["director"], customer_id=customer.pk, grade="B", reason="战略"
    )
    contract = signed_contract(people, amount=D("600000"), customer=customer)
    place(people, contract, "600000")
    customer.refresh_from_db()
    assert customer.grade == "B"
    assert customer.purchases_12m == D("600000")


def test_first_deal_starts_the_new_customer_lifecycle(people):
    customer = make_customer(people["rep"])
    assert customer.lifecycle == "prospect"
    signed_contract(people, customer=customer)
    customer.refresh_from_db()
    assert customer.first_deal_at is not None
    assert customer.lifecycle == "new"


def test_delivery_status_and_cancel(people):
    manager = people["manager"]
    contract = signed_contract(people, amount=D("100000"))
    order = place(people, contract, "100000").order
    order = services.order_update_delivery(
        actor=manager, order_id=order.pk, data={"status": OrderStatus.SHIPPED}
    )
    assert order.shipped_on == timezone.localdate()
    with pytest.raises(services.IllegalTransition):
        services.order_update_delivery(
            actor=manager,
            order_id=order.pk,
            data={"status": OrderStatus.CANCELLED, "delivery_note": "x"},
        )
    order = services.order_update_delivery(
        actor=manager, order_id=order.pk, data={"status": OrderStatus.DELIVERED}
    )
    assert order.delivered_on == timezone.localdate()
    other = signed_contract(people, amount=D("5000"))
    second = place(people, other, "5000").order
    with pytest.raises(ValidationError):
        services.order_update_delivery(
            actor=manager, order_id=second.pk, data={"status": OrderStatus.CANCELLED}
        )
    services.order_update_delivery(
        actor=manager,
        order_id=second.pk,
        data={"status": OrderStatus.CANCELLED, "delivery_note": "客户取消"},
    )
    other.customer.refresh_from_db()
    assert other.customer.purchases_12m == D(0)
