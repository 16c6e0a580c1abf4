"""/api/v1/leads: CRUD and actions through the lead services; 422 with field paths; scope
(404, absent from lists); masking of contact details; duplicates (409)."""

import pytest

from salesflow.core.models import AuditEntry
from salesflow.leads import services as lead_services
from salesflow.leads.models import Lead, LeadSource, LeadStatus, Scorecard

from .conftest import EMAIL, EMAIL_MASKED, PHONE, PHONE_MASKED

pytestmark = pytest.mark.django_db

ID_CARD = "11010519491231002X"


def source():
    return LeadSource.objects.filter(is_active=True, is_referral=False).first()


def body(**extra):
    return {
        "company_name": "华星机械",
        "contact_name": "张三",
        "phone": PHONE,
        "email": EMAIL,
        "needs": "设备故障率高，每月停机约20小时",
        "source_id": source().pk,
        **extra,
    }


def lead_of(owner, **extra):
    return lead_services.lead_register(
        actor=owner,
        data={
            "company_name": extra.pop("company_name", f"客户{owner.pk}"),
            "contact_name": "李四",
            "phone": extra.pop("phone", PHONE),
            "email": EMAIL,
            "needs": "设备故障率高，每月停机约20小时",
            "source": source(),
            "acquired_at": __import__("django.utils.timezone").utils.timezone.now(),
            **extra,
        },
        owner=owner,
        confirm_duplicate=True,
    )


def test_register_read_update_delete(org, api_as):
    api = api_as(org.rep)
    created = api.post("/api/v1/leads", body(owner_id=org.rep.pk, budget_min="100000"))
    assert created.status_code == 201, created.content
    lead = created.json()
    assert lead["company_name"] == "华星机械" and lead["owner"]["id"] == org.rep.pk
    assert lead["status"] == "new" and lead["status_label"] == "待筛选"
    assert lead["budget_min"] == "100000.00"
    assert AuditEntry.objects.filter(action="lead.create").count() == 1

    detail = api.get(f"/api/v1/leads/{lead['id']}")
    assert detail.status_code == 200 and detail["ETag"]

    changed = api.patch(
        f"/api/v1/leads/{lead['id']}", {"notes": "已电话沟通", "budget_max": 200000}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["notes"] == "已电话沟通" and changed.json()["budget_max"] == "200000.00"
    assert changed["ETag"] != detail["ETag"]

    # a rep may not delete (no right: 404, as in the pages); the manager may
    assert api.delete(f"/api/v1/leads/{lead['id']}").status_code == 404
    assert api_as(org.manager).delete(f"/api/v1/leads/{lead['id']}").status_code == 204
    assert api.get(f"/api/v1/leads/{lead['id']}").status_code == 404
    assert Lead.all_objects.get(pk=lead["id"]).deleted_at is not None  # recycle bin


def test_missing_fields_and_bad_values_are_422_with_field_paths(org, api_as):
    api = api_as(org.rep)
    response = api.post(
        "/api/v1/leads",
        {"contact_name": "张三", "needs": "设备故障", "source_id": source().pk,
         "budget_min": 500, "budget_max": 100},
    )  # fmt: skip
    assert response.status_code == 422
    locs = {tuple(item["loc"]) for item in response.json()["detail"]}
    assert ("body", "company_name") in locs
    assert ("body", "budget_max") in locs


def test_id_card_number_in_notes_is_refused_at_notes(org, api_as):
    response = api_as(org.rep).post("/api/v1/leads", body(notes=f"身份证 {ID_CARD}"))
    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert item["loc"] == ["body", "notes"] and "身份证" in item["msg"]
    assert not Lead.objects.exists()


def test_service_rules_come_back_as_field_errors(org, api_as):
    api = api_as(org.rep)
    response = api.post("/api/v1/leads", body(phone="", email="", needs="有需求"))
    assert response.status_code == 422
    locs = {tuple(i["loc"]) for i in response.json()["detail"]}
    assert {("body", "phone"), ("body", "needs")} <= locs
    unknown = api.post("/api/v1/leads", body(source_id=999999))
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "source_id"]


def test_patch_budget_below_stored_minimum_is_422(org, api_as):
    lead = lead_of(org.rep, budget_min=100000)
    response = api_as(org.rep).patch(f"/api/v1/leads/{lead.pk}", {"budget_max": 5000})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "budget_max"]


def test_duplicate_is_409_with_matches_and_confirm_saves(org, api_as):
    theirs = lead_of(org.outsider, company_name="华星机械")
    api = api_as(org.rep)
    response = api.post("/api/v1/leads", body(owner_id=org.rep.pk))
    assert response.status_code == 409
    data = response.json()
    assert data["code"] == "duplicate"
    [match] = data["matches"]
    assert match["kind"] == "lead" and match["owner_name"] == "赵北方"
    assert match["in_scope"] is False and "id" not in match  # no link outside the scope
    assert set(match["reasons"]) >= {"name"}
    assert theirs.pk not in [m.get("id") for m in data["matches"]]
    confirmed = api.post("/api/v1/leads", body(owner_id=org.rep.pk, confirm_duplicate=True))
    assert confirmed.status_code == 201


