"""Contracts: approval routing by the rules table (each default rule and its boundaries), the
generic approval mechanism moving the contract on, the state machine, signing and winning."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from salesflow.core import approvals
from salesflow.core.errors import DomainError, NotAllowed
from salesflow.core.models import ApprovalRequest
from salesflow.core.services import setting_change
from salesflow.deals import services
from salesflow.deals.models import ContractApprovalRule, ContractStatus, DealEvent
from salesflow.deals.tests.conftest import (
    approve_contract,
    make_customer,
    make_opportunity,
    signed_contract,
)
from salesflow.pipeline.models import OpportunityStatus

pytestmark = pytest.mark.django_db
D = Decimal


def draft(people, amount, discount="0"):
    rep = people["rep"]
    return services.contract_create(
        actor=rep,
        data={"amount": D(amount), "discount_pct": D(discount)},
        customer_id=make_customer(rep, name=f"客户{amount}-{discount}").pk,
    )


def chain_after_submit(people, contract):
    contract = services.contract_submit(actor=people["rep"], contract_id=contract.pk)
    request = ApprovalRequest.objects.get(pk=contract.approval_id)
    return contract, request, [s.role.code for s in request.steps.all()]


@pytest.mark.parametrize(
    ("amount", "discount", "chain"),
    [
        ("100000", "0", ["sales_manager"]),  # 常规合同: amount ≥ 0
        ("499999.99", "14.99", ["sales_manager"]),  # just below both conditions
        ("500000", "0", ["sales_manager", "sales_director"]),  # amount reaches 50万
        ("200000", "15", ["sales_manager", "sales_director"]),  # discount reaches 15%
        ("999999.99", "0", ["sales_manager", "sales_director"]),
        ("1000000", "0", ["sales_manager", "sales_director", "finance"]),  # 100万
        ("1000000", "20", ["sales_manager", "sales_director", "finance"]),  # highest priority
    ],
)
def test_routing_for_each_rule(people, amount, discount, chain):
    contract = draft(people, amount, discount)
    contract, request, codes = chain_after_submit(people, contract)
    assert codes == chain
    assert contract.status == ContractStatus.IN_APPROVAL
    assert request.object_type == "contract"
    assert request.payload["chain"] == chain


def test_full_chain_approves_the_contract_after_the_last_step(people):
    manager, director, finance = people["manager"], people["director"], people["finance"]
    contract, request, _codes = chain_after_submit(people, draft(people, "1200000"))
    # the finance step may not be decided before its turn, nor the director's by finance
    assert not approvals.can_decide(finance, request)
    approvals.approval_decide(actor=manager, request_id=request.pk, approve=True)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.IN_APPROVAL
    assert approvals.can_decide(director, request)
    approvals.approval_decide(actor=director, request_id=request.pk, approve=True)
    request.refresh_from_db()
    assert approvals.can_decide(finance, request)  # finance holds contract "approve" now
    approvals.approval_decide(actor=finance, request_id=request.pk, approve=True)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.APPROVED
    kinds = list(DealEvent.objects.filter(contract=contract).values_list("kind", flat=True))
    assert kinds == [
        "contract.create",
        "contract.submit",
        "contract.approval_step",
        "contract.approval_step",
        "contract.approved",
    ]


def test_rejection_and_revision(people):
    rep, manager = people["rep"], people["manager"]
    contract, request, _ = chain_after_submit(people, draft(people, "100000"))
    approvals.approval_decide(actor=manager, request_id=request.pk, approve=False, comment="条款")
    contract.refresh_from_db()
    assert contract.status == ContractStatus.REJECTED
    with pytest.raises(DomainError):
        services.contract_submit(actor=rep, contract_id=contract.pk)
    contract = services.contract_update(
        actor=rep, contract_id=contract.pk, data={"terms": "质保两年"}
    )
    assert contract.status == ContractStatus.DRAFT
    contract, request, codes = chain_after_submit(people, contract)
    assert codes == ["sales_manager"]


def test_withdraw_returns_to_draft(people):
    contract, _request, _ = chain_after_submit(people, draft(people, "100000"))
    contract = services.contract_withdraw(actor=people["rep"], contract_id=contract.pk)
    assert contract.status == ContractStatus.DRAFT


def test_rules_table_is_editable(people):
    ContractApprovalRule.objects.create(
        name="总监直批", min_amount=D("300000"), chain=["sales_director"], priority=25
    )
    _c, _r, codes = chain_after_submit(people, draft(people, "300000"))
    assert codes == ["sales_director"]
    _c, _r, codes = chain_after_submit(people, draft(people, "1000000"))
    assert codes == ["sales_manager", "sales_director", "finance"]


def test_no_matching_rule_approves_at_once(people):
    ContractApprovalRule.objects.all().update(is_active=False)
    contract = services.contract_submit(actor=people["rep"], contract_id=draft(people, "100000").pk)
    assert contract.status == ContractStatus.APPROVED
    assert contract.approval_id is None


def test_rule_validation():
    rule = ContractApprovalRule(name="x", chain=["no_such_role"], min_amount=D(1))
    with pytest.raises(ValidationError):
        rule.full_clean()
    with pytest.raises(ValidationError):
        ContractApprovalRule(name="y", chain=["finance"]).full_clean()


def test_a_step_nobody_can_decide_is_skipped_and_noted(people, make_user):
    """A manager's own contract: no other manager sees it, so the manager step is left out."""
    manager = people["manager"]
    customer = make_customer(manager, name="经理自己的客户")
    contract = services.contract_create(
        actor=manager, data={"amount": D("600000")}, customer_id=customer.pk
    )
    contract = services.contract_submit(actor=manager, contract_id=contract.pk)
    request = ApprovalRequest.objects.get(pk=contract.approval_id)
    assert [s.role.code for s in request.steps.all()] == ["sales_director"]
    assert request.payload["skipped"] == ["销售经理"]


