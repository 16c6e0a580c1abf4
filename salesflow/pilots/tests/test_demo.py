"""The demo step: one finished pilot on 华东区 whose A leads got the 12h deadline and a faster
first contact than in the baseline months, with surveys and feedback; idempotent."""

import datetime
import random

import pytest
from django.utils import timezone

from salesflow.leads.models import Lead, LeadSource
from salesflow.org.demo import SeedContext
from salesflow.pilots import demo, report
from salesflow.pilots.models import Pilot, PilotStatus, SatisfactionSurvey, TeamFeedback
from salesflow.pipeline import services as pipeline_services

from .conftest import make_customer

pytestmark = pytest.mark.django_db
H = datetime.timedelta(hours=1)


def _a_lead(owner, graded, response_hours):
    n = Lead.objects.count()
    return Lead.objects.create(
        company_name=f"演示线索{n}",
        name_key=f"demo-lead-{n}",
        contact_name="张三",
        source=LeadSource.objects.order_by("id").first(),
        acquired_at=graded - 2 * H,
        entered_at=graded - H,
        owner=owner,
        grade="A",
        graded_at=graded,
        first_contact_due_at=graded + 24 * H,
        first_contact_at=graded + response_hours * H,
    )


def test_the_demo_pilot_has_a_visible_effect(org):
    now = timezone.now()
    for days_ago in (30, 40, 50, 60):  # during the pilot (it ends 14 days ago, lasts 61 days)
        _a_lead(org.rep, now - datetime.timedelta(days=days_ago), 20)
    for days_ago in (90, 100, 110):  # baseline
        _a_lead(org.rep, now - datetime.timedelta(days=days_ago), 20)
    north_lead = _a_lead(org.north_rep, now - datetime.timedelta(days=40), 20)
    for owner in (org.rep, org.north_rep):
        customer = make_customer(owner, f"客户{owner.pk}")
        pipeline_services.opportunity_create(
            actor=owner,
            customer_id=customer.pk,
            data={"name": "商机"},
            now=now - datetime.timedelta(days=40),
        )
    ctx = SeedContext(
        seed=1,
        random=random.Random(1),
        departments={"east": org.east},
        users={"director": org.director},
    )
    demo.seed_pilots(ctx)
    pilot = Pilot.objects.get(name=demo.PILOT_NAME)
    assert pilot.status == PilotStatus.FINISHED
    assert pilot.settings_profile == {"lead.a_first_contact_sla": "12h"}
    pilot_leads = Lead.objects.filter(owner=org.rep, graded_at__gte=now - 61 * H * 24)
    assert all(lead.first_contact_due_at - lead.graded_at == 12 * H for lead in pilot_leads)
    north_lead.refresh_from_db()
    assert north_lead.first_contact_due_at - north_lead.graded_at == 24 * H
    figures = report.figures(org.director, pilot)
    assert figures["pilot"]["response_hours"] < figures["baseline"]["response_hours"]
    assert figures["baseline"]["response_hours"] == 20
    assert SatisfactionSurvey.objects.filter(pilot=pilot).count() == 2
    assert TeamFeedback.objects.filter(pilot=pilot).count() >= 2  # manager, reps of 华东
    demo.seed_pilots(ctx)  # idempotent
    assert Pilot.objects.count() == 1
