"""Default contract approval rules, and — in databases whose roles were created before the deals
module (new databases get them from ``org.default_roles``) — the rights the deal flow needs:
reps draft and submit their contracts, managers and finance approve contracts on the routing,
managers place orders. Rights are only added, never removed."""

from django.db import migrations

RULES = [
    ("常规合同", "0", None, ["sales_manager"], 10),
    ("大额或大折扣合同", "500000", "15", ["sales_manager", "sales_director"], 20),
    ("特大额合同", "1000000", None, ["sales_manager", "sales_director", "finance"], 30),
]
ADDED_RIGHTS = [
    # (role, object type, actions)
    ("sales_rep", "contract", ["add", "change"]),
    ("key_account_manager", "contract", ["add", "change"]),
    ("sales_manager", "contract", ["approve"]),
    ("sales_manager", "order", ["add", "change"]),
    ("finance", "contract", ["approve"]),
]


def load(apps, schema_editor):
    Rule = apps.get_model("deals", "ContractApprovalRule")
    if not Rule.objects.exists():
        for name, amount, discount, chain, priority in RULES:
            Rule.objects.create(
                name=name,
                min_amount=amount,
                min_discount_pct=discount,
                chain=chain,
                priority=priority,
            )
    RolePermission = apps.get_model("org", "RolePermission")
    for role, object_type, actions in ADDED_RIGHTS:
        row = RolePermission.objects.filter(role__code=role, object_type=object_type).first()
        if row is not None and (missing := [a for a in actions if a not in row.actions]):
            row.actions = [*row.actions, *missing]
            row.save(update_fields=["actions"])


def unload(apps, schema_editor):
    apps.get_model("deals", "ContractApprovalRule").objects.filter(
        name__in=[r[0] for r in RULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial"), ("org", "0002_default_roles")]

    operations = [migrations.RunPython(load, unload)]
