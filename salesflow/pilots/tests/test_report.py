"""The pilot report on a hand-computed fixture: the east team piloted in March 2026 (baseline
February 2026), the north team is the comparison. Each figure below is worked out by hand
from the rows written in ``fixture``."""

import datetime
from decimal import Decimal

import pytest
from django.http import Http404

from salesflow.activities.models import FollowUp
from salesflow.analytics import registry
from salesflow.analytics.registry import Params
from salesflow.analytics.tests.conftest import Builder, at
from salesflow.pilots import report
from salesflow.pilots.models import Pilot, SatisfactionSurvey, TeamFeedback
from salesflow.pipeline.models import OpportunityStatus, OutputSubmission, StageEvent, StageOutput

pytestmark = pytest.mark.django_db
D = Decimal
K = StageEvent.Kind
WON = OpportunityStatus.WON


@pytest.fixture
def b2b(db):
    from salesflow.pipeline.models import ProcessTemplate

    template = ProcessTemplate.objects.get(name="标准B2B销售流程")
    version = template.current_version()
    return {
        "template": template,
        "version": version,
        "stages": {s.code: s for s in version.stages.all()},
    }


def _won(build, owner, created, closed, advance_at, days):
    return build.opportunity(
        owner,
        created=created,
        status=WON,
        stage="needs_analysis",
        closed=closed,
        path=[(K.ADVANCE, "needs_analysis", advance_at, days, days * 24)],
    )


def _form(output, opp, day, minutes):
    OutputSubmission.objects.create(
        opportunity=opp,
        output=output,
        opened_at=at(day, 10),
        submitted_at=at(day, 10) + datetime.timedelta(minutes=minutes),
    )


def _followups(owner, customer, day, complete, incomplete):
    for flag in [True] * complete + [False] * incomplete:
        FollowUp.objects.create(
            customer=customer,
            owner=owner,
            communicated_at=at(day),
            method="phone",
            topic="t",
            summary="s",
            is_complete=flag,
        )


def _a_lead(owner, day, graded_hour, due_hours, contacted_after_hours):
    from salesflow.leads.models import Lead, LeadSource

    graded = at(day, graded_hour)

    n = Lead.objects.count()
    Lead.objects.create(
        company_name=f"试点线索{n}",
        name_key=f"pilot-lead-{n}",
        contact_name="张三",
        source=LeadSource.objects.order_by("id").first(),
        acquired_at=graded - datetime.timedelta(hours=2),
        entered_at=graded - datetime.timedelta(hours=1),
        owner=owner,
        grade="A",
        graded_at=graded,
        first_contact_due_at=graded + datetime.timedelta(hours=due_hours),
        first_contact_at=graded + datetime.timedelta(hours=contacted_after_hours),
    )


@pytest.fixture
def fixture(org, b2b):
    build = Builder(b2b)
    pilot = Pilot.objects.create(
        name="华东A类线索12小时响应试点",
        goal="缩短首次联系时间",
        start_date=datetime.date(2026, 3, 1),
        end_date=datetime.date(2026, 3, 31),
        baseline_start=datetime.date(2026, 2, 1),
        baseline_end=datetime.date(2026, 2, 28),
        settings_profile={"lead.a_first_contact_sla": "12h"},
        owner=org.director,
        status="finished",
    )
    pilot.teams.set([org.east])
    output = StageOutput.objects.filter(stage__version=b2b["version"]).first()
    # sales cycle (created → won) and stage time (working days in the left stage)
    p1 = _won(build, org.rep, "2026-03-02", "2026-03-12", "2026-03-06", 4)  # 10 days
    p2 = _won(build, org.sub_rep, "2026-03-05", "2026-03-25", "2026-03-10", 2)  # 20 days
    o1 = _won(build, org.north_rep, "2026-03-01", "2026-03-31", "2026-03-20", 10)  # 30 days
    b1 = _won(build, org.rep, "2026-02-01", "2026-02-26", "2026-02-10", 6)  # 25 days
    # form fill time (opened → submitted)
    _form(output, p1, "2026-03-03", 20)
    _form(output, p2, "2026-03-06", 10)
    _form(output, o1, "2026-03-04", 40)
    _form(output, b1, "2026-02-03", 30)
    # follow-up completeness
    _followups(org.rep, p1.customer, "2026-03-03", 3, 1)  # 75%
    _followups(org.north_rep, o1.customer, "2026-03-03", 1, 1)  # 50%
    _followups(org.rep, b1.customer, "2026-02-03", 1, 1)  # 50%
    # A-class lead response: on time against the stored deadline, and hours to first contact
    _a_lead(org.rep, "2026-03-03", 10, 12, 6)  # on time, 6h
    _a_lead(org.sub_rep, "2026-03-04", 10, 12, 24)  # late, 24h
    _a_lead(org.north_rep, "2026-03-03", 10, 24, 10)  # on time, 10h
    _a_lead(org.rep, "2026-02-03", 10, 24, 28)  # late, 28h
    # satisfaction (the team is the customer owner's department when answered)
    for customer, team, score in ((p1.customer, org.east, 5), (p2.customer, org.east_one, 4)):
        SatisfactionSurvey.objects.create(
            pilot=pilot, customer=customer, team=team, score=score, answered_at=at("2026-03-28")
        )
    SatisfactionSurvey.objects.create(
        pilot=pilot, customer=o1.customer, team=org.north, score=3, answered_at=at("2026-03-28")
    )
    # team feedback
    TeamFeedback.objects.create(pilot=pilot, participant=org.rep, acceptance=4)
    TeamFeedback.objects.create(pilot=pilot, participant=org.manager, acceptance=5)
    return pilot


