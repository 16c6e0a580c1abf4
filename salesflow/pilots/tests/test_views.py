"""The pilot pages: create through the form, list and detail with the report, decide, survey
and feedback forms, and scope (404 outside)."""

import datetime

import pytest
from django.urls import reverse

from salesflow.core.settings_registry import get_setting
from salesflow.pilots.models import Pilot, PilotStatus, SatisfactionSurvey, TeamFeedback

from .conftest import make_customer, make_pilot, today

pytestmark = pytest.mark.django_db


def test_create_list_and_detail(client, org):
    client.force_login(org.director)
    response = client.post(
        reverse("pilots:create"),
        {
            "name": "华东12小时响应",
            "goal": "A类线索更快联系",
            "teams": [org.east.pk],
            "start_date": today().isoformat(),
            "end_date": (today() + datetime.timedelta(days=59)).isoformat(),
            "settings_profile": "lead.a_first_contact_sla = 12h",
        },
    )
    pilot = Pilot.objects.get()
    assert response.status_code == 302 and response.url == reverse("pilots:detail", args=[pilot.pk])
    assert pilot.settings_profile == {"lead.a_first_contact_sla": "12h"}
    assert pilot.baseline_end == today() - datetime.timedelta(days=1)
    page = client.get(reverse("pilots:list")).content.decode()
    assert "华东12小时响应" in page
    detail = client.get(pilot.get_absolute_url()).content.decode()
    assert "pilot-report-chart" in detail and "A类线索首次联系时限" in detail


def test_a_bad_profile_value_comes_back_on_the_form(client, org):
    client.force_login(org.director)
    response = client.post(
        reverse("pilots:create"),
        {
            "name": "x",
            "goal": "y",
            "teams": [org.east.pk],
            "start_date": today().isoformat(),
            "end_date": today().isoformat(),
            "settings_profile": "lead.a_first_contact_sla = 很快",
        },
    )
    assert response.status_code == 400
    assert not Pilot.objects.exists()


def test_scope_of_the_pages(client, org):
    pilot = make_pilot(org.director, [org.east], profile={"lead.entry_sla": "12h"})
    client.force_login(org.north_manager)
    assert client.get(pilot.get_absolute_url()).status_code == 404
    assert client.get(reverse("pilots:survey", args=[pilot.pk])).status_code == 404
    assert "华东A类" not in client.get(reverse("pilots:list")).content.decode()
    client.force_login(org.manager)
    assert client.get(pilot.get_absolute_url()).status_code == 200
    assert client.get(reverse("pilots:edit", args=[pilot.pk])).status_code == 404
    assert client.get(reverse("pilots:decide", args=[pilot.pk])).status_code == 404


def test_survey_feedback_and_roll_out_through_the_pages(client, org):
    from salesflow.pipeline import services as pipeline_services

    pilot = make_pilot(org.admin, [org.east], profile={"lead.a_first_contact_sla": "12h"})
    customer = make_customer(org.rep)
    pipeline_services.opportunity_create(
        actor=org.rep, customer_id=customer.pk, data={"name": "试点商机"}
    )
    client.force_login(org.manager)
    response = client.post(
        reverse("pilots:survey", args=[pilot.pk]),
        {"customer": customer.pk, "score": 5, "comment": "响应很快"},
    )
    assert response.status_code == 302
    assert SatisfactionSurvey.objects.get().score == 5
    response = client.post(
        reverse("pilots:feedback", args=[pilot.pk]),
        {"participant": org.rep.pk, "acceptance": 4, "suggestions": "晚间线索可放宽"},
    )
    assert response.status_code == 302
    assert TeamFeedback.objects.get().participant == org.rep
    client.force_login(org.admin)
    response = client.post(
        reverse("pilots:decide", args=[pilot.pk]),
        {
            "kind": "roll_out",
            "what_changed": "A类线索首次联系时限改为 12h",
            "reason": "试点响应更及时",
            "apply_settings": "on",
        },
    )
    assert response.status_code == 302
    assert get_setting("lead.a_first_contact_sla") == "12h"
    assert Pilot.objects.get(pk=pilot.pk).status == PilotStatus.DECIDED
    assert "试点响应更及时" in client.get(pilot.get_absolute_url()).content.decode()
