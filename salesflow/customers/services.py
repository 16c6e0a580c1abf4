"""Writes of customers and contacts: create/update with duplicate check, grading, ownership,
the 公海 pool, merge and the recycle bin. Every function checks rights and scope, runs in one
transaction and writes the audit trail."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.core.audit import audit, snapshot
from salesflow.core.dedup import DuplicateFound
from salesflow.core.errors import DomainError, NotAllowed, ValidationError
from salesflow.core.events import emit
from salesflow.core.normalize import normalize_company_name, normalize_email, normalize_phone
from salesflow.core.pii import reject_sensitive
from salesflow.core.scope import has_right, owner_ids_for
from salesflow.core.settings_registry import get_setting
from salesflow.org.models import User

from . import selectors
from .models import (
    Contact,
    Customer,
    CustomerPool,
    GradeChange,
    GradeSource,
    OwnershipEvent,
)
from .rules import grade_for_amount, tier_for_amount

CUSTOMER_TEXT_FIELDS = ("name", "address", "website", "phone", "service_needs", "notes")
CONTACT_TEXT_FIELDS = ("name", "title", "phone", "email", "wechat", "notes")
CUSTOMER_FIELDS = (
    "name", "industry", "region", "employees", "annual_revenue", "address", "website", "phone",
    "service_needs", "notes", "team", "expected_annual_value", "credit_rating", "credit_limit",
    "tier",
)  # fmt: skip
CONTACT_FIELDS = ("name", "title", "decision_role", "phone", "email", "wechat", "is_primary",
                  "notes")  # fmt: skip


def _require(actor, object_type: str, action: str, message: str) -> None:
    if not has_right(actor, object_type, action):
        raise NotAllowed(message)


def _set_keys(customer: Customer) -> None:
    customer.name_key = normalize_company_name(customer.name)
    customer.phone_key = normalize_phone(customer.phone)


def _set_contact_keys(contact: Contact) -> None:
    contact.phone_key = normalize_phone(contact.phone)
    contact.email_key = normalize_email(contact.email)


def _validate(obj, text_fields) -> None:
    reject_sensitive({f: getattr(obj, f) or "" for f in text_fields})
    obj.full_clean(exclude=["owner", "created_by", "pool", "deleted_by"])


def _owner_must_be_assignable(actor, owner: User | None) -> None:
    """Without the assign right a user may only own records themselves; with it, only people
    inside their assign scope may receive them."""
    if owner is None or owner == actor:
        return
    if not has_right(actor, "customer", "assign"):
        raise NotAllowed(_("没有把客户分配给他人的权限。"))
    if not owner.is_active:
        raise ValidationError({"owner": _("该用户已停用。")})
    reachable = owner_ids_for(actor, "customer", "assign")
    if reachable is not None and owner.pk not in reachable:
        raise ValidationError({"owner": _("只能分配给自己数据范围内的人员。")})


def customer_create(
    *,
    actor,
    data: dict,
    contacts: list[dict] | tuple = (),
    owner: User | None = None,
    confirm_duplicate: bool = False,
    source_lead_id: int | None = None,
) -> Customer:
    """Register a customer (and its contacts). Duplicates by name, phone or contact phone/email
    raise ``DuplicateFound`` unless the user confirmed after seeing them."""
    _require(actor, "customer", "add", _("没有新增客户的权限。"))
    owner = owner if owner is not None else (actor if getattr(actor, "pk", None) else None)
    _owner_must_be_assignable(actor, owner)
    customer = Customer(**{k: v for k, v in data.items() if k in CUSTOMER_FIELDS})
    customer.owner = owner
    customer.created_by = actor if getattr(actor, "pk", None) else None
    customer.source_lead_id = source_lead_id
    if owner is not None:
        customer.owned_since = timezone.now()
        customer.team = customer.team or owner.department
    _set_keys(customer)
    _validate(customer, CUSTOMER_TEXT_FIELDS)
    contact_rows = []
    for row in contacts:
        contact = Contact(**{k: v for k, v in row.items() if k in CONTACT_FIELDS})
        _set_contact_keys(contact)
        reject_sensitive({f: getattr(contact, f) or "" for f in CONTACT_TEXT_FIELDS})
        contact_rows.append(contact)
    if not confirm_duplicate:
        matches = selectors.find_duplicates(
            user=actor,
            name=customer.name,
            phones=[customer.phone, *(c.phone for c in contact_rows)],
            emails=[c.email for c in contact_rows],
            exclude_lead=source_lead_id,  # a converted lead is not a duplicate of itself
        )
        if matches:
            raise DuplicateFound(matches)
    with transaction.atomic():
        customer.grade = grade_for_amount(customer.expected_annual_value)
        customer.grade_source = GradeSource.EXPECTED
        customer.tier = tier_for_amount(customer.expected_annual_value)
        customer.save()
        for contact in contact_rows:
            contact.customer = customer
            contact.full_clean(exclude=["deleted_by"])
            contact.save()
        GradeChange.objects.create(
            customer=customer,
            from_grade="",
            to_grade=customer.grade,
            source=GradeSource.EXPECTED,
            amount=customer.expected_annual_value,
            actor=_user_or_none(actor),
        )
        OwnershipEvent.objects.create(
            customer=customer,
            kind=OwnershipEvent.Kind.CREATE,
            to_owner=owner,
            actor=_user_or_none(actor),
        )
        audit(actor=actor, action="customer.create", obj=customer, after=snapshot(customer))
    return customer


def _user_or_none(actor):
    return actor if getattr(actor, "pk", None) else None


def customer_update(
    *, actor, customer_id: int, data: dict, confirm_duplicate: bool = False
) -> Customer:
    with transaction.atomic():
        customer = (
            Customer.objects.restrict(actor, "change")
            .select_for_update()
            .get_in_scope(actor, "change", pk=customer_id)
        )
        before = snapshot(customer)
        for key, value in data.items():
            if key in CUSTOMER_FIELDS:
                setattr(customer, key, value)
        _set_keys(customer)
        _validate(customer, CUSTOMER_TEXT_FIELDS)
        if not confirm_duplicate and (
            before["name"] != customer.name or before["phone"] != customer.phone
        ):
            matches = selectors.find_duplicates(
                user=actor,
                name=customer.name,
                phones=[customer.phone],
                exclude_customer=customer.pk,
            )
            if matches:
                raise DuplicateFound(matches)
        customer.save()
        # Compare as numbers: the snapshot holds "150000.00", a form may give Decimal("150000").
        if Decimal(before["expected_annual_value"]) != Decimal(customer.expected_annual_value):
            _regrade(customer, actor=actor, reason=_("预计年采购额变更"))
        audit(
            actor=actor,
            action="customer.change",
            obj=customer,
            before=before,
            after=snapshot(customer),
        )
    return customer


# --- grading ----------------------------------------------------------------------------------


def purchases_last_12_months(customer: Customer, now: datetime.datetime | None = None) -> Decimal:
    """Sum of the customer's orders in the last 12 months: the stored ``purchases_12m``, kept
    by the deals module through ``customer_set_purchases`` (on every order and nightly). With
    no orders (0) grading falls back to the expected annual value."""
    return customer.purchases_12m or Decimal(0)


def _regrade(customer: Customer, *, actor=None, reason: str = "") -> bool:
    """Recompute the ABC grade and tier unless an administrator's manual override stands."""
    if customer.grade_source == GradeSource.MANUAL:
        return False
    orders = purchases_last_12_months(customer)
    if orders > 0:
        amount, source = orders, GradeSource.ORDERS
    else:
        amount, source = customer.expected_annual_value, GradeSource.EXPECTED
    grade = grade_for_amount(amount)
    tier = tier_for_amount(amount)
    changed = grade != customer.grade
    if changed:
        GradeChange.objects.create(
            customer=customer,
            from_grade=customer.grade,
            to_grade=grade,
            source=source,
            amount=amount,
            reason=reason,
            actor=_user_or_none(actor),
        )
    Customer.objects.filter(pk=customer.pk).update(grade=grade, grade_source=source, tier=tier)
    customer.grade, customer.grade_source, customer.tier = grade, source, tier
    if changed:
        emit("customer.changed", customer_id=customer.pk)
    return changed


