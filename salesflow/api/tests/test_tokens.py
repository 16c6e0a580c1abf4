"""Personal access tokens: created and shown once, hashed at rest, scoped, expiring, revocable,
audited; the browser session with CSRF; the token pages."""

import datetime
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from salesflow.api import services
from salesflow.api.models import ApiToken
from salesflow.core.models import AuditEntry
from salesflow.leads.models import LeadSource

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


def lead_body(**extra):
    source = LeadSource.objects.filter(is_active=True, is_referral=False).first()
    return {
        "company_name": "华星机械",
        "contact_name": "张三",
        "phone": "13812345678",
        "needs": "设备故障率高，每月停机约20小时",
        "source_id": source.pk,
        **extra,
    }


def test_token_is_shown_once_and_only_its_hash_is_stored(org):
    token, secret = services.token_create(actor=org.rep, name="ERP 同步", scopes=["read"])
    assert secret.startswith("sf_") and len(secret) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    raw = secret.removeprefix("sf_")
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert stored.prefix == raw[:8]
    row_values = " ".join(
        str(v) for v in ApiToken.objects.filter(pk=token.pk).values().get().values()
    )
    assert raw not in row_values
    entry = AuditEntry.objects.get(action="api_token.create")
    assert raw not in str(entry.changes) and stored.key_hash not in str(entry.changes)


def test_token_authenticates_as_its_user(client, org, token_for):
    api = ApiClient(client, token_for(org.rep))
    response = api.get("/api/v1/leads")
    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    "header",
    ["Bearer sf_not-a-real-token-0123456789abcdef", "Bearer nonsense", "Token abc", ""],
)
def test_unknown_or_missing_token_is_401(client, org, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/leads", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_401_at_once(client, org):
    token, secret = services.token_create(actor=org.rep, name="脚本", scopes=["read", "write"])
    api = ApiClient(client, secret)
    assert api.get("/api/v1/leads").status_code == 200
    services.token_revoke(actor=org.rep, token_id=token.pk)
    response = api.get("/api/v1/leads")
    assert response.status_code == 401
    assert "吊销" in response.json()["detail"]
    assert AuditEntry.objects.filter(action="api_token.revoke").count() == 1


def test_expired_token_is_401(client, org):
    token, secret = services.token_create(
        actor=org.rep, name="临时", scopes=["read"], expires_in_days=1
    )
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    response = ApiClient(client, secret).get("/api/v1/leads")
    assert response.status_code == 401
    assert "过期" in response.json()["detail"]


def test_inactive_user_token_is_401(client, org, token_for):
    secret = token_for(org.rep)
    org.rep.is_active = False
    org.rep.save()
    assert ApiClient(client, secret).get("/api/v1/leads").status_code == 401


def test_read_token_may_only_read(client, org, token_for):
    api = ApiClient(client, token_for(org.rep, scopes=("read",)))
    assert api.get("/api/v1/leads").status_code == 200
    response = api.post("/api/v1/leads", lead_body(owner_id=org.rep.pk))
    assert response.status_code == 403
    assert response.json()["code"] == "token_scope"
    assert api.patch("/api/v1/leads/1", {"notes": "x"}).status_code == 403
    assert api.delete("/api/v1/leads/1").status_code == 403


def test_write_token_may_write(client, org, token_for):
    api = ApiClient(client, token_for(org.rep, scopes=("write",)))
    assert api.get("/api/v1/leads").status_code == 200
    assert api.post("/api/v1/leads", lead_body(owner_id=org.rep.pk)).status_code == 201


def test_token_never_exceeds_the_users_rights(client, make_user, token_for):
    """A marketing user's token cannot create customers: the user may not."""
    marketing = make_user("marketing")
    api = ApiClient(client, token_for(marketing))
    response = api.post("/api/v1/customers", {"name": "某公司"})
    assert response.status_code == 403


def test_session_auth_reads_and_writes_with_csrf(org):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(org.rep)
    assert browser.get("/api/v1/leads").status_code == 200
    api = ApiClient(browser, None)
    refused = api.post("/api/v1/leads", lead_body(owner_id=org.rep.pk))
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    page = browser.get(reverse("api_tokens"))  # sets the CSRF cookie
    csrf = page.cookies["csrftoken"].value
    accepted = api.post("/api/v1/leads", lead_body(owner_id=org.rep.pk), {"X-CSRFToken": csrf})
    assert accepted.status_code == 201


def test_anonymous_session_is_401(client):
    assert client.get("/api/v1/customers").status_code == 401


# --- the pages ------------------------------------------------------------------------------


def test_token_pages_create_show_once_list_and_revoke(client, org):
    client.force_login(org.rep)
    url = reverse("api_tokens")
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "ERP 同步", "scopes": ["read"], "expires_in_days": "90"})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("sf_") and secret in response.content.decode()
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )
    token = ApiToken.objects.get(user=org.rep)
    assert token.scopes == ["read"] and token.expires_at is not None
    listing = client.get(url).content.decode()
    assert secret not in listing and f"sf_{token.prefix}" in listing
    response = client.post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_form_errors(client, org):
    client.force_login(org.rep)
    response = client.post(reverse("api_tokens"), {"name": "", "scopes": []})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_someone_elses_token_cannot_be_revoked(client, org):
    token, _secret = services.token_create(actor=org.rep, name="脚本", scopes=["read"])
    client.force_login(org.outsider)
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_administrator_may_revoke_anyones_token(org):
    token, _secret = services.token_create(actor=org.rep, name="脚本", scopes=["read"])
    services.token_revoke(actor=org.admin, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_pages_need_login(client):
    response = client.get(reverse("api_tokens"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_admin_lists_tokens_without_secrets_and_revokes(client, org):
    token, secret = services.token_create(actor=org.rep, name="ERP 同步", scopes=["read"])
    client.force_login(org.admin)
    changelist = client.get("/admin/api/apitoken/")
    assert changelist.status_code == 200
    html = changelist.content.decode()
    assert "ERP 同步" in html and secret.removeprefix("sf_") not in html
    assert token.key_hash not in html
    response = client.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_admin_token_list_is_closed_to_sales(client, org):
    client.force_login(org.rep)
    assert client.get("/admin/api/apitoken/").status_code in (302, 403, 404)
