"""The demo opportunities (step "pipeline" of ``seed_demo``): counts, fates, event histories,
skips by approval and idempotence. One test seeds once — seeding takes seconds."""

import datetime
import io
import itertools
from collections import Counter

import pytest
from django.utils import timezone

from salesflow.org import demo
from salesflow.pipeline.demo import MARKER
from salesflow.pipeline.models import Opportunity, OutputSubmission, StageEvent

pytestmark = pytest.mark.django_db


def test_demo_opportunities(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    demo.seed(stdout=io.StringIO())
    now = timezone.now()

    opps = list(Opportunity.objects.filter(description__startswith=MARKER))
    assert len(opps) >= 150
    statuses = Counter(o.status for o in opps)
    assert statuses["won"] >= 30 and statuses["lost"] >= 25 and statuses["open"] >= 40
    won = [o for o in opps if o.status == "won"]
    assert all(50_000 <= o.amount <= 800_000 and o.closed_at for o in won)
    lost = [o for o in opps if o.status == "lost"]
    assert all(o.lost_reason_id for o in lost)
    assert any(o.won_by_competitor for o in lost)
    open_ = [o for o in opps if o.status == "open"]
    assert len({o.stage_id for o in open_}) >= 3
    assert any(o.stage_due_at and o.stage_due_at < now for o in open_)  # overdue
    assert min(o.created_at for o in opps) < now - datetime.timedelta(days=250)

    events = {}
    for event in StageEvent.objects.filter(opportunity__in=opps).order_by("opportunity", "id"):
        events.setdefault(event.opportunity_id, []).append(event)
    for opp in opps:
        history = events[opp.pk]
        assert history[0].kind == StageEvent.Kind.CREATE
        assert history[0].at == opp.created_at
        assert all(e.at > prev.at for prev, e in itertools.pairwise(history))
        assert history[-1].at < now
        assert history[-1].to_stage_id == opp.stage_id
    kinds = Counter(e.kind for history in events.values() for e in history)
    assert kinds["back"] >= 1
    skipped = [e for history in events.values() for e in history if e.skipped]
    assert skipped and all(e.kind == "skip" and e.approval_id for e in skipped)
    assert all(e.approval.status == "approved" and e.approval.consumed_at for e in skipped)

    # outputs were submitted before each (non-skipped) advance, in the past
    submissions = OutputSubmission.objects.filter(opportunity__in=opps)
    assert submissions.exists() and all(s.submitted_at < now for s in submissions)
    assert submissions.exclude(file="").exists()

    # a second run adds nothing
    before = (Opportunity.all_objects.count(), StageEvent.objects.count())
    demo.seed(stdout=io.StringIO())
    assert (Opportunity.all_objects.count(), StageEvent.objects.count()) == before
