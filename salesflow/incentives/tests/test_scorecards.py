"""Scorecards on a hand-computed fixture: every metric from the data, the linear capped score,
the weights, the recognition list, confirmation and the weight check."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from salesflow.core.errors import ValidationError
from salesflow.deals.models import OrderStatus
from salesflow.incentives.models import (
    ScorecardMetric,
    ScorecardStatus,
    ScorecardTemplate,
    ScoreMetric,
)
from salesflow.incentives.services import scorecards
from salesflow.pipeline.models import StageEvent

from .conftest import Q1, a_leads, customer, followups, order, receipt, report, target

D = Decimal
ADV = StageEvent.Kind.ADVANCE
WEIGHTS = {
    ScoreMetric.SALES_AMOUNT: 20,
    ScoreMetric.COLLECTED: 15,
    ScoreMetric.NEW_CUSTOMERS: 10,
    ScoreMetric.TARGET_COMPLETION: 15,
    ScoreMetric.FOLLOWUP_COMPLETENESS: 10,
    ScoreMetric.LEAD_RESPONSE: 10,
    ScoreMetric.STAGE_SLA: 10,
    ScoreMetric.REPORT_PUNCTUALITY: 10,
}


def make_template(weights=None, targets=None) -> ScorecardTemplate:
    template = ScorecardTemplate.objects.create(name=f"季度考核{ScorecardTemplate.objects.count()}")
    for position, (metric, weight) in enumerate((weights or WEIGHTS).items()):
        ScorecardMetric.objects.create(
            template=template,
            metric=metric,
            weight=D(weight),
            target=(targets or {}).get(metric),
            position=position,
        )
    return template


@pytest.fixture
def quarter(people, build):
    """The rep's Q1 2026, with noise from outside the period and from the other rep."""
    rep, other = people["rep"], people["other_rep"]
    # results: targets, orders, receipts
    target(rep, "sales_amount", "400000")
    target(rep, "collected", "200000")
    target(rep, "new_customers", "4")
    new = customer(rep, first_deal=datetime.date(2026, 2, 1))
    old = customer(rep, first_deal=datetime.date(2025, 5, 1))
    big = order(rep, new, "300000", datetime.date(2026, 2, 1))
    order(rep, old, "60000", datetime.date(2026, 3, 1))
    order(rep, old, "100000", datetime.date(2026, 3, 2), status=OrderStatus.CANCELLED)
    order(rep, old, "50000", datetime.date(2026, 4, 2))
    order(other, customer(other, first_deal=datetime.date(2026, 1, 5)), "500000", Q1[0])
    receipt(big.contract, "150000", datetime.date(2026, 2, 15))
    receipt(big.contract, "100000", datetime.date(2026, 3, 20))
    receipt(big.contract, "30000", datetime.date(2026, 4, 1))
    # follow-ups: 19 of 20 complete in Q1 (95%)
    followups(rep, 19, datetime.date(2026, 1, 20), complete=True)
    followups(rep, 1, datetime.date(2026, 2, 20), complete=False)
    followups(rep, 5, datetime.date(2026, 4, 20), complete=False)
    followups(other, 3, datetime.date(2026, 1, 20), complete=False)
    # A-class leads: 8 of 10 contacted on time (80%)
    a_leads(rep, 8, datetime.date(2026, 1, 12), on_time=True)
    a_leads(rep, 2, datetime.date(2026, 2, 12), on_time=False)
    a_leads(other, 4, datetime.date(2026, 2, 12), on_time=False)
    # stage exits: 2 of 4 within the limit (initial_contact 24h, needs_analysis 3 working days)
    build.opportunity(
        rep,
        created="2026-01-05",
        path=[
            (ADV, "needs_analysis", "2026-01-06", 1, 20),
            (ADV, "solution", "2026-01-20", 5, 300),
        ],
    )
    build.opportunity(
        rep,
        created="2026-02-05",
        path=[
            (ADV, "needs_analysis", "2026-02-07", 1, 30),
            (ADV, "solution", "2026-02-10", 2, 60),
        ],
    )
    build.opportunity(
        other, created="2026-02-05", path=[(ADV, "needs_analysis", "2026-02-06", 1, 50)]
    )
    # reports due in Q1: 3 on time, 1 late, 1 never submitted (overdue) → 60%
    for day in (9, 16, 23):
        report(rep, datetime.date(2026, 1, day), submitted=True)
    report(rep, datetime.date(2026, 1, 30), submitted=True, late=True)
    report(rep, datetime.date(2026, 2, 6), submitted=False)
    report(other, datetime.date(2026, 2, 6), submitted=False)
    return people


def test_each_metric_from_the_data(quarter):
    rep = quarter["rep"]
    figures = scorecards.metric_figures(rep, list(WEIGHTS), *Q1)
    actual = {code: fig["actual"] for code, fig in figures.items()}
    assert actual[ScoreMetric.SALES_AMOUNT] == D("360000")
    assert actual[ScoreMetric.COLLECTED] == D("250000")
    assert actual[ScoreMetric.NEW_CUSTOMERS] == D(1)
    assert actual[ScoreMetric.TARGET_COMPLETION] == D("90")
    assert actual[ScoreMetric.FOLLOWUP_COMPLETENESS] == D("95")
    assert actual[ScoreMetric.LEAD_RESPONSE] == D("80")
    assert actual[ScoreMetric.STAGE_SLA] == D("50")
    assert actual[ScoreMetric.REPORT_PUNCTUALITY] == D("60")
    # default targets: the rep's own targets for results, the S14 thresholds for process
    assert figures[ScoreMetric.SALES_AMOUNT]["default_target"] == D("400000")
    assert figures[ScoreMetric.FOLLOWUP_COMPLETENESS]["default_target"] == D(95)
    assert figures[ScoreMetric.LEAD_RESPONSE]["default_target"] == D(90)


