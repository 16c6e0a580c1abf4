"""The bulk path of large customer imports: the same customers, refused rows and messages as
the row-by-row service path, strict and partial mode, duplicates, undo, and a query count
that does not grow with the number of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesflow.core.models import AuditEntry
from salesflow.core.services import setting_change
from salesflow.customers.models import Contact, Customer
from salesflow.customers.services import contact_add, customer_create
from salesflow.imports import bulk
from salesflow.imports.models import ImportedRecord, RunStatus
from salesflow.imports.undo import undo_run

from .conftest import csv_bytes, run_import

pytestmark = pytest.mark.django_db

HEADER = ["客户名称", "行业", "员工人数", "总机", "预计年采购额", "负责人", "备注"]


def profile(duplicates="skip"):
    return {
        "entity": "customer",
        "columns": {
            "name": "客户名称",
            "industry": "行业",
            "employees": "员工人数",
            "phone": "总机",
            "expected_annual_value": "预计年采购额",
            "owner": "负责人",
            "notes": "备注",
        },
        "duplicates": duplicates,
    }


def rows():
    """Good rows with different owners and grades, and every kind of refusal and duplicate."""
    return [
        HEADER,
        ["上海澄明精密机械有限公司", "制造业", "120", "021-55550001", "800000", "rep", ""],
        ["杭州知行软件有限公司", "信息技术", "45", "0571-55550002", "150000", "", ""],
        ["南京坏数据有限公司", "制造业", "很多", "025-55550004", "", "", ""],
        ["广州卡号有限公司", "制造业", "10", "", "", "", "卡号 4111111111111111"],
        ["上海澄明精密机械有限公司", "制造业", "5", "021-55559999", "", "", "文件内重复"],
        ["苏州已有客户有限公司", "制造业", "20", "", "", "", "库里已有"],
        ["深圳同号码有限公司", "", "", "0755-88880000", "", "", "与联系人同号"],
        ["北京线索同名有限公司", "", "", "", "", "", "与线索同名"],
        ["天津无此人有限公司", "", "", "", "", "无此人", ""],
        ["成都别部门有限公司", "", "", "", "30000", "rep2", ""],
        ["重庆新客户有限公司", "", "1000", "023-66660000", "2000000", "mgr", ""],
        ["", "火星产业", "", "", "", "", ""],
    ]


@pytest.fixture
def world(people):
    from salesflow.leads.models import Lead

    admin = people["admin"]
    existing = customer_create(actor=people["other"], data={"name": "苏州已有客户有限公司"})
    holder = customer_create(actor=admin, data={"name": "深圳联系人所在有限公司"})
    contact_add(actor=admin, customer_id=holder.pk, data={"name": "陈工", "phone": "075588880000"})
    from django.utils import timezone

    from salesflow.leads import services as lead_services
    from salesflow.leads.models import LeadSource

    lead_services.lead_register(
        actor=admin,
        data={
            "company_name": "北京线索同名有限公司",
            "contact_name": "周先生",
            "phone": "13911112222",
            "needs": "设备故障率高，每月停机约20小时",
            "source": LeadSource.objects.filter(is_active=True, is_referral=False).first(),
            "acquired_at": timezone.now(),
        },
        owner=admin,
        confirm_duplicate=True,
    )
    assert Lead.objects.filter(company_name="北京线索同名有限公司").exists()
    return {**people, "existing": existing, "holder": holder}


def set_threshold(admin, rows):
    setting_change(actor=admin, key="import.bulk_min_rows", value=str(rows), reason="测试")


def snapshot(names):
    out = {}
    for c in Customer.objects.filter(name__in=names).order_by("id"):
        out.setdefault(c.name, []).append(
            {
                "name_key": c.name_key,
                "phone_key": c.phone_key,
                "industry": c.industry_id,
                "employees": c.employees,
                "expected": c.expected_annual_value,
                "grade": c.grade,
                "grade_source": c.grade_source,
                "tier": c.tier,
                "owner": c.owner_id,
                "team": c.team_id,
                "lifecycle": c.lifecycle,
                "pool": c.pool_id,
                "created_by": c.created_by_id,
                "owned": c.owned_since is not None,
                "next_due": c.next_followup_due_at,
                "notes": c.notes,
                "contacts": list(c.contacts.values_list("name", "phone_key")),
                "grades": list(c.grade_changes.values_list("from_grade", "to_grade", "source")),
                "ownership": list(c.ownership_events.values_list("kind", "to_owner_id")),
            }
        )
    return out


def report(run):
    return [(r["row"], r["status"], r["errors"], r["message"]) for r in run.report]


def run_both(world, data, duplicates="skip", mode="partial"):
    """The same file through the service path and the bulk path; what each gave."""
    admin, actor = world["admin"], world["manager"]
    names = [r[0] for r in rows()[1:] if r[0]]
    results = []
    for threshold in (10_000, 1):
        set_threshold(admin, threshold)
        run = run_import(actor, data, profile(duplicates), mode=mode)
        bulk_entries = AuditEntry.objects.filter(action="customer.bulk_create", object_id=run.pk)
        assert bulk_entries.exists() == (threshold == 1)  # the path really taken
        shot = snapshot(names)
        counts = (run.created_count, run.updated_count, run.skipped_count, run.failed_count)
        results.append((counts, report(run), shot, run))
        # undo works on both paths and removes exactly what the run created
        created = set(run.records.filter(action="created").values_list("object_id", flat=True))
        run.refresh_from_db()
        if run.created_count:
            undo_run(actor=actor, run=run)
            run.refresh_from_db()
            assert run.status == RunStatus.UNDONE
            assert not Customer.objects.filter(pk__in=created).exists()
            assert Customer.all_objects.filter(
                pk__in=created, deleted_at__isnull=False
            ).count() == (len(created))
        Customer.all_objects.filter(pk__in=created).delete()  # a clean start for the next path
    return results


def test_bulk_and_service_paths_give_the_same_customers_and_refusals(world):
    (s_counts, s_report, s_shot, _), (b_counts, b_report, b_shot, _) = run_both(
        world, csv_bytes(rows())
    )
    assert s_counts == b_counts == (3, 0, 4, 5)
    assert s_report == b_report
    assert s_shot == b_shot
    # the rows that matter, spelled out
    by_row = {r[0]: r for r in b_report}
    assert "不是数字" in by_row[4][2]["员工人数"]
    assert "银行卡" in by_row[5][2]["备注"]
    assert by_row[6][1:] == ("skipped", {}, "已存在：上海澄明精密机械有限公司")
    # the manager may not see the north team's customer: it is not named
    assert by_row[7][1:] == ("skipped", {}, "已存在：（不在你的数据范围内）")
    assert by_row[8][1] == "skipped" and "重复" in by_row[8][3]  # a contact's phone
    assert by_row[9][1] == "skipped" and "重复" in by_row[9][3]  # a lead of the same name
    assert "找不到用户" in by_row[10][2]["负责人"]
    assert "数据范围" in by_row[11][2]["负责人"]  # rep2 is in another team
    assert by_row[13][1] == "failed"
    rep, mgr = world["rep"], world["manager"]
    assert b_shot["上海澄明精密机械有限公司"][0]["owner"] == rep.pk
    assert b_shot["上海澄明精密机械有限公司"][0]["team"] == rep.department_id
    assert b_shot["重庆新客户有限公司"][0]["owner"] == mgr.pk
    assert b_shot["杭州知行软件有限公司"][0]["owner"] == mgr.pk
    made = {name: s for name, s in b_shot.items() if name != "苏州已有客户有限公司"}
    grades = {name: (s[-1]["grade"], s[-1]["tier"]) for name, s in made.items()}
    assert grades == {
        "上海澄明精密机械有限公司": ("A", "vip"),
        "杭州知行软件有限公司": ("B", "normal"),
        "重庆新客户有限公司": ("A", "vip"),
    }


def test_create_policy_and_update_policy_agree_on_both_paths(world):
    # create: duplicates are taken as new customers; update: the in-file duplicate updates the
    # customer of row 2, the others fail (out of the manager's scope, or a phone/lead match)
    expected = {"create": (7, 0, 0, 5), "update": (3, 1, 0, 8)}
    for duplicates in ("create", "update"):
        (s_counts, s_report, s_shot, _), (b_counts, b_report, b_shot, _) = run_both(
            world, csv_bytes(rows()), duplicates=duplicates
        )
        assert s_counts == b_counts == expected[duplicates]
        assert s_report == b_report
        assert s_shot == b_shot


def test_strict_bulk_import_with_one_bad_row_writes_nothing(world):
    admin = world["admin"]
    set_threshold(admin, 1)
    admin = world["manager"]
    good = [r for r in rows() if r[0] in ("上海澄明精密机械有限公司", "杭州知行软件有限公司")]
    bad = ["南京坏数据有限公司", "制造业", "很多", "025-55550004", "", "", ""]
    before = Customer.objects.count()
    run = run_import(admin, csv_bytes([HEADER, *good, bad]), profile(), mode="strict")
    assert (run.created_count, run.failed_count) == (0, 1)
    assert "全部未导入" in run.message
    assert Customer.objects.count() == before
    assert not ImportedRecord.objects.exists()
    assert not AuditEntry.objects.filter(action="customer.bulk_create").exists()


def generated(n, start=0):
    return [
        [f"生成测试{i:05d}号精密机械有限公司", "制造业", str(10 + i), f"0512-6{i:06d}", "", "", ""]
        for i in range(start, start + n)
    ]


def test_partial_bulk_import_over_several_chunks_one_audit_entry_each(world, monkeypatch):
    admin = world["admin"]
    set_threshold(admin, 1)
    monkeypatch.setattr(bulk, "BULK_CHUNK_ROWS", 40)
    body = generated(100)
    body[10][2] = "很多"  # row 12
    body[70] = list(body[5])  # row 72: a duplicate of row 7, in another chunk
    body[95][6] = "身份证 110101199003074514"  # row 97
    run = run_import(admin, csv_bytes([HEADER, *body]), profile())
    assert (run.created_count, run.skipped_count, run.failed_count) == (97, 1, 2)
    assert {r["row"]: r["status"] for r in run.report} == {
        12: "failed",
        72: "skipped",
        97: "failed",
    }
    assert "身份证" in next(r for r in run.report if r["row"] == 97)["errors"]["备注"]
    entries = AuditEntry.objects.filter(action="customer.bulk_create").order_by("id")
    assert entries.count() == 3  # chunks of 40, 40 and 20 rows
    assert all(e.object_id == str(run.pk) for e in entries)
    assert (
        not AuditEntry.objects.filter(action="customer.create")
        .exclude(object_id__in=[str(world["existing"].pk), str(world["holder"].pk)])
        .exists()
    )
    assert run.records.filter(action="created").count() == 97
    # a second run with "skip duplicates" creates nothing new
    again = run_import(admin, csv_bytes([HEADER, *body]), profile())
    assert (again.created_count, again.skipped_count, again.failed_count) == (0, 98, 2)


def test_bulk_queries_do_not_grow_with_rows(world):
    admin = world["admin"]
    set_threshold(admin, 1)
    counts = []
    for n, start in ((20, 0), (200, 1000)):
        data = csv_bytes([HEADER, *generated(n, start)])
        with CaptureQueriesContext(connection) as queries:
            run = run_import(admin, data, profile())
        assert run.created_count == n
        statements = [q["sql"] for q in queries.captured_queries]
        inserts = [q for q in statements if q.startswith("INSERT")]
        counts.append((len(statements) - len(inserts), len(inserts)))
    # reads, savepoints and updates: the same for 20 rows as for 200 …
    assert counts[1][0] <= counts[0][0] + 2
    # … and the rows go in with multi-row INSERTs (SQLite splits them by its variable limit)
    assert counts[1][1] <= 20
    assert Contact.objects.count() == 1
