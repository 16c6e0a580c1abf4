"""Pages: my day, the follow-up form (quick entry and subject picker), the follow-up list with
export, tasks, the weekly review, attachments; out of scope is 404."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from salesflow.core.models import AuditEntry
from salesflow.leads.models import Intent, LeadGrade
from salesflow.pipeline.models import Opportunity

from .. import services
from ..models import FollowUp, Task
from .followup_fixtures import (
    PDF,
    H,
    customer_for,
    followup_data,
    lead_for,
    opportunity_for,
    people,
)

pytestmark = pytest.mark.django_db
FIXTURES = (people,)  # imported fixtures, used as test parameters
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def signed_in(client, user):
    client.force_login(user)
    return client


def form_post(**overrides):
    talked = timezone.localtime() - H
    data = {
        "communicated_at": talked.strftime(LOCAL_INPUT),
        "method": "phone",
        "topic": "报价沟通",
        "summary": "客户认可方案，关注付款方式",
        "customer_words": "“能不能分三期付款？”",
        "result": "done",
    }
    data.update(overrides)
    return data


# --- my day ------------------------------------------------------------------------------------


def test_my_day_lists_what_is_due(client, people):
    rep = people["rep"]
    now = timezone.now()
    customer_for(rep, name="逾期客户", next_followup_due_at=now - 48 * H)
    customer_for(rep, name="今日客户", next_followup_due_at=timezone.localtime().replace(
        hour=23, minute=0))  # fmt: skip
    customer_for(rep, name="下周客户", next_followup_due_at=now + 7 * 24 * H)
    lead_for(rep, name="A类待联系", grade=LeadGrade.A, graded_at=now - H,
             first_contact_due_at=now + 23 * H)  # fmt: skip
    services.task_create(actor=rep, data={"title": "逾期任务", "due_at": now - H})
    services.task_create(actor=rep, data={"title": "下月任务", "due_at": now + 30 * 24 * H})
    opp = opportunity_for(rep)
    Opportunity.objects.filter(pk=opp.pk).update(stage_due_at=now - H)
    customer_for(people["other"], name="别人的客户", next_followup_due_at=now - H)

    response = signed_in(client, rep).get(reverse("activities:my_day"))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("逾期客户", "今日客户", "A类待联系", "逾期任务", opp.name):
        assert text in html, text
    for text in ("下周客户", "下月任务", "别人的客户"):
        assert text not in html, text
    assert "followups/new/?customer=" in html


def test_my_day_needs_the_followup_right(client, make_user):
    response = signed_in(client, make_user("finance")).get(reverse("activities:my_day"))
    assert response.status_code == 404


# --- follow-up form ----------------------------------------------------------------------------


def test_quick_entry_from_a_customer_saves_and_returns(client, people):
    rep = people["rep"]
    customer = customer_for(rep)
    client = signed_in(client, rep)
    url = reverse("activities:followup_new") + f"?customer={customer.pk}&next=/customers/"
    page = client.get(url)
    assert page.status_code == 200 and customer.name in page.content.decode()
    due = (timezone.localtime() + 24 * H).strftime(LOCAL_INPUT)
    response = client.post(
        url,
        form_post(
            next="/customers/",
            next_step_action="发送分期方案",
            next_step_due=due,
            attachments=SimpleUploadedFile("纪要.pdf", PDF),
        ),
    )
    assert response.status_code == 302 and response["Location"] == "/customers/"
    record = FollowUp.objects.get()
    assert record.customer == customer and record.method == "phone"
    assert record.attachments.count() == 1
    assert Task.objects.get().title == "发送分期方案"


def test_quick_entry_for_an_out_of_scope_record_is_404(client, people):
    other = people["other"]
    client = signed_in(client, people["rep"])
    base = reverse("activities:followup_new")
    assert client.get(f"{base}?customer={customer_for(other).pk}").status_code == 404
    assert client.get(f"{base}?lead={lead_for(other).pk}").status_code == 404
    assert client.get(f"{base}?opportunity={opportunity_for(other).pk}").status_code == 404


def test_form_errors_are_shown_and_nothing_is_saved(client, people):
    rep = people["rep"]
    customer = customer_for(rep)
    response = signed_in(client, rep).post(
        reverse("activities:followup_new") + f"?customer={customer.pk}",
        form_post(summary="", next_step_action="回访"),
    )
    assert response.status_code == 200
    assert not FollowUp.objects.exists()
    html = response.content.decode()
    assert "invalid-feedback" in html


def test_unsafe_next_is_ignored(client, people):
    rep = people["rep"]
    customer = customer_for(rep)
    response = signed_in(client, rep).post(
        reverse("activities:followup_new") + f"?customer={customer.pk}",
        form_post(next="https://evil.example/"),
    )
    assert response.status_code == 302 and "evil" not in response["Location"]


def test_subject_picker_without_a_subject(client, people):
    rep = people["rep"]
    lead = lead_for(rep, name="自己的线索", intent=Intent.HIGH)
    customer_for(people["other"], name="别人的客户")
    client = signed_in(client, rep)
    page = client.get(reverse("activities:followup_new"))
    html = page.content.decode()
    assert "自己的线索" in html and "别人的客户" not in html
    response = client.post(reverse("activities:followup_new"), form_post(subject=f"lead:{lead.pk}"))
    assert response.status_code == 302
    assert FollowUp.objects.get().lead == lead


# --- list, detail, export ------------------------------------------------------------------------


def test_followup_list_detail_and_scope(client, people):
    rep, other, manager = people["rep"], people["other"], people["manager"]
    mine = services.followup_record(
        actor=rep, customer_id=customer_for(rep).pk, data=followup_data(topic="我的跟进")
    )
    theirs = services.followup_record(
        actor=other, customer_id=customer_for(other).pk, data=followup_data(topic="别人的跟进")
    )
    client = signed_in(client, rep)
    html = client.get(reverse("activities:followups")).content.decode()
    assert "我的跟进" in html and "别人的跟进" not in html
    assert client.get(reverse("activities:followup_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("activities:followup_detail", args=[theirs.pk])).status_code == 404
    client.force_login(manager)
    assert client.get(reverse("activities:followup_detail", args=[mine.pk])).status_code == 200
    filtered = client.get(reverse("activities:followups") + "?is_complete=0&q=我的")
    assert "我的跟进" in filtered.content.decode()


def test_export_for_managers_only(client, people):
    rep, manager = people["rep"], people["manager"]
    services.followup_record(actor=rep, customer_id=customer_for(rep).pk, data=followup_data())
    assert signed_in(client, rep).get(reverse("activities:followup_export")).status_code == 404
    client.force_login(manager)
    response = client.get(reverse("activities:followup_export") + "?format=csv")
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    assert "需求沟通" in body and "客户反馈（原话）" in body
    assert AuditEntry.objects.filter(action="followup.export").exists()


def test_attachment_download_is_scoped(client, people):
    rep = people["rep"]
    record = services.followup_record(
        actor=rep,
        customer_id=customer_for(rep).pk,
        data=followup_data(),
        attachments=[SimpleUploadedFile("纪要.pdf", PDF)],
    )
    attachment = record.attachments.get()
    url = reverse("activities:followup_attachment", args=[attachment.pk])
    response = signed_in(client, rep).get(url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF
    client.force_login(people["other"])
    assert client.get(url).status_code == 404


# --- tasks ---------------------------------------------------------------------------------------


def test_task_pages(client, people):
    manager, rep = people["manager"], people["rep"]
    client = signed_in(client, manager)
    response = client.post(
        reverse("activities:task_new"),
        {"title": "十月获客", "owner": rep.pk, "due_at": "2025-10-31T18:00"},
    )
    task = Task.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/tasks/{task.pk}/")
    response = client.post(
        reverse("activities:task_item_new", args=[task.pk]),
        {"name": "线上线索", "target_value": "20", "actual_value": "25"},
    )
    assert response.status_code == 302
    detail = client.get(reverse("activities:task_detail", args=[task.pk])).content.decode()
    assert "线上线索" in detail and "125.0%" in detail and "优" in detail

    client.force_login(rep)
    item = task.items.get()
    response = client.post(
        reverse("activities:task_progress", args=[task.pk]),
        {"day": "2025-10-10", "item": item.pk, "actual_value": "30", "note": "展会后新增 5 条"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.actual_value == 30
    assert client.post(reverse("activities:task_complete", args=[task.pk])).status_code == 302
    task.refresh_from_db()
    assert task.status == "done"
    assert "十月获客" in client.get(reverse("activities:tasks") + "?status=all").content.decode()


def test_task_out_of_scope_is_404(client, people):
    task = services.task_create(actor=people["other"], data={"title": "别人的任务"})
    client = signed_in(client, people["rep"])
    for name in ("task_detail", "task_edit", "task_item_new"):
        assert client.get(reverse(f"activities:{name}", args=[task.pk])).status_code == 404
    for name in ("task_complete", "task_cancel", "task_progress"):
        assert client.post(reverse(f"activities:{name}", args=[task.pk])).status_code == 404
    task.refresh_from_db()
    assert task.status == "open"


def test_cancel_needs_a_reason(client, people):
    rep = people["rep"]
    task = services.task_create(actor=rep, data={"title": "寄样品"})
    client = signed_in(client, rep)
    client.post(reverse("activities:task_cancel", args=[task.pk]), {"reason": ""})
    task.refresh_from_db()
    assert task.status == "open"
    client.post(reverse("activities:task_cancel", args=[task.pk]), {"reason": "客户取消"})
    task.refresh_from_db()
    assert task.status == "cancelled"


# --- weekly review -------------------------------------------------------------------------------


def test_weekly_review_for_managers(client, people):
    rep, manager = people["rep"], people["manager"]
    opp = opportunity_for(rep)
    Opportunity.objects.filter(pk=opp.pk).update(followups_since_stage=3)
    services.task_create(actor=rep, data={"title": "延期的任务", "due_at": timezone.now() - H})
    last_week = timezone.localtime() - datetime.timedelta(days=7)
    services.followup_record(
        actor=rep,
        customer_id=customer_for(rep).pk,
        data=followup_data(communicated_at=last_week),
    )
    assert signed_in(client, rep).get(reverse("activities:weekly_review")).status_code == 404
    client.force_login(manager)
    response = client.get(reverse("activities:weekly_review"))
    assert response.status_code == 200
    html = response.content.decode()
    assert opp.name in html and "延期的任务" in html and str(rep) in html
    assert "0.0%" in html  # rep's one follow-up last week was incomplete (no next step)
    week = client.get(reverse("activities:weekly_review") + "?week=2025-10-09")
    assert "2025-10-06" in week.content.decode()


# --- the include for detail pages ----------------------------------------------------------------


def test_quick_followup_include(people):
    rep = people["rep"]
    lead = lead_for(rep, next_followup_due_at=timezone.now() + 24 * H)
    request = RequestFactory().get(f"/leads/{lead.pk}/")
    request.user = rep
    html = render_to_string(
        "activities/partials/quick_followup.html", {"lead": lead}, request=request
    )
    assert f"/me/followups/new/?lead={lead.pk}&amp;next=/leads/{lead.pk}/" in html
    customer = customer_for(rep)
    html = render_to_string(
        "activities/partials/quick_followup.html", {"customer": customer}, request=request
    )
    assert f"?customer={customer.pk}" in html
    opp = opportunity_for(rep)
    html = render_to_string(
        "activities/partials/quick_followup.html", {"opportunity": opp}, request=request
    )
    assert f"?opportunity={opp.pk}" in html and "本阶段跟进" in html


def test_an_assistant_picks_the_rep_they_enter_for(client, people):
    rep, assistant = people["rep"], people["assistant"]
    customer = customer_for(rep)
    client = signed_in(client, assistant)
    url = reverse("activities:followup_new") + f"?customer={customer.pk}"
    assert 'name="owner"' in client.get(url).content.decode()
    assert client.post(url, form_post(owner=rep.pk)).status_code == 302
    record = FollowUp.objects.get()
    assert (record.owner, record.created_by) == (rep, assistant)
    client.force_login(rep)  # a rep enters for nobody else: no such field
    assert 'name="owner"' not in client.get(url).content.decode()


def test_my_day_query_count_does_not_grow_with_rows(people, django_assert_max_num_queries):
    from .. import selectors

    rep = people["rep"]
    now = timezone.now()
    for index in range(15):
        customer_for(rep, name=f"客户{index}", next_followup_due_at=now - index * H)
        lead_for(rep, name=f"线索{index}", intent=Intent.HIGH, next_followup_due_at=now - H)
        services.task_create(actor=rep, data={"title": f"任务{index}", "due_at": now - H})
    with django_assert_max_num_queries(8):
        day = selectors.my_day(rep, timezone.localdate())
        assert day["due"].count_overdue + day["due"].count_today == 30
        assert len(day["tasks_overdue"]) == 15


@pytest.mark.django_db
def test_quick_followup_entry_on_the_detail_pages(client, make_user):
    from django.urls import reverse

    from salesflow.customers.models import Customer

    rep = make_user("sales_rep")
    customer = Customer.objects.create(name="快速跟进客户", name_key="快速跟进客户", owner=rep)
    client.force_login(rep)
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "sf-quick-followup" in page and f"customer={customer.pk}" in page
    client.force_login(make_user("finance"))  # may view customers, may not write follow-ups
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "sf-quick-followup" not in page
