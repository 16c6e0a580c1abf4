"""Every API operation × every role, generated from the OpenAPI schema so that a new endpoint
cannot be forgotten: never a server error, only documented status codes, a record out of the
role's scope is 404 (never 403, never data), and without credentials everything is 401."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from salesflow.activities import services as activity_services
from salesflow.core import approvals
from salesflow.core.scope import has_right, is_in_scope
from salesflow.customers import services as customer_services
from salesflow.deals import services as deal_services
from salesflow.deals.models import Product
from salesflow.leads import services as lead_services
from salesflow.leads.models import LeadSource
from salesflow.org.default_roles import ROLES
from salesflow.pipeline import services as pipeline_services
from salesflow.pipeline.models import ProductLine

from .conftest import ApiClient

pytestmark = pytest.mark.django_db

PARAM = re.compile(r"{(\w+)}")


def operations(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, {int(code) for code in operation["responses"]}


@pytest.fixture
def records(org):
    """One record of each kind, owned by the east rep."""
    owner = org.rep
    lead = lead_services.lead_register(
        actor=owner,
        data={
            "company_name": "矩阵测试",
            "contact_name": "李四",
            "phone": "13812345678",
            "needs": "设备故障率高，每月停机约20小时",
            "source": LeadSource.objects.filter(is_referral=False).first(),
            "acquired_at": timezone.now(),
        },
        owner=owner,
        confirm_duplicate=True,
    )
    customer = customer_services.customer_create(
        actor=owner,
        data={"name": "矩阵客户"},
        contacts=[{"name": "张三", "phone": "13900001111"}],
        owner=owner,
        confirm_duplicate=True,
    )
    opportunity = pipeline_services.opportunity_create(
        actor=owner, customer_id=customer.pk, data={"name": "矩阵商机", "amount": 1000}
    )
    followup = activity_services.followup_record(
        actor=owner,
        data={
            "communicated_at": timezone.now(),
            "method": "phone",
            "topic": "矩阵",
            "summary": "沟通",
        },
        customer_id=customer.pk,
    )
    return {
        **deal_records(org, customer),
        "followup_id": followup,
        "task_id": activity_services.task_create(actor=owner, data={"title": "矩阵任务"}),
        "lead_id": lead,
        "customer_id": customer,
        "contact_id": customer.contacts.get(),
        "opportunity_id": opportunity,
        "output_id": opportunity.stage.outputs.first(),
    }


def deal_records(org, customer):
    """The rep's deal to cash: a quote, a contract approved by the manager and signed, an order
    placed by the manager, an instalment and a receipt recorded by the director."""
    rep, today = org.rep, timezone.localdate()
    product = Product.objects.create(
        product_line=ProductLine.objects.filter(is_active=True).first(),
        name="矩阵产品",
        list_price=Decimal("1000"),
        standard_cost=Decimal("600"),
    )
    quote = deal_services.quote_create(
        actor=rep,
        customer_id=customer.pk,
        data={"title": "矩阵报价"},
        lines=[{"product": product.pk, "quantity": "1"}],
    )
    contract = deal_services.contract_create(
        actor=rep, data={"amount": Decimal("1000")}, customer_id=customer.pk
    )
    contract = deal_services.contract_submit(actor=rep, contract_id=contract.pk)
    approvals.approval_decide(actor=org.manager, request_id=contract.approval_id, approve=True)
    deal_services.contract_sign(actor=rep, contract_id=contract.pk, signed_on=today)
    order = deal_services.order_create(
        actor=org.manager, contract_id=contract.pk, data={"amount": Decimal("500")}
    ).order
    plan = deal_services.plan_create(
        actor=org.director, contract_id=contract.pk, due_date=today, amount=Decimal("600")
    )
    receipt = deal_services.receipt_record(
        actor=org.director, contract_id=contract.pk, amount=Decimal("100"), received_on=today
    )
    return {
        "product_id": product,
        "quote_id": quote,
        "contract_id": contract,
        "order_id": order,
        "plan_id": plan,
        "receipt_id": receipt,
    }


def fill(path, records):
    return PARAM.sub(lambda m: str(records[m.group(1)].pk), path)


def call(api, method, url):
    if method == "GET":
        return api.get(url)
    if method == "DELETE":
        return api.delete(url)
    return getattr(api, method.lower())(url, {})


@pytest.mark.parametrize("role_code", [r["code"] for r in ROLES])
def test_every_operation_for_every_role(
    client, make_user, make_department, token_for, records, role_code
):
    user = make_user(role_code, department=make_department("其他部门"))
    api = ApiClient(client, token_for(user))
    ops = sorted(operations(client), key=lambda op: op[0] == "DELETE")  # deletes last
    for method, path, documented in ops:
        url = fill(path, records)
        response = call(api, method, url)
        assert response.status_code < 500, (role_code, method, path, response.content)
        assert response.status_code in documented, (role_code, method, path, response.status_code)
        params = PARAM.findall(path)
        if method == "GET" and params and params[-1] != "output_id":
            target = records[params[-1]]
            if isinstance(target, Product):  # the catalog: a right, no data scope
                visible = has_right(user, "product", "view")
            else:
                visible = is_in_scope(user, target, "view")
            if path.endswith("/contacts"):
                visible = is_in_scope(user, records["customer_id"], "view")
            assert response.status_code == (200 if visible else 404), (role_code, path)
            if not visible:
                assert response.json()["code"] == "not_found"


def test_every_operation_needs_credentials(client, records):
    for method, path, documented in operations(client):
        response = call(ApiClient(client, None), method, fill(path, records))
        assert response.status_code == 401, (method, path)
        assert 401 in documented
