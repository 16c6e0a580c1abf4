"""Service and rule tests of SPEC S1 (leads): SLAs, scorecard, intent, needs match, privacy,
duplicate check, assignment (manual, cap, rules, round-robin, weighted), scope, first contact,
conversion, merge and the recycle bin."""

import datetime
import itertools
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.http import Http404
from django.utils import timezone

from salesflow.core.audit import history_for
from salesflow.core.dedup import DuplicateFound
from salesflow.core.errors import DomainError, NotAllowed, ValidationError
from salesflow.core.models import AuditEntry
from salesflow.core.pii import find_sensitive, luhn_ok
from salesflow.core.services import setting_change
from salesflow.customers import services as customer_services
from salesflow.customers.models import Contact, Customer, Industry, Region
from salesflow.leads import rules, selectors, services
from salesflow.leads.models import (
    AssignmentMember,
    AssignmentRule,
    Intent,
    Lead,
    LeadAssignment,
    LeadGrade,
    LeadScore,
    LeadScoreItem,
    LeadSource,
    LeadStatus,
    MatchBand,
    NeedsAssessment,
    PurchasingPower,
    Scorecard,
    ScoreCriterion,
    ScoreOption,
)

pytestmark = pytest.mark.django_db

H = datetime.timedelta(hours=1)
ID_CARD = "11010519491231002X"
BANK_CARDS = ["4111111111111111", "6222 0212 3456 7890 128"]  # 16 and 19 digits, Luhn-valid


@pytest.fixture
def org(make_user, make_department):
    """A company with an east team (manager + three reps), a north team, marketing, admin."""
    company = make_department("测试公司")
    sales = make_department("销售中心", parent=company)
    east = make_department("华东区", parent=sales, region="华东")
    north = make_department("华北区", parent=sales, region="华北")
    market = make_department("市场部", parent=company)
    director = make_user("sales_director", department=sales, display_name="周总监")
    manager = make_user("sales_manager", department=east, manager=director, display_name="王经理")
    reps = [
        make_user("sales_rep", department=east, manager=manager, display_name=name)
        for name in ("陈一", "林二", "黄三")
    ]
    north_manager = make_user(
        "sales_manager", department=north, manager=director, display_name="刘经理"
    )
    outsider = make_user(
        "sales_rep", department=north, manager=north_manager, display_name="赵北方"
    )
    return SimpleNamespace(
        director=director,
        manager=manager,
        rep_a=reps[0],
        rep_b=reps[1],
        rep_c=reps[2],
        north_manager=north_manager,
        outsider=outsider,
        marketing=make_user("marketing", department=market, display_name="市场小李"),
        marketing2=make_user("marketing", department=market, display_name="市场小张"),
        admin=make_user("admin", department=company, display_name="管理员"),
        east=east,
        north=north,
    )


_numbers = itertools.count(1)


def lead_data(**fields):
    n = next(_numbers)
    data = {
        "company_name": f"测试{n}号精密机械有限公司",
        "contact_name": "李明",
        "contact_title": "采购经理",
        "phone": f"139{n:08d}",
        "email": f"buyer{n}@example.cn",
        "needs": "现有设备故障率高，每月停机约20小时",
        "source": LeadSource.objects.get(name="展会"),
        "acquired_at": timezone.now() - 2 * H,
    }
    data.update(fields)
    return data


def register(actor, *, owner=None, confirm=False, auto_assign=True, **fields):
    return services.lead_register(
        actor=actor,
        data=lead_data(**fields),
        owner=owner,
        confirm_duplicate=confirm,
        auto_assign=auto_assign,
    )


def answers_for(points: list[int], scorecard=None) -> dict[int, int]:
    """One option per criterion of the (active) scorecard, chosen by its points."""
    scorecard = scorecard or Scorecard.objects.get(is_active=True)
    answers = {}
    for criterion, wanted in zip(scorecard.criteria.all(), points, strict=True):
        answers[criterion.pk] = criterion.options.get(points=wanted).pk
    return answers


A_POINTS = [20, 20, 25, 0, 15]  # 80
B_POINTS = [20, 20, 5, 0, 15]  # 60
C_POINTS = [20, 2, 15, 12, 10]  # 59


def screen(actor, lead, points=A_POINTS, intent=Intent.HIGH):
    return services.lead_screen(
        actor=actor, lead_id=lead.pk, answers=answers_for(points), intent=intent
    )


def set_setting(org, key, value):
    setting_change(actor=org.admin, key=key, value=value, reason="试点团队调整")


# --- SLAs -------------------------------------------------------------------------------------


def test_entry_sla_is_met_at_exactly_24h_and_missed_one_second_later():
    acquired = timezone.now() - 48 * H
    exactly = rules.entry_sla(acquired, acquired + 24 * H)
    assert exactly.met is True
    assert exactly.due_at == acquired + 24 * H
    assert rules.entry_sla(acquired, acquired + 24 * H + datetime.timedelta(seconds=1)).met is False


def test_registration_stamps_entry_time_and_screening_due_48h_later(org):
    before = timezone.now()
    lead = register(org.rep_a, acquired_at=before - 30 * H)
    assert before <= lead.entered_at <= timezone.now()
    assert lead.screening_due_at == lead.entered_at + 48 * H
    assert lead.status == LeadStatus.NEW
    assert lead.created_by == org.rep_a
    assert rules.entry_sla(lead.acquired_at, lead.entered_at).met is False
    on_time = register(org.rep_a, acquired_at=timezone.now() - 23 * H)
    assert rules.entry_sla(on_time.acquired_at, on_time.entered_at).met is True


