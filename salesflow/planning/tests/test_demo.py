"""The demo step: a plan with milestones, two consecutive meetings where the second shows the
first's actions, a training with participants, interviews by theme — idempotent."""

import random

import pytest

from salesflow.org.demo import SeedContext
from salesflow.planning import demo as planning_demo
from salesflow.planning import selectors
from salesflow.planning.models import (
    ProcessInterview,
    ReviewMeeting,
    StrategyPlan,
    TrainingParticipant,
)

pytestmark = pytest.mark.django_db


def ctx_for(org):
    users = {
        "director": org["director"],
        "manager.east": org["manager"],
        "rep.east.1": org["rep"],
        "rep.east.2": org["rep_b"],
        "rep.east.4": org["rep_b"],
        "manager.north": org["manager2"],
        "rep.north.1": org["rep2"],
    }
    return SeedContext(
        seed=1, random=random.Random(1), users=users, departments={"east": org["east"]}
    )


def test_demo_planning_records(org):
    planning_demo.seed_planning(ctx_for(org))
    plan = StrategyPlan.objects.get(title=planning_demo.PLAN_TITLE)
    statuses = sorted(selectors.action_status(m)[0] for m in plan.milestones.all())
    assert statuses == ["done", "open", "overdue"]
    assert plan.reviews.count() == 1
    first, second = ReviewMeeting.objects.order_by("held_at")
    assert second.previous == first
    actions = [selectors.action_status(a)[0] for a in selectors.meeting_actions(second.previous)]
    assert sorted(actions).count("done") == 2 and len(actions) == 3
    assert [a["status"] for a in second.prepared_data["previous_actions"]].count("已完成") == 2
    assert TrainingParticipant.objects.count() == 2
    assert ProcessInterview.objects.count() == 6
    result = selectors.interview_theme_summary(user=org["director"])
    assert result[0]["count"] >= 2

    planning_demo.seed_planning(ctx_for(org))  # idempotent
    assert StrategyPlan.objects.count() == 1
    assert ReviewMeeting.objects.count() == 2
    assert TrainingParticipant.objects.count() == 2
    assert ProcessInterview.objects.count() == 6
