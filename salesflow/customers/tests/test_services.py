"""Service and rule tests of SPEC S2 (customers): value grade and its override, tiers,
lifecycle, the 公海 pool (recycle, claim, limits, department pools), bulk assignment, merge,
contacts and their keys, personal data."""

import datetime
import zoneinfo
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.http import Http404
from django.utils import timezone

from salesflow.core.audit import history_for
from salesflow.core.dedup import DuplicateFound
from salesflow.core.errors import DomainError, NotAllowed, ValidationError
from salesflow.core.models import AuditEntry
from salesflow.core.pii import mask_email, mask_phone, shown_email, shown_phone
from salesflow.core.services import setting_change
from salesflow.customers import rules, selectors, services
from salesflow.customers.models import (
    Contact,
    Customer,
    CustomerPool,
    Grade,
    GradeChange,
    GradeSource,
    Lifecycle,
    OwnershipEvent,
    Tier,
)

pytestmark = pytest.mark.django_db

D = Decimal
DAY = datetime.timedelta(days=1)
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
ID_CARD = "11010519491231002X"
BANK_CARD = "6222021234567890128"


@pytest.fixture
def org(make_user, make_department):
    company = make_department("测试公司")
    sales = make_department("销售中心", parent=company)
    east = make_department("华东区", parent=sales, region="华东")
    shanghai = make_department("上海组", parent=east, region="华东")
    north = make_department("华北区", parent=sales, region="华北")
    director = make_user("sales_director", department=sales, display_name="周总监")
    manager = make_user("sales_manager", department=east, manager=director, display_name="王经理")
    rep_a = make_user("sales_rep", department=shanghai, manager=manager, display_name="陈一")
    rep_b = make_user("sales_rep", department=shanghai, manager=manager, display_name="林二")
    north_manager = make_user(
        "sales_manager", department=north, manager=director, display_name="刘经理"
    )
    outsider = make_user(
        "sales_rep", department=north, manager=north_manager, display_name="赵北方"
    )
    return SimpleNamespace(
        director=director,
        manager=manager,
        rep_a=rep_a,
        rep_b=rep_b,
        north_manager=north_manager,
        outsider=outsider,
        finance=make_user("finance", department=company, display_name="钱会计"),
        marketing=make_user("marketing", department=company, display_name="市场小李"),
        admin=make_user("admin", department=company, display_name="管理员"),
        company=company,
        east=east,
        shanghai=shanghai,
        north=north,
    )


_n = iter(range(1, 10_000))


def create(actor, *, contacts=(), owner=None, confirm=False, **data):
    n = next(_n)
    data.setdefault("name", f"测试客户{n}号制造有限公司")
    return services.customer_create(
        actor=actor, data=data, contacts=contacts, owner=owner, confirm_duplicate=confirm
    )


def set_setting(org, key, value):
    setting_change(actor=org.admin, key=key, value=value, reason="试点团队调整")


def age(customer, days, *, followup=True):
    """Pretend the customer was created, taken and last followed up ``days`` ago."""
    moment = timezone.now() - days * DAY
    Customer.objects.filter(pk=customer.pk).update(
        created_at=moment, owned_since=moment, last_followup_at=moment if followup else None
    )


# --- value grade and tier ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, grade",
    [
        (D("500000"), Grade.A),
        (D("499999.99"), Grade.B),
        (D("100000"), Grade.B),
        (D("99999.99"), Grade.C),
        (D("0"), Grade.C),
    ],
)
def test_grade_from_expected_annual_value_at_the_boundaries(org, amount, grade):
    assert rules.grade_for_amount(amount) == grade
    customer = create(org.rep_a, expected_annual_value=amount)
    assert customer.grade == grade
    assert customer.grade_source == GradeSource.EXPECTED
    first = customer.grade_changes.get()
    assert (first.from_grade, first.to_grade, first.amount) == ("", grade, amount)


@pytest.mark.parametrize(
    "amount, tier",
    [
        (D("500000"), Tier.VIP),
        (D("499999.99"), Tier.KEY),
        (D("200000"), Tier.KEY),
        (D("199999.99"), Tier.NORMAL),
    ],
)
def test_tier_boundaries(org, amount, tier):
    assert rules.tier_for_amount(amount) == tier
    assert create(org.rep_a, expected_annual_value=amount).tier == tier