def test_acquisition_time_in_the_future_is_refused(org):
    with pytest.raises(ValidationError) as err:
        register(org.rep_a, acquired_at=timezone.now() + 2 * H)
    assert "acquired_at" in err.value.message_dict


def test_a_class_first_contact_is_due_24h_after_grading_then_12h_after_setting_change(org):
    lead = register(org.rep_a, owner=org.rep_a)
    screen(org.rep_a, lead)
    lead.refresh_from_db()
    assert lead.grade == LeadGrade.A
    assert lead.first_contact_due_at == lead.graded_at + 24 * H

    set_setting(org, "lead.a_first_contact_sla", "12h")
    second = register(org.rep_a, owner=org.rep_a)
    screen(org.rep_a, second)
    second.refresh_from_db()
    assert second.first_contact_due_at == second.graded_at + 12 * H
    lead.refresh_from_db()  # an earlier grading keeps the deadline it was given
    assert lead.first_contact_due_at == lead.graded_at + 24 * H


def test_b_and_c_leads_have_no_first_contact_deadline(org):
    lead = register(org.rep_a, owner=org.rep_a)
    screen(org.rep_a, lead, A_POINTS)
    screen(org.rep_a, lead, B_POINTS)  # regraded to B: the A deadline goes away
    lead.refresh_from_db()
    assert lead.grade == LeadGrade.B
    assert lead.first_contact_due_at is None


# --- scorecard and intent ---------------------------------------------------------------------


@pytest.mark.parametrize("total, grade", [(80, "A"), (79, "B"), (60, "B"), (59, "C")])
def test_default_scorecard_thresholds(total, grade):
    scorecard = Scorecard.objects.get(is_active=True)
    assert (scorecard.a_min, scorecard.b_min) == (80, 60)
    assert scorecard.grade_for(total) == grade


@pytest.mark.parametrize(
    "points, total, grade", [(A_POINTS, 80, "A"), (B_POINTS, 60, "B"), (C_POINTS, 59, "C")]
)
def test_screening_on_the_default_scorecard_stores_total_grade_and_each_criterions_points(
    org, points, total, grade
):
    lead = register(org.rep_a, owner=org.rep_a)
    score = screen(org.rep_a, lead, points, intent=Intent.MEDIUM)
    assert (score.total, score.grade, score.intent) == (total, grade, Intent.MEDIUM)
    items = list(score.items.values_list("criterion_name", "points"))
    criteria = Scorecard.objects.get(is_active=True).criteria.values_list("name", flat=True)
    assert items == list(zip(criteria, points, strict=True))
    lead.refresh_from_db()
    assert (lead.score, lead.grade, lead.intent) == (total, grade, Intent.MEDIUM)
    assert lead.status == LeadStatus.SCREENED
    assert lead.graded_at is not None
    assert history_for(lead).filter(action="lead.screen").exists()


@pytest.mark.parametrize("total, grade", [(80, "A"), (79, "B"), (60, "B"), (59, "C")])
def test_screening_thresholds_end_to_end(org, total, grade):
    """79 and 60 cannot be reached with the default card's options, so a card with the same
    thresholds and finer options checks every boundary through the service."""
    Scorecard.objects.update(is_active=False)
    card = Scorecard.objects.create(name="细分评分表", is_active=True, a_min=80, b_min=60)
    base = ScoreCriterion.objects.create(scorecard=card, name="基础分", sort_order=0)
    extra = ScoreCriterion.objects.create(scorecard=card, name="加分", sort_order=1)
    ScoreOption.objects.create(criterion=base, label="基础", points=50)
    for points in (30, 29, 10, 9):
        ScoreOption.objects.create(criterion=extra, label=f"{points}分", points=points)
    lead = register(org.rep_a, owner=org.rep_a)
    score = services.lead_screen(
        actor=org.rep_a,
        lead_id=lead.pk,
        answers=answers_for([50, total - 50], card),
        intent=Intent.LOW,
    )
    assert (score.total, score.grade) == (total, grade)
    assert list(score.items.values_list("points", flat=True)) == [50, total - 50]


@pytest.mark.parametrize("intent", ["", None, "urgent"])
def test_intent_is_required(org, intent):
    lead = register(org.rep_a, owner=org.rep_a)
    with pytest.raises(ValidationError) as err:
        screen(org.rep_a, lead, intent=intent)
    assert "intent" in err.value.message_dict
    assert not LeadScore.objects.filter(lead=lead).exists()


def test_every_criterion_needs_an_answer_from_the_active_card(org):
    lead = register(org.rep_a, owner=org.rep_a)
    answers = answers_for(A_POINTS)
    first = next(iter(answers))
    with pytest.raises(ValidationError):
        services.lead_screen(
            actor=org.rep_a,
            lead_id=lead.pk,
            answers={k: v for k, v in answers.items() if k != first},
            intent=Intent.HIGH,
        )
    foreign = ScoreOption.objects.exclude(criterion_id=first).first()
    with pytest.raises(ValidationError):
        services.lead_screen(
            actor=org.rep_a,
            lead_id=lead.pk,
            answers=answers | {first: foreign.pk},
            intent=Intent.HIGH,
        )
    assert not LeadScoreItem.objects.exists()


