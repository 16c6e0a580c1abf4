"""The demo company's customers and leads (steps of ``seed_demo``): counts, keys, SLAs and
idempotence. One test seeds once — seeding takes seconds."""

from collections import Counter

import pytest
from django.utils import timezone

from salesflow.core.normalize import normalize_company_name, normalize_email, normalize_phone
from salesflow.customers.models import Contact, Customer, OwnershipEvent
from salesflow.customers.rules import grade_for_amount
from salesflow.leads import rules
from salesflow.leads.models import Lead, LeadAssignment, LeadScore, LeadStatus
from salesflow.org import demo

pytestmark = pytest.mark.django_db


def counts():
    from salesflow.core.models import AuditEntry

    return {
        model.__name__: model._base_manager.count()
        for model in (Customer, Contact, OwnershipEvent, Lead, LeadAssignment, LeadScore)
    } | {"audit": AuditEntry.objects.count()}


def test_demo_customers_and_leads():
    ctx = demo.seed()
    now = timezone.now()

    # --- customers
    assert ctx.created["customers"] >= 150
    customers = list(Customer.objects.select_related("owner__department", "region"))
    assert len(customers) == ctx.created["customers"] + ctx.created["converted leads"]
    grades = Counter(c.grade for c in customers)
    assert set(grades) == {"A", "B", "C"} and min(grades.values()) >= 20
    for customer in customers:
        assert customer.name_key and customer.name_key == normalize_company_name(customer.name)
        assert customer.phone_key == normalize_phone(customer.phone)
        assert customer.grade == grade_for_amount(customer.expected_annual_value)
        if customer.source_lead_id is None and customer.owner and customer.owner.department.region:
            assert customer.region.name == customer.owner.department.region
    pooled = [c for c in customers if c.owner is None]
    assert len(pooled) >= 15 and all(c.pool_id and c.pooled_at for c in pooled)
    assert OwnershipEvent.objects.filter(kind="recycle").count() >= 5
    stale = [c for c in customers if c.owner and c.last_followup_at and
             (now - c.last_followup_at).days > 30]  # fmt: skip
    assert len(stale) >= 5
    contacts = list(Contact.objects.all())
    assert len(contacts) >= len(customers)
    assert {c.decision_role for c in contacts} >= {"decision_maker", "influencer", "purchaser"}
    for contact in contacts:
        assert contact.phone_key == normalize_phone(contact.phone)
        assert contact.email_key == normalize_email(contact.email)
        assert contact.phone[:2] in ("13", "15", "18", "")

    # --- leads
    assert ctx.created["leads"] >= 300
    leads = list(Lead.objects.all())
    assert len(leads) == ctx.created["leads"]
    for lead in leads:
        assert lead.name_key and lead.name_key == normalize_company_name(lead.company_name)
        assert lead.phone_key == normalize_phone(lead.phone)
        assert lead.email_key == normalize_email(lead.email)
        assert lead.phone_key or lead.email_key
        assert lead.acquired_at <= lead.entered_at <= now
        assert lead.screening_due_at == rules.screening_due(lead.entered_at)
        if lead.grade == "A" and lead.graded_at:
            # the owner's team's rule (the demo's finished pilot gives 华东 12h)
            team = lead.owner.department_id if lead.owner_id else None
            assert lead.first_contact_due_at == rules.first_contact_due(lead.graded_at, team=team)
        if lead.first_contact_at:
            assert lead.graded_at <= lead.first_contact_at <= now
    assert set(Counter(lead.status for lead in leads)) == set(LeadStatus.values)
    assert {lead.grade for lead in leads} == {"", "A", "B", "C"}
    assert sum(not rules.entry_sla(x.acquired_at, x.entered_at).met for x in leads) >= 10
    assert sum(x.owner_id is None for x in leads) >= 10
    overdue_a = [
        x
        for x in leads
        if x.grade == "A" and x.first_contact_at is None and x.first_contact_due_at < now
    ]
    assert len(overdue_a) >= 3
    converted = [x for x in leads if x.status == LeadStatus.CONVERTED]
    assert len(converted) == ctx.created["converted leads"] >= 20
    for lead in converted:
        assert lead.converted_customer.source_lead_id == lead.pk
        assert lead.converted_customer.contacts.filter(is_primary=True).exists()
    assert LeadScore.objects.filter(items__isnull=False).distinct().count() >= 150

    # --- a second run creates nothing
    before = counts()
    again = demo.seed()
    assert not again.created
    assert counts() == before
