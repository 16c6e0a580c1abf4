"""Reads of customers and contacts. Every selector starts from ``restrict(user, action)``."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext

from salesflow.core.dedup import DuplicateMatch, extra_matches
from salesflow.core.normalize import normalize_company_name, normalize_email, normalize_phone
from salesflow.core.scope import has_right, owner_ids_for

from .models import Contact, Customer, CustomerPool, OwnershipEvent


def customer_list(*, user, filters: dict | None = None, search: str = "") -> QuerySet[Customer]:
    """The customers a user may see, filtered; ordered newest first (index: owner, -id)."""
    qs = Customer.objects.restrict(user, "view").select_related(
        "owner", "industry", "region", "team"
    )
    filters = filters or {}
    for key in (
        "grade",
        "tier",
        "industry_id",
        "region_id",
        "owner_id",
        "team_id",
        "pool_id",
        "credit_rating",
    ):
        value = filters.get(key)
        if value not in (None, ""):
            qs = qs.filter(**{key: value})
    if filters.get("in_pool") == "1":
        qs = qs.filter(owner__isnull=True)
    elif filters.get("in_pool") == "0":
        qs = qs.filter(owner__isnull=False)
    search = (search or "").strip()
    if search:
        qs = qs.filter(_search_q(search))
    return qs.order_by("-id")


def _search_q(search: str) -> Q:
    """Name by prefix of the normalised key or substring; phone and e-mail by exact key (also
    of any contact), so searching by a phone number is an index lookup."""
    q = Q(name__icontains=search)
    key = normalize_company_name(search)
    if key:
        q |= Q(name_key__startswith=key)
    phone = normalize_phone(search)
    if phone:
        q |= Q(phone_key=phone) | Q(
            pk__in=Contact.objects.filter(phone_key=phone).values("customer_id")
        )
    if "@" in search:
        q |= Q(
            pk__in=Contact.objects.filter(email_key=normalize_email(search)).values("customer_id")
        )
    return q


def customer_get(*, user, pk: int, action: str = "view") -> Customer:
    return Customer.objects.select_related(
        "owner", "industry", "region", "team", "pool"
    ).get_in_scope(user, action, pk=pk)


def contact_list(*, user, customer: Customer) -> QuerySet[Contact]:
    return Contact.objects.restrict(user, "view").filter(customer=customer)


def find_duplicates(
    *,
    user,
    name: str = "",
    phones=(),
    emails=(),
    exclude_customer: int | None = None,
    include_leads: bool = True,
    exclude_lead: int | None = None,
    limit: int = 10,
) -> list[DuplicateMatch]:
    """Customers (and leads) with the same normalised name, phone or e-mail — whatever the
    user's scope; records outside it are reported with name and owner only."""
    name_key = normalize_company_name(name)
    phone_keys = sorted({k for k in (normalize_phone(p) for p in phones) if k})
    email_keys = sorted({k for k in (normalize_email(e) for e in emails) if k})
    if not (name_key or phone_keys or email_keys):
        return []
    reasons: dict[int, set[str]] = {}

    def note(pks, reason):
        for pk in pks:
            reasons.setdefault(pk, set()).add(reason)

    base = Customer.objects.all()
    if exclude_customer:
        base = base.exclude(pk=exclude_customer)
    if name_key:
        note(base.filter(name_key=name_key).values_list("pk", flat=True)[:limit], "name")
    if phone_keys:
        note(base.filter(phone_key__in=phone_keys).values_list("pk", flat=True)[:limit], "phone")
        contacts = Contact.objects.filter(phone_key__in=phone_keys)
        if exclude_customer:
            contacts = contacts.exclude(customer_id=exclude_customer)
        note(contacts.values_list("customer_id", flat=True)[:limit], "phone")
    if email_keys:
        contacts = Contact.objects.filter(email_key__in=email_keys)
        if exclude_customer:
            contacts = contacts.exclude(customer_id=exclude_customer)
        note(contacts.values_list("customer_id", flat=True)[:limit], "email")
    matches = []
    if reasons:
        rows = Customer.objects.filter(pk__in=list(reasons)).select_related("owner")[:limit]
        visible = set(
            Customer.objects.restrict(user, "view")
            .filter(pk__in=list(reasons))
            .values_list("pk", flat=True)
        )
        for row in rows:
            matches.append(
                DuplicateMatch(
                    kind="customer",
                    pk=row.pk,
                    name=row.name,
                    owner_name=str(row.owner) if row.owner else gettext("公海"),
                    reasons=tuple(sorted(reasons[row.pk])),
                    in_scope=row.pk in visible,
                    url=reverse("customers:detail", args=[row.pk]) if row.pk in visible else "",
                )
            )
    if include_leads:
        matches.extend(
            extra_matches(
                user=user,
                name_key=name_key,
                phone_keys=phone_keys,
                email_keys=email_keys,
                exclude=exclude_lead,
                limit=limit,
            )
        )
    return matches


