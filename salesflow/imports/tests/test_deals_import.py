"""Orders and receipts against contracts already signed in salesflow, through the deals
services (remaining contract amount, receipt allocation, rights)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from salesflow.core.errors import NotAllowed
from salesflow.deals.models import Order, Receipt
from salesflow.deals.tests.conftest import people, signed_contract  # noqa: F401 (fixture)
from salesflow.imports.undo import undo_run

from .conftest import csv_bytes, run_import

pytestmark = pytest.mark.django_db


def test_orders_and_receipts_import_against_signed_contracts(people):  # noqa: F811
    contract = signed_contract(people, amount=Decimal("200000.00"))
    today = timezone.localdate().isoformat()
    orders = csv_bytes(
        [
            ["合同编号", "订单金额", "下单日期"],
            [contract.number, "120000", today],
            [contract.number, "90000", today],
            ["HT-不存在", "1000", today],
        ]
    )
    profile = {"entity": "order", "columns": {"contract": "合同编号", "amount": "订单金额",
                                              "order_date": "下单日期"}}  # fmt: skip
    run = run_import(people["manager"], orders, profile)
    assert (run.created_count, run.failed_count) == (1, 2), run.report
    messages = " ".join(str(e["errors"]) for e in run.report)
    assert "剩余可下单金额" in messages and "找不到合同编号" in messages
    assert Order.objects.get().amount == Decimal("120000.00")

    receipts = csv_bytes(
        [
            ["合同号", "到账金额", "到账日期", "方式", "流水号"],
            [contract.number, "50000", today, "银行转账", "B001"],
        ]
    )
    receipt_profile = {"entity": "receipt", "columns": {
        "contract": "合同号", "amount": "到账金额", "received_on": "到账日期", "method": "方式",
        "reference": "流水号"}}  # fmt: skip
    with pytest.raises(NotAllowed):  # a rep may not record receipts
        run_import(people["rep"], receipts, receipt_profile)
    run = run_import(people["finance"], receipts, receipt_profile)
    assert run.created_count == 1
    again = run_import(people["finance"], receipts, receipt_profile)
    assert again.skipped_count == 1 and Receipt.objects.count() == 1
    run.refresh_from_db()
    undo_run(actor=people["finance"], run=run)
    assert not Receipt.objects.exists()  # reversed through the receipts service