def test_changing_the_expected_value_regrades_with_history(org):
    customer = create(org.rep_a, expected_annual_value=D("50000"))
    services.customer_update(
        actor=org.rep_a, customer_id=customer.pk, data={"expected_annual_value": D("600000")}
    )
    customer.refresh_from_db()
    assert (customer.grade, customer.tier) == (Grade.A, Tier.VIP)
    change = customer.grade_changes.first()
    assert (change.from_grade, change.to_grade, change.amount) == ("C", "A", D("600000"))
    assert change.actor == org.rep_a


def test_grade_thresholds_are_settings(org):
    set_setting(org, "customer.grade_a_min_amount", "300000")
    assert create(org.rep_a, expected_annual_value=D("300000")).grade == Grade.A


def test_manual_override_needs_a_reason_is_kept_and_survives_a_regrade(org):
    customer = create(org.rep_a, expected_annual_value=D("50000"))
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as err:
            services.customer_grade_override(
                actor=org.rep_a, customer_id=customer.pk, grade="A", reason=reason
            )
        assert "reason" in err.value.message_dict
    with pytest.raises(ValidationError):
        services.customer_grade_override(
            actor=org.rep_a, customer_id=customer.pk, grade="S", reason="战略客户"
        )

    services.customer_grade_override(
        actor=org.rep_a, customer_id=customer.pk, grade="A", reason="集团战略合作伙伴"
    )
    customer.refresh_from_db()
    assert (customer.grade, customer.grade_source) == (Grade.A, GradeSource.MANUAL)
    change = customer.grade_changes.first()
    assert (change.from_grade, change.to_grade, change.source, change.reason) == (
        "C",
        "A",
        GradeSource.MANUAL,
        "集团战略合作伙伴",
    )
    assert history_for(customer).get(action="customer.grade_override").message == "集团战略合作伙伴"

    # A recompute (explicit, or after the expected value changes) keeps the override.
    services.customer_regrade(actor=org.rep_a, customer_id=customer.pk, reason="月度重算")
    services.customer_update(
        actor=org.rep_a, customer_id=customer.pk, data={"expected_annual_value": D("20000")}
    )
    customer.refresh_from_db()
    assert (customer.grade, customer.grade_source) == (Grade.A, GradeSource.MANUAL)
    assert customer.grade_changes.count() == 2  # the creation and the override

    # Clearing the override goes back to the computed grade.
    services.customer_grade_override(
        actor=org.rep_a, customer_id=customer.pk, grade=None, reason="合作终止"
    )
    customer.refresh_from_db()
    assert (customer.grade, customer.grade_source) == (Grade.C, GradeSource.EXPECTED)
    back = customer.grade_changes.first()
    assert (back.from_grade, back.to_grade, back.source) == ("A", "C", GradeSource.EXPECTED)
    assert list(customer.grade_changes.values_list("to_grade", flat=True)) == ["C", "A", "C"]


def test_override_of_a_customer_outside_scope_is_not_found(org):
    customer = create(org.outsider)
    with pytest.raises(Http404):
        services.customer_grade_override(
            actor=org.rep_a, customer_id=customer.pk, grade="A", reason="x"
        )


# --- lifecycle --------------------------------------------------------------------------------


def deal(first_deal_at, lost_at=None):
    return SimpleNamespace(first_deal_at=first_deal_at, lost_at=lost_at)


def at(*args):
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def test_lifecycle_prospect_new_old_lost():
    now = at(2025, 6, 15, 12)
    assert rules.lifecycle_of(deal(None), now) == Lifecycle.PROSPECT
    assert rules.lifecycle_of(deal(now - 10 * DAY), now) == Lifecycle.NEW
    assert rules.lifecycle_of(deal(at(2025, 3, 15, 12, 0, 1)), now) == Lifecycle.NEW
    assert rules.lifecycle_of(deal(at(2025, 3, 15, 12)), now) == Lifecycle.OLD  # exactly 3 months
    assert rules.lifecycle_of(deal(at(2024, 1, 1)), now) == Lifecycle.OLD
    assert rules.lifecycle_of(deal(at(2025, 6, 1), lost_at=now), now) == Lifecycle.LOST


