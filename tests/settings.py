"""Test settings: the product's settings plus a small app of owned models for scope tests."""

from salesflow.settings import *  # noqa: F403
from salesflow.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.scopeapp"]

# Argon2 is deliberately slow; tests hash many passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
