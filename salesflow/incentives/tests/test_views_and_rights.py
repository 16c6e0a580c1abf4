"""Pages and rights through the permission system: a rep sees only their own scorecard and
statement (404 for others'), a manager their team's, the director all; finance sees and exports
statements but no scorecard (so never a comment); contests' leaderboards; the rights migration
for older databases; the lead-assignment weight by process score."""

from __future__ import annotations

import datetime
import importlib
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from salesflow.incentives.models import (
    CommissionPlan,
    Contest,
    ContestMetric,
    Scorecard,
    ScorecardMetric,
    ScorecardStatus,
    ScorecardTemplate,
    ScoreMetric,
)
from salesflow.incentives.services import commissions, scorecards

from .conftest import Q1, contract, customer, order, receipt

D = Decimal
COMMENT = "跟进记录需要更完整，下季度重点改进。"


@pytest.fixture
def cards(people):
    template = ScorecardTemplate.objects.create(name="季度考核")
    ScorecardMetric.objects.create(template=template, metric=ScoreMetric.SALES_AMOUNT, weight=60)
    ScorecardMetric.objects.create(
        template=template, metric=ScoreMetric.FOLLOWUP_COMPLETENESS, weight=40
    )
    made = scorecards.scorecard_compute(
        actor=people["director"],
        template_id=template.pk,
        person_ids=[people["rep"].pk, people["other_rep"].pk],
        date_from=Q1[0],
        date_to=Q1[1],
    )
    mine = next(c for c in made if c.owner_id == people["rep"].pk)
    scorecards.scorecard_comment(actor=people["manager"], scorecard_id=mine.pk, comment=COMMENT)
    return {c.owner_id: c for c in made}


@pytest.fixture
def statements(people):
    plan = CommissionPlan.objects.create(name="回款提成", default_rate=D("3"))
    for person in (people["rep"], people["other_rep"]):
        ctr = contract(person, customer(person, first_deal=datetime.date(2025, 1, 1)))
        receipt(ctr, "10000.00", datetime.date(2026, 1, 5))
    made = commissions.statement_compute(
        actor=people["director"],
        plan_id=plan.pk,
        person_ids=[people["rep"].pk, people["other_rep"].pk],
        date_from=Q1[0],
        date_to=Q1[1],
    )
    return {s.owner_id: s for s in made}