@pytest.mark.parametrize(
    "first_deal, months, boundary",
    [
        (at(2024, 11, 30, 10), 3, at(2025, 2, 28, 10)),  # no 30 February
        (at(2023, 11, 30, 10), 3, at(2024, 2, 29, 10)),  # leap year
        (at(2025, 8, 31, 10), 3, at(2025, 11, 30, 10)),
        (at(2025, 1, 31, 10), 1, at(2025, 2, 28, 10)),
        (at(2025, 10, 31, 10), 3, at(2026, 1, 31, 10)),  # across the year
    ],
)
def test_lifecycle_month_arithmetic_at_month_ends(org, first_deal, months, boundary):
    assert rules.add_months(first_deal, months) == boundary
    if months != 3:
        set_setting(org, "customer.new_customer_months", months)
    just_before = boundary - datetime.timedelta(seconds=1)
    assert rules.lifecycle_of(deal(first_deal), just_before) == Lifecycle.NEW
    assert rules.lifecycle_of(deal(first_deal), boundary) == Lifecycle.OLD


def test_lifecycle_months_are_counted_in_the_company_time_zone():
    """A deal on 1 March 01:00 in Shanghai is 29 February in UTC, as the database returns it;
    the customer is new until 1 June 01:00 Shanghai, not 30 May."""
    first = at(2024, 3, 1, 1).astimezone(datetime.UTC)
    assert rules.lifecycle_of(deal(first), at(2024, 5, 31, 12)) == Lifecycle.NEW
    assert rules.lifecycle_of(deal(first), at(2024, 6, 1, 0, 59)) == Lifecycle.NEW
    assert rules.lifecycle_of(deal(first), at(2024, 6, 1, 1)) == Lifecycle.OLD


def test_customer_lifecycle_property(org):
    customer = create(org.rep_a)
    assert customer.lifecycle == Lifecycle.PROSPECT
    Customer.objects.filter(pk=customer.pk).update(first_deal_at=timezone.now() - 10 * DAY)
    customer.refresh_from_db()
    assert customer.lifecycle == Lifecycle.NEW


# --- 公海: recycle ------------------------------------------------------------------------------


def test_recycle_after_30_days_without_follow_up(org):
    recent = create(org.rep_a)
    exactly = create(org.rep_a)
    stale = create(org.rep_a)
    never = create(org.rep_a)
    age(recent, 29)
    age(exactly, 30)
    age(stale, 31)
    age(never, 31, followup=False)

    assert services.pool_recycle() == 3
    company_pool = CustomerPool.objects.get(name="公司公海", department=None)
    for customer in (exactly, stale, never):
        customer.refresh_from_db()
        assert customer.owner is None
        assert customer.pool == company_pool
        assert customer.pooled_at is not None and customer.owned_since is None
        event = customer.ownership_events.get(kind=OwnershipEvent.Kind.RECYCLE)
        assert (event.from_owner, event.to_owner, event.pool, event.actor) == (
            org.rep_a,
            None,
            company_pool,
            None,
        )
        assert "30 天" in event.reason
        assert history_for(customer).filter(action="customer.recycle").exists()
    recent.refresh_from_db()
    assert recent.owner == org.rep_a
    assert not recent.ownership_events.filter(kind=OwnershipEvent.Kind.RECYCLE).exists()

    # Idempotent: a second run returns nothing and writes nothing.
    events = OwnershipEvent.objects.count()
    assert services.pool_recycle() == 0
    assert OwnershipEvent.objects.count() == events


def test_a_recent_claim_or_assignment_restarts_the_clock(org):
    customer = create(org.rep_a)
    age(customer, 40)
    Customer.objects.filter(pk=customer.pk).update(owned_since=timezone.now() - 5 * DAY)
    assert services.pool_recycle() == 0


def test_recycle_days_is_a_setting(org):
    set_setting(org, "customer.pool_recycle_days", 10)
    customer = create(org.rep_a)
    age(customer, 11)
    assert services.pool_recycle() == 1
    event = OwnershipEvent.objects.get(kind=OwnershipEvent.Kind.RECYCLE)
    assert "10 天" in event.reason