def test_intent_cadence_follows_settings():
    assert rules.intent_cadence(Intent.HIGH) == "7d"
    assert rules.intent_cadence(Intent.MEDIUM) == "14d"
    assert rules.intent_cadence(Intent.LOW) == "30d"


# --- needs match ------------------------------------------------------------------------------


def test_needs_match_worked_example_4_5_3_is_medium_with_high_purchasing_power(org):
    lead = register(
        org.rep_a, owner=org.rep_a, budget_min=Decimal("150000"), budget_max=Decimal("200000")
    )
    assessment = services.lead_assess_needs(
        actor=org.rep_a,
        lead_id=lead.pk,
        items=[
            {"need": "降低设备停机时间", "score": 4, "reason": "我们的预测性维护模块成熟"},
            {"need": "产线数据可视化", "score": 5, "reason": "标准看板即可满足"},
            {"need": "与现有ERP对接", "score": 3, "reason": "需要二次开发接口"},
        ],
    )
    assert assessment.total == 12
    assert assessment.band == MatchBand.MEDIUM
    assert assessment.purchasing_power == PurchasingPower.HIGH
    assert assessment.conclusion == rules.conclusion_text(MatchBand.MEDIUM, PurchasingPower.HIGH)
    assert "中匹配" in assessment.conclusion and "购买力高" in assessment.conclusion
    assert "成本异议" in assessment.strategy
    assert list(assessment.items.values_list("score", flat=True)) == [4, 5, 3]


def test_needs_match_keeps_a_written_conclusion_and_strategy(org):
    lead = register(org.rep_a, owner=org.rep_a)
    assessment = services.lead_assess_needs(
        actor=org.rep_a,
        lead_id=lead.pk,
        items=[{"need": "节能改造", "score": 5, "reason": "核心产品"}],
        conclusion="先做试点",
        strategy="安排工厂参观",
    )
    assert (assessment.conclusion, assessment.strategy) == ("先做试点", "安排工厂参观")
    assert assessment.purchasing_power == PurchasingPower.UNKNOWN


@pytest.mark.parametrize(
    "total, band",
    [(20, MatchBand.HIGH), (19, MatchBand.MEDIUM), (10, MatchBand.MEDIUM), (9, MatchBand.LOW)],
)
def test_needs_bands_at_the_thresholds(org, total, band):
    assert rules.needs_band(total) == band
    scores = [5] * (total // 5) + ([total % 5] if total % 5 else [])
    lead = register(org.rep_a, owner=org.rep_a)
    assessment = services.lead_assess_needs(
        actor=org.rep_a,
        lead_id=lead.pk,
        items=[{"need": f"需求{i}", "score": s, "reason": "理由"} for i, s in enumerate(scores)],
    )
    assert (assessment.total, assessment.band) == (total, band)


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"need": "", "score": 3, "reason": "理由"}, "items.0.need"),
        ({"need": "需求", "score": 6, "reason": "理由"}, "items.0.score"),
        ({"need": "需求", "score": 0, "reason": "理由"}, "items.0.score"),
        ({"need": "需求", "score": 3, "reason": ""}, "items.0.reason"),
    ],
)
def test_needs_items_are_validated(org, bad, field):
    lead = register(org.rep_a, owner=org.rep_a)
    with pytest.raises(ValidationError) as err:
        services.lead_assess_needs(actor=org.rep_a, lead_id=lead.pk, items=[bad])
    assert field in err.value.message_dict
    assert not NeedsAssessment.objects.exists()


@pytest.mark.parametrize(
    "budget_min, budget_max, power",
    [
        (Decimal("150000"), None, PurchasingPower.HIGH),
        (Decimal("149999.99"), None, PurchasingPower.MEDIUM),
        (Decimal("50000"), None, PurchasingPower.MEDIUM),
        (Decimal("49999.99"), None, PurchasingPower.LOW),
        (None, Decimal("150000"), PurchasingPower.HIGH),  # only the upper end known
        (Decimal("49999.99"), Decimal("200000"), PurchasingPower.LOW),  # the lower end counts
        (None, None, PurchasingPower.UNKNOWN),
    ],
)
def test_purchasing_power_boundaries(budget_min, budget_max, power):
    assert rules.purchasing_power(budget_min, budget_max) == power


# --- privacy ----------------------------------------------------------------------------------

TEXT_FIELDS = ["company_name", "contact_name", "contact_title", "phone", "email", "needs", "notes"]


@pytest.mark.parametrize("field", [*TEXT_FIELDS, "purpose"])
@pytest.mark.parametrize("number", [ID_CARD, *BANK_CARDS])
def test_id_and_bank_card_numbers_are_refused_in_any_text_field(org, field, number):
    audits = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as err:
        register(org.rep_a, **{field: f"号码 {number} 备注"})
    assert field in err.value.message_dict
    assert not Lead.all_objects.exists()
    assert AuditEntry.objects.count() == audits


@pytest.mark.parametrize("phone", ["+86 138-1234-5678", "0086 138 1234 5678", "+86 21 6123 4567"])
def test_a_phone_number_with_the_country_code_is_not_taken_for_a_bank_card(org, phone):
    # 8613812345678 passes the Luhn check: it used to be refused as a bank card.
    assert luhn_ok("8613812345678")
    assert find_sensitive(f"电话 {phone}") is None
    lead = register(org.rep_a, phone=phone)
    assert lead.phone == phone