def customer_set_purchases(
    *,
    customer_id: int,
    amount: Decimal,
    first_deal_at: datetime.datetime | None = None,
    actor=None,
    reason: str = "",
) -> Customer:
    """Called by the deals module with the sum of the customer's orders of the last 12 months:
    store it, start the "new customer" lifecycle at the first deal (the earliest one wins) and
    recompute the grade and tier (history kept; a manual override stands)."""
    with transaction.atomic():
        customer = Customer.all_objects.select_for_update().get(pk=customer_id)
        updates = {}
        if customer.purchases_12m != amount:
            updates["purchases_12m"] = amount
        if first_deal_at is not None and (
            customer.first_deal_at is None or first_deal_at < customer.first_deal_at
        ):
            updates["first_deal_at"] = first_deal_at
        if updates:
            Customer.all_objects.filter(pk=customer.pk).update(**updates)
            for key, value in updates.items():
                setattr(customer, key, value)
        _regrade(customer, actor=actor, reason=reason)
    return customer


def customer_regrade(*, actor, customer_id: int, reason: str = "") -> Customer:
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get_in_scope(
            actor, "change", pk=customer_id
        )
        _regrade(customer, actor=actor, reason=reason)
    return customer


def customer_grade_override(*, actor, customer_id: int, grade: str | None, reason: str):
    """Set the grade by hand (a reason is required) or, with ``grade=None``, go back to the
    computed grade."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("人工调整分级必须填写原因。")})
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get_in_scope(
            actor, "change", pk=customer_id
        )
        before = snapshot(customer)
        if grade is None:
            customer.grade_source = GradeSource.EXPECTED
            Customer.objects.filter(pk=customer.pk).update(grade_source=GradeSource.EXPECTED)
            _regrade(customer, actor=actor, reason=reason)
        else:
            if grade not in ("A", "B", "C"):
                raise ValidationError({"grade": _("等级只能是 A、B 或 C。")})
            GradeChange.objects.create(
                customer=customer,
                from_grade=customer.grade,
                to_grade=grade,
                source=GradeSource.MANUAL,
                amount=purchases_last_12_months(customer),
                reason=reason,
                actor=_user_or_none(actor),
            )
            customer.grade, customer.grade_source = grade, GradeSource.MANUAL
            customer.save(update_fields=["grade", "grade_source", "updated_at"])
        emit("customer.changed", customer_id=customer.pk)
        audit(
            actor=actor,
            action="customer.grade_override",
            obj=customer,
            before=before,
            after=snapshot(customer),
            message=reason,
        )
    return customer


# --- ownership and the 公海 pool -----------------------------------------------------------------


def customer_assign(*, actor, customer_ids: list[int], to_owner: User, reason: str) -> int:
    """Bulk (re)assignment by a manager, with a reason; every change is an event + audit."""
    _require(actor, "customer", "assign", _("没有分配客户的权限。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写分配原因。")})
    _owner_must_be_assignable(actor, to_owner)
    now = timezone.now()
    changed = 0
    with transaction.atomic():
        rows = (
            Customer.objects.restrict(actor, "assign")
            .select_for_update()
            .filter(pk__in=customer_ids)
        )
        found = list(rows)
        if len(found) != len(set(customer_ids)):
            raise ValidationError({"customers": _("部分客户不存在或不在您的数据范围内。")})
        for customer in found:
            if customer.owner_id == to_owner.pk:
                continue
            OwnershipEvent.objects.create(
                customer=customer,
                kind=OwnershipEvent.Kind.ASSIGN,
                from_owner=customer.owner,
                to_owner=to_owner,
                pool=customer.pool,
                reason=reason,
                actor=actor,
                at=now,
            )
            before = snapshot(customer, ["owner", "pool", "team"])
            customer.owner, customer.pool, customer.pooled_at = to_owner, None, None
            customer.owned_since = now
            customer.team = to_owner.department
            customer.save(
                update_fields=["owner", "pool", "pooled_at", "owned_since", "team", "updated_at"]
            )
            emit("customer.changed", customer_id=customer.pk)
            audit(
                actor=actor,
                action="customer.assign",
                obj=customer,
                before=before,
                after=snapshot(customer, ["owner", "pool", "team"]),
                message=reason,
            )
            changed += 1
    return changed


def pool_for(customer: Customer) -> CustomerPool:
    """The pool a customer returns to: the active pool of the nearest department of its team
    (walking up the tree), else the company pool."""
    pools = {p.department_id: p for p in CustomerPool.objects.filter(is_active=True)}
    department = customer.team
    while department is not None:
        if department.pk in pools:
            return pools[department.pk]
        department = department.parent
    if None in pools:
        return pools[None]
    return CustomerPool.objects.create(name=_("公司公海"))


def _return_to_pool(customer: Customer, *, actor, kind: str, reason: str) -> None:
    pool = pool_for(customer)
    now = timezone.now()
    OwnershipEvent.objects.create(
        customer=customer,
        kind=kind,
        from_owner=customer.owner,
        to_owner=None,
        pool=pool,
        reason=reason,
        actor=_user_or_none(actor),
        at=now,
    )
    before = snapshot(customer, ["owner", "pool"])
    customer.owner, customer.pool, customer.pooled_at, customer.owned_since = None, pool, now, None
    customer.save(update_fields=["owner", "pool", "pooled_at", "owned_since", "updated_at"])
    audit(
        actor=actor,
        action=f"customer.{kind}",
        obj=customer,
        before=before,
        after=snapshot(customer, ["owner", "pool"]),
        message=reason,
    )


def customer_return_to_pool(*, actor, customer_id: int, reason: str) -> Customer:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写退回公海的原因。")})
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get_in_scope(
            actor, "change", pk=customer_id
        )
        if customer.owner_id is None:
            raise DomainError(_("该客户已在公海中。"))
        _return_to_pool(customer, actor=actor, kind=OwnershipEvent.Kind.RETURN, reason=reason)
    return customer


def claim_limit_for(pool: CustomerPool | None) -> int:
    if pool is not None and pool.claim_limit:
        return pool.claim_limit
    return get_setting("customer.pool_claim_limit")


def customer_claim(*, actor, customer_id: int) -> Customer:
    """Claim a pool customer. The per-person limit counts the customers the user owns that
    came from a pool claim and are still theirs; the user row is locked so two claims at once
    cannot both pass the limit."""
    _require(actor, "customer", "add", _("没有领取公海客户的权限。"))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=actor.pk).first()
        customer = (
            selectors.pool_customers(user=actor)
            .select_for_update(of=("self",))
            .filter(pk=customer_id)
            .first()
        )
        if customer is None:
            raise DomainError(_("该客户不在您可领取的公海中，可能已被他人领取。"))
        limit = claim_limit_for(customer.pool)
        held = selectors.claimed_and_held_count(user=actor)
        if held >= limit:
            raise DomainError(
                _("您已领取并持有 %(held)s 个公海客户，达到上限 %(limit)s。")
                % {"held": held, "limit": limit}
            )
        now = timezone.now()
        OwnershipEvent.objects.create(
            customer=customer,
            kind=OwnershipEvent.Kind.CLAIM,
            from_owner=None,
            to_owner=actor,
            pool=customer.pool,
            actor=actor,
            at=now,
        )
        before = snapshot(customer, ["owner", "pool"])
        customer.owner, customer.pool, customer.pooled_at = actor, None, None
        customer.owned_since, customer.team = now, actor.department
        customer.save(
            update_fields=["owner", "pool", "pooled_at", "owned_since", "team", "updated_at"]
        )
        emit("customer.changed", customer_id=customer.pk)
        audit(
            actor=actor,
            action="customer.claim",
            obj=customer,
            before=before,
            after=snapshot(customer, ["owner", "pool"]),
        )
    return customer


def pool_recycle(*, now: datetime.datetime | None = None) -> int:
    """The nightly job: owned customers without a follow-up for N days (counted from the later
    of the last follow-up and the time they were claimed or assigned) return to their pool,
    with a pool event that names the rule. One short transaction per customer (row lock), so
    the job never holds the table; idempotent: a recycled customer has no owner."""
    now = now or timezone.now()
    default_days = get_setting("customer.pool_recycle_days")
    recycled = 0
    pools = list(CustomerPool.objects.filter(is_active=True))
    day_limits = {p.department_id: p.recycle_days or default_days for p in pools}
    # The smallest limit bounds the candidates; each customer is then judged by its own pool.
    shortest = min([default_days, *day_limits.values()])
    cutoff = now - datetime.timedelta(days=shortest)
    candidates = (
        Customer.objects.filter(owner__isnull=False)
        .filter(Q(last_followup_at__lt=cutoff) | Q(last_followup_at__isnull=True))
        .values_list("pk", flat=True)
    )
    for pk in list(candidates.order_by("pk")):
        with transaction.atomic():
            customer = (
                Customer.objects.select_for_update(of=("self",))  # team is an outer join
                .select_related("team")
                .filter(pk=pk, owner__isnull=False)
                .first()
            )
            if customer is None:
                continue
            pool = pool_for(customer)
            days = pool.recycle_days or default_days
            reference = max(
                [
                    t
                    for t in (customer.last_followup_at, customer.owned_since, customer.created_at)
                    if t is not None
                ]
            )
            if now - reference < datetime.timedelta(days=days):
                continue
            reason = _("超过 %(days)s 天未跟进，自动退回公海") % {"days": days}
            _return_to_pool(customer, actor=None, kind=OwnershipEvent.Kind.RECYCLE, reason=reason)
            recycled += 1
    return recycled


# --- contacts ---------------------------------------------------------------------------------


def contact_add(*, actor, customer_id: int, data: dict) -> Contact:
    _require(actor, "contact", "add", _("没有新增联系人的权限。"))
    with transaction.atomic():
        customer = Customer.objects.get_in_scope(actor, "change", pk=customer_id)
        contact = Contact(
            customer=customer, **{k: v for k, v in data.items() if k in CONTACT_FIELDS}
        )
        _set_contact_keys(contact)
        _validate(contact, CONTACT_TEXT_FIELDS)
        contact.save()
        audit(actor=actor, action="contact.create", obj=contact, after=snapshot(contact))
    return contact


def contact_update(*, actor, contact_id: int, data: dict) -> Contact:
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get_in_scope(actor, "change", pk=contact_id)
        before = snapshot(contact)
        for key, value in data.items():
            if key in CONTACT_FIELDS:
                setattr(contact, key, value)
        _set_contact_keys(contact)
        _validate(contact, CONTACT_TEXT_FIELDS)
        contact.save()
        audit(
            actor=actor,
            action="contact.change",
            obj=contact,
            before=before,
            after=snapshot(contact),
        )
    return contact


# --- merge and recycle bin ----------------------------------------------------------------------


def customer_merge(*, actor, keep_id: int, merge_id: int, reason: str = "") -> Customer:
    """Merge ``merge_id`` into ``keep_id``: contacts, ownership history, grade history, referred
    leads and every record that points at the customer move over; the merged customer goes to
    the recycle bin with a note. Both must be within the user's change scope."""
    if keep_id == merge_id:
        raise ValidationError({"merge": _("不能把客户合并到自身。")})
    with transaction.atomic():
        keep = Customer.objects.select_for_update().get_in_scope(actor, "change", pk=keep_id)
        other = Customer.objects.select_for_update().get_in_scope(actor, "change", pk=merge_id)
        moved = _repoint_relations(other, keep)
        for field in (
            "industry",
            "region",
            "employees",
            "annual_revenue",
            "address",
            "website",
            "phone",
            "service_needs",
            "credit_rating",
        ):
            if not getattr(keep, field) and getattr(other, field):
                setattr(keep, field, getattr(other, field))
        keep.expected_annual_value = max(keep.expected_annual_value, other.expected_annual_value)
        keep.purchases_12m = (keep.purchases_12m or 0) + (other.purchases_12m or 0)
        if other.first_deal_at and (
            not keep.first_deal_at or other.first_deal_at < keep.first_deal_at
        ):
            keep.first_deal_at = other.first_deal_at
        _set_keys(keep)
        keep.save()
        OwnershipEvent.objects.create(
            customer=keep,
            kind=OwnershipEvent.Kind.MERGE,
            from_owner=other.owner,
            to_owner=keep.owner,
            reason=reason or _("合并客户“%(name)s”") % {"name": other.name},
            actor=actor,
        )
        other.notes = (other.notes + "\n" if other.notes else "") + _("已合并到客户 #%(id)s") % {
            "id": keep.pk
        }
        other.save(update_fields=["notes", "updated_at"])
        other.mark_deleted(actor)
        _regrade(keep, actor=actor, reason=_("合并客户"))
        audit(
            actor=actor,
            action="customer.merge",
            obj=keep,
            after={"merged": other.pk, "moved": moved},
            message=reason,
        )
    return keep


