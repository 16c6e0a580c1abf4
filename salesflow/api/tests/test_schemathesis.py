"""Schemathesis against /api/v1/openapi.json, in-process (WSGI), as a superuser with a token:
every operation, a bounded number of generated requests each (valid ones, half of them aimed
at records that exist, and invalid ones), and no answer may be a server error or differ from
the schema (status code, content type, body)."""

import time
from decimal import Decimal

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from salesflow.activities import services as activity_services
from salesflow.api import services as api_services
from salesflow.core import approvals
from salesflow.core.services import setting_change
from salesflow.customers import services as customer_services
from salesflow.deals import services as deal_services
from salesflow.deals.models import Product
from salesflow.leads import services as lead_services
from salesflow.leads.models import LeadSource
from salesflow.pipeline import services as pipeline_services
from salesflow.pipeline.models import ProductLine

# Real transactions: the WSGI app closes stale connections at the end of each request (as in
# production), which inside a test-wide transaction would close the test's own connection on
# PostgreSQL.
pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = {GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 3}
VALID_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
INVALID_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]


@pytest.fixture
def superuser(make_user):
    return make_user(is_superuser=True, is_staff=True, username="sf-root")


def deal_records(superuser, approver, customer) -> dict:
    """A product, a quote, a signed contract with an order, an instalment and a receipt."""
    today = timezone.localdate()
    product = Product.objects.create(
        product_line=ProductLine.objects.filter(is_active=True).first(),
        name="模糊产品",
        list_price=Decimal("1000"),
        standard_cost=Decimal("600"),
    )
    quote = deal_services.quote_create(
        actor=superuser,
        customer_id=customer.pk,
        data={"title": "模糊报价"},
        lines=[{"product": product.pk, "quantity": "2"}],
    )
    contract = deal_services.contract_create(
        actor=superuser, data={"amount": Decimal("5000")}, customer_id=customer.pk
    )
    contract = deal_services.contract_submit(actor=superuser, contract_id=contract.pk)
    if contract.approval_id:
        approvals.approval_decide(actor=approver, request_id=contract.approval_id, approve=True)
    deal_services.contract_sign(actor=superuser, contract_id=contract.pk, signed_on=today)
    order = deal_services.order_create(
        actor=superuser, contract_id=contract.pk, data={"amount": Decimal("2000")}
    ).order
    plan = deal_services.plan_create(
        actor=superuser, contract_id=contract.pk, due_date=today, amount=Decimal("3000")
    )
    receipt = deal_services.receipt_record(
        actor=superuser, contract_id=contract.pk, amount=Decimal("1000"), received_on=today
    )
    return {
        "product_id": [product.pk],
        "quote_id": [quote.pk],
        "contract_id": [contract.pk],
        "order_id": [order.pk],
        "plan_id": [plan.pk],
        "receipt_id": [receipt.pk],
    }


@pytest.fixture
def existing(superuser, make_user):
    """Records the generated requests can hit (path parameters by name)."""
    lead = lead_services.lead_register(
        actor=superuser,
        data={
            "company_name": "模糊测试",
            "contact_name": "李四",
            "phone": "13812345678",
            "needs": "设备故障率高，每月停机约20小时",
            "source": LeadSource.objects.filter(is_referral=False).first(),
            "acquired_at": timezone.now(),
        },
        owner=superuser,
        confirm_duplicate=True,
    )
    customer = customer_services.customer_create(
        actor=superuser,
        data={"name": "模糊客户", "expected_annual_value": 600000},
        contacts=[{"name": "张三", "phone": "13900001111"}],
        owner=superuser,
        confirm_duplicate=True,
    )
    opportunity = pipeline_services.opportunity_create(
        actor=superuser, customer_id=customer.pk, data={"name": "模糊商机", "amount": 1000}
    )
    followup = activity_services.followup_record(
        actor=superuser,
        data={
            "communicated_at": timezone.now(),
            "method": "phone",
            "topic": "模糊跟进",
            "summary": "电话沟通",
        },
        customer_id=customer.pk,
    )
    task = activity_services.task_create(actor=superuser, data={"title": "模糊任务"})
    director = make_user("sales_director", username="sf-director")
    return {
        **deal_records(superuser, director, customer),
        "followup_id": [followup.pk],
        "task_id": [task.pk],
        "lead_id": [lead.pk],
        "customer_id": [customer.pk],
        "contact_id": [customer.contacts.get().pk],
        "opportunity_id": [opportunity.pk],
        "output_id": list(
            opportunity.template_version.stages.values_list("outputs__pk", flat=True)
        ),
    }


def runner(operation, mode, examples, checks, existing, auth):
    """A Hypothesis test of one operation in one generation mode."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.tuples(operation.as_strategy(generation_mode=mode), st.booleans()))
    def run(drawn):
        case, aim_at_existing = drawn
        if aim_at_existing and case.path_parameters:
            for name in case.path_parameters:
                if existing.get(name):
                    case.path_parameters[name] = existing[name][0]
        response = case.call(headers=auth)
        case.validate_response(response, checks=checks, headers=auth)

    return run


def test_api_conforms_to_its_schema(superuser, existing):
    setting_change(
        actor=superuser, key="api.rate_limit_per_minute", value="100000", reason="模糊测试"
    )
    _token, secret = api_services.token_create(
        actor=superuser, name="schemathesis", scopes=["read", "write"]
    )
    auth = {"Authorization": f"Bearer {secret}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 72
    started = time.monotonic()
    failures = []
    for operation in operations:
        for mode, examples in EXAMPLES.items():
            checks = VALID_CHECKS if mode is GenerationMode.POSITIVE else INVALID_CHECKS
            run = runner(operation, mode, examples, checks, existing, auth)
            try:
                run()
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # collect every operation's failures, then report
                failures.append(f"{operation.label} [{mode.value}]: {exc!r}")
    assert not failures, "\n\n".join(failures)
    assert time.monotonic() - started < 240  # 72 operations on a shared 2-core machine