def test_card_numbers_are_refused_in_an_edit_and_in_a_needs_assessment(org):
    lead = register(org.rep_a, owner=org.rep_a, notes="原备注")
    with pytest.raises(ValidationError):
        services.lead_update(
            actor=org.rep_a, lead_id=lead.pk, data={"notes": f"客户身份证 {ID_CARD}"}
        )
    lead.refresh_from_db()
    assert lead.notes == "原备注"
    with pytest.raises(ValidationError):
        services.lead_assess_needs(
            actor=org.rep_a,
            lead_id=lead.pk,
            items=[{"need": "付款", "score": 3, "reason": f"卡号 {BANK_CARDS[0]}"}],
        )
    assert not NeedsAssessment.objects.exists()


def test_a_phone_or_an_email_is_required(org):
    with pytest.raises(ValidationError) as err:
        register(org.rep_a, phone="", email="")
    assert "phone" in err.value.message_dict


def test_needs_must_name_a_pain_point(org):
    with pytest.raises(ValidationError) as err:
        register(org.rep_a, needs="有需求")
    assert "needs" in err.value.message_dict


# --- duplicate check --------------------------------------------------------------------------


@pytest.fixture
def existing(org):
    """A lead of a north rep — outside the east reps' scope."""
    return register(
        org.outsider,
        owner=org.outsider,
        company_name="苏州恒达精密机械有限公司",
        phone="13812345678",
        email="Sales@HengDa.cn",
    )


@pytest.mark.parametrize(
    "fields, reason",
    [
        ({"company_name": "苏州恒达精密机械有限责任公司"}, "name"),
        ({"company_name": "苏州 恒达精密机械（有限公司）"}, "name"),
        ({"company_name": "苏州恒达精密机械"}, "name"),
        ({"phone": "+86 138-1234-5678"}, "phone"),
        ({"phone": "0086 138 1234 5678"}, "phone"),
        ({"email": "sales@hengda.CN"}, "email"),
    ],
)
def test_duplicates_by_normalised_name_phone_or_email(org, existing, fields, reason):
    with pytest.raises(DuplicateFound) as err:
        register(org.rep_a, **fields)
    (match,) = err.value.matches
    assert match.kind == "lead"
    assert match.pk == existing.pk
    assert reason in match.reasons
    # Outside the rep's scope: named with its owner, no link.
    assert match.name == "苏州恒达精密机械有限公司"
    assert match.owner_name == "赵北方"
    assert match.in_scope is False
    assert match.url == ""
    assert Lead.objects.count() == 1


def test_duplicate_in_scope_carries_a_link(org, existing):
    with pytest.raises(DuplicateFound) as err:
        register(org.north_manager, phone="13812345678")
    (match,) = err.value.matches
    assert match.in_scope is True
    assert match.url.endswith(f"/leads/{existing.pk}/")


def test_confirm_duplicate_saves(org, existing):
    lead = register(org.rep_a, confirm=True, company_name="苏州恒达精密机械有限公司")
    assert lead.pk != existing.pk
    assert lead.name_key == existing.name_key == "苏州恒达精密机械"
    assert Lead.objects.count() == 2


def test_invalid_leads_do_not_count_as_duplicates(org, existing):
    services.lead_set_status(
        actor=org.outsider, lead_id=existing.pk, status=LeadStatus.INVALID, reason="空号"
    )
    register(org.rep_a, phone="13812345678")


def test_no_duplicate_when_nothing_matches(org, existing):
    lead = register(org.rep_a, company_name="苏州恒达精密仪器有限公司")
    assert lead.pk


def test_lead_entry_is_checked_against_customers_and_their_contacts(org):
    customer = customer_services.customer_create(
        actor=org.outsider,
        data={"name": "无锡宏远电子科技有限公司"},
        contacts=[{"name": "钱伟", "phone": "18611112222", "email": "qian@hongyuan.cn"}],
    )
    for fields, reason in [
        ({"company_name": "无锡宏远电子科技"}, "name"),
        ({"phone": "186 1111 2222"}, "phone"),
        ({"email": "QIAN@hongyuan.cn"}, "email"),
    ]:
        with pytest.raises(DuplicateFound) as err:
            register(org.rep_a, **fields)
        (match,) = err.value.matches
        assert (match.kind, match.pk, match.name) == ("customer", customer.pk, customer.name)
        assert match.owner_name == "赵北方" and match.in_scope is False
        assert reason in match.reasons


def test_editing_a_lead_checks_duplicates_but_not_against_itself(org, existing):
    lead = register(org.rep_a, owner=org.rep_a)
    services.lead_update(actor=org.rep_a, lead_id=lead.pk, data={"notes": "补充"})
    with pytest.raises(DuplicateFound):
        services.lead_update(actor=org.rep_a, lead_id=lead.pk, data={"phone": "13812345678"})
    services.lead_update(
        actor=org.rep_a, lead_id=lead.pk, data={"phone": "13812345678"}, confirm_duplicate=True
    )
    lead.refresh_from_db()
    assert lead.phone_key == "13812345678"


