"""Search over pages, scripts and cases: Chinese terms without word segmentation, all terms
required, title hits first, a bigram fallback for phrases written differently, highlighted and
escaped snippets. Runs on SQLite and on PostgreSQL (DATABASE_URL)."""

import pytest
from django.urls import reverse

from salesflow.knowledge import search, selectors, services
from salesflow.knowledge.models import Kind

from .conftest import won_opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def content(people, b2b, wins_without_contract):
    manager = people["manager"]
    services.page_save(
        actor=manager,
        template_id=b2b.pk,
        stage_name="商务谈判",
        data={
            "what_to_do": "与客户谈价格和合同条款，守住折扣底线。",
            "mistakes": "被客户的价格异议牵着走，一次让到底。",
        },
        note="首次编写",
    )
    price = services.script_save(
        actor=manager,
        data={
            "title": "客户说价格太高",
            "script": "理解您对价格的顾虑。我们算一笔三年总成本的账……",
            "tags": "价格 异议",
            "stage_name": "商务谈判",
        },
        note="新建",
    )
    services.script_save(
        actor=manager,
        data={"title": "约见决策人", "script": "能否请您引荐一下负责采购的王总？"},
        note="新建",
    )
    opp = won_opportunity(people["rep"], name="苏州产线改造")
    case = services.case_save(
        actor=manager,
        data={
            "title": "苏州恒达：用 ROI 测算化解价格异议",
            "summary": "客户认为报价比竞品高 15%，我们用三年 ROI 测算赢得了订单。",
            "lessons": "<b>不要</b>先降价。",
            "opportunity_id": opp.pk,
        },
        note="新建",
    )
    return {"price": price, "case": case}


def test_chinese_terms_are_found_without_segmentation(people, content):
    hits = selectors.search_all(user=people["rep"], query="价格异议")
    assert [(h.kind, h.title) for h in hits] == [
        # literal matches first, the title hit before the body hit …
        (Kind.CASE, "苏州恒达：用 ROI 测算化解价格异议"),
        (Kind.PAGE, "商务谈判（标准B2B销售流程）"),
        # … then the script whose text has 价格 and 异议 apart (bigram match)
        (Kind.SCRIPT, "客户说价格太高"),
    ]
    assert [h.literal for h in hits] == [1, 1, 0]


def test_every_term_is_required_and_case_and_width_do_not_matter(people, content):
    hits = selectors.search_all(user=people["rep"], query="价格  三年")
    assert {h.title for h in hits} == {"客户说价格太高", "苏州恒达：用 ROI 测算化解价格异议"}
    assert [h.title for h in selectors.search_all(user=people["rep"], query="ｒｏｉ")] == [
        "苏州恒达：用 ROI 测算化解价格异议"
    ]
    assert selectors.search_all(user=people["rep"], query="价格 王总") == []


def test_bigram_fallback_finds_reworded_phrases(people, content):
    # no item holds "决策人引荐" literally; the script has 决策人 … 引荐
    hits = selectors.search_all(user=people["rep"], query="决策人引荐")
    assert [h.title for h in hits] == ["约见决策人"]
    assert selectors.search_all(user=people["rep"], query="物流仓储") == []


def test_snippets_highlight_and_escape(people, content):
    hits = selectors.search_all(user=people["rep"], query="先降价")
    assert len(hits) == 1
    assert "<mark>先降价</mark>" in hits[0].snippet
    assert "&lt;b&gt;" in hits[0].snippet and "<b>" not in hits[0].snippet


def test_snippet_windows_long_text():
    text = "甲" * 200 + "关键词" + "乙" * 200
    html = search.snippet(text, ["关键词"])
    assert html.startswith("…") and html.endswith("…")
    assert "<mark>关键词</mark>" in html and len(html) < 160


def test_search_needs_the_knowledge_right(people, content):
    assert selectors.search_all(user=people["marketing"], query="价格") == []


def test_search_page(client, people, content):
    client.force_login(people["rep"])
    response = client.get(reverse("knowledge:index"), {"q": "价格 异议"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<mark>价格</mark>" in html
    assert reverse("knowledge:script", args=[content["price"].pk]) in html
    html = client.get(reverse("knowledge:index"), {"q": "不存在的东西"}).content.decode()
    assert "没有找到相关内容" in html
