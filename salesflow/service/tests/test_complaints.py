"""The complaint flow and its SLA clocks on the working calendar."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from salesflow.activities.models import Notification
from salesflow.customers.models import Tier
from salesflow.service import services
from salesflow.service.models import ComplaintEvent, ComplaintState
from salesflow.service.sweep import complaint_sla_sweep

from .conftest import local, log_complaint, to_completed

pytestmark = pytest.mark.django_db


# --- SLA clocks across the working calendar -------------------------------------------------


def test_forward_clock_from_friday_evening_starts_on_monday(people, customer, quality):
    # Friday 2026-11-20 20:00: the 1h forward SLA counts from Monday 09:00.
    complaint = log_complaint(people["cs"], customer, quality, received_at=local(2026, 11, 20, 20))
    assert complaint.forward_due_at == local(2026, 11, 23, 10)
    # normal tier: respond within 4 working hours
    assert complaint.response_due_at == local(2026, 11, 23, 13)
    assert complaint.resolve_due_at is None


def test_forward_clock_before_national_day_resumes_after_the_holiday(people, customer, quality):
    # Wednesday 2026-09-30 17:30, the eve of the 10-01…10-07 holiday: 30 minutes that day,
    # the remaining 30 minutes on Thursday 10-08.
    complaint = log_complaint(
        people["cs"], customer, quality, received_at=local(2026, 9, 30, 17, 30)
    )
    assert complaint.forward_due_at == local(2026, 10, 8, 9, 30)


def test_plan_clock_24_working_hours_spans_the_holiday(people, customer, quality, freeze):
    freeze(local(2026, 9, 30, 10))
    complaint = log_complaint(
        people["cs"], customer, quality, received_at=local(2026, 9, 30, 9, 30), handler=people["cs"]
    )
    # 8h on 09-30, 9h on 10-08, the last 7h on 10-09
    assert complaint.plan_due_at == local(2026, 10, 9, 16)
    assert complaint.state == ComplaintState.FORWARDED


def test_return_visit_clock_after_completion_on_friday(people, customer, quality, freeze):
    freeze(local(2026, 11, 20, 9))
    complaint = log_complaint(people["cs"], customer, quality, handler=people["cs"])
    services.complaint_plan(
        actor=people["cs"],
        complaint_id=complaint.pk,
        plan="上门更换",
        resolve_by=datetime.date(2026, 11, 21),
    )
    freeze(local(2026, 11, 20, 17))
    complaint = services.complaint_complete(
        actor=people["cs"], complaint_id=complaint.pk, note="完成"
    )
    # 1h left on Friday, 1h on Monday
    assert complaint.visit_due_at == local(2026, 11, 23, 10)


def test_vip_response_and_resolve_clocks(people, quality):
    from .conftest import make_customer

    vip = make_customer(people["rep"], name="上海东方重工集团", tier=Tier.VIP)
    complaint = log_complaint(people["cs"], vip, quality, received_at=local(2026, 11, 20, 16))
    assert complaint.tier == Tier.VIP
    assert complaint.response_due_at == local(2026, 11, 20, 18)  # 2h: 16–18 Friday
    assert complaint.resolve_due_at == local(2026, 11, 25, 13)  # 2 + 9 + 9 + 4 hours


def test_clocks_follow_the_settings(people, customer, quality, set_setting):
    set_setting("complaint.sla_working_time", False)
    set_setting("complaint.forward_sla", "30m")
    complaint = log_complaint(people["cs"], customer, quality, received_at=local(2026, 11, 20, 20))
    assert complaint.forward_due_at == local(2026, 11, 20, 20, 30)


# --- closing only with satisfaction ---------------------------------------------------------


def test_satisfaction_3_reopens_with_the_feedback(people, customer, quality):
    cs = people["cs"]
    complaint = to_completed(log_complaint(cs, customer, quality, handler=cs), cs)
    complaint = services.complaint_return_visit(
        actor=cs, complaint_id=complaint.pk, satisfaction=3, feedback="异响仍在，要求换整机"
    )
    assert complaint.state == ComplaintState.REOPENED
    assert complaint.customer_feedback == "异响仍在，要求换整机"
    assert complaint.reopen_count == 1 and complaint.closed_at is None
    assert complaint.plan_due_at is not None and complaint.planned_at is None
    kinds = list(complaint.events.values_list("kind", flat=True))
    assert kinds[-2:] == ["visited", "reopened"]
    # a second round closes with 4
    complaint = to_completed(complaint, cs)
    complaint = services.complaint_return_visit(
        actor=cs, complaint_id=complaint.pk, satisfaction=4, feedback="整机已换，满意"
    )
    assert complaint.state == ComplaintState.CLOSED and complaint.closed_at is not None


def test_close_threshold_is_a_setting(people, customer, quality, set_setting):
    set_setting("complaint.close_min_satisfaction", 5)
    cs = people["cs"]
    complaint = to_completed(log_complaint(cs, customer, quality, handler=cs), cs)
    complaint = services.complaint_return_visit(
        actor=cs, complaint_id=complaint.pk, satisfaction=4, feedback="基本满意"
    )
    assert complaint.state == ComplaintState.REOPENED


def test_steps_out_of_order_are_refused(people, customer, quality):
    cs = people["cs"]
    complaint = log_complaint(cs, customer, quality)
    with pytest.raises(services.IllegalComplaintStep):
        services.complaint_complete(actor=cs, complaint_id=complaint.pk, note="x")
    with pytest.raises(services.IllegalComplaintStep):
        services.complaint_plan(
            actor=cs, complaint_id=complaint.pk, plan="x", resolve_by=datetime.date.today()
        )
    complaint = services.complaint_forward(actor=cs, complaint_id=complaint.pk, handler=cs)
    with pytest.raises(ValidationError):
        services.complaint_plan(actor=cs, complaint_id=complaint.pk, plan="", resolve_by=None)


def test_handler_must_be_able_to_handle_complaints(people, customer, quality):
    with pytest.raises(ValidationError):
        log_complaint(people["cs"], customer, quality, handler=people["rep"])


# --- breaches remind the handler and the manager, once --------------------------------------


def test_breach_reminds_handler_and_manager_once(people, customer, quality, freeze):
    cs, lead = people["cs"], people["cs_lead"]
    freeze(local(2026, 11, 23, 9))
    complaint = log_complaint(cs, customer, quality, handler=cs)
    now = local(2026, 11, 27, 12)  # plan due Wednesday 15:00 passed; respond due passed too
    sent = complaint_sla_sweep(now)
    assert sent == 4  # (response, plan) × (handler, manager)
    assert Notification.objects.filter(user=cs, kind="complaint.sla").count() == 2
    assert Notification.objects.filter(user=lead, kind="complaint.sla").count() == 2
    assert complaint_sla_sweep(now + datetime.timedelta(minutes=5)) == 0
    breaches = ComplaintEvent.objects.filter(complaint=complaint, kind="breached")
    assert sorted(breaches.values_list("clock", flat=True)) == ["plan", "response"]


def test_unforwarded_complaint_reminds_the_person_who_logged_it(people, customer, quality):
    complaint = log_complaint(people["cs"], customer, quality, received_at=local(2026, 11, 20, 20))
    sent = complaint_sla_sweep(local(2026, 11, 23, 10, 30))
    assert sent == 2  # forward clock: the logger and their manager
    assert Notification.objects.filter(user=people["cs_lead"]).exists()
    assert complaint.handler is None


# --- scope ------------------------------------------------------------------------------------


def test_customer_service_logs_for_any_customer_reps_only_their_own(
    people, customer, other_customer, quality
):
    from salesflow.service.selectors import complaint_get, complaint_list

    cs = people["cs"]
    mine = log_complaint(cs, customer, quality)
    theirs = log_complaint(cs, other_customer, quality)
    assert set(complaint_list(user=cs)) == {mine, theirs}
    assert list(complaint_list(user=people["rep"])) == [mine]
    assert list(complaint_list(user=people["manager"])) == [mine]
    assert set(complaint_list(user=people["director"])) == {mine, theirs}
    with pytest.raises(Http404):
        complaint_get(user=people["rep"], pk=theirs.pk)
    # a rep may log a complaint for their own customer, not for another rep's
    log_complaint(people["rep"], customer, quality)
    with pytest.raises(Http404):
        log_complaint(people["rep"], other_customer, quality)
    # and cannot handle it
    with pytest.raises(Http404):
        services.complaint_forward(actor=people["rep"], complaint_id=mine.pk, handler=cs)
