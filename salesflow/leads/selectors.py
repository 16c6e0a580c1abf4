"""Reads of leads. Every selector starts from ``restrict(user, action)``."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from salesflow.core.dedup import DuplicateMatch
from salesflow.core.normalize import normalize_company_name, normalize_email, normalize_phone
from salesflow.core.settings_registry import get_setting

from .models import OPEN_STATUSES, Lead, LeadStatus

SLA_FILTERS = ("screening_overdue", "contact_overdue", "due_soon")


def lead_list(
    *, user, filters: dict | None = None, search: str = "", now: datetime.datetime | None = None
) -> QuerySet[Lead]:
    qs = Lead.objects.restrict(user, "view").select_related("owner", "industry", "region", "source")
    filters = filters or {}
    for key in (
        "grade",
        "intent",
        "status",
        "source_id",
        "owner_id",
        "region_id",
        "industry_id",
        "team_id",
    ):
        value = filters.get(key)
        if value not in (None, ""):
            qs = qs.filter(**{key: value})
    if filters.get("unassigned") == "1":
        qs = qs.filter(owner__isnull=True)
    if filters.get("open") == "1":
        qs = qs.filter(status__in=OPEN_STATUSES)
    sla = filters.get("sla")
    if sla in SLA_FILTERS:
        qs = qs.filter(sla_q(sla, now or timezone.now()))
    search = (search or "").strip()
    if search:
        qs = qs.filter(_search_q(search))
    return qs.order_by("-id")


def sla_q(kind: str, now: datetime.datetime) -> Q:
    """Leads whose screening or A-class first contact is overdue, or due soon (setting
    ``sla.due_soon_hours``, default 4)."""
    screening_open = Q(status=LeadStatus.NEW, graded_at__isnull=True)
    contact_open = Q(grade="A", first_contact_at__isnull=True, status__in=OPEN_STATUSES)
    if kind == "screening_overdue":
        return screening_open & Q(screening_due_at__lt=now)
    if kind == "contact_overdue":
        return contact_open & Q(first_contact_due_at__lt=now)
    soon = now + datetime.timedelta(hours=float(get_setting("sla.due_soon_hours")))
    return (screening_open & Q(screening_due_at__gte=now, screening_due_at__lt=soon)) | (
        contact_open & Q(first_contact_due_at__gte=now, first_contact_due_at__lt=soon)
    )


def _search_q(search: str) -> Q:
    q = Q(company_name__icontains=search) | Q(contact_name__icontains=search)
    key = normalize_company_name(search)
    if key:
        q |= Q(name_key__startswith=key)
    phone = normalize_phone(search)
    if phone:
        q |= Q(phone_key=phone)
    if "@" in search:
        q |= Q(email_key=normalize_email(search))
    return q


def lead_get(*, user, pk: int, action: str = "view") -> Lead:
    return Lead.objects.select_related(
        "owner",
        "industry",
        "region",
        "source",
        "referral_customer",
        "converted_customer",
        "created_by",
        "team",
    ).get_in_scope(user, action, pk=pk)


def open_lead_count(user_id: int) -> int:
    return Lead.objects.filter(owner_id=user_id, status__in=OPEN_STATUSES).count()


def find_lead_duplicates(
    *, user, name_key: str, phone_keys, email_keys, exclude=None, limit: int = 10
) -> list[DuplicateMatch]:
    """Open or converted leads with the same keys, whatever the user's scope (out-of-scope
    ones are named with their owner only)."""
    q = Q()
    if name_key:
        q |= Q(name_key=name_key)
    if phone_keys:
        q |= Q(phone_key__in=list(phone_keys))
    if email_keys:
        q |= Q(email_key__in=list(email_keys))
    if not q:
        return []
    rows = Lead.objects.filter(q).exclude(status=LeadStatus.INVALID).select_related("owner")
    if exclude:
        rows = rows.exclude(pk=exclude)
    rows = list(rows.order_by("-id")[:limit])
    if not rows:
        return []
    visible = set(
        Lead.objects.restrict(user, "view")
        .filter(pk__in=[r.pk for r in rows])
        .values_list("pk", flat=True)
    )
    matches = []
    for row in rows:
        reasons = []
        if name_key and row.name_key == name_key:
            reasons.append("name")
        if row.phone_key and row.phone_key in phone_keys:
            reasons.append("phone")
        if row.email_key and row.email_key in email_keys:
            reasons.append("email")
        matches.append(
            DuplicateMatch(
                kind="lead",
                pk=row.pk,
                name=row.company_name,
                owner_name=str(row.owner) if row.owner else gettext("未分配"),
                reasons=tuple(reasons),
                in_scope=row.pk in visible,
                url=reverse("leads:detail", args=[row.pk]) if row.pk in visible else "",
            )
        )
    return matches


def find_duplicates(
    *, user, name="", phones=(), emails=(), exclude_lead=None, exclude_customer=None
) -> list[DuplicateMatch]:
    """A lead entry is checked against leads and customers."""
    from salesflow.customers.selectors import find_duplicates as find_all

    return find_all(
        user=user,
        name=name,
        phones=phones,
        emails=emails,
        exclude_customer=exclude_customer,
        exclude_lead=exclude_lead,
    )


# --- reads of the lead pages (views) ------------------------------------------------------


def assignable_users(*, user):
    """People a user may assign leads to: active, within their lead assign scope."""
    from salesflow.core.scope import has_right, owner_ids_for
    from salesflow.org.models import User

    if not has_right(user, "lead", "assign"):
        return User.objects.none()
    qs = User.objects.filter(is_active=True).select_related("department")
    reachable = owner_ids_for(user, "lead", "assign")
    if reachable is not None:
        qs = qs.filter(pk__in=sorted(reachable))
    return qs.order_by("department__path", "display_name", "id")


def owner_filter_users(*, user):
    """The owners offered by the list's owner filter: the people whose leads the user sees."""
    from salesflow.core.scope import owner_ids_for
    from salesflow.org.models import User

    qs = User.objects.filter(is_active=True)
    reachable = owner_ids_for(user, "lead", "view")
    if reachable is not None:
        qs = qs.filter(pk__in=sorted(reachable | {user.pk}))
    return qs.order_by("display_name", "id")


