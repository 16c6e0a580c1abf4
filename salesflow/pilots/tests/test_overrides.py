"""The kernel hook: a pilot team's leads and opportunities use the pilot's settings and
template version during the pilot, while the other teams keep the company's."""

import datetime

import pytest
from django.utils import timezone

from salesflow.core.settings_registry import get_setting
from salesflow.core.sla import deadline
from salesflow.leads import rules
from salesflow.pipeline import services as pipeline_services
from salesflow.pipeline.models import ProcessTemplate, Stage

from .conftest import make_customer, make_pilot

pytestmark = pytest.mark.django_db
H = datetime.timedelta(hours=1)


def test_get_setting_without_team_is_the_company_value(org):
    make_pilot(org.director, [org.east], profile={"lead.a_first_contact_sla": "12h"})
    assert get_setting("lead.a_first_contact_sla") == "24h"


def test_pilot_team_and_its_sub_teams_get_the_pilot_value_others_the_default(org):
    make_pilot(org.director, [org.east], profile={"lead.a_first_contact_sla": "12h"})
    assert get_setting("lead.a_first_contact_sla", team=org.east) == "12h"
    assert get_setting("lead.a_first_contact_sla", team=org.east_one.pk) == "12h"
    assert get_setting("lead.a_first_contact_sla", team=org.north) == "24h"
    assert get_setting("lead.a_first_contact_sla", team=org.sales) == "24h"
    # keys outside the profile stay the company's for the pilot team too
    assert get_setting("lead.screening_sla", team=org.east) == "48h"


def test_pilot_applies_only_within_its_period(org):
    start = timezone.localdate() - datetime.timedelta(days=10)
    end = timezone.localdate() + datetime.timedelta(days=10)
    make_pilot(
        org.director,
        [org.east],
        profile={"lead.a_first_contact_sla": "12h"},
        start=start,
        end=end,
    )
    tz = timezone.get_current_timezone()
    before = datetime.datetime.combine(start, datetime.time(23, 0), tzinfo=tz) - 24 * H
    after = datetime.datetime.combine(end, datetime.time(1, 0), tzinfo=tz) + 24 * H
    first_day = datetime.datetime.combine(start, datetime.time(0, 5), tzinfo=tz)
    assert get_setting("lead.a_first_contact_sla", team=org.east, at=before) == "24h"
    assert get_setting("lead.a_first_contact_sla", team=org.east, at=first_day) == "12h"
    assert get_setting("lead.a_first_contact_sla", team=org.east, at=after) == "24h"


def test_a_lead_of_the_pilot_team_gets_the_pilot_first_contact_deadline(org):
    from salesflow.leads import services as lead_services
    from salesflow.leads.models import Intent
    from salesflow.leads.tests.test_services import A_POINTS, answers_for, lead_data

    make_pilot(org.director, [org.east], profile={"lead.a_first_contact_sla": "12h"})
    due = {}
    for who in (org.rep, org.sub_rep, org.north_rep):
        lead = lead_services.lead_register(actor=who, data=lead_data(), owner=who)
        lead_services.lead_screen(
            actor=who, lead_id=lead.pk, answers=answers_for(A_POINTS), intent=Intent.HIGH
        )
        lead.refresh_from_db()
        due[who.username] = lead.first_contact_due_at - lead.graded_at
    assert due["rep"] == due["subrep"] == 12 * H
    assert due["rep2"] == 24 * H
    graded = timezone.now()
    assert rules.first_contact_due(graded, team=org.east) == deadline(graded, "12h")
    assert rules.first_contact_due(graded, team=org.north) == deadline(graded, "24h")


def _pilot_version(admin):
    """A draft copy of the standard process whose first sales stage has a 2-hour limit."""
    template = ProcessTemplate.objects.filter(is_active=True).first()
    current = template.current_version()
    version = pipeline_services.template_new_version(
        actor=admin, template_id=template.pk, change_note="试点：首个阶段2小时", make_current=False
    )
    first = next(s for s in current.stages.order_by("order") if not s.covered_by_lead)
    Stage.objects.filter(version=version, code=first.code).update(time_limit_rule="2h")
    return template, current, version, first


def test_a_pilot_teams_new_opportunity_starts_on_the_pilot_version_and_its_stage_limit(org):
    template, current, version, first = _pilot_version(org.admin)
    assert template.current_version() == current  # the draft did not replace the current one
    existing = pipeline_services.opportunity_create(
        actor=org.rep, customer_id=make_customer(org.rep, "已有客户").pk, data={"name": "旧商机"}
    )
    make_pilot(org.director, [org.east], version=version)
    now = timezone.now()
    pilot_opp = pipeline_services.opportunity_create(
        actor=org.rep, customer_id=make_customer(org.rep).pk, data={"name": "试点商机"}, now=now
    )
    other_opp = pipeline_services.opportunity_create(
        actor=org.north_rep,
        customer_id=make_customer(org.north_rep, "北方客户").pk,
        data={"name": "对照商机"},
        now=now,
    )
    assert pilot_opp.template_version == version
    assert pilot_opp.stage.code == first.code
    assert pilot_opp.stage_due_at == deadline(now, "2h")
    assert other_opp.template_version == current
    assert other_opp.stage_due_at == (
        deadline(now, first.time_limit_rule) if first.time_limit_rule else None
    )
    assert first.time_limit_rule != "2h"
    existing.refresh_from_db()
    assert existing.template_version == current  # an existing opportunity keeps its version


def test_followup_entry_sla_of_the_pilot_team(org):
    from salesflow.activities.services import entry_sla_met

    make_pilot(org.director, [org.east], profile={"followup.entry_sla": "1h"})
    communicated = timezone.now() - 3 * H
    entered = communicated + 90 * datetime.timedelta(minutes=1)
    assert entry_sla_met(communicated, entered, team=org.east_one) is False
    assert entry_sla_met(communicated, entered, team=org.north) is True
