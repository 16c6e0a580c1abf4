"""Background jobs of the service module."""

import datetime

from django_tasks import task

from salesflow.core.jobs import periodic


@periodic("service.complaint_sla_sweep", every=datetime.timedelta(minutes=1))
@task()
def complaint_sla_sweep() -> int:
    """Remind the handler and their manager of each breached complaint clock, once."""
    from .sweep import complaint_sla_sweep as sweep

    return sweep()


@periodic("service.plan_renewal_reminders", at=datetime.time(8, 40))
@task()
def plan_renewal_reminders() -> int:
    """Daily: owners of maintenance plans ending within two weeks are told once to renew."""
    from .sweep import plan_renewal_reminders as remind

    return remind()
