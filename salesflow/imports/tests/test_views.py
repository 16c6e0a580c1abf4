"""The import pages: upload → mapping → preview → run → result, error report, undo, profiles,
and who sees which run."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from salesflow.customers.models import Customer
from salesflow.imports.models import ImportProfile, ImportRun, RunStatus

from .conftest import CUSTOMER_HEADER, csv_bytes

pytestmark = pytest.mark.django_db

ROWS = [
    ["上海澄明精密机械有限公司", "制造业", "120", "", ""],
    ["南京坏数据有限公司", "制造业", "很多", "", ""],
]


def _upload(client, data, entity="customer"):
    return client.post(
        reverse("imports:index"),
        {"entity": entity, "file": SimpleUploadedFile("客户.csv", data)},
    )


def _mapping_post(run, **extra):
    data = {
        "header_row": 1,
        "duplicates": "skip",
        "col_name": "客户名称",
        "col_industry": "行业",
        "col_employees": "员工人数",
        **extra,
    }
    return data


def test_upload_map_preview_run_and_undo(client, people):
    client.force_login(people["admin"])
    response = _upload(client, csv_bytes([CUSTOMER_HEADER, *ROWS], "gbk"))
    run = ImportRun.objects.get()
    assert response.url == reverse("imports:mapping", args=[run.pk])

    page = client.get(response.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<option value="客户名称" selected>' in html  # suggested from the header

    response = client.post(
        reverse("imports:mapping", args=[run.pk]),
        _mapping_post(run, profile_name="客户名单（GBK）", map_industry="制造 => 制造业"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert ImportProfile.objects.get().config["value_maps"] == {"industry": {"制造": "制造业"}}

    page = client.get(reverse("imports:preview", args=[run.pk]))
    html = page.content.decode()
    assert "“很多”不是数字。" in html
    assert "有错误" in html and "可导入" in html
    assert not Customer.objects.exists()

    response = client.post(reverse("imports:preview", args=[run.pk]), {"mode": "partial"})
    assert response.url == reverse("imports:detail", args=[run.pk])
    run.refresh_from_db()
    assert (run.status, run.created_count, run.failed_count) == (RunStatus.DONE, 1, 1)
    html = client.get(response.url).content.decode()
    assert "南京坏数据有限公司" not in html or "很多" in html
    assert "撤销导入" in html

    download = client.get(reverse("imports:error_report", args=[run.pk]))
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(download.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("行号", "结果", "原因")
    assert values[1][0] == 3 and "不是数字" in values[1][2] and "南京坏数据有限公司" in values[1]

    client.post(reverse("imports:undo", args=[run.pk]))
    assert not Customer.objects.exists()
    run.refresh_from_db()
    assert run.status == RunStatus.UNDONE


def test_dry_run_then_run_for_real(client, people):
    client.force_login(people["admin"])
    _upload(client, csv_bytes([CUSTOMER_HEADER, ROWS[0]]))
    run = ImportRun.objects.get()
    client.post(reverse("imports:mapping", args=[run.pk]), _mapping_post(run))
    client.post(reverse("imports:preview", args=[run.pk]), {"mode": "strict", "dry_run": "on"})
    run.refresh_from_db()
    assert run.dry_run and run.created_count == 1 and not Customer.objects.exists()
    response = client.post(reverse("imports:run_again", args=[run.pk]), {"mode": "strict"})
    real = ImportRun.objects.exclude(pk=run.pk).get()
    assert response.url == reverse("imports:detail", args=[real.pk])
    assert Customer.objects.count() == 1


def test_a_rep_sees_only_own_runs_and_cannot_pick_users(client, people):
    client.force_login(people["admin"])
    _upload(client, csv_bytes([CUSTOMER_HEADER, ROWS[0]]))
    admin_run = ImportRun.objects.get()
    client.force_login(people["rep"])
    page = client.get(reverse("imports:index")).content.decode()
    assert 'value="customer"' in page and 'value="user"' not in page
    assert client.get(reverse("imports:detail", args=[admin_run.pk])).status_code == 404
    assert client.get(reverse("imports:error_report", args=[admin_run.pk])).status_code == 404
    response = _upload(client, csv_bytes([["姓名"], ["张三"]]), entity="user")
    assert response.status_code == 200  # the form refuses the choice
    assert ImportRun.objects.count() == 1


def test_progress_panel_for_a_queued_run(client, people):
    client.force_login(people["admin"])
    _upload(client, csv_bytes([CUSTOMER_HEADER, ROWS[0]]))
    run = ImportRun.objects.get()
    ImportRun.objects.filter(pk=run.pk).update(status=RunStatus.QUEUED, total_rows=10,
                                               processed_rows=4)  # fmt: skip
    html = client.get(reverse("imports:progress", args=[run.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in html and 'value="40"' in html


def test_profiles_export_and_import(client, people):
    client.force_login(people["admin"])
    profile = {"entity": "customer", "name": "老系统客户", "columns": {"name": "客户"}}
    response = client.post(
        reverse("imports:profiles"),
        {"file": SimpleUploadedFile("p.json", json.dumps(profile, ensure_ascii=False).encode())},
    )
    assert response.status_code == 302
    saved = ImportProfile.objects.get(name="老系统客户")
    exported = client.get(reverse("imports:profile_export", args=[saved.pk]))
    assert json.loads(exported.content)["columns"] == {"name": "客户"}
    bad = client.post(
        reverse("imports:profiles"), {"file": SimpleUploadedFile("p.json", b'{"entity": "x"}')}
    )
    assert "未知的导入对象" in bad.content.decode()
    assert "数据导入" in client.get(reverse("imports:profiles")).content.decode()
