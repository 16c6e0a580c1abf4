"""Best-practice cases link won opportunities only; the case text is for every sales role, the
linked deal's customer, amount and cycle only for readers whose scope reaches it."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from salesflow.knowledge import selectors, services
from salesflow.pipeline.models import Opportunity

from .conftest import lost_opportunity, make_opportunity, won_opportunity

pytestmark = pytest.mark.django_db

CASE = {"title": "华东汽配：三周拿下焊接产线", "summary": "用样件试焊打消技术疑虑。"}


def save_case(actor, opp, **extra):
    return services.case_save(
        actor=actor, data={**CASE, **extra, "opportunity_id": opp.pk}, note="新建"
    )


def test_only_won_opportunities_can_be_linked(people, wins_without_contract):
    manager = people["manager"]
    for opp in (make_opportunity(people["rep"]), lost_opportunity(people["rep"], name="丢单")):
        with pytest.raises(ValidationError) as exc:
            save_case(manager, opp)
        assert exc.value.error_dict["opportunity"][0].messages == ["标杆案例只能关联已赢单的商机。"]
    case = save_case(manager, won_opportunity(people["rep"], name="赢单"))
    assert case.version == 1
    # a later edit cannot move the link to an open opportunity either
    with pytest.raises(ValidationError):
        services.case_save(
            actor=manager,
            case_id=case.pk,
            data={"opportunity_id": make_opportunity(people["rep"], name="又一个").pk},
            note="改关联",
        )


def test_the_writer_must_see_the_opportunity(people, wins_without_contract):
    # the East manager does not see the North rep's won deal: no linking by a guessed id
    opp = won_opportunity(people["other_rep"], name="华北赢单")
    with pytest.raises(ValidationError) as exc:
        save_case(people["manager"], opp)
    assert "数据范围" in exc.value.error_dict["opportunity"][0].messages[0]
    assert save_case(people["director"], opp).pk


def test_deal_figures_follow_the_readers_scope(client, people, wins_without_contract):
    opp = won_opportunity(people["rep"], name="华东赢单", amount="480000")
    Opportunity.objects.filter(pk=opp.pk).update(
        created_at=opp.closed_at - datetime.timedelta(days=42)
    )
    case = save_case(people["manager"], opp, lessons="先做样件。")
    deals = selectors.case_deals(user=people["rep"], cases=[case])
    assert deals[case.pk].amount == opp.amount and deals[case.pk].cycle_days == 42
    assert selectors.case_deals(user=people["other_rep"], cases=[case]) == {}

    url = reverse("knowledge:case", args=[case.pk])
    client.force_login(people["rep"])
    html = client.get(url).content.decode()
    assert "先做样件。" in html and "480,000" in html and "42 天" in html
    assert opp.customer.name in html

    client.force_login(people["other_rep"])
    html = client.get(url).content.decode()
    assert "先做样件。" in html  # the text is for every sales role
    assert "480,000" not in html and opp.customer.name not in html and "42 天" not in html
    assert "不在您的数据范围内" in html
    html = client.get(reverse("knowledge:cases")).content.decode()
    assert CASE["title"] in html and opp.customer.name not in html


def test_case_form_offers_the_writers_won_opportunities(client, people, wins_without_contract):
    mine = won_opportunity(people["rep"], name="东区赢单")
    theirs = won_opportunity(people["other_rep"], name="北区赢单")
    make_opportunity(people["rep"], name="东区在跟")
    client.force_login(people["manager"])
    html = client.get(reverse("knowledge:case_create") + f"?opportunity={mine.pk}").content.decode()
    assert "东区赢单" in html and "北区赢单" not in html and "东区在跟" not in html
    response = client.post(
        reverse("knowledge:case_create"),
        {**CASE, "opportunity": theirs.pk, "note": "新建"},
    )
    assert response.status_code == 200 and "选择一个有效的选项" in response.content.decode()
    response = client.post(
        reverse("knowledge:case_create"), {**CASE, "opportunity": mine.pk, "note": ""}
    )
    assert "请填写本次修改了什么。" in response.content.decode()
    response = client.post(
        reverse("knowledge:case_create"), {**CASE, "opportunity": mine.pk, "note": "新建"}
    )
    assert response.status_code == 302


def test_editing_text_keeps_a_link_outside_the_editors_scope(client, people, wins_without_contract):
    north = won_opportunity(people["other_rep"], name="北区赢单", amount="880000")
    case = save_case(people["director"], north)
    manager = people["manager"]
    # the East manager improves the text; the link to the North deal stays and is not shown
    client.force_login(manager)
    url = reverse("knowledge:case_edit", args=[case.pk])
    html = client.get(url).content.decode()
    assert "原关联的商机（不在您的数据范围内）" in html
    assert "北区赢单" not in html and north.customer.name not in html
    response = client.post(
        url, {**CASE, "lessons": "先试焊再报价。", "opportunity": north.pk, "note": "补充经验"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.version == 2 and case.opportunity_id == north.pk
    # but moving the link to another deal outside the scope is refused
    other = won_opportunity(people["other_rep"], name="北区又一单")
    with pytest.raises(ValidationError):
        services.case_save(
            actor=manager, case_id=case.pk, data={"opportunity_id": other.pk}, note="改关联"
        )