def test_escalation_when_the_whole_chain_has_nobody(people):
    manager = people["manager"]
    customer = make_customer(manager, name="经理自己的客户2")
    contract = services.contract_create(
        actor=manager, data={"amount": D("1000")}, customer_id=customer.pk
    )
    contract = services.contract_submit(actor=manager, contract_id=contract.pk)
    request = ApprovalRequest.objects.get(pk=contract.approval_id)
    assert [s.role.code for s in request.steps.all()] == ["sales_director"]
    assert request.payload["escalated"] is True


@pytest.mark.parametrize(
    ("status", "call"),
    [
        (ContractStatus.DRAFT, "sign"),
        (ContractStatus.DRAFT, "complete"),
        (ContractStatus.IN_APPROVAL, "sign"),
        (ContractStatus.IN_APPROVAL, "terminate"),
        (ContractStatus.APPROVED, "complete"),
        (ContractStatus.SIGNED, "sign"),
        (ContractStatus.COMPLETED, "terminate"),
        (ContractStatus.TERMINATED, "complete"),
    ],
)
def test_state_machine_refuses_illegal_transitions(people, status, call):
    rep = people["rep"]
    contract = draft(people, "100000")
    if status != ContractStatus.DRAFT:
        contract, _request, _ = chain_after_submit(people, contract)
    if status in (
        ContractStatus.APPROVED,
        ContractStatus.SIGNED,
        ContractStatus.COMPLETED,
        ContractStatus.TERMINATED,
    ):
        approvals.approval_decide(
            actor=people["manager"], request_id=contract.approval_id, approve=True
        )
    if status in (ContractStatus.SIGNED, ContractStatus.COMPLETED, ContractStatus.TERMINATED):
        services.contract_sign(actor=rep, contract_id=contract.pk, signed_on=timezone.localdate())
    if status == ContractStatus.COMPLETED:
        services.contract_close(actor=rep, contract_id=contract.pk, completed=True)
    if status == ContractStatus.TERMINATED:
        services.contract_close(actor=rep, contract_id=contract.pk, completed=False, reason="违约")
    contract.refresh_from_db()
    assert contract.status == status
    with pytest.raises(services.IllegalTransition):
        if call == "sign":
            services.contract_sign(
                actor=rep, contract_id=contract.pk, signed_on=timezone.localdate()
            )
        else:
            services.contract_close(
                actor=rep, contract_id=contract.pk, completed=call == "complete", reason="x"
            )
    contract.refresh_from_db()
    assert contract.status == status


def test_terminate_needs_a_reason_and_signed_date_not_in_future(people):
    rep = people["rep"]
    contract = approve_contract(people, draft(people, "100000"))
    with pytest.raises(ValidationError):
        services.contract_sign(
            actor=rep,
            contract_id=contract.pk,
            signed_on=timezone.localdate() + datetime.timedelta(days=1),
        )
    with pytest.raises(ValidationError):
        services.contract_close(actor=rep, contract_id=contract.pk, completed=False, reason="")


