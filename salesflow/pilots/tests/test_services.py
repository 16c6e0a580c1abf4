"""Pilot records (validation through the settings registry, default baseline, status with
the calendar, audit), surveys and team feedback, scope, and the roll-out/adjust decision."""

import datetime

import pytest
from django.http import Http404

from salesflow.core.audit import history_for
from salesflow.core.errors import DomainError, NotAllowed, ValidationError
from salesflow.core.models import SettingChange
from salesflow.core.settings_registry import get_setting
from salesflow.pilots import services
from salesflow.pilots.models import DecisionKind, Pilot, PilotStatus, TeamFeedback
from salesflow.pipeline import services as pipeline_services
from salesflow.pipeline.models import ProcessTemplate

from .conftest import make_customer, make_pilot, today

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def test_profile_values_are_checked_by_the_registry(org):
    with pytest.raises(ValidationError) as err:
        make_pilot(org.director, [org.east], profile={"lead.a_first_contact_sla": "soon"})
    assert "settings_profile" in err.value.message_dict
    with pytest.raises(ValidationError):
        make_pilot(org.director, [org.east], profile={"no.such_key": "1"})
    with pytest.raises(ValidationError):  # neither a profile nor a version
        make_pilot(org.director, [org.east])
    pilot = make_pilot(
        org.director,
        [org.east],
        profile={"deal.quote_validity_days": " 45 ", "lead.entry_sla": "12h"},
    )
    assert pilot.settings_profile == {"deal.quote_validity_days": 45, "lead.entry_sla": "12h"}


def test_default_baseline_is_the_same_length_before_the_start_and_status_follows_the_days(org):
    start, end = today() + 5 * DAY, today() + 64 * DAY  # 60 days
    pilot = make_pilot(
        org.director, [org.east], profile={"lead.entry_sla": "12h"}, start=start, end=end
    )
    assert pilot.baseline_end == start - DAY
    assert pilot.baseline_start == start - 60 * DAY
    assert pilot.status == PilotStatus.PLANNED
    assert services.refresh_statuses(today() + 5 * DAY) == 1
    assert Pilot.objects.get(pk=pilot.pk).status == PilotStatus.RUNNING
    services.refresh_statuses(today() + 65 * DAY)
    assert Pilot.objects.get(pk=pilot.pk).status == PilotStatus.FINISHED
    assert history_for(pilot).filter(action="pilot.create").exists()


def test_only_directors_and_admins_create_pilots(org):
    with pytest.raises(NotAllowed):
        make_pilot(org.manager, [org.east], profile={"lead.entry_sla": "12h"})


def test_managers_see_the_pilots_of_their_teams_only(org):
    pilot = make_pilot(org.director, [org.east_one], profile={"lead.entry_sla": "12h"})
    assert Pilot.objects.restrict(org.manager).filter(pk=pilot.pk).exists()  # team below
    assert Pilot.objects.restrict(org.sub_rep).filter(pk=pilot.pk).exists()  # a participant
    assert not Pilot.objects.restrict(org.north_manager).exists()
    assert not Pilot.objects.restrict(org.rep).exists()  # east, but not in 华东一组
    with pytest.raises(Http404):
        Pilot.objects.get_in_scope(org.north_manager, "view", pk=pilot.pk)
    with pytest.raises(Http404):  # viewing is not managing
        services.pilot_update(
            actor=org.manager, pilot_id=pilot.pk, data={"name": "x"}, teams=[org.east]
        )


def test_surveys_and_feedback(org):
    pilot = make_pilot(org.director, [org.east], profile={"lead.entry_sla": "12h"})
    customer = make_customer(org.sub_rep)
    survey = services.survey_record(
        actor=org.manager, pilot_id=pilot.pk, customer_id=customer.pk, score=4, comment="响应快"
    )
    assert survey.team == org.east_one
    with pytest.raises(ValidationError):
        services.survey_record(
            actor=org.manager, pilot_id=pilot.pk, customer_id=customer.pk, score=6
        )
    services.feedback_record(actor=org.rep, pilot_id=pilot.pk, acceptance=3, suggestions="表单太长")
    services.feedback_record(actor=org.rep, pilot_id=pilot.pk, acceptance=4)
    assert TeamFeedback.objects.get(pilot=pilot, participant=org.rep).acceptance == 4
    services.feedback_record(
        actor=org.manager, pilot_id=pilot.pk, acceptance=5, participant=org.sub_rep
    )
    with pytest.raises(Http404):  # not a pilot the north team sees
        services.feedback_record(actor=org.north_rep, pilot_id=pilot.pk, acceptance=2)


def test_roll_out_changes_the_company_setting_with_history_and_makes_the_version_current(org):
    template = ProcessTemplate.objects.filter(is_active=True).first()
    version = pipeline_services.template_new_version(
        actor=org.admin, template_id=template.pk, change_note="试点版本", make_current=False
    )
    pilot = make_pilot(
        org.admin,
        [org.east],
        profile={"lead.a_first_contact_sla": "12h"},
        version=version,
        start=today() - 70 * DAY,
        end=today() - DAY,
    )
    assert get_setting("lead.a_first_contact_sla") == "24h"
    decision = services.pilot_decide(
        actor=org.admin,
        pilot_id=pilot.pk,
        kind=DecisionKind.ROLL_OUT,
        what_changed="A类线索首次联系时限 24h → 12h，全公司使用试点流程版本",
        reason="试点团队响应更快，满意度更高",
    )
    assert get_setting("lead.a_first_contact_sla") == "12h"
    assert get_setting("lead.a_first_contact_sla", team=org.north) == "12h"
    change = SettingChange.objects.get(key="lead.a_first_contact_sla")
    assert (change.old_value, change.new_value) == ("24h", "12h")
    assert "试点团队响应更快" in change.reason and pilot.name in change.reason
    assert decision.applied_settings == {"lead.a_first_contact_sla": "12h"}
    assert template.current_version() == version
    pilot.refresh_from_db()
    assert pilot.status == PilotStatus.DECIDED
    assert history_for(pilot).filter(action="pilot.decide").exists()
    with pytest.raises(DomainError):  # decided once
        services.pilot_decide(
            actor=org.admin, pilot_id=pilot.pk, kind="adjust", what_changed="x", reason="y"
        )


def test_adjust_records_the_decision_without_touching_the_company(org):
    pilot = make_pilot(org.director, [org.east], profile={"lead.a_first_contact_sla": "12h"})
    with pytest.raises(ValidationError):
        services.pilot_decide(
            actor=org.director, pilot_id=pilot.pk, kind="adjust", what_changed="", reason=""
        )
    decision = services.pilot_decide(
        actor=org.director,
        pilot_id=pilot.pk,
        kind=DecisionKind.ADJUST,
        what_changed="改为 16h 再试一个月",
        reason="12h 下晚间线索超时较多",
    )
    assert decision.applied_settings == {}
    assert get_setting("lead.a_first_contact_sla") == "24h"
    assert not SettingChange.objects.exists()


def test_a_director_cannot_roll_out_settings_only_an_administrator_can(org):
    pilot = make_pilot(org.director, [org.east], profile={"lead.a_first_contact_sla": "12h"})
    with pytest.raises(NotAllowed):
        services.pilot_decide(
            actor=org.director,
            pilot_id=pilot.pk,
            kind=DecisionKind.ROLL_OUT,
            what_changed="推广",
            reason="效果好",
        )
    assert Pilot.objects.get(pk=pilot.pk).status != PilotStatus.DECIDED