def test_recycle_goes_to_the_nearest_department_pool_with_its_own_days(org):
    east_pool = CustomerPool.objects.create(name="华东公海", department=org.east, recycle_days=10)
    north_pool = CustomerPool.objects.create(name="华北公海", department=org.north)
    shanghai_customer = create(org.rep_a)  # team 上海组 → the 华东 pool above it
    north_customer = create(org.outsider)
    age(shanghai_customer, 11)
    age(north_customer, 11)
    assert services.pool_recycle() == 1  # 华北 pool has no days of its own: 30 applies
    shanghai_customer.refresh_from_db()
    assert shanghai_customer.pool == east_pool
    event = shanghai_customer.ownership_events.get(kind=OwnershipEvent.Kind.RECYCLE)
    assert event.pool == east_pool and "10 天" in event.reason
    age(north_customer, 31)
    assert services.pool_recycle() == 1
    north_customer.refresh_from_db()
    assert north_customer.pool == north_pool


def test_inactive_pools_are_skipped(org):
    CustomerPool.objects.create(name="华东公海", department=org.east, is_active=False)
    customer = create(org.rep_a)
    age(customer, 31)
    services.pool_recycle()
    customer.refresh_from_db()
    assert customer.pool.name == "公司公海"


def test_return_to_pool_by_hand_needs_a_reason(org):
    customer = create(org.rep_a)
    with pytest.raises(ValidationError):
        services.customer_return_to_pool(actor=org.rep_a, customer_id=customer.pk, reason="")
    services.customer_return_to_pool(actor=org.rep_a, customer_id=customer.pk, reason="无需求")
    customer.refresh_from_db()
    assert customer.owner is None
    event = customer.ownership_events.get(kind=OwnershipEvent.Kind.RETURN)
    assert event.reason == "无需求" and event.actor == org.rep_a


# --- 公海: claim --------------------------------------------------------------------------------


def pooled(org, owner=None, n=1):
    """``n`` customers returned to the pool of ``owner``'s team."""
    owner = owner or org.rep_a
    result = []
    for _ in range(n):
        customer = create(owner)
        services.customer_return_to_pool(actor=owner, customer_id=customer.pk, reason="退回")
        result.append(customer)
    return result


def test_claim_takes_a_pool_customer(org):
    (customer,) = pooled(org)
    assert customer.pk in selectors.pool_customers(user=org.rep_b).values_list("pk", flat=True)
    services.customer_claim(actor=org.rep_b, customer_id=customer.pk)
    customer.refresh_from_db()
    assert (customer.owner, customer.pool, customer.team) == (org.rep_b, None, org.shanghai)
    assert customer.owned_since is not None
    event = customer.ownership_events.get(kind=OwnershipEvent.Kind.CLAIM)
    assert (event.to_owner, event.actor, event.pool.name) == (org.rep_b, org.rep_b, "公司公海")
    assert selectors.claimed_and_held_count(user=org.rep_b) == 1


def test_a_second_claim_of_the_same_customer_fails_cleanly(org):
    (customer,) = pooled(org)
    services.customer_claim(actor=org.rep_a, customer_id=customer.pk)
    events = OwnershipEvent.objects.count()
    with pytest.raises(DomainError):
        services.customer_claim(actor=org.rep_b, customer_id=customer.pk)
    customer.refresh_from_db()
    assert customer.owner == org.rep_a
    assert OwnershipEvent.objects.count() == events


def test_claim_limit_setting(org):
    set_setting(org, "customer.pool_claim_limit", 2)
    first, second, third = pooled(org, n=3)
    services.customer_claim(actor=org.rep_b, customer_id=first.pk)
    services.customer_claim(actor=org.rep_b, customer_id=second.pk)
    with pytest.raises(DomainError) as err:
        services.customer_claim(actor=org.rep_b, customer_id=third.pk)
    assert "2" in str(err.value.message)
    third.refresh_from_db()
    assert third.owner is None
    # Customers the rep owns by creation do not count; giving one back frees a place.
    create(org.rep_b)
    services.customer_return_to_pool(actor=org.rep_b, customer_id=first.pk, reason="不跟了")
    services.customer_claim(actor=org.rep_b, customer_id=third.pk)


