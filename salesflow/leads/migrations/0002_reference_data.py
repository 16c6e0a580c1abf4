from django.db import migrations

SOURCES = [
    ("展会", False),
    ("官网", False),
    ("渠道", False),
    ("转介绍", True),
    ("抖音广告", False),
    ("陌拜", False),
    ("电话营销", False),
    ("其他", False),
]

# 线索评分表: industry fit, size, need intent, budget, timing (SPEC S1); 100 points in all.
SCORECARD = [
    ("行业匹配度", [("目标行业", 20), ("相关行业", 10), ("非目标行业", 0)]),
    ("企业规模", [("500人以上", 20), ("100–499人", 15), ("20–99人", 8), ("20人以下", 2)]),
    ("需求意向", [("明确痛点并主动询价", 25), ("有痛点待确认", 15), ("仅了解", 5)]),
    ("预算", [("已批预算", 20), ("有预算未审批", 12), ("无预算", 0)]),
    ("采购时间", [("1个月内", 15), ("3个月内", 10), ("6个月以上", 3)]),
]


def load(apps, schema_editor):
    LeadSource = apps.get_model("leads", "LeadSource")
    Scorecard = apps.get_model("leads", "Scorecard")
    ScoreCriterion = apps.get_model("leads", "ScoreCriterion")
    ScoreOption = apps.get_model("leads", "ScoreOption")
    for order, (name, referral) in enumerate(SOURCES):
        LeadSource.objects.get_or_create(
            name=name, defaults={"sort_order": order, "is_referral": referral}
        )
    if Scorecard.objects.exists():
        return
    card = Scorecard.objects.create(name="标准线索评分表", is_active=True, a_min=80, b_min=60)
    for c_order, (criterion, options) in enumerate(SCORECARD):
        row = ScoreCriterion.objects.create(scorecard=card, name=criterion, sort_order=c_order)
        for o_order, (label, points) in enumerate(options):
            ScoreOption.objects.create(
                criterion=row, label=label, points=points, sort_order=o_order
            )


def unload(apps, schema_editor):
    apps.get_model("leads", "Scorecard").objects.filter(name="标准线索评分表").delete()


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
