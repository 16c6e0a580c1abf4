"""Quotes: lines from the catalog, discount approval above the threshold (exactly at it: none),
sending and contracts blocked until approved, edits taking an approved quote back to draft."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from salesflow.core import approvals
from salesflow.core.errors import DomainError
from salesflow.core.services import setting_change
from salesflow.deals import services
from salesflow.deals.models import QuoteStatus
from salesflow.deals.tests.conftest import make_customer

pytestmark = pytest.mark.django_db
D = Decimal


def new_quote(people, catalog, discount, quantity="2"):
    rep = people["rep"]
    customer = make_customer(rep)
    return services.quote_create(
        actor=rep,
        customer_id=customer.pk,
        data={"title": "焊接线报价"},
        lines=[
            {"product": catalog["robot"].pk, "quantity": D(quantity), "discount_pct": D(discount)},
            {"product": catalog["mes"].pk, "quantity": D("1"), "discount_pct": D("0")},
        ],
    )


def test_totals_and_margin(people, catalog):
    quote = new_quote(people, catalog, "5")
    # 2 × 100000 × 95% + 33333.33 = 223333.33 ; cost 124000 + 5000
    assert quote.total == D("223333.33")
    assert quote.list_total == D("233333.33")
    assert quote.cost_total == D("129000.00")
    assert quote.margin_amount == D("94333.33")
    assert quote.max_discount_pct == D("5")
    assert quote.number.startswith("BJ-")
    assert quote.lines.count() == 2


def test_exactly_at_threshold_needs_no_approval(people, catalog):
    quote = new_quote(people, catalog, "10")
    assert not services.quote_needs_approval(quote)
    with pytest.raises(DomainError):
        services.quote_submit(actor=people["rep"], quote_id=quote.pk, reason="客户压价")
    sent = services.quote_send(actor=people["rep"], quote_id=quote.pk)
    assert sent.status == QuoteStatus.SENT


def test_above_threshold_blocks_sending_and_contract_until_approved(people, catalog):
    rep, manager = people["rep"], people["manager"]
    quote = new_quote(people, catalog, "10.01")
    assert services.quote_needs_approval(quote)
    with pytest.raises(DomainError) as exc:
        services.quote_send(actor=rep, quote_id=quote.pk)
    assert exc.value.code == "approval"
    with pytest.raises(DomainError):
        services.contract_create(actor=rep, data={}, quote_id=quote.pk)

    request = services.quote_submit(actor=rep, quote_id=quote.pk, reason="战略客户首单")
    assert [s.role.code for s in request.steps.all()] == ["sales_manager"]
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PENDING
    with pytest.raises(DomainError):
        services.quote_send(actor=rep, quote_id=quote.pk)
    assert approvals.can_decide(manager, request)
    assert not approvals.can_decide(people["other_manager"], request)  # not in their scope

    approvals.approval_decide(actor=manager, request_id=request.pk, approve=True)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED
    contract = services.contract_create(actor=rep, data={}, quote_id=quote.pk)
    assert contract.amount == quote.total
    assert contract.discount_pct == D("10.01")
    assert services.quote_send(actor=rep, quote_id=quote.pk).status == QuoteStatus.SENT


def test_director_threshold_adds_a_step_and_rejection_returns(people, catalog):
    rep, manager, director = people["rep"], people["manager"], people["director"]
    quote = new_quote(people, catalog, "25")
    request = services.quote_submit(actor=rep, quote_id=quote.pk, reason="竞争激烈")
    assert [s.role.code for s in request.steps.all()] == ["sales_manager", "sales_director"]
    approvals.approval_decide(actor=manager, request_id=request.pk, approve=True)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PENDING  # one step left
    approvals.approval_decide(actor=director, request_id=request.pk, approve=False, comment="太低")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.REJECTED
    with pytest.raises(DomainError):
        services.quote_send(actor=rep, quote_id=quote.pk)


def test_threshold_is_a_setting(people, catalog, make_user):
    admin = make_user("admin")
    setting_change(actor=admin, key="deal.discount_approval_threshold", value="5", reason="试点")
    quote = new_quote(people, catalog, "6")
    assert services.quote_needs_approval(quote)


def test_editing_an_approved_quote_needs_a_new_approval(people, catalog):
    rep, manager = people["rep"], people["manager"]
    quote = new_quote(people, catalog, "15")
    request = services.quote_submit(actor=rep, quote_id=quote.pk, reason="大单")
    approvals.approval_decide(actor=manager, request_id=request.pk, approve=True)
    services.quote_update(
        actor=rep,
        quote_id=quote.pk,
        data={"terms": "含税含运费"},
        lines=[{"product": catalog["robot"].pk, "quantity": D("3"), "discount_pct": D("15")}],
    )
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT
    assert quote.approval_id is None
    with pytest.raises(DomainError):
        services.quote_send(actor=rep, quote_id=quote.pk)


def test_withdrawing_the_request_returns_to_draft(people, catalog):
    rep = people["rep"]
    quote = new_quote(people, catalog, "12")
    request = services.quote_submit(actor=rep, quote_id=quote.pk, reason="大单")
    approvals.approval_cancel(actor=rep, request_id=request.pk)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT


def test_bad_lines_are_refused(people, catalog):
    rep = people["rep"]
    customer = make_customer(rep)
    for row in (
        {"product": catalog["robot"].pk, "quantity": D("0"), "discount_pct": D("0")},
        {"product": catalog["robot"].pk, "quantity": D("1"), "discount_pct": D("100.5")},
        {"product": catalog["robot"].pk, "quantity": D("1.001"), "discount_pct": D("0")},
    ):
        with pytest.raises(ValidationError):
            services.quote_create(actor=rep, customer_id=customer.pk, data={}, lines=[row])
    catalog["mes"].is_active = False
    catalog["mes"].save()
    with pytest.raises(ValidationError):
        services.quote_create(
            actor=rep,
            customer_id=customer.pk,
            data={},
            lines=[{"product": catalog["mes"].pk, "quantity": 1}],
        )


def test_customer_answer_and_illegal_moves(people, catalog):
    rep = people["rep"]
    quote = new_quote(people, catalog, "0")
    with pytest.raises(services.IllegalTransition):
        services.quote_answer(actor=rep, quote_id=quote.pk, accepted=True)
    services.quote_send(actor=rep, quote_id=quote.pk)
    quote = services.quote_answer(actor=rep, quote_id=quote.pk, accepted=True)
    assert quote.status == QuoteStatus.ACCEPTED
    with pytest.raises(DomainError):
        services.quote_update(actor=rep, quote_id=quote.pk, data={"terms": "x"})


def test_quotes_of_others_are_not_found(people, catalog):
    from django.http import Http404

    quote = new_quote(people, catalog, "0")
    with pytest.raises(Http404):
        services.quote_send(actor=people["other_rep"], quote_id=quote.pk)