def unassigned_leads(*, user) -> QuerySet[Lead]:
    """Open leads without an owner that the user sees, oldest entry first (they still count
    against the entry and screening SLAs)."""
    return lead_list(user=user, filters={"unassigned": "1", "open": "1"}).order_by(
        "entered_at", "id"
    )


def merge_candidates(*, user, lead: Lead, search: str = "", limit: int = 20) -> list[Lead]:
    """Other leads the user may change that could be merged into ``lead``: those matching the
    search, or without a search the probable duplicates (same name, phone or e-mail key)."""
    qs = Lead.objects.restrict(user, "change").exclude(pk=lead.pk).select_related("owner")
    search = (search or "").strip()
    if search:
        qs = qs.filter(_search_q(search))
    else:
        q = Q(name_key=lead.name_key) if lead.name_key else Q()
        if lead.phone_key:
            q |= Q(phone_key=lead.phone_key)
        if lead.email_key:
            q |= Q(email_key=lead.email_key)
        if not q:
            return []
        qs = qs.filter(q)
    return list(qs.order_by("-id")[:limit])


def latest_score(*, lead: Lead):
    return lead.scores.select_related("actor").prefetch_related("items").first()


def lead_assessments(*, lead: Lead):
    return lead.assessments.select_related("actor").prefetch_related("items")


TIMELINE_AUDIT_ACTIONS = (
    "lead.create",
    "lead.change",
    "lead.contact",
    "lead.status",
    "lead.convert",
    "lead.merge",
)


def lead_timeline(*, lead: Lead) -> list[dict]:
    """Everything that happened to a lead, newest first: assignments, screenings, needs
    assessments and the audited events (entry, edits, contact, status, conversion, merge).
    Audit entries carry only the names of changed fields, never their values (contact
    details stay masked)."""
    from salesflow.core.audit import history_for

    events: list[dict] = []
    for row in lead.assignments.select_related("from_owner", "to_owner", "actor", "rule"):
        events.append({"kind": "assign", "at": row.at, "actor": row.actor, "obj": row})
    for row in lead.scores.select_related("actor"):
        events.append({"kind": "score", "at": row.at, "actor": row.actor, "obj": row})
    for row in lead.assessments.select_related("actor"):
        events.append({"kind": "assess", "at": row.at, "actor": row.actor, "obj": row})
    labels = {f.name: f.verbose_name for f in Lead._meta.concrete_fields}
    status_labels = dict(LeadStatus.choices)
    for entry in history_for(lead).filter(action__in=TIMELINE_AUDIT_ACTIONS):
        changes = entry.changes or {}
        event = {
            "kind": entry.action.removeprefix("lead."),
            "at": entry.at,
            "actor": entry.actor,
            "actor_name": entry.actor_name,
            "obj": entry,
            "message": entry.message,
        }
        if entry.action == "lead.change":
            event["fields"] = [str(labels.get(name, name)) for name in changes]
        if "status" in changes:
            before, after = changes["status"]
            event["status_from"] = status_labels.get(before, before or "")
            event["status_to"] = status_labels.get(after, after or "")
        events.append(event)
    events.sort(key=lambda e: e["at"], reverse=True)
    return events
