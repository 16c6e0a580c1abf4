"""Nightly jobs of the deals module (idempotent: at-least-once delivery is safe)."""

import datetime

from django.utils import timezone
from django_tasks import task

from salesflow.core.jobs import periodic

from . import services


@periodic("deals.regrade", at=datetime.time(1, 30))
@task()
def regrade_customers() -> int:
    """ABC grades from the last 12 months of orders (history kept by the customers module)."""
    return services.regrade_all()


@periodic("deals.overdue", at=datetime.time(8, 0))
@task()
def overdue_warnings() -> int:
    """Overdue instalments remind their owner and the owner's manager once per aging bucket."""
    return services.overdue_sweep()


@periodic("deals.order_change", at=datetime.time(2, 30))
@task()
def order_change_warnings() -> int:
    """After a month ends: customers whose order amount rose or fell sharply against the month
    before (a running month is checked for rises when each order is placed)."""
    from .models import Order

    last_month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    before = (last_month - datetime.timedelta(days=1)).replace(day=1)
    ids = (
        Order.objects.filter(
            order_date__gte=before, order_date__lt=timezone.localdate().replace(day=1)
        )
        .values_list("customer_id", flat=True)
        .distinct()
    )
    found = 0
    for customer_id in sorted(set(ids)):
        found += services.order_change_check(customer_id=customer_id, month=last_month) is not None
    return found