def test_out_of_scope_lead_is_404_everywhere_and_absent_from_lists(org, api_as):
    theirs = lead_of(org.outsider)
    mine = lead_of(org.rep, company_name="我的客户")
    api = api_as(org.rep)
    url = f"/api/v1/leads/{theirs.pk}"
    assert api.get(url).status_code == 404
    assert api.patch(url, {"notes": "改"}).status_code == 404
    assert api.delete(url).status_code == 404
    assert api.post(f"{url}/status", {"status": "nurture"}).status_code == 404
    assert api.post(f"{url}/convert", {}).status_code == 404
    assert api.post(f"{url}/screen", {"answers": [], "intent": "high"}).status_code == 404
    assert api.post(f"{url}/assign", {"owner_id": org.rep.pk, "reason": "接手"}).status_code == 404
    ids = [item["id"] for item in api.get("/api/v1/leads").json()["items"]]
    assert ids == [mine.pk]
    theirs.refresh_from_db()
    assert theirs.deleted_at is None and theirs.notes == ""
    # the same 404 as a lead that does not exist
    assert api.get("/api/v1/leads/987654").json() == api.get(url).json()


def test_manager_sees_the_team_and_assigns(org, api_as):
    lead = lead_of(org.rep)
    api = api_as(org.manager)
    assert api.get(f"/api/v1/leads/{lead.pk}").status_code == 200
    response = api.post(
        f"/api/v1/leads/{lead.pk}/assign", {"owner_id": org.manager.pk, "reason": "重点跟进"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["owner"]["id"] == org.manager.pk
    refused = api.post(
        f"/api/v1/leads/{lead.pk}/assign", {"owner_id": org.outsider.pk, "reason": "转给北区"}
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "owner_id"]


def test_screen_status_and_convert(org, api_as):
    lead = lead_of(org.rep)
    api = api_as(org.rep)
    scorecard = (
        Scorecard.objects.filter(is_active=True).prefetch_related("criteria__options").first()
    )
    if scorecard is not None:
        answers = [
            {"criterion_id": c.pk, "option_id": c.options.all()[0].pk}
            for c in scorecard.criteria.all()
        ]
        screened = api.post(
            f"/api/v1/leads/{lead.pk}/screen", {"answers": answers, "intent": "high"}
        )
        assert screened.status_code == 200, screened.content
        assert screened.json()["lead"]["status"] == LeadStatus.SCREENED
    invalid = api.post(f"/api/v1/leads/{lead.pk}/status", {"status": "invalid"})
    assert invalid.status_code == 422 and invalid.json()["detail"][0]["loc"] == ["body", "reason"]
    nurture = api.post(f"/api/v1/leads/{lead.pk}/status", {"status": "nurture"})
    assert nurture.status_code == 200 and nurture.json()["status"] == "nurture"
    converted = api.post(
        f"/api/v1/leads/{lead.pk}/convert",
        {"opportunity": {"name": "产线改造", "amount": "300000"}, "confirm_duplicate": True},
    )
    assert converted.status_code == 200, converted.content
    data = converted.json()
    assert data["customer_id"] and data["opportunity_id"]
    assert data["lead"]["status"] == "converted"
    again = api.post(f"/api/v1/leads/{lead.pk}/convert", {"confirm_duplicate": True})
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_contact_details_are_masked_without_the_right(org, api_as):
    """The administrator sees every lead but has no "view contact details" right on leads."""
    lead = lead_of(org.rep)
    api = api_as(org.admin)
    responses = [
        api.get("/api/v1/leads"),
        api.get(f"/api/v1/leads/{lead.pk}"),
        api.patch(f"/api/v1/leads/{lead.pk}", {"notes": "管理员备注"}),
        api.post("/api/v1/leads", body(company_name="另一家", phone="13812345678",
                                       confirm_duplicate=True)),
    ]  # fmt: skip
    for response in responses:
        assert response.status_code in (200, 201), response.content
        text = response.content.decode()
        assert PHONE not in text and EMAIL not in text
        assert PHONE_MASKED in text and EMAIL_MASKED in text
    assert api_as(org.rep).get(f"/api/v1/leads/{lead.pk}").json()["phone"] == PHONE


def test_masked_value_sent_back_does_not_overwrite(org, api_as):
    lead = lead_of(org.rep)
    api = api_as(org.admin)
    shown = api.get(f"/api/v1/leads/{lead.pk}").json()
    response = api.patch(
        f"/api/v1/leads/{lead.pk}", {"phone": shown["phone"], "email": shown["email"], "notes": "x"}
    )
    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.phone == PHONE and lead.email == EMAIL and lead.notes == "x"


def test_filters_mirror_the_list_page(org, api_as):
    a = lead_of(org.rep, company_name="甲公司")
    b = lead_of(org.rep, company_name="乙公司")
    lead_services.lead_set_status(actor=org.rep, lead_id=b.pk, status="nurture")
    api = api_as(org.rep)
    assert [i["id"] for i in api.get("/api/v1/leads", {"q": "甲"}).json()["items"]] == [a.pk]
    assert [i["id"] for i in api.get("/api/v1/leads", {"status": "nurture"}).json()["items"]] == [
        b.pk
    ]
    assert api.get("/api/v1/leads", {"status": "bogus"}).status_code == 422
    assert api.get("/api/v1/leads", {"owner_id": org.rep.pk}).json()["items"]
