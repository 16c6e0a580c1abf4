from django.db import migrations

INDUSTRIES = [
    "制造业",
    "零售业",
    "服务业",
    "信息技术",
    "互联网",
    "医疗健康",
    "教育",
    "金融",
    "建筑与房地产",
    "物流运输",
    "能源化工",
    "政府与公共事业",
    "其他",
]
REGIONS = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"]


def load(apps, schema_editor):
    Industry = apps.get_model("customers", "Industry")
    Region = apps.get_model("customers", "Region")
    CustomerPool = apps.get_model("customers", "CustomerPool")
    for order, name in enumerate(INDUSTRIES):
        Industry.objects.get_or_create(name=name, defaults={"sort_order": order})
    for order, name in enumerate(REGIONS):
        Region.objects.get_or_create(name=name, defaults={"sort_order": order})
    CustomerPool.objects.get_or_create(name="公司公海")


def unload(apps, schema_editor):
    apps.get_model("customers", "CustomerPool").objects.filter(name="公司公海").delete()


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
