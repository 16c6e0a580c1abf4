"""The HTTP contract around the operations: ETag / If-Match (412), Idempotency-Key, per-token
rate limits (429 + Retry-After), cursor pagination, error shapes, the schema and docs."""

import uuid

import pytest
from django.utils import timezone

from salesflow.api.models import IdempotencyRecord
from salesflow.core.services import setting_change
from salesflow.leads import services as lead_services
from salesflow.leads.models import Lead, LeadSource

pytestmark = pytest.mark.django_db


def source():
    return LeadSource.objects.filter(is_active=True, is_referral=False).first()


def make_lead(owner, name="华星机械"):
    return lead_services.lead_register(
        actor=owner,
        data={
            "company_name": name,
            "contact_name": "李四",
            "phone": "13812345678",
            "needs": "设备故障率高，每月停机约20小时",
            "source": source(),
            "acquired_at": timezone.now(),
        },
        owner=owner,
        confirm_duplicate=True,
    )


# --- ETag / If-Match ------------------------------------------------------------------------


def test_stale_if_match_is_412_and_changes_nothing(org, api_as):
    lead = make_lead(org.rep)
    api = api_as(org.rep)
    url = f"/api/v1/leads/{lead.pk}"
    etag = api.get(url)["ETag"]
    first = api.patch(url, {"notes": "第一次"}, {"If-Match": etag})
    assert first.status_code == 200 and first["ETag"] != etag
    stale = api.patch(url, {"notes": "基于旧版本"}, {"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    lead.refresh_from_db()
    assert lead.notes == "第一次"
    fresh = api.patch(url, {"notes": "基于新版本"}, {"If-Match": first["ETag"]})
    assert fresh.status_code == 200
    assert api.patch(url, {"notes": "任意版本"}, {"If-Match": "*"}).status_code == 200
    assert api.patch(url, {"notes": "不带 If-Match"}).status_code == 200  # last writer wins


def test_stale_if_match_on_delete_and_actions(org, api_as):
    lead = make_lead(org.rep)
    api = api_as(org.manager)
    url = f"/api/v1/leads/{lead.pk}"
    etag = api.get(url)["ETag"]
    api_as(org.rep).patch(url, {"notes": "销售改过"})
    assert api.delete(url, {"If-Match": etag}).status_code == 412
    assert api.post(f"{url}/status", {"status": "nurture"}, {"If-Match": etag}).status_code == 412
    lead.refresh_from_db()
    assert lead.deleted_at is None and lead.status == "new"
    assert api.delete(url, {"If-Match": api.get(url)["ETag"]}).status_code == 204


def test_weak_and_listed_etags_match(org, api_as):
    lead = make_lead(org.rep)
    api = api_as(org.rep)
    url = f"/api/v1/leads/{lead.pk}"
    etag = api.get(url)["ETag"]
    assert api.patch(url, {"notes": "a"}, {"If-Match": f'"other", W/{etag}'}).status_code == 200


def test_if_match_on_out_of_scope_record_is_still_404(org, api_as):
    lead = make_lead(org.outsider)
    response = api_as(org.rep).patch(
        f"/api/v1/leads/{lead.pk}", {"notes": "x"}, {"If-Match": '"x"'}
    )
    assert response.status_code == 404


# --- Idempotency-Key ------------------------------------------------------------------------


def lead_body(**extra):
    return {
        "company_name": "幂等科技",
        "contact_name": "张三",
        "phone": "13700000000",
        "needs": "设备故障率高，每月停机约20小时",
        "source_id": source().pk,
        **extra,
    }


def test_idempotent_replay_returns_the_same_answer_and_creates_one_record(org, api_as):
    api = api_as(org.rep)
    key = str(uuid.uuid4())
    body = lead_body(owner_id=org.rep.pk)
    first = api.post("/api/v1/leads", body, {"Idempotency-Key": key})
    assert first.status_code == 201
    again = api.post("/api/v1/leads", body, {"Idempotency-Key": key})
    assert again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Lead.objects.filter(company_name="幂等科技").count() == 1


def test_same_key_with_another_body_is_422(org, api_as):
    api = api_as(org.rep)
    key = str(uuid.uuid4())
    assert (
        api.post(
            "/api/v1/leads", lead_body(owner_id=org.rep.pk), {"Idempotency-Key": key}
        ).status_code
        == 201
    )
    other = api.post(
        "/api/v1/leads", lead_body(owner_id=org.rep.pk, notes="改了"), {"Idempotency-Key": key}
    )
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert Lead.objects.count() == 1


def test_keys_belong_to_the_caller_and_expire(org, api_as):
    key = str(uuid.uuid4())
    assert (
        api_as(org.rep)
        .post("/api/v1/leads", lead_body(owner_id=org.rep.pk), {"Idempotency-Key": key})
        .status_code
        == 201
    )
    # another caller with the same key is another request
    other = api_as(org.manager).post(
        "/api/v1/leads", lead_body(owner_id=org.manager.pk, confirm_duplicate=True),
        {"Idempotency-Key": key},
    )  # fmt: skip
    assert other.status_code == 201 and "Idempotent-Replayed" not in other
    assert IdempotencyRecord.objects.count() == 2
    IdempotencyRecord.objects.update(created_at=timezone.now() - timezone.timedelta(hours=25))
    again = api_as(org.rep).post(
        "/api/v1/leads", lead_body(owner_id=org.rep.pk, confirm_duplicate=True),
        {"Idempotency-Key": key},
    )  # fmt: skip
    assert again.status_code == 201 and "Idempotent-Replayed" not in again


def test_errors_are_kept_but_auth_failures_are_not(org, api_as, client):
    api = api_as(org.rep)
    key = str(uuid.uuid4())
    invalid = api.post("/api/v1/leads", {"company_name": ""}, {"Idempotency-Key": key})
    assert invalid.status_code == 422
    assert (
        api.post("/api/v1/leads", {"company_name": ""}, {"Idempotency-Key": key})[
            "Idempotent-Replayed"
        ]
        == "true"
    )
    anonymous = client.post(
        "/api/v1/leads", "{}", content_type="application/json", headers={"Idempotency-Key": "k-1"}
    )
    assert anonymous.status_code == 401
    assert not IdempotencyRecord.objects.filter(key="k-1").exists()


def test_malformed_key_is_422(org, api_as):
    response = api_as(org.rep).post("/api/v1/leads", lead_body(), {"Idempotency-Key": "x" * 300})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]


# --- rate limit -----------------------------------------------------------------------------


def test_rate_limit_per_token_answers_429_with_retry_after(org, api_as):
    setting_change(actor=org.admin, key="api.rate_limit_per_minute", value="3", reason="测试")
    from salesflow.core.settings_registry import forget_cached_settings

    forget_cached_settings()
    api = api_as(org.rep)
    statuses = [api.get("/api/v1/leads").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = api.get("/api/v1/leads")
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    # each token has its own budget
    assert api_as(org.rep).get("/api/v1/leads").status_code == 200


# --- pagination -----------------------------------------------------------------------------


def test_cursor_pagination_walks_every_row_once(org, api_as):
    leads = [make_lead(org.rep, name=f"公司{i}") for i in range(5)]
    api = api_as(org.rep)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/leads", params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted((lead.pk for lead in leads), reverse=True)
    assert api.get("/api/v1/leads", {"cursor": "!!not-a-cursor"}).status_code == 422
    assert api.get("/api/v1/leads", {"limit": 201}).status_code == 422
    bad = api.get("/api/v1/leads", {"limit": 0}).json()["detail"][0]
    assert bad["loc"] == ["query", "limit"]


# --- shapes, schema, docs ------------------------------------------------------------------


def test_invalid_json_is_400(org, api_as):
    response = api_as(org.rep).post("/api/v1/leads", "{not json")
    assert response.status_code == 400 and response.json()["code"] == "bad_request"


def test_nul_characters_are_refused_not_stored(org, api_as):
    response = api_as(org.rep).post("/api/v1/leads", lead_body(notes="a\x00b"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "notes"]


def test_huge_ids_are_422_not_a_server_error(org, api_as):
    assert api_as(org.rep).get(f"/api/v1/leads/{2**70}").status_code == 422


def test_openapi_schema_and_docs_work_offline_under_the_csp(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    data = schema.json()
    assert data["info"]["version"] == "1"
    assert "/api/v1/leads/{lead_id}" in data["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "/static/api/docs.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    # no inline script: every <script> either has src or is the JSON settings block
    import re

    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    csp = docs["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_old_idempotency_records_are_purged(org, api_as):
    from salesflow.api.tasks import idempotency_purge

    api_as(org.rep).post("/api/v1/leads", {"company_name": ""}, {"Idempotency-Key": "old-1"})
    api_as(org.rep).post("/api/v1/leads", {"company_name": ""}, {"Idempotency-Key": "new-1"})
    IdempotencyRecord.objects.filter(key="old-1").update(
        created_at=timezone.now() - timezone.timedelta(hours=25)
    )
    idempotency_purge.call()
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new-1"]
