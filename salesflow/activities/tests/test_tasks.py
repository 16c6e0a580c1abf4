"""Tasks (SPEC S8): quality grades from completion, sub-items, daily progress, complete and
cancel, notifications for tasks given to others, scope, and delayed tasks for managers."""

import datetime
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone

from salesflow.core.errors import DomainError, NotAllowed, ValidationError
from salesflow.core.models import AuditEntry, SettingValue

from .. import selectors, services
from ..models import Notification, QualityGrade, Task, TaskStatus
from .followup_fixtures import H, customer_for, people

pytestmark = pytest.mark.django_db
FIXTURES = (people,)  # imported fixtures, used as test parameters


# --- quality grade -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "target", "grade"),
    [
        # the seed's worked example: online leads, exhibition, referrals
        ("25", "20", QualityGrade.EXCELLENT),
        ("15", "15", QualityGrade.GOOD),
        ("12", "15", QualityGrade.FAIR),
        # boundaries 120 / 100 / 80
        ("120", "100", QualityGrade.EXCELLENT),
        ("119.99", "100", QualityGrade.GOOD),
        ("100", "100", QualityGrade.GOOD),
        ("99.99", "100", QualityGrade.FAIR),
        ("80", "100", QualityGrade.FAIR),
        ("79.99", "100", QualityGrade.POOR),
        ("0", "100", QualityGrade.POOR),
    ],
)
def test_quality_grade(actual, target, grade):
    assert services.quality_grade(Decimal(actual), Decimal(target)) == grade


def test_quality_grade_without_target_is_none():
    assert services.quality_grade(Decimal(5), Decimal(0)) is None
    assert services.completion_ratio(Decimal(5), Decimal(0)) is None
    assert services.completion_ratio(Decimal(25), Decimal(20)) == 125


def test_quality_grade_bands_are_settings():
    SettingValue.objects.create(key="task.grade_excellent_min", value="110")
    SettingValue.objects.create(key="task.grade_fair_min", value="90")
    assert services.quality_grade(Decimal(22), Decimal(20)) == QualityGrade.EXCELLENT  # 110%
    assert services.quality_grade(Decimal(17), Decimal(20)) == QualityGrade.POOR  # 85%


def test_seed_example_as_a_task_with_sub_items(people):
    manager, rep = people["manager"], people["rep"]
    task = services.task_create(actor=manager, data={"title": "十月获客", "owner": rep})
    for name, target, actual in (("线上线索", 20, 25), ("展会线索", 15, 15), ("转介绍", 15, 12)):
        services.task_item_save(
            actor=manager,
            task_id=task.pk,
            data={"name": name, "target_value": target, "actual_value": actual, "owner": rep},
        )
    items = selectors.task_items(task)
    assert [(i.name, i.grade_label) for i in items] == [
        ("线上线索", "优"),
        ("展会线索", "良"),
        ("转介绍", "中"),
    ]
    assert [i.completion for i in items] == [125, 100, 80]


# --- create, notify, scope ---------------------------------------------------------------------


def test_task_for_someone_else_notifies_them_cross_department(people):
    rep, expert, mate = people["rep"], people["expert"], people["mate"]
    due = timezone.now() + 24 * H
    task = services.task_create(
        actor=rep,
        data={"title": "准备演示环境", "owner": expert, "due_at": due},
        customer_id=customer_for(rep).pk,
    )
    assert task.created_by == rep and task.customer is not None
    message = Notification.objects.get(user=expert)
    assert "跨部门" in message.title and message.kind == "task.assigned"
    services.task_create(actor=rep, data={"title": "整理纪要", "owner": mate})
    assert "跨部门" not in Notification.objects.get(user=mate).title
    services.task_create(actor=rep, data={"title": "自己的事"})
    assert not Notification.objects.filter(user=rep).exists()


def test_task_needs_a_title_and_the_right(people, make_user):
    with pytest.raises(ValidationError):
        services.task_create(actor=people["rep"], data={"title": " "})
    with pytest.raises(NotAllowed):
        services.task_create(actor=make_user("finance"), data={"title": "x"})


def test_out_of_scope_task_is_not_found(people):
    task = services.task_create(actor=people["other"], data={"title": "别人的任务"})
    rep = people["rep"]
    with pytest.raises(Http404):
        selectors.task_get(user=rep, pk=task.pk)
    with pytest.raises(Http404):
        services.task_complete(actor=rep, task_id=task.pk)
    with pytest.raises(Http404):
        services.task_progress_add(actor=rep, task_id=task.pk, note="进展")
    # The director sees the whole company.
    assert selectors.task_get(user=people["director"], pk=task.pk) == task


def test_update_and_reassign_notifies_the_new_owner(people):
    rep, mate = people["rep"], people["mate"]
    task = services.task_create(actor=rep, data={"title": "初稿"})
    services.task_update(actor=rep, task_id=task.pk, data={"title": "终稿", "owner": mate})
    task.refresh_from_db()
    assert (task.title, task.owner) == ("终稿", mate)
    assert Notification.objects.filter(user=mate, kind="task.assigned").count() == 1
    assert AuditEntry.objects.filter(action="task.update", object_id=str(task.pk)).exists()


