"""Pages of the deals module: they render with data, forms post through the services, every
page of a record outside the user's scope is a 404, and exports hold only records in scope."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from salesflow.core.scope import forget_rights
from salesflow.deals import services
from salesflow.deals.models import ContractStatus, Order, OrderStatus, Quote, Receipt
from salesflow.deals.tests.conftest import make_customer, signed_contract
from salesflow.org.models import RolePermission

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def deal(people, catalog, settings, tmp_path):
    """One of everything, owned by the rep (East team)."""
    settings.MEDIA_ROOT = tmp_path
    rep, finance = people["rep"], people["finance"]
    customer = make_customer(rep, name="东方精工有限公司", credit_limit=D("900000"))
    quote = services.quote_create(
        actor=rep,
        customer_id=customer.pk,
        data={"title": "东方精工焊接线", "terms": "含税含运费"},
        lines=[{"product": catalog["robot"].pk, "quantity": D("2"), "discount_pct": D("5")}],
    )
    contract = signed_contract(people, amount=D("300000"), customer=customer)
    services.contract_file_add(
        actor=rep, contract_id=contract.pk, upload=SimpleUploadedFile("c.pdf", b"%PDF-1.4 c")
    )
    order = services.order_create(
        actor=people["manager"], contract_id=contract.pk, data={"amount": D("100000")}
    ).order
    plan = services.plan_create(
        actor=finance,
        contract_id=contract.pk,
        due_date=timezone.localdate() - datetime.timedelta(days=40),
        amount=D("100000"),
    )
    receipt = services.receipt_record(
        actor=finance, contract_id=contract.pk, amount=D("30000"), received_on=timezone.localdate()
    )
    return {
        "customer": customer,
        "quote": quote,
        "contract": contract,
        "order": order,
        "plan": plan,
        "receipt": receipt,
        "file": contract.files.get(),
    }


def record_pages(deal):
    q, c, o, p, r = (deal[k].pk for k in ("quote", "contract", "order", "plan", "receipt"))
    return [
        ("GET", reverse("deals:quote_detail", args=[q])),
        ("GET", reverse("deals:quote_edit", args=[q])),
        ("GET", reverse("deals:quote_print", args=[q])),
        ("POST", reverse("deals:quote_submit", args=[q])),
        ("POST", reverse("deals:quote_send", args=[q])),
        ("POST", reverse("deals:quote_answer", args=[q])),
        ("GET", reverse("deals:contract_detail", args=[c])),
        ("GET", reverse("deals:contract_edit", args=[c])),
        ("POST", reverse("deals:contract_submit", args=[c])),
        ("POST", reverse("deals:contract_withdraw", args=[c])),
        ("POST", reverse("deals:contract_sign", args=[c])),
        ("POST", reverse("deals:contract_close", args=[c])),
        ("POST", reverse("deals:contract_file_add", args=[c])),
        ("GET", reverse("deals:contract_file", args=[deal["file"].pk])),
        ("POST", reverse("deals:plan_add", args=[c])),
        ("POST", reverse("deals:contract_link_win", args=[c])),
        ("GET", reverse("deals:order_create", args=[c])),
        ("GET", reverse("deals:quote_create") + f"?customer={deal['customer'].pk}"),
        ("GET", reverse("deals:contract_create") + f"?quote={q}"),
        ("GET", reverse("deals:receipt_create") + f"?contract={c}"),
        ("GET", reverse("deals:order_detail", args=[o])),
        ("POST", reverse("deals:order_delivery", args=[o])),
        ("GET", reverse("deals:plan_edit", args=[p])),
        ("POST", reverse("deals:plan_bad_debt", args=[p])),
        ("POST", reverse("deals:plan_delete", args=[p])),
        ("POST", reverse("deals:receipt_delete", args=[r])),
        ("GET", reverse("deals:credit_edit", args=[deal["customer"].pk])),
    ]


def test_owner_and_finance_see_the_pages(client, people, deal):
    client.force_login(people["rep"])
    for url in (
        reverse("deals:quote_detail", args=[deal["quote"].pk]),
        reverse("deals:quote_print", args=[deal["quote"].pk]),
        reverse("deals:contract_detail", args=[deal["contract"].pk]),
        reverse("deals:order_detail", args=[deal["order"].pk]),
        reverse("deals:receivables"),
        reverse("deals:receivables") + "?bucket=31-60",
        reverse("deals:receipt_list"),
        reverse("deals:risk"),
        reverse("deals:quote_list") + "?q=东方",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(reverse("deals:quote_print", args=[deal["quote"].pk])).content.decode()
    assert "报价单" in page and "壹拾玖万元整" in page and "190000.00" in page
    page = client.get(reverse("deals:contract_detail", args=[deal["contract"].pk])).content.decode()
    assert deal["contract"].number in page and "31–60天" in page
    file_response = client.get(reverse("deals:contract_file", args=[deal["file"].pk]))
    assert file_response.status_code == 200
    assert "attachment" in file_response["Content-Disposition"]
    client.force_login(people["finance"])
    for url in (
        reverse("deals:plan_edit", args=[deal["plan"].pk]),
        reverse("deals:credit_edit", args=[deal["customer"].pk]),
        reverse("deals:receipt_create") + f"?contract={deal['contract'].pk}",
        reverse("deals:receipt_create") + "?q=东方",
        reverse("deals:contract_detail", args=[deal["contract"].pk]),
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["other_rep", "other_manager"])
def test_records_outside_scope_are_not_found_on_every_page(client, people, deal, who):
    client.force_login(people[who])
    for method, url in record_pages(deal):
        response = client.get(url) if method == "GET" else client.post(url, {"reason": "x"})
        assert response.status_code == 404, (who, method, url, response.status_code)
    # and nothing changed
    assert Quote.objects.get(pk=deal["quote"].pk).status == "draft"
    assert Receipt.objects.filter(pk=deal["receipt"].pk).exists()


def _csv(client, name, **params):
    response = client.get(reverse(name), {"format": "csv", **params})
    assert response.status_code == 200, name
    return response.content.decode("utf-8-sig")


def test_exports_hold_only_records_in_scope(client, people, deal):
    other = signed_contract(
        {**people, "rep": people["other_rep"], "manager": people["other_manager"]},
        amount=D("50000"),
        customer=make_customer(people["other_rep"], name="北方重工有限公司"),
    )
    services.order_create(
        actor=people["other_manager"], contract_id=other.pk, data={"amount": D("50000")}
    )
    services.plan_create(
        actor=people["finance"], contract_id=other.pk, due_date=timezone.localdate(), amount=D(1)
    )
    services.receipt_record(
        actor=people["finance"], contract_id=other.pk, amount=D(5), received_on=timezone.localdate()
    )
    row = RolePermission.objects.get(role__code="sales_manager", object_type="quote")
    row.actions = [*row.actions, "export"]
    row.save()
    manager = people["manager"]
    forget_rights(manager)
    client.force_login(manager)
    for name in (
        "deals:quote_export",
        "deals:contract_export",
        "deals:order_export",
        "deals:receivables_export",
        "deals:receipt_export",
    ):
        text = _csv(client, name, state="all")
        assert "东方精工" in text, name
        assert "北方重工" not in text, name
    client.force_login(people["finance"])  # company scope
    assert "北方重工" in _csv(client, "deals:receipt_export")
    client.force_login(people["rep"])  # no export right
    assert client.get(reverse("deals:contract_export")).status_code == 404


def test_quote_create_and_edit_through_the_pages(client, people, catalog):
    rep = people["rep"]
    customer = make_customer(rep, name="南方机电")
    client.force_login(rep)
    assert "南方机电" in client.get(reverse("deals:quote_create"), {"q": "南方"}).content.decode()
    url = reverse("deals:quote_create") + f"?customer={customer.pk}"
    data = {
        "title": "南方机电报价",
        "valid_until": (timezone.localdate() + datetime.timedelta(days=10)).isoformat(),
        "terms": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": catalog["robot"].pk,
        "lines-0-quantity": "1",
        "lines-0-discount_pct": "12",
        "lines-1-product": "",
        "lines-1-quantity": "",
        "lines-1-discount_pct": "",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    quote = Quote.objects.get(title="南方机电报价")
    assert quote.total == D("88000.00")
    detail = client.get(reverse("deals:quote_detail", args=[quote.pk])).content.decode()
    assert "须审批通过后才能发送" in detail
    response = client.post(reverse("deals:quote_send", args=[quote.pk]), follow=True)
    assert "超过审批阈值" in response.content.decode()
    response = client.post(reverse("deals:quote_submit", args=[quote.pk]), {"reason": "首单"})
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.status == "pending"


def test_receipt_pages_for_finance_and_not_for_a_rep(client, people, deal):
    url = reverse("deals:receipt_create") + f"?contract={deal['contract'].pk}"
    data = {"amount": "300000", "received_on": timezone.localdate().isoformat(), "method": "bank"}
    client.force_login(people["rep"])
    assert client.get(url).status_code == 404
    assert client.post(url, data).status_code == 404
    client.force_login(people["finance"])
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "溢收" in text  # 30000 + 300000 received against 100000 planned
    assert Receipt.objects.filter(contract=deal["contract"]).count() == 2


def test_order_credit_warning_through_the_page(client, people, deal):
    customer = deal["customer"]
    customer.credit_limit = D("100000")
    customer.save()
    url = reverse("deals:order_create", args=[deal["contract"].pk])
    client.force_login(people["manager"])
    data = {"amount": "50000", "order_date": timezone.localdate().isoformat()}
    response = client.post(url, data)
    assert response.status_code == 400
    assert "信用额度" in response.content.decode()
    response = client.post(url, {**data, "credit_reason": "回款在途"})
    assert response.status_code == 302
    assert Order.objects.filter(status=OrderStatus.CREDIT_HOLD).count() == 1


def test_contract_pages_flow(client, people, catalog):
    rep = people["rep"]
    customer = make_customer(rep, name="西部装备")
    client.force_login(rep)
    assert (
        "西部装备" in client.get(reverse("deals:contract_create"), {"q": "西部"}).content.decode()
    )
    response = client.post(
        reverse("deals:contract_create") + f"?customer={customer.pk}",
        {"title": "西部装备合同", "amount": "80000", "discount_pct": "0"},
    )
    assert response.status_code == 302
    contract = customer.contracts.get()
    page = client.get(reverse("deals:contract_detail", args=[contract.pk])).content.decode()
    assert "销售经理" in page  # the routing preview
    client.post(reverse("deals:contract_submit", args=[contract.pk]), {"reason": ""})
    contract.refresh_from_db()
    assert contract.status == ContractStatus.IN_APPROVAL
    client.force_login(people["manager"])
    response = client.post(
        reverse("approvals:decide", args=[contract.approval_id]), {"decision": "approve"}
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == ContractStatus.APPROVED
    client.force_login(rep)
    response = client.post(
        reverse("deals:contract_sign", args=[contract.pk]),
        {"signed_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == ContractStatus.SIGNED


def test_product_pages(client, people, catalog, make_user):
    director = people["director"]
    client.force_login(director)
    line = catalog["robot"].product_line
    response = client.post(
        reverse("deals:product_create"),
        {
            "product_line": line.pk,
            "name": "视觉检测模块",
            "unit": "套",
            "list_price": "45000",
            "standard_cost": "21000",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert "视觉检测模块" in client.get(reverse("deals:product_list")).content.decode()
    client.force_login(people["rep"])
    assert client.get(reverse("deals:product_create")).status_code == 404
    page = client.get(reverse("deals:product_list")).content.decode()
    assert "21000.00" not in page  # reps do not see standard costs in the catalog


def test_list_filters_a_list_does_not_offer_are_ignored(people):
    from salesflow.deals import selectors

    rep = people["rep"]
    assert list(selectors.quote_list(user=rep, filters={"min_amount": "10"})) == []
    assert list(selectors.receipt_list(user=rep, filters={"owner_id": rep.pk})) == []
