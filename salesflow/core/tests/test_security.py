import time

import pytest
from django.test import RequestFactory
from django.urls import reverse

from salesflow.core.middleware import IdleTimeoutMiddleware, client_ip
from salesflow.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_five_failures_lock_the_user_and_ip(client, make_user):
    make_user("sales_rep", username="zhao.lei")
    for _ in range(5):
        client.post(reverse("login"), {"username": "zhao.lei", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "zhao.lei", "password": "pass-for-tests-1"}
    )
    assert response.status_code == 429
    assert "锁定" in response.content.decode()
    assert not AuditEntry.objects.filter(action="auth.login").exists()


def test_client_ip_trusts_only_configured_proxies(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"
    )
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.9"


def test_security_headers(client):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_admin_login_goes_to_the_one_sign_in_page(client, make_user):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(make_user("admin"))
    assert client.get("/admin/").status_code == 200
    client.force_login(make_user("sales_rep"))
    assert client.get("/admin/").status_code == 302


def test_idle_session_is_signed_out(client, make_user):
    user = make_user("sales_rep")
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session[IdleTimeoutMiddleware.KEY] = int(time.time()) - 13 * 3600  # default idle: 12h
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
