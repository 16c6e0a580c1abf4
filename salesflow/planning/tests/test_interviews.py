"""Process interviews: themes parsed from the form, the summary by theme, and the analysis
``interview_themes`` of the analysis registry (scope-restricted, with a bar chart)."""

import datetime

import pytest

from salesflow.analytics import registry
from salesflow.planning import services

pytestmark = pytest.mark.django_db


def test_parse_themes():
    assert services.parse_themes("审批慢，报表重复；审批慢\n 客户信息分散 、") == [
        "审批慢",
        "报表重复",
        "客户信息分散",
    ]
    assert services.parse_themes("") == []


def add(actor, who, themes, pain, suggestion="", day=datetime.date(2026, 10, 1)):
    return services.interview_create(
        actor=actor,
        data={
            "interviewee": who,
            "role": "销售代表",
            "pain_points": pain,
            "suggestions": suggestion,
            "interviewed_on": day,
        },
        themes=themes,
    )


def test_interview_themes_analysis(org):
    manager, manager2 = org["manager"], org["manager2"]
    add(
        manager,
        "甲",
        ["审批慢", "报表重复"],
        "折扣审批要等三天",
        "小额折扣经理直批",
        datetime.date(2026, 10, 3),
    )
    add(manager, "乙", ["审批慢"], "合同审批没人催", "审批超时自动提醒", datetime.date(2026, 10, 5))
    add(manager, "丙", ["客户信息分散"], "客户资料在个人 Excel 里", "", datetime.date(2026, 9, 1))
    add(manager2, "丁", ["审批慢"], "华北的痛点", "", datetime.date(2026, 10, 6))

    analysis = registry.get("interview_themes")
    assert analysis.object_type == "interview"
    result = analysis.compute(manager, registry.Params())
    assert [key for key, _label in result.columns] == [
        "theme",
        "count",
        "pain_points",
        "suggestions",
    ]
    rows = {r["theme"]: r for r in result.rows}
    assert result.rows[0]["theme"] == "审批慢"  # most frequent first
    assert rows["审批慢"]["count"] == 2  # 丁 is another department's interview
    assert rows["审批慢"]["pain_points"] == "合同审批没人催；折扣审批要等三天"  # latest first
    assert rows["审批慢"]["suggestions"] == "审批超时自动提醒；小额折扣经理直批"
    assert rows["报表重复"]["count"] == 1 and rows["客户信息分散"]["count"] == 1
    chart = result.chart
    assert chart["series"][0]["type"] == "bar"
    assert dict(zip(chart["yAxis"]["data"], chart["series"][0]["data"], strict=True)) == {
        "审批慢": 2,
        "报表重复": 1,
        "客户信息分散": 1,
    }
    headers, table = result.table()
    assert headers[0] == "主题" and len(table) == 3

    # a date range and the director's company-wide view
    october = analysis.compute(
        manager,
        registry.Params(date_from=datetime.date(2026, 10, 1), date_to=datetime.date(2026, 10, 31)),
    )
    assert {r["theme"] for r in october.rows} == {"审批慢", "报表重复"}
    everyone = analysis.compute(org["director"], registry.Params())
    assert {r["theme"]: r["count"] for r in everyone.rows}["审批慢"] == 3
    # a rep holds no right on interviews: nothing
    assert analysis.compute(org["rep"], registry.Params()).rows == []


def test_editing_an_interview_replaces_its_themes(org):
    i = add(org["manager"], "甲", ["审批慢"], "x")
    services.interview_update(
        actor=org["manager"], interview_id=i.pk, data={"role": "销售经理"}, themes=["报表重复"]
    )
    i.refresh_from_db()
    assert [t.name for t in i.themes.all()] == ["报表重复"] and i.role == "销售经理"


def test_theme_summary_export(client, org):
    add(org["manager"], "甲", ["审批慢"], '=HYPERLINK("x")', "建议")
    client.force_login(org["manager"])
    response = client.get("/planning/interviews/themes/?format=csv")
    body = response.content.decode("utf-8-sig")
    assert response.status_code == 200 and "审批慢" in body
    assert "'=HYPERLINK" in body  # formula neutralised
    client.force_login(org["rep"])
    assert client.get("/planning/interviews/themes/?format=csv").status_code == 404
