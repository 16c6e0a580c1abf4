"""Setting, decomposing and adjusting targets: sum checks (block / warn), history, rights."""

import datetime
from decimal import Decimal

import pytest

from salesflow.core.audit import history_for
from salesflow.core.errors import NotAllowed, ValidationError
from salesflow.core.services import setting_change
from salesflow.targets import services
from salesflow.targets.models import Level, Metric, PeriodKind, Target, TargetAdjustment

D = Decimal
YEAR = {"period_kind": PeriodKind.YEAR}


def _total(director, value="1000000", metric=Metric.SALES_AMOUNT):
    start, end = services.period_bounds(PeriodKind.YEAR, 2026)
    return services.target_create(
        actor=director,
        data={
            "metric": metric,
            "period_kind": PeriodKind.YEAR,
            "period_start": start,
            "period_end": end,
            "level": Level.COMPANY,
            "value": value,
            "owner": director,
        },
    ).target


def _team(people, dept_key, manager_key, value):
    return {
        "level": Level.TEAM,
        "department": people[dept_key],
        "owner": people[manager_key],
        "value": value,
    }


def test_period_bounds():
    assert services.period_bounds("quarter", 2024, 1) == (
        datetime.date(2024, 1, 1),
        datetime.date(2024, 3, 31),
    )
    assert services.period_bounds("month", 2024, 2)[1] == datetime.date(2024, 2, 29)
    assert services.period_bounds("year", 2025) == (
        datetime.date(2025, 1, 1),
        datetime.date(2025, 12, 31),
    )
    with pytest.raises(ValidationError):
        services.period_bounds("quarter", 2024, 5)


def test_only_a_director_sets_targets(people):
    with pytest.raises(NotAllowed):
        _total(people["manager"])
    with pytest.raises(NotAllowed):
        _total(people["rep"])
    assert _total(people["director"]).value == D("1000000")


def test_decomposition_that_adds_up(people):
    director = people["director"]
    total = _total(director)
    outcome = services.target_decompose(
        actor=director,
        parent_id=total.pk,
        children=[
            _team(people, "east", "manager", "600000"),
            _team(people, "north", "other_manager", "400000"),
        ],
    )
    assert outcome.warnings == []
    check = services.sum_check(total)
    assert (check.children_sum, check.difference, check.ok) == (D("1000000"), 0, True)
    east = total.children.get(department=people["east"])
    assert (east.metric, east.period_start, east.period_end) == (
        total.metric,
        total.period_start,
        total.period_end,
    )


def test_sum_check_blocks_by_default(people):
    director = people["director"]
    total = _total(director)
    with pytest.raises(services.SumMismatch) as exc:
        services.target_decompose(
            actor=director,
            parent_id=total.pk,
            children=[_team(people, "east", "manager", "600000")],
        )
    assert exc.value.difference == D("400000")
    assert "400000" in str(exc.value)
    assert not total.children.exists()  # rolled back


def test_sum_check_warns_when_set_to_warn(people, make_user):
    setting_change(
        actor=make_user("admin"), key="target.sum_check", value="warn", reason="分解进行中"
    )
    director = people["director"]
    total = _total(director)
    outcome = services.target_decompose(
        actor=director,
        parent_id=total.pk,
        children=[_team(people, "east", "manager", "600000")],
    )
    assert len(outcome.warnings) == 1 and "400000" in outcome.warnings[0]
    assert services.sum_check(total).difference == D("400000")
    # over-decomposed: the difference is negative
    services.target_decompose(
        actor=director,
        parent_id=total.pk,
        children=[_team(people, "north", "other_manager", "500000")],
    )
    assert services.sum_check(total).difference == D("-100000")


def test_rates_are_not_summed(people):
    director = people["director"]
    total = _total(director, "30", Metric.REPURCHASE_RATE)
    outcome = services.target_decompose(
        actor=director,
        parent_id=total.pk,
        children=[_team(people, "east", "manager", "35")],
    )
    assert outcome.warnings == []
    with pytest.raises(ValidationError):
        _total(director, "130", Metric.REPURCHASE_RATE)


def test_child_must_stay_in_parent_period(people):
    director = people["director"]
    total = _total(director)
    with pytest.raises(ValidationError):
        services.target_decompose(
            actor=director,
            parent_id=total.pk,
            children=[
                {
                    **_team(people, "east", "manager", "1000000"),
                    "period_start": datetime.date(2027, 1, 1),
                    "period_end": datetime.date(2027, 1, 31),
                }
            ],
        )


def test_adjustments_keep_history_and_reason(people):
    director = people["director"]
    total = _total(director, "100")
    with pytest.raises(ValidationError):
        services.target_adjust(actor=director, target_id=total.pk, value="90", reason=" ")
    services.target_adjust(actor=director, target_id=total.pk, value="90", reason="市场下行")
    services.target_adjust(actor=director, target_id=total.pk, value="95", reason="新品上市")
    total.refresh_from_db()
    assert total.value == D("95")
    history = list(TargetAdjustment.objects.filter(target=total).order_by("at", "id"))
    assert [(h.old_value, h.new_value, h.reason) for h in history] == [
        (D("100"), D("90"), "市场下行"),
        (D("90"), D("95"), "新品上市"),
    ]
    assert history[0].actor == director
    actions = [e.action for e in history_for(total)]
    assert actions.count("target.adjust") == 2 and "target.create" in actions


def test_adjusting_a_child_keeps_the_sum_check(people, make_user):
    director = people["director"]
    total = _total(director, "100")
    services.target_decompose(
        actor=director,
        parent_id=total.pk,
        children=[
            _team(people, "east", "manager", "60"),
            _team(people, "north", "other_manager", "40"),
        ],
    )
    east = total.children.get(department=people["east"])
    north = total.children.get(department=people["north"])
    with pytest.raises(services.SumMismatch):
        services.target_adjust(actor=director, target_id=east.pk, value="70", reason="加码")
    east.refresh_from_db()
    assert east.value == D("60") and not east.adjustments.exists()
    # both children at once on the decomposition page: one reason, two history rows
    with pytest.raises(ValidationError):
        services.target_decompose(
            actor=director,
            parent_id=total.pk,
            children=[{"id": east.pk, "value": "70"}, {"id": north.pk, "value": "30"}],
        )
    services.target_decompose(
        actor=director,
        parent_id=total.pk,
        children=[{"id": east.pk, "value": "70"}, {"id": north.pk, "value": "30"}],
        reason="华北区人员调整",
    )
    assert Target.objects.get(pk=north.pk).adjustments.get().reason == "华北区人员调整"
    assert services.sum_check(total).ok


def test_performance_note_needs_a_manager(people):
    data = {
        "period_start": datetime.date(2026, 1, 1),
        "period_end": datetime.date(2026, 1, 31),
        "dimension": "owner",
        "key": str(people["rep"].pk),
        "reason": "大客户延期下单",
        "action": "周三前拜访采购总监",
        "owner": people["rep"],
        "due_date": datetime.date(2026, 2, 10),
    }
    with pytest.raises(NotAllowed):
        services.performance_note_add(actor=people["rep"], data=data)
    with pytest.raises(ValidationError):
        services.performance_note_add(actor=people["manager"], data={**data, "reason": ""})
    with pytest.raises(ValidationError):
        services.performance_note_add(
            actor=people["manager"], data={**data, "owner": people["other_rep"]}
        )
    note = services.performance_note_add(actor=people["manager"], data=data)
    assert note.created_by == people["manager"]
    assert history_for(note).filter(action="performance_note.add").exists()
