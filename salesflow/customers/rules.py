"""The customer rules of SPEC S2 as plain functions of numbers and dates (settings-driven)."""

import datetime
from decimal import Decimal

from django.utils import timezone

from salesflow.core.settings_registry import get_setting

from .models import Grade, Lifecycle, Tier


def grade_for_amount(amount: Decimal) -> str:
    """ABC value grade: ≥ 50万 A, 10万–<50万 B, < 10万 C (thresholds are settings)."""
    if amount >= get_setting("customer.grade_a_min_amount"):
        return Grade.A
    if amount >= get_setting("customer.grade_b_min_amount"):
        return Grade.B
    return Grade.C


def tier_for_amount(amount: Decimal) -> str:
    """Maintenance tier: VIP ≥ 50万/year, key 20万–<50万, normal < 20万 (settings)."""
    if amount >= get_setting("customer.tier_vip_min_amount"):
        return Tier.VIP
    if amount >= get_setting("customer.tier_key_min_amount"):
        return Tier.KEY
    return Tier.NORMAL


def add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    import calendar

    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def lifecycle_of(customer, now: datetime.datetime | None = None) -> str:
    """Prospect (no deal yet), new (first deal < N months ago, N a setting, default 3), old,
    or lost."""
    if customer.lost_at:
        return Lifecycle.LOST
    if not customer.first_deal_at:
        return Lifecycle.PROSPECT
    now = now or timezone.now()
    months = get_setting("customer.new_customer_months")
    # Calendar months are counted in the company time zone (the database returns UTC, where
    # 1 March 01:00 in Shanghai is still 29 February).
    first_deal = customer.first_deal_at.astimezone(timezone.get_default_timezone())
    if now < add_months(first_deal, months):
        return Lifecycle.NEW
    return Lifecycle.OLD
