"""The demo step: a page for every stage of the default template (one with a second version),
a dozen scripts, two cases on won opportunities — rep.east's own and another region's —;
running it again changes nothing."""

import random

import pytest

from salesflow.knowledge import demo as knowledge_demo
from salesflow.knowledge import selectors
from salesflow.knowledge.models import BestCase, HandbookPage, Revision, SalesScript
from salesflow.org.demo import SeedContext

from .conftest import make_opportunity, won_opportunity

pytestmark = pytest.mark.django_db


def test_demo_step(people, b2b, wins_without_contract):
    east = won_opportunity(people["rep"], name="东区大单", amount="500000")
    won_opportunity(people["rep"], name="东区小单", amount="100000")
    north = won_opportunity(people["other_rep"], name="北区大单", amount="800000")
    make_opportunity(people["other_rep"], name="北区在跟", amount="900000")
    ctx = SeedContext(
        seed=1,
        random=random.Random(1),
        users={
            "director": people["director"],
            "manager.east": people["manager"],
            "rep.east.1": people["rep"],
            "rep.north.1": people["other_rep"],
        },
    )
    knowledge_demo.seed_knowledge(ctx)

    stage_names = set(selectors.template_stage_names(b2b))
    assert set(HandbookPage.objects.values_list("stage_name", flat=True)) == stage_names
    page = HandbookPage.objects.get(stage_name="需求分析")
    assert page.version == 2 and "是否已审批" in page.what_to_do
    assert SalesScript.objects.count() == 12
    assert SalesScript.objects.filter(stage_name="").count() == 1
    cases = {c.title: c for c in BestCase.objects.all()}
    assert len(cases) == 2
    assert {c.opportunity_id for c in cases.values()} == {east.pk, north.pk}
    # rep.east sees the figures of the own deal's case only
    deals = selectors.case_deals(user=people["rep"], cases=list(cases.values()))
    assert [deals[c.pk].opportunity for c in cases.values() if c.pk in deals] == [east]

    revisions = Revision.objects.count()
    knowledge_demo.seed_knowledge(ctx)
    assert Revision.objects.count() == revisions
    assert BestCase.objects.count() == 2 and SalesScript.objects.count() == 12
