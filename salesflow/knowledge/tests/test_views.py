"""Pages and rights: every sales role reads; managers, directors and administrators write; a
role without the knowledge right sees nothing (404) and no navigation entry."""

import pytest
from django.urls import reverse

from salesflow.core.navigation import flat_entries_for
from salesflow.knowledge import services
from salesflow.knowledge.models import SalesScript

pytestmark = pytest.mark.django_db


def test_a_rep_reads_but_cannot_write(client, people, b2b):
    services.page_save(
        actor=people["manager"],
        template_id=b2b.pk,
        stage_name="需求分析",
        data={"what_to_do": "深度访谈，找到痛点和决策链。"},
        note="首次编写",
    )
    script = services.script_save(
        actor=people["manager"], data={"title": "开场白", "script": "您好"}, note="新建"
    )
    client.force_login(people["rep"])
    for url in (
        reverse("knowledge:index"),
        reverse("knowledge:handbook"),
        reverse("knowledge:page", args=[b2b.pk, "需求分析"]),
        reverse("knowledge:scripts"),
        reverse("knowledge:script", args=[script.pk]),
        reverse("knowledge:cases"),
        reverse("knowledge:tools"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "bi-pencil" not in response.content.decode(), url
    assert (
        "深度访谈"
        in client.get(reverse("knowledge:page", args=[b2b.pk, "需求分析"])).content.decode()
    )
    for url in (
        reverse("knowledge:page_edit", args=[b2b.pk, "需求分析"]),
        reverse("knowledge:page_edit", args=[b2b.pk, "初步接洽"]),
        reverse("knowledge:script_create"),
        reverse("knowledge:script_edit", args=[script.pk]),
        reverse("knowledge:case_create"),
    ):
        assert client.get(url).status_code == 404, url
        assert (
            client.post(
                url, {"what_to_do": "x", "title": "x", "script": "x", "note": "x"}
            ).status_code
            == 404
        )
    assert SalesScript.objects.get().version == 1
    assert any(e["url_name"] == "knowledge:index" for e in flat_entries_for(people["rep"]))


def test_no_right_no_pages_no_nav(client, people, b2b):
    client.force_login(people["marketing"])
    assert client.get(reverse("knowledge:index")).status_code == 404
    assert client.get(reverse("knowledge:page", args=[b2b.pk, "需求分析"])).status_code == 404
    assert not any(
        e["url_name"] == "knowledge:index" for e in flat_entries_for(people["marketing"])
    )


def test_a_manager_writes_pages_and_scripts(client, people, b2b):
    client.force_login(people["manager"])
    url = reverse("knowledge:page_edit", args=[b2b.pk, "方案呈现"])
    assert "首次编写" in client.get(url).content.decode()
    response = client.post(url, {"what_to_do": "按需求定制方案并演示。", "note": ""})
    assert response.status_code == 200 and "请填写本次修改了什么。" in response.content.decode()
    response = client.post(url, {"what_to_do": "按需求定制方案并演示。", "note": "首次编写"})
    assert response.status_code == 302
    assert client.get(reverse("knowledge:page_edit", args=[b2b.pk, "不存在"])).status_code == 404

    response = client.post(
        reverse("knowledge:script_create"),
        {
            "title": "演示后跟进",
            "script": "今天的演示您觉得哪部分最有用？",
            "stage_name": "方案呈现",
            "template": b2b.pk,
            "tags": "演示, 跟进",
            "note": "新建",
        },
    )
    script = SalesScript.objects.get()
    assert response.status_code == 302 and script.tag_list == ["演示", "跟进"]
    response = client.post(
        reverse("knowledge:script_edit", args=[script.pk]),
        {
            "title": "演示后跟进",
            "script": "今天的演示您觉得哪部分最有用？",
            "stage_name": "方案呈现",
            "template": b2b.pk,
            "tags": "演示, 跟进",
            "note": "没改内容",
        },
    )
    assert "内容与当前版本相同" in response.content.decode()
    html = client.get(reverse("knowledge:handbook")).content.decode()
    assert "按需求定制方案并演示。" in html and "尚未编写" in html


def test_script_list_filters_and_pages(client, people, b2b):
    for i in range(23):
        services.script_save(
            actor=people["director"],
            data={
                "title": f"话术{i:02d}",
                "script": "……",
                "stage_name": "商务谈判" if i % 2 else "",
                "tags": "谈判" if i % 2 else "通用",
            },
            note="新建",
        )
    client.force_login(people["rep"])
    html = client.get(reverse("knowledge:scripts")).content.decode()
    assert "共 23 条" in html and "第 1 / 2 页" in html
    html = client.get(reverse("knowledge:scripts"), {"stage": "商务谈判"}).content.decode()
    assert "共 11 条" in html
    html = client.get(reverse("knowledge:scripts"), {"tag": "通用"}).content.decode()
    assert "共 12 条" in html
    html = client.get(reverse("knowledge:scripts"), {"stage": "-"}).content.decode()
    assert "共 12 条" in html


def test_default_rights_and_the_migration_for_older_databases(people):
    import importlib

    from django.apps import apps

    from salesflow.org.models import RolePermission
    from salesflow.org.rights import OBJECT_TYPES

    assert "knowledge" in OBJECT_TYPES  # administrators can grant it on the roles page
    rows = {r.role.code: r for r in RolePermission.objects.filter(object_type="knowledge")}
    assert set(rows["sales_rep"].actions) == {"view"} and rows["sales_rep"].data_scope == "company"
    assert {"view", "add", "change"} <= set(rows["sales_manager"].actions)
    assert "marketing" not in rows and "finance" not in rows
    RolePermission.objects.filter(object_type="knowledge").delete()
    migration = importlib.import_module("salesflow.knowledge.migrations.0002_default_rights")
    migration.load(apps, None)
    assert RolePermission.objects.filter(object_type="knowledge").count() == len(rows)


def test_a_general_script_has_no_template(client, people):
    client.force_login(people["manager"])
    response = client.post(
        reverse("knowledge:script_create"),
        {
            "title": "请求转介绍",
            "script": "您身边……",
            "stage_name": "",
            "template": "",
            "note": "新建",
        },
    )
    assert response.status_code == 302
    script = SalesScript.objects.get()
    assert script.template_id is None and script.stage_name == ""
    from salesflow.knowledge.models import Revision

    assert Revision.objects.get(object_id=script.pk, kind="script").data["template_id"] is None
    html = client.get(reverse("knowledge:script", args=[script.pk])).content.decode()
    assert "所有流程" in html and "通用（不限阶段）" in html