def test_signing_wins_the_opportunity_with_the_contract_amount(people):
    rep = people["rep"]
    customer = make_customer(rep)
    opp = make_opportunity(rep, customer, amount=D("300000"))
    assert services.win_blocker(opp)  # no contract yet
    contract = services.contract_create(
        actor=rep, data={"amount": D("288000.50")}, opportunity_id=opp.pk
    )
    approve_contract(people, contract)
    result = services.contract_sign(
        actor=rep, contract_id=contract.pk, signed_on=timezone.localdate()
    )
    assert result.won and not result.win_error
    opp.refresh_from_db()
    assert opp.status == OpportunityStatus.WON
    assert opp.amount == D("288000.50")
    customer.refresh_from_db()
    assert customer.first_deal_at is not None
    assert services.win_blocker(opp) == ""


def test_sign_and_win_passes_the_pipeline_guard(people, monkeypatch):
    """With the guard in ``pipeline.services.opportunity_win`` (see docs/deals.md), winning
    from the signing works: the contract is signed in the same transaction first."""
    from salesflow.pipeline import services as pipeline_services

    original = pipeline_services.opportunity_win

    def guarded(*, actor, opportunity_id, **kwargs):
        from salesflow.pipeline.models import Opportunity

        services.ensure_win_allowed(Opportunity.objects.get(pk=opportunity_id))
        return original(actor=actor, opportunity_id=opportunity_id, **kwargs)

    monkeypatch.setattr(pipeline_services, "opportunity_win", guarded)
    rep = people["rep"]
    opp = make_opportunity(rep, make_customer(rep))
    with pytest.raises(DomainError):
        pipeline_services.opportunity_win(actor=rep, opportunity_id=opp.pk)
    contract = services.contract_create(actor=rep, data={}, opportunity_id=opp.pk)
    approve_contract(people, contract)
    result = services.contract_sign(
        actor=rep, contract_id=contract.pk, signed_on=timezone.localdate()
    )
    assert result.won, result.win_error


def test_signing_without_the_opportunity_right_still_signs(people):
    rep = people["rep"]
    opp = make_opportunity(rep, make_customer(rep))
    contract = services.contract_create(actor=rep, data={}, opportunity_id=opp.pk)
    approve_contract(people, contract)
    # finance may not sign (no change right on contracts) — and may not change opportunities
    with pytest.raises(Http404):
        services.contract_sign(
            actor=people["finance"], contract_id=contract.pk, signed_on=timezone.localdate()
        )
    result = services.contract_sign(
        actor=rep, contract_id=contract.pk, signed_on=timezone.localdate(), win_opportunity=False
    )
    assert not result.won
    opp.refresh_from_db()
    assert opp.status == OpportunityStatus.OPEN


def test_win_guard_and_link(people, make_user):
    rep = people["rep"]
    customer = make_customer(rep)
    opp = make_opportunity(rep, customer)
    with pytest.raises(DomainError) as exc:
        services.ensure_win_allowed(opp)
    assert exc.value.code == "win_requires_contract"
    setting_change(
        actor=make_user("admin"), key="deal.win_requires_contract", value=False, reason="试点"
    )
    services.ensure_win_allowed(opp)  # switched off: allowed
    setting_change(
        actor=make_user("admin"), key="deal.win_requires_contract", value=True, reason="恢复"
    )
    contract = signed_contract(people, customer=customer)
    assert services.deal_link_win(actor=rep, opportunity_id=opp.pk, contract_id=contract.pk)
    opp.refresh_from_db()
    contract.refresh_from_db()
    assert opp.status == OpportunityStatus.WON
    assert opp.amount == contract.amount
    assert contract.opportunity_id == opp.pk


def test_link_refuses_another_customer(people):
    rep = people["rep"]
    opp = make_opportunity(rep, make_customer(rep, name="甲"))
    contract = signed_contract(people, customer=make_customer(rep, name="乙"))
    with pytest.raises(ValidationError):
        services.deal_link_win(actor=rep, opportunity_id=opp.pk, contract_id=contract.pk)


def test_contract_rights(people):
    rep = people["rep"]
    with pytest.raises(NotAllowed):
        services.contract_create(
            actor=people["finance"], data={"amount": D(1)}, customer_id=make_customer(rep).pk
        )
    contract = draft(people, "1000")
    with pytest.raises(Http404):
        services.contract_update(actor=people["other_rep"], contract_id=contract.pk, data={})


def test_file_archive(people, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    rep = people["rep"]
    contract = draft(people, "1000")
    row = services.contract_file_add(
        actor=rep, contract_id=contract.pk, upload=SimpleUploadedFile("合同.pdf", b"%PDF-1.4 x")
    )
    assert row.file_name == "合同.pdf"
    with pytest.raises(ValidationError):
        services.contract_file_add(
            actor=rep, contract_id=contract.pk, upload=SimpleUploadedFile("a.exe", b"MZ\x90")
        )
