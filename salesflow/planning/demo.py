"""Demo planning records of 华信智能装备有限公司: a 华东区 strategy plan with milestones (one done,
one open, one overdue) and a review; two consecutive monthly review meetings of 华东区 where the
second shows the first's action items (two done by then, one still open); a training session with
its participants' scores; and process interviews tagged by theme.

Everything goes through the services (tasks, audit, snapshots), so the figures on the pages are
computed from the demo's real leads, opportunities and orders. Idempotent: each record is looked
up by its title before it is created; a missing person (a smaller organisation) skips the part
that needs them.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from salesflow.activities import services as task_services
from salesflow.leads.models import LeadSource
from salesflow.org import demo

from . import services
from .models import ProcessInterview, ReviewMeeting, StrategyPlan, TrainingSession

D = Decimal
PLAN_TITLE = "华东区展会获客与新品推广计划"
MEETING_TOPICS = ("华东区月度销售复盘（上月）", "华东区月度销售复盘（本月）")
TRAINING_TITLE = "顾问式销售与异议处理训练营"

INTERVIEWS = [
    # (person slot, role, themes, pain point, suggestion)
    (
        "rep.east.1",
        "销售代表",
        ["审批慢", "报价效率"],
        "大折扣报价要等经理和总监两级审批，客户催了三次才发出去。",
        "小于 10% 的折扣由经理直接审批，审批超时自动提醒。",
    ),
    (
        "rep.east.2",
        "销售代表",
        ["重复录入", "报表负担"],
        "跟进记录在微信里写一遍，周报里又抄一遍，每周花两个小时。",
        "周报直接从跟进记录生成，只补充问题和需要的支持。",
    ),
    (
        "rep.east.4",
        "销售代表",
        ["线索分配", "审批慢"],
        "展会线索分下来时已经过了一周，客户早就被竞争对手联系了。",
        "展会线索当天导入并按区域自动分配，超时未联系提醒经理。",
    ),
    (
        "manager.east",
        "销售经理",
        ["数据不透明", "报表负担"],
        "团队的商机都在个人 Excel 里，月底才知道谁的单子卡住了。",
        "商机按阶段看板管理，卡住超过时限自动标出来。",
    ),
    (
        "assistant.east",
        "销售助理",
        ["重复录入"],
        "同一个客户在三个表里信息不一致，开票时还要逐个核对。",
        "客户档案只维护一份，合同和订单直接引用。",
    ),
    (
        "manager.north",
        "销售经理",
        ["线索分配", "数据不透明"],
        "公海里的线索没人认领，也不知道谁在跟。",
        "公海线索设置认领上限和回收规则，认领记录可查。",
    ),
    (
        "rep.north.1",
        "销售代表",
        ["客户跟进"],
        "老客户半年没联系，等到招标才发现已经换了供应商。",
        "按客户等级自动提醒回访，A 类客户每两周至少一次。",
    ),
    (
        "finance.1",
        "财务",
        ["回款跟踪", "数据不透明"],
        "回款计划靠销售口头汇报，逾期了财务最后一个知道。",
        "回款计划和收款登记在系统里，逾期自动提醒销售和经理。",
    ),
]


def _local(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _people(ctx, *keys):
    return [ctx.users[k] for k in keys if k in ctx.users]


def seed_plan(ctx, today: datetime.date) -> None:
    manager = ctx.users.get("manager.east")
    east = ctx.departments.get("east") or (manager.department if manager else None)
    if manager is None or east is None or StrategyPlan.objects.filter(title=PLAN_TITLE).exists():
        return
    source = LeadSource.objects.filter(name="展会").first()
    plan = services.plan_create(
        actor=manager,
        data={
            "title": PLAN_TITLE,
            "owner": manager,
            "department": east,
            "period_start": today - datetime.timedelta(days=90),
            "period_end": today + datetime.timedelta(days=90),
            "goal": "半年内通过展会线索带来订单 150 万元，新增商机 40 个。",
            "goal_metric": "order_amount",
            "goal_value": D("1500000"),
            "lead_source": source,
            "strategy_product": "主推六轴焊接机器人 + 视觉检测工作站组合方案，突出节拍提升和良率。",
            "strategy_price": "展会期间签约享 5% 早鸟优惠；组合方案打包价，不单独降价。",
            "strategy_place": "华东区直销为主，苏州、宁波两家渠道伙伴覆盖中小客户。",
            "strategy_promotion": "参加上海工博会和苏州智能制造展；展后 48 小时内完成首次回访。",
            "resources_people": "华东区销售 5 人，产品专家 1 人驻展，市场部 1 人负责展位。",
            "resources_materials": "样机 2 台、方案手册 500 份、客户案例视频 3 个。",
            "budget": D("120000"),
            "expected_effect": "展会线索 120 条，转化商机 40 个，成交 8 单。",
        },
    )
    ctx.count("plans")
    steps = [
        ("rep.east.1", "展会线索 48 小时内全部完成首次联系", -40, True),
        ("rep.east.4", "输出 3 个焊接+检测组合方案标杆案例", -5, False),
        ("rep.east.2", "渠道伙伴完成新品销售培训", 30, False),
    ]
    for key, title, offset, done in steps:
        owner = ctx.users.get(key)
        if owner is None:
            continue
        milestone = services.milestone_add(
            actor=manager,
            plan_id=plan.pk,
            title=title,
            owner=owner,
            due_date=today + datetime.timedelta(days=offset),
        )
        if done:
            task_services.task_complete(actor=owner, task_id=milestone.task_id, note="已完成")
    services.plan_review_add(
        actor=manager,
        plan_id=plan.pk,
        notes="线索数量达标，但商机转化偏低：展后回访集中在少数人手里。",
        adjustments="展会线索按区域平均分配，每周例会检查回访进度。",
    )


def seed_meetings(ctx, today: datetime.date) -> None:
    manager = ctx.users.get("manager.east")
    if manager is None or ReviewMeeting.objects.filter(topic__in=MEETING_TOPICS).exists():
        return
    east = ctx.departments.get("east") or manager.department
    reps = _people(ctx, "rep.east.1", "rep.east.2", "rep.east.3", "rep.east.4", "rep.east.5")
    attendees = [manager, *reps, *_people(ctx, "assistant.east")]
    this_month = today.replace(day=1)
    last_month_end = this_month - datetime.timedelta(days=1)
    last_month = last_month_end.replace(day=1)
    before_last_end = last_month - datetime.timedelta(days=1)
    first = services.meeting_create(
        actor=manager,
        data={
            "topic": MEETING_TOPICS[0],
            "held_at": _local(last_month + datetime.timedelta(days=2), 14),
            "owner": manager,
            "department": east,
            "follow_up_owner": manager,
            "period_start": before_last_end.replace(day=1),
            "period_end": before_last_end,
            "agenda": "1. 上月业绩与漏斗\n2. 卡住的商机逐个过\n3. 回款风险\n4. 下月行动",
            "key_discussion": "两个大单卡在方案评审阶段超过时限，客户技术部门意见不统一。",
            "highlights": "苏州客户焊接线项目提前签约；A 类线索响应及时率 95%。",
            "problems": "方案评审阶段平均停留 18 天，超出 10 个工作日的时限。",
            "root_causes": "方案由销售自己写，产品专家介入太晚；客户决策链没摸清。",
            "lessons": "进入方案阶段前先确认技术决策人，并约产品专家同去。",
            "resolutions": "方案评审阶段必须有产品专家参与；决策链信息纳入阶段输出。",
        },
        attendees=attendees,
    )
    actions = [
        ("rep.east.1", "补齐在跟大单的客户决策链信息", 7, True),
        ("rep.east.4", "约产品专家上门评审两个卡住的方案", 10, True),
        ("rep.east.2", "逾期 60 天以上回款逐个电话确认", 14, False),
    ]
    for key, what, days, done in actions:
        owner = ctx.users.get(key)
        if owner is None:
            continue
        action = services.meeting_action_add(
            actor=manager,
            meeting_id=first.pk,
            what=what,
            owner=owner,
            due_date=first.held_at.date() + datetime.timedelta(days=days),
        )
        if done:
            task_services.task_complete(actor=owner, task_id=action.task_id, note="已完成")
    services.meeting_create(
        actor=manager,
        data={
            "topic": MEETING_TOPICS[1],
            "held_at": _local(this_month + datetime.timedelta(days=1), 14)
            if this_month + datetime.timedelta(days=1) <= today
            else _local(today, 9),
            "owner": manager,
            "department": east,
            "follow_up_owner": manager,
            "period_start": last_month,
            "period_end": last_month_end,
            "agenda": "1. 上次行动事项检查\n2. 本月业绩\n3. 展会线索转化",
            "key_discussion": "展会线索转化率低于预期，先看回访是否及时。",
            "highlights": "方案评审阶段平均停留缩短到 9 天。",
            "problems": "逾期回款电话确认还没完成。",
            "root_causes": "负责人同时在跟两个投标，时间被挤占。",
            "lessons": "行动事项要同时指定后备人。",
            "resolutions": "回款确认本周内完成，经理每周三检查。",
        },
        attendees=attendees,
    )
    ctx.count("meetings", 2)


def seed_training(ctx, today: datetime.date) -> None:
    manager = ctx.users.get("manager.east")
    if manager is None or TrainingSession.objects.filter(title=TRAINING_TITLE).exists():
        return
    session = services.training_create(
        actor=manager,
        data={
            "title": TRAINING_TITLE,
            "owner": manager,
            "trainer": "外部讲师 王老师",
            "department": ctx.departments.get("east") or manager.department,
            "held_on": today - datetime.timedelta(days=45),
            "hours": D("8"),
            "followup_months": 2,
            "content": "需求挖掘（SPIN 提问）、价值呈现、价格异议与竞品异议的处理话术、角色扮演。",
            "summary": "测试成绩平均提升明显；实操中价格异议处理仍偏弱，安排一个月后复训。",
        },
    )
    rng = ctx.rng_for("planning.training")
    reps = _people(ctx, "rep.east.1", "rep.east.2", "rep.east.3", "rep.east.4", "rep.east.5")
    for index, rep in enumerate(reps):
        pre = D(rng.randint(55, 75))
        attended = index != len(reps) - 1  # the last one was on a customer visit
        services.participant_save(
            actor=manager,
            session_id=session.pk,
            user=rep,
            data={
                "attended": attended,
                "participation": rng.randint(3, 5) if attended else None,
                "pre_score": pre,
                "post_score": pre + D(rng.randint(8, 22)) if attended else None,
                "practical_score": D(rng.randint(70, 92)) if attended else None,
                "notes": "" if attended else "客户拜访，缺席",
            },
        )
    ctx.count("training sessions")


def seed_interviews(ctx, today: datetime.date) -> None:
    director = ctx.users.get("director")
    for index, (key, role, themes, pain, suggestion) in enumerate(INTERVIEWS):
        person = ctx.users.get(key)
        # the region's manager interviews their people; the director the managers and others
        region = key.split(".")[1] if key.startswith(("rep.", "assistant.")) else ""
        interviewer = ctx.users.get(f"manager.{region}") or director
        if person is None or interviewer is None:
            continue
        name = str(person)
        if ProcessInterview.objects.filter(interviewee=name, pain_points=pain).exists():
            continue
        services.interview_create(
            actor=interviewer,
            data={
                "interviewee": name,
                "interviewee_user": person,
                "role": role,
                "department": person.department,
                "interviewed_on": today - datetime.timedelta(days=120 - index * 2),
                "owner": interviewer,
                "pain_points": pain,
                "suggestions": suggestion,
            },
            themes=themes,
        )
        ctx.count("interviews")


def seed_planning(ctx: demo.SeedContext) -> None:
    today = timezone.localdate()
    seed_plan(ctx, today)
    seed_meetings(ctx, today)
    seed_training(ctx, today)
    seed_interviews(ctx, today)


demo.register_step("planning", seed_planning, order=850)