def test_the_pilot_report_figures_by_hand(org, fixture):
    data = report.figures(org.director, fixture)
    pilot, others, baseline = data["pilot"], data["others"], data["baseline"]
    assert (pilot["won"], others["won"], baseline["won"]) == (2, 1, 1)
    assert (pilot["cycle_days"], others["cycle_days"], baseline["cycle_days"]) == (
        D("15.0"),
        D("30.0"),
        D("25.0"),
    )
    assert (pilot["stage_days"], others["stage_days"], baseline["stage_days"]) == (
        D("3.00"),
        D("10.00"),
        D("6.00"),
    )
    assert (pilot["form_minutes"], others["form_minutes"], baseline["form_minutes"]) == (
        D("15.0"),
        D("40.0"),
        D("30.0"),
    )
    assert (pilot["followup_rate"], others["followup_rate"], baseline["followup_rate"]) == (
        D("75.0"),
        D("50.0"),
        D("50.0"),
    )
    assert (pilot["response_rate"], others["response_rate"], baseline["response_rate"]) == (
        D("50.0"),
        D("100.0"),
        D("0.0"),
    )
    assert (pilot["response_hours"], others["response_hours"], baseline["response_hours"]) == (
        D("15.0"),
        D("10.0"),
        D("28.0"),
    )
    assert (pilot["satisfaction"], others["satisfaction"], baseline["satisfaction"]) == (
        D("4.50"),
        D("3.00"),
        None,
    )
    assert (pilot["acceptance"], pilot["feedback"]) == (D("4.50"), 2)
    assert others["acceptance"] is None


def test_the_registered_analysis_gives_the_table_and_chart(org, fixture):
    analysis = registry.get("pilot_report")
    result = analysis.compute(org.director, Params(extra={"pilot": str(fixture.pk)}))
    rows = {row["key"]: row for row in result.rows}
    assert rows["cycle_days"]["vs_baseline"] == D("-10.0")
    assert rows["response_hours"]["vs_baseline"] == D("-13.0")
    assert rows["satisfaction"]["vs_baseline"] is None
    assert rows["cycle_days"]["samples"] == "2/1/1"
    assert [s["data"][0] for s in result.chart["series"]] == [15.0, 30.0, 25.0]
    headers, table = result.table()
    assert len(headers) == 7 and len(table) == len(report.METRICS)


def test_a_manager_sees_only_the_figures_and_pilots_of_their_teams(org, fixture):
    analysis = registry.get("pilot_report")
    data = report.figures(org.manager, fixture)
    # the east manager's scope holds no north records: the comparison group is empty
    assert data["pilot"]["cycle_days"] == D("15.0")
    assert data["others"]["won"] == 0
    with pytest.raises(Http404):
        analysis.compute(org.north_manager, Params(extra={"pilot": str(fixture.pk)}))
    assert not analysis.compute(org.north_manager, Params()).rows
