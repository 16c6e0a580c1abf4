"""Customer pages: status codes, rendered content and what each action changes (or not)."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from salesflow.core.models import AuditEntry
from salesflow.customers import services
from salesflow.customers.models import (
    Contact,
    Customer,
    CustomerPool,
    GradeChange,
    GradeSource,
    Industry,
    OwnershipEvent,
    Tier,
)
from salesflow.org.default_roles import ROLES

pytestmark = pytest.mark.django_db


def new_customer(owner, name, *, contacts=(), **data):
    return services.customer_create(
        actor=owner,
        data={"name": name, **data},
        contacts=list(contacts),
        confirm_duplicate=True,
    )


@pytest.fixture
def org(make_user, make_department):
    """A manager with one rep in 销售一部, and a rep of 销售二部 outside both their scopes."""
    east = make_department("销售一部")
    south = make_department("销售二部")
    manager = make_user("sales_manager", department=east, display_name="王经理")
    rep = make_user("sales_rep", department=east, manager=manager, display_name="李销售")
    rep2 = make_user("sales_rep", department=east, manager=manager, display_name="赵销售")
    outsider = make_user("sales_rep", department=south, display_name="孙外部")
    return {"manager": manager, "rep": rep, "rep2": rep2, "outsider": outsider}


@pytest.fixture
def mine(org):
    return new_customer(
        org["rep"],
        "上海明远机械有限公司",
        contacts=[{"name": "张三", "phone": "13812345678", "is_primary": True}],
        expected_annual_value=Decimal("150000"),
    )


@pytest.fixture
def foreign(org):
    return new_customer(org["outsider"], "广州远方贸易有限公司")


def login(client, user):
    client.force_login(user)
    return client


# --- list -------------------------------------------------------------------------------------


def test_list_shows_only_customers_in_scope(client, org, mine, foreign):
    response = login(client, org["rep"]).get(reverse("customers:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert mine.name in html and foreign.name not in html
    assert "张三" in html and "13812345678" in html  # a rep sees their own contact details
    assert reverse("customers:export") not in html  # no export right
    assert 'name="ids"' not in html  # no assign right


def test_list_filters_and_search(client, org, mine):
    other = new_customer(org["rep"], "北京大成软件有限公司", expected_annual_value=Decimal(600000))
    login(client, org["rep"])
    response = client.get(reverse("customers:list"), {"grade": "A"})
    assert other.name in response.content.decode() and mine.name not in response.content.decode()
    response = client.get(reverse("customers:list"), {"q": "明远"})
    assert mine.name in response.content.decode() and other.name not in response.content.decode()
    response = client.get(reverse("customers:list"), {"q": "138 1234 5678"})
    assert mine.name in response.content.decode()
    response = client.get(reverse("customers:list"), {"owner": org["outsider"].pk})
    assert response.status_code == 200  # an owner outside the scope is ignored, not an error
    response = client.get(reverse("customers:list"), {"q": "不存在的客户"})
    assert "没有符合条件的客户" in response.content.decode()


def test_list_empty_state_offers_new_customer(client, org):
    response = login(client, org["rep"]).get(reverse("customers:list"))
    html = response.content.decode()
    assert "暂无客户" in html and reverse("customers:create") in html


def test_list_is_404_without_the_customer_right(client, make_user):
    response = login(client, make_user("product_expert")).get(reverse("customers:list"))
    assert response.status_code == 404


def _list_queries(client, django_assert_max_num_queries, bound):
    with django_assert_max_num_queries(bound):
        response = client.get(reverse("customers:list"))
    assert response.status_code == 200
    return response


def test_list_query_count_does_not_grow_with_rows(client, org, django_assert_max_num_queries):
    manager, rep = org["manager"], org["rep"]
    login(client, manager)
    industry = Industry.objects.first()
    new_customer(rep, "客户0", contacts=[{"name": "联系人0", "phone": "13800000000"}])
    _list_queries(client, django_assert_max_num_queries, 17)
    for index in range(1, 30):
        new_customer(
            rep if index % 2 else org["rep2"],
            f"客户{index}",
            industry=industry,
            contacts=[{"name": f"联系人{index}", "phone": f"138000000{index:02d}"}],
        )
    response = _list_queries(client, django_assert_max_num_queries, 17)
    assert response.content.decode().count('name="ids"') == 30


# --- export -----------------------------------------------------------------------------------


def test_export_xlsx_neutralises_formulas_and_is_audited(client, org, mine, foreign):
    from openpyxl import load_workbook

    new_customer(org["rep"], '=HYPERLINK("http://evil")')
    response = login(client, org["manager"]).get(reverse("customers:export"), {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://evil")' in names
    assert mine.name in names and foreign.name not in names
    entry = AuditEntry.objects.get(action="customer.export")
    assert entry.actor == org["manager"] and "3 rows" not in entry.message
    assert "2 rows" in entry.message and "personal data" in entry.message


def test_export_csv_follows_the_filters(client, org, mine):
    other = new_customer(org["rep"], "北京大成软件有限公司", expected_annual_value=Decimal(600000))
    response = login(client, org["manager"]).get(
        reverse("customers:export"), {"format": "csv", "grade": "A"}
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == [other.name]
    assert AuditEntry.objects.filter(action="customer.export").count() == 1


def test_export_is_404_without_the_export_right(client, org, mine):
    response = login(client, org["rep"]).get(reverse("customers:export"), {"format": "csv"})
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="customer.export").exists()


# --- create -----------------------------------------------------------------------------------


def _create_post(**extra):
    data = {
        "name": "杭州新星电子有限公司",
        "expected_annual_value": "120000",
        "credit_limit": "0",
        "employees": "80",
        "contact-name": "钱经理",
        "contact-title": "采购经理",
        "contact-decision_role": "purchaser",
        "contact-phone": "13900001111",
        "contact-email": "qian@example.cn",
    }
    data.update(extra)
    return data


def test_create_customer_with_first_contact(client, org):
    response = login(client, org["rep"]).post(reverse("customers:create"), _create_post())
    customer = Customer.objects.get(name="杭州新星电子有限公司")
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert customer.owner == org["rep"] and customer.grade == "B"
    contact = customer.contacts.get()
    assert contact.name == "钱经理" and contact.is_primary and contact.decision_role == "purchaser"


def test_create_page_shows_owner_choice_only_with_the_assign_right(client, org):
    assert (
        'name="owner"'
        not in login(client, org["rep"]).get(reverse("customers:create")).content.decode()
    )
    response = login(client, org["manager"]).get(reverse("customers:create"))
    assert 'name="owner"' in response.content.decode()
    response = client.post(reverse("customers:create"), _create_post(owner=org["rep"].pk))
    assert response.status_code == 302
    assert Customer.objects.get(name="杭州新星电子有限公司").owner == org["rep"]


def test_create_with_bad_input_changes_nothing(client, org):
    login(client, org["rep"])
    response = client.post(reverse("customers:create"), _create_post(name=""))
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    response = client.post(
        reverse("customers:create"), _create_post(**{"contact-name": "", "contact-title": ""})
    )
    assert response.status_code == 200 and "请填写联系人姓名" in response.content.decode()
    response = client.post(
        reverse("customers:create"), _create_post(notes="证件 11010519491231002X")
    )
    assert response.status_code == 200 and "不能保存身份证号码" in response.content.decode()
    assert not Customer.objects.exists() and not Contact.objects.exists()


def test_create_is_404_without_the_add_right(client, make_user):
    finance = make_user("finance")
    login(client, finance)
    assert client.get(reverse("customers:create")).status_code == 404
    assert client.post(reverse("customers:create"), _create_post()).status_code == 404
    assert not Customer.objects.exists()


def test_duplicate_outside_scope_shows_name_and_owner_without_link(client, org, foreign):
    login(client, org["rep"])
    response = client.post(reverse("customers:create"), _create_post(name=foreign.name))
    html = response.content.decode()
    assert response.status_code == 200
    assert "发现疑似重复的记录" in html and foreign.name in html and "孙外部" in html
    assert reverse("customers:detail", args=[foreign.pk]) not in html
    assert 'name="confirm_duplicate"' in html
    assert Customer.objects.count() == 1

    response = client.post(
        reverse("customers:create"), _create_post(name=foreign.name, confirm_duplicate="on")
    )
    assert response.status_code == 302
    assert Customer.objects.filter(name=foreign.name).count() == 2


def test_duplicate_in_scope_links_to_it(client, org, mine):
    response = login(client, org["rep"]).post(
        reverse("customers:create"), _create_post(**{"contact-phone": "138-1234-5678"})
    )
    html = response.content.decode()
    assert reverse("customers:detail", args=[mine.pk]) in html and "电话相同" in html


# --- detail -----------------------------------------------------------------------------------


def test_detail_shows_archive_contacts_timeline_and_history_tab(client, org, mine):
    services.customer_grade_override(
        actor=org["rep"], customer_id=mine.pk, grade="A", reason="战略合作"
    )
    response = login(client, org["rep"]).get(reverse("customers:detail", args=[mine.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert mine.name in html and "张三" in html and "13812345678" in html
    assert "战略合作" in html and "人工调整" in html  # the grade change in the timeline
    assert "创建" in html  # the ownership event of creation
    assert 'hx-trigger="click once"' in html and "/system/history/" in html
    assert reverse("customers:edit", args=[mine.pk]) in html
    assert reverse("customers:delete", args=[mine.pk]) not in html  # a rep may not delete


def test_history_tab_loads_as_a_partial(client, org, mine):
    from django.contrib.contenttypes.models import ContentType

    login(client, org["rep"])
    url = reverse(
        "core:object_history", args=[ContentType.objects.get_for_model(Customer).pk, mine.pk]
    )
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "customer.create" in response.content.decode()


@pytest.mark.parametrize(
    "name,method",
    [
        ("customers:detail", "get"),
        ("customers:edit", "get"),
        ("customers:edit", "post"),
        ("customers:contact_add", "get"),
        ("customers:contact_add", "post"),
        ("customers:grade", "post"),
        ("customers:return", "post"),
        ("customers:merge", "get"),
        ("customers:merge", "post"),
        ("customers:delete", "post"),
    ],
)
def test_out_of_scope_customer_is_404(client, org, foreign, name, method):
    login(client, org["manager"])
    url = reverse(name, args=[foreign.pk])
    data = {"name": "改名", "reason": "测试", "grade": "A", "other": foreign.pk}
    response = getattr(client, method)(url, data if method == "post" else None)
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.name == "广州远方贸易有限公司" and foreign.owner == org["outsider"]
    assert foreign.deleted_at is None and foreign.grade_source != GradeSource.MANUAL


def test_out_of_scope_customer_is_absent_from_list_and_export(client, org, mine, foreign):
    login(client, org["manager"])
    assert foreign.name not in client.get(reverse("customers:list")).content.decode()
    response = client.get(reverse("customers:list"), {"q": foreign.name})
    assert foreign.name not in response.content.decode().replace('value="' + foreign.name, "")
    csv_body = client.get(reverse("customers:export"), {"format": "csv"}).content.decode()
    assert mine.name in csv_body and foreign.name not in csv_body


# --- edit -------------------------------------------------------------------------------------


def _edit_post(customer, **extra):
    data = {
        "name": customer.name,
        "expected_annual_value": str(customer.expected_annual_value),
        "tier": customer.tier,
        "credit_rating": "",
        "credit_limit": str(customer.credit_limit),
        "phone": customer.phone,
    }
    data.update(extra)
    return data


def test_edit_customer(client, org, mine):
    login(client, org["rep"])
    assert client.get(reverse("customers:edit", args=[mine.pk])).status_code == 200
    response = client.post(
        reverse("customers:edit", args=[mine.pk]),
        _edit_post(mine, credit_rating="AA", credit_limit="50000", service_needs="季度巡检"),
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.credit_rating == "AA" and mine.credit_limit == 50000
    assert mine.service_needs == "季度巡检"


def test_edit_with_bad_input_changes_nothing(client, org, mine):
    login(client, org["rep"])
    response = client.post(
        reverse("customers:edit", args=[mine.pk]), _edit_post(mine, name="", credit_limit="-1")
    )
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    mine.refresh_from_db()
    assert mine.name == "上海明远机械有限公司" and mine.credit_limit == 0


def test_edit_to_a_duplicate_name_warns_and_offers_merge(client, org, mine):
    other = new_customer(org["rep"], "苏州同名制造有限公司")
    login(client, org["rep"])
    response = client.post(
        reverse("customers:edit", args=[mine.pk]), _edit_post(mine, name=other.name)
    )
    html = response.content.decode()
    assert response.status_code == 200 and "发现疑似重复的记录" in html
    assert f"{reverse('customers:merge', args=[mine.pk])}?other={other.pk}" in html
    mine.refresh_from_db()
    assert mine.name == "上海明远机械有限公司"


def test_edit_keeps_a_chosen_tier_when_the_amount_is_typed_without_decimals(client, org, mine):
    """The stored 150000.00 retyped as "150000" is no change of the expected value, so the
    tier chosen in the same edit must stand (services compared the two as text)."""
    login(client, org["rep"])
    response = client.post(
        reverse("customers:edit", args=[mine.pk]),
        _edit_post(mine, expected_annual_value="150000", tier=Tier.KEY),
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.tier == Tier.KEY


def test_edit_is_404_without_the_change_right(client, org, mine, make_user):
    service = make_user("customer_service")  # company-wide view, no change
    login(client, service)
    assert client.get(reverse("customers:detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("customers:edit", args=[mine.pk])).status_code == 404


# --- contacts ---------------------------------------------------------------------------------


def test_add_and_edit_contact(client, org, mine):
    login(client, org["rep"])
    url = reverse("customers:contact_add", args=[mine.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"name": "李四", "decision_role": "decision_maker", "phone": "13700001234"}
    )
    assert response.status_code == 302
    contact = mine.contacts.get(name="李四")
    assert contact.decision_role == "decision_maker"
    response = client.post(
        reverse("customers:contact_edit", args=[contact.pk]),
        {
            "name": "李四",
            "title": "总经理",
            "decision_role": "decision_maker",
            "phone": "13700001234",
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.title == "总经理"


def test_contact_with_bad_input_changes_nothing(client, org, mine):
    login(client, org["rep"])
    response = client.post(
        reverse("customers:contact_add", args=[mine.pk]),
        {"name": "", "decision_role": "user", "email": "not-an-email"},
    )
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    contact = mine.contacts.get()
    response = client.post(
        reverse("customers:contact_edit", args=[contact.pk]),
        {"name": "张三", "decision_role": "user", "notes": "卡号 4111111111111111"},
    )
    assert response.status_code == 200 and "银行卡" in response.content.decode()
    assert mine.contacts.count() == 1 and mine.contacts.get().notes == ""


def test_contact_pages_out_of_scope_or_without_right_are_404(client, org, foreign, make_user):
    contact = services.contact_add(
        actor=org["outsider"], customer_id=foreign.pk, data={"name": "外"}
    )
    login(client, org["manager"])
    assert client.get(reverse("customers:contact_edit", args=[contact.pk])).status_code == 404
    login(client, make_user("customer_service"))  # sees every customer, adds no contacts
    assert client.get(reverse("customers:contact_add", args=[foreign.pk])).status_code == 404


# --- grade ------------------------------------------------------------------------------------


def test_grade_override_and_back_to_computed(client, org, mine):
    login(client, org["rep"])
    url = reverse("customers:grade", args=[mine.pk])
    response = client.post(url, {"grade": "A", "reason": "集团战略客户"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.grade == "A" and mine.grade_source == GradeSource.MANUAL
    assert GradeChange.objects.filter(customer=mine, reason="集团战略客户", to_grade="A").exists()
    response = client.post(url, {"grade": "auto", "reason": "恢复按规则"})
    mine.refresh_from_db()
    assert mine.grade == "B" and mine.grade_source == GradeSource.EXPECTED


def test_grade_without_reason_changes_nothing(client, org, mine):
    login(client, org["rep"])
    response = client.post(reverse("customers:grade", args=[mine.pk]), {"grade": "A", "reason": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="panel-grade"' in html and "collapse show" in html
    mine.refresh_from_db()
    assert mine.grade == "B" and mine.grade_source == GradeSource.EXPECTED


def test_grade_is_404_without_the_change_right(client, mine, make_user):
    login(client, make_user("customer_service"))
    response = client.post(
        reverse("customers:grade", args=[mine.pk]), {"grade": "A", "reason": "x"}
    )
    assert response.status_code == 404
    mine.refresh_from_db()
    assert mine.grade == "B"


def test_grade_is_post_only(client, org, mine):
    response = login(client, org["rep"]).get(reverse("customers:grade", args=[mine.pk]))
    assert response.status_code == 405


# --- assign -----------------------------------------------------------------------------------


def test_bulk_assign_records_ownership_events_with_reason(client, org, mine):
    second = new_customer(org["rep"], "南京第二客户有限公司")
    login(client, org["manager"])
    list_html = client.get(reverse("customers:list")).content.decode()
    assert 'name="ids"' in list_html and reverse("customers:assign") in list_html
    response = client.post(
        reverse("customers:assign"),
        {"ids": [mine.pk, second.pk], "owner": org["rep2"].pk, "reason": "李销售调岗"},
    )
    assert response.status_code == 302
    for customer in (mine, second):
        customer.refresh_from_db()
        assert customer.owner == org["rep2"]
        event = OwnershipEvent.objects.get(customer=customer, kind=OwnershipEvent.Kind.ASSIGN)
        assert event.reason == "李销售调岗" and event.from_owner == org["rep"]
        assert event.actor == org["manager"]
    assert AuditEntry.objects.filter(action="customer.assign").count() == 2


def test_assign_page_and_bad_input(client, org, mine, foreign):
    login(client, org["manager"])
    response = client.get(reverse("customers:assign"), {"ids": [mine.pk]})
    assert response.status_code == 200 and mine.name in response.content.decode()
    response = client.post(
        reverse("customers:assign"), {"ids": [mine.pk], "owner": org["rep2"].pk, "reason": ""}
    )
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    response = client.post(
        reverse("customers:assign"),
        {"ids": [mine.pk, foreign.pk], "owner": org["rep2"].pk, "reason": "调整"},
    )
    assert response.status_code == 200 and "不在您的数据范围内" in response.content.decode()
    response = client.post(
        reverse("customers:assign"),
        {"ids": [mine.pk], "owner": org["outsider"].pk, "reason": "调整"},
    )
    assert response.status_code == 200
    mine.refresh_from_db()
    foreign.refresh_from_db()
    assert mine.owner == org["rep"] and foreign.owner == org["outsider"]
    assert not OwnershipEvent.objects.filter(kind=OwnershipEvent.Kind.ASSIGN).exists()


def test_assign_is_404_without_the_assign_right(client, org, mine):
    login(client, org["rep"])
    assert client.get(reverse("customers:assign")).status_code == 404
    response = client.post(
        reverse("customers:assign"), {"ids": [mine.pk], "owner": org["rep"].pk, "reason": "x"}
    )
    assert response.status_code == 404


# --- return to the pool and claim --------------------------------------------------------------


def test_return_to_pool(client, org, mine):
    login(client, org["rep"])
    response = client.post(reverse("customers:return", args=[mine.pk]), {"reason": "客户暂无需求"})
    assert response.status_code == 302
    mine = Customer.objects.get(pk=mine.pk)
    assert mine.owner is None and mine.pool is not None
    event = OwnershipEvent.objects.get(customer=mine, kind=OwnershipEvent.Kind.RETURN)
    assert event.reason == "客户暂无需求" and event.from_owner == org["rep"]


def test_return_without_reason_changes_nothing(client, org, mine):
    login(client, org["rep"])
    response = client.post(reverse("customers:return", args=[mine.pk]), {"reason": " "})
    assert response.status_code == 200 and "collapse show" in response.content.decode()
    mine.refresh_from_db()
    assert mine.owner == org["rep"]


def _to_pool(customer, actor):
    services.customer_return_to_pool(actor=actor, customer_id=customer.pk, reason="退回")
    return Customer.objects.get(pk=customer.pk)


def test_pool_page_and_claim(client, org, mine):
    pooled = _to_pool(mine, org["rep"])
    login(client, org["rep2"])
    response = client.get(reverse("customers:pool"))
    html = response.content.decode()
    assert response.status_code == 200 and pooled.name in html
    assert "您已领取并持有" in html and reverse("customers:claim", args=[pooled.pk]) in html
    response = client.post(reverse("customers:claim", args=[pooled.pk]))
    assert response.status_code == 302
    pooled.refresh_from_db()
    assert pooled.owner == org["rep2"] and pooled.pool is None
    assert OwnershipEvent.objects.filter(
        customer=pooled, kind=OwnershipEvent.Kind.CLAIM, to_owner=org["rep2"]
    ).exists()


def test_claim_refused_over_the_limit(client, org):
    pool = CustomerPool.objects.create(name="华东公海", claim_limit=1)
    first = _to_pool(new_customer(org["rep"], "公海客户一"), org["rep"])
    second = _to_pool(new_customer(org["rep"], "公海客户二"), org["rep"])
    assert first.pool == pool
    login(client, org["rep2"])
    client.post(reverse("customers:claim", args=[first.pk]))
    response = client.post(reverse("customers:claim", args=[second.pk]), follow=True)
    assert "达到上限 1" in response.content.decode()
    second.refresh_from_db()
    assert second.owner is None


def test_pool_is_404_without_the_add_right(client, make_user):
    assert login(client, make_user("finance")).get(reverse("customers:pool")).status_code == 404


# --- merge and delete -------------------------------------------------------------------------


def test_merge_two_customers(client, org, mine):
    other = new_customer(
        org["rep"], "上海明远机械", contacts=[{"name": "王五", "phone": "13600001111"}]
    )
    login(client, org["rep"])
    url = reverse("customers:merge", args=[mine.pk])
    response = client.get(url, {"q": "明远"})
    assert response.status_code == 200 and other.name in response.content.decode()
    response = client.post(url, {"other": other.pk, "keep": "this", "reason": "重复录入"})
    assert response.status_code == 302
    assert set(mine.contacts.values_list("name", flat=True)) == {"张三", "王五"}
    assert not Customer.objects.filter(pk=other.pk).exists()
    assert Customer.all_objects.get(pk=other.pk).deleted_at is not None
    assert OwnershipEvent.objects.filter(customer=mine, kind=OwnershipEvent.Kind.MERGE).exists()


def test_merge_with_out_of_scope_customer_changes_nothing(client, org, mine, foreign):
    login(client, org["rep"])
    response = client.post(
        reverse("customers:merge", args=[mine.pk]), {"other": foreign.pk, "keep": "this"}
    )
    assert (
        response.status_code == 200 and "请选择您有权修改的另一个客户" in response.content.decode()
    )
    assert foreign.name not in response.content.decode()
    assert Customer.objects.filter(pk=foreign.pk).exists() and mine.contacts.count() == 1


def test_delete_moves_to_recycle_bin(client, org, mine):
    login(client, org["manager"])
    assert (
        reverse("customers:delete", args=[mine.pk])
        in client.get(reverse("customers:detail", args=[mine.pk])).content.decode()
    )
    response = client.post(reverse("customers:delete", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("customers:list")
    assert Customer.all_objects.get(pk=mine.pk).deleted_at is not None
    assert client.get(reverse("customers:detail", args=[mine.pk])).status_code == 404
    assert AuditEntry.objects.filter(action="customer.delete").exists()


def test_delete_is_404_without_the_delete_right(client, org, mine):
    response = login(client, org["rep"]).post(reverse("customers:delete", args=[mine.pk]))
    assert response.status_code == 404
    assert Customer.objects.filter(pk=mine.pk).exists()


# --- every page of ours for every role ---------------------------------------------------------


@pytest.mark.parametrize("role_code", [r["code"] for r in ROLES])
def test_pages_without_arguments_for_every_role(client, make_user, role_code):
    from salesflow.core.scope import has_right

    user = make_user(role_code)
    login(client, user)
    for name in ("list", "export", "create", "assign", "pool"):
        view = f"customers:{name}"
        response = client.get(reverse(view))
        from django.urls import resolve

        right = resolve(reverse(view)).func.required_right
        assert response.status_code == (200 if has_right(user, *right) else 404), (view, role_code)


def test_return_of_a_pool_customer_is_refused_with_a_message(client, org, make_user, mine):
    director = make_user("sales_director")
    services.customer_return_to_pool(actor=org["rep"], customer_id=mine.pk, reason="退回")
    login(client, director)
    response = client.post(
        reverse("customers:return", args=[mine.pk]), {"reason": "再退回"}, follow=True
    )
    assert "该客户已在公海中" in response.content.decode()
    assert OwnershipEvent.objects.filter(kind=OwnershipEvent.Kind.RETURN).count() == 1


# --- administration of the reference lists ------------------------------------------------------


def test_admin_pages_for_reference_lists_and_pools(client, make_user, make_department):
    admin_user = make_user("admin")
    login(client, admin_user)
    for model in ("industry", "region", "customerpool"):
        assert client.get(reverse(f"admin:customers_{model}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:customers_{model}_add")).status_code == 200
    department = make_department("华东大区")
    response = client.post(
        reverse("admin:customers_customerpool_add"),
        {"name": "华东公海", "department": department.pk, "claim_limit": "20", "is_active": "on"},
    )
    assert response.status_code == 302
    assert CustomerPool.objects.get(name="华东公海").claim_limit == 20
    assert AuditEntry.objects.filter(action="customerpool.create").exists()


def test_admin_reference_lists_closed_to_reps(client, org):
    login(client, org["rep"])
    response = client.get(reverse("admin:customers_industry_changelist"))
    assert response.status_code in (302, 403, 404)
