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
