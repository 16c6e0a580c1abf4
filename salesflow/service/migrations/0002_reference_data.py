from django.db import migrations

COMPLAINT_TYPES = ["产品质量", "服务态度", "交付延迟", "安装调试", "售后响应", "价格与账务", "其他"]


def load(apps, schema_editor):
    ComplaintType = apps.get_model("service", "ComplaintType")
    for order, name in enumerate(COMPLAINT_TYPES):
        ComplaintType.objects.get_or_create(name=name, defaults={"sort_order": order})
    # Roles created before the maintenance module get its default rights (a cell an
    # administrator already set is kept).
    from salesflow.org.default_roles import ROLES, expand

    Role = apps.get_model("org", "Role")
    RolePermission = apps.get_model("org", "RolePermission")
    for spec in ROLES:
        role = Role.objects.filter(code=spec["code"]).first()
        if role is None:
            continue
        for object_type, actions, scope in expand(spec["rights"]):
            if object_type == "maintenance":
                RolePermission.objects.get_or_create(
                    role=role,
                    object_type=object_type,
                    defaults={"actions": actions, "data_scope": scope},
                )


def unload(apps, schema_editor):
    apps.get_model("org", "RolePermission").objects.filter(object_type="maintenance").delete()


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial"), ("org", "0003_rolepermission_free_object_type")]

    operations = [migrations.RunPython(load, unload)]
