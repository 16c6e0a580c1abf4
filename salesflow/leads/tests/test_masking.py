"""个人信息保护法: without the "view contact details" right on leads, a phone number or e-mail is
never shown in full — not on the list, the detail page, search results, the unassigned list, the
edit form or the exports; with the right it is.

No default role fits the case "may view and export leads but not see contact details" (the
administrator may not export, marketing and sales hold view_contact), so the test builds one."""

import io

import pytest
from django.urls import reverse

from salesflow.org.models import Role, RolePermission

from .test_views import make_lead

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
MASKED_PHONE = "138****5678"
EMAIL = "zhang.san@example.cn"
MASKED_EMAIL = "z***@example.cn"


def role_with(code: str, lead_actions: list[str]) -> Role:
    role = Role.objects.create(code=code, name=code, data_scope="company")
    RolePermission.objects.create(role=role, object_type="lead", actions=lead_actions)
    RolePermission.objects.create(role=role, object_type="lead_pool", actions=["view"])
    return role


@pytest.fixture
def lead(db):
    return make_lead(None, company_name="隐私测试有限公司", phone=PHONE, email=EMAIL)


@pytest.fixture
def masked_user(make_user):
    role_with("lead_auditor", ["view", "change", "export"])
    return make_user("lead_auditor")


@pytest.fixture
def full_user(make_user):
    role_with("lead_contact_viewer", ["view", "change", "export", "view_contact"])
    return make_user("lead_contact_viewer")


def xlsx_text(content: bytes) -> str:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content)).active
    return "\n".join(
        str(value) for row in sheet.iter_rows(values_only=True) for value in row if value
    )


def pages(client, lead) -> dict[str, str]:
    """Every place a lead's contact details could show up, as text."""
    texts = {}
    for name, url, params in (
        ("list", reverse("leads:list"), {}),
        ("search", reverse("leads:list"), {"q": PHONE}),
        ("search_email", reverse("leads:list"), {"q": EMAIL}),
        ("detail", reverse("leads:detail", args=[lead.pk]), {}),
        ("edit", reverse("leads:edit", args=[lead.pk]), {}),
        ("unassigned", reverse("leads:unassigned"), {}),
        ("csv", reverse("leads:export"), {"format": "csv"}),
    ):
        response = client.get(url, params)
        assert response.status_code == 200, name
        text = response.content.decode("utf-8-sig")
        for term in params.get("q", "").split():  # the user's own query is echoed back
            text = text.replace(f'value="{term}"', "").replace(f"q={term}", "")
        texts[name] = text
    xlsx = client.get(reverse("leads:export"), {"format": "xlsx"})
    assert xlsx.status_code == 200
    texts["xlsx"] = xlsx_text(xlsx.content)
    return texts


def test_contact_details_are_masked_everywhere_without_the_right(client, lead, masked_user):
    client.force_login(masked_user)
    for name, text in pages(client, lead).items():
        assert PHONE not in text, name
        assert EMAIL not in text, name
        assert "隐私测试有限公司" in text, name  # the lead is there (search found it)
        if name != "edit":
            assert MASKED_PHONE in text, name
    texts = pages(client, lead)
    assert MASKED_EMAIL in texts["detail"] and MASKED_EMAIL in texts["csv"]
    assert f'placeholder="{MASKED_PHONE}"' in texts["edit"]


def test_contact_details_are_shown_with_the_right(client, lead, full_user):
    client.force_login(full_user)
    texts = pages(client, lead)
    for name in ("list", "search", "detail", "edit", "unassigned", "csv", "xlsx"):
        assert PHONE in texts[name], name
    for name in ("detail", "edit", "csv", "xlsx"):
        assert EMAIL in texts[name], name


def test_masked_export_is_logged_without_the_personal_data_flag(client, lead, masked_user):
    from salesflow.core.models import AuditEntry

    client.force_login(masked_user)
    client.get(reverse("leads:export"), {"format": "csv"})
    entry = AuditEntry.objects.get(action="lead.export")
    assert "personal data" not in entry.message


def test_full_export_is_logged_as_personal_data(client, lead, full_user):
    from salesflow.core.models import AuditEntry

    client.force_login(full_user)
    client.get(reverse("leads:export"), {"format": "xlsx"})
    assert "personal data" in AuditEntry.objects.get(action="lead.export").message


def test_editing_without_the_right_keeps_the_hidden_contact_details(client, lead, masked_user):
    client.force_login(masked_user)
    response = client.post(
        reverse("leads:edit", args=[lead.pk]),
        {
            "company_name": "隐私测试有限公司",
            "contact_name": "张三",
            "phone": "",
            "email": "",
            "needs": lead.needs,
            "source": lead.source_id,
            "acquired_at": lead.acquired_at.astimezone().strftime("%Y-%m-%dT%H:%M"),
            "purpose": lead.purpose,
            "notes": "补充备注",
        },
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.phone, lead.email, lead.notes) == (PHONE, EMAIL, "补充备注")
