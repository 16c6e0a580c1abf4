"""Fixtures of the analytics tests: a small organisation and helpers that write opportunities,
stage events, leads and follow-ups straight into the tables with known dates and durations, so
every figure can be computed by hand."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import pytest

from salesflow.customers.models import Customer
from salesflow.pipeline.models import (
    Opportunity,
    OpportunityStatus,
    ProcessTemplate,
    StageEvent,
)

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
D = Decimal
DEFAULT_AMOUNT = Decimal("100000")


def at(day: datetime.date | str, hour: int = 10) -> datetime.datetime:
    if isinstance(day, str):
        day = datetime.date.fromisoformat(day)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SH)


@pytest.fixture
def people(make_user, make_department):
    """director (company) ← manager (East) ← rep; rep2 in North reports to the director."""
    company = make_department("华信")
    east = make_department("华东区", parent=company)
    north = make_department("华北区", parent=company)
    director = make_user("sales_director", department=company, username="director")
    manager = make_user("sales_manager", department=east, manager=director, username="mgr")
    rep = make_user("sales_rep", department=east, manager=manager, username="rep")
    rep2 = make_user("sales_rep", department=north, manager=director, username="rep2")
    return {
        "director": director,
        "manager": manager,
        "rep": rep,
        "rep2": rep2,
        "east": east,
        "north": north,
    }


@pytest.fixture
def b2b(db):
    """The preloaded B2B template: its current version and stages by code."""
    template = ProcessTemplate.objects.get(name="标准B2B销售流程")
    version = template.current_version()
    stages = {s.code: s for s in version.stages.all()}
    return {"template": template, "version": version, "stages": stages}


class Builder:
    def __init__(self, b2b):
        self.version = b2b["version"]
        self.stages = b2b["stages"]
        self.n = 0

    def customer(self, owner, **fields) -> Customer:
        self.n += 1
        return Customer.objects.create(
            name=f"客户{self.n}", name_key=f"analytics-{self.n}", owner=owner, **fields
        )

    def opportunity(
        self,
        owner,
        *,
        created,
        stage="initial_contact",
        status=OpportunityStatus.OPEN,
        amount=DEFAULT_AMOUNT,
        probability=20,
        closed=None,
        customer=None,
        expected_close=None,
        path=(),
        source_lead=None,
    ) -> Opportunity:
        """An opportunity created at ``created`` in its first stage, then moved along ``path``:
        ``[(kind, to_stage_code, at, working_days_in_previous, hours_in_previous)]``."""
        customer = customer or self.customer(owner)
        first = self.stages["initial_contact"]
        opp = Opportunity.objects.create(
            name=f"商机{self.n}",
            customer=customer,
            amount=amount,
            probability=probability,
            template_version=self.version,
            stage=self.stages[stage],
            status=status,
            owner=owner,
            created_at=at(created) if not isinstance(created, datetime.datetime) else created,
            closed_at=at(closed) if isinstance(closed, str) else closed,
            expected_close_date=expected_close,
            source_lead=source_lead,
        )
        StageEvent.objects.create(
            opportunity=opp, kind=StageEvent.Kind.CREATE, to_stage=first, at=opp.created_at
        )
        current = first
        for kind, code, when, days, hours in path:
            to_stage = self.stages[code] if code else current
            StageEvent.objects.create(
                opportunity=opp,
                kind=kind,
                from_stage=current,
                to_stage=to_stage,
                skipped=kind == StageEvent.Kind.SKIP,
                at=at(when) if isinstance(when, str) else when,
                working_days_in_previous=None if days is None else D(str(days)),
                hours_in_previous=None if hours is None else D(str(hours)),
            )
            current = to_stage
        return opp


@pytest.fixture
def build(b2b):
    return Builder(b2b)


def make_leads(owner, count, day, **fields):
    from salesflow.leads.models import Lead, LeadSource

    source = fields.pop("source", None) or LeadSource.objects.order_by("id").first()
    rows = [
        Lead(
            company_name=f"线索公司{owner.pk if owner else 0}-{i}-{day}",
            name_key=f"lead-{owner.pk if owner else 0}-{i}-{day}",
            contact_name="张三",
            source=source,
            acquired_at=at(day, 9),
            entered_at=at(day, 10),
            owner=owner,
            **fields,
        )
        for i in range(count)
    ]
    return Lead.objects.bulk_create(rows)