def test_a_pools_own_claim_limit_wins_over_the_setting(org):
    pool = CustomerPool.objects.create(name="华东公海", department=org.east, claim_limit=1)
    first, second = pooled(org, n=2)
    first.refresh_from_db()
    assert first.pool == pool
    services.customer_claim(actor=org.rep_b, customer_id=first.pk)
    with pytest.raises(DomainError):
        services.customer_claim(actor=org.rep_b, customer_id=second.pk)


def test_claiming_from_a_department_pool_the_user_is_not_under_fails(org):
    CustomerPool.objects.create(name="华北公海", department=org.north)
    (customer,) = pooled(org, owner=org.outsider)
    customer.refresh_from_db()
    assert customer.pool.name == "华北公海"
    assert not selectors.pool_customers(user=org.rep_a).filter(pk=customer.pk).exists()
    with pytest.raises(DomainError):
        services.customer_claim(actor=org.rep_a, customer_id=customer.pk)
    customer.refresh_from_db()
    assert customer.owner is None
    services.customer_claim(actor=org.outsider, customer_id=customer.pk)


def test_claim_needs_the_add_right(org):
    (customer,) = pooled(org)
    with pytest.raises(NotAllowed):
        services.customer_claim(actor=org.finance, customer_id=customer.pk)


# --- bulk assignment --------------------------------------------------------------------------


def test_bulk_assign_with_reason_writes_events_and_audit(org):
    first, second = create(org.rep_a), create(org.rep_a)
    moved = services.customer_assign(
        actor=org.manager,
        customer_ids=[first.pk, second.pk],
        to_owner=org.rep_b,
        reason="陈一休产假",
    )
    assert moved == 2
    for customer in (first, second):
        customer.refresh_from_db()
        assert customer.owner == org.rep_b
        event = customer.ownership_events.get(kind=OwnershipEvent.Kind.ASSIGN)
        assert (event.from_owner, event.to_owner, event.actor, event.reason) == (
            org.rep_a,
            org.rep_b,
            org.manager,
            "陈一休产假",
        )
        entry = history_for(customer).get(action="customer.assign")
        assert entry.message == "陈一休产假" and entry.actor == org.manager
    # Assigning to the current owner changes nothing.
    assert (
        services.customer_assign(
            actor=org.manager, customer_ids=[first.pk], to_owner=org.rep_b, reason="确认"
        )
        == 0
    )


def test_bulk_assign_refuses_customers_outside_scope_and_changes_none(org):
    mine = create(org.rep_a)
    theirs = create(org.outsider)
    audits, events = AuditEntry.objects.count(), OwnershipEvent.objects.count()
    with pytest.raises(ValidationError) as err:
        services.customer_assign(
            actor=org.manager,
            customer_ids=[mine.pk, theirs.pk],
            to_owner=org.rep_b,
            reason="调整",
        )
    assert "customers" in err.value.message_dict
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.owner, theirs.owner) == (org.rep_a, org.outsider)
    assert (AuditEntry.objects.count(), OwnershipEvent.objects.count()) == (audits, events)


def test_bulk_assign_checks_reason_right_and_receiver(org):
    customer = create(org.rep_a)
    with pytest.raises(ValidationError):
        services.customer_assign(
            actor=org.manager, customer_ids=[customer.pk], to_owner=org.rep_b, reason=""
        )
    with pytest.raises(NotAllowed):
        services.customer_assign(
            actor=org.rep_a, customer_ids=[customer.pk], to_owner=org.rep_b, reason="换人"
        )
    with pytest.raises(ValidationError) as err:
        services.customer_assign(
            actor=org.manager, customer_ids=[customer.pk], to_owner=org.outsider, reason="支援"
        )
    assert "owner" in err.value.message_dict
    customer.refresh_from_db()
    assert customer.owner == org.rep_a


def test_director_assigns_pool_customers(org):
    (customer,) = pooled(org)
    services.customer_assign(
        actor=org.director, customer_ids=[customer.pk], to_owner=org.outsider, reason="华北跟进"
    )
    customer.refresh_from_db()
    assert (customer.owner, customer.pool, customer.team) == (org.outsider, None, org.north)


