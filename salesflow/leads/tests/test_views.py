"""Lead pages: registration, edit, screening, needs match, assignment, conversion, merge, delete,
scope (out of scope = 404), the unassigned list, export and the list's query bound."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from salesflow.core.models import AuditEntry
from salesflow.core.normalize import normalize_company_name, normalize_email, normalize_phone
from salesflow.customers.models import Contact, Customer, Industry
from salesflow.leads import rules
from salesflow.leads.models import (
    Lead,
    LeadAssignment,
    LeadScore,
    LeadSource,
    LeadStatus,
    NeedsAssessment,
    Scorecard,
)

pytestmark = pytest.mark.django_db

ID_CARD = "11010519491231002X"
QUERY_BOUND = 15  # 13 today (session, user, rights, collaborations, filters, page); N+1 adds 30


def make_lead(owner=None, *, created_by=None, **fields) -> Lead:
    """A lead written directly (scope and page tests do not need the registration rules)."""
    now = timezone.now()
    values = {
        "company_name": "测试线索公司",
        "contact_name": "张三",
        "phone": "",
        "email": "",
        "needs": "现有设备故障率高，每月停机约20小时",
        "source": LeadSource.objects.get(name="展会"),
        "acquired_at": now - datetime.timedelta(hours=2),
        "entered_at": now - datetime.timedelta(hours=1),
        "owner": owner,
        "created_by": created_by,
    } | fields
    lead = Lead(**values)
    lead.name_key = normalize_company_name(lead.company_name)
    lead.phone_key = normalize_phone(lead.phone)
    lead.email_key = normalize_email(lead.email)
    lead.screening_due_at = rules.screening_due(lead.entered_at)
    lead.save()
    return lead


def local_input(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def form_data(**overrides) -> dict:
    data = {
        "company_name": "杭州远望机械有限公司",
        "industry": str(Industry.objects.first().pk),
        "region": "",
        "employees": "120",
        "annual_revenue": "5000",
        "contact_name": "王经理",
        "contact_title": "采购经理",
        "phone": "13900139000",
        "email": "wang@yuanwang.cn",
        "needs": "现有设备故障率高，每月停机约20小时",
        "source": str(LeadSource.objects.get(name="展会").pk),
        "referral_customer": "",
        "acquired_at": local_input(timezone.now() - datetime.timedelta(hours=3)),
        "expected_purchase": "",
        "budget_min": "100000",
        "budget_max": "200000",
        "notes": "",
        "purpose": "用于产品咨询与销售跟进",
    }
    data.update(overrides)
    return data


@pytest.fixture
def team(make_user, make_department):
    east = make_department("华东销售部")
    west = make_department("华西销售部")
    manager = make_user("sales_manager", department=east, display_name="李经理")
    rep = make_user("sales_rep", department=east, manager=manager, display_name="小王")
    other_manager = make_user("sales_manager", department=west, display_name="赵经理")
    other_rep = make_user(
        "sales_rep", department=west, manager=other_manager, display_name="外部销售"
    )
    return {
        "manager": manager,
        "rep": rep,
        "other_manager": other_manager,
        "other_rep": other_rep,
    }


def login(client, user):
    client.force_login(user)
    return client


# --- registration ----------------------------------------------------------------------------


def test_registration_form_renders_for_phones_without_inline_code(client, team):
    response = login(client, team["rep"]).get(reverse("leads:create"))
    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="viewport"' in content and "col-12" in content
    assert 'name="acquired_at"' in content and 'type="datetime-local"' in content
    assert "如 10–20万 填 100000 和 200000" in content
    assert "<script>" not in content and "style=" not in content and "onclick" not in content
    assert 'name="owner"' not in content  # a rep has no assign right
    assert 'name="assign_to_me"' in content
    login(client, team["manager"])
    assert 'name="owner"' in client.get(reverse("leads:create")).content.decode()


def test_register_happy_path(client, team):
    rep = team["rep"]
    response = login(client, rep).post(
        reverse("leads:create"), form_data(assign_to_me="on", budget_min="150000")
    )
    lead = Lead.objects.get(company_name="杭州远望机械有限公司")
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:detail", args=[lead.pk])
    assert lead.owner == rep and lead.created_by == rep
    assert lead.status == LeadStatus.NEW and lead.screening_due_at is not None
    assert lead.budget_min == Decimal("150000") and lead.budget_max == Decimal("200000")
    assert rules.entry_sla(lead.acquired_at, lead.entered_at).met
    assert LeadAssignment.objects.filter(lead=lead, to_owner=rep).exists()
    detail = client.get(response["Location"]).content.decode()
    assert "杭州远望机械有限公司" in detail and "按时录入" in detail
    assert "15万–20万" in detail


def test_register_refuses_an_id_card_number(client, team):
    response = login(client, team["rep"]).post(
        reverse("leads:create"), form_data(notes=f"身份证 {ID_CARD}")
    )
    assert response.status_code == 200
    assert "不能保存身份证号码" in response.content.decode()
    assert not Lead.all_objects.exists()


def test_register_warns_about_an_out_of_scope_duplicate_then_saves_when_confirmed(client, team):
    existing = make_lead(
        team["other_rep"], company_name="深圳同名科技有限公司", phone="13800138000"
    )
    client = login(client, team["rep"])
    data = form_data(company_name="完全不同的公司", phone="+86 138-0013-8000")
    response = client.post(reverse("leads:create"), data)
    content = response.content.decode()
    assert response.status_code == 200
    assert "疑似重复" in content
    assert "深圳同名科技有限公司" in content and "外部销售" in content
    assert "电话相同" in content
    assert reverse("leads:detail", args=[existing.pk]) not in content  # no link outside scope
    assert "我已核对，仍然保存" in content
    assert Lead.objects.count() == 1

    response = client.post(reverse("leads:create"), data | {"confirm_duplicate": "on"})
    assert response.status_code == 302
    assert Lead.objects.filter(company_name="完全不同的公司").exists()


def test_register_budget_range_must_be_ordered(client, team):
    response = login(client, team["rep"]).post(
        reverse("leads:create"), form_data(budget_min="300000", budget_max="200000")
    )
    assert "预算上限不能低于下限" in response.content.decode()
    assert not Lead.objects.exists()


# --- edit ------------------------------------------------------------------------------------


def test_edit_saves_through_the_service(client, team):
    lead = make_lead(team["rep"], phone="13911112222")
    client = login(client, team["rep"])
    page = client.get(reverse("leads:edit", args=[lead.pk]))
    assert page.status_code == 200 and "13911112222" in page.content.decode()
    data = form_data(
        company_name="改名后的公司",
        phone="13911112222",
        email="",
        acquired_at=local_input(lead.acquired_at),
    )
    response = client.post(reverse("leads:edit", args=[lead.pk]), data)
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.company_name == "改名后的公司"
    assert AuditEntry.objects.filter(action="lead.change", object_id=str(lead.pk)).exists()


def test_edit_refuses_a_bank_card_number_and_changes_nothing(client, team):
    lead = make_lead(team["rep"], phone="13911112222")
    data = form_data(
        phone="13911112222",
        notes="卡号 6222 0202 0000 0005",
        acquired_at=local_input(lead.acquired_at),
    )
    response = login(client, team["rep"]).post(reverse("leads:edit", args=[lead.pk]), data)
    assert response.status_code == 200
    assert "不能保存银行卡号" in response.content.decode()
    lead.refresh_from_db()
    assert lead.notes == "" and lead.company_name == "测试线索公司"


# --- screening and needs match ---------------------------------------------------------------


def test_screen_stores_total_items_and_grade_and_sets_a_contact_deadline(client, team):
    lead = make_lead(team["rep"])
    card = Scorecard.objects.get(is_active=True)
    data = {"intent": "high"}
    for criterion in card.criteria.all():
        best = max(criterion.options.all(), key=lambda o: o.points)
        data[f"criterion_{criterion.pk}"] = str(best.pk)
    client = login(client, team["rep"])
    response = client.post(reverse("leads:screen", args=[lead.pk]), data)
    assert response.status_code == 302
    score = LeadScore.objects.get(lead=lead)
    assert score.total == 100 and score.grade == "A" and score.intent == "high"
    assert sorted(item.points for item in score.items.all()) == [15, 20, 20, 20, 25]
    lead.refresh_from_db()
    assert lead.grade == "A" and lead.score == 100 and lead.graded_at is not None
    assert lead.first_contact_due_at is not None
    page = client.get(response["Location"]).content.decode()
    assert "100" in page and "A类" in page and "首次联系" in page


def test_screen_requires_every_criterion(client, team):
    lead = make_lead(team["rep"])
    response = login(client, team["rep"]).post(
        reverse("leads:screen", args=[lead.pk]), {"intent": "low"}
    )
    assert response.status_code == 200
    assert "请选择一项" in response.content.decode()
    assert not LeadScore.objects.exists()


def test_assess_seed_example(client, team):
    lead = make_lead(team["rep"], budget_min=Decimal(150000), budget_max=Decimal(200000))
    data = {
        "rows": "3",
        "need_0": "降低停机时间",
        "score_0": "4",
        "reason_0": "我们的预测性维护成熟",
        "need_1": "设备联网",
        "score_1": "5",
        "reason_1": "核心产品能力",
        "need_2": "成本控制",
        "score_2": "3",
        "reason_2": "价格高于竞品",
        "conclusion": "",
        "strategy": "",
    }
    response = login(client, team["rep"]).post(reverse("leads:assess", args=[lead.pk]), data)
    assert response.status_code == 302
    assessment = NeedsAssessment.objects.get(lead=lead)
    assert assessment.total == 12
    assert assessment.band == "medium"
    assert assessment.purchasing_power == "high"
    assert "成本异议" in assessment.strategy
    assert [i.score for i in assessment.items.all()] == [4, 5, 3]


def test_assess_refuses_a_score_of_six(client, team):
    lead = make_lead(team["rep"])
    data = {"rows": "3", "need_0": "降低停机时间", "score_0": "6", "reason_0": "理由"}
    response = login(client, team["rep"]).post(reverse("leads:assess", args=[lead.pk]), data)
    assert response.status_code == 200
    assert "匹配分须为 1–5" in response.content.decode()
    assert not NeedsAssessment.objects.exists()


def test_assess_add_row_rerenders_with_one_more_row(client, team):
    lead = make_lead(team["rep"])
    client = login(client, team["rep"])
    assert 'name="need_2"' in client.get(reverse("leads:assess", args=[lead.pk])).content.decode()
    response = client.post(
        reverse("leads:assess", args=[lead.pk]), {"rows": "3", "need_0": "甲", "add_row": "1"}
    )
    content = response.content.decode()
    assert 'name="need_3"' in content and 'value="甲"' in content
    assert not NeedsAssessment.objects.exists()


# --- first contact, status -------------------------------------------------------------------


def test_record_first_contact_and_status(client, team):
    lead = make_lead(team["rep"])
    client = login(client, team["rep"])
    response = client.post(reverse("leads:contact", args=[lead.pk]), {"at": ""})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.first_contact_at is not None and lead.status == LeadStatus.CONTACTING
    refused = client.post(reverse("leads:status", args=[lead.pk]), {"status": "invalid"})
    assert refused.status_code == 200 and "标记为无效须填写原因" in refused.content.decode()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONTACTING
    client.post(
        reverse("leads:status", args=[lead.pk]), {"status": "nurture", "reason": "明年预算"}
    )
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NURTURE
    assert "明年预算" in client.get(reverse("leads:detail", args=[lead.pk])).content.decode()


def test_contact_is_post_only(client, team):
    lead = make_lead(team["rep"])
    response = login(client, team["rep"]).get(reverse("leads:contact", args=[lead.pk]))
    assert response.status_code == 405


# --- assignment ------------------------------------------------------------------------------


def test_assign_records_who_when_and_why(client, team):
    lead = make_lead(None)
    manager, rep = team["manager"], team["rep"]
    response = login(client, manager).post(
        reverse("leads:assign"),
        {"ids": [lead.pk], "owner": rep.pk, "reason": "华东区域", "next": "/leads/unassigned/"},
    )
    assert response.status_code == 302 and response["Location"] == "/leads/unassigned/"
    lead.refresh_from_db()
    assert lead.owner == rep
    row = LeadAssignment.objects.get(lead=lead)
    assert (row.to_owner, row.actor, row.reason) == (rep, manager, "华东区域")
    detail = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert "华东区域" in detail


def test_assign_needs_a_reason_and_refuses_above_the_cap(client, team, make_user):
    from salesflow.core.services import setting_change

    setting_change(
        actor=make_user("admin"), key="lead.open_cap_per_person", value="1", reason="试点"
    )
    manager, rep = team["manager"], team["rep"]
    make_lead(rep, company_name="已有线索")
    lead = make_lead(None)
    client = login(client, manager)
    no_reason = client.post(reverse("leads:assign"), {"ids": [lead.pk], "owner": rep.pk})
    assert no_reason.status_code == 200 and "这个字段是必填项" in no_reason.content.decode()
    response = client.post(
        reverse("leads:assign"), {"ids": [lead.pk], "owner": rep.pk, "reason": "轮换"}
    )
    assert response.status_code == 200
    assert "达到每人上限 1" in response.content.decode()
    lead.refresh_from_db()
    assert lead.owner is None and not LeadAssignment.objects.filter(lead=lead).exists()


def test_assign_page_needs_the_assign_right(client, team):
    assert login(client, team["rep"]).get(reverse("leads:assign")).status_code == 404
    assert login(client, team["manager"]).get(reverse("leads:assign")).status_code == 200


# --- conversion, merge, delete ---------------------------------------------------------------


def test_convert_creates_customer_and_contact_and_links_the_lead(client, team):
    lead = make_lead(
        team["rep"],
        company_name="宁波海工设备有限公司",
        phone="13700137000",
        budget_max=Decimal(300000),
    )
    client = login(client, team["rep"])
    assert client.get(reverse("leads:convert", args=[lead.pk])).status_code == 200
    response = client.post(
        reverse("leads:convert", args=[lead.pk]),
        {"name": "宁波海工设备有限公司", "expected_annual_value": "300000"},
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    customer = Customer.objects.get(name="宁波海工设备有限公司")
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert lead.status == LeadStatus.CONVERTED and lead.converted_customer == customer
    assert customer.source_lead_id == lead.pk and customer.owner == team["rep"]
    contact = Contact.objects.get(customer=customer)
    assert contact.name == "张三" and contact.phone == "13700137000" and contact.is_primary
    # the lead keeps its page and history
    detail = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert "已转化" in detail and "转为客户" in detail


def test_convert_offers_to_join_an_existing_customer(client, team):
    from salesflow.customers import services as customer_services

    rep = team["rep"]
    existing = customer_services.customer_create(
        actor=rep, data={"name": "温州已有客户有限公司"}, contacts=[], confirm_duplicate=True
    )
    lead = make_lead(rep, company_name="温州已有客户有限公司", phone="13700137009")
    client = login(client, rep)
    response = client.post(
        reverse("leads:convert", args=[lead.pk]), {"name": "温州已有客户有限公司"}
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "疑似重复" in content and "关联到已有客户" in content
    assert f'name="existing_customer" value="{existing.pk}"' in content
    response = client.post(
        reverse("leads:convert", args=[lead.pk]),
        {"name": "温州已有客户有限公司", "existing_customer": existing.pk},
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.converted_customer == existing
    assert Customer.objects.count() == 1
    assert Contact.objects.get(customer=existing).phone == "13700137009"


def test_merge_moves_history_and_recycles_the_other_lead(client, team):
    rep = team["rep"]
    keep = make_lead(rep, company_name="重复公司", phone="13600136000")
    other = make_lead(rep, company_name="重复公司", email="dup@example.cn")
    LeadAssignment.objects.create(lead=other, to_owner=rep, reason="旧分配")
    client = login(client, rep)
    page = client.get(reverse("leads:merge", args=[keep.pk])).content.decode()
    assert f'value="{other.pk}"' in page
    response = client.post(
        reverse("leads:merge", args=[keep.pk]),
        {"other": other.pk, "keep": "this", "reason": "同一客户"},
    )
    assert response.status_code == 302
    keep.refresh_from_db()
    assert keep.email == "dup@example.cn"
    assert not Lead.objects.filter(pk=other.pk).exists()
    assert Lead.all_objects.get(pk=other.pk).merged_into_id == keep.pk
    assert LeadAssignment.objects.filter(lead=keep, reason="旧分配").exists()


def test_delete_moves_to_the_recycle_bin(client, team):
    lead = make_lead(team["rep"])
    assert (
        login(client, team["rep"]).post(reverse("leads:delete", args=[lead.pk])).status_code == 404
    )
    response = login(client, team["manager"]).post(reverse("leads:delete", args=[lead.pk]))
    assert response.status_code == 302
    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert Lead.all_objects.get(pk=lead.pk).deleted_at is not None


# --- scope -----------------------------------------------------------------------------------


def test_out_of_scope_lead_is_not_found_everywhere(client, team):
    lead = make_lead(team["rep"], company_name="外人看不到的公司")
    client = login(client, team["other_manager"])
    for name in ("detail", "edit", "screen", "assess", "convert", "merge"):
        assert client.get(reverse(f"leads:{name}", args=[lead.pk])).status_code == 404, name
    for name in ("delete", "contact", "status", "edit", "screen", "assess", "convert"):
        assert client.post(reverse(f"leads:{name}", args=[lead.pk])).status_code == 404, name
    assert "外人看不到的公司" not in client.get(reverse("leads:list")).content.decode()
    export = client.get(reverse("leads:export"), {"format": "csv"})
    assert export.status_code == 200
    assert "外人看不到的公司" not in export.content.decode("utf-8-sig")
    assign = client.post(
        reverse("leads:assign"),
        {"ids": [lead.pk], "owner": team["other_rep"].pk, "reason": "抢线索"},
    )
    assert assign.status_code == 200 and "不在您的数据范围内" in assign.content.decode()
    lead.refresh_from_db()
    assert lead.owner == team["rep"]


def test_unassigned_list_is_for_lead_pool_holders(client, team):
    make_lead(None, company_name="没人跟的公司")
    assert login(client, team["rep"]).get(reverse("leads:unassigned")).status_code == 404
    response = login(client, team["manager"]).get(reverse("leads:unassigned"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "没人跟的公司" in content and 'name="ids"' in content and "分配所选线索" in content


def test_rep_list_shows_own_leads_without_export_or_assign(client, team):
    make_lead(team["rep"], company_name="我的公司")
    make_lead(team["other_rep"], company_name="别人的公司")
    response = login(client, team["rep"]).get(reverse("leads:list"))
    content = response.content.decode()
    assert "我的公司" in content and "别人的公司" not in content
    assert reverse("leads:export") not in content and 'name="ids"' not in content
    assert login(client, team["rep"]).get(reverse("leads:export")).status_code == 404


def test_list_filters_and_search(client, team):
    rep = team["rep"]
    make_lead(rep, company_name="甲公司", grade="A", phone="13512345678")
    make_lead(rep, company_name="乙公司", grade="B")
    client = login(client, rep)
    assert "乙公司" not in client.get(reverse("leads:list"), {"grade": "A"}).content.decode()
    found = client.get(reverse("leads:list"), {"q": "135-1234-5678"}).content.decode()
    assert "甲公司" in found and "乙公司" not in found
    empty = client.get(reverse("leads:list"), {"q": "不存在"}).content.decode()
    assert "没有符合条件的线索" in empty
    bad = client.get(reverse("leads:list"), {"grade": "Z", "owner": "abc"})
    assert bad.status_code == 200


def test_empty_list_offers_registration(client, team):
    content = login(client, team["rep"]).get(reverse("leads:list")).content.decode()
    assert "登记线索" in content and reverse("leads:create") in content


# --- export ----------------------------------------------------------------------------------


def test_export_neutralises_formulas_and_is_audited(client, team):
    from openpyxl import load_workbook

    make_lead(team["rep"], company_name='=HYPERLINK("http://evil.example","点我")')
    response = login(client, team["manager"]).get(reverse("leads:export"), {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ['\'=HYPERLINK("http://evil.example","点我")']
    entry = AuditEntry.objects.get(action="lead.export")
    assert entry.actor == team["manager"] and "1 rows" in entry.message


def test_export_follows_the_list_filters(client, team):
    make_lead(team["rep"], company_name="甲公司", grade="A")
    make_lead(team["rep"], company_name="乙公司", grade="C")
    response = login(client, team["manager"]).get(
        reverse("leads:export"), {"format": "csv", "grade": "A"}
    )
    text = response.content.decode("utf-8-sig")
    assert "甲公司" in text and "乙公司" not in text
    assert response["Content-Disposition"].startswith("attachment")


# --- query bound -----------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 30])
def test_list_query_count_does_not_grow_with_rows(
    client, team, rows, django_assert_max_num_queries
):
    manager = team["manager"]
    for index in range(rows):
        make_lead(
            team["rep"] if index % 2 else None,
            company_name=f"公司{index}",
            phone=f"1380000{index:04d}",
            grade="A" if index % 3 == 0 else "",
            first_contact_due_at=timezone.now() + datetime.timedelta(hours=3),
        )
    client = login(client, manager)
    client.get(reverse("leads:list"))  # warm the per-process caches (content types)
    with django_assert_max_num_queries(QUERY_BOUND):
        response = client.get(reverse("leads:list"))
    assert response.status_code == 200
    assert response.content.decode().count('name="ids"') == rows


# --- administration --------------------------------------------------------------------------


def test_admin_pages_for_reference_data(client, team, make_user):
    card = Scorecard.objects.get(is_active=True)
    criterion = card.criteria.first()
    client = login(client, make_user("admin"))
    for url in (
        reverse("admin:leads_leadsource_changelist"),
        reverse("admin:leads_scorecard_change", args=[card.pk]),
        reverse("admin:leads_scorecriterion_change", args=[criterion.pk]),
        reverse("admin:leads_assignmentrule_add"),
    ):
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("admin:leads_scorecriterion_change", args=[criterion.pk]))
    assert "目标行业" in page.content.decode()  # the options inline
    login(client, team["rep"])
    assert client.get(reverse("admin:leads_scorecard_changelist")).status_code != 200
