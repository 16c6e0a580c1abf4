"""Background jobs of the activities app (notifications, follow-ups, tasks)."""

import datetime

from django_tasks import task

from salesflow.core.jobs import periodic


# Enqueued after each notify() commit, and swept every minute so that a delivery whose enqueue
# was lost (process died between COMMIT and enqueue) or whose backoff has passed still goes out.
@periodic("activities.send_deliveries", every=datetime.timedelta(minutes=1))
@task()
def send_deliveries() -> int:
    """Send due email and group-robot deliveries (idempotent: claims pending rows only)."""
    from .delivery import deliver_due

    return deliver_due()


# --- follow-ups, cadence and SLA reminders ---------------------------------------------------


@periodic("activities.sla_sweep", every=datetime.timedelta(minutes=1))
@task()
def sla_sweep() -> int:
    """Reminders for deadlines due soon and breached: A-class first contact, screening,
    opportunity stage, tasks (owner; the owner's manager for breaches). Each once."""
    from .sweep import sla_sweep as sweep

    return sweep()


@periodic("activities.cadence_digest", at=datetime.time(8, 30))
@task()
def cadence_digest() -> int:
    """Working days 08:30: one digest per person of follow-ups and tasks due today/overdue
    (skipped on holidays and weekends without 调休)."""
    from .sweep import cadence_digest as digest

    return digest()


@periodic("activities.cadence_recompute", at=datetime.time(1, 30))
@task()
def cadence_recompute() -> int:
    """Nightly: every customer's and open lead's next due follow-up (lifecycles move with time
    and settings may have changed)."""
    from .cadence import recompute_all

    return recompute_all()
