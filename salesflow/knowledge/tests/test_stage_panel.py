"""The opportunity page shows the handbook page and scripts of its *current* stage only, to
users who may read the knowledge base, for at most two more queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from salesflow.knowledge import services
from salesflow.knowledge.panel import stage_guidance_panel
from salesflow.pipeline import stage_panels

from .conftest import make_opportunity

pytestmark = pytest.mark.django_db


def write(people, b2b):
    manager = people["manager"]
    for stage, text in [("初步接洽", "确认需求，约访关键人。"), ("需求分析", "画出决策链。")]:
        services.page_save(
            actor=manager,
            template_id=b2b.pk,
            stage_name=stage,
            data={"what_to_do": text, "mistakes": f"{stage}的常见错误"},
            note="首次编写",
        )
    for stage, title in [("初步接洽", "开场白：介绍价值"), ("需求分析", "追问预算的问法")]:
        services.script_save(
            actor=manager,
            data={"title": title, "script": f"{title}……", "stage_name": stage},
            note="新建",
        )
    services.script_save(actor=manager, data={"title": "通用寒暄", "script": "您好……"}, note="新建")


def test_the_current_stage_guidance_only(client, people, b2b):
    write(people, b2b)
    rep = people["rep"]
    opp = make_opportunity(rep)
    assert opp.stage.name == "初步接洽"
    client.force_login(rep)
    html = client.get(reverse("pipeline:detail", args=[opp.pk])).content.decode()
    assert "本阶段手册与话术" in html
    assert "确认需求，约访关键人。" in html and "开场白：介绍价值" in html
    assert "画出决策链。" not in html and "追问预算的问法" not in html
    assert "通用寒暄" not in html


def test_no_panel_without_the_right(client, people, b2b, make_user):
    write(people, b2b)
    opp = make_opportunity(people["rep"])
    expert = make_user("product_expert", username="expert")
    # product experts read the knowledge base; finance does not
    finance = make_user("finance", username="fin")
    client.force_login(people["director"])
    assert (
        "本阶段手册与话术" in client.get(reverse("pipeline:detail", args=[opp.pk])).content.decode()
    )

    class Request:
        user = finance

    assert stage_guidance_panel(request=Request, opportunity=opp, stage=opp.stage) == ""
    Request.user = expert
    assert "确认需求" in stage_guidance_panel(request=Request, opportunity=opp, stage=opp.stage)


def test_the_panel_adds_at_most_two_queries(client, people, b2b):
    write(people, b2b)
    rep = people["rep"]
    opp = make_opportunity(rep)
    client.force_login(rep)
    url = reverse("pipeline:detail", args=[opp.pk])
    client.get(url)  # warm caches (content types, settings)
    with CaptureQueriesContext(connection) as with_panel:
        assert client.get(url).status_code == 200
    stage_panels._panels.remove(stage_guidance_panel)
    try:
        with CaptureQueriesContext(connection) as without_panel:
            html = client.get(url).content.decode()
        assert "本阶段手册与话术" not in html
    finally:
        stage_panels.register(stage_guidance_panel)
    assert len(with_panel.captured_queries) - len(without_panel.captured_queries) <= 2
