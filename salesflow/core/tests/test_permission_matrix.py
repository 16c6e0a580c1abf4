"""Every page of ours × every role: never a server error, never a page for a role without the
right. The URL list is generated from the URL conf, so a new page cannot be forgotten."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from salesflow.org.default_roles import ROLES

pytestmark = pytest.mark.django_db

# Pages anyone signed in may open; everything else must answer 404 without the right.
OPEN_TO_ALL = {
    "approvals:inbox",
    "home",
    "password_change",
    "password_change_done",
    "logout",
    "login",
    "set_language",
    "healthz",
    # personal notification pages (only the user's own messages and preferences)
    "activities:notifications",
    "activities:notifications_read_all",
    "activities:preferences",
    # personal API tokens (each user manages only their own)
    "api_tokens",
    # data import: lists only what the user may import (each entity checks its own add right),
    # their own import history and the profiles of those entities
    "imports:index",
    "imports:profiles",
}
# Pages that need path arguments are covered by their own tests (scope, history, settings).
# The REST API ("api-1") answers 401/403/404 in JSON, not the login redirect: its operations
# × roles matrix is salesflow/api/tests/test_operation_matrix.py.
SKIP_NAMESPACES = {"admin", "api-1"}


def _walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if ns in SKIP_NAMESPACES:
                continue
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            if "<" in route or "(?P" in route or not entry.name:
                continue
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, "/" + route.lstrip("^").rstrip("$")


def our_pages():
    return sorted(set(_walk(get_resolver().url_patterns)))


def required_right(view_name):
    from django.urls import resolve, reverse

    view = resolve(reverse(view_name)).func
    return getattr(view, "required_right", None)


@pytest.mark.parametrize("role_code", [r["code"] for r in ROLES])
def test_every_page_for_every_role(client, make_user, role_code):
    from salesflow.core.scope import has_right

    user = make_user(role_code)
    client.force_login(user)
    for name, path in our_pages():
        if name == "healthz":  # 503 without a worker is its job; tested in test_jobs
            continue
        response = client.get(path)
        assert response.status_code < 500, (name, path, response.status_code)
        right = required_right(name)
        if right is not None:
            expected = 200 if has_right(user, *right) else 404
            assert response.status_code == expected, (role_code, name, right)
        else:
            assert name in OPEN_TO_ALL or response.status_code in (200, 302, 404, 405), name


def test_anonymous_is_sent_to_login(client):
    for name, path in our_pages():
        if name in OPEN_TO_ALL:
            continue
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


def test_every_named_page_declares_its_right_or_is_open():
    from django.urls import resolve

    for name, path in our_pages():
        if name in OPEN_TO_ALL:
            continue
        view = resolve(path).func
        assert getattr(view, "required_right", None), f"{name} does not declare required_right"


def test_every_navigation_entry_resolves():
    from django.urls import reverse

    from salesflow.core.navigation import _entries

    for entry in _entries:
        if entry.url_name.startswith(("customers:", "leads:")):
            continue  # pages of the module under construction
        assert reverse(entry.url_name)
