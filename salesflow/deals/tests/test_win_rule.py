"""Won needs a signed contract or a live order (setting ``deal.win_requires_contract``, on by
default): through the pipeline's service, its page and the contract signature; a back-entered
historical win is the one exception and is audited as such."""

import pytest
from django.urls import reverse
from django.utils import timezone

from salesflow.core.errors import DomainError
from salesflow.core.models import AuditEntry
from salesflow.deals import services
from salesflow.pipeline import services as pipeline_services
from salesflow.pipeline.models import Opportunity, OpportunityStatus, StageEvent

from .conftest import approve_contract, make_customer, make_opportunity, signed_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def opp(people):
    return make_opportunity(people["rep"], make_customer(people["rep"]))


def test_the_service_refuses_a_win_without_a_contract(people, opp):
    with pytest.raises(DomainError) as refused:
        pipeline_services.opportunity_win(actor=people["rep"], opportunity_id=opp.pk)
    assert refused.value.code == "win_blocked" and "合同" in refused.value.message
    opp.refresh_from_db()
    assert opp.status == OpportunityStatus.OPEN
    assert not StageEvent.objects.filter(opportunity=opp, kind=StageEvent.Kind.WON).exists()


def test_the_page_explains_the_rule_and_offers_the_contract(client, people, opp):
    client.force_login(people["rep"])
    page = client.get(reverse("pipeline:detail", args=[opp.pk]))
    html = page.content.decode()
    assert "赢单须先关联已签署的合同" in html
    assert f"{reverse('deals:contract_create')}?opportunity={opp.pk}" in html
    posted = client.post(reverse("pipeline:win", args=[opp.pk]), {"amount": "300000"})
    assert posted.status_code == 302
    opp.refresh_from_db()
    assert opp.status == OpportunityStatus.OPEN


def test_a_signed_contract_allows_the_win(client, people, opp):
    signed_contract(people, opportunity=opp, amount=opp.amount)
    client.force_login(people["rep"])
    page = client.get(reverse("pipeline:detail", args=[opp.pk]))
    assert "赢单须先关联已签署的合同" not in page.content.decode()
    client.post(reverse("pipeline:win", args=[opp.pk]), {"amount": "300000", "note": "签约"})
    opp.refresh_from_db()
    assert opp.status == OpportunityStatus.WON


def test_signing_the_contract_wins_the_opportunity(people, opp):
    contract = services.contract_create(
        actor=people["rep"], data={"amount": opp.amount}, opportunity_id=opp.pk
    )
    approve_contract(people, contract)
    result = services.contract_sign(
        actor=people["rep"], contract_id=contract.pk, signed_on=timezone.localdate()
    )
    assert result.won and not result.win_error
    assert Opportunity.objects.get(pk=opp.pk).status == OpportunityStatus.WON


def test_a_historical_win_is_back_entered_and_audited(people, opp):
    pipeline_services.opportunity_win(
        actor=people["rep"], opportunity_id=opp.pk, note="2023 年签约", historical=True
    )
    opp.refresh_from_db()
    assert opp.status == OpportunityStatus.WON
    entry = AuditEntry.objects.filter(action="opportunity.win").latest("pk")
    assert "补录的历史赢单" in entry.message and "2023 年签约" in entry.message
