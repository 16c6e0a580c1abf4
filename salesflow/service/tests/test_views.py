"""Pages of 客户服务: status codes, rendered content, exports, bounded queries, and the
permission rule that customer service handles complaints without seeing opportunity amounts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from salesflow.service.models import Complaint, ComplaintState

from .conftest import log_complaint, make_customer

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def test_list_filters_and_bounded_queries(client, people, quality, django_assert_max_num_queries):
    cs = people["cs"]
    for index in range(30):
        customer = make_customer(people["rep"], name=f"客户{index:02d}")
        log_complaint(cs, customer, quality, handler=cs if index % 2 else None)
    _login(client, cs)
    url = reverse("service:complaint_list")
    with django_assert_max_num_queries(20):
        response = client.get(url)
    assert response.status_code == 200
    assert "客户29" in response.content.decode()
    with django_assert_max_num_queries(20):
        response = client.get(url, {"state": "received", "q": "客户0"})
    body = response.content.decode()
    assert response.status_code == 200 and "客户00" in body and "客户01" not in body
    assert client.get(url, {"handler": cs.pk}).context["page"].paginator.count == 15


def test_create_and_walk_the_steps_through_the_pages(client, people, customer, quality):
    cs = people["cs"]
    _login(client, cs)
    create = reverse("service:complaint_create")
    assert client.get(create, {"q": "恒达"}).context["matches"] == [customer]
    response = client.post(
        f"{create}?customer={customer.pk}",
        {"type": quality.pk, "description": "交付晚了两周", "handler": cs.pk},
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and complaint.state == ComplaintState.FORWARDED
    step = "service:complaint_step"
    client.post(
        reverse(step, args=[complaint.pk, "plan"]),
        {"plan-plan": "补发并赔付运费", "plan-resolve_by": datetime.date.today().isoformat()},
    )
    client.post(reverse(step, args=[complaint.pk, "complete"]), {"complete-note": "已补发"})
    response = client.post(
        reverse(step, args=[complaint.pk, "visit"]),
        {"visit-satisfaction": "3", "visit-feedback": "还是太慢"},
    )
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.REOPENED
    detail = client.get(reverse("service:complaint_detail", args=[complaint.pk]))
    body = detail.content.decode()
    assert "还是太慢" in body and "complaint-clocks" in body and "重新处理" in body


def test_export_needs_the_export_right(client, people, customer, quality):
    log_complaint(people["cs"], customer, quality, description="=HYPERLINK(1)")
    url = reverse("service:complaint_export")
    response = _login(client, people["cs"]).get(url, {"format": "csv"})
    assert response.status_code == 200
    assert "'=HYPERLINK(1)" in response.content.decode("utf-8-sig")
    assert _login(client, people["rep"]).get(url).status_code == 404


def test_rep_sees_only_complaints_of_their_customers(
    client, people, customer, other_customer, quality
):
    mine = log_complaint(people["cs"], customer, quality)
    theirs = log_complaint(people["cs"], other_customer, quality)
    _login(client, people["rep"])
    listed = client.get(reverse("service:complaint_list")).context["page"].object_list
    assert list(listed) == [mine]
    assert client.get(reverse("service:complaint_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("service:complaint_step", args=[mine.pk, "plan"])).status_code == 404


def test_customer_service_never_sees_opportunity_amounts(client, people, customer, quality):
    from salesflow.api import services as api_services
    from salesflow.pipeline import services as pipeline_services

    opp = pipeline_services.opportunity_create(
        actor=people["rep"],
        customer_id=customer.pk,
        data={"name": "产线改造", "amount": Decimal("876543")},
    )
    cs = people["cs"]
    _login(client, cs)
    # complaints for the customer: yes
    response = client.post(
        f"{reverse('service:complaint_create')}?customer={customer.pk}",
        {"type": quality.pk, "description": "安装延误"},
    )
    assert response.status_code == 302
    # opportunity pages: not found
    assert client.get(reverse("pipeline:detail", args=[opp.pk])).status_code == 404
    assert client.get(reverse("pipeline:list")).status_code == 404
    # the customer page and the service pages show no amount
    for url in (
        reverse("customers:detail", args=[customer.pk]),
        reverse("service:plan_detail", args=[customer.pk]),
    ):
        body = client.get(url).content.decode()
        assert "876543" not in body and "876,543" not in body and "87.65" not in body
    # the API: the opportunity is not found, the list holds nothing
    _token, secret = api_services.token_create(actor=cs, name="客服", scopes=["read"])
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"/api/v1/opportunities/{opp.pk}", headers=headers).status_code == 404
    listed = client.get("/api/v1/opportunities", headers=headers)
    assert listed.status_code in (200, 403, 404)
    assert "876543" not in listed.content.decode()


def test_granting_the_opportunity_right_shows_amounts(client, people, customer):
    from salesflow.org.models import Role, RolePermission
    from salesflow.pipeline import services as pipeline_services

    opp = pipeline_services.opportunity_create(
        actor=people["rep"],
        customer_id=customer.pk,
        data={"name": "改造", "amount": Decimal("876543")},
    )
    role = Role.objects.get(code="customer_service")
    RolePermission.objects.create(role=role, object_type="opportunity", actions=["view"])
    _login(client, people["cs"])
    response = client.get(reverse("pipeline:detail", args=[opp.pk]))
    assert response.status_code == 200


def test_measures_and_maintenance_pages(client, people, customer):
    _login(client, people["manager"])
    page = client.get(reverse("service:measures"))
    assert page.status_code == 200 and 'data-chart="service-tier-chart"' in page.content.decode()
    plan_url = reverse("service:plan_detail", args=[customer.pk])
    assert client.get(plan_url).status_code == 200
    response = client.post(reverse("service:plan_generate", args=[customer.pk]))
    assert response.status_code == 302
    assert customer.maintenance_actions.count() > 0
    assert client.get(reverse("service:action_list")).status_code == 200
    action = customer.maintenance_actions.first()
    response = client.post(
        reverse("service:action_log", args=[action.pk]),
        {"feedback": "客户很认可", "effect": "satisfied"},
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "done" and action.effect == "satisfied"
    response = client.post(
        reverse("service:survey_create", args=[customer.pk]), {"score": "80", "comment": "响应慢"}
    )
    assert response.status_code == 302
    assert customer.satisfaction_surveys.get().improvement_task is not None
    # another rep's customer is not found
    other = make_customer(people["other_rep"], name="别家客户")
    assert client.get(reverse("service:plan_detail", args=[other.pk])).status_code == 404


def test_administrator_edits_the_complaint_types(client, make_user, people):
    from salesflow.core.models import AuditEntry
    from salesflow.service.models import ComplaintType

    _login(client, make_user("admin"))
    url = reverse("admin:service_complainttype_changelist")
    assert "交付延迟" in client.get(url).content.decode()
    response = client.post(
        reverse("admin:service_complainttype_add"),
        {"name": "技术文档", "sort_order": "9", "is_active": "on"},
    )
    assert response.status_code == 302
    assert ComplaintType.objects.filter(name="技术文档").exists()
    assert AuditEntry.objects.filter(action="complainttype.create").exists()
    _login(client, people["rep"])
    assert client.get(url).status_code in (302, 403, 404)


def test_action_log_list_bounded_queries(client, people, django_assert_max_num_queries):
    from salesflow.service import services

    for index in range(6):
        customer = make_customer(people["rep"], name=f"维护客户{index}")
        services.maintenance_plan_generate(actor=people["rep"], customer_id=customer.pk)
    _login(client, people["manager"])
    with django_assert_max_num_queries(20):
        response = client.get(reverse("service:action_list"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count >= 6 * 4


def test_home_card_counts_overdue_complaints_in_scope(
    client, people, customer, other_customer, quality
):
    from .conftest import local

    log_complaint(people["cs"], customer, quality, received_at=local(2026, 11, 2, 10))
    log_complaint(people["cs"], other_customer, quality, received_at=local(2026, 11, 2, 10))
    log_complaint(people["cs"], customer, quality)  # just in: nothing overdue yet
    from salesflow.service.wiring import overdue_complaint_cards

    assert overdue_complaint_cards(people["cs"])[0].value == 2
    assert overdue_complaint_cards(people["rep"])[0].value == 1
    assert overdue_complaint_cards(people["other_manager"])[0].value == 1
    body = _login(client, people["rep"]).get("/").content.decode()
    assert "超时投诉" in body
