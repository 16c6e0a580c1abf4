"""Follow-up records (SPEC S4): the 2h entry rule, completeness from the setting, the subject's
dates and cadence, next step → task with the cross-department notification, stalled
opportunities, attachments, privacy and scope."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone

from salesflow.core.errors import DomainError, NotAllowed, ValidationError
from salesflow.core.models import AuditEntry, Collaborator, SettingValue
from salesflow.core.sla import deadline
from salesflow.leads.models import Intent, LeadGrade, LeadStatus
from salesflow.pipeline import services as pipeline_services
from salesflow.pipeline.models import Opportunity

from .. import selectors, services
from ..models import FollowUp, Notification, Task
from .followup_fixtures import (
    PDF,
    SH,
    D,
    H,
    at,
    customer_for,
    followup_data,
    lead_for,
    opportunity_for,
    people,
)

pytestmark = pytest.mark.django_db
FIXTURES = (people,)  # imported fixtures, used as test parameters


def just_now(**overrides):
    """A talk that ended just now (after the opportunity's last stage change)."""
    return followup_data(communicated_at=timezone.now(), **overrides)


def freeze(monkeypatch, moment):
    monkeypatch.setattr("salesflow.activities.services.timezone.now", lambda: moment)


# --- the 2h entry rule -----------------------------------------------------------------------


def test_entry_rule_boundary_exactly_2h_met_one_second_more_missed():
    talked = at(2025, 6, 10, 9, 0)
    assert services.entry_sla_met(talked, talked + 2 * H) is True
    assert services.entry_sla_met(talked, talked + 2 * H + datetime.timedelta(seconds=1)) is False


def test_entry_rule_is_stored_on_the_record(people, monkeypatch):
    rep = people["rep"]
    customer = customer_for(rep)
    now = at(2025, 6, 10, 12, 0)
    freeze(monkeypatch, now)
    on_time = services.followup_record(
        actor=rep, customer_id=customer.pk, data=followup_data(communicated_at=now - 2 * H)
    )
    late = services.followup_record(
        actor=rep,
        customer_id=customer.pk,
        data=followup_data(communicated_at=now - 2 * H - datetime.timedelta(seconds=1)),
    )
    assert (on_time.entered_at, on_time.entry_sla_met) == (now, True)
    assert late.entry_sla_met is False


def test_entry_rule_follows_the_setting(people, monkeypatch):
    SettingValue.objects.create(key="followup.entry_sla", value="1h")
    rep = people["rep"]
    now = at(2025, 6, 10, 12, 0)
    freeze(monkeypatch, now)
    record = services.followup_record(
        actor=rep,
        customer_id=customer_for(rep).pk,
        data=followup_data(communicated_at=now - 90 * datetime.timedelta(minutes=1)),
    )
    assert record.entry_sla_met is False


# --- completeness ----------------------------------------------------------------------------


def test_completeness_uses_the_required_fields_setting(people):
    rep = people["rep"]
    customer = customer_for(rep)
    due = datetime.datetime.now(tz=SH) + 2 * D
    full = services.followup_record(
        actor=rep,
        customer_id=customer.pk,
        data=followup_data(next_step_action="发送报价", next_step_due=due),
    )
    assert full.is_complete is True
    no_words = services.followup_record(
        actor=rep,
        customer_id=customer.pk,
        data=followup_data(customer_words="  ", next_step_action="发送报价", next_step_due=due),
    )
    assert no_words.is_complete is False
    no_step = services.followup_record(actor=rep, customer_id=customer.pk, data=followup_data())
    assert no_step.is_complete is False

    SettingValue.objects.create(key="followup.required_fields", value="topic, summary")
    assert services.followup_record(
        actor=rep, customer_id=customer.pk, data=followup_data(customer_words="")
    ).is_complete


def test_completeness_may_require_attachments(people):
    SettingValue.objects.create(key="followup.required_fields", value="topic,attachments")
    rep = people["rep"]
    customer = customer_for(rep)
    without = services.followup_record(actor=rep, customer_id=customer.pk, data=followup_data())
    with_file = services.followup_record(
        actor=rep,
        customer_id=customer.pk,
        data=followup_data(),
        attachments=[SimpleUploadedFile("纪要.pdf", PDF)],
    )
    assert (without.is_complete, with_file.is_complete) == (False, True)
    assert with_file.attachments.get().name == "纪要.pdf"


def test_unknown_required_field_is_a_clear_error(people):
    SettingValue.objects.create(key="followup.required_fields", value="topic,budget")
    rep = people["rep"]
    with pytest.raises(DomainError, match="budget"):
        services.followup_record(actor=rep, customer_id=customer_for(rep).pk, data=followup_data())
    assert not FollowUp.objects.exists()


# --- validation, privacy, rights -------------------------------------------------------------


def test_required_fields_and_next_step_shape(people):
    rep = people["rep"]
    customer = customer_for(rep)
    with pytest.raises(ValidationError) as exc:
        services.followup_record(
            actor=rep,
            customer_id=customer.pk,
            data=followup_data(topic="", method="fax", next_step_action="发报价"),
        )
    assert {"topic", "method", "next_step_due"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        services.followup_record(
            actor=rep,
            customer_id=customer.pk,
            data=followup_data(communicated_at=datetime.datetime.now(tz=SH) + 2 * H),
        )
    assert "communicated_at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.followup_record(actor=rep, data=followup_data())
    assert "subject" in exc.value.message_dict


def test_id_card_number_is_refused(people):
    rep = people["rep"]
    with pytest.raises(ValidationError) as exc:
        services.followup_record(
            actor=rep,
            customer_id=customer_for(rep).pk,
            data=followup_data(customer_words="身份证 11010519491231002X"),
        )
    assert "customer_words" in exc.value.message_dict
    assert not FollowUp.objects.exists()


def test_attachment_type_is_checked_from_content(people):
    rep = people["rep"]
    fake = SimpleUploadedFile("纪要.pdf", b"MZ\x90\x00 not a pdf")
    with pytest.raises(ValidationError) as exc:
        services.followup_record(
            actor=rep, customer_id=customer_for(rep).pk, data=followup_data(), attachments=[fake]
        )
    assert "attachments" in exc.value.message_dict


def test_out_of_scope_subject_is_not_found(people):
    rep, other = people["rep"], people["other"]
    with pytest.raises(Http404):
        services.followup_record(
            actor=rep, customer_id=customer_for(other).pk, data=followup_data()
        )
    with pytest.raises(Http404):
        services.followup_record(actor=rep, lead_id=lead_for(other).pk, data=followup_data())
    with pytest.raises(Http404):
        services.followup_record(
            actor=rep, opportunity_id=opportunity_for(other).pk, data=followup_data()
        )


def test_without_the_right_nothing_is_recorded(people, make_user):
    finance = make_user("finance")
    with pytest.raises(NotAllowed):
        services.followup_record(
            actor=finance, customer_id=customer_for(people["rep"]).pk, data=followup_data()
        )


def test_a_read_only_collaborator_may_record_a_followup(people):
    rep, expert = people["rep"], people["expert"]
    opp = opportunity_for(rep)
    Collaborator.objects.create(
        content_type=ContentType.objects.get_for_model(Opportunity),
        object_id=opp.pk,
        user=expert,
        can_edit=False,
        added_by=rep,
    )
    record = services.followup_record(actor=expert, opportunity_id=opp.pk, data=followup_data())
    assert record.customer_id == opp.customer_id and record.owner == expert


def test_an_assistant_records_for_a_rep_they_support(people):
    rep, assistant = people["rep"], people["assistant"]
    customer = customer_for(rep)
    record = services.followup_record(
        actor=assistant, customer_id=customer.pk, data=followup_data(owner=rep)
    )
    assert (record.owner, record.created_by) == (rep, assistant)
    with pytest.raises(ValidationError):
        services.followup_record(
            actor=assistant,
            customer_id=customer.pk,
            data=followup_data(owner=people["expert"]),  # tech department: out of reach
        )


def test_lead_and_customer_at_once_is_refused(people):
    rep = people["rep"]
    with pytest.raises(ValidationError):
        services.followup_record(
            actor=rep,
            lead_id=lead_for(rep).pk,
            customer_id=customer_for(rep).pk,
            data=followup_data(),
        )


# --- effects on the subject ------------------------------------------------------------------


def test_first_followup_of_a_lead_is_its_first_contact(people):
    rep = people["rep"]
    graded = datetime.datetime.now(tz=SH) - 5 * H
    lead = lead_for(rep, grade=LeadGrade.A, intent=Intent.HIGH, graded_at=graded,
                    first_contact_due_at=graded + 24 * H)  # fmt: skip
    talked = datetime.datetime.now(tz=SH) - H
    services.followup_record(actor=rep, lead_id=lead.pk, data=followup_data(communicated_at=talked))
    lead.refresh_from_db()
    assert lead.first_contact_at == talked
    assert lead.last_followup_at == talked
    assert lead.status == LeadStatus.CONTACTING
    assert lead.next_followup_due_at == deadline(talked, "7d")  # intent high: weekly
    assert AuditEntry.objects.filter(action="lead.contact", object_id=str(lead.pk)).exists()
    # The response time measure: first contact − grading time.
    assert selectors.response_hours(lead) == 4


def test_later_followups_move_only_the_last_followup(people):
    rep = people["rep"]
    first = datetime.datetime.now(tz=SH) - 10 * H
    lead = lead_for(rep, intent=Intent.LOW, first_contact_at=first, last_followup_at=first)
    services.followup_record(actor=rep, lead_id=lead.pk, data=followup_data())
    lead.refresh_from_db()
    assert lead.first_contact_at == first
    assert lead.last_followup_at > first


def test_customer_dates_and_cadence_move(people):
    rep = people["rep"]
    customer = customer_for(rep, grade="A")
    talked = datetime.datetime.now(tz=SH) - H
    services.followup_record(
        actor=rep, customer_id=customer.pk, data=followup_data(communicated_at=talked)
    )
    customer.refresh_from_db()
    assert customer.last_followup_at == talked
    assert customer.next_followup_due_at == deadline(talked, "7d")  # A: weekly


def test_opportunity_counts_followups_and_its_customer_is_the_subject(people):
    rep = people["rep"]
    opp = opportunity_for(rep)
    record = services.followup_record(actor=rep, opportunity_id=opp.pk, data=just_now())
    opp.refresh_from_db()
    assert record.customer_id == opp.customer_id
    assert opp.followups_since_stage == 1
    assert opp.last_followup_at == record.communicated_at


# --- next step → task --------------------------------------------------------------------------


def test_next_step_becomes_a_task_linked_to_its_source(people):
    rep = people["rep"]
    customer = customer_for(rep)
    due = datetime.datetime.now(tz=SH) + 2 * D
    record = services.followup_record(
        actor=rep,
        customer_id=customer.pk,
        data=followup_data(next_step_action="发送正式报价", next_step_due=due),
    )
    task = Task.objects.get(followup=record)
    assert (task.title, task.owner, task.due_at, task.customer) == (
        "发送正式报价",
        rep,
        due,
        customer,
    )
    assert task.created_by == rep and customer.name in task.source_label
    assert not Notification.objects.exists()  # one's own step: no message


def test_cross_department_next_step_notifies_the_other_owner(people):
    rep, expert, mate = people["rep"], people["expert"], people["mate"]
    customer = customer_for(rep)
    due = datetime.datetime.now(tz=SH) + 2 * D
    services.followup_record(
        actor=rep,
        customer_id=customer.pk,
        data=followup_data(
            next_step_action="技术方案演示", next_step_due=due, next_step_owner=expert
        ),
    )
    task = Task.objects.get(owner=expert)
    message = Notification.objects.get(user=expert)
    assert message.kind == "task.assigned"
    assert "跨部门" in message.title and "技术方案演示" in message.title
    assert message.url.endswith(f"/tasks/{task.pk}/")
    # The expert sees the task (scope: owner), the rep follows it (creator).
    assert selectors.task_list(user=expert).filter(pk=task.pk).exists()
    assert selectors.task_list(user=rep).filter(pk=task.pk).exists()

    services.followup_record(
        actor=rep,
        customer_id=customer.pk,
        data=followup_data(next_step_action="寄样品", next_step_due=due, next_step_owner=mate),
    )
    same_department = Notification.objects.get(user=mate)
    assert "跨部门" not in same_department.title and "寄样品" in same_department.title


# --- stalled opportunities -------------------------------------------------------------------


def _fill_current_stage(opp, actor):
    from salesflow.pipeline.models import StageOutput

    opp.refresh_from_db()
    for output in opp.stage.outputs.all():
        if output.kind == StageOutput.Kind.FILE:
            pipeline_services.output_submit(
                actor=actor,
                opportunity_id=opp.pk,
                output_id=output.pk,
                upload=SimpleUploadedFile("方案.pdf", PDF),
            )
        else:
            data = {
                f["name"]: (
                    "2025-09-30"
                    if f["type"] == "date"
                    else f["choices"][0]
                    if f["type"] == "choice"
                    else "100"
                    if f["type"] == "number"
                    else "内容"
                )
                for f in output.form_fields
            }
            pipeline_services.output_submit(
                actor=actor, opportunity_id=opp.pk, output_id=output.pk, data=data
            )


def test_stalled_at_three_followups_and_reset_by_a_stage_change(people):
    rep, manager = people["rep"], people["manager"]
    opp = opportunity_for(rep)
    for _i in range(2):
        services.followup_record(actor=rep, opportunity_id=opp.pk, data=just_now())
    assert not selectors.stalled_opportunities(manager).filter(pk=opp.pk).exists()
    services.followup_record(actor=rep, opportunity_id=opp.pk, data=just_now())
    assert list(selectors.stalled_opportunities(manager)) == [Opportunity.objects.get(pk=opp.pk)]
    assert not selectors.stalled_opportunities(people["other"]).exists()  # not their team
    alert = Notification.objects.get(user=manager, kind="opportunity.stalled")
    assert opp.name in alert.title
    services.followup_record(actor=rep, opportunity_id=opp.pk, data=just_now())
    assert Notification.objects.filter(kind="opportunity.stalled").count() == 1  # once

    _fill_current_stage(opp, rep)
    pipeline_services.opportunity_advance(actor=rep, opportunity_id=opp.pk)
    opp.refresh_from_db()
    assert opp.followups_since_stage == 0
    assert not selectors.stalled_opportunities(manager).exists()


def test_stalled_threshold_is_a_setting(people):
    SettingValue.objects.create(key="pipeline.stalled_followups", value="2")
    rep = people["rep"]
    opp = opportunity_for(rep)
    for _i in range(2):
        services.followup_record(actor=rep, opportunity_id=opp.pk, data=just_now())
    assert selectors.stalled_opportunities(people["manager"]).count() == 1


def test_a_talk_before_the_stage_change_does_not_count(people):
    rep = people["rep"]
    opp = opportunity_for(rep)
    opp.refresh_from_db()
    before = opp.stage_entered_at - H
    services.followup_record(
        actor=rep, opportunity_id=opp.pk, data=followup_data(communicated_at=before)
    )
    opp.refresh_from_db()
    assert opp.followups_since_stage == 0


# --- KPIs ------------------------------------------------------------------------------------


def test_followup_completeness_rates_per_person(people, monkeypatch):
    rep, mate = people["rep"], people["mate"]
    now = at(2025, 6, 11, 12, 0)
    freeze(monkeypatch, now)
    SettingValue.objects.create(key="followup.required_fields", value="topic,customer_words")
    customer = customer_for(rep)
    for words in ("原话一", "原话二", "原话三", ""):
        services.followup_record(
            actor=rep,
            customer_id=customer.pk,
            data=followup_data(communicated_at=at(2025, 6, 10, 10), customer_words=words),
        )
    result = selectors.followup_completeness([rep.pk, mate.pk], (at(2025, 6, 9).date(),
                                                                 at(2025, 6, 15).date()))  # fmt: skip
    assert result.for_user(rep.pk).rate == 75
    assert result.for_user(mate.pk).rate is None  # no rows → shown as "—"
    assert result.overall.total == 4 and result.overall.hits == 3


def test_lead_response_timeliness(people):
    rep = people["rep"]
    graded = at(2025, 6, 10, 9, 0)
    due = graded + 24 * H
    lead_for(rep, grade="A", graded_at=graded, first_contact_due_at=due,
             first_contact_at=graded + 3 * H)  # fmt: skip
    lead_for(rep, grade="A", graded_at=graded, first_contact_due_at=due,
             first_contact_at=graded + 30 * H)  # fmt: skip
    lead_for(rep, grade="A", graded_at=graded, first_contact_due_at=due)  # never contacted
    lead_for(rep, grade="B", graded_at=graded)  # no response SLA
    period = (graded.date(), graded.date())
    result = selectors.lead_response_timeliness([rep.pk], period, now=graded + 48 * H)
    rate = result.for_user(rep.pk)
    assert (rate.total, rate.hits) == (3, 1)
    # Before its deadline an uncontacted lead is not counted yet.
    early = selectors.lead_response_timeliness([rep.pk], period, now=graded + 12 * H)
    assert early.for_user(rep.pk).total == 2
