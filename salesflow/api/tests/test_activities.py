"""/api/v1/followups and /api/v1/tasks through the activities services."""

import datetime

import pytest
from django.utils import timezone

from salesflow.activities import services as activity_services
from salesflow.activities.models import FollowUp, Task
from salesflow.customers.models import Customer

pytestmark = pytest.mark.django_db


def customer_of(owner, name="华星机械"):
    return Customer.objects.create(name=name, name_key=f"k{name}{owner.pk}", owner=owner)


def followup_body(customer, **extra):
    return {
        "customer_id": customer.pk,
        "communicated_at": (timezone.now() - datetime.timedelta(minutes=30)).isoformat(),
        "method": "phone",
        "topic": "确认需求",
        "summary": "客户确认预算 30 万，下周安排演示",
        **extra,
    }


def test_record_and_read_a_followup_with_its_next_step_task(org, api_as):
    customer = customer_of(org.rep)
    api = api_as(org.rep)
    due = (timezone.now() + datetime.timedelta(days=2)).isoformat()
    created = api.post(
        "/api/v1/followups",
        followup_body(customer, next_step_action="发送演示方案", next_step_due=due),
    )
    assert created.status_code == 201, created.content
    followup = created.json()
    assert followup["customer"]["id"] == customer.pk and followup["owner"]["id"] == org.rep.pk
    assert followup["entry_sla_met"] is True
    detail = api.get(f"/api/v1/followups/{followup['id']}")
    assert detail.status_code == 200 and detail["ETag"]
    tasks = api.get("/api/v1/tasks", {"mine": "owner"}).json()["items"]
    assert [t["title"] for t in tasks] == ["发送演示方案"]
    listed = api.get("/api/v1/followups", {"customer_id": customer.pk}).json()["items"]
    assert [f["id"] for f in listed] == [followup["id"]]


def test_followup_validation_and_scope(org, api_as):
    api = api_as(org.rep)
    theirs = customer_of(org.outsider, "北方客户")
    hidden = api.post("/api/v1/followups", followup_body(theirs))
    assert hidden.status_code == 422
    assert hidden.json()["detail"][0]["loc"] == ["body", "customer_id"]
    mine = customer_of(org.rep)
    future = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    late = api.post("/api/v1/followups", followup_body(mine, communicated_at=future))
    assert late.status_code == 422
    assert late.json()["detail"][0]["loc"] == ["body", "communicated_at"]
    no_due = api.post("/api/v1/followups", followup_body(mine, next_step_action="回访"))
    assert no_due.status_code == 422
    assert no_due.json()["detail"][0]["loc"] == ["body", "next_step_due"]
    followup = activity_services.followup_record(
        actor=org.outsider,
        data={
            "communicated_at": timezone.now(),
            "method": "visit",
            "topic": "拜访",
            "summary": "现场拜访",
        },
        customer_id=theirs.pk,
    )
    assert api.get(f"/api/v1/followups/{followup.pk}").status_code == 404
    assert api.get("/api/v1/followups").json()["items"] == []
    assert FollowUp.objects.count() == 1


def test_task_create_change_complete_cancel(org, api_as):
    api = api_as(org.manager)
    created = api.post(
        "/api/v1/tasks",
        {"title": "整理报价单", "owner_id": org.rep.pk, "due_at": "2030-01-31T18:00:00+08:00"},
    )
    assert created.status_code == 201, created.content
    task = created.json()
    assert task["owner"]["id"] == org.rep.pk and task["status"] == "open"
    url = f"/api/v1/tasks/{task['id']}"
    etag = api.get(url)["ETag"]
    changed = api.patch(url, {"title": "整理并发送报价单"}, {"If-Match": etag})
    assert changed.status_code == 200 and changed.json()["title"] == "整理并发送报价单"
    assert api.patch(url, {"title": "旧版本"}, {"If-Match": etag}).status_code == 412
    done = api_as(org.rep).post(f"{url}/complete", {"note": "已发送"})
    assert done.status_code == 200 and done.json()["status"] == "done"
    again = api.post(f"{url}/cancel", {"reason": "不需要了"})
    assert again.status_code == 409
    assert api.get("/api/v1/tasks", {"status": "done"}).json()["items"][0]["id"] == task["id"]
    assert api.get("/api/v1/tasks").json()["items"] == []  # default: open tasks only


def test_task_cancel_needs_a_reason_and_scope_applies(org, api_as):
    task = activity_services.task_create(actor=org.outsider, data={"title": "北区任务"})
    api = api_as(org.rep)
    assert api.get(f"/api/v1/tasks/{task.pk}").status_code == 404
    assert api.patch(f"/api/v1/tasks/{task.pk}", {"title": "改"}).status_code == 404
    assert api.post(f"/api/v1/tasks/{task.pk}/complete", {}).status_code == 404
    mine = activity_services.task_create(actor=org.rep, data={"title": "我的任务"})
    refused = api.post(f"/api/v1/tasks/{mine.pk}/cancel", {"reason": ""})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "reason"]
    assert Task.objects.get(pk=task.pk).title == "北区任务"
