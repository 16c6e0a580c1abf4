"""In databases whose roles were created before the targets module (new databases get them from
``org.default_roles``): reps and key account managers write and submit their own weekly/monthly
reports; managers review them (comment, record variance reasons: the "approve" right of
``report``). Rights are only added, never removed."""

from django.db import migrations

ADDED_RIGHTS = [
    # (role, object type, actions)
    ("sales_rep", "report", ["add", "change"]),
    ("key_account_manager", "report", ["add", "change"]),
    ("sales_manager", "report", ["add", "change", "approve"]),
]


def load(apps, schema_editor):
    RolePermission = apps.get_model("org", "RolePermission")
    for role, object_type, actions in ADDED_RIGHTS:
        row = RolePermission.objects.filter(role__code=role, object_type=object_type).first()
        if row is not None and (missing := [a for a in actions if a not in row.actions]):
            row.actions = [*row.actions, *missing]
            row.save(update_fields=["actions"])


class Migration(migrations.Migration):
    dependencies = [("targets", "0001_initial"), ("org", "0002_default_roles")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
