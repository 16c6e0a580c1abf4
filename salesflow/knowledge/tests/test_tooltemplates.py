"""The blank tool templates are xlsx files built from the live definitions: read back with
openpyxl they list the current field labels, hints and drop-downs — and change when an
administrator changes a scorecard criterion, a complaint type or a stage output's form."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from salesflow.knowledge import tooltemplates
from salesflow.leads.models import Scorecard
from salesflow.pipeline.models import StageOutput

pytestmark = pytest.mark.django_db


def download(client, key):
    response = client.get(reverse("knowledge:tool_download", args=[key]))
    assert response.status_code == 200, key
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def header(sheet) -> list[str]:
    return [c.value for c in sheet[1] if c.value]


def validations(sheet) -> dict[str, str]:
    """{column letter: formula1} of the list drop-downs."""
    found = {}
    for dv in sheet.data_validations.dataValidation:
        if dv.type == "list":
            for cell_range in dv.sqref.ranges:
                found[cell_range.coord.split(":")[0].rstrip("0123456789")] = dv.formula1
    return found


def choices(workbook, formula: str) -> list[str]:
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet_name, ref = formula.split("!")
    cells = workbook[sheet_name.strip("'")][ref.replace("$", "")]
    return [row[0].value for row in cells]


def column_of(sheet, label) -> str:
    return next(c.column_letter for c in sheet[1] if c.value == label)


def test_every_template_downloads_with_labels_and_hints(client, people):
    client.force_login(people["rep"])
    keys = [t.key for t in tooltemplates.available()]
    for key in keys:
        workbook = download(client, key)
        sheet = workbook.worksheets[0]
        assert header(sheet), key
        assert all(sheet.cell(row=2, column=i + 1).value for i in range(len(header(sheet))))
        assert workbook["说明"]["A1"].value
    assert {
        "customer-info",
        "lead-score",
        "followup",
        "weekly-report",
        "monthly-report",
        "funnel",
        "complaint",
    } <= set(keys)
    html = client.get(reverse("knowledge:tools")).content.decode()
    assert "客户信息登记表" in html and "客户投诉处理与跟进表" in html


def test_customer_info_lists_the_lead_fields_and_live_lists(client, people):
    from salesflow.customers.models import Industry

    Industry.objects.create(name="新能源", sort_order=999)
    client.force_login(people["rep"])
    workbook = download(client, "customer-info")
    sheet = workbook.worksheets[0]
    labels = header(sheet)
    assert labels[:2] == ["公司名称", "行业"]
    assert {"联系人", "线索来源", "获取时间", "预计采购时间", "需求描述"} <= set(labels)
    hint = sheet.cell(row=2, column=1).value
    assert "必填" in hint and "文本" in hint
    industries = choices(workbook, validations(sheet)[column_of(sheet, "行业")])
    assert "制造业" in industries and "新能源" in industries


def test_scorecard_change_changes_the_download(client, people):
    client.force_login(people["rep"])
    scorecard = Scorecard.objects.get(is_active=True)
    criterion = scorecard.criteria.order_by("sort_order", "id").first()
    option = criterion.options.order_by("sort_order", "id").first()
    sheet = download(client, "lead-score").worksheets[0]
    assert criterion.name in header(sheet)

    criterion.name = "采购紧迫度（试点）"
    criterion.save()
    option.label, option.points = "本月就要", 33
    option.save()
    scorecard.a_min = 77
    scorecard.save()
    workbook = download(client, "lead-score")
    sheet = workbook.worksheets[0]
    labels = header(sheet)
    assert "采购紧迫度（试点）" in labels
    offered = choices(workbook, validations(sheet)[column_of(sheet, "采购紧迫度（试点）")])
    assert "本月就要（33分）" in offered
    total_hint = sheet.cell(row=2, column=labels.index("总分") + 1).value
    assert "≥77" in total_hint


def test_complaint_types_and_satisfaction_range(client, people):
    from salesflow.service.models import ComplaintType

    ComplaintType.objects.create(name="安装调试问题", sort_order=999)
    client.force_login(people["rep"])
    workbook = download(client, "complaint")
    sheet = workbook.worksheets[0]
    assert {"客户", "投诉类型", "投诉内容", "处理方案", "客户反馈", "改进建议"} <= set(
        header(sheet)
    )
    types = choices(workbook, validations(sheet)[column_of(sheet, "投诉类型")])
    assert "安装调试问题" in types and "产品质量" in types
    satisfaction = column_of(sheet, "满意度（1–5）")
    whole = [
        dv
        for dv in sheet.data_validations.dataValidation
        if dv.type == "whole" and str(dv.sqref).startswith(satisfaction)
    ]
    assert whole and (whole[0].formula1, whole[0].formula2) == ("1", "5")


def test_funnel_rows_are_the_template_stages(client, people, b2b):
    client.force_login(people["rep"])
    sheet = download(client, "funnel").worksheets[0]
    stages = [sheet.cell(row=r, column=2).value for r in range(3, 12)]
    assert stages[:6] == ["线索获取", "线索筛选", "初步接洽", "需求分析", "方案呈现", "商务谈判"]


def test_stage_output_forms_are_templates(client, people, b2b):
    output = StageOutput.objects.filter(
        kind="form",
        stage__version__template=b2b,
        stage__version__is_current=True,
        stage__name="需求分析",
    ).first()
    output.form_fields = [
        *output.form_fields,
        {
            "name": "budget_status",
            "label": "预算状态",
            "type": "choice",
            "required": True,
            "choices": ["已审批", "审批中", "未立项"],
        },
    ]
    output.save()
    client.force_login(people["rep"])
    workbook = download(client, f"output-{output.pk}")
    sheet = workbook.worksheets[0]
    assert "预算状态" in header(sheet)
    assert choices(workbook, validations(sheet)[column_of(sheet, "预算状态")]) == [
        "已审批",
        "审批中",
        "未立项",
    ]


def test_unknown_template_and_rights(client, people):
    client.force_login(people["rep"])
    assert client.get(reverse("knowledge:tool_download", args=["nope"])).status_code == 404
    client.force_login(people["marketing"])
    assert client.get(reverse("knowledge:tool_download", args=["funnel"])).status_code == 404