def test_keys_are_stored_normalised(org):
    lead = register(
        org.rep_a,
        company_name="上海 华信（集团）有限公司",
        phone="+86 138-0013-8000",
        email="Li@X.CN",
    )
    assert (lead.name_key, lead.phone_key, lead.email_key) == (
        "上海华信",  # legal-form suffixes go, also in brackets
        "13800138000",
        "li@x.cn",
    )


# --- referral ---------------------------------------------------------------------------------


def test_referral_source_requires_a_referral_customer(org):
    referral = LeadSource.objects.get(name="转介绍")
    with pytest.raises(ValidationError) as err:
        register(org.rep_a, source=referral)
    assert "referral_customer" in err.value.message_dict
    customer = customer_services.customer_create(actor=org.rep_a, data={"name": "老客户有限公司"})
    lead = register(org.rep_a, source=referral, referral_customer=customer)
    assert lead.referral_customer == customer
    assert list(customer.referred_leads.all()) == [lead]


# --- manual assignment and the cap ------------------------------------------------------------


def test_manual_assignment_records_who_when_why(org):
    lead = register(org.marketing)
    assert lead.owner is None
    moved = services.lead_assign(
        actor=org.manager, lead_ids=[lead.pk], to_owner=org.rep_a, reason="客户在上海"
    )
    assert moved == 1
    lead.refresh_from_db()
    assert lead.owner == org.rep_a
    assert lead.team == org.east
    assert lead.assigned_at is not None
    row = LeadAssignment.objects.get(lead=lead)
    assert (row.from_owner, row.to_owner, row.actor, row.reason) == (
        None,
        org.rep_a,
        org.manager,
        "客户在上海",
    )
    entry = history_for(lead).get(action="lead.assign")
    assert entry.actor == org.manager
    assert entry.message == "客户在上海"
    assert entry.changes["owner"] == [None, org.rep_a.pk]

    services.lead_assign(actor=org.manager, lead_ids=[lead.pk], to_owner=org.rep_b, reason="调岗")
    assert list(lead.assignments.values_list("from_owner", "to_owner")) == [
        (org.rep_a.pk, org.rep_b.pk),
        (None, org.rep_a.pk),
    ]


def test_manual_assignment_needs_a_reason(org):
    lead = register(org.marketing)
    with pytest.raises(ValidationError) as err:
        services.lead_assign(actor=org.manager, lead_ids=[lead.pk], to_owner=org.rep_a, reason=" ")
    assert "reason" in err.value.message_dict
    assert not LeadAssignment.objects.exists()


def test_manual_assignment_is_refused_without_the_assign_right(org):
    lead = register(org.rep_a, owner=org.rep_a)
    with pytest.raises(NotAllowed):
        services.lead_assign(actor=org.rep_a, lead_ids=[lead.pk], to_owner=org.rep_b, reason="忙")
    lead.refresh_from_db()
    assert lead.owner == org.rep_a


def test_manual_assignment_is_refused_outside_the_assigners_scope(org):
    lead = register(org.marketing)
    with pytest.raises(ValidationError) as err:
        services.lead_assign(
            actor=org.manager, lead_ids=[lead.pk], to_owner=org.outsider, reason="支援"
        )
    assert "owner" in err.value.message_dict
    north_lead = register(org.outsider, owner=org.outsider)
    with pytest.raises(ValidationError) as err:
        services.lead_assign(
            actor=org.manager, lead_ids=[lead.pk, north_lead.pk], to_owner=org.rep_a, reason="抢"
        )
    assert "leads" in err.value.message_dict
    lead.refresh_from_db()
    north_lead.refresh_from_db()
    assert (lead.owner, north_lead.owner) == (None, org.outsider)
    assert LeadAssignment.objects.filter(lead=north_lead).count() == 1  # the registration only


def test_open_lead_cap_refuses_manual_assignment(org):
    set_setting(org, "lead.open_cap_per_person", 2)
    register(org.rep_a, owner=org.rep_a)
    register(org.rep_a, owner=org.rep_a)
    third = register(org.marketing)
    with pytest.raises(DomainError) as err:
        services.lead_assign(
            actor=org.manager, lead_ids=[third.pk], to_owner=org.rep_a, reason="补位"
        )
    assert err.value.field == "owner"
    third.refresh_from_db()
    assert third.owner is None
    # Registering with an explicit owner over the cap is refused too, and nothing is saved.
    with pytest.raises(DomainError):
        register(org.manager, owner=org.rep_a)
    assert Lead.objects.filter(owner=org.rep_a).count() == 2
    assert Lead.objects.count() == 3
    # Closed leads do not count against the cap.
    first = Lead.objects.filter(owner=org.rep_a).first()
    services.lead_set_status(
        actor=org.rep_a, lead_id=first.pk, status=LeadStatus.INVALID, reason="重复登记"
    )
    services.lead_assign(actor=org.manager, lead_ids=[third.pk], to_owner=org.rep_a, reason="补位")
    third.refresh_from_db()
    assert third.owner == org.rep_a


def test_several_leads_at_once_are_checked_against_the_cap_together(org):
    set_setting(org, "lead.open_cap_per_person", 2)
    leads = [register(org.marketing) for _ in range(3)]
    with pytest.raises(DomainError):
        services.lead_assign(
            actor=org.manager, lead_ids=[x.pk for x in leads], to_owner=org.rep_a, reason="批量"
        )
    assert not Lead.objects.filter(owner=org.rep_a).exists()


