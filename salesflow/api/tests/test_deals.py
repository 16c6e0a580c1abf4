"""/api/v1 deal to cash: products, quotes (lines, discount approval, send, answer), contracts
(from a quote / an opportunity / a customer, approval, withdraw, sign winning the opportunity,
close), orders (credit-limit path, delivery), payment plans and receipts (matching, bad debt,
reversal). Status codes, side effects, 422 field paths with nothing written, 409 refusals, 412
on a stale If-Match, idempotent replays, rights and data scope, exact Decimal totals."""

# ruff: noqa: F811  (the deals fixtures are imported by name and then requested by name)

import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from salesflow.core import approvals
from salesflow.core.models import ApprovalRequest
from salesflow.deals import services
from salesflow.deals.models import (
    Contract,
    DealEvent,
    Order,
    PaymentPlan,
    Product,
    Quote,
    QuoteLine,
    Receipt,
    RiskEvent,
)
from salesflow.deals.tests.conftest import (  # noqa: F401  (fixtures)
    approve_contract,
    catalog,
    make_customer,
    make_opportunity,
    people,
    signed_contract,
)
from salesflow.pipeline.models import Opportunity, ProductLine

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = timezone.localdate


def quote_body(customer, catalog, **extra):
    return {
        "customer_id": customer.pk,
        "title": "焊接产线报价",
        "lines": [
            {"product_id": catalog["robot"].pk, "quantity": "2", "discount_pct": "5"},
            {"product_id": catalog["mes"].pk, "quantity": "3"},
        ],
        **extra,
    }


def locs(response):
    return [item["loc"] for item in response.json()["detail"]]


def decide(request_id, *deciders):
    for person in deciders:
        approvals.approval_decide(actor=person, request_id=request_id, approve=True)


# --- products ---------------------------------------------------------------------------------


