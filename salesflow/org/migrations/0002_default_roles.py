from django.db import migrations


def create_roles(apps, schema_editor):
    from salesflow.org.default_roles import ROLES, expand

    Role = apps.get_model("org", "Role")
    RolePermission = apps.get_model("org", "RolePermission")
    for spec in ROLES:
        role, _ = Role.objects.update_or_create(
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "data_scope": spec["scope"],
                "description": spec["description"],
                "is_system": True,
            },
        )
        for object_type, actions, scope in expand(spec["rights"]):
            RolePermission.objects.update_or_create(
                role=role,
                object_type=object_type,
                defaults={"actions": actions, "data_scope": scope},
            )


def remove_roles(apps, schema_editor):
    from salesflow.org.default_roles import ROLES

    apps.get_model("org", "Role").objects.filter(code__in=[r["code"] for r in ROLES]).delete()


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]

    operations = [migrations.RunPython(create_roles, remove_roles)]
