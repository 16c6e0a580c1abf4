"""Running imports: preview, dry run, strict and partial mode, duplicates, PII, undo."""

import pytest

from salesflow.core.models import AuditEntry
from salesflow.customers.models import Customer
from salesflow.customers.services import customer_create
from salesflow.imports.engine import load_sheet, preview
from salesflow.imports.mapping import Profile
from salesflow.imports.models import ImportedRecord, RunStatus
from salesflow.imports.undo import undo_run

from .conftest import CUSTOMER_HEADER, csv_bytes, customer_profile, run_import

pytestmark = pytest.mark.django_db

GOOD = [
    ["上海澄明精密机械有限公司", "制造业", "120", "021-55550001", ""],
    ["杭州知行软件有限公司", "信息技术", "45", "0571-55550002", ""],
    ["苏州恒远物流有限公司", "物流运输", "300", "0512-55550003", ""],
]
BAD_EMPLOYEES = ["南京坏数据有限公司", "制造业", "很多", "025-55550004", ""]


def test_gbk_csv_imports_correctly(people):
    data = csv_bytes([CUSTOMER_HEADER, *GOOD], "gbk")
    run = run_import(people["admin"], data, customer_profile())
    assert run.status == RunStatus.DONE
    assert (run.created_count, run.failed_count) == (3, 0)
    customer = Customer.objects.get(name="上海澄明精密机械有限公司")
    assert customer.industry.name == "制造业"
    assert customer.employees == 120
    assert customer.owner == people["admin"]


def test_preview_shows_a_message_per_cell(people):
    data = csv_bytes([CUSTOMER_HEADER, GOOD[0], BAD_EMPLOYEES, ["", "火星产业", "", "", ""]])
    profile = Profile.from_json(customer_profile())
    rows = preview(profile, load_sheet(data, profile), actor=people["admin"])
    assert [r["ok"] for r in rows] == [True, False, False]
    employees = next(f for f in rows[1]["fields"] if f["label"] == "员工人数")
    assert "不是数字" in employees["error"]
    third = {f["label"]: f["error"] for f in rows[2]["fields"]}
    assert third["客户名称"] == "必填。"
    assert "不在行业列表中" in third["行业"]
    assert Customer.objects.count() == 0  # a preview writes nothing


def test_strict_import_with_one_bad_row_writes_nothing(people):
    data = csv_bytes([CUSTOMER_HEADER, *GOOD, BAD_EMPLOYEES])
    run = run_import(people["admin"], data, customer_profile(), mode="strict")
    assert run.failed_count == 1
    assert run.created_count == 0
    assert "全部未导入" in run.message
    assert Customer.objects.count() == 0
    assert not ImportedRecord.objects.exists()


def test_partial_import_reports_exactly_the_bad_rows_with_reasons(people):
    bad_phone_card = ["广州卡号有限公司", "制造业", "10", "", "卡号 4111111111111111"]
    data = csv_bytes([CUSTOMER_HEADER, GOOD[0], BAD_EMPLOYEES, GOOD[1], bad_phone_card])
    run = run_import(people["admin"], data, customer_profile())
    assert (run.created_count, run.failed_count) == (2, 2)
    failed = {entry["row"]: entry for entry in run.report if entry["status"] == "failed"}
    assert set(failed) == {3, 5}  # sheet row numbers, the header being row 1
    assert "不是数字" in failed[3]["errors"]["员工人数"]
    assert "银行卡" in failed[5]["errors"]["备注"]  # PII is refused by the customer service
    assert failed[3]["cells"]["客户名称"] == "南京坏数据有限公司"
    assert set(Customer.objects.values_list("name", flat=True)) == {GOOD[0][0], GOOD[1][0]}


def test_dry_run_writes_nothing_and_reports_like_a_real_run(people):
    data = csv_bytes([CUSTOMER_HEADER, *GOOD, BAD_EMPLOYEES])
    run = run_import(people["admin"], data, customer_profile(), dry_run=True)
    assert run.failed_count == 1
    assert "可新增 3 行" in run.message and run.created_count == 3
    assert Customer.objects.count() == 0
    # the industries a dry run would create are not kept either
    run = run_import(
        people["admin"],
        csv_bytes([CUSTOMER_HEADER, ["甲公司", "航天", "", "", ""]]),
        customer_profile(create_missing=["industry"]),
        dry_run=True,
    )
    from salesflow.customers.models import Industry

    assert not Industry.objects.filter(name="航天").exists()


def test_rerun_with_skip_duplicates_creates_nothing_new(people):
    data = csv_bytes([CUSTOMER_HEADER, *GOOD])
    run_import(people["admin"], data, customer_profile())
    again = run_import(people["admin"], data, customer_profile())
    assert (again.created_count, again.skipped_count) == (0, 3)
    assert Customer.objects.count() == 3


