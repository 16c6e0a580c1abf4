"""个人信息保护: phone numbers and e-mail addresses are masked on every customer page, in search
results and in exports for users without the "view contact details" right."""

import csv
import io
from urllib.parse import quote

import pytest
from django.urls import reverse

from salesflow.core.models import AuditEntry
from salesflow.customers import services
from salesflow.customers.models import Customer
from salesflow.org.models import Role, RolePermission

pytestmark = pytest.mark.django_db

PHONE, PHONE_MASKED = "13812345678", "138****5678"
EMAIL, EMAIL_MASKED = "zhang.san@example.cn", "z***@example.cn"
SWITCHBOARD, SWITCHBOARD_MASKED = "13900001111", "139****1111"
FULL_VALUES = (PHONE, "138-1234-5678", EMAIL, SWITCHBOARD)


def make_role(code, rights):
    role = Role.objects.create(code=code, name=code, data_scope="company")
    for object_type, actions in rights.items():
        RolePermission.objects.create(role=role, object_type=object_type, actions=actions)
    return role


@pytest.fixture
def masked_user(make_user):
    """Sees and exports every customer and contact, and edits contacts, but may not see their
    contact details."""
    make_role(
        "masked_viewer",
        {
            "customer": ["view", "add", "change", "export"],
            "contact": ["view", "change"],
        },
    )
    return make_user("masked_viewer")


@pytest.fixture
def full_user(make_user):
    make_role(
        "full_viewer",
        {
            "customer": ["view", "export", "view_contact"],
            "contact": ["view", "view_contact"],
        },
    )
    return make_user("full_viewer")


@pytest.fixture
def customer(make_user):
    owner = make_user("sales_rep")
    return services.customer_create(
        actor=owner,
        data={"name": "深圳鹏程智能科技有限公司", "phone": SWITCHBOARD},
        contacts=[{"name": "张三", "phone": PHONE, "email": EMAIL, "is_primary": True}],
    )


def assert_masked(html: str, *, expect=(PHONE_MASKED,)):
    for value in FULL_VALUES:
        assert value not in html, value
    for value in expect:
        assert value in html, value


def without_query_echo(html: str, query: str) -> str:
    """The page minus the user's own query, echoed in the search box and in links that keep
    the current filters (export, pagination, language switch)."""
    for echo in (f'value="{query}"', f"q={quote(query, safe='')}"):
        html = html.replace(echo, "")
    return html


def get(client, user, name, *args, **params):
    client.force_login(user)
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200
    return response


def test_list_masks_the_primary_contact(client, masked_user, customer):
    html = get(client, masked_user, "customers:list").content.decode()
    assert customer.name in html and "张三" in html
    assert_masked(html)


def test_detail_masks_contacts_and_switchboard(client, masked_user, customer):
    html = get(client, masked_user, "customers:detail", customer.pk).content.decode()
    assert_masked(html, expect=(PHONE_MASKED, EMAIL_MASKED, SWITCHBOARD_MASKED))
    assert "tel:" not in html


def test_search_by_full_phone_finds_but_masks(client, masked_user, customer):
    for query in (PHONE, EMAIL):
        html = get(client, masked_user, "customers:list", q=query).content.decode()
        assert customer.name in html
        assert_masked(without_query_echo(html, query))


def test_pool_shows_no_contact_details(client, masked_user, customer):
    services.customer_return_to_pool(actor=customer.owner, customer_id=customer.pk, reason="退回")
    html = get(client, masked_user, "customers:pool").content.decode()
    assert customer.name in html
    assert_masked(html, expect=())
    assert PHONE_MASKED not in html and "张三" not in html


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_masks_without_the_right(client, masked_user, customer, fmt):
    response = get(client, masked_user, "customers:export", format=fmt)
    text = _export_text(response, fmt)
    assert customer.name in text
    assert_masked(text, expect=(PHONE_MASKED, EMAIL_MASKED, SWITCHBOARD_MASKED))
    entry = AuditEntry.objects.get(action="customer.export")
    assert "personal data" not in entry.message


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_with_the_right_contains_details_and_is_logged(client, full_user, customer, fmt):
    text = _export_text(get(client, full_user, "customers:export", format=fmt), fmt)
    assert PHONE in text and EMAIL in text and SWITCHBOARD in text
    entry = AuditEntry.objects.get(action="customer.export")
    assert entry.actor == full_user and "personal data" in entry.message


def _export_text(response, fmt) -> str:
    if fmt == "csv":
        rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    else:
        from openpyxl import load_workbook

        rows = load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    return "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows)


def test_pages_with_the_right_show_the_details(client, full_user, customer):
    html = get(client, full_user, "customers:list").content.decode()
    assert PHONE in html
    html = get(client, full_user, "customers:detail", customer.pk).content.decode()
    assert PHONE in html and EMAIL in html and SWITCHBOARD in html


def test_finance_sees_customers_but_no_contact_details(client, make_user, customer):
    finance = make_user("finance")
    html = get(client, finance, "customers:detail", customer.pk).content.decode()
    assert customer.name in html
    assert_masked(html, expect=(SWITCHBOARD_MASKED,))
    html = get(client, finance, "customers:list", q=PHONE).content.decode()
    assert customer.name in html
    assert_masked(without_query_echo(html, PHONE), expect=())


def test_edit_forms_do_not_prefill_hidden_details(client, masked_user, customer):
    contact = customer.contacts.get()
    html = get(client, masked_user, "customers:contact_edit", contact.pk).content.decode()
    assert_masked(html, expect=(PHONE_MASKED, EMAIL_MASKED))
    html = get(client, masked_user, "customers:edit", customer.pk).content.decode()
    assert_masked(html, expect=(SWITCHBOARD_MASKED,))

    # Saving with the hidden fields left empty keeps the stored values.
    response = client.post(
        reverse("customers:contact_edit", args=[contact.pk]),
        {"name": "张三", "title": "总监", "decision_role": "decision_maker"},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.title, contact.phone, contact.email) == ("总监", PHONE, EMAIL)
    response = client.post(
        reverse("customers:edit", args=[customer.pk]),
        {
            "name": customer.name,
            "expected_annual_value": "0",
            "tier": "normal",
            "credit_limit": "0",
            "address": "深圳市南山区",
        },
    )
    assert response.status_code == 302
    customer = Customer.objects.get(pk=customer.pk)
    assert customer.phone == SWITCHBOARD and customer.address == "深圳市南山区"


def test_history_tab_masks_the_switchboard(client, make_user, customer):
    from django.contrib.contenttypes.models import ContentType

    client.force_login(make_user("finance"))
    url = reverse(
        "core:object_history", args=[ContentType.objects.get_for_model(Customer).pk, customer.pk]
    )
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert SWITCHBOARD not in response.content.decode()