def get(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_rep_sees_only_own_scorecard_and_statement(client, people, cards, statements):
    rep, other = people["rep"], people["other_rep"]
    mine = reverse("incentives:scorecard_detail", args=[cards[rep.pk].pk])
    theirs = reverse("incentives:scorecard_detail", args=[cards[other.pk].pk])
    response = get(client, rep, mine)
    assert response.status_code == 200
    assert COMMENT in response.content.decode()
    assert get(client, rep, theirs).status_code == 404
    listing = get(client, rep, reverse("incentives:scorecard_list")).content.decode()
    assert theirs not in listing and mine in listing
    assert (
        get(
            client, rep, reverse("incentives:statement_detail", args=[statements[rep.pk].pk])
        ).status_code
        == 200
    )
    assert (
        get(
            client, rep, reverse("incentives:statement_detail", args=[statements[other.pk].pk])
        ).status_code
        == 404
    )
    # a rep cannot comment, compute or export
    client.force_login(rep)
    url = reverse("incentives:scorecard_comment", args=[cards[rep.pk].pk])
    assert client.post(url, {"comment": "自评"}).status_code == 404
    assert client.get(reverse("incentives:statement_compute")).status_code == 404
    assert (
        client.get(reverse("incentives:statement_export", args=[statements[rep.pk].pk])).status_code
        == 404
    )


def test_manager_sees_team_director_all(client, people, cards, statements):
    rep, other = people["rep"], people["other_rep"]
    manager, director = people["manager"], people["director"]
    assert (
        get(
            client, manager, reverse("incentives:scorecard_detail", args=[cards[rep.pk].pk])
        ).status_code
        == 200
    )
    assert (
        get(
            client, manager, reverse("incentives:scorecard_detail", args=[cards[other.pk].pk])
        ).status_code
        == 404
    )
    assert (
        get(
            client, manager, reverse("incentives:statement_detail", args=[statements[other.pk].pk])
        ).status_code
        == 404
    )
    for card in cards.values():
        assert (
            get(
                client, director, reverse("incentives:scorecard_detail", args=[card.pk])
            ).status_code
            == 200
        )
    home = get(client, director, reverse("incentives:home"))
    assert home.status_code == 200 and "/admin/incentives/" in home.content.decode()
    # ranking page with a period
    page = get(
        client,
        director,
        reverse("incentives:scorecard_list") + "?date_from=2026-01-01&date_to=2026-03-31",
    )
    assert page.status_code == 200 and "scorecard-table" in page.content.decode()


def test_finance_sees_statements_but_no_scorecard_or_comment(client, people, cards, statements):
    finance = people["finance"]
    for card in cards.values():
        assert (
            get(client, finance, reverse("incentives:scorecard_detail", args=[card.pk])).status_code
            == 404
        )
    assert get(client, finance, reverse("incentives:scorecard_list")).status_code == 404
    assert not Scorecard.objects.restrict(finance, "view").exists()
    for url in (
        reverse("incentives:home"),
        reverse("incentives:statement_list"),
        reverse("incentives:statement_detail", args=[statements[people["rep"].pk].pk]),
    ):
        response = get(client, finance, url)
        assert response.status_code == 200
        assert COMMENT not in response.content.decode()
    export = get(client, finance, reverse("incentives:statement_list") + "?format=xlsx")
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "销售" and len(rows) == 3
    detail = get(
        client,
        finance,
        reverse("incentives:statement_export", args=[statements[people["rep"].pk].pk]),
    )
    rows = list(
        openpyxl.load_workbook(io.BytesIO(detail.content)).active.iter_rows(values_only=True)
    )
    assert rows[1][1].startswith("HK-T")


def test_manager_comments_and_confirms_through_pages(client, people, cards):
    card = cards[people["rep"].pk]
    client.force_login(people["manager"])
    client.post(reverse("incentives:scorecard_comment", args=[card.pk]), {"comment": "很好"})
    client.post(reverse("incentives:scorecard_confirm", args=[card.pk]))
    card.refresh_from_db()
    assert card.comment == "很好" and card.status == ScorecardStatus.CONFIRMED
    # nobody comments their own scorecard
    client.force_login(people["director"])
    response = client.post(
        reverse("incentives:scorecard_comment", args=[card.pk]), {"comment": "x"}
    )
    assert response.status_code == 302


def test_compute_pages(client, people):
    template = ScorecardTemplate.objects.create(name="月度考核")
    ScorecardMetric.objects.create(template=template, metric=ScoreMetric.SALES_AMOUNT, weight=100)
    client.force_login(people["manager"])
    response = client.post(
        reverse("incentives:scorecard_compute"),
        {
            "template": template.pk,
            "people": [people["rep"].pk],
            "date_from": "2026-01-01",
            "date_to": "2026-03-31",
        },
    )
    assert response.status_code == 302
    assert Scorecard.objects.filter(owner=people["rep"]).count() == 1
    # someone outside the team is not offered
    response = client.post(
        reverse("incentives:scorecard_compute"),
        {
            "template": template.pk,
            "people": [people["other_rep"].pk],
            "date_from": "2026-01-01",
            "date_to": "2026-03-31",
        },
    )
    assert response.status_code == 200
    assert not Scorecard.objects.filter(owner=people["other_rep"]).exists()


def test_contest_leaderboard(client, people):
    rep, other = people["rep"], people["other_rep"]
    order(rep, customer(rep), "120000", datetime.date(2026, 2, 1))
    order(other, customer(other), "300000", datetime.date(2026, 2, 2))
    order(other, customer(other), "999999", datetime.date(2026, 5, 2))  # after the contest
    client.force_login(people["director"])
    response = client.post(
        reverse("incentives:contest_create"),
        {
            "name": "一季度冲刺赛",
            "metric": ContestMetric.SALES_AMOUNT,
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
            "participants": [rep.pk, other.pk, people["manager"].pk],
            "prizes": "冠军：奖金 5000 元",
        },
    )
    contest = Contest.objects.get()
    assert response.status_code == 302
    page = get(client, rep, reverse("incentives:contest_detail", args=[contest.pk]))
    assert page.status_code == 200
    board = page.context["board"]
    assert [(r["rank"], r["person"].pk, r["value"]) for r in board] == [
        (1, other.pk, D("300000")),
        (2, rep.pk, D("120000")),
        (3, people["manager"].pk, D(0)),
    ]
    assert (
        get(
            client, people["finance"], reverse("incentives:contest_detail", args=[contest.pk])
        ).status_code
        == 404
    )


def test_rights_migration_adds_missing_rows(people):
    from django.apps import apps

    from salesflow.org.models import RolePermission

    RolePermission.objects.filter(object_type__in=["scorecard", "commission", "contest"]).delete()
    module = importlib.import_module("salesflow.incentives.migrations.0002_default_rights")
    module.load(apps, None)
    finance = RolePermission.objects.get(role__code="finance", object_type="commission")
    assert set(finance.actions) == {"view", "export"}
    assert not RolePermission.objects.filter(role__code="finance", object_type="scorecard").exists()
    rep = RolePermission.objects.get(role__code="sales_rep", object_type="scorecard")
    assert rep.actions == ["view"]


def test_lead_assignment_weighted_by_process_score(people, make_user):
    from salesflow.core.services import setting_change
    from salesflow.incentives.services.scorecards import weight_by_process_score
    from salesflow.leads import services as lead_services

    assert weight_by_process_score in lead_services._weight_adjusters

    class Member:
        def __init__(self, user, weight):
            self.user_id, self.weight = user.pk, weight

    rep, other = people["rep"], people["other_rep"]
    template = ScorecardTemplate.objects.create(name="过程考核")
    for person, score in ((rep, "40.00"), (other, "5.00")):
        Scorecard.objects.create(
            template=template,
            owner=person,
            period_start=Q1[0],
            period_end=Q1[1],
            process_score=D(score),
            status=ScorecardStatus.CONFIRMED,
        )
    members = [Member(rep, 1), Member(other, 2), Member(people["manager"], 1)]
    weight_by_process_score(members)
    assert [m.weight for m in members] == [1, 2, 1]  # setting off: unchanged
    setting_change(
        actor=make_user("admin"), key="lead.assign_by_process_score", value=True, reason="试行"
    )
    weight_by_process_score(members)
    # × process score (at least 10; 100 without a confirmed scorecard)
    assert [m.weight for m in members] == [40, 20, 100]


def test_every_page_renders_empty_and_filled(client, people, make_user):
    pages = [
        "incentives:home",
        "incentives:scorecard_list",
        "incentives:scorecard_compute",
        "incentives:statement_list",
        "incentives:statement_compute",
        "incentives:contest_list",
        "incentives:contest_create",
    ]
    for user in (people["director"], people["manager"], make_user("admin")):
        client.force_login(user)
        for name in pages:
            response = client.get(reverse(name))
            assert response.status_code == 200, (user, name)
    client.force_login(people["rep"])
    for name in ("incentives:home", "incentives:scorecard_list", "incentives:statement_list"):
        assert client.get(reverse(name)).status_code == 200
    assert client.get(reverse("incentives:statement_list") + "?status=approved").status_code == 200
    assert client.get(reverse("incentives:contest_list")).status_code == 200


def test_filters_and_scorecard_export(client, people, cards, statements):
    director = people["director"]
    client.force_login(director)
    response = client.get(reverse("incentives:statement_list") + "?status=approved")
    assert response.status_code == 200 and not response.context["page"].object_list
    response = client.get(
        reverse("incentives:statement_list") + "?status=draft&date_from=2026-01-01"
    )
    assert len(response.context["page"].object_list) == 2
    export = client.get(reverse("incentives:scorecard_list") + "?format=xlsx")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True)
    )
    assert rows[0][0] == "被考核人" and len(rows) == 3
    assert all(COMMENT not in str(cell) for row in rows for cell in row)
    # managers and reps have no export right on scorecards
    client.force_login(people["manager"])
    assert client.get(reverse("incentives:scorecard_list") + "?format=xlsx").status_code == 404