def _repoint_relations(old: Customer, new: Customer) -> dict:
    """Point every foreign key that references ``old`` at ``new`` (contacts, events, leads and
    whatever later modules add), without knowing those modules."""
    moved = {}
    for relation in Customer._meta.related_objects:
        if not relation.one_to_many and not relation.one_to_one:
            continue
        model = relation.related_model
        manager = getattr(model, "all_objects", model._base_manager)
        count = manager.filter(**{relation.field.name: old}).update(**{relation.field.name: new})
        if count:
            moved[model._meta.label_lower + "." + relation.field.name] = count
    return moved


def customer_delete(*, actor, customer_id: int) -> None:
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get_in_scope(
            actor, "delete", pk=customer_id
        )
        customer.mark_deleted(actor)
        audit(actor=actor, action="customer.delete", obj=customer, before=snapshot(customer))


def customer_restore(*, actor, customer_id: int) -> Customer:
    _require(actor, "org.user", "change", _("只有管理员可以从回收站恢复。"))
    with transaction.atomic():
        customer = Customer.all_objects.select_for_update().get(pk=customer_id)
        customer.deleted_at, customer.deleted_by = None, None
        customer.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        audit(actor=actor, action="customer.restore", obj=customer)
    return customer


def record_followup(*, customer_id: int, at: datetime.datetime) -> None:
    """Called by the follow-ups module: moves ``last_followup_at`` forward only."""
    Customer.all_objects.filter(pk=customer_id).filter(
        Q(last_followup_at__isnull=True) | Q(last_followup_at__lt=at)
    ).update(last_followup_at=at)
