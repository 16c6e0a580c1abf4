"""In databases whose roles were created before the incentives module (new databases get them
from ``org.default_roles``): the rights on scorecards, commission statements and contests.
Only missing rows are added; an administrator's changes are kept."""

from django.db import migrations

OBJECT_TYPES = ("scorecard", "commission", "contest")


def load(apps, schema_editor):
    from salesflow.org.default_roles import ROLES, expand

    Role = apps.get_model("org", "Role")
    RolePermission = apps.get_model("org", "RolePermission")
    for spec in ROLES:
        role = Role.objects.filter(code=spec["code"]).first()
        if role is None:
            continue
        for object_type, actions, scope in expand(spec["rights"]):
            if object_type not in OBJECT_TYPES:
                continue
            RolePermission.objects.get_or_create(
                role=role,
                object_type=object_type,
                defaults={"actions": actions, "data_scope": scope},
            )


class Migration(migrations.Migration):
    dependencies = [
        ("incentives", "0001_initial"),
        ("org", "0003_rolepermission_free_object_type"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
