import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from salesflow.core.audit import audit, diff, snapshot, to_jsonable
from salesflow.core.context import work_context
from salesflow.core.models import AuditEntry
from tests.scopeapp.models import Thing

pytestmark = pytest.mark.django_db


def test_diff_keeps_only_changed_fields():
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": [2, 3], "c": [None, 4]}
    assert diff(None, None) == {}


def test_jsonable_values():
    assert to_jsonable(Decimal("12.30")) == "12.30"
    assert to_jsonable(datetime.date(2026, 1, 2)) == "2026-01-02"
    assert to_jsonable({"x": {Decimal(1)}}) == {"x": ["1"]}


def test_audit_records_actor_object_diff_request_id_and_ip(make_user):
    user = make_user("sales_rep", username="wang")
    thing = Thing.objects.create(name="甲", owner=user)
    before = snapshot(thing)
    thing.name = "乙"
    thing.save()
    with work_context(request_id="req-12345678", ip="10.1.2.3"):
        entry = audit(
            actor=user, action="thing.change", obj=thing, before=before, after=snapshot(thing)
        )
    entry.refresh_from_db()
    assert entry.actor == user and entry.actor_name == str(user)
    assert entry.content_type == ContentType.objects.get_for_model(Thing)
    assert entry.object_id == str(thing.pk) and entry.object_repr == "乙"
    assert entry.changes == {"name": ["甲", "乙"]}
    assert (entry.request_id, entry.ip) == ("req-12345678", "10.1.2.3")


def test_system_actor_is_named():
    entry = audit(actor=None, action="job.run", object_repr="nightly")
    assert entry.actor is None and entry.actor_name == "系统"


def test_login_success_and_failure_are_audited(client, make_user):
    user = make_user("sales_rep", username="li.na")
    response = client.post(reverse("login"), {"username": "li.na", "password": "wrong"})
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="auth.login_failed", message="li.na").count() == 1
    response = client.post(reverse("login"), {"username": "li.na", "password": "pass-for-tests-1"})
    assert response.status_code == 302
    login = AuditEntry.objects.get(action="auth.login")
    assert login.actor == user and login.request_id and login.ip == "127.0.0.1"
    client.post(reverse("logout"))
    assert AuditEntry.objects.filter(action="auth.logout", actor=user).exists()


def test_responses_carry_the_request_id(client):
    response = client.get(reverse("login"), HTTP_X_REQUEST_ID="proxy-req-0001")
    assert response["X-Request-ID"] == "proxy-req-0001"
    response = client.get(reverse("login"), HTTP_X_REQUEST_ID="bad id with spaces")
    assert response["X-Request-ID"] != "bad id with spaces"


def test_audit_log_page_search_and_permission(client, make_user):
    admin = make_user("admin")
    rep = make_user("sales_rep")
    audit(actor=rep, action="lead.create", object_repr="上海某某科技")
    audit(actor=admin, action="setting.change", object_repr="lead.a_first_contact_sla")
    client.force_login(rep)
    assert client.get(reverse("core:audit_log")).status_code == 404
    client.force_login(admin)
    page = client.get(reverse("core:audit_log"), {"q": "上海"}).content.decode()
    assert "上海某某科技" in page and "lead.a_first_contact_sla" not in page
    page = client.get(reverse("core:audit_log"), {"action": "setting"}).content.decode()
    assert "lead.a_first_contact_sla" in page and "上海某某科技" not in page
    response = client.get(reverse("core:audit_log"), {"from": "not-a-date"})
    assert response.status_code == 200


def test_object_history_tab_obeys_scope(client, make_user):
    owner = make_user("sales_rep")
    other = make_user("sales_rep")
    thing = Thing.objects.create(name="客户甲", owner=owner)
    audit(
        actor=owner,
        action="thing.change",
        obj=thing,
        before={"name": "旧"},
        after={"name": "客户甲"},
    )
    ct = ContentType.objects.get_for_model(Thing)
    url = reverse("core:object_history", args=[ct.pk, thing.pk])
    client.force_login(other)
    assert client.get(url).status_code == 404
    client.force_login(owner)
    response = client.get(url)
    assert response.status_code == 200 and "thing.change" in response.content.decode()
    response = client.get(url, HTTP_HX_REQUEST="true")
    assert "<html" not in response.content.decode()
