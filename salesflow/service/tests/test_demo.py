"""The demo step: complaints in every state and a year of maintenance, idempotent."""

import random
from decimal import Decimal

import pytest
from django.utils import timezone

from salesflow.org.demo import SeedContext
from salesflow.service import demo as service_demo
from salesflow.service.clocks import overdue_q
from salesflow.service.models import (
    OPEN_STATES,
    ActionStatus,
    Complaint,
    ComplaintEvent,
    ComplaintState,
    MaintenanceAction,
    MaintenancePlan,
)

from .conftest import make_customer

pytestmark = pytest.mark.django_db


def test_demo_complaints_in_every_state_and_a_year_of_maintenance(people):
    for index, amount in enumerate(("800000", "300000", "60000", "0")):
        make_customer(people["rep"], name=f"演示客户{index}", purchases_12m=Decimal(amount))
    ctx = SeedContext(
        seed=1,
        random=random.Random(1),
        users={"service.1": people["cs"], "service.2": people["cs_lead"]},
    )
    service_demo.seed_service(ctx)
    states = set(Complaint.objects.values_list("state", flat=True))
    assert states == set(ComplaintState.values)
    reopened = Complaint.objects.filter(state=ComplaintState.REOPENED).first()
    assert reopened.satisfaction < 4 and reopened.customer_feedback
    # every fact of the timelines lies in the past
    assert not ComplaintEvent.objects.filter(at__gt=timezone.now()).exists()
    assert Complaint.objects.filter(state__in=OPEN_STATES).filter(overdue_q()).exists()
    assert MaintenancePlan.objects.count() == 4
    done = MaintenanceAction.objects.filter(status=ActionStatus.DONE)
    assert done.exists() and all(a.effect and a.customer_feedback for a in done)
    assert MaintenanceAction.objects.filter(
        status=ActionStatus.PLANNED, task__isnull=False
    ).exists()
    counts = (Complaint.objects.count(), MaintenanceAction.objects.count())
    service_demo.seed_service(ctx)  # idempotent
    assert (Complaint.objects.count(), MaintenanceAction.objects.count()) == counts