# --- assignment rules -------------------------------------------------------------------------


def make_rule(name, members, *, order=0, weighted=False, **match):
    rule = AssignmentRule.objects.create(name=name, sort_order=order, weighted=weighted, **match)
    for user, weight in members:
        AssignmentMember.objects.create(rule=rule, user=user, weight=weight)
    return rule


def test_rules_match_region_industry_and_source_in_order(org):
    north, east = Region.objects.get(name="华北"), Region.objects.get(name="华东")
    manufacturing, retail = Industry.objects.get(name="制造业"), Industry.objects.get(name="零售业")
    expo, web = LeadSource.objects.get(name="展会"), LeadSource.objects.get(name="官网")
    make_rule("华北区域", [(org.outsider, 1)], order=1, region=north)
    make_rule("制造业", [(org.rep_a, 1)], order=2, industry=manufacturing)
    make_rule("官网来源", [(org.rep_b, 1)], order=3, source=web)
    make_rule("华东零售展会", [(org.rep_c, 1)], order=4, region=east, industry=retail, source=expo)

    def owner(**fields):
        return register(org.marketing, **fields).owner

    assert owner(region=north, industry=manufacturing, source=web) == org.outsider  # first wins
    assert owner(region=east, industry=manufacturing, source=web) == org.rep_a
    assert owner(region=east, industry=retail, source=web) == org.rep_b
    assert owner(region=east, industry=retail, source=expo) == org.rep_c  # all three match
    assert owner(region=None, industry=retail, source=expo) is None  # region required by rule 4
    assert owner(region=east, industry=None, source=expo) is None

    # The order is the rule's priority, not its creation order.
    AssignmentRule.objects.filter(name="官网来源").update(sort_order=0)
    assert owner(region=north, industry=manufacturing, source=web) == org.rep_b
    # Inactive rules are skipped.
    AssignmentRule.objects.filter(name="官网来源").update(is_active=False)
    assert owner(region=north, industry=manufacturing, source=web) == org.outsider


def test_rule_assignment_is_recorded_with_the_rule(org):
    rule = make_rule("全部", [(org.rep_a, 1)])
    lead = register(org.marketing)
    row = LeadAssignment.objects.get(lead=lead)
    assert (row.rule, row.to_owner, row.from_owner) == (rule, org.rep_a, None)
    assert "全部" in row.reason
    assert history_for(lead).filter(action="lead.assign").exists()


def test_no_matching_rule_leaves_the_lead_unassigned(org):
    make_rule("华北区域", [(org.outsider, 1)], region=Region.objects.get(name="华北"))
    lead = register(org.marketing, region=Region.objects.get(name="华南"))
    assert lead.owner is None
    assert not LeadAssignment.objects.filter(lead=lead).exists()
    assert lead in selectors.unassigned_leads(user=org.manager)


def test_auto_assign_can_be_turned_off(org):
    make_rule("全部", [(org.rep_a, 1)])
    assert register(org.marketing, auto_assign=False).owner is None


def test_round_robin_over_three_members(org):
    make_rule("华东轮流", [(org.rep_a, 1), (org.rep_b, 1), (org.rep_c, 1)])
    owners = [register(org.marketing).owner for _ in range(6)]
    assert owners == [org.rep_a, org.rep_b, org.rep_c] * 2


def test_weighted_round_robin_3_to_1_is_smooth(org):
    make_rule("加权", [(org.rep_a, 3), (org.rep_b, 1)], weighted=True)
    owners = [register(org.marketing).owner for _ in range(8)]
    a, b = org.rep_a, org.rep_b
    assert owners == [a, a, b, a, a, a, b, a]
    assert (owners.count(a), owners.count(b)) == (6, 2)


def test_weights_are_ignored_when_the_rule_is_not_weighted(org):
    make_rule("不加权", [(org.rep_a, 3), (org.rep_b, 1)], weighted=False)
    owners = [register(org.marketing).owner for _ in range(4)]
    assert owners == [org.rep_a, org.rep_b, org.rep_a, org.rep_b]


def test_rule_assignment_skips_members_at_the_cap(org):
    set_setting(org, "lead.open_cap_per_person", 1)
    make_rule("轮流", [(org.rep_a, 1), (org.rep_b, 1)])
    register(org.rep_a, owner=org.rep_a)  # rep A is at the cap
    assert register(org.marketing).owner == org.rep_b
    assert register(org.marketing).owner is None  # everybody capped: stays unassigned


def test_rule_assignment_skips_inactive_members(org):
    make_rule("轮流", [(org.rep_a, 1), (org.rep_b, 1)])
    org.rep_a.is_active = False
    org.rep_a.save()
    assert [register(org.marketing).owner for _ in range(2)] == [org.rep_b, org.rep_b]


# --- scope ------------------------------------------------------------------------------------


