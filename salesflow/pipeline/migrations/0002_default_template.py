from django.db import migrations


def load(apps, schema_editor):
    from salesflow.pipeline.default_template import B2B, LOST_REASONS, PRODUCT_LINES

    ProcessTemplate = apps.get_model("pipeline", "ProcessTemplate")
    TemplateVersion = apps.get_model("pipeline", "TemplateVersion")
    Stage = apps.get_model("pipeline", "Stage")
    StageOutput = apps.get_model("pipeline", "StageOutput")
    Role = apps.get_model("org", "Role")
    LostReason = apps.get_model("pipeline", "LostReason")
    ProductLine = apps.get_model("pipeline", "ProductLine")
    for order, name in enumerate(LOST_REASONS):
        LostReason.objects.get_or_create(name=name, defaults={"sort_order": order})
    for order, name in enumerate(PRODUCT_LINES):
        ProductLine.objects.get_or_create(name=name, defaults={"sort_order": order})
    if ProcessTemplate.objects.filter(name=B2B["name"]).exists():
        return
    template = ProcessTemplate.objects.create(name=B2B["name"], description=B2B["description"])
    version = TemplateVersion.objects.create(
        template=template, number=1, is_current=True, change_note="初始版本"
    )
    roles = {r.code: r for r in Role.objects.all()}
    for order, spec in enumerate(B2B["stages"]):
        stage = Stage.objects.create(
            version=version,
            order=order,
            code=spec["code"],
            name=spec["name"],
            core_action=spec["core_action"],
            time_limit_rule=spec["rule"],
            time_limit_note=spec["note"],
            probability=spec["probability"],
            covered_by_lead=spec.get("covered_by_lead", False),
        )
        stage.responsible_roles.set([roles[c] for c in spec["roles"] if c in roles])
        for o_order, output in enumerate(spec["outputs"]):
            StageOutput.objects.create(
                stage=stage,
                order=o_order,
                code=output["code"],
                name=output["name"],
                kind=output["kind"],
                form_fields=output["fields"],
            )


def unload(apps, schema_editor):
    apps.get_model("pipeline", "ProcessTemplate").objects.filter(name="标准B2B销售流程").delete()


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0001_initial"), ("org", "0002_default_roles")]

    operations = [migrations.RunPython(load, unload)]
