"""/api/v1/customers and contacts: CRUD through the customer services, scope, masking."""

import pytest

from salesflow.customers import services as customer_services
from salesflow.customers.models import Contact, Customer
from salesflow.org.models import Role, RolePermission

from .conftest import EMAIL, EMAIL_MASKED, PHONE, PHONE_MASKED

pytestmark = pytest.mark.django_db


def customer_of(owner, name="华星机械", **extra):
    return customer_services.customer_create(
        actor=owner,
        data={"name": name, "phone": "13900001111", **extra},
        contacts=[{"name": "张三", "phone": PHONE, "email": EMAIL, "wechat": "zhangsan88"}],
        owner=owner,
        confirm_duplicate=True,
    )


def test_create_with_contacts_read_update_delete(org, api_as):
    api = api_as(org.manager)
    created = api.post(
        "/api/v1/customers",
        {
            "name": "华星机械",
            "expected_annual_value": "600000",
            "contacts": [{"name": "张三", "phone": PHONE, "decision_role": "decision_maker"}],
        },
    )
    assert created.status_code == 201, created.content
    customer = created.json()
    assert customer["grade"] == "A" and customer["owner"]["id"] == org.manager.pk
    assert customer["lifecycle"] == "prospect"
    contacts = api.get(f"/api/v1/customers/{customer['id']}/contacts").json()["items"]
    assert [c["name"] for c in contacts] == ["张三"]

    changed = api.patch(f"/api/v1/customers/{customer['id']}", {"expected_annual_value": "50000"})
    assert changed.status_code == 200 and changed.json()["grade"] == "C"

    assert api.delete(f"/api/v1/customers/{customer['id']}").status_code == 204
    assert api.get(f"/api/v1/customers/{customer['id']}").status_code == 404
    assert Customer.all_objects.get(pk=customer["id"]).deleted_at is not None


def test_missing_name_and_duplicates(org, api_as):
    api = api_as(org.rep)
    missing = api.post("/api/v1/customers", {"phone": "010-88886666"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "name"]
    customer_of(org.outsider)
    duplicate = api.post("/api/v1/customers", {"name": "华星机械"})
    assert duplicate.status_code == 409
    [match] = [m for m in duplicate.json()["matches"] if m["kind"] == "customer"]
    assert match["in_scope"] is False and "id" not in match and match["owner_name"] == "赵北方"


def test_contact_add_and_change(org, api_as):
    customer = customer_of(org.rep)
    api = api_as(org.rep)
    added = api.post(
        f"/api/v1/customers/{customer.pk}/contacts",
        {"name": "李四", "title": "采购经理", "email": "li.si@example.cn"},
    )
    assert added.status_code == 201, added.content
    contact_id = added.json()["id"]
    changed = api.patch(f"/api/v1/contacts/{contact_id}", {"title": "采购总监", "is_primary": True})
    assert changed.status_code == 200 and changed.json()["title"] == "采购总监"
    bad = api.patch(f"/api/v1/contacts/{contact_id}", {"email": "not-an-email"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "email"]


def test_out_of_scope_customer_and_contact_are_404(org, api_as):
    theirs = customer_of(org.outsider)
    mine = customer_of(org.rep, name="我的客户")
    contact = theirs.contacts.get()
    api = api_as(org.rep)
    for url in (f"/api/v1/customers/{theirs.pk}", f"/api/v1/contacts/{contact.pk}"):
        assert api.get(url).status_code == 404
        assert api.patch(url, {"notes": "改"}).status_code == 404
    assert api.delete(f"/api/v1/customers/{theirs.pk}").status_code == 404
    assert api.get(f"/api/v1/customers/{theirs.pk}/contacts").status_code == 404
    assert api.post(f"/api/v1/customers/{theirs.pk}/contacts", {"name": "王五"}).status_code == 404
    assert [c["id"] for c in api.get("/api/v1/customers").json()["items"]] == [mine.pk]
    assert Contact.objects.filter(customer=theirs).count() == 1


@pytest.fixture
def masked_user(make_user):
    """Sees and edits every customer and contact, but not their contact details."""
    role = Role.objects.create(code="masked_viewer", name="masked", data_scope="company")
    for object_type, actions in {
        "customer": ["view", "add", "change"],
        "contact": ["view", "add", "change"],
    }.items():
        RolePermission.objects.create(role=role, object_type=object_type, actions=actions)
    return make_user("masked_viewer")


def test_contact_details_are_masked_in_every_answer(org, api_as, masked_user):
    customer = customer_of(org.rep)
    contact = customer.contacts.get()
    api = api_as(masked_user)
    responses = [
        api.get("/api/v1/customers"),
        api.get(f"/api/v1/customers/{customer.pk}"),
        api.get(f"/api/v1/customers/{customer.pk}/contacts"),
        api.get(f"/api/v1/contacts/{contact.pk}"),
        api.patch(f"/api/v1/contacts/{contact.pk}", {"notes": "看不到电话"}),
        api.patch(f"/api/v1/customers/{customer.pk}", {"notes": "看不到总机"}),
    ]
    for response in responses:
        assert response.status_code == 200, response.content
        text = response.content.decode()
        assert PHONE not in text and EMAIL not in text and "13900001111" not in text
        assert "zhangsan88" not in text
    assert PHONE_MASKED in responses[3].content.decode()
    assert EMAIL_MASKED in responses[3].content.decode()
    assert responses[3].json()["wechat"] == "***"
    assert responses[1].json()["phone"] == "139****1111"
    # the masked values sent back mean "unchanged"
    shown = responses[3].json()
    api.patch(
        f"/api/v1/contacts/{contact.pk}",
        {"phone": shown["phone"], "email": shown["email"], "wechat": shown["wechat"]},
    )
    contact.refresh_from_db()
    assert (contact.phone, contact.email, contact.wechat) == (PHONE, EMAIL, "zhangsan88")
    full = api_as(org.rep).get(f"/api/v1/contacts/{contact.pk}").json()
    assert full["phone"] == PHONE and full["wechat"] == "zhangsan88"


def test_customer_filters(org, api_as):
    a = customer_of(org.rep, name="甲公司", expected_annual_value=600000)
    customer_of(org.rep, name="乙公司")
    api = api_as(org.rep)
    assert [c["id"] for c in api.get("/api/v1/customers", {"grade": "A"}).json()["items"]] == [a.pk]
    assert [c["id"] for c in api.get("/api/v1/customers", {"q": "甲"}).json()["items"]] == [a.pk]
    assert api.get("/api/v1/customers", {"in_pool": "true"}).json()["items"] == []
    assert api.get("/api/v1/customers", {"grade": "Z"}).status_code == 422