# --- merge and recycle bin --------------------------------------------------------------------


def test_merge_moves_contacts_and_events_and_soft_deletes(org):
    keep = create(
        org.rep_a,
        name="宁波瀚天塑机有限公司",
        contacts=[{"name": "张伟", "phone": "13700000001"}],
        expected_annual_value=D("80000"),
    )
    other = create(
        org.rep_a,
        name="宁波瀚天塑机",
        confirm=True,
        address="宁波市北仑区",
        contacts=[{"name": "李娜", "phone": "13700000002"}, {"name": "王强", "email": "w@ht.cn"}],
        expected_annual_value=D("520000"),
    )
    services.customer_merge(actor=org.rep_a, keep_id=keep.pk, merge_id=other.pk, reason="重复")

    keep.refresh_from_db()
    assert sorted(keep.contacts.values_list("name", flat=True)) == ["张伟", "李娜", "王强"]
    assert not Contact.all_objects.filter(customer_id=other.pk).exists()
    kinds = sorted(keep.ownership_events.values_list("kind", flat=True))
    assert kinds == ["create", "create", "merge"]
    assert not OwnershipEvent.objects.filter(customer_id=other.pk).exists()
    assert not GradeChange.objects.filter(customer_id=other.pk).exists()
    assert keep.address == "宁波市北仑区"  # filled from the merged one
    assert keep.expected_annual_value == D("520000")
    assert keep.grade == Grade.A  # regraded from the larger value
    assert not Customer.objects.filter(pk=other.pk).exists()
    gone = Customer.all_objects.get(pk=other.pk)
    assert gone.deleted_at is not None
    assert f"#{keep.pk}" in gone.notes
    assert history_for(keep).filter(action="customer.merge").exists()


def test_merge_needs_both_in_scope(org):
    mine, theirs = create(org.rep_a), create(org.outsider)
    with pytest.raises(Http404):
        services.customer_merge(actor=org.rep_a, keep_id=mine.pk, merge_id=theirs.pk)
    with pytest.raises(ValidationError):
        services.customer_merge(actor=org.rep_a, keep_id=mine.pk, merge_id=mine.pk)
    assert Customer.objects.count() == 2


def test_delete_and_restore(org):
    customer = create(org.rep_a)
    services.customer_delete(actor=org.manager, customer_id=customer.pk)
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert Customer.all_objects.get(pk=customer.pk).deleted_by == org.manager
    with pytest.raises(NotAllowed):
        services.customer_restore(actor=org.manager, customer_id=customer.pk)
    services.customer_restore(actor=org.admin, customer_id=customer.pk)
    assert Customer.objects.filter(pk=customer.pk).exists()


# --- contacts, keys and duplicates ------------------------------------------------------------


def test_contact_phone_and_email_keys_are_normalised(org):
    customer = create(org.rep_a, phone="021-6123 4567")
    assert customer.phone_key == "02161234567"
    assert customer.name_key
    contact = services.contact_add(
        actor=org.rep_a,
        customer_id=customer.pk,
        data={
            "name": "王伟",
            "decision_role": "decision_maker",
            "phone": "+86 139-0000-1111",
            "email": "Wang.Wei@Example.CN",
        },
    )
    assert (contact.phone_key, contact.email_key) == ("13900001111", "wang.wei@example.cn")
    services.contact_update(
        actor=org.rep_a, contact_id=contact.pk, data={"phone": "0086 186 2222 3333"}
    )
    contact.refresh_from_db()
    assert contact.phone_key == "18622223333"


def test_contact_of_a_customer_outside_scope_is_not_found(org):
    customer = create(org.outsider)
    with pytest.raises(Http404):
        services.contact_add(actor=org.rep_a, customer_id=customer.pk, data={"name": "某人"})