# --- pool ---------------------------------------------------------------------------------


def pool_customers(*, user) -> QuerySet[Customer]:
    """Customers in the pools the user may claim from: company pools, and department pools of
    the user's department or a department above it."""
    if user is None or not user.is_authenticated or not has_right(user, "customer", "add"):
        return Customer.objects.none()
    department_ids = []
    department = user.department
    while department is not None:
        department_ids.append(department.pk)
        department = department.parent
    pools = CustomerPool.objects.filter(is_active=True).filter(
        Q(department__isnull=True) | Q(department_id__in=department_ids)
    )
    return (
        Customer.objects.filter(owner__isnull=True, pool__in=pools)
        .select_related("industry", "region", "pool")
        .order_by("-pooled_at", "-id")
    )


def claimed_and_held_count(*, user) -> int:
    """How many customers the user claimed from a pool and still owns (the claim limit)."""
    claimed = OwnershipEvent.objects.filter(kind=OwnershipEvent.Kind.CLAIM, to_owner=user).values(
        "customer_id"
    )
    return Customer.objects.filter(owner=user, pk__in=claimed).count()


def assignable_users(*, user):
    """People a user may assign customers to: within their assign scope, active."""
    from salesflow.org.models import User

    if not has_right(user, "customer", "assign"):
        return User.objects.none()
    qs = User.objects.filter(is_active=True).select_related("department")
    reachable = owner_ids_for(user, "customer", "assign")
    if reachable is not None:
        qs = qs.filter(pk__in=reachable)
    return qs.order_by("department__path", "display_name")


# --- reads of the customer pages (added with the views) ---------------------------------------


def with_primary_contact(qs: QuerySet[Customer], *, user) -> QuerySet[Customer]:
    """Attach ``primary_contacts`` — at most one contact the user may see: the primary one, else
    the first — to every customer, in one query for the whole page or export."""
    from django.db.models import Prefetch

    contacts = Contact.objects.restrict(user, "view").order_by("-is_primary", "id")
    return qs.prefetch_related(
        Prefetch("contacts", queryset=contacts[:1], to_attr="primary_contacts")
    )


def customer_export_list(
    *, user, filters: dict | None = None, search: str = ""
) -> QuerySet[Customer]:
    """The filtered list, limited to the export scope (a role may export fewer rows than it
    sees), with the primary contact attached."""
    from salesflow.core.scope import scope_q

    qs = customer_list(user=user, filters=filters, search=search)
    q = scope_q(Customer, user, "export")
    if q is None:
        return qs.none()
    if q:
        qs = qs.filter(q)
    return with_primary_contact(qs, user=user)


def owner_choices(*, user):
    """The people whose customers the user sees (the owner filter of the list)."""
    from salesflow.org.models import User

    if not has_right(user, "customer", "view"):
        return User.objects.none()
    qs = User.objects.filter(is_active=True)
    reachable = owner_ids_for(user, "customer", "view")
    if reachable is not None:
        qs = qs.filter(pk__in=reachable)
    return qs.order_by("display_name", "username")


def contact_get(*, user, pk: int, action: str = "view") -> Contact:
    return Contact.objects.select_related("customer").get_in_scope(user, action, pk=pk)


def customer_timeline(*, customer: Customer, limit: int = 100) -> list[dict]:
    """Ownership events and grade changes of one customer, newest first."""
    ownership = customer.ownership_events.select_related("from_owner", "to_owner", "pool", "actor")[
        :limit
    ]
    grades = customer.grade_changes.select_related("actor")[:limit]
    rows = [{"type": "ownership", "at": e.at, "pk": e.pk, "event": e} for e in ownership]
    rows += [{"type": "grade", "at": g.at, "pk": g.pk, "event": g} for g in grades]
    rows.sort(key=lambda row: (row["at"], row["type"] == "ownership", row["pk"]), reverse=True)
    return rows[:limit]


def merge_candidates(*, user, customer: Customer, search: str = "") -> QuerySet[Customer]:
    """Customers the user may merge with ``customer`` (both need the change scope)."""
    qs = (
        Customer.objects.restrict(user, "change")
        .exclude(pk=customer.pk)
        .select_related("owner", "industry", "region")
    )
    search = (search or "").strip()
    if search:
        qs = qs.filter(_search_q(search))
    return qs.order_by("-id")


def pool_list(*, user, search: str = "") -> QuerySet[Customer]:
    """The claimable pool customers, searchable like the customer list."""
    qs = pool_customers(user=user)
    search = (search or "").strip()
    if search:
        qs = qs.filter(_search_q(search))
    return qs


def customers_for_assign(*, user, ids) -> QuerySet[Customer]:
    """The chosen customers that the user may (re)assign."""
    return (
        Customer.objects.restrict(user, "assign")
        .filter(pk__in=list(ids))
        .select_related("owner", "pool")
        .order_by("-id")
    )
