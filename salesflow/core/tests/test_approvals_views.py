"""The approvals inbox: who sees which request, deciding (a rejection needs a comment),
cancelling one's own request, and links to objects only for those who may see them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from salesflow.core.models import ApprovalRequest, ApprovalStep
from salesflow.customers.models import Customer
from salesflow.pipeline import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user, make_department):
    sales = make_department("销售中心")
    director = make_user("sales_director", department=sales, display_name="周总监")
    manager = make_user("sales_manager", department=sales, manager=director, display_name="王经理")
    rep = make_user("sales_rep", department=sales, manager=manager, display_name="李销售")
    return {"director": director, "manager": manager, "rep": rep}


@pytest.fixture
def skip_request(people):
    rep = people["rep"]
    customer = Customer.objects.create(name="A类客户", name_key="a-class", owner=rep, grade="A")
    opp = services.opportunity_create(
        actor=rep, customer_id=customer.pk, data={"name": "智能产线", "amount": Decimal(500000)}
    )
    return services.opportunity_request_skip(
        actor=rep, opportunity_id=opp.pk, reason="客户总经理已当面确认需求"
    )


def test_inbox_is_open_to_everyone_signed_in(client, make_user):
    client.force_login(make_user("customer_service"))
    response = client.get(reverse("approvals:inbox"))
    assert response.status_code == 200
    assert "没有待您审批的申请" in response.content.decode()


def test_director_sees_the_request_with_a_link_and_decision_form(client, people, skip_request):
    client.force_login(people["director"])
    html = client.get(reverse("approvals:inbox")).content.decode()
    assert "客户总经理已当面确认需求" in html and "阶段跳过" in html
    assert reverse("pipeline:detail", args=[skip_request.object_id]) in html
    assert reverse("approvals:decide", args=[skip_request.pk]) in html
    assert client.get(reverse("approvals:decide", args=[skip_request.pk])).status_code == 200


def test_manager_and_requester_cannot_decide(client, people, skip_request):
    url = reverse("approvals:decide", args=[skip_request.pk])
    for who in ("manager", "rep"):
        client.force_login(people[who])
        assert (
            "客户总经理已当面确认需求"
            not in (
                client.get(reverse("approvals:inbox") + "?tab=pending")
                .content.decode()
                .split('id="mine-pane"')[0]
            )
        )
        assert client.get(url).status_code == 404
        assert client.post(url, {"decision": "approve"}).status_code == 404
    skip_request.refresh_from_db()
    assert skip_request.status == ApprovalRequest.Status.PENDING


def test_rejection_needs_a_comment(client, people, skip_request):
    client.force_login(people["director"])
    url = reverse("approvals:decide", args=[skip_request.pk])
    response = client.post(url, {"decision": "reject", "comment": "  "})
    assert response.status_code == 400
    assert "驳回时请填写意见" in response.content.decode()
    skip_request.refresh_from_db()
    assert skip_request.status == ApprovalRequest.Status.PENDING
    response = client.post(url, {"decision": "reject", "comment": "请先补需求分析"})
    assert response.status_code == 302
    skip_request.refresh_from_db()
    assert skip_request.status == ApprovalRequest.Status.REJECTED
    step = ApprovalStep.objects.get(request=skip_request)
    assert step.decided_by == people["director"] and step.comment == "请先补需求分析"
    # Decided: no longer in the inbox, and a second decision is a 404.
    assert client.post(url, {"decision": "approve"}).status_code == 404
    html = client.get(reverse("approvals:inbox") + "?tab=decided").content.decode()
    assert "请先补需求分析" in html


def test_requester_follows_and_cancels_their_request(client, people, skip_request):
    client.force_login(people["rep"])
    html = client.get(reverse("approvals:inbox")).content.decode()
    assert "我的申请" in html and "待审批" in html
    assert reverse("approvals:cancel", args=[skip_request.pk]) in html
    client.force_login(people["director"])
    assert client.post(reverse("approvals:cancel", args=[skip_request.pk])).status_code == 404
    client.force_login(people["rep"])
    response = client.post(reverse("approvals:cancel", args=[skip_request.pk]))
    assert response.status_code == 302
    skip_request.refresh_from_db()
    assert skip_request.status == ApprovalRequest.Status.CANCELLED


def test_object_link_only_when_the_viewer_sees_the_object(people, skip_request, make_user):
    from salesflow.core.views_approvals import annotate

    detail = reverse("pipeline:detail", args=[skip_request.object_id])
    [seen] = annotate(people["director"], [skip_request])
    assert seen.object_link == detail
    [hidden] = annotate(make_user("customer_service"), [skip_request])
    assert hidden.object_link is None and hidden.kind_label == "阶段跳过"


def test_inbox_queries_do_not_grow_with_my_requests(
    client, people, skip_request, django_assert_max_num_queries
):
    rep = people["rep"]
    client.force_login(rep)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("approvals:inbox"))
    customer = Customer.objects.get(name="A类客户")
    for i in range(10):
        opp = services.opportunity_create(
            actor=rep, customer_id=customer.pk, data={"name": f"商机{i}", "amount": Decimal(1)}
        )
        services.opportunity_request_skip(actor=rep, opportunity_id=opp.pk, reason="理由")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("approvals:inbox"))