def test_duplicate_key_is_normalised(people):
    run_import(people["admin"], csv_bytes([CUSTOMER_HEADER, GOOD[0]]), customer_profile())
    variant = ["上海澄明精密机械（有限公司）", "制造业", "", "", ""]
    variant[0] = "上海澄明精密机械有限公司 "
    run = run_import(people["admin"], csv_bytes([CUSTOMER_HEADER, variant]), customer_profile())
    assert run.skipped_count == 1


def test_duplicates_update_changes_the_existing_record(people):
    run_import(people["admin"], csv_bytes([CUSTOMER_HEADER, GOOD[0]]), customer_profile())
    changed = [GOOD[0][0], "制造业", "150", "", "新备注"]
    run = run_import(
        people["admin"],
        csv_bytes([CUSTOMER_HEADER, changed]),
        customer_profile(duplicates="update"),
    )
    assert run.updated_count == 1
    customer = Customer.objects.get()
    assert customer.employees == 150 and customer.notes == "新备注"
    assert customer.phone == GOOD[0][3]  # an empty cell does not erase a value


def test_duplicates_create_adds_a_second_record(people):
    run_import(people["admin"], csv_bytes([CUSTOMER_HEADER, GOOD[0]]), customer_profile())
    run = run_import(
        people["admin"],
        csv_bytes([CUSTOMER_HEADER, GOOD[0]]),
        customer_profile(duplicates="create"),
    )
    assert run.created_count == 1
    assert Customer.objects.filter(name=GOOD[0][0]).count() == 2


def test_owner_column_assigns_and_every_import_is_audited(people):
    header = [*CUSTOMER_HEADER, "负责人"]
    rows = [[*GOOD[0], "rep"], [*GOOD[1], "李娜"], [*GOOD[2], "不存在的人"]]
    columns = {**customer_profile()["columns"], "owner": "负责人"}
    # the manager holds the assign right over the rep (an administrator does not)
    run = run_import(
        people["manager"], csv_bytes([header, *rows]), customer_profile(columns=columns)
    )
    assert run.created_count == 2
    assert set(Customer.objects.values_list("owner__username", flat=True)) == {"rep"}
    assert "找不到用户" in run.report[0]["errors"]["负责人"]
    assert AuditEntry.objects.filter(action="import.run", object_id=str(run.pk)).exists()
    assert AuditEntry.objects.filter(action="customer.create").count() == 2


def test_undo_removes_exactly_what_the_import_created(people):
    admin = people["admin"]
    before = customer_create(actor=admin, data={"name": "导入前已有客户"})
    run_import(admin, csv_bytes([CUSTOMER_HEADER, GOOD[0]]), customer_profile())
    run = run_import(admin, csv_bytes([CUSTOMER_HEADER, *GOOD]), customer_profile())
    assert (run.created_count, run.skipped_count) == (2, 1)
    run.refresh_from_db()
    undo_run(actor=admin, run=run)
    run.refresh_from_db()
    assert run.status == RunStatus.UNDONE
    remaining = set(Customer.objects.values_list("name", flat=True))
    assert remaining == {before.name, GOOD[0][0]}
    assert Customer.all_objects.filter(name=GOOD[1][0], deleted_at__isnull=False).exists()


def test_undo_keeps_records_changed_after_the_import(people):
    from salesflow.customers.services import customer_update

    admin = people["admin"]
    run = run_import(admin, csv_bytes([CUSTOMER_HEADER, *GOOD[:2]]), customer_profile())
    touched = Customer.objects.get(name=GOOD[0][0])
    customer_update(actor=admin, customer_id=touched.pk, data={"notes": "已跟进"})
    run.refresh_from_db()
    undo_run(actor=admin, run=run)
    run.refresh_from_db()
    assert list(Customer.objects.values_list("name", flat=True)) == [GOOD[0][0]]
    assert run.undo_report[0]["reason"] == "导入后已被修改。"
    assert run.status == RunStatus.DONE  # partly undone: what was kept is listed


def test_leads_import_through_the_register_service(people):
    header = ["公司名称", "联系人", "手机", "需求描述", "线索来源", "获取日期"]
    from salesflow.leads.models import Lead, LeadSource

    source = LeadSource.objects.first()
    rows = [
        [
            "宁波海天塑机",
            "陈工",
            "13800001111",
            "注塑机联网改造，现有设备停机多",
            source.name,
            "2024/3/5",
        ]
    ]
    run = run_import(
        people["rep"],
        csv_bytes([header, *rows]),
        {
            "entity": "lead",
            "columns": {
                "company_name": "公司名称",
                "contact_name": "联系人",
                "phone": "手机",
                "needs": "需求描述",
                "source": "线索来源",
                "acquired_at": "获取日期",
            },
        },
    )
    assert run.created_count == 1, run.report
    lead = Lead.objects.get()
    assert lead.acquired_at.date().isoformat() == "2024-03-05"
    assert lead.created_by == people["rep"]
