"""Shared fixtures and builders of the follow-up, task, cadence and sweep tests (imported by
those test modules: ``from .followup_fixtures import *``)."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from salesflow.customers.models import Customer
from salesflow.leads.models import Lead, LeadSource, LeadStatus
from salesflow.pipeline import services as pipeline_services

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)
PDF = b"%PDF-1.4 minutes"

__all__ = [
    "PDF",
    "SH",
    "D",
    "H",
    "at",
    "customer_for",
    "followup_data",
    "lead_for",
    "opportunity_for",
    "people",
]


def at(*args) -> datetime.datetime:
    """A Shanghai time: ``at(2025, 10, 1, 10)``."""
    return datetime.datetime(*args, tzinfo=SH)


@pytest.fixture
def people(make_user, make_department):
    """Sales (director → manager → rep, other rep under the director), a tech department with a
    product expert, an assistant in sales, and customer service."""
    company = make_department("测试公司")
    sales = make_department("销售部", parent=company)
    tech = make_department("技术部", parent=company)
    director = make_user("sales_director", department=sales, username="director",
                         display_name="周总监")  # fmt: skip
    manager = make_user("sales_manager", department=sales, manager=director, username="mgr",
                        display_name="王经理")  # fmt: skip
    rep = make_user("sales_rep", department=sales, manager=manager, username="rep",
                    display_name="李销售")  # fmt: skip
    mate = make_user("sales_rep", department=sales, manager=manager, username="mate",
                     display_name="赵同事")  # fmt: skip
    other = make_user("sales_rep", department=sales, manager=director, username="other",
                      display_name="钱其他")  # fmt: skip
    expert = make_user("product_expert", department=tech, username="expert",
                       display_name="孙专家")  # fmt: skip
    assistant = make_user("sales_assistant", department=sales, username="assistant",
                          display_name="吴助理")  # fmt: skip
    return {
        "director": director,
        "manager": manager,
        "rep": rep,
        "mate": mate,
        "other": other,
        "expert": expert,
        "assistant": assistant,
        "sales": sales,
        "tech": tech,
    }


def customer_for(owner, grade="B", name=None, **fields) -> Customer:
    name = name or f"客户{grade}{owner.pk}{Customer.all_objects.count()}"
    fields.setdefault("owned_since", timezone.now())
    return Customer.objects.create(name=name, name_key=name, owner=owner, grade=grade, **fields)


def lead_for(owner, name=None, **fields) -> Lead:
    name = name or f"线索公司{Lead.all_objects.count()}"
    source = LeadSource.objects.order_by("id").first() or LeadSource.objects.create(name="展会")
    fields.setdefault("acquired_at", timezone.now() - H)
    fields.setdefault("status", LeadStatus.SCREENED)
    fields.setdefault("assigned_at", timezone.now())
    return Lead.objects.create(
        company_name=name,
        name_key=name,
        contact_name="张先生",
        phone="13800001111",
        needs="现有设备故障率高，每月停机约20小时",
        source=source,
        owner=owner,
        **fields,
    )


def opportunity_for(owner, customer=None):
    customer = customer or customer_for(owner)
    return pipeline_services.opportunity_create(
        actor=owner,
        customer_id=customer.pk,
        data={"name": f"产线改造{customer.pk}", "amount": Decimal("300000")},
    )


def followup_data(**overrides) -> dict:
    data = {
        "communicated_at": timezone.now() - H / 2,
        "method": "visit",
        "topic": "需求沟通",
        "summary": "介绍方案，客户关注交付周期",
        "customer_words": "“预算要等下季度才批”",
        "next_step_action": "",
        "next_step_due": None,
        "result": "done",
    }
    data.update(overrides)
    return data
