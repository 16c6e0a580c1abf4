"""/api/v1/opportunities: CRUD, the stage gate (409 with the missing outputs), outputs, the
skip request and its approval, won/lost/reopen, scope."""

from decimal import Decimal

import pytest

from salesflow.core import approvals
from salesflow.customers.models import Customer
from salesflow.pipeline import services as pipeline_services
from salesflow.pipeline.models import LostReason, Opportunity, StageEvent

pytestmark = pytest.mark.django_db


def customer_for(owner, grade="B"):
    return Customer.objects.create(
        name=f"客户{grade}{owner.pk}", name_key=f"k{grade}{owner.pk}", owner=owner, grade=grade
    )


def opp_for(owner, grade="B", amount="300000"):
    return pipeline_services.opportunity_create(
        actor=owner,
        customer_id=customer_for(owner, grade).pk,
        data={"name": "产线改造", "amount": Decimal(amount)},
    )


def form_data(output):
    values = {"date": "2025-09-30", "number": "100"}
    return {
        f["name"]: f["choices"][0] if f["type"] == "choice" else values.get(f["type"], "内容")
        for f in output.form_fields
    }


def test_create_read_update_delete(org, api_as):
    customer = customer_for(org.rep)
    api = api_as(org.rep)
    created = api.post(
        "/api/v1/opportunities",
        {"customer_id": customer.pk, "name": "产线改造", "amount": "300000",
         "expected_close_date": "2026-12-31"},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    opp = created.json()
    assert opp["stage"]["name"] == "初步接洽" and opp["status"] == "open"
    assert [m["name"] for m in opp["missing_outputs"]] == ["初次沟通记录"]
    assert opp["owner"]["id"] == org.rep.pk and opp["customer"]["id"] == customer.pk
    changed = api.patch(
        f"/api/v1/opportunities/{opp['id']}", {"amount": "350000", "probability": 30}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["amount"] == "350000.00" and changed.json()["probability"] == 30
    assert api.delete(f"/api/v1/opportunities/{opp['id']}").status_code == 404  # rep: no right
    assert api_as(org.manager).delete(f"/api/v1/opportunities/{opp['id']}").status_code == 204


def test_create_needs_a_customer_in_scope(org, api_as):
    theirs = customer_for(org.outsider)
    response = api_as(org.rep).post(
        "/api/v1/opportunities", {"customer_id": theirs.pk, "name": "抢单"}
    )
    assert response.status_code == 422  # a reference in the body: a field error, no leak
    assert response.json()["detail"][0]["loc"] == ["body", "customer_id"]
    assert (
        response.json()
        == api_as(org.rep)
        .post("/api/v1/opportunities", {"customer_id": 987654, "name": "抢单"})
        .json()
    )
    missing = api_as(org.rep).post("/api/v1/opportunities", {"name": "无客户"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "customer_id"]


def test_advance_without_outputs_is_409_listing_them(org, api_as):
    opp = opp_for(org.rep)
    api = api_as(org.rep)
    response = api.post(f"/api/v1/opportunities/{opp.pk}/advance", {})
    assert response.status_code == 409
    data = response.json()
    assert data["code"] == "gate"
    assert [m["name"] for m in data["missing"]] == ["初次沟通记录"]
    assert opp.events.count() == 1  # nothing written

    output = opp.stage.outputs.get()
    bad = api.post(f"/api/v1/opportunities/{opp.pk}/outputs/{output.pk}", {"data": {}})
    assert bad.status_code == 422
    assert ["body", "data", "contact_date"] in [i["loc"] for i in bad.json()["detail"]]
    ok = api.post(
        f"/api/v1/opportunities/{opp.pk}/outputs/{output.pk}", {"data": form_data(output)}
    )
    assert ok.status_code == 201, ok.content
    advanced = api.post(f"/api/v1/opportunities/{opp.pk}/advance", {"note": "客户确认需求"})
    assert advanced.status_code == 200, advanced.content
    assert advanced.json()["event"]["kind"] == "advance"
    assert advanced.json()["opportunity"]["stage"]["name"] == "需求分析"


def test_skip_request_then_approved_skip(org, api_as):
    opp = opp_for(org.rep, grade="A")
    api = api_as(org.rep)
    no_reason = api.post(f"/api/v1/opportunities/{opp.pk}/skip-request", {"reason": ""})
    assert no_reason.status_code == 422
    response = api.post(
        f"/api/v1/opportunities/{opp.pk}/skip-request", {"reason": "老客户复购，无需初次沟通"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    again = api.post(f"/api/v1/opportunities/{opp.pk}/skip-request", {"reason": "再申请"})
    assert again.status_code == 409
    approvals.approval_decide(actor=org.director, request_id=response.json()["id"], approve=True)
    advanced = api.post(f"/api/v1/opportunities/{opp.pk}/advance", {})
    assert advanced.status_code == 200, advanced.content
    assert advanced.json()["event"]["kind"] == "skip" and advanced.json()["event"]["skipped"]


def test_skip_request_for_a_b_class_customer_is_409(org, api_as):
    opp = opp_for(org.rep, grade="B")
    response = api_as(org.rep).post(
        f"/api/v1/opportunities/{opp.pk}/skip-request", {"reason": "赶时间"}
    )
    assert response.status_code == 409 and "A类" in response.json()["detail"]


def test_win_needs_a_signed_contract_by_default(org, api_as):
    opp = opp_for(org.rep, amount="280000")
    refused = api_as(org.rep).post(f"/api/v1/opportunities/{opp.pk}/win", {"amount": "280000"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "win_blocked" and "合同" in refused.json()["detail"]
    opp.refresh_from_db()
    assert opp.status == "open"
    assert not StageEvent.objects.filter(opportunity=opp, kind="won").exists()


def test_win_needs_an_amount(org, api_as, wins_without_contract):
    opp = opp_for(org.rep, amount="0")
    api = api_as(org.rep)
    refused = api.post(f"/api/v1/opportunities/{opp.pk}/win", {})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "amount"]
    won = api.post(f"/api/v1/opportunities/{opp.pk}/win", {"amount": "280000", "note": "签约"})
    assert won.status_code == 200, won.content
    assert won.json()["opportunity"]["status"] == "won"
    assert won.json()["opportunity"]["amount"] == "280000.00"
    closed = api.post(f"/api/v1/opportunities/{opp.pk}/win", {"amount": "1"})
    assert closed.status_code == 409
    # reopening needs a director
    assert (
        api.post(f"/api/v1/opportunities/{opp.pk}/reopen", {"reason": "客户反悔"}).status_code
        == 403
    )
    reopened = api_as(org.director).post(
        f"/api/v1/opportunities/{opp.pk}/reopen", {"reason": "客户改签"}
    )
    assert reopened.status_code == 200 and reopened.json()["opportunity"]["status"] == "open"


def test_lose_needs_a_reason(org, api_as):
    opp = opp_for(org.rep)
    api = api_as(org.rep)
    refused = api.post(f"/api/v1/opportunities/{opp.pk}/lose", {"lost_reason_id": 999999})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "lost_reason_id"]
    reason = LostReason.objects.filter(is_active=True).first()
    lost = api.post(
        f"/api/v1/opportunities/{opp.pk}/lose",
        {"lost_reason_id": reason.pk, "competitor": "某竞品"},
    )
    assert lost.status_code == 200 and lost.json()["opportunity"]["status"] == "lost"
    assert StageEvent.objects.filter(opportunity=opp, kind="lost").count() == 1


def test_out_of_scope_opportunity_is_404_on_every_operation(org, api_as):
    theirs = opp_for(org.outsider)
    mine = opp_for(org.rep)
    api = api_as(org.rep)
    base = f"/api/v1/opportunities/{theirs.pk}"
    assert api.get(base).status_code == 404
    assert api.patch(base, {"name": "改名"}).status_code == 404
    assert api.delete(base).status_code == 404
    for action, payload in (
        ("advance", {}),
        ("skip-request", {"reason": "理由"}),
        ("win", {"amount": "1"}),
        ("lose", {"lost_reason_id": LostReason.objects.first().pk}),
        ("reopen", {"reason": "理由"}),
        ("move-back", {"to_stage_id": theirs.stage_id, "note": "理由"}),
        (f"outputs/{theirs.stage.outputs.get().pk}", {"data": {}}),
    ):
        assert api.post(f"{base}/{action}", payload).status_code == 404, action
    assert [o["id"] for o in api.get("/api/v1/opportunities").json()["items"]] == [mine.pk]
    theirs.refresh_from_db()
    assert theirs.name == "产线改造" and theirs.status == "open" and theirs.deleted_at is None


def test_filters(org, api_as):
    small = opp_for(org.rep, amount="1000")
    big = pipeline_services.opportunity_create(
        actor=org.rep,
        customer_id=small.customer_id,
        data={"name": "大项目", "amount": Decimal("900000")},
    )
    api = api_as(org.rep)
    ids = [
        o["id"] for o in api.get("/api/v1/opportunities", {"min_amount": "500000"}).json()["items"]
    ]
    assert ids == [big.pk]
    assert api.get("/api/v1/opportunities", {"q": "大项目"}).json()["items"][0]["id"] == big.pk
    assert api.get("/api/v1/opportunities", {"close_month": "2026-13"}).status_code == 422
    assert Opportunity.objects.count() == 2