def test_marketing_sees_leads_they_entered_and_unassigned_ones_a_rep_only_their_own(org):
    make_rule("只分华东", [(org.rep_a, 1)], region=Region.objects.get(name="华东"))
    east = Region.objects.get(name="华东")
    mine_assigned = register(org.marketing, region=east)  # → rep A, entered by marketing
    mine_unassigned = register(org.marketing)
    others_unassigned = register(org.marketing2)
    others_assigned = register(org.marketing2, region=east)  # → rep A
    rep_b_own = register(org.rep_b, owner=org.rep_b)

    def visible(user):
        return set(selectors.lead_list(user=user).values_list("pk", flat=True))

    assert visible(org.marketing) == {mine_assigned.pk, mine_unassigned.pk, others_unassigned.pk}
    assert visible(org.rep_a) == {mine_assigned.pk, others_assigned.pk}
    assert visible(org.rep_b) == {rep_b_own.pk}
    assert visible(org.outsider) == set()
    assert visible(org.manager) == {
        mine_assigned.pk,
        mine_unassigned.pk,
        others_unassigned.pk,
        others_assigned.pk,
        rep_b_own.pk,
    }
    with pytest.raises(Http404):
        selectors.lead_get(user=org.rep_b, pk=mine_assigned.pk)
    # Marketing may not change a lead once a rep owns it.
    with pytest.raises(Http404):
        services.lead_update(actor=org.marketing2, lead_id=others_assigned.pk, data={"notes": "x"})


def test_marketing_cannot_assign(org):
    lead = register(org.marketing)
    with pytest.raises(NotAllowed):
        services.lead_assign(
            actor=org.marketing, lead_ids=[lead.pk], to_owner=org.rep_a, reason="给你"
        )


# --- first contact ----------------------------------------------------------------------------


def test_first_contact_sets_the_response_time(org):
    lead = register(org.rep_a, owner=org.rep_a)
    screen(org.rep_a, lead)
    lead.refresh_from_db()
    contacted = lead.graded_at + 5 * H
    services.lead_record_first_contact(actor=org.rep_a, lead_id=lead.pk, at=contacted)
    lead.refresh_from_db()
    assert lead.first_contact_at == contacted
    assert lead.first_contact_at - lead.graded_at == 5 * H
    assert lead.first_contact_at <= lead.first_contact_due_at
    assert lead.status == LeadStatus.CONTACTING
    # A later follow-up moves only the last follow-up time.
    services.lead_record_first_contact(actor=org.rep_a, lead_id=lead.pk, at=contacted + 48 * H)
    lead.refresh_from_db()
    assert lead.first_contact_at == contacted
    assert lead.last_followup_at == contacted + 48 * H
    assert history_for(lead).filter(action="lead.contact").count() == 2


def test_overdue_a_class_first_contact_is_listed(org):
    lead = register(org.rep_a, owner=org.rep_a)
    screen(org.rep_a, lead)
    lead.refresh_from_db()
    late = lead.first_contact_due_at + H
    overdue = selectors.lead_list(user=org.rep_a, filters={"sla": "contact_overdue"}, now=late)
    assert list(overdue) == [lead]
    services.lead_record_first_contact(actor=org.rep_a, lead_id=lead.pk, at=late)
    overdue = selectors.lead_list(user=org.rep_a, filters={"sla": "contact_overdue"}, now=late)
    assert not overdue.exists()


def test_unscreened_lead_is_screening_overdue_after_48h(org):
    lead = register(org.marketing)
    listed = selectors.lead_list(
        user=org.manager, filters={"sla": "screening_overdue"}, now=lead.screening_due_at + H
    )
    assert list(listed) == [lead]
    assert not selectors.lead_list(
        user=org.manager, filters={"sla": "screening_overdue"}, now=lead.screening_due_at - H
    ).exists()


# --- conversion -------------------------------------------------------------------------------


def test_conversion_creates_customer_and_primary_contact_and_keeps_history(org):
    lead = register(
        org.marketing,
        company_name="杭州新锐纺织有限公司",
        contact_name="孙丽",
        contact_title="总经理",
        phone="+86 135 7000 1234",
        email="Sun.Li@XinRui.cn",
        industry=Industry.objects.get(name="制造业"),
        region=Region.objects.get(name="华东"),
        budget_min=Decimal("100000"),
        budget_max=Decimal("300000"),
    )
    services.lead_assign(actor=org.manager, lead_ids=[lead.pk], to_owner=org.rep_a, reason="华东")
    screen(org.rep_a, lead)
    customer = services.lead_convert(actor=org.rep_a, lead_id=lead.pk)

    assert customer.name == "杭州新锐纺织有限公司"
    assert customer.owner == org.rep_a
    assert customer.source_lead_id == lead.pk
    assert customer.industry.name == "制造业" and customer.region.name == "华东"
    assert customer.expected_annual_value == Decimal("300000")
    assert customer.grade == "B"
    (contact,) = customer.contacts.all()
    assert (contact.name, contact.title, contact.is_primary) == ("孙丽", "总经理", True)
    assert (contact.phone_key, contact.email_key) == ("13570001234", "sun.li@xinrui.cn")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED
    assert lead.converted_customer == customer
    assert lead.converted_at is not None
    assert LeadAssignment.objects.filter(lead=lead).count() == 1
    assert LeadScore.objects.filter(lead=lead).count() == 1
    assert history_for(lead).filter(action="lead.convert").exists()
    assert list(customer.source_leads.all()) == [lead]


def test_converting_twice_is_refused(org):
    lead = register(org.rep_a, owner=org.rep_a)
    services.lead_convert(actor=org.rep_a, lead_id=lead.pk)
    with pytest.raises(DomainError):
        services.lead_convert(actor=org.rep_a, lead_id=lead.pk)
    assert Customer.objects.count() == 1


