import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from salesflow.core.models import AuditEntry, CalendarOverride
from salesflow.core.workcalendar import PACKAGE_YEARS
from salesflow.org.models import Role
from salesflow.org.services import user_create

pytestmark = pytest.mark.django_db

URL = "/system/calendar/"
UNCOVERED_YEAR = min(year for year in range(2025, 2100) if year not in PACKAGE_YEARS)


def _user(username, role_code):
    return user_create(
        actor=None,
        username=username,
        display_name=username,
        password="Calendar-Test-2025!",
        roles=[Role.objects.get(code=role_code)],
    )


@pytest.fixture
def admin_client(client):
    client.force_login(_user("calendar_admin", "admin"))
    return client


def test_url_name():
    assert reverse("core:calendar") == URL
    assert reverse("core:calendar_override_delete", args=[7]) == "/system/calendar/7/delete/"


def test_admin_sees_the_year_with_sources(admin_client):
    response = admin_client.get(URL, {"year": 2025})
    assert response.status_code == 200
    content = response.content.decode()
    assert "工作日历 2025 年" in content
    assert "2025-10-01 · 节假日 · 国庆节 · 来源：节假日数据包" in content
    assert "2025-09-28 · 调休上班 · 国庆节 · 来源：节假日数据包" in content
    assert "这一年还没有日历调整" in content
    assert 'name="csrfmiddlewaretoken"' in content
    assert "style=" not in content
    assert "<script>" not in content


def test_uncovered_year_shows_fallback_and_warning(admin_client):
    response = admin_client.get(URL, {"year": UNCOVERED_YEAR})
    content = response.content.decode()
    assert response.status_code == 200
    assert f"{UNCOVERED_YEAR} 年的法定节假日和调休安排尚未收录" in content
    assert "来源：按周一至周五推算" in content


def test_bad_year_parameter_shows_the_current_year(admin_client):
    response = admin_client.get(URL, {"year": "abc"})
    assert response.status_code == 200
    assert response.context["year"] == timezone.localdate().year


def test_admin_adds_and_deletes_an_override(admin_client):
    response = admin_client.post(
        f"{URL}?year=2025",
        {"date": "2025-09-26", "is_workday": "0", "name": "公司年会", "note": "全员放假"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?year=2025"
    override = CalendarOverride.objects.get(date=datetime.date(2025, 9, 26))
    assert (override.is_workday, override.name, override.note) == (False, "公司年会", "全员放假")
    assert AuditEntry.objects.filter(
        action="calendar.override_save", object_id=str(override.pk)
    ).exists()

    page = admin_client.get(URL, {"year": 2025}).content.decode()
    assert "2025-09-26 · 节假日 · 公司年会 · 来源：管理员调整" in page
    assert f'action="/system/calendar/{override.pk}/delete/"' in page

    response = admin_client.post(reverse("core:calendar_override_delete", args=[override.pk]))
    assert response.status_code == 302
    assert not CalendarOverride.objects.exists()
    assert AuditEntry.objects.filter(
        action="calendar.override_delete", object_id=str(override.pk)
    ).exists()


def test_saving_the_same_date_again_replaces_the_override(admin_client):
    for is_workday in ("0", "1"):
        admin_client.post(URL, {"date": "2025-09-27", "is_workday": is_workday, "name": "调休"})
    override = CalendarOverride.objects.get()
    assert override.is_workday is True


@pytest.mark.parametrize(
    "data",
    [
        {"date": "2025-13-45", "is_workday": "0"},
        {"date": "", "is_workday": "0"},
        {"date": "2025-09-26", "is_workday": "maybe"},
        {"date": "2025-09-26", "is_workday": "0", "name": "x" * 51},
    ],
)
def test_invalid_input_changes_nothing_and_shows_an_error(admin_client, data):
    response = admin_client.post(f"{URL}?year=2025", data)
    assert response.status_code == 200
    assert not CalendarOverride.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="calendar.").exists()
    assert response.context["form"].errors
    assert "invalid-feedback" in response.content.decode()


def test_bad_date_message_is_chinese(admin_client):
    response = admin_client.post(URL, {"date": "2025-13-45", "is_workday": "0"})
    assert "请输入有效的日期" in response.content.decode()


def test_sales_rep_gets_404_everywhere(client):
    override = CalendarOverride.objects.create(date=datetime.date(2025, 9, 26), is_workday=False)
    client.force_login(_user("calendar_rep", "sales_rep"))
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"date": "2025-09-29", "is_workday": "0"}).status_code == 404
    delete_url = reverse("core:calendar_override_delete", args=[override.pk])
    assert client.post(delete_url).status_code == 404
    assert CalendarOverride.objects.count() == 1


def test_viewer_without_change_rights_sees_no_form(client):
    from salesflow.org.models import RolePermission

    role = Role.objects.create(code="calendar_viewer", name="日历查看")
    RolePermission.objects.create(role=role, object_type="core.calendar", actions=["view"])
    client.force_login(_user("calendar_viewer", "calendar_viewer"))
    response = client.get(URL)
    assert response.status_code == 200
    assert "新增或修改调整" not in response.content.decode()
    assert client.post(URL, {"date": "2025-09-29", "is_workday": "0"}).status_code == 404
    assert not CalendarOverride.objects.exists()


def test_delete_is_post_only_and_unknown_is_404(admin_client):
    override = CalendarOverride.objects.create(date=datetime.date(2025, 9, 26), is_workday=False)
    url = reverse("core:calendar_override_delete", args=[override.pk])
    assert admin_client.get(url).status_code == 405
    assert (
        admin_client.post(reverse("core:calendar_override_delete", args=[999])).status_code == 404
    )
    assert CalendarOverride.objects.count() == 1


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_page_query_count_is_bounded(admin_client, django_assert_max_num_queries):
    CalendarOverride.objects.bulk_create(
        CalendarOverride(date=datetime.date(2025, 1, day), is_workday=False) for day in range(2, 20)
    )
    with django_assert_max_num_queries(20):
        assert admin_client.get(URL, {"year": 2025}).status_code == 200
