"""Demo leads of 华信智能装备有限公司: ~320 leads over the last six months, registered by
marketing and reps from trade fairs, the website, channels, referrals, Douyin ads and cold
visits; assigned by region rules (华东 weighted by capacity) or by a manager; screened on the
real scorecard; contacted, nurtured, converted (``lead_convert``) or marked invalid. Some miss
the entry SLA, some wait unscreened past 48h, some A-class leads are overdue for their first
contact, and leads from regions without a rule wait unassigned for the managers.

Everything goes through ``leads.services``; afterwards each lead's timeline is moved into the
past (acquired → entered → assigned → graded → contacted → converted) and its SLA deadlines
are recomputed from the moved times with the same rules. Idempotent: nothing happens when the
marker lead exists.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Value, When
from django.utils import timezone

from salesflow.core.models import AuditEntry
from salesflow.customers.demo import Names
from salesflow.customers.models import Customer, GradeChange, Industry, OwnershipEvent, Region
from salesflow.org import demo

from . import rules, services
from .models import (
    AssignmentMember,
    AssignmentRule,
    Intent,
    Lead,
    LeadAssignment,
    LeadGrade,
    LeadScore,
    LeadSource,
    LeadStatus,
    NeedsAssessment,
    Scorecard,
)

MARKER = "无锡博远汽车零部件有限公司"
COUNT = 320
H = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)

SOURCE_WEIGHTS = {
    "展会": 20, "官网": 22, "渠道": 12, "转介绍": 8, "抖音广告": 14, "陌拜": 10, "电话营销": 10,
    "其他": 4,
}  # fmt: skip
#: sources a rep registers themselves (and owns); the others come in through marketing
REP_SOURCES = {"陌拜", "电话营销", "转介绍"}
REGION_WEIGHTS = {"华东": 40, "华南": 25, "华北": 23, "华中": 6, "西南": 6}
REGION_SLOTS = {"华东": "east", "华南": "south", "华北": "north"}

PAIN_POINTS = [
    "现有设备故障率高，每月停机约{n}小时，交期经常延误",
    "人工质检漏检率约{p}%，去年因质量问题被主机厂索赔",
    "产线换型一次要{n}小时，小批量订单越来越多，效率跟不上",
    "仓库盘点靠Excel，账实差异大，每月对账要花{n}个人天",
    "能耗偏高，电费每月超过{w}万元，老板要求今年降10%",
    "招工难，熟练操作工流失率{p}%，希望用自动化替代重复岗位",
    "设备数据没有联网，生产进度只能靠班组长报，管理层看不到实时产量",
    "客户要求全流程质量追溯，现在的纸质记录无法满足审核",
    "老旧设备精度下降，不良品率升到{p}%，返工成本高",
    "多个工厂的设备维护各自为政，备件库存积压约{w}万元",
]
OUTCOMES = [
    "希望三个月内看到改善方案",
    "计划明年一季度完成改造",
    "想先做一条产线试点",
    "需要供应商提供投资回报测算",
    "要求方案能和现有ERP对接",
]
NEEDS_ITEMS = [
    ("降低设备停机时间", "预测性维护模块已在同行验证"),
    ("产线数据可视化", "标准看板开箱即用"),
    ("与现有ERP对接", "有标准接口，个别字段需定制"),
    ("减少人工质检", "视觉检测方案成熟"),
    ("快速换型", "柔性工装是我们的强项"),
    ("能耗监测", "需要加装计量表，周期较长"),
    ("备件管理", "备件模块功能较基础"),
]
BUDGETS = [
    (20_000, 50_000), (50_000, 100_000), (100_000, 200_000), (150_000, 200_000),
    (150_000, 300_000), (300_000, 500_000), (500_000, 1_000_000),
]  # fmt: skip
INVALID_REASONS = ["空号，多次无法联系", "同行询价，非真实需求", "预算远低于最低报价", "个人咨询"]
NURTURE_REASONS = ["预算明年才审批", "项目暂缓，半年后再评估", "正在评估竞品，先保持联系"]
FATES = {  # fate → weight, for leads entered more than two days ago
    "new": 5, "screened": 13, "a_overdue": 4, "contacting": 32, "nurture": 9, "converted": 18,
    "invalid": 8,
}  # fmt: skip


def seed_leads(ctx: demo.SeedContext) -> None:
    if Lead.all_objects.filter(company_name=MARKER).exists():
        ctx.log("演示线索已存在，跳过。")
        return
    rng = ctx.random
    _assignment_rules(ctx)
    world = {
        "names": Names(rng),
        "regions": {r.name: r for r in Region.objects.all()},
        "industries": {i.name: i for i in Industry.objects.all()},
        "sources": {s.name: s for s in LeadSource.objects.all()},
        "scorecard": Scorecard.objects.filter(is_active=True).prefetch_related("criteria__options"),
        "referrers": list(
            Customer.objects.filter(owner__in=list(ctx.users.values())).order_by("id")[:60]
        ),
        "now": timezone.now(),
    }
    world["scorecard"] = world["scorecard"].first()
    for index in range(COUNT):
        _one_lead(ctx, world, marker=index == 0)
    ctx.log(
        f"演示线索：{ctx.created['leads']} 条（转化 {ctx.created['converted leads']} 条，"
        f"未分配 {ctx.created['unassigned leads']} 条）。"
    )


def _assignment_rules(ctx: demo.SeedContext) -> None:
    """One rule per sales region: round-robin over its reps (华东 weighted by capacity)."""
    for order, (region, key) in enumerate(REGION_SLOTS.items()):
        name = f"{region}区线索分配"
        if AssignmentRule.objects.filter(name=name).exists():
            continue
        rule = AssignmentRule.objects.create(
            name=name,
            sort_order=order * 10,
            region=Region.objects.get(name=region),
            team=ctx.departments[key],
            weighted=key == "east",
        )
        for n in range(1, 6):
            rep = ctx.users[f"rep.{key}.{n}"]
            AssignmentMember.objects.create(
                rule=rule, user=rep, weight=2 if rep.title == "高级销售" else 1
            )
        ctx.count("assignment rules")


def _lead_fields(ctx, world, region: str | None, source: str, marker: bool) -> dict:
    rng, names = ctx.random, world["names"]
    industry = "制造业" if marker else names.industry()
    company = names.company(region or "华中", industry, MARKER if marker else None)
    contact, phone, email = names.person(company["domain"])
    pain = rng.choice(PAIN_POINTS).format(
        n=rng.randint(8, 40), p=rng.randint(2, 9), w=rng.randint(20, 90)
    )
    fields = {
        "company_name": company["name"],
        "industry": world["industries"][industry],
        "region": world["regions"][region] if region else None,
        "employees": rng.choice([30, 60, 150, 300, 500, 900, 2000]),
        "contact_name": contact,
        "contact_title": rng.choice(["采购经理", "设备部经理", "生产总监", "总经理", "厂长"]),
        "phone": phone,
        "email": email if rng.random() < 0.7 else "",
        "needs": f"{pain}；{rng.choice(OUTCOMES)}。",
        "source": world["sources"][source],
    }
    if fields["email"] and rng.random() < 0.05:
        fields["phone"] = ""  # only an e-mail left on the website form
    if rng.random() < 0.85:
        low, high = rng.choice(BUDGETS)
        fields["budget_min"], fields["budget_max"] = Decimal(low), Decimal(high)
    if source == "转介绍":
        fields["referral_customer"] = rng.choice(world["referrers"])
    if source == "展会":
        fields["notes"] = rng.choice(["工博会展位扫码登记", "展会现场看过演示样机"])
    return fields


def _register(ctx, fields: dict, source: str, slot: str | None, age_days: float):
    """Register as a rep (own sources) or as marketing; marketing's leads go through the rules
    or, for some, wait for the region's manager to assign them by hand. Returns the lead and
    whether a manager assigned it."""
    rng = ctx.random
    if source in REP_SOURCES and slot:
        rep = ctx.users[f"rep.{slot}.{rng.randint(1, 5)}"]
        lead = services.lead_register(actor=rep, data=fields, owner=rep, confirm_duplicate=True)
        return lead, False
    registrar = ctx.users[rng.choice(["marketing.1", "marketing.2"])]
    manual = bool(slot) and rng.random() < 0.15
    lead = services.lead_register(
        actor=registrar, data=fields, confirm_duplicate=True, auto_assign=not manual
    )
    if manual and age_days > 1:
        services.lead_assign(
            actor=ctx.users[f"manager.{slot}"],
            lead_ids=[lead.pk],
            to_owner=ctx.users[f"rep.{slot}.{rng.randint(1, 5)}"],
            reason=rng.choice(["按区域分配", "客户在该销售负责的城市", "该销售熟悉此行业"]),
        )
        lead.refresh_from_db()
    return lead, manual


def _one_lead(ctx, world, *, marker: bool) -> None:
    rng, now = ctx.random, world["now"]
    source = "展会" if marker else rng.choices(*zip(*SOURCE_WEIGHTS.items(), strict=True))[0]
    region = "华东" if marker else rng.choices(*zip(*REGION_WEIGHTS.items(), strict=True))[0]
    if region not in REGION_SLOTS and rng.random() < 0.4:
        region = None  # region not filled in
    fields = _lead_fields(ctx, world, region, source, marker)
    # acquired → entered: 12% later than the 24h entry SLA. Leads of regions without a rule
    # wait for a manager; the older ones have been assigned by the director by now.
    no_rule = region not in REGION_SLOTS
    acquired = now - rng.uniform(0.3, 180) * DAY
    if no_rule and rng.random() < 0.5:
        acquired = now - rng.uniform(0.3, 10) * DAY
    entry_delay = rng.uniform(26, 90) * H if rng.random() < 0.12 else rng.uniform(0.2, 20) * H
    entered = min(acquired + entry_delay, now - 0.1 * H)
    fields["acquired_at"] = acquired
    fields["expected_purchase"] = (acquired + rng.randint(20, 200) * DAY).date()
    age = (now - entered) / DAY
    lead, manual = _register(ctx, fields, source, REGION_SLOTS.get(region), age)
    ctx.count("leads")
    times = {"entered": entered, "assigned": entered + rng.uniform(0.05, 0.5) * H}
    if manual:
        times["assigned"] = entered + min(rng.uniform(1, 30) * H, (now - entered) / 2)
    if lead.owner is None and no_rule and age > 10:
        slot = rng.choice(list(REGION_SLOTS.values()))
        services.lead_assign(
            actor=ctx.users["director"],
            lead_ids=[lead.pk],
            to_owner=ctx.users[f"rep.{slot}.{rng.randint(1, 5)}"],
            reason="该区域暂无销售团队，由总监指定跟进人",
        )
        lead.refresh_from_db()
        times["assigned"] = entered + min(rng.uniform(4, 60) * H, (now - entered) / 2)
    if lead.owner is None:
        ctx.count("unassigned leads")
        return _move_in_time(lead, times)
    owner = lead.owner

    fate = _fate(rng, age)
    if fate == "new":
        return _move_in_time(lead, times)
    if fate == "invalid" and rng.random() < 0.5:  # found out before screening
        _set_status(rng, owner, lead, LeadStatus.INVALID, INVALID_REASONS)
        return _move_in_time(lead, times)

    # screening: mostly within the 48h SLA, some late; overdue A-class graded days ago
    delay = rng.uniform(50, 80) * H if rng.random() < 0.15 else rng.uniform(1, 40) * H
    graded = entered + min(delay, (now - entered) * 0.8)
    if fate == "a_overdue":
        graded = max(entered + H, min(graded, now - rng.uniform(30, 150) * H))
    quality = {"converted": 0.75, "a_overdue": 1.0, "contacting": 0.4}.get(fate, 0.2)
    score = services.lead_screen(
        actor=owner,
        lead_id=lead.pk,
        answers=_answers(rng, world["scorecard"], quality),
        intent=_intent(fields["expected_purchase"], acquired, fate),
    )
    ctx.count(f"{score.grade}-class leads")
    times["graded"] = graded
    if rng.random() < 0.3:
        picks = rng.sample(NEEDS_ITEMS, 3)
        services.lead_assess_needs(
            actor=owner,
            lead_id=lead.pk,
            items=[{"need": n, "score": rng.randint(2, 5), "reason": r} for n, r in picks],
        )
    if fate == "invalid":
        _set_status(rng, owner, lead, LeadStatus.INVALID, INVALID_REASONS)
    if fate in ("screened", "a_overdue", "invalid"):
        return _move_in_time(lead, times)

    # first contact: mostly within 24h of grading, some late; then follow-ups
    response = rng.uniform(25, 60) * H if rng.random() < 0.15 else rng.uniform(0.5, 20) * H
    touch = graded + min(response, (now - graded) * 0.8)
    services.lead_record_first_contact(actor=owner, lead_id=lead.pk, at=touch)
    if rng.random() < 0.6 and now - touch > 3 * DAY:
        touch += rng.uniform(1, min(30, (now - touch) / DAY * 0.7)) * DAY
        services.lead_record_first_contact(actor=owner, lead_id=lead.pk, at=touch)
    if fate == "nurture":
        _set_status(rng, owner, lead, LeadStatus.NURTURE, NURTURE_REASONS)
    elif fate == "converted":
        customer = services.lead_convert(actor=owner, lead_id=lead.pk, confirm_duplicate=True)
        times["converted"] = touch + min(rng.uniform(0.3, 20) * DAY, (now - touch) * 0.8)
        _move_customer(rng, customer, times["converted"], now)
        ctx.count("converted leads")
    return _move_in_time(lead, times)


def _set_status(rng, actor, lead, status, reasons) -> None:
    services.lead_set_status(
        actor=actor, lead_id=lead.pk, status=status, reason=rng.choice(reasons)
    )


def _fate(rng: random.Random, age_days: float) -> str:
    if age_days < 2:
        return rng.choice(["new", "new", "screened", "contacting"])
    fates = dict(FATES)
    if age_days < 15:
        fates.pop("converted")
    return rng.choices(list(fates), weights=list(fates.values()))[0]


def _intent(expected: datetime.date, acquired: datetime.datetime, fate: str) -> str:
    days = (expected - acquired.date()).days
    if fate == "nurture" or days > 120:
        return Intent.LOW
    return Intent.HIGH if days <= 40 else Intent.MEDIUM


def _answers(rng: random.Random, scorecard: Scorecard, quality: float) -> dict[int, int]:
    """One option per criterion: the best with probability ``quality``, else any other."""
    answers = {}
    for criterion in scorecard.criteria.all():
        options = sorted(criterion.options.all(), key=lambda o: -o.points)
        best = rng.random() < quality
        answers[criterion.pk] = (options[0] if best else rng.choice(options[1:] or options)).pk
    return answers


def _move_in_time(lead: Lead, times: dict[str, datetime.datetime]) -> None:
    """Put the lead's dates (and its rows' and audit entries' dates) at the drawn moments,
    and recompute its SLA deadlines from them with the lead rules."""
    lead = Lead.all_objects.get(pk=lead.pk)
    entered, graded = times["entered"], times.get("graded")
    update = {"entered_at": entered, "screening_due_at": rules.screening_due(entered)}
    if lead.owner_id:
        update["assigned_at"] = times["assigned"]
    if graded:
        update["graded_at"] = graded
        update["first_contact_due_at"] = (
            rules.first_contact_due(graded) if lead.grade == LeadGrade.A else None
        )
    if "converted" in times:
        update["converted_at"] = times["converted"]
    Lead.all_objects.filter(pk=lead.pk).update(**update)
    LeadAssignment.objects.filter(lead=lead).update(at=times["assigned"])
    if graded:
        LeadScore.objects.filter(lead=lead).update(at=graded)
        NeedsAssessment.objects.filter(lead=lead).update(at=graded + 2 * H)
    moments = {"lead.create": entered, "lead.assign": times["assigned"]}
    last = lead.last_followup_at or graded or times["assigned"]
    moments["lead.status"] = min(last + H, timezone.now())
    if graded:
        moments |= {"lead.screen": graded, "lead.assess_needs": graded + 2 * H}
    if "converted" in times:
        moments["lead.convert"] = times["converted"]
    _audit_at(lead, moments)
    contacts = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(lead),
        object_id=str(lead.pk),
        action="lead.contact",
    ).order_by("id")
    moments = (lead.first_contact_at, lead.last_followup_at)
    for entry, moment in zip(contacts, moments, strict=False):
        AuditEntry.objects.filter(pk=entry.pk).update(at=moment)


def _move_customer(rng: random.Random, customer: Customer, converted, now) -> None:
    first_deal = None
    if rng.random() < 0.5 and now - converted > 10 * DAY:
        first_deal = converted + rng.uniform(5, (now - converted) / DAY - 2) * DAY
    followup = converted + min(rng.uniform(0.5, 10) * DAY, (now - converted) / 2)
    if rng.random() < 0.8:  # most new customers are followed up regularly
        followup = max(followup, now - rng.uniform(0.2, 25) * DAY)
    Customer.objects.filter(pk=customer.pk).update(
        created_at=converted,
        owned_since=converted,
        first_deal_at=first_deal,
        last_followup_at=min(followup, now),
    )
    customer.contacts.update(created_at=converted)
    OwnershipEvent.objects.filter(customer=customer).update(at=converted)
    GradeChange.objects.filter(customer=customer).update(at=converted)
    _audit_at(customer, {"customer.create": converted})


def _audit_at(obj, moments: dict[str, datetime.datetime]) -> None:
    AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        action__in=list(moments),
    ).update(at=Case(*(When(action=a, then=Value(m)) for a, m in moments.items())))


demo.register_step("leads", seed_leads, order=300)