def test_invalid_lead_cannot_be_converted_or_screened(org):
    lead = register(org.rep_a, owner=org.rep_a)
    services.lead_set_status(
        actor=org.rep_a, lead_id=lead.pk, status=LeadStatus.INVALID, reason="空号"
    )
    with pytest.raises(DomainError):
        services.lead_convert(actor=org.rep_a, lead_id=lead.pk)
    with pytest.raises(DomainError):
        screen(org.rep_a, lead)
    with pytest.raises(ValidationError):
        services.lead_set_status(actor=org.rep_a, lead_id=lead.pk, status=LeadStatus.INVALID)


def test_converting_into_an_existing_customer_adds_the_contact(org):
    customer = customer_services.customer_create(
        actor=org.rep_a,
        data={"name": "南京远景自动化有限公司"},
        contacts=[{"name": "周强", "phone": "13900001111", "is_primary": True}],
    )
    lead = register(
        org.rep_a,
        owner=org.rep_a,
        confirm=True,
        company_name="南京远景自动化有限公司",
        contact_name="吴芳",
        phone="13900002222",
    )
    result = services.lead_convert(
        actor=org.rep_a, lead_id=lead.pk, existing_customer_id=customer.pk
    )
    assert result == customer
    assert Customer.objects.count() == 1
    assert sorted(customer.contacts.values_list("name", flat=True)) == ["吴芳", "周强"]
    lead.refresh_from_db()
    assert (lead.status, lead.converted_customer) == (LeadStatus.CONVERTED, customer)


def test_converting_into_a_customer_outside_scope_is_not_found(org):
    customer = customer_services.customer_create(actor=org.outsider, data={"name": "北方客户"})
    lead = register(org.rep_a, owner=org.rep_a)
    with pytest.raises(Http404):
        services.lead_convert(actor=org.rep_a, lead_id=lead.pk, existing_customer_id=customer.pk)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
    assert not Contact.objects.exists()


def test_conversion_warns_of_an_existing_customer(org):
    customer_services.customer_create(actor=org.outsider, data={"name": "重庆山城物流有限公司"})
    lead = register(org.rep_a, owner=org.rep_a, confirm=True, company_name="重庆山城物流")
    with pytest.raises(DuplicateFound) as err:
        services.lead_convert(actor=org.rep_a, lead_id=lead.pk)
    assert [m.kind for m in err.value.matches] == ["customer"]
    services.lead_convert(actor=org.rep_a, lead_id=lead.pk, confirm_duplicate=True)
    assert Customer.objects.count() == 2


# --- merge and recycle bin --------------------------------------------------------------------


def test_merge_moves_assignments_scores_assessments_and_soft_deletes(org):
    keep = register(org.rep_a, owner=org.rep_a, email="", phone="13911110000")
    other = register(
        org.manager,
        confirm=True,
        company_name=keep.company_name,
        phone="13911110000",
        email="boss@merge.cn",
        budget_min=Decimal("80000"),
        needs="另一个痛点：库存周转慢",
    )
    services.lead_assign(actor=org.manager, lead_ids=[other.pk], to_owner=org.rep_a, reason="同一")
    screen(org.rep_a, other)
    services.lead_assess_needs(
        actor=org.rep_a, lead_id=other.pk, items=[{"need": "库存", "score": 4, "reason": "强项"}]
    )
    merged = services.lead_merge(actor=org.rep_a, keep_id=keep.pk, merge_id=other.pk, reason="重复")

    assert merged.pk == keep.pk
    assert keep.assignments.count() == 2
    assert keep.scores.count() == 1
    assert keep.assessments.count() == 1
    assert not LeadAssignment.objects.filter(lead=other).exists()
    keep.refresh_from_db()
    assert keep.email == "boss@merge.cn" and keep.email_key == "boss@merge.cn"  # filled in
    assert keep.budget_min == Decimal("80000")
    assert "库存周转慢" in keep.needs
    assert not Lead.objects.filter(pk=other.pk).exists()
    gone = Lead.all_objects.get(pk=other.pk)
    assert gone.deleted_at is not None
    assert gone.merged_into == keep
    assert history_for(keep).filter(action="lead.merge").exists()


def test_merge_needs_both_leads_in_scope_and_not_the_same(org):
    mine = register(org.rep_a, owner=org.rep_a)
    theirs = register(org.outsider, owner=org.outsider)
    with pytest.raises(Http404):
        services.lead_merge(actor=org.rep_a, keep_id=mine.pk, merge_id=theirs.pk)
    with pytest.raises(ValidationError):
        services.lead_merge(actor=org.rep_a, keep_id=mine.pk, merge_id=mine.pk)
    assert Lead.objects.count() == 2


def test_delete_moves_the_lead_to_the_recycle_bin(org):
    lead = register(org.rep_a, owner=org.rep_a)
    with pytest.raises(Http404):  # a rep has no delete right by default
        services.lead_delete(actor=org.rep_a, lead_id=lead.pk)
    services.lead_delete(actor=org.manager, lead_id=lead.pk)
    assert not Lead.objects.filter(pk=lead.pk).exists()
    gone = Lead.all_objects.get(pk=lead.pk)
    assert gone.deleted_at is not None and gone.deleted_by == org.manager
    assert history_for(gone).filter(action="lead.delete").exists()
    assert lead.pk not in selectors.lead_list(user=org.manager).values_list("pk", flat=True)