@pytest.mark.parametrize("number", [ID_CARD, BANK_CARD])
def test_card_numbers_are_refused_in_customer_and_contact_fields(org, number):
    for data, contacts in [
        ({"notes": f"身份证 {number}"}, ()),
        ({"address": f"收款卡 {number}"}, ()),
        ({}, [{"name": "刘洋", "notes": f"卡号 {number}"}]),
        ({}, [{"name": "刘洋", "wechat": number}]),
    ]:
        with pytest.raises(ValidationError):
            create(org.rep_a, contacts=contacts, **data)
    assert not Customer.all_objects.exists()
    assert not Contact.all_objects.exists()
    customer = create(org.rep_a)
    with pytest.raises(ValidationError):
        services.contact_add(
            actor=org.rep_a, customer_id=customer.pk, data={"name": "刘洋", "notes": number}
        )
    assert not customer.contacts.exists()


def test_customer_duplicates_by_name_contact_phone_and_email_outside_scope(org):
    existing = create(
        org.outsider,
        name="佛山德润精工电器有限公司",
        contacts=[{"name": "何静", "phone": "13512345678", "email": "he.jing@mdjg.cn"}],
    )
    for kwargs, reason in [
        ({"name": "佛山德润精工电器有限责任公司"}, "name"),
        ({"contacts": [{"name": "x", "phone": "+86 135 1234 5678"}]}, "phone"),
        ({"phone": "135-1234-5678"}, "phone"),
        ({"contacts": [{"name": "x", "email": "HE.JING@mdjg.cn"}]}, "email"),
    ]:
        with pytest.raises(DuplicateFound) as err:
            create(org.rep_a, **kwargs)
        (match,) = err.value.matches
        assert (match.kind, match.pk, match.name) == ("customer", existing.pk, existing.name)
        assert match.owner_name == "赵北方" and match.in_scope is False and not match.url
        assert reason in match.reasons
    found = selectors.find_duplicates(user=org.north_manager, phones=["13512345678"])
    assert found[0].in_scope is True and found[0].url
    assert Customer.objects.count() == 1
    create(org.rep_a, name="佛山德润精工电器有限公司", confirm=True)
    assert Customer.objects.count() == 2


def test_pool_customer_duplicate_names_the_pool(org):
    (customer,) = pooled(org)
    (match,) = selectors.find_duplicates(user=org.rep_b, name=customer.name)
    assert match.owner_name == "公海"


def test_dedup_lookup_by_exact_keys_misses_cleanly(org):
    create(org.rep_a, contacts=[{"name": "a", "phone": "13800000000"}])
    assert (
        selectors.find_duplicates(user=org.rep_a, name="不存在的公司", phones=["13800000001"]) == []
    )
    assert selectors.find_duplicates(user=org.rep_a) == []


# --- personal data ------------------------------------------------------------------------------


def test_masking_helpers():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("+86 138-1234-1234").endswith("1234")
    assert "1234-1234" not in mask_phone("+86 138-1234-1234")
    assert mask_phone("") == ""
    assert mask_email("zhang.wei@example.cn") == "z***@example.cn"
    assert mask_email("") == ""


def test_contact_details_are_masked_for_roles_without_the_right(org):
    phone, email = "13812341234", "zhang.wei@example.cn"
    for user in (org.rep_a, org.manager, org.director):
        assert shown_phone(user, "contact", phone) == phone
        assert shown_email(user, "contact", email) == email
    for user in (org.finance, org.marketing):
        assert shown_phone(user, "contact", phone) == "138****1234"
        assert shown_email(user, "contact", email) == "z***@example.cn"


# --- scope of the list ------------------------------------------------------------------------


def test_customer_list_scope_and_filters(org):
    a = create(org.rep_a, expected_annual_value=D("600000"))
    b = create(org.rep_b, expected_annual_value=D("150000"))
    n = create(org.outsider, expected_annual_value=D("600000"))

    def pks(user, **filters):
        return set(selectors.customer_list(user=user, filters=filters).values_list("pk", flat=True))

    assert pks(org.rep_a) == {a.pk}
    assert pks(org.manager) == {a.pk, b.pk}
    assert pks(org.director) == {a.pk, b.pk, n.pk}
    assert pks(org.director, grade="A") == {a.pk, n.pk}
    assert pks(org.manager, grade="A") == {a.pk}
    assert pks(org.finance) == {a.pk, b.pk, n.pk}
    # Marketing sees customer names company-wide (to record the referrer of a 转介绍 lead),
    # never their contact details.
    assert pks(org.marketing) == {a.pk, b.pk, n.pk}