def test_weighted_scorecard_on_the_fixture(quarter):
    rep, manager = quarter["rep"], quarter["manager"]
    template = make_template()
    [card] = scorecards.scorecard_compute(
        actor=manager, template_id=template.pk, person_ids=[rep.pk], date_from=Q1[0], date_to=Q1[1]
    )
    scores = {e["metric"]: e["score"] for e in card.figures}
    assert scores == {
        "sales_amount": "90.00",  # 360000 / 400000
        "collected": "100.00",  # 250000 / 200000, capped
        "new_customers": "25.00",  # 1 / 4
        "target_completion": "90.00",  # 90% / 100%
        "followup_completeness": "100.00",  # 95% / 95%
        "lead_response": "88.89",  # 80% / 90%
        "stage_sla": "55.56",  # 50% / 90%
        "report_punctuality": "60.00",  # 60% / 100%
    }
    # (90×20 + 100×15 + 25×10 + 90×15 + 100×10 + 88.89×10 + 55.56×10 + 60×10) / 100
    assert card.total_score == D("79.45")
    assert card.results_score == D("81.67")  # 4900 / 60
    assert card.process_score == D("76.11")  # 304.45 / 4
    assert card.status == ScorecardStatus.DRAFT


def test_template_target_overrides_and_unjudged_metric_drops_out(quarter):
    rep, manager = quarter["rep"], quarter["manager"]
    weights = {ScoreMetric.SALES_AMOUNT: 50, ScoreMetric.COLLECTED: 50}
    template = make_template(weights, targets={ScoreMetric.SALES_AMOUNT: D("720000")})
    [card] = scorecards.scorecard_compute(
        actor=manager, template_id=template.pk, person_ids=[rep.pk], date_from=Q1[0], date_to=Q1[1]
    )
    assert card.total_score == D("75.00")  # (50×50 + 100×50) / 100
    # the other rep has no collections target and no sales: sales scores 0, collected unjudged
    [other] = scorecards.scorecard_compute(
        actor=quarter["director"],
        template_id=template.pk,
        person_ids=[quarter["other_rep"].pk],
        date_from=Q1[0],
        date_to=Q1[1],
    )
    entries = {e["metric"]: e for e in other.figures}
    assert entries["collected"]["score"] is None
    assert entries["sales_amount"]["score"] == "69.44"  # 500000 / 720000
    assert other.total_score == D("69.44")  # only the judged weight counts


def test_weights_must_add_up_to_100(quarter):
    with pytest.raises(ValidationError):
        scorecards.validate_weights([D(50), D("49.99")])
    scorecards.validate_weights([D(50), D("50.00")])
    template = make_template({ScoreMetric.SALES_AMOUNT: 60, ScoreMetric.COLLECTED: 30})
    with pytest.raises(ValidationError):
        scorecards.scorecard_compute(
            actor=quarter["manager"],
            template_id=template.pk,
            person_ids=[quarter["rep"].pk],
            date_from=Q1[0],
            date_to=Q1[1],
        )


def test_confirmed_scorecard_is_frozen_and_ranked(quarter):
    from salesflow.incentives import selectors

    rep, manager, director = quarter["rep"], quarter["manager"], quarter["director"]
    template = make_template()
    people = [rep.pk, quarter["other_rep"].pk]
    cards = scorecards.scorecard_compute(
        actor=director, template_id=template.pk, person_ids=people, date_from=Q1[0], date_to=Q1[1]
    )
    assert len(cards) == 2
    mine = next(c for c in cards if c.owner_id == rep.pk)
    scorecards.scorecard_confirm(actor=manager, scorecard_id=mine.pk)
    # more complete follow-ups would change the figures, but the card is confirmed
    followups(rep, 30, datetime.date(2026, 3, 1), complete=False)
    scorecards.scorecard_compute(
        actor=director, template_id=template.pk, person_ids=people, date_from=Q1[0], date_to=Q1[1]
    )
    mine.refresh_from_db()
    assert mine.total_score == D("79.45")
    ranked = selectors.ranking(selectors.scorecard_list(user=director, filters={}))
    assert [rank for rank, _card in ranked] == [1, 2]
    stars = selectors.process_stars(user=director, period_start=Q1[0], period_end=Q1[1])
    assert stars[0].owner_id == rep.pk


def test_manager_scope_for_computing(quarter):
    """A manager computes only their team's scorecards."""
    template = make_template()
    cards = scorecards.scorecard_compute(
        actor=quarter["manager"],
        template_id=template.pk,
        person_ids=[quarter["rep"].pk, quarter["other_rep"].pk],
        date_from=Q1[0],
        date_to=Q1[1],
    )
    assert [c.owner_id for c in cards] == [quarter["rep"].pk]