# --- sub-items and progress ----------------------------------------------------------------------


def test_daily_progress_sets_the_item_actual_value(people):
    manager, rep = people["manager"], people["rep"]
    task = services.task_create(actor=manager, data={"title": "十月获客", "owner": rep})
    item = services.task_item_save(
        actor=manager, task_id=task.pk, data={"name": "线上线索", "target_value": "20"}
    )
    services.task_progress_add(
        actor=rep, task_id=task.pk, note="官网表单 8 条", item_id=item.pk, actual_value="8"
    )
    services.task_progress_add(
        actor=rep,
        task_id=task.pk,
        note="抖音 17 条",
        item_id=item.pk,
        actual_value="25",
        day=datetime.date(2025, 10, 9),
    )
    item.refresh_from_db()
    assert item.actual_value == 25
    assert services.quality_grade(item.actual_value, item.target_value) == QualityGrade.EXCELLENT
    assert task.progress.count() == 2
    with pytest.raises(ValidationError):
        services.task_progress_add(actor=rep, task_id=task.pk, note=" ")
    with pytest.raises(ValidationError):
        services.task_progress_add(actor=rep, task_id=task.pk, note="无子项", actual_value="3")


def test_an_item_owner_reports_on_their_item_only(people):
    manager, rep, expert = people["manager"], people["rep"], people["expert"]
    task = services.task_create(actor=manager, data={"title": "方案交付", "owner": rep})
    theirs = services.task_item_save(
        actor=manager,
        task_id=task.pk,
        data={"name": "技术方案", "target_value": 1, "owner": expert},
    )
    other_item = services.task_item_save(
        actor=manager, task_id=task.pk, data={"name": "报价单", "target_value": 1}
    )
    assert Notification.objects.filter(user=expert, title__contains="技术方案").exists()
    assert selectors.task_get(user=expert, pk=task.pk) == task  # item owners see the task
    services.task_progress_add(
        actor=expert, task_id=task.pk, note="已完成", item_id=theirs.pk, actual_value=1
    )
    with pytest.raises(NotAllowed):
        services.task_progress_add(
            actor=expert, task_id=task.pk, note="代填", item_id=other_item.pk, actual_value=1
        )


def test_item_validation(people):
    rep = people["rep"]
    task = services.task_create(actor=rep, data={"title": "计划"})
    with pytest.raises(ValidationError) as exc:
        services.task_item_save(
            actor=rep,
            task_id=task.pk,
            data={
                "name": "",
                "target_value": "-1",
            },
        )
    assert "target_value" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.task_item_save(
            actor=rep,
            task_id=task.pk,
            data={
                "name": "拜访",
                "planned_start": datetime.date(2025, 10, 10),
                "planned_finish": datetime.date(2025, 10, 9),
            },
        )
    assert "planned_finish" in exc.value.message_dict


# --- complete / cancel ---------------------------------------------------------------------------


def test_complete_and_cancel(people):
    rep = people["rep"]
    done = services.task_create(actor=rep, data={"title": "发报价"})
    services.task_complete(actor=rep, task_id=done.pk)
    done.refresh_from_db()
    assert done.status == TaskStatus.DONE and done.completed_at is not None
    with pytest.raises(DomainError):
        services.task_complete(actor=rep, task_id=done.pk)
    with pytest.raises(DomainError):
        services.task_item_save(actor=rep, task_id=done.pk, data={"name": "x"})

    dropped = services.task_create(actor=rep, data={"title": "寄样品"})
    with pytest.raises(ValidationError):
        services.task_cancel(actor=rep, task_id=dropped.pk, reason="")
    services.task_cancel(actor=rep, task_id=dropped.pk, reason="客户取消")
    dropped.refresh_from_db()
    assert dropped.status == TaskStatus.CANCELLED
    entry = AuditEntry.objects.get(action="task.cancel")
    assert entry.message == "客户取消"


# --- delayed tasks ---------------------------------------------------------------------------------


def test_delayed_tasks_of_the_managers_team(people):
    manager, rep, other = people["manager"], people["rep"], people["other"]
    past = timezone.now() - H
    late = services.task_create(actor=rep, data={"title": "逾期", "due_at": past})
    services.task_create(actor=rep, data={"title": "未到期", "due_at": timezone.now() + H})
    services.task_create(actor=other, data={"title": "别的团队", "due_at": past})
    closed = services.task_create(actor=rep, data={"title": "已完成", "due_at": past})
    services.task_complete(actor=rep, task_id=closed.pk)
    assert list(selectors.delayed_tasks(manager)) == [Task.objects.get(pk=late.pk)]
    assert selectors.delayed_tasks(people["director"]).count() == 2
