"""The default rights on pilots and the migration that adds them to older databases."""

import importlib

import pytest
from django.apps import apps

from salesflow.org.models import RolePermission
from salesflow.org.rights import OBJECT_TYPES

pytestmark = pytest.mark.django_db


def test_default_rights_and_the_migration_for_older_databases(org):
    assert "pilot" in OBJECT_TYPES  # administrators can grant it on the roles page
    rows = {r.role.code: r for r in RolePermission.objects.filter(object_type="pilot")}
    assert set(rows["sales_director"].actions) == {"view", "add", "change", "approve"}
    assert set(rows["admin"].actions) == {"view", "add", "change", "approve"}
    assert set(rows["sales_manager"].actions) == {"view"}
    assert set(rows["sales_rep"].actions) == {"view"}
    assert "finance" not in rows and "customer_service" not in rows
    RolePermission.objects.filter(object_type="pilot").delete()
    migration = importlib.import_module("salesflow.pilots.migrations.0002_default_rights")
    migration.load(apps, None)
    assert RolePermission.objects.filter(object_type="pilot").count() == len(rows)
