"""Test support: put back the reference data that data migrations create (roles, reference
lists, the default process template) after a transactional test flushed the database."""

import importlib

from django.apps import apps

DATA_MIGRATIONS = [
    ("salesflow.org.migrations.0002_default_roles", "create_roles"),
    ("salesflow.customers.migrations.0002_reference_data", "load"),
    ("salesflow.leads.migrations.0002_reference_data", "load"),
    ("salesflow.pipeline.migrations.0002_default_template", "load"),
    ("salesflow.service.migrations.0002_reference_data", "load"),
]


def ensure_reference_data() -> None:
    from salesflow.org.models import Role

    if Role.objects.exists():
        return
    for module_name, function in DATA_MIGRATIONS:
        getattr(importlib.import_module(module_name), function)(apps, None)
