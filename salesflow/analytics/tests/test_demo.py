import random

import pytest

from salesflow.analytics import demo as analytics_demo
from salesflow.analytics import registry
from salesflow.analytics.models import ChannelCost, FunnelVariance
from salesflow.analytics.registry import Params
from salesflow.leads.models import LeadSource
from salesflow.org.demo import SeedContext

pytestmark = pytest.mark.django_db


def test_demo_step_enters_a_year_of_channel_costs_and_a_variance_note(make_user, make_department):
    east = make_department("华东区")
    director = make_user("sales_director", username="director")
    manager = make_user("sales_manager", username="manager.east", department=east)
    ctx = SeedContext(
        seed=1, random=random.Random(1), users={"director": director, "manager.east": manager}
    )
    analytics_demo.seed_analytics(ctx)
    assert ChannelCost.objects.count() == 12 * LeadSource.objects.count()
    assert FunnelVariance.objects.count() == 1
    analytics_demo.seed_analytics(ctx)  # idempotent
    assert ChannelCost.objects.count() == 12 * LeadSource.objects.count()
    assert FunnelVariance.objects.count() == 1
    result = registry.get("cac").compute(director, Params())
    assert result.totals["cost"] > 0
