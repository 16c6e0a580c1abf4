"""Fixtures of the service tests: a small company with a customer-service desk, customers of
two reps, and helpers that walk a complaint through the real services."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from salesflow.core.models import SettingValue
from salesflow.core.settings_registry import forget_cached_settings
from salesflow.customers.models import Customer
from salesflow.service import services
from salesflow.service.models import ComplaintType

TZ = timezone.get_default_timezone()


def local(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TZ)


@pytest.fixture
def people(make_user, make_department):
    """director ← manager ← rep (East); other_rep in North; a customer-service desk whose
    lead reports to the director."""
    company = make_department("华信")
    east = make_department("华东区", parent=company)
    north = make_department("华北区", parent=company)
    desk = make_department("客服部", parent=company)
    director = make_user("sales_director", department=company, username="director")
    manager = make_user("sales_manager", department=east, manager=director, username="mgr")
    rep = make_user("sales_rep", department=east, manager=manager, username="rep")
    other_manager = make_user("sales_manager", department=north, manager=director, username="mgr2")
    other_rep = make_user("sales_rep", department=north, manager=other_manager, username="rep2")
    cs_lead = make_user("customer_service", department=desk, manager=director, username="cslead")
    cs = make_user("customer_service", department=desk, manager=cs_lead, username="cs")
    return {
        "director": director,
        "manager": manager,
        "rep": rep,
        "other_manager": other_manager,
        "other_rep": other_rep,
        "cs_lead": cs_lead,
        "cs": cs,
    }


def make_customer(owner, name="苏州恒达精密机械有限公司", **fields) -> Customer:
    return Customer.objects.create(
        name=name, name_key=f"{name}-{owner.pk if owner else 0}", owner=owner, **fields
    )


@pytest.fixture
def customer(people):
    return make_customer(people["rep"])


@pytest.fixture
def other_customer(people):
    return make_customer(people["other_rep"], name="天津北辰化工有限公司")


@pytest.fixture
def quality(db):
    return ComplaintType.objects.get(name="产品质量")


@pytest.fixture
def set_setting(db):
    def put(key, value):
        SettingValue.objects.update_or_create(key=key, defaults={"value": str(value)})
        forget_cached_settings()

    yield put
    forget_cached_settings()


@pytest.fixture
def freeze(monkeypatch):
    """``freeze(moment)``: the services see ``moment`` as now."""

    def at(moment):
        monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
        return moment

    return at


def log_complaint(actor, customer, complaint_type, **data):
    payload = {"type": complaint_type, "description": "焊接机器人第三轴异响，影响产线节拍"}
    payload.update(data)
    return services.complaint_create(actor=actor, customer_id=customer.pk, data=payload)


def to_completed(complaint, handler):
    services.complaint_plan(
        actor=handler,
        complaint_id=complaint.pk,
        plan="更换第三轴减速机，工程师上门",
        resolve_by=timezone.localdate() + datetime.timedelta(days=3),
    )
    return services.complaint_complete(actor=handler, complaint_id=complaint.pk, note="已更换")


D = Decimal
