import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from salesflow.core import services
from salesflow.core.models import AuditEntry, SettingChange, SettingValue
from salesflow.core.settings_registry import REGISTRY, get_setting
from salesflow.core.sla import deadline

pytestmark = pytest.mark.django_db

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def test_every_definition_default_parses_to_itself():
    for definition in REGISTRY.values():
        assert definition.parse(definition.default) == definition.default, definition.key


def test_spec_defaults():
    assert get_setting("lead.a_first_contact_sla") == "24h"
    assert get_setting("lead.screening_sla") == "48h"
    assert get_setting("customer.grade_a_min_amount") == Decimal("500000")
    assert get_setting("customer.pool_recycle_days") == 30
    assert get_setting("task.grade_excellent_min") == Decimal("120")
    assert get_setting("calendar.work_hours") == "09:00-18:00"


def test_changing_a_class_first_response_keeps_history_and_applies_at_once(make_user):
    admin = make_user("admin")
    start = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)  # a Monday
    assert deadline(start, get_setting("lead.a_first_contact_sla")) == start + datetime.timedelta(
        hours=24
    )
    before = timezone.now()
    services.setting_change(
        actor=admin, key="lead.a_first_contact_sla", value="12h", reason="华东区试点缩短A类响应时限"
    )
    change = SettingChange.objects.get(key="lead.a_first_contact_sla")
    assert (change.old_value, change.new_value) == ("24h", "12h")
    assert change.actor == admin and change.at >= before
    assert change.reason == "华东区试点缩短A类响应时限"
    entry = AuditEntry.objects.get(action="setting.change")
    assert entry.changes == {"lead.a_first_contact_sla": ["24h", "12h"]}
    assert entry.actor == admin and entry.message == change.reason
    # The next computed deadline uses the new value (no restart, no stale cache).
    assert deadline(start, get_setting("lead.a_first_contact_sla")) == start + datetime.timedelta(
        hours=12
    )


def test_reason_is_required_and_nothing_changes_without_it(make_user):
    admin = make_user("admin")
    with pytest.raises(ValidationError):
        services.setting_change(
            actor=admin, key="lead.a_first_contact_sla", value="12h", reason="  "
        )
    assert not SettingValue.objects.exists() and not SettingChange.objects.exists()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("lead.a_first_contact_sla", "soon"),
        ("customer.pool_recycle_days", "thirty"),
        ("customer.pool_recycle_days", "0"),
        ("complaint.close_min_satisfaction", "6"),
        ("calendar.work_hours", "18:00-09:00"),
        ("customer.grade_a_min_amount", "NaN"),
    ],
)
def test_invalid_values_are_refused(make_user, key, value):
    admin = make_user("admin")
    with pytest.raises(ValidationError):
        services.setting_change(actor=admin, key=key, value=value, reason="test")
    assert not SettingValue.objects.exists()
    assert not AuditEntry.objects.filter(action="setting.change").exists()


def test_only_holders_of_the_change_right_may_change(make_user):
    director = make_user("sales_director")  # SPEC: a director may not change system settings
    with pytest.raises(PermissionDenied):
        services.setting_change(
            actor=director, key="customer.pool_recycle_days", value="20", reason="x"
        )
    assert get_setting("customer.pool_recycle_days") == 30


def test_settings_page_change_through_the_form(client, make_user):
    admin = make_user("admin")
    client.force_login(admin)
    url = reverse("core:setting_edit", args=["lead.a_first_contact_sla"])
    response = client.post(url, {"value": "12h", "reason": ""})
    assert response.status_code == 200
    assert "请填写修改原因" in response.content.decode() or "这个字段是必填项" in (
        response.content.decode()
    )
    assert get_setting("lead.a_first_contact_sla") == "24h"
    response = client.post(url, {"value": "12h", "reason": "试点"})
    assert response.status_code == 302
    page = client.get(reverse("core:settings")).content.decode()
    assert "12h" in page and "试点" in page
    history = client.get(url).content.decode()
    assert "试点" in history and str(admin) in history


def test_settings_pages_are_hidden_without_the_right(client, make_user):
    client.force_login(make_user("sales_rep"))
    assert client.get(reverse("core:settings")).status_code == 404
    url = reverse("core:setting_edit", args=["lead.a_first_contact_sla"])
    assert client.post(url, {"value": "1h", "reason": "x"}).status_code == 404
    assert get_setting("lead.a_first_contact_sla") == "24h"


def test_director_sees_settings_but_cannot_post(client, make_user):
    client.force_login(make_user("sales_director"))
    url = reverse("core:setting_edit", args=["lead.a_first_contact_sla"])
    assert client.get(url).status_code == 200
    assert client.post(url, {"value": "1h", "reason": "x"}).status_code == 404
    assert get_setting("lead.a_first_contact_sla") == "24h"


def test_unknown_setting_is_404(client, make_user):
    client.force_login(make_user("admin"))
    assert client.get(reverse("core:setting_edit", args=["no.such.key"])).status_code == 404
