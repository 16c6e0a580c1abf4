"""Rights and scope of imports, opportunities with their stage history, the background path,
the error report download and the import_data command."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command

from salesflow.customers.models import Customer
from salesflow.customers.services import customer_create
from salesflow.deals.models import Product
from salesflow.imports.engine import load_sheet
from salesflow.imports.mapping import Profile
from salesflow.imports.models import ImportRun, RunStatus
from salesflow.imports.services import run_start, run_upload
from salesflow.org.models import User
from salesflow.pipeline.models import Opportunity, OpportunityStatus, ProductLine, StageEvent

from .conftest import CUSTOMER_HEADER, csv_bytes, customer_profile, run_import

pytestmark = pytest.mark.django_db


def test_a_rep_cannot_import_users(people):
    from salesflow.core.errors import NotAllowed

    data = csv_bytes([["姓名", "用户名"], ["张三", "zhangsan"]])
    with pytest.raises(NotAllowed):
        run_upload(actor=people["rep"], entity_key="user", file_name="u.csv", data=data)
    assert not User.objects.filter(username="zhangsan").exists()


def test_an_administrator_imports_users_with_teams_and_managers(people):
    data = csv_bytes(
        [
            ["姓名", "经理", "区域"],
            ["Anna Snelling", "Dustin Brinkmann", "Central"],
            ["Cecily Lampkin", "Dustin Brinkmann", "Central"],
        ]
    )
    profile = {
        "entity": "user",
        "columns": {"display_name": "姓名", "manager": "经理", "parent_department": "区域"},
        "compose": {"department": "{区域} - {经理}"},
        "defaults": {"roles": "sales_rep"},
        "create_missing": ["department", "manager"],
    }
    run = run_import(people["admin"], data, profile)
    assert run.created_count == 2, run.report
    anna = User.objects.get(username="anna.snelling")
    assert anna.manager.display_name == "Dustin Brinkmann"
    assert anna.department.name == "Central - Dustin Brinkmann"
    assert anna.department.parent.name == "Central"
    assert [r.code for r in anna.roles.all()] == ["sales_rep"]
    assert anna.manager.roles.get().code == "sales_manager"
    # undo deactivates the users and removes the teams it created
    from salesflow.imports.undo import undo_run

    run.refresh_from_db()
    undo_run(actor=people["admin"], run=run)
    assert not User.objects.filter(username="anna.snelling", is_active=True).exists()
    assert not User.objects.filter(display_name="Dustin Brinkmann", is_active=True).exists()


def test_a_duplicate_outside_the_reps_scope_is_not_shown(people):
    customer_create(actor=people["other"], data={"name": "深圳远景电子", "phone": "0755-1"})
    data = csv_bytes([CUSTOMER_HEADER, ["深圳远景电子", "", "", "", ""]])
    run = run_import(people["rep"], data, customer_profile())
    assert run.skipped_count == 1
    entry = run.report[0]
    assert "不在你的数据范围内" in entry["message"]
    assert "赵强" not in json.dumps(run.report, ensure_ascii=False)
    run = run_import(people["rep"], data, customer_profile(duplicates="update"))
    assert run.failed_count == 1
    assert "不在你可修改的数据范围内" in run.report[0]["message"]
    assert Customer.objects.get(name="深圳远景电子").owner == people["other"]


def test_a_rep_cannot_assign_imported_customers_to_others(people):
    header = [*CUSTOMER_HEADER, "负责人"]
    data = csv_bytes([header, ["甲公司", "", "", "", "", "rep2"]])
    columns = {**customer_profile()["columns"], "owner": "负责人"}
    run = run_import(people["rep"], data, customer_profile(columns=columns))
    assert run.failed_count == 1
    assert "分配" in json.dumps(run.report, ensure_ascii=False)
    assert not Customer.objects.exists()


@pytest.fixture
def pipeline_data(people):
    admin = people["admin"]
    line = ProductLine.objects.create(name="GTX")
    Product.objects.create(
        product_line=line, name="GTX Pro", list_price=4821, standard_cost=0, unit="台"
    )
    for name in ("Acme", "Betatech"):
        customer_create(actor=admin, data={"name": name}, owner=None)
    return admin


PIPE_HEADER = ["opportunity_id", "sales_agent", "product", "account", "deal_stage",
               "engage_date", "close_date", "close_value"]  # fmt: skip


def _pipeline_profile():
    from pathlib import Path

    path = (
        Path(__file__).resolve().parents[3] / "examples/import-profiles/maven-sales-pipeline.json"
    )
    return json.loads(path.read_text(encoding="utf-8"))


def test_opportunities_import_with_their_stage_events(pipeline_data, people):
    rows = [
        ["A1", "管理员", "GTXPro", "Acme", "Prospecting", "", "", ""],
        ["A2", "管理员", "GTXPro", "Acme", "Engaging", "2017-01-05", "", ""],
        ["A3", "管理员", "GTX Pro", "Betatech", "Won", "2017-01-05", "2017-02-10", "4514"],
        ["A4", "管理员", "GTXPro", "Betatech", "Lost", "2017-01-06", "2017-03-01", "0"],
        ["A5", "管理员", "GTXPro", "", "Engaging", "2017-01-07", "", ""],
    ]
    run = run_import(pipeline_data, csv_bytes([PIPE_HEADER, *rows]), _pipeline_profile())
    assert (run.created_count, run.failed_count) == (4, 1)
    assert run.report[0]["row"] == 6
    assert "客户名称" in run.report[0]["errors"]  # the open deal without an account, reported
    assert "product: GTXPro → GTX Pro" in run.message

    won = Opportunity.objects.get(name="GTX Pro - Betatech (A3)")
    assert won.status == OpportunityStatus.WON and won.amount == 4514
    kinds = list(won.events.values_list("kind", "to_stage__code"))
    assert kinds == [
        ("create", "initial_contact"),
        ("advance", "needs_analysis"),
        ("won", "needs_analysis"),
    ]
    won_event = won.events.get(kind=StageEvent.Kind.WON)
    assert won_event.at.date() == datetime.date(2017, 2, 10)
    assert won.events.get(kind="create").at.date() == datetime.date(2017, 1, 5)
    assert won.product_lines.get().name == "GTX"
    lost = Opportunity.objects.get(name__endswith="(A4)")
    assert lost.status == OpportunityStatus.LOST and lost.lost_reason.name == "其他"
    prospect = Opportunity.objects.get(name__endswith="(A1)")
    assert prospect.stage.code == "initial_contact" and prospect.is_open
    # re-running with skip creates nothing new
    again = run_import(pipeline_data, csv_bytes([PIPE_HEADER, *rows]), _pipeline_profile())
    assert (again.created_count, again.skipped_count, again.failed_count) == (0, 4, 1)


def test_large_files_run_as_a_background_job(people, django_capture_on_commit_callbacks):
    rows = [[f"后台客户{i:03d}", "", "", "", ""] for i in range(30)]
    data = csv_bytes([CUSTOMER_HEADER, *rows])
    profile = Profile.from_json(customer_profile())
    run = run_upload(actor=people["admin"], entity_key="customer", file_name="big.csv", data=data)
    run.config = profile.to_json()
    run.save()
    from salesflow.core.models import SettingValue
    from salesflow.core.settings_registry import forget_cached_settings

    SettingValue.objects.create(key="import.background_rows", value=10)
    forget_cached_settings()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queued = run_start(actor=people["admin"], run=run, mode="partial", dry_run=False)
        assert queued.status == RunStatus.QUEUED
    assert len(callbacks) == 1
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert (run.created_count, run.processed_rows, run.progress_percent) == (30, 30, 100)
    assert Customer.objects.count() == 30


def test_cli_prints_counts_and_error_rows(people, tmp_path):
    data = csv_bytes([CUSTOMER_HEADER, ["甲公司", "制造业", "10", "", ""],
                      ["乙公司", "制造业", "很多", "", ""]])  # fmt: skip
    (tmp_path / "c.csv").write_bytes(data)
    (tmp_path / "p.json").write_text(json.dumps(customer_profile()), encoding="utf-8")
    out = io.StringIO()
    call_command(
        "import_data", str(tmp_path / "c.csv"), profile=str(tmp_path / "p.json"), user="admin",
        dry_run=True, stdout=out,
    )  # fmt: skip
    assert "created=1 updated=0 skipped=0 failed=1" in out.getvalue()
    assert "第 3 行" in out.getvalue()
    assert not Customer.objects.exists()
    out = io.StringIO()
    call_command(
        "import_data", str(tmp_path / "c.csv"), profile=str(tmp_path / "p.json"), user="admin",
        mode="strict", stdout=out,
    )  # fmt: skip
    assert "failed=1" in out.getvalue() and not Customer.objects.exists()
    call_command(
        "import_data", str(tmp_path / "c.csv"), profile=str(tmp_path / "p.json"), user="admin",
        stdout=io.StringIO(),
    )  # fmt: skip
    assert list(Customer.objects.values_list("name", flat=True)) == ["甲公司"]
    assert ImportRun.objects.filter(dry_run=False).count() == 2
    with pytest.raises(CommandError):
        call_command(
            "import_data", str(tmp_path / "c.csv"), profile=str(tmp_path / "p.json"), user="nobody"
        )


def test_sheet_reads_header_from_profile(people):
    data = csv_bytes([["标题"], CUSTOMER_HEADER, ["甲公司", "", "", "", ""]])
    profile = Profile.from_json(customer_profile(header_row=2))
    sheet = load_sheet(data, profile)
    assert sheet.header_row == 2 and len(sheet.rows) == 1