def test_products_create_change_and_who_sees_the_cost(people, api_as, make_user):
    line = ProductLine.objects.get(name="智能装备")
    director = api_as(people["director"])
    created = director.post(
        "/api/v1/products",
        {"product_line_id": line.pk, "name": "激光切割机", "unit": "台",
         "list_price": "258000.5", "standard_cost": "150000"},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    product = created.json()
    assert product["list_price"] == "258000.50" and product["standard_cost"] == "150000.00"
    assert product["product_line"] == {"id": line.pk, "name": line.name}

    rep = api_as(people["rep"])
    seen = rep.get(f"/api/v1/products/{product['id']}").json()
    assert seen["list_price"] == "258000.50" and seen["standard_cost"] is None
    for role in ("customer_service", "marketing"):
        listed = api_as(make_user(role)).get("/api/v1/products", {"q": "激光"}).json()["items"]
        assert [(p["id"], p["standard_cost"]) for p in listed] == [(product["id"], None)]
    body = {"product_line_id": line.pk, "name": "新品", "list_price": "1", "standard_cost": "1"}
    assert rep.post("/api/v1/products", body).status_code == 403
    url = f"/api/v1/products/{product['id']}"
    assert rep.patch(url, {"list_price": "1"}).status_code == 403

    etag = director.get(url)["ETag"]
    changed = director.patch(url, {"list_price": "260000"}, {"If-Match": etag})
    assert changed.status_code == 200 and changed.json()["list_price"] == "260000.00"
    stale = director.patch(url, {"is_active": False}, {"If-Match": etag})
    assert stale.status_code == 412
    assert Product.objects.get(pk=product["id"]).is_active


def test_product_input_errors_point_at_the_field(people, api_as):
    api = api_as(people["director"])
    line = ProductLine.objects.get(name="智能装备")
    unknown_line = api.post(
        "/api/v1/products",
        {"product_line_id": 999999, "name": "X", "list_price": "1", "standard_cost": "1"},
    )
    assert unknown_line.status_code == 422
    assert locs(unknown_line) == [["body", "product_line_id"]]
    negative = api.post(
        "/api/v1/products",
        {"product_line_id": line.pk, "name": "X", "list_price": "-1", "standard_cost": "1.001"},
    )
    assert negative.status_code == 422
    assert sorted(locs(negative)) == [["body", "list_price"], ["body", "standard_cost"]]
    assert not Product.objects.filter(name="X").exists()


# --- quotes -----------------------------------------------------------------------------------


def test_quote_lines_totals_are_exact_and_the_quote_is_sent_and_accepted(people, catalog, api_as):
    customer = make_customer(people["rep"])
    api = api_as(people["rep"])
    created = api.post("/api/v1/quotes", quote_body(customer, catalog))
    assert created.status_code == 201, created.content
    quote = created.json()
    assert quote["status"] == "draft" and quote["number"].startswith("BJ-")
    # 100000 × 2 × 95% + 33333.33 × 3: each line rounded once, totals are sums of lines
    assert [line["amount"] for line in quote["lines"]] == ["190000.00", "99999.99"]
    assert quote["total"] == "289999.99" and quote["list_total"] == "299999.99"
    assert quote["cost_total"] == "139000.00" and quote["margin_amount"] == "150999.99"
    assert quote["max_discount_pct"] == "5.00" and quote["margin_pct"] == "52.07"
    assert not quote["needs_approval"] and quote["usable"]

    url = f"/api/v1/quotes/{quote['id']}"
    changed = api.patch(
        url, {"lines": [{"product_id": catalog["mes"].pk, "quantity": "0.5", "discount_pct": "0"}]}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["total"] == "16666.67"  # 16666.665 rounded half up, once
    sent = api.post(f"{url}/send")
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    assert api.patch(url, {"title": "改名"}).status_code == 409  # a sent quote is final
    answered = api.post(f"{url}/answer", {"accepted": True, "note": "客户盖章回传"})
    assert answered.status_code == 200 and answered.json()["status"] == "accepted"
    assert api.post(f"{url}/answer", {"accepted": False}).status_code == 409
    kinds = list(DealEvent.objects.filter(quote_id=quote["id"]).values_list("kind", flat=True))
    assert kinds == ["quote.create", "quote.send", "quote.answer"]


def test_quote_discount_needs_approval_before_sending(people, catalog, api_as):
    customer = make_customer(people["rep"])
    api = api_as(people["rep"])
    body = quote_body(customer, catalog)
    body["lines"][0]["discount_pct"] = "15"
    quote = api.post("/api/v1/quotes", body).json()
    assert quote["needs_approval"] and not quote["usable"]
    url = f"/api/v1/quotes/{quote['id']}"
    refused = api.post(f"{url}/send")
    assert refused.status_code == 409 and refused.json()["code"] == "approval"
    assert api.post(f"{url}/submit", {"reason": ""}).status_code == 422
    submitted = api.post(f"{url}/submit", {"reason": "战略客户首单"})
    assert submitted.status_code == 200, submitted.content
    approval = submitted.json()["approval"]
    assert submitted.json()["status"] == "pending" and approval["status"] == "pending"
    assert [step["role"] for step in approval["steps"]] == ["销售经理"]
    assert api.post(f"{url}/submit", {"reason": "再提交"}).status_code == 409
    decide(approval["id"], people["manager"])
    assert api.get(url).json()["status"] == "approved"
    assert api.post(f"{url}/send").json()["status"] == "sent"


def test_quote_input_errors_have_paths_and_write_nothing(people, catalog, api_as):
    customer = make_customer(people["rep"])
    api = api_as(people["rep"])
    body = quote_body(customer, catalog)
    body["lines"][1]["quantity"] = "0"
    body["lines"][0]["discount_pct"] = "100.5"
    bad = api.post("/api/v1/quotes", body)
    assert bad.status_code == 422
    assert sorted(locs(bad)) == [["body", "lines", 0, "discount_pct"], ["body", "lines", 1, "quantity"]]  # fmt: skip
    unknown = api.post(
        "/api/v1/quotes",
        {"customer_id": customer.pk, "lines": [{"product_id": 999999, "quantity": "1"}]},
    )
    assert unknown.status_code == 422
    assert locs(unknown) == [["body", "lines", 0, "product_id"]]
    theirs = make_customer(people["other_rep"], name="北方客户")
    hidden = api.post("/api/v1/quotes", quote_body(theirs, catalog))
    assert hidden.status_code == 422 and locs(hidden) == [["body", "customer_id"]]
    assert Quote.objects.count() == 0 and QuoteLine.objects.count() == 0


# --- contracts --------------------------------------------------------------------------------


def test_contract_from_a_quote_approved_and_signed_wins_the_opportunity(people, catalog, api_as):
    rep = people["rep"]
    customer = make_customer(rep)
    opportunity = make_opportunity(rep, customer)
    api = api_as(rep)
    quote = api.post(
        "/api/v1/quotes", quote_body(customer, catalog, opportunity_id=opportunity.pk)
    ).json()
    win = api.post(f"/api/v1/opportunities/{opportunity.pk}/win", {"amount": "1"})
    assert win.status_code == 409  # no signed contract yet

    created = api.post("/api/v1/contracts", {"quote_id": quote["id"], "payment_terms": "30/70"})
    assert created.status_code == 201, created.content
    contract = created.json()
    assert contract["amount"] == "289999.99" and contract["discount_pct"] == "5.00"
    assert contract["quote"]["id"] == quote["id"]
    assert contract["opportunity"]["id"] == opportunity.pk and contract["status"] == "draft"
    url = f"/api/v1/contracts/{contract['id']}"

    submitted = api.post(f"{url}/submit", {})
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "in_approval"
    assert [s["role"] for s in submitted.json()["approval"]["steps"]] == ["销售经理"]
    early = api.post(f"{url}/sign", {"signed_on": str(TODAY())})
    assert early.status_code == 409 and early.json()["code"] == "transition"
    decide(submitted.json()["approval"]["id"], people["manager"])
    assert api.get(url).json()["status"] == "approved"

    future = api.post(f"{url}/sign", {"signed_on": str(TODAY() + datetime.timedelta(days=1))})
    assert future.status_code == 422 and locs(future) == [["body", "signed_on"]]
    signed = api.post(f"{url}/sign", {"signed_on": str(TODAY())})
    assert signed.status_code == 200, signed.content
    result = signed.json()
    assert result["won"] is True and result["win_error"] == ""
    assert result["contract"]["status"] == "signed"
    assert result["contract"]["start_on"] == str(TODAY())
    opportunity.refresh_from_db()
    assert opportunity.status == "won" and opportunity.amount == D("289999.99")
    kinds = [e["kind"] for e in result["contract"]["events"]]
    assert kinds == ["contract.create", "contract.submit", "contract.approved", "contract.sign"]


def test_signing_without_the_right_on_the_opportunity_still_signs(people, api_as):
    """Finance may not sign (no change right on contracts: 404); without ``win_opportunity``
    the signature leaves the linked opportunity open."""
    rep = people["rep"]
    opportunity = make_opportunity(rep, make_customer(rep))
    created = api_as(rep).post(
        "/api/v1/contracts", {"opportunity_id": opportunity.pk, "end_on": "2027-06-30"}
    )
    assert created.status_code == 201, created.content
    assert created.json()["amount"] == "300000.00"  # the opportunity's amount
    assert created.json()["customer"]["id"] == opportunity.customer_id
    contract = Contract.objects.get(pk=created.json()["id"])
    approve_contract(people, contract)
    url = f"/api/v1/contracts/{contract.pk}/sign"
    assert api_as(people["finance"]).post(url, {"signed_on": str(TODAY())}).status_code == 404
    kept = api_as(people["manager"]).post(
        url, {"signed_on": str(TODAY()), "win_opportunity": False}
    )
    assert kept.status_code == 200 and kept.json()["won"] is False
    opportunity.refresh_from_db()
    assert opportunity.status == "open"


def test_contract_withdraw_update_and_close(people, api_as):
    rep = people["rep"]
    customer = make_customer(rep)
    api = api_as(rep)
    created = api.post("/api/v1/contracts", {"customer_id": customer.pk, "amount": "80000"})
    assert created.status_code == 201, created.content
    url = f"/api/v1/contracts/{created.json()['id']}"
    assert api.post(f"{url}/withdraw").status_code == 409  # not in approval
    submitted = api.post(f"{url}/submit", {"reason": "常规合同"}).json()
    assert submitted["status"] == "in_approval"
    assert api.patch(url, {"amount": "90000"}).status_code == 409
    withdrawn = api.post(f"{url}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "draft"
    request = ApprovalRequest.objects.get(pk=submitted["approval"]["id"])
    assert request.status == ApprovalRequest.Status.CANCELLED
    changed = api.patch(url, {"amount": "90000.10", "end_on": "2027-12-31"})
    assert changed.status_code == 200 and changed.json()["amount"] == "90000.10"
    backwards = api.patch(url, {"start_on": "2028-01-01"})
    assert backwards.status_code == 422 and locs(backwards) == [["body", "end_on"]]
    assert api.post(f"{url}/close", {"completed": True}).status_code == 409
    no_reason = api.post(f"{url}/close", {"completed": False, "reason": " "})
    assert no_reason.status_code == 422 and locs(no_reason) == [["body", "reason"]]
    closed = api.post(f"{url}/close", {"completed": False, "reason": "客户取消采购"})
    assert closed.status_code == 200 and closed.json()["status"] == "terminated"
    assert closed.json()["closed_reason"] == "客户取消采购"


def test_contract_create_refusals(people, catalog, api_as):
    rep = people["rep"]
    customer = make_customer(rep)
    api = api_as(rep)
    none = api.post("/api/v1/contracts", {"title": "无来源"})
    assert none.status_code == 422 and locs(none) == [["body", "quote_id"]]
    opportunity = make_opportunity(rep, customer)
    two = api.post(
        "/api/v1/contracts", {"customer_id": customer.pk, "opportunity_id": opportunity.pk}
    )
    assert two.status_code == 422 and locs(two) == [["body", "customer_id"]]
    no_amount = api.post("/api/v1/contracts", {"customer_id": customer.pk})
    assert no_amount.status_code == 422 and locs(no_amount) == [["body", "amount"]]
    theirs = make_customer(people["other_rep"], name="北方客户")
    hidden = api.post("/api/v1/contracts", {"customer_id": theirs.pk, "amount": "1"})
    assert hidden.status_code == 422 and locs(hidden) == [["body", "customer_id"]]
    body = quote_body(customer, catalog)
    body["lines"][0]["discount_pct"] = "25"
    quote = api.post("/api/v1/quotes", body).json()
    unapproved = api.post("/api/v1/contracts", {"quote_id": quote["id"]})
    assert unapproved.status_code == 409 and unapproved.json()["code"] == "approval"
    finance = api_as(people["finance"]).post(
        "/api/v1/contracts", {"customer_id": customer.pk, "amount": "1"}
    )
    assert finance.status_code == 403  # finance sees the customer but drafts no contracts
    assert Contract.objects.count() == 0


# --- orders -----------------------------------------------------------------------------------


def test_order_over_the_credit_limit_is_refused_or_held_for_approval(people, api_as):
    customer = make_customer(people["rep"], credit_limit=D("100000"))
    contract = signed_contract(people, amount=D("200000"), customer=customer)
    manager = api_as(people["manager"])
    refused = manager.post("/api/v1/orders", {"contract_id": contract.pk, "amount": "150000"})
    assert refused.status_code == 409 and refused.json()["code"] == "credit_limit"
    assert not Order.objects.exists()

    held = manager.post(
        "/api/v1/orders",
        {"contract_id": contract.pk, "amount": "150000", "credit_reason": "老客户，月底回款"},
    )
    assert held.status_code == 201, held.content
    order = held.json()
    assert order["status"] == "credit_hold" and order["warnings"]
    assert order["credit_approval"]["status"] == "pending"
    assert [s["role"] for s in order["credit_approval"]["steps"]] == ["销售总监"]
    url = f"/api/v1/orders/{order['id']}"
    on_hold = manager.patch(url, {"status": "shipped"})
    assert on_hold.status_code == 409
    decide(order["credit_approval"]["id"], people["director"])
    assert manager.get(url).json()["status"] == "pending"

    over = manager.post("/api/v1/orders", {"contract_id": contract.pk, "amount": "50000.01"})
    assert over.status_code == 422 and locs(over) == [["body", "amount"]]
    shipped = manager.patch(url, {"status": "shipped", "delivery_note": "第一批发货"})
    assert shipped.status_code == 200, shipped.content
    assert shipped.json()["shipped_on"] == str(TODAY())
    assert [e["kind"] for e in shipped.json()["events"]][-1] == "order.delivery"
    assert manager.patch(url, {"status": "pending"}).status_code == 409
    no_note = manager.patch(url, {"status": "cancelled", "delivery_note": ""})
    assert no_note.status_code == 422 and locs(no_note) == [["body", "delivery_note"]]
    assert manager.get(url).json()["status"] == "shipped"
    delivered = manager.patch(url, {"status": "delivered", "delivered_on": "2020-01-01"})
    assert delivered.status_code == 422 and locs(delivered) == [["body", "delivered_on"]]
    delivered = manager.patch(url, {"status": "delivered"})
    assert delivered.status_code == 200 and delivered.json()["delivered_on"] == str(TODAY())
    rep = api_as(people["rep"])
    assert rep.get(url).status_code == 200
    assert rep.patch(url, {"status": "delivered"}).status_code == 404  # may not change orders
    placed = rep.post("/api/v1/orders", {"contract_id": contract.pk, "amount": "1"})
    assert placed.status_code == 403


def test_order_needs_a_signed_contract_in_scope(people, api_as):
    rep = people["rep"]
    draft = services.contract_create(
        actor=rep, data={"amount": D("1000")}, customer_id=make_customer(rep).pk
    )
    manager = api_as(people["manager"])
    refused = manager.post("/api/v1/orders", {"contract_id": draft.pk, "amount": "100"})
    assert refused.status_code == 409
    other = api_as(people["other_manager"])
    hidden = other.post("/api/v1/orders", {"contract_id": draft.pk, "amount": "100"})
    assert hidden.status_code == 422 and locs(hidden) == [["body", "contract_id"]]


# --- payment plans and receipts -----------------------------------------------------------------


def test_receipts_are_matched_to_plans_exactly_and_reversed_with_a_reason(people, api_as):
    contract = signed_contract(people, amount=D("200000"))
    finance = api_as(people["finance"])
    plan_ids = []
    for days, amount in ((-40, "66666.67"), (-10, "66666.67"), (30, "66666.66")):
        created = finance.post(
            "/api/v1/payment-plans",
            {"contract_id": contract.pk, "amount": amount,
             "due_date": str(TODAY() + datetime.timedelta(days=days))},
        )  # fmt: skip
        assert created.status_code == 201, created.content
        plan_ids.append(created.json()["id"])
    assert [PaymentPlan.objects.get(pk=pk).sequence for pk in plan_ids] == [1, 2, 3]
    too_much = finance.post(
        "/api/v1/payment-plans",
        {"contract_id": contract.pk, "amount": "0.01", "due_date": str(TODAY())},
    )
    assert too_much.status_code == 422 and locs(too_much) == [["body", "amount"]]

    first = finance.post(
        "/api/v1/receipts",
        {"contract_id": contract.pk, "amount": "100000.01", "received_on": str(TODAY()),
         "reference": "招行流水 0001"},
    )  # fmt: skip
    assert first.status_code == 201, first.content
    receipt = first.json()
    assert receipt["number"].startswith("HK-") and receipt["unapplied_amount"] == "0.00"
    assert [(a["plan_id"], a["amount"]) for a in receipt["allocations"]] == [
        (plan_ids[0], "66666.67"),
        (plan_ids[1], "33333.34"),
    ]
    plan = finance.get(f"/api/v1/payment-plans/{plan_ids[1]}").json()
    assert plan["received_amount"] == "33333.34" and plan["outstanding"] == "33333.33"
    assert plan["status"] == "partial" and plan["days_overdue"] == 10
    assert plan["aging_bucket"] == "0-30"

    second = finance.post(
        "/api/v1/receipts",
        {"contract_id": contract.pk, "amount": "100000.00", "received_on": str(TODAY())},
    ).json()
    assert second["unapplied_amount"] == "0.01"  # 溢收: more than every plan
    assert [a["amount"] for a in second["allocations"]] == ["33333.33", "66666.66"]
    paid = finance.get("/api/v1/payment-plans", {"contract_id": contract.pk, "state": "paid"})
    assert sorted(p["id"] for p in paid.json()["items"]) == sorted(plan_ids)

    url = f"/api/v1/receipts/{receipt['id']}"
    no_reason = finance.delete(url)
    assert no_reason.status_code == 422 and locs(no_reason) == [["query", "reason"]]
    blank = finance.delete(f"{url}?reason=%20")
    assert blank.status_code == 422 and locs(blank) == [["query", "reason"]]
    assert finance.delete(f"{url}?reason=重复登记").status_code == 204
    assert not Receipt.objects.filter(pk=receipt["id"]).exists()
    left = Receipt.objects.get(pk=second["id"])
    assert left.unapplied_amount == D("0.00")
    received = [PaymentPlan.objects.get(pk=pk).received_amount for pk in plan_ids]
    assert received == [D("66666.67"), D("33333.33"), D("0.00")]
    event = DealEvent.objects.get(kind="receipt.delete")
    assert event.note.endswith("重复登记") and event.amount == D("100000.01")
    assert finance.delete(f"/api/v1/payment-plans/{plan_ids[0]}").status_code == 409


def test_plan_change_bad_debt_and_delete(people, api_as):
    contract = signed_contract(people, amount=D("50000"))
    finance = api_as(people["finance"])
    plan = finance.post(
        "/api/v1/payment-plans",
        {"contract_id": contract.pk, "amount": "20000", "due_date": "2025-01-10",
         "owner_id": people["rep"].pk, "note": "首付款"},
    ).json()  # fmt: skip
    assert plan["owner"]["id"] == people["rep"].pk and plan["aging_bucket"] == "90+"
    url = f"/api/v1/payment-plans/{plan['id']}"
    etag = finance.get(url)["ETag"]
    changed = finance.patch(url, {"amount": "25000"}, {"If-Match": etag})
    assert changed.status_code == 200 and changed.json()["amount"] == "25000.00"
    stale = finance.post(
        f"{url}/bad-debt", {"bad_debt": True, "reason": "破产"}, {"If-Match": etag}
    )
    assert stale.status_code == 412
    marked = finance.post(f"{url}/bad-debt", {"bad_debt": True, "reason": "客户破产清算"})
    assert marked.status_code == 200 and marked.json()["bad_debt"] is True
    assert RiskEvent.objects.filter(plan_id=plan["id"], kind="bad_debt").count() == 1
    again = finance.post(f"{url}/bad-debt", {"bad_debt": True, "reason": "再标记"})
    assert again.status_code == 409
    rep = api_as(people["rep"])
    assert rep.get(url).status_code == 200  # the rep collects it: in scope to read
    assert rep.patch(url, {"note": "催款"}).status_code == 404  # but may not change plans
    assert finance.delete(url).status_code == 204
    assert not PaymentPlan.objects.filter(pk=plan["id"]).exists()


def test_finance_records_receipts_but_does_not_change_opportunities(people, api_as):
    rep = people["rep"]
    opportunity = make_opportunity(rep, make_customer(rep))
    contract = signed_contract(people, opportunity=opportunity)
    finance = api_as(people["finance"])
    body = {"contract_id": contract.pk, "amount": "1000", "received_on": str(TODAY())}
    assert finance.post("/api/v1/receipts", body).status_code == 201
    assert (
        finance.patch(f"/api/v1/opportunities/{opportunity.pk}", {"name": "改名"}).status_code
        == 404
    )
    assert (
        finance.post(f"/api/v1/opportunities/{opportunity.pk}/win", {"amount": "1"}).status_code
        == 404
    )
    rep_api = api_as(rep)
    refused = rep_api.post("/api/v1/receipts", body)
    assert refused.status_code == 403
    receipt_id = Receipt.objects.get().pk
    assert rep_api.get(f"/api/v1/receipts/{receipt_id}").status_code == 200  # own contract
    assert rep_api.delete(f"/api/v1/receipts/{receipt_id}?reason=错误").status_code == 404
    assert Receipt.objects.count() == 1
    future = finance.post(
        "/api/v1/receipts", {**body, "received_on": str(TODAY() + datetime.timedelta(days=2))}
    )
    assert future.status_code == 422 and locs(future) == [["body", "received_on"]]
    bad = finance.post("/api/v1/receipts", {**body, "amount": "0", "method": "bitcoin"})
    assert bad.status_code == 422
    assert sorted(locs(bad)) == [["body", "amount"], ["body", "method"]]
    assert Receipt.objects.count() == 1


def test_receipt_on_a_draft_contract_is_409(people, api_as):
    rep = people["rep"]
    draft = services.contract_create(
        actor=rep, data={"amount": D("1000")}, customer_id=make_customer(rep).pk
    )
    response = api_as(people["finance"]).post(
        "/api/v1/receipts",
        {"contract_id": draft.pk, "amount": "10", "received_on": str(TODAY())},
    )
    assert response.status_code == 409
    plan = api_as(people["finance"]).post(
        "/api/v1/payment-plans",
        {"contract_id": draft.pk, "amount": "10", "due_date": str(TODAY())},
    )
    assert plan.status_code == 409


# --- protocol: If-Match, Idempotency-Key ---------------------------------------------------------


def test_stale_if_match_on_quotes_and_contracts_changes_nothing(people, catalog, api_as):
    customer = make_customer(people["rep"])
    rep, manager = api_as(people["rep"]), api_as(people["manager"])
    quote = rep.post("/api/v1/quotes", quote_body(customer, catalog)).json()
    url = f"/api/v1/quotes/{quote['id']}"
    etag = manager.get(url)["ETag"]
    assert rep.patch(url, {"terms": "含税含运费"}).status_code == 200
    assert manager.patch(url, {"title": "旧版本"}, {"If-Match": etag}).status_code == 412
    assert manager.post(f"{url}/send", headers={"If-Match": etag}).status_code == 412
    assert Quote.objects.get(pk=quote["id"]).status == "draft"
    fresh = manager.get(url)["ETag"]
    assert manager.post(f"{url}/send", headers={"If-Match": fresh}).status_code == 200

    contract = services.contract_create(
        actor=people["rep"], data={"amount": D("1000")}, customer_id=customer.pk
    )
    curl = f"/api/v1/contracts/{contract.pk}"
    etag = rep.get(curl)["ETag"]
    rep.patch(curl, {"terms": "验收后付款"})
    assert rep.post(f"{curl}/submit", {}, {"If-Match": etag}).status_code == 412
    assert rep.post(f"{curl}/close", {"completed": False, "reason": "x"}, {"If-Match": etag}).status_code == 412  # fmt: skip
    assert Contract.objects.get(pk=contract.pk).status == "draft"


def test_idempotent_receipt_and_quote_replay(people, catalog, api_as):
    contract = signed_contract(people, amount=D("10000"))
    finance = api_as(people["finance"])
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"contract_id": contract.pk, "amount": "2500.50", "received_on": str(TODAY())}
    first = finance.post("/api/v1/receipts", body, key)
    again = finance.post("/api/v1/receipts", body, key)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Receipt.objects.count() == 1
    other = finance.post("/api/v1/receipts", {**body, "amount": "1"}, key)
    assert other.status_code == 422 and locs(other) == [["header", "Idempotency-Key"]]

    rep = api_as(people["rep"])
    key = {"Idempotency-Key": str(uuid.uuid4())}
    quote = quote_body(make_customer(people["rep"], name="幂等客户"), catalog)
    assert rep.post("/api/v1/quotes", quote, key).status_code == 201
    assert rep.post("/api/v1/quotes", quote, key)["Idempotent-Replayed"] == "true"
    assert Quote.objects.count() == 1


# --- scope and rights -------------------------------------------------------------------------


@pytest.fixture
def north_deal(people):
    """A signed contract of the north rep with an order, a plan and a receipt."""
    other = people["other_rep"]
    customer = make_customer(other, name="北方重工")
    quote = services.quote_create(
        actor=other, customer_id=customer.pk, data={"title": "北方报价"}, lines=[]
    )
    contract = services.contract_create(
        actor=other, data={"amount": D("5000")}, customer_id=customer.pk
    )
    approvals_needed = services.contract_submit(actor=other, contract_id=contract.pk)
    if approvals_needed.approval_id:
        decide(approvals_needed.approval_id, people["other_manager"])
    services.contract_sign(actor=other, contract_id=contract.pk, signed_on=TODAY())
    order = services.order_create(
        actor=people["other_manager"], contract_id=contract.pk, data={"amount": D("5000")}
    ).order
    plan = services.plan_create(
        actor=people["finance"], contract_id=contract.pk, due_date=TODAY(), amount=D("5000")
    )
    receipt = services.receipt_record(
        actor=people["finance"], contract_id=contract.pk, amount=D("100"), received_on=TODAY()
    )
    return {
        "quotes": quote,
        "contracts": contract,
        "orders": order,
        "payment-plans": plan,
        "receipts": receipt,
    }


def test_out_of_scope_deals_are_404_and_not_listed(people, api_as, north_deal):
    rep = api_as(people["rep"])
    for resource, record in north_deal.items():
        url = f"/api/v1/{resource}/{record.pk}"
        assert rep.get(url).status_code == 404, resource
        assert rep.get(f"/api/v1/{resource}").json()["items"] == [], resource
        if resource != "receipts":
            assert rep.patch(url, {}).status_code == 404, resource
    contract = north_deal["contracts"]
    for action, body in (
        ("submit", {}),
        ("withdraw", None),
        ("sign", {"signed_on": str(TODAY())}),
        ("close", {"completed": True}),
    ):
        response = rep.post(f"/api/v1/contracts/{contract.pk}/{action}", body)
        assert response.status_code == 404, action
    quote = north_deal["quotes"]
    for action, body in (
        ("submit", {"reason": "x"}),
        ("send", None),
        ("answer", {"accepted": True}),
    ):
        assert rep.post(f"/api/v1/quotes/{quote.pk}/{action}", body).status_code == 404, action
    plan = north_deal["payment-plans"]
    assert rep.post(f"/api/v1/payment-plans/{plan.pk}/bad-debt", {"bad_debt": True, "reason": "x"}).status_code == 404  # fmt: skip
    assert rep.delete(f"/api/v1/payment-plans/{plan.pk}").status_code == 404
    # the north manager sees them all
    manager = api_as(people["other_manager"])
    for resource, record in north_deal.items():
        assert manager.get(f"/api/v1/{resource}/{record.pk}").status_code == 200, resource


@pytest.mark.parametrize("role", ["customer_service", "marketing"])
def test_roles_without_deal_rights_see_no_amounts(make_user, api_as, north_deal, role):
    api = api_as(make_user(role))
    for resource, record in north_deal.items():
        assert api.get(f"/api/v1/{resource}").json()["items"] == [], resource
        assert api.get(f"/api/v1/{resource}/{record.pk}").status_code == 404, resource


def test_lists_filter_and_paginate(people, catalog, api_as):
    rep = people["rep"]
    api = api_as(rep)
    customer = make_customer(rep)
    small = api.post(
        "/api/v1/quotes",
        {"customer_id": customer.pk, "lines": [{"product_id": catalog["mes"].pk, "quantity": "1"}]},
    ).json()
    big = api.post("/api/v1/quotes", quote_body(customer, catalog)).json()
    found = api.get("/api/v1/quotes", {"min_total": "100000"}).json()["items"]
    assert [q["id"] for q in found] == [big["id"]]
    page = api.get("/api/v1/quotes", {"limit": 1}).json()
    assert [q["id"] for q in page["items"]] == [big["id"]] and page["next_cursor"]
    rest = api.get("/api/v1/quotes", {"limit": 1, "cursor": page["next_cursor"]}).json()
    assert [q["id"] for q in rest["items"]] == [small["id"]] and rest["next_cursor"] is None
    assert api.get("/api/v1/quotes", {"status": "won"}).status_code == 422

    contract = signed_contract(people, amount=D("30000"), customer=customer)
    draft = services.contract_create(actor=rep, data={"amount": D("7")}, customer_id=customer.pk)
    signed = api.get("/api/v1/contracts", {"status": "signed"}).json()["items"]
    assert [c["id"] for c in signed] == [contract.pk]
    cheap = api.get("/api/v1/contracts", {"max_amount": "10"}).json()["items"]
    assert [c["id"] for c in cheap] == [draft.pk]
    assert api.get("/api/v1/orders", {"contract_id": contract.pk}).json()["items"] == []
    assert api.get("/api/v1/payment-plans", {"bucket": "overdue"}).status_code == 200
    assert api.get("/api/v1/payment-plans", {"bucket": "120+"}).status_code == 422
    assert api.get("/api/v1/products", {"active": "true"}).json()["items"]
    assert Opportunity.objects.count() == 0


def count_queries(api, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert api.get(url).status_code == 200
    return len(captured.captured_queries)


def test_list_queries_do_not_grow_with_the_rows(people, catalog, api_as):
    rep = people["rep"]

    def add_deal(index):
        customer = make_customer(rep, name=f"批量客户{index}")
        quote = services.quote_create(
            actor=rep,
            customer_id=customer.pk,
            opportunity_id=make_opportunity(rep, customer).pk,
            data={},
            lines=[{"product": catalog["mes"].pk, "quantity": "1"}],
        )
        contract = services.contract_create(actor=rep, data={}, quote_id=quote.pk)
        approve_contract(people, contract)
        services.contract_sign(
            actor=rep, contract_id=contract.pk, signed_on=TODAY(), win_opportunity=False
        )
        services.order_create(
            actor=people["manager"], contract_id=contract.pk, data={"amount": D("500")}
        )
        for days in (0, 30):
            services.plan_create(
                actor=people["finance"],
                contract_id=contract.pk,
                due_date=TODAY() + datetime.timedelta(days=days),
                amount=D("600") if days else D("10000"),
            )
        services.receipt_record(
            actor=people["finance"], contract_id=contract.pk, amount=D("10300"), received_on=TODAY()
        )

    director = api_as(people["director"])
    urls = [
        f"/api/v1/{name}"
        for name in ("products", "quotes", "contracts", "orders", "payment-plans", "receipts")
    ]
    add_deal(0)
    for url in urls:
        count_queries(director, url)  # warm up (token bookkeeping)
    one = {url: count_queries(director, url) for url in urls}
    add_deal(1)
    add_deal(2)
    three = {url: count_queries(director, url) for url in urls}
    assert three == one
    assert len(director.get("/api/v1/receipts").json()["items"]) == 3


def test_an_action_replayed_with_its_key_runs_once(people, api_as):
    rep = people["rep"]
    opportunity = make_opportunity(rep, make_customer(rep))
    contract = services.contract_create(actor=rep, data={}, opportunity_id=opportunity.pk)
    approve_contract(people, contract)
    api = api_as(rep)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    url = f"/api/v1/contracts/{contract.pk}/sign"
    first = api.post(url, {"signed_on": str(TODAY())}, key)
    again = api.post(url, {"signed_on": str(TODAY())}, key)
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert DealEvent.objects.filter(contract=contract, kind="contract.sign").count() == 1
    fresh = api.post(url, {"signed_on": str(TODAY())}, {"Idempotency-Key": str(uuid.uuid4())})
    assert fresh.status_code == 409  # a new key runs it again: already signed
